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
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {config.database_url}\n', encoding='utf-8')
    log = tmp_path / 'gunicorn.log'
    env = dict(os.environ, HUBCAT_CONFIG=str(cfg))
    proc = subprocess.Popen([sys.executable, '-m', 'gunicorn', '--workers', str(WORKERS),
                             '--bind', '127.0.0.1:0', '--error-logfile', str(log),
                             'hubcat.app:create_app()'],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        port = poll(lambda: _listening_port(log), every=0.05, message='gunicorn to listen')
        base = f'http://127.0.0.1:{port}'
        poll(lambda: len(_children(proc.pid)) == WORKERS, every=0.05,
             message='the workers to start')
        yield base, proc, len(records)
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
