"""The production web server (issue 13 point 6): a real gunicorn with several workers serving
``hubcat.app:create_app()`` on 127.0.0.1 answers /csw, and its federated endpoint, with the
server's own /csw as a peer, answers concurrent clients (sync workers: one request each at a
time, so asking itself over HTTP would deadlock).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from lxml import etree
from ops_servers import poll
from records_factory import station

from hubcat.catalogue import Catalogue
from hubcat.federation.peers import add_peer

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
WORKERS = 3
GETRECORDS = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords',
              'typeNames': 'csw:Record', 'resultType': 'results', 'elementSetName': 'brief',
              'maxRecords': '50'}


@pytest.fixture
def gunicorn(config, tmp_path):
    """``gunicorn -w 3 'hubcat.app:create_app()'`` on 127.0.0.1 (a free port), its config
    in ``$HUBCAT_CONFIG``; yields (base URL, process, number of records held)."""
    records = station()
    Catalogue(config.database_url).sync(1, records)
    with running_gunicorn(config, tmp_path, WORKERS) as (base, proc):
        yield base, proc, len(records)


@contextmanager
def running_gunicorn(config, tmp_path: Path, workers: int, threads: int = 1):
    """A real gunicorn serving ``hubcat.app:create_app()`` on ``config``'s database with
    ``workers`` processes (``threads`` > 1: gthread workers); yields (base URL, process)."""
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {config.database_url}\n', encoding='utf-8')
    log = tmp_path / 'gunicorn.log'
    env = dict(os.environ, HUBCAT_CONFIG=str(cfg))
    proc = subprocess.Popen([sys.executable, '-m', 'gunicorn', '--workers', str(workers),
                             '--threads', str(threads), '--bind', '127.0.0.1:0',
                             '--error-logfile', str(log), 'hubcat.app:create_app()'],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        port = poll(lambda: _listening_port(log), every=0.05, message='gunicorn to listen')
        poll(lambda: len(_children(proc.pid)) == workers, every=0.05,
             message='the workers to start')
        yield f'http://127.0.0.1:{port}', proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _listening_port(log: Path):
    text = log.read_text(encoding='utf-8', errors='replace') if log.exists() else ''
    match = re.search(r'Listening at: http://127\.0\.0\.1:(\d+)', text)
    return int(match.group(1)) if match else None


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    path = Path(f'/proc/{pid}/task/{pid}/children')
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _matched(resp: requests.Response) -> int:
    return int(etree.fromstring(resp.content).find(f'{{{CSW}}}SearchResults')
               .get('numberOfRecordsMatched'))


def test_gunicorn_workers_serve_csw_and_federate_with_themselves(gunicorn, config):
    base, proc, holdings = gunicorn

    def get(path):
        return lambda _: requests.get(base + path, params=GETRECORDS, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(get('/csw'), range(8)))

    assert len(_children(proc.pid)) == WORKERS
    for resp in answers:
        assert resp.status_code == 200
        assert _matched(resp) == holdings
    assert requests.get(base + '/healthz', timeout=60).json()['status'] == 'ok'

    add_peer(config, base + '/csw', name='myself', timeout=5, probe=False)
    with ThreadPoolExecutor(2 * WORKERS) as pool:
        answers = list(pool.map(get('/federated/csw'), range(2 * WORKERS)))

    for resp in answers:
        assert resp.status_code == 200
        assert resp.headers['X-HubCat-Peers'] == 'myself=ok'
        assert _matched(resp) == holdings


def test_gunicorn_workers_answer_many_clients_while_a_harvest_writes(config, tmp_path):
    """Two gunicorn workers of four threads each, 24 clients at once (GetRecords with a
    filter, hits, GetRecordById) while the catalogue is rewritten from this process: every
    request is answered, none with an error (SQLite: WAL, busy timeout, pooled connections
    in every worker; PostgreSQL: each worker's pool)."""
    records = station(n_things=4, per_thing=3)
    catalogue = Catalogue(config.database_url)
    catalogue.sync(1, records)
    datastreams = [r.identifier for r in records if ':ds:' in r.identifier]
    like = (f'<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc" '
            'service="CSW" version="2.0.2" resultType="{result}" maxRecords="5">'
            '<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
            '<csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%" '
            'singleChar="_" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName>'
            '<ogc:Literal>%stream%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>'
            '</csw:Constraint></csw:Query></csw:GetRecords>')
    with running_gunicorn(config, tmp_path, workers=2, threads=4) as (base, _proc):
        def ask(i):
            if i % 3 == 2:
                ident = datastreams[i % len(datastreams)]
                return ident, requests.get(base + '/csw', timeout=120, params={
                    'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById',
                    'id': ident, 'elementSetName': 'brief'})
            body = like.replace('{result}', 'hits' if i % 3 else 'results')
            return None, requests.post(base + '/csw', data=body.encode(), timeout=120,
                                       headers={'Content-Type': 'application/xml'})

        with ThreadPoolExecutor(24) as pool:
            pending = [pool.submit(ask, i) for i in range(240)]
            for round_ in range(5):   # the harvest rewrites every record meanwhile
                for record in records:
                    record.abstract = f'revision {round_}'
                catalogue.sync(1, records)
            answers = [future.result() for future in pending]

    for ident, resp in answers:
        assert resp.status_code == 200, resp.text[:300]
        root = etree.fromstring(resp.content)
        assert etree.QName(root).localname != 'ExceptionReport'
        if ident:
            assert [e.text for e in root.iter('{http://purl.org/dc/elements/1.1/}identifier')] \
                == [ident]
        else:
            assert _matched(resp) == len(datastreams)


def test_gunicorn_workers_upgrade_an_older_catalogue_once(config, tmp_path):
    """Four workers start at once on a catalogue that needs ``hubcat init``'s upgrade (a
    column its HubCat did not have yet): each initialises the database as it starts, one
    at a time (they deadlocked on PostgreSQL's ALTER TABLE), so every worker boots and
    serves, and the upgrade is there once."""
    from sqlalchemy import inspect, text

    from hubcat.db import dispose_engine, get_engine
    records = station()
    Catalogue(config.database_url).sync(1, records)
    with get_engine(config.database_url).begin() as conn:
        conn.execute(text('ALTER TABLE records DROP COLUMN hc_external_ids'))
        conn.execute(text("DELETE FROM hubcat_record_values WHERE field = 'hc_external_ids'"))
    dispose_engine(config.database_url)
    with running_gunicorn(config, tmp_path, workers=4) as (base, proc):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: requests.get(base + '/csw', params=GETRECORDS,
                                                           timeout=120), range(16)))
        assert len(_children(proc.pid)) == 4
    for resp in answers:
        assert resp.status_code == 200
        assert _matched(resp) == len(records)
    log = (tmp_path / 'gunicorn.log').read_text(encoding='utf-8', errors='replace')
    assert 'Worker failed to boot' not in log and 'Traceback' not in log, log[-3000:]
    columns = [c['name'] for c in inspect(get_engine(config.database_url)).get_columns('records')]
    assert columns.count('hc_external_ids') == 1
