"""The scheduler's job store never unpickles a row of the catalogue database (issue 8 point 10).

Rows are JSON documents (hubcat/job_store.py); a crafted row -- a pickle that runs
code when loaded, an APScheduler job naming another function, a JSON document of
the wrong shape -- is refused and removed, never loaded or run.
"""
from __future__ import annotations

import json
import os
import pickle
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import MetaData, Table, select

from conftest import make_config
from hubcat.db import get_engine
from hubcat.scheduler import JOBS_TABLE, job_id, make_trigger
from scheduler_fixtures import FAST, add_source as _add, client, sched_config, schedulers  # noqa: F401
from ops_servers import poll


class MakeDirectoryWhenUnpickled:
    """A pickle payload: unpickling it creates a directory (what an attacker's row would run)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def _rows(database_url: str) -> dict:
    engine = get_engine(database_url)
    table = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return {row.id: (row.next_run_time, bytes(row.job_state)) for row in conn.execute(select(table))}


def test_jobs_are_stored_as_json_and_load_back(sched_config, client, schedulers, closed_port_url):
    every = _add(client, url=closed_port_url, type='sta', name='every', schedule='90m')
    cron = _add(client, url=closed_port_url + '/b', type='sta', name='cron', schedule='cron:15 3 * * 1-5')
    schedulers(sched_config).shutdown(wait=True)

    rows = _rows(sched_config.database_url)
    doc = json.loads(rows[job_id(every['id'])][1])
    assert (doc['source_id'], doc['trigger'], doc['coalesce']) == (every['id'], {'interval': 5400.0}, True)
    assert 'func' not in doc and json.loads(rows[job_id(cron['id'])][1])['trigger']['cron']['hour'] == '3'

    jobs = schedulers(make_config(sched_config.database_url, **FAST)).jobs()   # a new process' view
    assert str(jobs[every['id']].trigger) == str(make_trigger('every:5400'))
    assert str(jobs[cron['id']].trigger) == str(make_trigger('cron:15 3 * * 1-5'))
    assert jobs[cron['id']].func_ref == 'hubcat.jobs:run_scheduled_harvest'
    assert jobs[cron['id']].args == (cron['id'],)


def test_crafted_rows_are_never_unpickled_or_run(sched_config, client, schedulers, closed_port_url, tmp_path):
    source = _add(client, url=closed_port_url, type='sta', name='due', schedule='1h', options={'retries': 0})
    schedulers(sched_config).shutdown(wait=True)
    engine = get_engine(sched_config.database_url)
    table = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    unpickled, other_function = tmp_path / 'unpickled', tmp_path / 'other-function'
    apscheduler_job = {  # an APScheduler job state naming another function, as the old store kept them
        'version': 1, 'id': 'harvest:998', 'func': 'os:mkdir', 'trigger': IntervalTrigger(seconds=60),
        'executor': 'default', 'args': (str(other_function),), 'kwargs': {}, 'name': 'x',
        'misfire_grace_time': 3600, 'coalesce': True, 'max_instances': 1, 'next_run_time': past}
    valid = json.loads(_rows(sched_config.database_url)[job_id(source['id'])][1])
    crafted = {
        'harvest:999': pickle.dumps(MakeDirectoryWhenUnpickled(str(unpickled))),
        'harvest:998': pickle.dumps(apscheduler_job),
        'harvest:997': json.dumps(dict(valid, source_id=source['id'])).encode(),   # id of another job
        'harvest:996': json.dumps(dict(valid, source_id=996, trigger={'cron': {'minute': '__import__'}})).encode(),
    }
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == job_id(source['id'])).values(
            next_run_time=datetime_to_utc_timestamp(past),
            job_state=json.dumps(dict(valid, next_run_time=datetime_to_utc_timestamp(past))).encode()))
        for row_id, state in crafted.items():
            conn.execute(table.insert().values(id=row_id, next_run_time=datetime_to_utc_timestamp(past),
                                               job_state=state))

    sched = schedulers(make_config(sched_config.database_url, **FAST))
    runs = lambda: client.get('/api/runs', query_string={'source': source['id']}).json['runs']  # noqa: E731
    poll(lambda: [r for r in runs() if r['ended']], message="the due job's run")   # due jobs were processed

    assert not unpickled.exists() and not other_function.exists()
    assert set(sched.jobs()) == {source['id']}
    assert set(_rows(sched_config.database_url)) == {job_id(source['id'])}
