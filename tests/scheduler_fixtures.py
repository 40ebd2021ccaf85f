"""Fixtures of the scheduler tests: a catalogue whose schedulers reconcile every second, its
API client, and schedulers stopped at teardown."""
from __future__ import annotations

import pytest

from conftest import ADMIN_TOKEN, make_config
from hubcat.app import create_app
from hubcat.db import init_db
from hubcat.scheduler import start_background_scheduler

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
FAST = {'hubcat:scheduler': {'reconcile_interval': '1s', 'min_interval': '1s'}}


@pytest.fixture
def sched_config(database_url):
    """A config on a fresh catalogue whose schedulers reconcile every second."""
    config = make_config(database_url, **FAST)
    init_db(config.database_url, config.table)
    return config


@pytest.fixture
def client(sched_config):
    """The API client of that catalogue."""
    return create_app(sched_config, init_database=False).test_client()


@pytest.fixture
def schedulers():
    """Start schedulers through this; every one still running is stopped at teardown."""
    started = []

    def start(config):
        sched = start_background_scheduler(config)
        started.append(sched)
        return sched
    yield start
    for sched in started:
        sched.shutdown(wait=True)


def add_source(client, **fields) -> dict:
    """Register a source through the API (administrator token); its JSON."""
    resp = client.post('/api/sources', json=fields, headers=AUTH)
    assert resp.status_code == 201, resp.json
    return resp.json
