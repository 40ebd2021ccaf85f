"""Shared pytest fixtures: catalogue databases (SQLite always, PostgreSQL when
``HUBCAT_TEST_DATABASE_URL`` is set), configs, live HTTP servers on 127.0.0.1,
paths to the shared real-world fixtures, real peer STA servers and tiny crafted
HTTP servers.

STA ports: ``HUBCAT_TEST_STA_PORT`` (default 8191) is the session STA server;
tests that need their own STA server or a crafted HTTP server take the next
ports (see :func:`test_port`). Under pytest-xdist (``.ci/run`` runs ``-n 2``) each
worker shifts every test port by its number (:func:`worker_offset`), so workers never
share a port, a peer server or a Redis database.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'
FIXTURES = SHARED / 'fixtures'
PEERS = SHARED / 'peers'
ADMIN_TOKEN = 'test-admin-token'



def pytest_sessionstart(session):
    """Stop at once, with one clear line, when ../shared is not beside the project."""
    if not FIXTURES.is_dir() or not PEERS.is_dir():
        pytest.exit(f'{SHARED} is missing: the tests read ../shared/fixtures and ../shared/peers '
                    'beside the project (clone the project next to shared/)', returncode=4)


#: the modules that take longest (``--durations``, whole suite), longest first: collected
#: before the others, so that under pytest-xdist (``--dist loadscope`` hands out whole
#: modules in collection order with ``--no-loadscope-reorder``, as .ci/run runs it) none of
#: them starts last while the other worker idles
LONG_MODULES = ('test_scheduler.py', 'test_scale_storage.py', 'test_status_lifecycle.py',
                'test_run_crash.py', 'test_sensor_records.py', 'test_celery_workers.py',
                'test_cli.py', 'test_records_api.py', 'test_sta_removed.py',
                'test_sos_harvest.py', 'test_records_sorting.py', 'test_map_page.py')


def pytest_collection_modifyitems(config, items):
    """Run the :data:`LONG_MODULES` first (each keeps its own order of tests)."""
    rank = {name: place for place, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


#: the stores every catalogue test runs on: SQLite, PostgreSQL when
#: HUBCAT_TEST_DATABASE_URL is set, PostgreSQL with PostGIS when
#: HUBCAT_TEST_POSTGIS_DATABASE_URL names a server that has it (.ci/run sets both)
_BACKENDS = (['sqlite'] + (['postgresql'] if os.environ.get('HUBCAT_TEST_DATABASE_URL') else [])
             + (['postgis'] if os.environ.get('HUBCAT_TEST_POSTGIS_DATABASE_URL') else []))
#: the same stores (the storage and search tests' name for them)
SEARCH_BACKENDS = _BACKENDS
#: the role that owns 'postgresql' test databases: not a superuser, so `hubcat init` cannot
#: create PostGIS there even when the server has it (the envelope functions stay tested);
#: it logs in with the admin URL's password, if that has one
_PLAIN_ROLE = 'hubcat_test_plain'


def _plain_role(conn, password) -> None:
    """Create the non-superuser owner of plain PostgreSQL test databases, once per server."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    if conn.execute(text('SELECT count(*) FROM pg_roles WHERE rolname = :r'),
                    {'r': _PLAIN_ROLE}).scalar():
        return
    secret = " PASSWORD '%s'" % password.replace("'", "''") if password else ''
    try:
        conn.execute(text(f'CREATE ROLE {_PLAIN_ROLE} LOGIN{secret}'))
    except DBAPIError:  # another test session created it at the same moment
        pass


