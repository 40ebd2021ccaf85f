"""CLI input validation (issue 10 point 12): schedules need a unit and a minimum, cron errors
name the field, ports are checked, a failed harvest is one line, empty names are refused."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner
from lxml import etree

from conftest import ADMIN_TOKEN, REPO, LiveServer
from hubcat.app import create_app
from hubcat.cli import cli
from hubcat.db import init_db
from hubcat.sources import SourceRegistry

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
URL = 'http://127.0.0.1:9/sta/v1.1'


@pytest.fixture
def cfg(config, tmp_path):
    """A config file on the test's catalogue database."""
    path = tmp_path / 'pycsw.cfg'
    path.write_text(f'[repository]\ndatabase={config.database_url}\n[hubcat]\n'
                    f'admin_token={ADMIN_TOKEN}\n')
    return path


@pytest.fixture
def sqlite_cfg(tmp_path):
    """A config file on a fresh SQLite catalogue, for checks refused before any database work
    (one backend is enough for them)."""
    database_url = f'sqlite:///{tmp_path / "catalogue.db"}'
    init_db(database_url, 'records')
    path = tmp_path / 'sqlite.cfg'
    path.write_text(f'[repository]\ndatabase={database_url}\n[hubcat]\nadmin_token={ADMIN_TOKEN}\n')
    return path


def hubcat(cfg, *args, extra: str = ''):
    """Run the CLI in-process; returns the click Result."""
    if extra:
        cfg.write_text(cfg.read_text() + extra)
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    return CliRunner().invoke(cli, ['--config', str(cfg), *args], env=env, catch_exceptions=False)


