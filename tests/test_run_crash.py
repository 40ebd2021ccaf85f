"""Runs that survive crashes (issue 13 point 4), with real ``hubcat harvest`` processes
against the real STA server: a SIGKILLed harvest is followed at once by a successful one,
a hung one is taken over with ``--force`` or when its lease expires, a live one keeps its
lease by its heartbeat while it writes nothing, and a database error while storing ends the
run ``failed``, never ``running``.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from conftest import make_config
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine
from hubcat.harvest import SourceBusy, run_harvest
from hubcat.locks import holder
from hubcat.runs import RunLog
from hubcat.sources import SourceRegistry
from ops_servers import HangingServer, poll

pytestmark = pytest.mark.usefixtures('sta_server')
RECORDS = 251          # the default data set: 1 service, 50 Things, 200 Datastreams


def write_config(path, config, **harvest) -> str:
    """A pycsw.cfg for ``hubcat`` subprocesses on the test's database."""
    lines = ['[repository]', f'database = {config.database_url}', '[hubcat:harvest]']
    lines += [f'{key} = {value}' for key, value in harvest.items()]
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return str(path)


def hubcat(cfg: str, *args, **popen) -> subprocess.Popen:
    """A ``hubcat`` command in its own process."""
    return subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', cfg, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run_cli(cfg: str, *args):
    """Run a ``hubcat`` command to its end in this process (``.exit_code``, ``.stdout``,
    ``.stderr``): a new process would only add its start-up time."""
    from click.testing import CliRunner

    from hubcat.cli import cli
    return CliRunner().invoke(cli, ['--config', cfg, *args])


def stored_objects(config, source_id: int) -> int:
    """How many registry objects (not associations) of a source the catalogue holds."""
    rows = Catalogue(config.database_url, config.table).rows(source_id)
    return sum(1 for row in rows if row['hc_kind'] != 'association')


def running_runs(config) -> list[dict]:
    """The runs the history shows as running."""
    return RunLog(config.database_url).list(running=True)


@pytest.fixture
def slow_source(config, sta_server):
    """The session STA server registered with one entity per page (about 300 requests)."""
    return SourceRegistry(config.database_url).add(sta_server, 'sta', name='slow',
                                                   options={'page_size': 1})


def start_and_catch_running(config, cfg: str) -> tuple[subprocess.Popen, dict]:
    """Start ``hubcat harvest slow`` and wait until its run is under way."""
    proc = hubcat(cfg, 'harvest', 'slow', '--no-progress')
    run = poll(lambda: running_runs(config), every=0.05, message='the harvest to start')[0]
    # the harvests that follow may go at the normal pace
    SourceRegistry(config.database_url).update('slow', options={})
    return proc, run


def test_a_killed_harvest_is_followed_at_once_by_a_successful_one(config, slow_source, tmp_path):
    cfg = write_config(tmp_path / 'pycsw.cfg', config)
    proc, run = start_and_catch_running(config, cfg)
    poll(lambda: stored_objects(config, slow_source.id), every=0.05,
         message='the first page to be stored')
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed = RunLog(config.database_url).list()[0]
    assert killed['id'] == run['id'] and killed['outcome'] == 'running'   # killed mid-harvest
    assert 0 < stored_objects(config, slow_source.id) < RECORDS          # pages stored so far
    listing = run_cli(cfg, 'runs', '--running')
    assert listing.exit_code == 0 and 'slow' in listing.stdout and run['owner'] in listing.stdout

    again = run_cli(cfg, 'harvest', 'slow', '--no-progress')

    assert again.exit_code == 0, again.stderr
    assert 'slow: success' in again.stdout
    history = {r['id']: r for r in RunLog(config.database_url).list()}
    assert history[run['id']]['outcome'] == 'failed'
    assert history[run['id']]['errors'][0].startswith('interrupted:')
    assert stored_objects(config, slow_source.id) == RECORDS
    assert 'no running harvests' in run_cli(cfg, 'runs', '--running').stdout


