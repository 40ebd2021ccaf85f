"""Scheduled harvest jobs stored as JSON, never as pickles (issue 8 point 10).

APScheduler 3's SQLAlchemy job store pickles each job into its table and
unpickles every row it reads: whoever can write one row of the catalogue
database (an SQL injection, a shared database account) could run code in the
scheduler process, and a job's function is any ``module:name`` its row names.

:class:`JsonJobState` replaces that serialisation.  A row holds one JSON
document with only what a HubCat harvest job is made of::

    {"format": "hubcat-job/1", "source_id": 7, "name": "harvest frost",
     "trigger": {"interval": 900} | {"cron": {"minute": "*/30", ...}},
     "executor": "default", "coalesce": true, "max_instances": 1,
     "misfire_grace_time": 300, "next_run_time": 1796280000.0}

Reading a row never unpickles, imports or calls anything it names: the job's
function is always :data:`hubcat.jobs.JOB_FUNCTION`, its only argument the
integer source id, its trigger rebuilt by APScheduler's own parsers from the
numbers and cron fields.  A row that is not such a document (a pickle left by an
older HubCat, or a crafted row) is refused; APScheduler then removes it, and the
next sync adds the source's job again from the sources table.
"""
from __future__ import annotations

import json
import math
from datetime import timezone

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hubcat.jobs import JOB_FUNCTION

FORMAT = 'hubcat-job/1'
JOB_PREFIX = 'harvest:'
#: CronTrigger fields, as APScheduler names them
CRON_FIELDS = ('year', 'month', 'day', 'week', 'day_of_week', 'hour', 'minute', 'second')
EXECUTORS = ('default',)


class NotAHarvestJob(ValueError):
    """A job (to store) or a row (to load) that is not one of HubCat's harvest jobs."""


def trigger_document(trigger) -> dict:
    """The JSON form of an interval or cron trigger (UTC, no start/end dates or jitter).

    A cron trigger keeps the fields it was given, so that it loads back equal (same ``str``).
    """
    if isinstance(trigger, IntervalTrigger):
        return {'interval': trigger.interval.total_seconds()}
    if isinstance(trigger, CronTrigger):
        return {'cron': {field.name: str(field) for field in trigger.fields if not field.is_default}}
    raise NotAHarvestJob(f'not an interval or cron trigger: {trigger}')


def trigger_from_document(doc):
    """The trigger of :func:`trigger_document`'s output, parsed by APScheduler (strict)."""
    if not isinstance(doc, dict) or len(doc) != 1:
        raise NotAHarvestJob('trigger must be {"interval": seconds} or {"cron": {...}}')
    if 'interval' in doc:
        seconds = doc['interval']
        if not _number(seconds) or seconds <= 0:
            raise NotAHarvestJob('interval must be a positive number of seconds')
        return IntervalTrigger(seconds=seconds, timezone=timezone.utc)
    fields = doc.get('cron')
    if not isinstance(fields, dict) or not set(fields) <= set(CRON_FIELDS) \
            or not all(isinstance(v, str) and len(v) <= 100 for v in fields.values()):
        raise NotAHarvestJob('cron must map cron field names to expressions')
    try:
        return CronTrigger(timezone=timezone.utc, **fields)
    except (TypeError, ValueError) as err:
        raise NotAHarvestJob(f'bad cron trigger: {err}') from None


def job_document(job: Job) -> bytes:
    """The JSON row of a harvest job.

    :raises NotAHarvestJob: for any other job (another function, arguments or trigger)
    """
    args = tuple(job.args)
    if job.func_ref != JOB_FUNCTION or job.kwargs or len(args) != 1 or not _integer(args[0]) \
            or job.id != f'{JOB_PREFIX}{args[0]}':
        raise NotAHarvestJob(f'job {job.id} is not a HubCat harvest job')
    doc = {'format': FORMAT, 'source_id': args[0], 'name': job.name,
           'trigger': trigger_document(job.trigger), 'executor': job.executor,
           'coalesce': job.coalesce, 'max_instances': job.max_instances,
           'misfire_grace_time': job.misfire_grace_time,
           'next_run_time': datetime_to_utc_timestamp(job.next_run_time)}
    return json.dumps(doc, sort_keys=True).encode()


