"""Harvests on a Celery task queue: the scale-out path (``[hubcat] broker_url``).

With no broker configured nothing here is used: the scheduler runs harvests in
its own threads, as it always did.  With a broker (Redis ``redis://...`` or
RabbitMQ ``amqp://...``):

* ``hubcat scheduler`` (:func:`hubcat.jobs.run_scheduled_harvest`) enqueues a
  due harvest with :func:`enqueue_harvest` instead of running it;
* ``hubcat worker`` processes, on any number of machines sharing the catalogue
  database, take harvests from the queue and run them with
  :func:`hubcat.harvest.run_harvest`, the same path as any harvest.  The
  per-source lease still lets only one harvest of a source run at a time.

A task carries only the source id and the time it was asked for (``requested``).
It ends ``'skipped'`` when the source is being harvested right now (another
worker holds its lease) or when a run of the source started after it was asked
for (that run already did what was asked: a source enqueued twice in a row is
harvested once).  Tasks are acknowledged after they ran (``acks_late``): a
worker that dies mid-harvest leaves its task to another worker, whose run
takes over the dead lease when it expires.

Results are kept in the broker when it is Redis (an hour), or in
``[hubcat] result_backend`` when set.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Optional, Union

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
TASK_NAME = 'hubcat.harvest'
DEFAULT_QUEUE = 'hubcat'
SKIPPED = 'skipped'

_APPS: dict = {}


def broker_url(config: Config) -> str:
    """``[hubcat] broker_url``; empty when harvests run in-process."""
    return (config.get('hubcat', 'broker_url', '') or '').strip()


def queue_name(config: Config) -> str:
    """``[hubcat] queue``: the queue harvests are sent to and taken from (default ``hubcat``)."""
    return (config.get('hubcat', 'queue', '') or '').strip() or DEFAULT_QUEUE


def _result_backend(config: Config, broker: str) -> Optional[str]:
    backend = (config.get('hubcat', 'result_backend', '') or '').strip()
    if backend:
        return backend
    return broker if broker.startswith(('redis://', 'rediss://')) else None


def celery_app(config: Config):
    """The Celery app of ``config``'s broker, with the harvest task registered (one per
    broker, queue and database in a process).

    :raises ValueError: when no broker is configured
    """
    broker = broker_url(config)
    if not broker:
        raise ValueError('no broker configured: set [hubcat] broker_url '
                         '(e.g. redis://127.0.0.1:6379/0)')
    key = (broker, queue_name(config), config.database_url)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = _make_app(config, broker)
    return app


def _make_app(config: Config, broker: str):
    try:
        from celery import Celery
    except ImportError:
        raise ValueError("a broker is configured but Celery is not installed: "
                         "pip install 'hubcat[queue]'") from None
    backend = _result_backend(config, broker)
    app = Celery('hubcat', broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_default_queue=queue_name(config),
        task_acks_late=True,                 # a worker that dies leaves its task to another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,        # harvests are long: take one at a time
        task_ignore_result=backend is None,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=10,
        broker_transport_options={'max_retries': 3},
        worker_hijack_root_logger=False,
        task_serializer='json', result_serializer='json', accept_content=['json'],
    )

    @app.task(name=TASK_NAME)
    def harvest(source_id: int, requested: Optional[str] = None,
                trigger: str = 'scheduled') -> Union[dict, str]:
        """Harvest one source now; ``'skipped'`` when it is busy or ran since ``requested``."""
        return run_queued_harvest(config, source_id, requested, trigger)
    return app


def enqueue_harvest(config: Config, source_id: int, trigger: str = 'scheduled',
                    requested: Optional[datetime] = None):
    """Send one harvest of a source to the queue, stamped with the time it was asked for.

    :param requested: that time (default now); harvests enqueued together share one
        (``hubcat enqueue``), so a source named twice is harvested once
    :returns: the Celery AsyncResult (its ``.get()`` needs a result backend)
    """
    app = celery_app(config)
    stamp = (requested or datetime.now(timezone.utc)).isoformat()
    return app.send_task(TASK_NAME, args=[int(source_id), stamp, trigger],
                         queue=queue_name(config))


def run_queued_harvest(config: Config, source_id: int, requested: Optional[str],
                       trigger: str = 'scheduled') -> Union[dict, str]:
    """What a worker does with one task: :func:`hubcat.harvest.run_harvest`, unless the
    source is busy, gone, or harvested since ``requested``.

    :returns: the run report as a dict, or ``'skipped'``
    """
    from hubcat.harvest import AlreadyHarvested, SourceBusy, run_harvest
    from hubcat.sources import SourceNotFound
    since = datetime.fromisoformat(requested) if requested else None
    try:
        return run_harvest(config, source_id, trigger=trigger, not_since=since).as_dict()
    except SourceBusy:
        LOGGER.info('queued harvest of source %s skipped: it is being harvested already',
                    source_id)
    except AlreadyHarvested:
        LOGGER.info('queued harvest of source %s skipped: it was harvested since %s',
                    source_id, requested)
    except SourceNotFound:
        LOGGER.warning('queued harvest of source %s skipped: no such source', source_id)
    return SKIPPED


def run_worker(config: Config, concurrency: int = 4, name: Optional[str] = None,
               loglevel: str = 'INFO') -> None:
    """Run a Celery worker in this process until it is stopped (SIGTERM: warm shutdown).

    Harvests run in a pool of ``concurrency`` threads of this process, as the in-process
    scheduler runs them, so every run's lease owner (``host:pid:...``) names this worker's
    process.
    """
    app = celery_app(config)
    argv = ['worker', '--pool=threads', f'--concurrency={int(concurrency)}',
            f'--queues={queue_name(config)}', f'--loglevel={loglevel}', '--without-gossip',
            '--without-mingle']
    if name:
        argv.append(f'--hostname={name}')
    app.worker_main(argv)
