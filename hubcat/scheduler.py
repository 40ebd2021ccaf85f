"""Scheduled harvests: APScheduler 3 with its jobs in the catalogue database.

* One job per scheduled source, ``harvest:<source id>``, running
  :func:`hubcat.jobs.run_scheduled_harvest` with an interval or cron trigger
  (``every:<seconds>`` / ``cron:<expr>`` as :func:`hubcat.sources.normalise_schedule`
  stores them; cron expressions are evaluated in UTC).
* Jobs live in ``hubcat_jobs`` (an APScheduler SQLAlchemy job store on HubCat's
  engine), so schedules survive restarts.  Rows are JSON documents, never pickles
  (:mod:`hubcat.job_store`): a row can only ever start a harvest of a source.  Job defaults: ``coalesce`` (a missed
  run runs once, not once per missed tick), ``max_instances=1`` and a
  ``misfire_grace_time``.
* The jobs follow the sources table: :meth:`HubCatScheduler.sync` adds, changes
  and removes jobs; it runs at start, every ``reconcile_interval`` and at once
  when the API of the same process changes a source (:func:`sources_changed`).
  At start and every ``reconcile_interval`` the scheduler also marks runs whose
  process died ``failed`` (``interrupted``, :meth:`hubcat.runs.RunLog.mark_interrupted`).
* Several scheduler processes may share one database: each may fire a job, the
  lease lock of :mod:`hubcat.locks` lets only one harvest of a source run.
"""
from __future__ import annotations

import logging
import threading
from datetime import timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from hubcat.config import Config
from hubcat.db import get_engine
from hubcat.job_store import JOB_PREFIX, JsonJobState
from hubcat.jobs import JOB_FUNCTION, bind_config

LOGGER = logging.getLogger(__name__)
JOBS_TABLE = 'hubcat_jobs'
RECONCILE_JOB = 'hubcat:reconcile'
#: loggers whose INFO lines (one per harvest run) a scheduler process must show
RUN_LOGGERS = ('hubcat.harvest', 'hubcat.jobs', 'hubcat.scheduler')

_RUNNING: list['HubCatScheduler'] = []
_RUNNING_LOCK = threading.Lock()


def job_id(source_id: int) -> str:
    """The job id of a source's scheduled harvest."""
    return f'{JOB_PREFIX}{source_id}'


def make_trigger(schedule: str):
    """An APScheduler trigger from a stored schedule ('every:<seconds>' or 'cron:<expr>').

    :raises ValueError: for any other text
    """
    kind, _, value = (schedule or '').partition(':')
    if kind == 'every':
        return IntervalTrigger(seconds=int(value), timezone=timezone.utc)
    if kind == 'cron':
        return CronTrigger.from_crontab(value, timezone=timezone.utc)
    raise ValueError(f'not a stored schedule: {schedule!r}')


class SharedSQLAlchemyJobStore(JsonJobState, SQLAlchemyJobStore):
    """The SQLAlchemy job store with JSON rows, tolerant of other scheduler processes on the same table.

    Another process may create the table at the same moment, or remove a job
    (its source was deleted) between this process loading and updating it.
    """

    def start(self, scheduler, alias):
        """Start, creating the jobs table unless another process just did."""
        try:
            super().start(scheduler, alias)
        except SQLAlchemyError:
            if not inspect(self.engine).has_table(self.jobs_t.name):
                raise

    def update_job(self, job):
        """Store a job's new state; a job removed meanwhile stays removed."""
        try:
            super().update_job(job)
        except JobLookupError:
            LOGGER.debug('job %s was removed by another process', job.id)


