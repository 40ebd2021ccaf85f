"""Scheduled harvests against a real STA server, judged by the run history a user reads.

No timing assertions: every wait polls with a generous deadline.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, Table, select

from conftest import REPO, make_config
from hubcat.db import get_engine
from hubcat.job_store import job_state
from hubcat.scheduler import JOBS_TABLE, job_id
from scheduler_fixtures import AUTH, FAST, add_source as _add, client, sched_config, schedulers  # noqa: F401
from ops_servers import HangingServer, poll



def _runs(client, source: dict, **filters) -> list[dict]:
    runs = client.get('/api/runs', query_string={'source': source['id'], 'limit': 1000}).json['runs']
    return [r for r in runs if all(r[k] == v for k, v in filters.items())]


def _stored_jobs(database_url: str) -> dict:
    """The job store's rows (JSON documents), read as the store reads them: job id -> job state."""
    engine = get_engine(database_url)
    table = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return {row.id: job_state(row.id, row.job_state) for row in conn.execute(select(table))}


def test_a_scheduled_source_harvests_by_itself_and_keeps_its_schedule_over_a_restart(
        sched_config, client, schedulers, sta_server):
    source = _add(client, url=sta_server, type='sta', name='every-2s', schedule='2s',
                  stale_after='1000w')
    first = schedulers(sched_config)
    done = poll(lambda: len(_runs(client, source, trigger='scheduled', outcome='success')) >= 2,
                message='two scheduled runs')
    assert done
    first.shutdown(wait=True)

    stored = _stored_jobs(sched_config.database_url)[job_id(source['id'])]
    assert str(stored['trigger']) == 'interval[0:00:02]'
    assert (stored['func'], stored['args']) == ('hubcat.jobs:run_scheduled_harvest',
                                                (source['id'],))
    assert (stored['coalesce'], stored['max_instances']) == (True, 1)
    before = {r['id'] for r in _runs(client, source)}

    second = schedulers(make_config(sched_config.database_url, **FAST))   # a new process' view
    assert str(second.jobs()[source['id']].trigger) == 'interval[0:00:02]'
    poll(lambda: [r for r in _runs(client, source, trigger='scheduled', outcome='success')
                  if r['id'] not in before], message='a scheduled run after the restart')
    assert client.get(f'/api/sources/{source["id"]}').json['reachable'] is True
    status = client.get('/api/status').json
    assert status['online'] == 251 and status['offline'] == 0


