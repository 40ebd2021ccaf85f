"""Real peers for the federation tests, all on 127.0.0.1.

* stock pycsw 2.6.2 servers started by ``../shared/peers/csw_peer.sh``
  (ports ``HUBCAT_TEST_CSW_PORT`` (default 8493): all 29 fixture records; the next
  port: the 17 ISO records, so 17 duplicates);
* a stock pycsw (this venv's) serving the first peer's database with the ebRIM profile,
  in a thread;
* a peer that accepts connections and never answers, one that answers with an
  OWS ExceptionReport, one that answers plain text, and a closed port;
* HubCat federators: Flask apps served by werkzeug in threads on port 0.

Import the fixtures into a test module (``from federation_fixtures import ...``).
Servers started by a session fixture are stopped at the end of the session.
"""
from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

import pytest
from flask import Flask
from werkzeug.serving import make_server

from hubcat.config import Config

from conftest import CSW_PORTS_PER_WORKER, PEERS, peers_dir, start_peer, worker_offset

PEER_SCRIPT = os.environ.get('HUBCAT_CSW_PEER_SCRIPT', str(PEERS / 'csw_peer.sh'))
#: this process' first peer port (a pytest-xdist worker shifts it: conftest.worker_offset)
CSW_PORT = (int(os.environ.get('HUBCAT_TEST_CSW_PORT', '8493'))
            + worker_offset(CSW_PORTS_PER_WORKER))
RECORDS = os.path.join(os.path.dirname(PEER_SCRIPT), '..', 'fixtures', 'csw_records')
_STARTED: dict = {}


def _start_csw_peer(request, port: int, records: Optional[str] = None) -> str:
    """Start (once per session) a stock pycsw peer; its URL."""
    if port in _STARTED:
        return _STARTED[port]
    env = dict(os.environ, CSW_PEER_PORT=str(port), CSW_PEER_TITLE=f'pycsw peer {port}')
    if records:
        env['CSW_PEER_RECORDS'] = records
    venv = Path(os.environ.get('CSW_PEER_VENV') or peers_dir() / 'cswvenv') / 'bin'
    start_peer([PEER_SCRIPT, 'start'], env, installed=(venv / 'pycsw-admin.py', venv / 'gunicorn'),
               timeout=600)
    url = f'http://127.0.0.1:{port}/csw'
    _STARTED[port] = url

    def stop():
        subprocess.run([PEER_SCRIPT, 'stop'], env=env, check=False, timeout=60,
                       stdout=subprocess.DEVNULL)
        _STARTED.pop(port, None)
    request.addfinalizer(stop)
    return url


@pytest.fixture(scope='session')
def pycsw_all(request) -> str:
    """A stock pycsw with all 29 fixture records (12 DC, 17 ISO)."""
    return _start_csw_peer(request, CSW_PORT)


@pytest.fixture(scope='session')
def pycsw_iso(request) -> str:
    """A second stock pycsw holding the 17 ISO records (all also in ``pycsw_all``)."""
    return _start_csw_peer(request, CSW_PORT + 1, os.path.join(RECORDS, 'apiso_iso'))


class ServerThread:
    """A WSGI app served by werkzeug on 127.0.0.1:0 in a daemon thread."""

    def __init__(self, app, path: str = '/csw'):
        self.server = make_server('127.0.0.1', 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f'http://127.0.0.1:{self.port}{path}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope='session')
def pycsw_ebrim(pycsw_all, tmp_path_factory) -> str:
    """A stock pycsw (this venv's) with profiles apiso and ebrim over the first peer's database."""
    from pycsw.wsgi import application
    work = tmp_path_factory.mktemp('ebrim')
    source = peers_dir() / f'csw-{CSW_PORT}' / 'pycsw.cfg'
    lines = []
    for line in open(source, encoding='utf-8'):
        if line.startswith('profiles='):
            line = 'profiles=apiso,ebrim\n'
        elif line.startswith('logfile='):
            line = f'logfile={work}/pycsw.log\n'
        lines.append(line)
    cfg = work / 'pycsw.cfg'
    cfg.write_text(''.join(lines), encoding='utf-8')

    def app(environ, start_response):
        environ['PYCSW_CONFIG'] = str(cfg)
        return application(environ, start_response)
    server = ServerThread(app)
    yield server.url
    server.stop()


class HangingPeer:
    """Accepts TCP connections and never answers (until stopped)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.url = f'http://127.0.0.1:{self.sock.getsockname()[1]}/csw'
        self.stopped = threading.Event()
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)  # read nothing, answer nothing

    def stop(self) -> None:
        """Close every held connection and the listening socket."""
        self.stopped.set()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture(scope='session')
def hanging_peer():
    """URL of a peer that accepts and never answers."""
    peer = HangingPeer()
    yield peer.url
    peer.stop()


EXCEPTION_REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0">
  <ows:Exception exceptionCode="NoApplicableCode" locator="service">
    <ows:ExceptionText>Database is under maintenance</ows:ExceptionText>
  </ows:Exception>
</ows:ExceptionReport>"""


def _fixed_app(status: str, content_type: str, body: bytes):
    def app(environ, start_response):
        environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
        start_response(status, [('Content-Type', content_type),
                                ('Content-Length', str(len(body)))])
        return [body]
    return app


@pytest.fixture(scope='session')
def exception_peer():
    """URL of a peer that answers every request with an OWS ExceptionReport."""
    server = ServerThread(_fixed_app('200 OK', 'application/xml', EXCEPTION_REPORT))
    yield server.url
    server.stop()


@pytest.fixture(scope='session')
def text_peer():
    """URL of a peer that answers plain text (not XML)."""
    server = ServerThread(_fixed_app('200 OK', 'text/plain',
                                     b'Service temporarily unavailable, try later'))
    yield server.url
    server.stop()


@pytest.fixture(scope='session')
def down_peer() -> str:
    """URL of a closed port (connection refused)."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return f'http://127.0.0.1:{port}/csw'


def make_config(tmp_path, peers: dict, name: str = 'hubcat', token: str = '',
                include_local: bool = False, default_timeout: float = 5,
                database: Optional[str] = None) -> Config:
    """A Config file in ``tmp_path`` with ``[hubcat:peers]`` lines ``name = url [timeout]``
    (database: SQLite ``<tmp_path>/<name>.db`` unless ``database`` is given)."""
    lines = ['[repository]', f'database={database or f"sqlite:///{tmp_path}/{name}.db"}', '',
             '[hubcat]', f'admin_token={token}', '',
             '[hubcat:federation]', f'include_local={str(include_local).lower()}',
             f'default_timeout={default_timeout}', '', '[hubcat:peers]']
    lines += [f'{peer} = {value}' for peer, value in peers.items()]
    path = tmp_path / f'{name}.cfg'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return Config(str(path), environ={})


def make_app(config: Config) -> Flask:
    """A HubCat app (main's factory: /csw, /federated/csw, /api/search, /api/peers)."""
    from hubcat.app import create_app
    return create_app(config)


def serve(app: Flask) -> ServerThread:
    """Serve ``app`` over HTTP in a thread; the federated endpoint is ``.url``."""
    return ServerThread(app, '/federated/csw')


def timed(func, *args, **kwargs):
    """(result, seconds)."""
    started = time.monotonic()
    result = func(*args, **kwargs)
    return result, time.monotonic() - started