class HubCatScheduler:
    """The harvest scheduler of one process.

    :param config: HubCat configuration (database, scheduler options)
    """

    def __init__(self, config: Config):
        self.config = config
        options = config.scheduler_options()
        self.reconcile_interval = options['reconcile_interval']
        self.job_defaults = {'coalesce': True, 'max_instances': 1,
                             'misfire_grace_time': options['misfire_grace_time']}
        engine = get_engine(config.database_url)
        self._sync_lock = threading.Lock()
        self._stopping = False
        self.scheduler = BackgroundScheduler(
            jobstores={'default': SharedSQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE),
                       'internal': MemoryJobStore()},
            executors={'default': ThreadPoolExecutor(options['max_workers']),
                       'internal': ThreadPoolExecutor(1)},
            job_defaults=self.job_defaults,
            timezone=timezone.utc)

    # ---- life cycle ----------------------------------------------------------------
    def start(self) -> 'HubCatScheduler':
        """Start firing jobs, after bringing them in line with the sources table."""
        configure_run_logging()
        bind_config(self.config)
        self.scheduler.start(paused=True)
        self.reconcile()
        self.scheduler.add_job(self.reconcile, 'interval', seconds=self.reconcile_interval,
                               id=RECONCILE_JOB, jobstore='internal', executor='internal',
                               replace_existing=True)
        self.scheduler.resume()
        with _RUNNING_LOCK:
            _RUNNING.append(self)
        LOGGER.info('scheduler started: %d scheduled sources, reconcile every %s s',
                    len(self.jobs()), self.reconcile_interval)
        return self

    def shutdown(self, wait: bool = False) -> None:
        """Stop firing jobs (``wait``: also wait for running harvests to end)."""
        with _RUNNING_LOCK:
            if self in _RUNNING:
                _RUNNING.remove(self)
        # a sync under way (the reconcile job's) ends first, and no later one touches the
        # scheduler: APScheduler's shutdown holds its job store lock while it waits for
        # running jobs, so a reconcile job asking for the jobs then would wait forever
        with self._sync_lock:
            self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        LOGGER.info('scheduler stopped')

    @property
    def running(self) -> bool:
        """True between start and shutdown."""
        return self.scheduler.running

    # ---- jobs ----------------------------------------------------------------------
    def jobs(self) -> dict:
        """The harvest jobs in the job store: source id -> APScheduler Job."""
        return {int(job.id[len(JOB_PREFIX):]): job
                for job in self.scheduler.get_jobs(jobstore='default')
                if job.id.startswith(JOB_PREFIX)}

    def reconcile(self) -> None:
        """The periodic housekeeping: :meth:`sync` the jobs, then mark runs whose process
        died ``failed`` (interrupted)."""
        self.sync()
        from hubcat.runs import RunLog
        try:
            for run_id in RunLog(self.config.database_url).mark_interrupted():
                LOGGER.warning('run %s was interrupted (its process is gone)', run_id)
        except SQLAlchemyError as err:
            LOGGER.warning('cannot check running harvests: %s', str(err).splitlines()[0])

    def sync(self) -> dict:
        """Add, change and remove harvest jobs so that they match the sources' schedules.

        A job whose trigger already matches is left alone (its next run time too).

        :returns: lists of source ids ``{'added': [...], 'changed': [...], 'removed': [...]}``
        """
        from hubcat.sources import SourceRegistry
        done = {'added': [], 'changed': [], 'removed': []}
        with self._sync_lock:
            if self._stopping:
                return done
            try:
                wanted = {s.id: s for s in SourceRegistry(self.config.database_url).list()
                          if s.schedule}
                have = self.jobs()
            except SQLAlchemyError as err:
                LOGGER.warning('cannot read sources or jobs: %s', str(err).splitlines()[0])
                return done
            for source_id, source in wanted.items():
                try:
                    trigger = make_trigger(source.schedule)
                except ValueError as err:
                    LOGGER.warning('source %s: %s', source.name, err)
                    continue
                job = have.get(source_id)
                if job is not None and str(job.trigger) == str(trigger):
                    if self._settings_differ(job):   # e.g. misfire_grace_time changed in config
                        self.scheduler.modify_job(job.id, jobstore='default', **self.job_defaults)
                        done['changed'].append(source_id)
                    continue
                self.scheduler.add_job(JOB_FUNCTION, trigger, args=[source_id],
                                       id=job_id(source_id), name=f'harvest {source.name}',
                                       jobstore='default', replace_existing=True)
                done['changed' if job is not None else 'added'].append(source_id)
            for source_id in set(have) - set(wanted):
                try:
                    self.scheduler.remove_job(job_id(source_id), jobstore='default')
                except JobLookupError:
                    continue  # another process removed it first
                done['removed'].append(source_id)
        if any(done.values()):
            LOGGER.info('schedule sync: %s', ', '.join(f'{k} {v}' for k, v in done.items() if v))
        return done


    def _settings_differ(self, job) -> bool:
        return any(getattr(job, key) != value for key, value in self.job_defaults.items())


def configure_run_logging() -> None:
    """Make the one-line-per-run harvest log show in a scheduler process."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


def start_background_scheduler(config: Config) -> HubCatScheduler:
    """Start the harvest scheduler in background threads of this process (``hubcat serve``).

    :returns: the running scheduler; ``.shutdown(wait=False)`` stops it
    """
    return HubCatScheduler(config).start()


def sources_changed(database_url: str) -> None:
    """Re-sync now the schedulers of this process that run on ``database_url``.

    The API calls it after a source is added, changed or removed, so that a
    scheduler in the same process follows at once (others follow at their next
    reconcile).
    """
    with _RUNNING_LOCK:
        running = [s for s in _RUNNING if s.config.database_url == database_url]
    for sched in running:
        sched.sync()


