"""What a scheduled job runs: one harvest of one source.

The job store keeps jobs in the catalogue database as JSON
(:mod:`hubcat.job_store`): the job is always this top-level function, referred to
by name (``hubcat.jobs:run_scheduled_harvest``), with the source id as its only
argument.  The configuration is the process's:
the scheduler binds it with :func:`bind_config` when it starts (a process that
never bound one reads ``$HUBCAT_CONFIG`` / ``./pycsw.cfg``).
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
JOB_FUNCTION = 'hubcat.jobs:run_scheduled_harvest'

_LOCK = threading.Lock()
_CONFIG: Optional[Config] = None


def bind_config(config: Config) -> None:
    """Make ``config`` the configuration scheduled jobs of this process run with.

    :param config: the scheduler's configuration
    """
    global _CONFIG
    with _LOCK:
        _CONFIG = config


def current_config() -> Config:
    """The configuration bound by the scheduler (or read from the environment)."""
    global _CONFIG
    with _LOCK:
        if _CONFIG is None:
            _CONFIG = Config()
        return _CONFIG


def run_scheduled_harvest(source_id: int) -> Optional[dict]:
    """Harvest one source because its schedule fired.

    With a broker configured (``[hubcat] broker_url``) the harvest is only enqueued
    for a ``hubcat worker`` (:mod:`hubcat.queue`).  Otherwise it runs here; a source
    that is being harvested elsewhere (another process or a manual run) is skipped,
    and so is a source removed since the job was scheduled: the next reconcile
    drops its job.

    :param source_id: the source's id
    :returns: the run report as a dict (``{'enqueued': task id}`` with a broker), or None
        when the run was skipped
    """
    from hubcat.harvest import SourceBusy, run_harvest
    from hubcat.queue import broker_url, enqueue_harvest
    from hubcat.sources import SourceNotFound
    config = current_config()
    if broker_url(config):
        task = enqueue_harvest(config, source_id, trigger='scheduled')
        LOGGER.info('scheduled harvest of source %s enqueued (task %s)', source_id, task.id)
        return {'enqueued': task.id}
    try:
        report = run_harvest(config, source_id, trigger='scheduled')
    except SourceBusy:
        LOGGER.info('scheduled harvest of source %s skipped: it is being harvested already',
                    source_id)
        return None
    except SourceNotFound:
        LOGGER.warning('scheduled harvest of source %s skipped: no such source', source_id)
        return None
    return report.as_dict()