def test_a_hung_harvest_blocks_until_force_takes_its_lease_over(config, slow_source, tmp_path):
    cfg = write_config(tmp_path / 'pycsw.cfg', config)
    proc, run = start_and_catch_running(config, cfg)
    proc.send_signal(signal.SIGSTOP)          # alive, but its heartbeat stopped
    try:
        _, until = holder(config.database_url, slow_source.id)
        assert until <= datetime.now(timezone.utc) + timedelta(minutes=2)   # default lease
        busy = run_cli(cfg, 'harvest', 'slow', '--no-progress')
        assert busy.exit_code != 0
        assert 'skipped' in busy.stderr and '--force' in busy.stderr

        forced = run_cli(cfg, 'harvest', 'slow', '--no-progress', '--force')

        assert forced.exit_code == 0, forced.stderr
        assert 'slow: success' in forced.stdout
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    hung = {r['id']: r for r in RunLog(config.database_url).list()}[run['id']]
    assert hung['outcome'] == 'failed' and hung['errors'][0].startswith('interrupted:')


def test_a_lease_expires_soon_after_the_last_heartbeat(config, slow_source, tmp_path):
    cfg = write_config(tmp_path / 'pycsw.cfg', config, lease='2s')
    proc, run = start_and_catch_running(config, cfg)
    proc.send_signal(signal.SIGSTOP)
    try:
        def expired():
            _, until = holder(config.database_url, slow_source.id)
            return until is not None and until < datetime.now(timezone.utc)
        poll(expired, every=0.05, message='the lease to expire')

        again = run_cli(cfg, 'harvest', 'slow', '--no-progress')

        assert again.exit_code == 0, again.stderr
        assert 'slow: success' in again.stdout
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_a_harvest_that_writes_nothing_for_longer_than_its_lease_keeps_it(config):
    """The heartbeat renews the lease while the run works: a harvest waiting on one slow
    answer writes nothing (no write renews the lease) past the end of the lease it took,
    yet the source stays its own and another harvest is refused until it ends."""
    short = make_config(config.database_url, **{'hubcat:harvest': {'lease': '4s'}})
    hanging = HangingServer()
    source = SourceRegistry(config.database_url).add(hanging.url(), 'sta', name='waiting',
                                                     options={'timeout': 600, 'retries': 0})
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_harvest, short, source.id)
        try:
            poll(lambda: hanging.accepted, every=0.05, message='the harvest to ask the source')
            owner, first_end = holder(config.database_url, source.id)

            def held_past_its_first_lease():
                now = datetime.now(timezone.utc)
                current, until = holder(config.database_url, source.id)
                return current == owner and until > now > first_end
            poll(held_past_its_first_lease, every=0.05, message='a renewed lease')
            with pytest.raises(SourceBusy):
                run_harvest(short, source.id)
            assert [run['owner'] for run in running_runs(config)] == [owner]
        finally:
            hanging.close()                   # the answer never comes: the run ends
        report = running.result(timeout=120)
    assert report.outcome == 'failed'
    assert holder(config.database_url, source.id) == (None, None)
    assert running_runs(config) == []


def test_the_scheduler_marks_a_killed_run_interrupted(config, slow_source, tmp_path):
    from hubcat.scheduler import HubCatScheduler
    cfg = write_config(tmp_path / 'pycsw.cfg', config)
    proc, run = start_and_catch_running(config, cfg)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    sched = HubCatScheduler(config).start()
    sched.shutdown()

    assert running_runs(config) == []
    marked = RunLog(config.database_url).list()[0]
    assert marked['id'] == run['id'] and marked['outcome'] == 'failed'
    assert 'interrupted' in marked['errors'][0]


def _refuse_writes(engine) -> None:
    """A real database error on every write to the records table (a trigger)."""
    with engine.begin() as conn:
        if engine.dialect.name == 'sqlite':
            for event in ('INSERT', 'UPDATE'):
                conn.execute(text(f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON records "
                                  "BEGIN SELECT RAISE(ABORT, 'no space left on device'); END"))
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'no space left on device'; END $$ LANGUAGE plpgsql"))
            conn.execute(text('CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON records '
                              'FOR EACH ROW EXECUTE FUNCTION refuse()'))


def test_a_database_error_while_storing_fails_the_run_and_keeps_the_records(config, sta_server):
    source = SourceRegistry(config.database_url).add(sta_server, 'sta', name='full')
    assert run_harvest(config, source.id).outcome == 'success'
    _refuse_writes(get_engine(config.database_url))

    report = run_harvest(config, source.id)

    assert report.outcome == 'failed'
    assert 'database error while storing' in report.errors[0]
    assert 'no space left on device' in report.errors[0]
    stored = RunLog(config.database_url).list()[0]
    assert stored['outcome'] == 'failed' and 'no space left on device' in stored['errors'][0]
    assert holder(config.database_url, source.id) == (None, None)
    assert stored_objects(config, source.id) == RECORDS
