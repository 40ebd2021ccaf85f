"""Harvests on a Celery task queue, for more sources than one machine can harvest.

With ``[hubcat] broker_url`` set (Redis ``redis://127.0.0.1:6379/0`` or RabbitMQ
``amqp://guest:guest@127.0.0.1:5672//``), scheduled harvests are not run by the
scheduler process: it enqueues one task per due harvest on ``[hubcat] broker_queue``,
and any number of ``hubcat worker`` processes, on any machines that reach the broker
and the database, run them. Without a broker nothing changes: the scheduler runs
harvests in its own threads.

The per-source lease (:mod:`hubcat.locks`) still guarantees one run per source at a
time, whichever worker takes the task: a task for a source that is being harvested
is skipped. Tasks are acknowledged after they ran (a worker that dies mid-harvest
leaves its task to another worker) and each worker takes one task per free slot.
Celery is imported only here and only when a broker is configured (the ``queue``
extra installs it).
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Optional

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
TASK = 'hubcat.harvest_source'


def celery_app(config: Config):
    """A Celery application on the configured broker, with the harvest task registered."""
    from celery import Celery
    app = Celery('hubcat', broker=config.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=config.broker_queue,
        task_acks_late=True,                 # a task is done when its harvest ended
        task_reject_on_worker_lost=True,     # a worker that died hands its task on
        worker_prefetch_multiplier=1,        # one task per free slot: spread over workers
        task_ignore_result=True,             # outcomes are in the run history
        broker_connection_retry_on_startup=True,
        broker_transport_options={'visibility_timeout': 6 * 3600},
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK)(harvest_task)
    return app


def harvest_task(source_id: int, trigger: str = 'scheduled') -> Optional[dict]:
    """The task a worker runs: one harvest of one source, with the worker's configuration.

    :returns: the run report as a dict, or None when skipped (busy or removed source)
    """
    from hubcat.harvest import SourceBusy, run_harvest
    from hubcat.jobs import current_config
    from hubcat.sources import SourceNotFound
    try:
        return run_harvest(current_config(), source_id, trigger=trigger).as_dict()
    except SourceBusy:
        LOGGER.info('queued harvest of source %s skipped: it is being harvested already',
                    source_id)
    except SourceNotFound:
        LOGGER.warning('queued harvest of source %s skipped: no such source', source_id)
    return None


def enqueue(config: Config, source_id: int, trigger: str = 'scheduled') -> None:
    """Put one harvest of a source on the queue (the broker must answer)."""
    app = celery_app(config)
    try:
        app.send_task(TASK, args=[int(source_id), trigger], queue=config.broker_queue)
    finally:
        app.close()
    LOGGER.info('harvest of source %s queued on %s', source_id, config.broker_queue)


def default_worker_name() -> str:
    """``hubcat-<pid>@<host>``: unique per worker process."""
    return f'hubcat-{os.getpid()}@{socket.gethostname()}'


def run_worker(config: Config, concurrency: int = 2, name: Optional[str] = None) -> None:
    """Run queued harvests until stopped (SIGTERM/SIGINT end it after the running harvests).

    :param concurrency: harvests at once in this process (threads)
    :param name: the worker's node name (default :func:`default_worker_name`)
    """
    from hubcat.jobs import bind_config
    from hubcat.scheduler import configure_run_logging
    configure_run_logging()
    bind_config(config)
    app = celery_app(config)
    app.worker_main(['worker', '--pool', 'threads', '--concurrency', str(concurrency),
                     '--hostname', name or default_worker_name(), '--queues', config.broker_queue,
                     '--loglevel', 'INFO', '--without-gossip', '--without-mingle'])
