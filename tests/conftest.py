"""Shared pytest fixtures: catalogue databases (SQLite always, PostgreSQL when
``HUBCAT_TEST_DATABASE_URL`` is set), configs, live HTTP servers on 127.0.0.1,
and paths to the shared real-world fixtures."""
from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'
FIXTURES = SHARED / 'fixtures'
PEERS = SHARED / 'peers'
ADMIN_TOKEN = 'test-admin-token'

_BACKENDS = ['sqlite'] + (['postgresql'] if os.environ.get('HUBCAT_TEST_DATABASE_URL') else [])


def _new_postgres_database() -> tuple[str, callable]:
    """A fresh PostgreSQL database on the server of HUBCAT_TEST_DATABASE_URL, and its dropper."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hubcat.db import dispose_engine
    admin_url = make_url(os.environ['HUBCAT_TEST_DATABASE_URL'])
    name = f'hubcat_test_{uuid.uuid4().hex[:12]}'
    admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE {name}'))
    url = str(admin_url.set(database=name).render_as_string(hide_password=False))

    def drop():
        dispose_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()
    return url, drop


def make_database(backend: str, tmp_path: Path) -> tuple[str, callable]:
    """(url, cleanup) of an empty catalogue database of the given backend."""
    from hubcat.db import dispose_engine
    if backend == 'postgresql':
        return _new_postgres_database()
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