def job_state(row_id: str, data) -> dict:
    """The state (``Job.__setstate__``) of a stored row, checked field by field.

    :raises NotAHarvestJob: for anything but a document :func:`job_document` wrote
    """
    try:
        doc = json.loads(bytes(data).decode('utf-8'))
    except (TypeError, ValueError):
        raise NotAHarvestJob(f'job row {row_id!r} is not a JSON job document') from None
    if not isinstance(doc, dict) or doc.get('format') != FORMAT:
        raise NotAHarvestJob(f'job row {row_id!r} is not a {FORMAT} document')
    source_id, next_run = doc.get('source_id'), doc.get('next_run_time')
    grace, instances = doc.get('misfire_grace_time'), doc.get('max_instances')
    checks = [_integer(source_id) and row_id == f'{JOB_PREFIX}{source_id}',
              isinstance(doc.get('name'), str), doc.get('executor') in EXECUTORS,
              isinstance(doc.get('coalesce'), bool), _integer(instances) and instances >= 1,
              grace is None or (_number(grace) and grace >= 0),
              next_run is None or _number(next_run)]
    if not all(checks):
        raise NotAHarvestJob(f'job row {row_id!r} has a field of the wrong kind')
    return {'version': 1, 'id': row_id, 'func': JOB_FUNCTION,
            'trigger': trigger_from_document(doc.get('trigger')), 'executor': doc['executor'],
            'args': (source_id,), 'kwargs': {}, 'name': doc['name'], 'misfire_grace_time': grace,
            'coalesce': doc['coalesce'], 'max_instances': instances,
            'next_run_time': utc_timestamp_to_datetime(next_run)}


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class JsonJobState:
    """Mixin for APScheduler's ``SQLAlchemyJobStore``: rows are :func:`job_document` JSON."""

    def add_job(self, job):
        """Insert a harvest job's row (:class:`NotAHarvestJob` for any other job)."""
        values = {'id': job.id, 'next_run_time': datetime_to_utc_timestamp(job.next_run_time),
                  'job_state': job_document(job)}
        with self.engine.begin() as connection:
            try:
                connection.execute(self.jobs_t.insert().values(**values))
            except IntegrityError:
                raise ConflictingIdError(job.id) from None

    def update_job(self, job):
        """Rewrite a harvest job's row (:class:`JobLookupError` when it is gone)."""
        update = self.jobs_t.update().values(
            next_run_time=datetime_to_utc_timestamp(job.next_run_time),
            job_state=job_document(job)).where(self.jobs_t.c.id == job.id)
        with self.engine.begin() as connection:
            if connection.execute(update).rowcount == 0:
                raise JobLookupError(job.id)

    def lookup_job(self, job_id):
        """The job of a row, None when there is none or it is not a harvest job document."""
        query = select(self.jobs_t.c.job_state).where(self.jobs_t.c.id == job_id)
        with self.engine.begin() as connection:
            data = connection.execute(query).scalar()
        if data is None:
            return None
        try:
            return self._reconstitute_job(data, job_id)
        except NotAHarvestJob as err:
            self._logger.warning('%s: ignored', err)
            return None

    def _get_jobs(self, *conditions):
        # APScheduler's _get_jobs hands _reconstitute_job the state only; the row id is needed
        rows = select(self.jobs_t.c.id, self.jobs_t.c.job_state).order_by(self.jobs_t.c.next_run_time)
        if conditions:
            rows = rows.where(*conditions)
        jobs, refused = [], []
        with self.engine.begin() as connection:
            for row in connection.execute(rows):
                try:
                    jobs.append(self._reconstitute_job(row.job_state, row.id))
                except NotAHarvestJob as err:
                    self._logger.warning('%s: removed (the next sync adds the job again)', err)
                    refused.append(row.id)
            if refused:
                connection.execute(self.jobs_t.delete().where(self.jobs_t.c.id.in_(refused)))
        return jobs

    def _reconstitute_job(self, data, row_id=None):
        job = Job.__new__(Job)
        job.__setstate__(dict(job_state(str(row_id), data), jobstore=self))
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job