def hubcat_process(cfg, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m hubcat`` as a user would (real logging, real stderr)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    return subprocess.run([sys.executable, '-m', 'hubcat', '--config', str(cfg), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=str(REPO), env=env)


def one_line_error(result, exit_code=None) -> str:
    """The single line a refused command prints (stderr), checking the exit status."""
    assert result.exit_code != 0 if exit_code is None else result.exit_code == exit_code
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: '), result.output
    return lines[0]


# ---- schedules ----------------------------------------------------------------------------
@pytest.mark.parametrize('args, message', [
    (['--every', '15'], "Error: a harvest interval needs a unit: '15' (write 15m for minutes, "
                        '15s, 15h or 15d)'),
    (['--every', '30s'], "Error: a harvest interval must be at least 1m ([hubcat:scheduler] "
                         "min_interval): '30s'"),
    (['--every', 'soon'], "Error: not a duration: 'soon' (use e.g. 90s, 15m, 1h, 2d)"),
    (['--cron', '*/10 * * *'], "Error: not a cron expression: '*/10 * * *' has 4 fields; cron "
                               'needs 5: minute hour day-of-month month day-of-week '
                               '(e.g. "*/10 * * * *")'),
    (['--cron', '61 * * * *'], "Error: not a cron expression: '61 * * * *': the minute field '61' "
                               'is wrong (the last value (61) is higher than the maximum value '
                               '(59)); it takes 0-59'),
    (['--cron', '0 3 * * 8'], "the day-of-week field '8' is wrong"),
    (['--cron', '0 3 0 * *'], "the day-of-month field '0' is wrong"),
    (['--cron', '0 x * * *'], "the hour field 'x' is wrong"),
])
def test_schedules_are_checked(sqlite_cfg, args, message):
    assert message in one_line_error(hubcat(sqlite_cfg, 'source', 'add', URL, '--type', 'sta', *args))
    assert 'no sources' in hubcat(sqlite_cfg, 'source', 'list').output


def test_minimum_interval_is_configurable_and_applies_to_update_and_api(config, cfg):
    added = hubcat(cfg, 'source', 'add', URL, '--type', 'sta', '--name', 'one', '--every', '1m')
    assert added.exit_code == 0, added.output
    assert 'at least 1m' in one_line_error(hubcat(cfg, 'source', 'update', 'one', '--every', '59s'))
    assert 'needs a unit' in one_line_error(hubcat(cfg, 'source', 'update', 'one', '--every', '5'))
    fast = hubcat(cfg, 'source', 'update', 'one', '--every', '30s',
                  extra='[hubcat:scheduler]\nmin_interval = 10s\n')
    assert fast.exit_code == 0, fast.output
    assert SourceRegistry(config.database_url).get('one').schedule == 'every:30'

    server = LiveServer(create_app(config, init_database=False))
    try:
        for schedule, words in (('15', 'needs a unit'), ('30s', 'at least 1m'),
                                ('*/10 * *', 'has 3 fields')):
            resp = requests.patch(server.url + '/api/sources/one', headers=AUTH, timeout=30,
                                  json={'schedule': schedule})
            assert resp.status_code == 400 and words in resp.json()['error'], resp.text
        resp = requests.post(server.url + '/csw', timeout=30, headers={
            **AUTH, 'Content-Type': 'application/xml'}, data=(
            '<csw:Harvest xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            'version="2.0.2"><csw:Source>http://127.0.0.1:9/other/v1.1</csw:Source>'
            '<csw:ResourceType>http://www.opengis.net/doc/IS/sensorthings/1.1</csw:ResourceType>'
            '<csw:HarvestInterval>PT30S</csw:HarvestInterval></csw:Harvest>'))
        text = ' '.join(etree.fromstring(resp.content).xpath('//*[local-name()="ExceptionText"]/text()'))
        assert "a harvest interval must be at least 1m ([hubcat:scheduler] min_interval): '30s'" in text
    finally:
        server.close()
    assert [s.name for s in SourceRegistry(config.database_url).list()] == ['one']


# ---- empty names, limits ------------------------------------------------------------------
@pytest.mark.parametrize('args, words', [
    (['source', 'add', URL, '--type', 'sta', '--name', ''], "'--name': must not be empty"),
    (['source', 'add', URL, '--type', 'sta', '--name', '  '], "'--name': must not be empty"),
    (['source', 'update', '', '--every', '1h'], "'SOURCE': must not be empty"),
    (['source', 'remove', ''], "'SOURCE': must not be empty"),
    (['harvest', ''], "'[SOURCE]...': must not be empty"),
    (['runs', ''], "'[SOURCE]': must not be empty"),
    (['runs', '--limit', '-1'], "'--limit': -1 is not in the range 1<=x<=1000"),
    (['runs', '--limit', '0'], "'--limit': 0 is not in the range 1<=x<=1000"),
    (['serve', '--port', '99999'], "'--port': 99999 is not in the range 1<=x<=65535"),
    (['serve', '--port', '0'], "'--port': 0 is not in the range 1<=x<=65535"),
    (['serve', '--threads', '0'], "'--threads': 0 is not in the range 1<=x<=256"),
    (['demo', '--port', '70000'], "'--port': 70000 is not in the range 1<=x<=65535"),
])
def test_bad_values_are_refused_in_one_line(sqlite_cfg, args, words):
    assert words in one_line_error(hubcat(sqlite_cfg, *args), exit_code=2)


def test_api_refuses_an_empty_name(config):
    server = LiveServer(create_app(config, init_database=False))
    try:
        resp = requests.post(server.url + '/api/sources', headers=AUTH, timeout=30,
                             json={'url': URL, 'type': 'sta', 'name': ' '})
        assert resp.status_code == 400 and resp.json()['error'] == 'a source name must not be empty'
    finally:
        server.close()


def test_configured_port_out_of_range_is_refused(sqlite_cfg):
    assert "[hubcat] port must be a number from 1 to 65535, not '99999'" in one_line_error(
        hubcat(sqlite_cfg, 'serve', extra='port = 99999\n'))


def test_configured_threads_out_of_range_are_refused(sqlite_cfg):
    assert "[hubcat] threads must be a number from 1 to 256, not 'many'" in one_line_error(
        hubcat(sqlite_cfg, 'serve', extra='threads = many\n'))


# ---- ports in use -------------------------------------------------------------------------
@pytest.fixture
def busy_port():
    """A port something listens on."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_serve_on_a_port_in_use_names_the_port(sqlite_cfg, busy_port):
    result = hubcat_process(sqlite_cfg, 'serve', '--port', str(busy_port), '--no-scheduler',
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'Error: port {busy_port} on 127.0.0.1 is in use; stop what listens there or choose '
        'another port with --port']


def test_demo_checks_its_port_before_harvesting(sqlite_cfg, busy_port, tmp_path):
    workdir = tmp_path / 'demo'
    result = hubcat_process(sqlite_cfg, 'demo', '--port', str(busy_port), '--workdir', str(workdir),
                            timeout=60)
    assert result.returncode == 1
    assert result.stdout == ''     # no sample service started, nothing harvested
    assert result.stderr.strip().splitlines() == [
        f'Error: cannot start the demo: port {busy_port} on 127.0.0.1 is in use; stop what '
        'listens there or choose another port with --port']
    assert not workdir.exists()


# ---- a failed harvest ---------------------------------------------------------------------
def test_failed_harvest_prints_one_line_unless_verbose(cfg, closed_port_url):
    assert hubcat(cfg, 'source', 'add', closed_port_url, '--type', 'sta', '--name', 'dead').exit_code == 0
    result = hubcat_process(cfg, 'harvest', 'dead', '--no-progress')
    assert result.returncode == 1
    assert result.stdout == ''
    [line] = result.stderr.strip().splitlines()
    assert line.startswith('dead: failed; added 0,') and line.endswith(
        f'({closed_port_url}/: cannot connect (Connection refused))'), line
    verbose = hubcat_process(cfg, '-v', 'harvest', 'dead', '--no-progress')
    assert verbose.returncode == 1
    assert 'Retrying' in verbose.stderr and 'error: ' in verbose.stdout
