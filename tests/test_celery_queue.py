"""Scale-out on Celery (issue 13 point 5): with a broker configured (the Redis server on
127.0.0.1:6379), the scheduler's due harvests and ``hubcat harvest --queue`` go on the task
queue, and two real ``hubcat worker`` processes share 20 sources: every source harvested, each
source's runs never overlapping, both workers at work, nothing lost.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hubcat.catalogue import Catalogue
from hubcat.db import get_engine
from hubcat.demo.data import generate
from hubcat.demo.sta import create_sta_app
from hubcat.models import runs as runs_table
from hubcat.sources import SourceRegistry

SOURCES = 20
BROKER = 'redis://127.0.0.1:6379/0'


def wait_for(predicate, what: str, limit: float = 300.0):
    """Poll ``predicate`` until it returns something true."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f'gave up waiting for {what}')


def many_services(count: int):
    """One WSGI app serving the demo's small STA service under ``count`` service roots."""
    service = next(s for s in generate().services if s.key == 'neighbour')
    apps = {f'/s{n}': create_sta_app(service, base_path=f'/s{n}/sta/v1.1')
            for n in range(1, count + 1)}

    def dispatch(environ, start_response):
        prefix = '/' + environ.get('PATH_INFO', '').lstrip('/').split('/', 1)[0]
        app = apps.get(prefix)
        if app is None:
            start_response('404 Not Found', [('Content-Type', 'text/plain')])
            return [b'not found']
        return app(environ, start_response)
    return dispatch, len(service.things) + len(service.datastreams) + 1


@pytest.fixture
def queued(config, tmp_path, live_app):
    """20 registered sources, a config with a fresh queue on the Redis broker, two workers."""
    app, objects = many_services(SOURCES)
    server = live_app(app)
    registry = SourceRegistry(config.database_url)
    sources = [registry.add(f'{server.url}/s{n}/sta/v1.1', 'sta', name=f'service-{n}')
               for n in range(1, SOURCES + 1)]
    queue = f'hubcat-test-{uuid.uuid4().hex[:8]}'
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {config.database_url}\n'
                   f'[hubcat]\nbroker_url = {BROKER}\nbroker_queue = {queue}\n', encoding='utf-8')
    workers, logs = [], []
    try:
        for n in (1, 2):
            log = tmp_path / f'worker-{n}.log'
            logs.append(log)
            with open(log, 'w') as handle:
                workers.append(subprocess.Popen(
                    [sys.executable, '-m', 'hubcat', '--config', str(cfg), 'worker',
                     '--concurrency', '2', '--name', f'w{n}-{queue}@%h'],
                    stdout=handle, stderr=subprocess.STDOUT, env=dict(os.environ)))
        for log in logs:
            wait_for(lambda: ' ready.' in log.read_text(errors='replace'), f'{log.name} ready')
        yield str(cfg), sources, objects, workers, queue
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        _drop_queue(queue)


def _drop_queue(queue: str) -> None:
    import redis
    redis.Redis.from_url(BROKER).delete(queue)


def _queue_length(queue: str) -> int:
    import redis
    return redis.Redis.from_url(BROKER).llen(queue)


def _runs(config) -> list:
    with get_engine(config.database_url).connect() as conn:
        return conn.execute(select(runs_table.c.source_id, runs_table.c.started,
                                   runs_table.c.ended, runs_table.c.outcome,
                                   runs_table.c.owner)).all()


def test_two_workers_share_twenty_sources_without_overlap_or_loss(config, queued):
    from hubcat.config import Config
    from hubcat.jobs import run_scheduled_harvest
    import hubcat.jobs as jobs
    cfg, sources, objects, workers, queue = queued
    worker_config = Config(cfg, environ={})
    saved = jobs._CONFIG
    jobs.bind_config(worker_config)            # as the scheduler does when it starts
    try:
        fired = [run_scheduled_harvest(source.id) for source in sources]   # every job due
    finally:
        jobs._CONFIG = saved
    assert all(item == {'source_id': s.id, 'queued': queue} for item, s in zip(fired, sources))
    from hubcat.cli import cli
    again = CliRunner().invoke(cli, ['--config', cfg, 'harvest', '--all', '--queue'])
    assert again.exit_code == 0, again.output
    assert again.output.count(f'queued on {queue}') == SOURCES

    def all_done():
        runs = _runs(config)
        done = {r.source_id for r in runs if r.outcome == 'success'}
        return (len(done) == SOURCES and not any(r.outcome == 'running' for r in runs)
                and _queue_length(queue) == 0)
    wait_for(all_done, 'every source harvested')

    runs = _runs(config)
    assert not any(r.outcome == 'failed' for r in runs)
    for source in sources:                     # one run of a source at a time
        mine = sorted((r for r in runs if r.source_id == source.id), key=lambda r: r.started)
        for before, after in zip(mine, mine[1:]):
            assert _utc(before.ended) <= _utc(after.started)
    pids = {int(r.owner.split(':')[-2]) for r in runs}
    assert pids == {proc.pid for proc in workers}          # both workers harvested
    catalogue = Catalogue(config.database_url, config.table)
    for source in sources:                     # nothing lost
        rows = catalogue.rows(source.id)
        assert sum(1 for row in rows if row['hc_kind'] != 'association') == objects


def test_without_a_broker_queueing_is_refused_with_one_line(config, tmp_path):
    from hubcat.cli import cli
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {config.database_url}\n', encoding='utf-8')
    result = CliRunner().invoke(cli, ['--config', str(cfg), 'worker'])
    assert result.exit_code != 0 and 'no broker configured' in result.output


def _utc(value):
    return value.replace(tzinfo=value.tzinfo or timezone.utc)