def test_jobs_follow_the_sources_table(sched_config, client, schedulers, tmp_path):
    from hubcat.cli import cli
    sched = schedulers(sched_config)

    def trigger(source_id):
        job = sched.jobs().get(source_id)
        return str(job.trigger) if job else None

    # through the API of the same process: at once
    source = _add(client, url='http://127.0.0.1:9/a', type='sta', name='api-made', schedule='1h')
    assert trigger(source['id']) == 'interval[1:00:00]'
    client.patch('/api/sources/api-made', json={'schedule': '*/10 * * * *'}, headers=AUTH)
    assert trigger(source['id']).startswith('cron[') and "minute='*/10'" in trigger(source['id'])
    client.patch('/api/sources/api-made', json={'schedule': None}, headers=AUTH)
    assert trigger(source['id']) is None
    client.patch('/api/sources/api-made', json={'schedule': '30m'}, headers=AUTH)
    assert trigger(source['id']) == 'interval[0:30:00]'
    client.delete('/api/sources/api-made', headers=AUTH)
    assert source['id'] not in sched.jobs()

    # through the CLI (another program): at the next reconcile
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={sched_config.database_url}\n')
    runner = CliRunner()

    def hubcat(*args):
        result = runner.invoke(cli, ['--config', str(cfg), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output
    hubcat('source', 'add', 'http://127.0.0.1:9/b', '--type', 'sta', '--name', 'cli-made',
           '--every', '45m')
    cli_id = client.get('/api/sources/cli-made').json['id']
    poll(lambda: trigger(cli_id) == 'interval[0:45:00]', message='job of a CLI-added source')
    hubcat('source', 'update', 'cli-made', '--cron', '0 3 * * *')
    poll(lambda: (trigger(cli_id) or '').startswith('cron[') and "hour='3'" in trigger(cli_id),
         message='job of a CLI-updated source')
    hubcat('source', 'remove', 'cli-made')
    poll(lambda: cli_id not in sched.jobs(), message='job of a CLI-removed source gone')
    assert _stored_jobs(sched_config.database_url) == {}


def test_a_hanging_source_never_delays_the_others(sched_config, client, schedulers, sta_server):
    hang = HangingServer()
    try:
        stuck = _add(client, url=hang.url(), type='sta', name='hangs', schedule='2s',
                     options={'timeout': 600, 'retries': 0})
        good = _add(client, url=sta_server, type='sta', name='answers', schedule='2s',
                    stale_after='1000w')
        schedulers(sched_config)
        stuck_run = poll(lambda: next(iter(_runs(client, stuck, outcome='running')), None),
                         message='the hanging source run started')

        def harvested_meanwhile():
            done = [r for r in _runs(client, good, trigger='scheduled', outcome='success')
                    if r['started'] >= stuck_run['started']]
            return done if len(done) >= 2 else None
        # however slow the machine, the other source is harvested again and again while the
        # first one hangs (no timing window: the hang lasts until the test ends it)
        poll(harvested_meanwhile, message='two harvests of the answering source during the hang')
        assert [r['id'] for r in _runs(client, stuck, outcome='running')] == [stuck_run['id']]
        assert hang.accepted >= 1
    finally:
        hang.close()
    poll(lambda: [r for r in _runs(client, stuck, outcome='failed') if r['id'] == stuck_run['id']],
         message='the hanging run failing once its server drops the connection')

def _start_scheduler_process(config_path, log_path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    env.pop('HUBCAT_CONFIG', None)
    log = open(log_path, 'wb')
    return subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', str(config_path),
                             'scheduler'], stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=str(REPO))


def test_two_scheduler_processes_on_one_database_run_one_harvest_at_a_time(
        sched_config, client, sta_server, tmp_path):
    source = _add(client, url=sta_server, type='sta', name='shared', schedule='2s',
                  stale_after='1000w')
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={sched_config.database_url}\n'
                   '[hubcat:scheduler]\nreconcile_interval=1s\n')
    logs = [tmp_path / 'scheduler-1.log', tmp_path / 'scheduler-2.log']
    procs = [_start_scheduler_process(cfg, log) for log in logs]
    fired = ('harvest shared:', 'skipped: it is being harvested already')
    try:
        def enough():
            ended = _runs(client, source, trigger='scheduled')
            texts = [log.read_text() for log in logs]
            return len([r for r in ended if r['ended']]) >= 5 and all(
                any(word in text for word in fired) for text in texts)
        poll(enough, deadline=180, message='five runs, fired by both processes')
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)

    engine = get_engine(sched_config.database_url)
    table = Table('hubcat_runs', MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        runs = conn.execute(select(table).where(table.c.source_id == source['id'])
                            .order_by(table.c.started)).all()
    spans = [(_utc(r.started), _utc(r.ended) if r.ended else None) for r in runs]
    for (start, end), (next_start, _) in zip(spans, spans[1:]):
        assert end is not None and end <= next_start, ('overlapping runs', spans)
    texts = [log.read_text() for log in logs]
    for text in texts:
        assert 'scheduler started' in text
    assert sum(t.count('harvest shared: success; added 251,') for t in texts) == 1
    assert sum(t.count('harvest shared: success;') for t in texts) == len(
        [r for r in runs if r.outcome == 'success'])


def _utc(value):
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('no_scheduler', [False, True])
def test_serve_runs_the_scheduler_unless_told_not_to(sched_config, client, sta_server, tmp_path,
                                                     no_scheduler):
    import requests
    source = _add(client, url=sta_server, type='sta', name='served', schedule='2s',
                  stale_after='1000w')
    cfg = tmp_path / 'pycsw.cfg'
    port = _free_port()
    cfg.write_text(f'[repository]\ndatabase={sched_config.database_url}\n'
                   f'[hubcat]\nhost=127.0.0.1\nport={port}\n')
    log_path = tmp_path / 'serve.log'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    env.pop('HUBCAT_CONFIG', None)
    args = [sys.executable, '-m', 'hubcat', '--config', str(cfg), 'serve']
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(args + (['--no-scheduler'] if no_scheduler else []),
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO))
    try:
        poll(lambda: 'HubCat serving' in log_path.read_text(), message='server up')
        api = f'http://127.0.0.1:{port}/api'
        assert requests.get(f'{api}/sources/served', timeout=30).json()['schedule'] == 'every:2'
        if no_scheduler:
            assert 'scheduler started' not in log_path.read_text()
        else:
            poll(lambda: [r for r in requests.get(f'{api}/runs', timeout=30).json()['runs']
                          if r['trigger'] == 'scheduled' and r['outcome'] == 'success'],
                 message='a scheduled run in hubcat serve')
            poll(lambda: 'harvest served: success' in log_path.read_text(),
                 message='the run logged by hubcat serve')
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_missed_runs_run_once_after_a_restart(sched_config, client, schedulers, closed_port_url):
    """Five hourly ticks missed while no scheduler ran: one catch-up run, not five."""
    import time
    from datetime import datetime, timedelta

    from apscheduler.util import datetime_to_utc_timestamp
    source = _add(client, url=closed_port_url, type='sta', name='missed', schedule='1h',
                  options={'retries': 0})
    schedulers(sched_config).shutdown(wait=True)
    # as if the scheduler had been down for four and a half hours
    engine = get_engine(sched_config.database_url)
    table = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    missed = datetime_to_utc_timestamp(datetime.now(timezone.utc) - timedelta(hours=4, minutes=30))
    with engine.begin() as conn:
        row = conn.execute(select(table).where(table.c.id == job_id(source['id']))).one()
        doc = dict(json.loads(row.job_state), next_run_time=missed)
        conn.execute(table.update().where(table.c.id == row.id).values(
            next_run_time=missed, job_state=json.dumps(doc).encode()))

    # all five ticks are within the grace time: without coalescing, each would run
    schedulers(make_config(sched_config.database_url, **{'hubcat:scheduler': {
        'reconcile_interval': '1s', 'misfire_grace_time': '10h'}}))
    poll(lambda: [r for r in _runs(client, source) if r['ended']], message='the catch-up run')
    time.sleep(3)   # a failing harvest takes milliseconds: any further catch-up would be here
    runs = _runs(client, source)
    assert [(r['trigger'], r['outcome']) for r in runs] == [('scheduled', 'failed')]


