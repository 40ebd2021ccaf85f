"""Harvests on a real Celery queue (issue 13 point 5): Redis at 127.0.0.1:6379 as the broker,
two real ``hubcat worker`` processes, 20 real STA servers (distinct endpoints) and the
catalogue database of the test (SQLite, and PostgreSQL when configured).

Every source enqueued in a round (some twice) is harvested exactly once in that round,
runs of one source never overlap, every run's lease owner is one of the two workers,
both workers work, and every source ends with its records stored.  ``hubcat scheduler``
with a broker only enqueues: the workers run its harvests.  A worker on RabbitMQ works the same,
and without a broker ``hubcat worker`` / ``hubcat enqueue`` say so in one line.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import redis

from conftest import _BACKENDS, make_config, make_database, test_port
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.queue import SKIPPED, celery_app, enqueue_harvest
from hubcat.runs import RunLog
from hubcat.sources import SourceRegistry
from ops_servers import poll
from sta_expand_ignoring_server import ExpandIgnoringServer

SOURCES = 20
REDIS_PORT = 6379
#: this run's Redis database: derived from the test ports (per pytest-xdist worker too), so
#: parallel runs do not clash
REDIS_DB = test_port(0) % 16


@pytest.fixture(scope='module')
def broker() -> str:
    """The URL of an empty Redis database of this test run."""
    client = redis.Redis(host='127.0.0.1', port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    client.close()
    return f'redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}'


@pytest.fixture(scope='module')
def sta_servers():
    """21 small real STA servers, 21 distinct endpoints (one source per endpoint): 20 for
    the workers' round, one for the scheduler."""
    servers = [ExpandIgnoringServer(things=3, streams=2) for _ in range(SOURCES + 1)]
    yield [server.root for server in servers]
    with ThreadPoolExecutor(len(servers)) as pool:   # each waits up to half a second
        list(pool.map(lambda server: server.close(), servers))


def write_config(path, config, broker: str, queue: str, **sections) -> str:
    """A pycsw.cfg for ``hubcat`` subprocesses: the test's database, the broker, a queue."""
    sections['hubcat'] = {'broker_url': broker, 'queue': queue, **sections.get('hubcat', {})}
    lines = ['[repository]', f'database = {config.database_url}']
    for section, values in sections.items():
        lines.append(f'[{section}]')
        lines += [f'{key} = {value}' for key, value in values.items()]
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return str(path)


class Workers:
    """Real ``hubcat worker`` processes on one config, stopped (SIGTERM) at teardown."""

    def __init__(self, config, cfg_path: str, tmp_path):
        self.config = config
        self.cfg_path = cfg_path
        self.tmp_path = tmp_path
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, count: int) -> 'Workers':
        """Start ``count`` workers (2 harvest threads each) and wait until all answer a ping."""
        for number in range(count):
            name = f'w{number}-{uuid.uuid4().hex[:6]}@%h'
            log = open(self.tmp_path / f'worker{number}.log', 'w', encoding='utf-8')
            self.procs[name] = subprocess.Popen(
                [sys.executable, '-m', 'hubcat', '--config', self.cfg_path, 'worker',
                 '--concurrency', '2', '--name', name], stdout=log, stderr=subprocess.STDOUT)
        app = celery_app(self.config)

        def all_answer():
            for proc in self.procs.values():
                assert proc.poll() is None, f'a worker exited: {self.logs()}'
            replies = app.control.ping(timeout=1.0)
            names = {name.split('@')[0] for reply in replies for name in reply}
            return {name.split('@')[0] for name in self.procs} <= names
        poll(all_answer, message='both workers ready')
        return self

    @property
    def pids(self) -> set[int]:
        """The workers' process ids (what their runs' lease owners name)."""
        return {proc.pid for proc in self.procs.values()}

    def logs(self) -> str:
        """Everything the workers printed (for failure messages)."""
        return '\n'.join(path.read_text(encoding='utf-8')
                         for path in sorted(self.tmp_path.glob('worker*.log')))

    def stop(self) -> None:
        """Drop the harvests still queued, then a warm shutdown of every worker."""
        celery_app(self.config).control.purge()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope='module', params=_BACKENDS)
def queue_config(request, broker, tmp_path_factory):
    """(config, pycsw.cfg path) of a fresh catalogue (each backend in turn) with the broker
    and a queue of its own."""
    tmp_path = tmp_path_factory.mktemp('queue')
    database_url, cleanup = make_database(request.param, tmp_path)
    queue = f'hubcat-test-{uuid.uuid4().hex[:8]}'
    fast = {'reconcile_interval': '1s', 'min_interval': '1s'}
    config = make_config(database_url, hubcat={'broker_url': broker, 'queue': queue},
                         **{'hubcat:scheduler': fast})
    init_db(config.database_url, config.table)
    yield config, write_config(tmp_path / 'pycsw.cfg', config, broker, queue,
                               **{'hubcat:scheduler': fast})
    cleanup()


@pytest.fixture(scope='module')
def workers(queue_config, tmp_path_factory):
    """Two real ``hubcat worker`` processes on the module's catalogue and queue."""
    config, cfg = queue_config
    started = Workers(config, cfg, tmp_path_factory.mktemp('workers')).start(2)
    yield started
    started.stop()