def _new_postgres_database(postgis: bool = False) -> tuple[str, callable]:
    """A fresh PostgreSQL database and its dropper: on the server of
    HUBCAT_TEST_POSTGIS_DATABASE_URL (owned by that superuser: init creates PostGIS) when
    ``postgis``, else on HUBCAT_TEST_DATABASE_URL's, owned by a role that cannot."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hubcat.db import dispose_engine
    env = 'HUBCAT_TEST_POSTGIS_DATABASE_URL' if postgis else 'HUBCAT_TEST_DATABASE_URL'
    admin_url = make_url(os.environ[env])
    name = f'hubcat_test_{uuid.uuid4().hex[:12]}'
    admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        if postgis:
            conn.execute(text(f'CREATE DATABASE {name}'))
            url = admin_url.set(database=name)
        else:
            _plain_role(conn, admin_url.password)
            conn.execute(text(f'CREATE DATABASE {name} OWNER {_PLAIN_ROLE}'))
            url = admin_url.set(database=name, username=_PLAIN_ROLE)
    url = str(url.render_as_string(hide_password=False))

    def drop():
        dispose_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()
    return url, drop


def make_database(backend: str, tmp_path: Path) -> tuple[str, callable]:
    """(url, cleanup) of an empty catalogue database of the given backend."""
    from hubcat.db import dispose_engine
    if backend in ('postgresql', 'postgis'):
        return _new_postgres_database(postgis=backend == 'postgis')
    url = f'sqlite:///{tmp_path / f"catalogue-{uuid.uuid4().hex[:6]}.db"}'
    return url, lambda: dispose_engine(url)


@pytest.fixture(params=_BACKENDS)
def database_url(request, tmp_path):
    """An empty catalogue database URL (each backend in turn)."""
    url, cleanup = make_database(request.param, tmp_path)
    yield url
    cleanup()


def make_config(database_url: str, **overrides):
    """A hermetic Config (no environment) on the given database, with the test admin token."""
    from hubcat.config import Config
    sections = {'repository': {'database': database_url},
                'hubcat': {'admin_token': ADMIN_TOKEN}}
    for section, values in overrides.items():
        sections.setdefault(section, {}).update(values)
    return Config(path=None, overrides=sections, environ={})


@pytest.fixture
def config(database_url):
    """A Config on a fresh, initialised catalogue database."""
    from hubcat.db import init_db
    cfg = make_config(database_url)
    init_db(cfg.database_url, cfg.table)
    return cfg


class LiveServer:
    """A WSGI app served by waitress on 127.0.0.1 in a thread."""

    def __init__(self, app):
        from waitress.server import create_server
        self.server = create_server(app, host='127.0.0.1', port=0, threads=8)
        self.port = self.server.effective_port
        self.url = f'http://127.0.0.1:{self.port}'
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self):
        """Stop serving."""
        from hubcat.server import stop_server
        stop_server(self.server)
        self.thread.join(timeout=5)


@pytest.fixture
def hubcat_cli(database_url, tmp_path):
    """Invoke the CLI (``hubcat_cli('init')``) with a config file on a fresh database and the
    test admin token, no HUBCAT_* environment; ``.database_url`` names the database."""
    from click.testing import CliRunner

    from hubcat.cli import cli
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n[hubcat]\nadmin_token={ADMIN_TOKEN}\n')
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}

    def invoke(*args):
        return CliRunner().invoke(cli, ['--config', str(cfg), *args], env=env,
                                  catch_exceptions=False)
    invoke.database_url = database_url
    return invoke


@pytest.fixture
def served_config(config):
    """A LiveServer of the app on ``config`` (a fresh catalogue), ``.config`` set; closed after."""
    from hubcat.app import create_app
    server = LiveServer(create_app(config, init_database=False))
    server.config = config
    yield server
    server.close()


@pytest.fixture
def live_app():
    """A factory: live_app(app) -> LiveServer, closed at teardown."""
    servers = []

    def start(app):
        server = LiveServer(app)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.close()


# ---- SensorThings API: real peer servers, crafted servers, fixture files -----------------
#: test ports each pytest-xdist worker takes from a base (STA: offsets 0-4; CSW peers: 0-1)
STA_PORTS_PER_WORKER, CSW_PORTS_PER_WORKER = 5, 2


def worker_offset(ports_per_worker: int) -> int:
    """How far this pytest-xdist worker shifts a port base (``gw0``: 0, ``gw1``: one block
    of ``ports_per_worker``, ...); 0 without xdist."""
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    return int(worker[2:]) * ports_per_worker if worker[2:].isdigit() else 0


def test_port(offset: int = 0) -> int:
    """The test port ``HUBCAT_TEST_STA_PORT + offset`` (default base 8191), shifted by
    :func:`worker_offset` under pytest-xdist.

    Offsets in use: 0 session STA server, 1 an STA server a test may change,
    2 crafted HTTP servers, 3 a port nothing listens on, 4 the demo STA server.
    """
    return (int(os.environ.get('HUBCAT_TEST_STA_PORT', '8191'))
            + worker_offset(STA_PORTS_PER_WORKER) + offset)


test_port.__test__ = False   # not a test, despite its name


def peers_dir() -> Path:
    """Where ../shared/peers/*.sh keep their virtualenvs and servers (``$TMPDIR/hubcat-peers``)."""
    return Path(os.environ.get('TMPDIR') or '/tmp') / 'hubcat-peers'


def start_peer(command: list, env: dict, installed: tuple, timeout: float) -> None:
    """Run a ../shared/peers start ``command``. Until every path in ``installed`` exists (the
    script installs its virtualenv on first use), starts hold a lock, so that parallel test
    processes (pytest-xdist workers) never install into one virtualenv at once."""
    def run():
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, timeout=timeout)
    peers_dir().mkdir(parents=True, exist_ok=True)
    with open(peers_dir() / f'.install-{Path(command[0]).stem}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not all(Path(path).exists() for path in installed):
                run()   # installs, under the lock
                return
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    run()


class StaServer:
    """A real SensorThings API server (django-ogc-sensorthings) started by sta_server.sh.

    :param port: the port to serve on
    :param load_args: arguments for load_sta.py (empty: the default data set)
    """

    def __init__(self, port: int, load_args: tuple = ()):
        self.port = port
        self.load_args = tuple(load_args)
        self.env = dict(os.environ, STA_PEER_PORT=str(port))

    @property
    def url(self) -> str:
        """The service root, without a trailing slash (as a user would type it)."""
        return f'http://127.0.0.1:{self.port}/sensorthings/v1.1'

    def start(self) -> 'StaServer':
        """Install if needed, start with a fresh database and load the data set."""
        venv = Path(self.env.get('STA_PEER_VENV') or peers_dir() / 'stavenv')
        start_peer([str(PEERS / 'sta_server.sh'), 'start', *self.load_args], self.env,
                   installed=(venv / 'bin' / 'uvicorn',), timeout=900)
        return self

    def stop(self) -> None:
        """Stop the server this object started."""
        subprocess.run([str(PEERS / 'sta_server.sh'), 'stop'], env=self.env,
                       stdout=subprocess.DEVNULL, timeout=60)


@pytest.fixture(scope='session')
def fixtures_dir() -> Path:
    """The shared fixtures folder (read in place, never copied or edited)."""
    return FIXTURES


#: under pytest-xdist: the session STA server the workers share (its URL, written once)
_SHARED_STA = 'sta_server.url'


def _xdist_shared_dir(config) -> Path:
    """The folder every pytest-xdist worker of this run shares with the controller (the
    controller's base temp folder; each worker's is a subfolder of it)."""
    factory = config._tmp_path_factory
    base = factory.getbasetemp()
    return base.parent if hasattr(config, 'workerinput') else base


@pytest.fixture(scope='session')
def sta_server(request) -> str:
    """The root URL of a real STA server loaded with the default data set (50 Things,
    200 Datastreams), for the whole session. Tests must not change its data.

    Under pytest-xdist the workers share one such server: the first worker that needs it
    starts it (the others wait on a lock and read its URL) and the controller stops it at
    the end (:func:`pytest_sessionfinish`)."""
    if not hasattr(request.config, 'workerinput'):
        server = StaServer(test_port(0)).start()
        yield server.url
        server.stop()
        return
    shared = _xdist_shared_dir(request.config)
    with open(shared / (_SHARED_STA + '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / _SHARED_STA).exists():
            # on worker gw0's session-server port, which no worker uses for anything else
            port = test_port(0) - worker_offset(STA_PORTS_PER_WORKER)
            url = StaServer(port).start().url
            (shared / _SHARED_STA).write_text(url, encoding='utf-8')
        url = (shared / _SHARED_STA).read_text(encoding='utf-8')
    yield url


def pytest_sessionfinish(session):
    """Under pytest-xdist, the controller stops the session STA server the workers shared."""
    if hasattr(session.config, 'workerinput') or not session.config.pluginmanager.has_plugin(
            'dsession'):
        return
    marker = _xdist_shared_dir(session.config) / _SHARED_STA
    if marker.exists():
        StaServer(urlsplit(marker.read_text(encoding='utf-8')).port).stop()
        marker.unlink()


@pytest.fixture(scope='module')
def sta_server_mutable() -> str:
    """The root URL of a second real STA server (default data set) that a test module may
    change; started fresh per module, stopped after it."""
    server = StaServer(test_port(1)).start()
    yield server.url
    server.stop()


Handler = Callable[[str, dict], tuple[int, str, bytes]]


class CraftedServer:
    """A real ``http.server`` on 127.0.0.1 answering from a table of handlers.

    ``routes`` maps a path to ``handler(path, query) -> (status, content_type, body)``
    or to a fixed ``(status, content_type, body)``; other paths answer 404.
    """

    def __init__(self, port: int):
        self.routes: dict[str, object] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self):   # noqa: N802 (http.server's name)
                requests.append(self.path)
                parts = urlsplit(self.path)
                route = routes.get(parts.path)
                if route is None:
                    status, ctype, body = 404, 'text/html', b'<html><body>Not found</body></html>'
                elif callable(route):
                    status, ctype, body = route(parts.path, parse_qs(parts.query))
                else:
                    status, ctype, body = route
                self.send_response(status)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', port), _Handler)
        self.base = f'http://127.0.0.1:{port}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path: str, doc, status: int = 200) -> None:
        """Answer ``path`` with a JSON document."""
        self.routes[path] = (status, 'application/json', json.dumps(doc).encode('utf-8'))

    def close(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def crafted_server() -> CraftedServer:
    """A fresh crafted HTTP server (empty route table) on the crafted-server port."""
    server = CraftedServer(test_port(2))
    yield server
    server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    return f'http://127.0.0.1:{test_port(3)}/sensorthings/v1.1'


def load_recorded(name: str) -> dict:
    """One recorded response of the real STA server: ``{"request", "status", "body"}``."""
    path = FIXTURES / 'sta' / 'recorded_django-ogc-sensorthings-1.2.0' / name
    return json.loads(path.read_text(encoding='utf-8'))


def load_json(relative: str) -> Optional[dict]:
    """A JSON fixture below ``fixtures/sta``."""
    return json.loads((FIXTURES / 'sta' / relative).read_text(encoding='utf-8'))


# the filled, live HubCat shared by the web-face tests (session scope: harvested once)
from catalogue_fixtures import filled_hubcats, hubcat, hubcat_search, sos_url  # noqa: E402,F401