def test_stopping_while_a_reconcile_runs_waits_for_it_and_returns(schedulers):
    """Shutting down (waiting for running jobs) while the reconcile job syncs: the sync ends
    and the scheduler stops; APScheduler's shutdown holds its job store lock while it waits,
    and a sync reaching for the jobs then hung both. PostgreSQL's locks hold the sync midway."""
    import threading

    from sqlalchemy import text

    import hubcat.scheduler as scheduler_module
    from conftest import _BACKENDS, make_database
    from hubcat.db import dispose_engine, init_db
    if 'postgresql' not in _BACKENDS:
        pytest.skip('needs PostgreSQL (HUBCAT_TEST_DATABASE_URL) to hold a sync midway')
    url, cleanup = make_database('postgresql', None)
    try:
        config = make_config(url, **FAST)
        init_db(config.database_url, config.table)
        sched = schedulers(config)
        engine = get_engine(url)
        with engine.connect() as blocker:
            held = blocker.begin()
            blocker.execute(text('LOCK TABLE hubcat_sources IN ACCESS EXCLUSIVE MODE'))

            def sync_waiting():
                with engine.connect() as conn:
                    return conn.execute(text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE c.relname = 'hubcat_sources' AND NOT l.granted")).scalar()
            poll(sync_waiting, message="the reconcile job's sync waiting for the sources table")
            stopper = threading.Thread(target=sched.shutdown, kwargs={'wait': True}, daemon=True)
            stopper.start()
            poll(lambda: sched not in scheduler_module._RUNNING, message='shutdown under way')
            held.rollback()                          # the sync reads the sources and goes on
        stopper.join(timeout=120)
        assert not stopper.is_alive(), 'the scheduler did not stop'
        assert not sched.running
    finally:
        dispose_engine(url)
        cleanup()