def enqueue_round(config, source_ids: list[int], twice: list[int]) -> list:
    """Enqueue one round (``twice`` sent a second time) and wait for every task's result."""
    requested = datetime.now(timezone.utc)
    tasks = [enqueue_harvest(config, sid, trigger='manual', requested=requested)
             for sid in source_ids + twice]
    return [task.get(timeout=300) for task in tasks]


def owner_pid(owner: str) -> int:
    """The process id in a lease owner ``host:pid:id``."""
    return int(owner.split(':')[-2])


def test_two_workers_share_20_sources_with_no_overlap_and_no_loss(queue_config, workers,
                                                                    sta_servers):
    config, _cfg = queue_config
    registry = SourceRegistry(config.database_url)
    ids = [registry.add(url, 'sta', name=f'queued-{n:02d}').id
           for n, url in enumerate(sta_servers[:SOURCES])]

    first = enqueue_round(config, ids, twice=ids[:5])
    second = enqueue_round(config, ids, twice=ids[10:15])

    for results in (first, second):   # each round: every source once, each duplicate skipped
        reports = [r for r in results if r != SKIPPED]
        assert len(reports) == SOURCES, workers.logs()
        assert sorted(r['source'] for r in reports) == sorted(f'queued-{n:02d}'
                                                               for n in range(SOURCES))
        assert results.count(SKIPPED) == 5
    runs = RunLog(config.database_url)
    owners = set()
    catalogue = Catalogue(config.database_url, config.table)
    for source_id in ids:
        history = sorted(runs.list(source_id), key=lambda run: run['id'])
        assert [run['outcome'] for run in history] == ['success', 'success'], history
        (earlier, later) = history
        assert earlier['ended'] <= later['started']           # never two runs at once
        owners |= {owner_pid(run['owner']) for run in history}
        assert catalogue.rows(source_id), f'source {source_id} has no records'
    assert owners == workers.pids            # every run by one of the workers, both worked


def test_the_scheduler_enqueues_due_harvests_and_the_workers_run_them(queue_config, workers,
                                                                      sta_servers):
    config, cfg = queue_config
    source = SourceRegistry(config.database_url).add(sta_servers[SOURCES], 'sta', name='every-1s',
                                                     schedule='1s')
    runs = RunLog(config.database_url)

    def two_scheduled_runs():
        done = [run for run in runs.list(source.id)
                if run['trigger'] == 'scheduled' and run['outcome'] == 'success']
        return done if len(done) >= 2 else None

    scheduler = subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', cfg, 'scheduler'],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        done = poll(two_scheduled_runs, message='two scheduled runs')
    finally:
        scheduler.send_signal(signal.SIGTERM)
        _out, err = scheduler.communicate(timeout=60)
    assert {owner_pid(run['owner']) for run in done} <= workers.pids, err
    assert scheduler.pid not in {owner_pid(run['owner']) for run in done}
    assert 'enqueued' in err


RABBITMQ = 'amqp://guest:guest@127.0.0.1:5672//'


@pytest.fixture
def rabbitmq_config(tmp_path):
    """(config, pycsw.cfg path) of a fresh SQLite catalogue on RabbitMQ, with a queue of its
    own (deleted at teardown) and results sent back over the broker (``rpc://``)."""
    database_url, cleanup = make_database('sqlite', tmp_path)
    queue = f'hubcat-test-{uuid.uuid4().hex[:8]}'
    settings = {'broker_url': RABBITMQ, 'queue': queue, 'result_backend': 'rpc://'}
    config = make_config(database_url, hubcat=settings)
    init_db(config.database_url, config.table)
    yield config, write_config(tmp_path / 'pycsw.cfg', config, RABBITMQ, queue,
                               **{'hubcat': {'result_backend': 'rpc://'}})
    with celery_app(config).connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)
    cleanup()


def test_a_worker_on_rabbitmq_runs_queued_harvests(rabbitmq_config, sta_servers, tmp_path):
    config, cfg = rabbitmq_config
    registry = SourceRegistry(config.database_url)
    ids = [registry.add(url, 'sta', name=f'amqp-{n}').id for n, url in enumerate(sta_servers[:3])]
    worker = Workers(config, cfg, tmp_path).start(1)
    try:
        results = enqueue_round(config, ids, twice=ids[:1])
    finally:
        worker.stop()
    assert sorted(r['source'] for r in results if r != SKIPPED) == ['amqp-0', 'amqp-1', 'amqp-2']
    assert results.count(SKIPPED) == 1
    for source_id in ids:
        (run,) = RunLog(config.database_url).list(source_id)
        assert run['outcome'] == 'success' and owner_pid(run['owner']) in worker.pids


def test_worker_and_enqueue_without_a_broker_say_so(tmp_path):
    from click.testing import CliRunner

    from hubcat.cli import cli
    database_url, cleanup = make_database('sqlite', tmp_path)
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {database_url}\n', encoding='utf-8')
    for command in (['worker'], ['enqueue', '--all']):
        result = CliRunner().invoke(cli, ['--config', str(cfg), *command])
        assert result.exit_code != 0
        assert 'no broker configured: set [hubcat] broker_url' in result.output
    cleanup()
