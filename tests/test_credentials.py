"""Credentials in source URLs (issue 8 point 5): stored as given, sent to the source's own
origin only, never shown (API, CLI, run errors, logs, records, CSW output)."""
from __future__ import annotations

import base64
import logging

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from conftest import ADMIN_TOKEN
from hubcat.cli import cli
from hubcat.db import get_engine
from hubcat.sources import SourceRegistry
from sos_support import Route, SosFixtureServer, fixture

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
USER, PASSWORD = 'Reader', 'S3cret-PassWord'
CSW_SCHEMAS = ('http://www.opengis.net/cat/csw/2.0.2', 'http://www.isotc211.org/2005/gmd',
               'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0')


def _with_credentials(url: str, user: str = USER, password: str = PASSWORD) -> str:
    return url.replace('http://', f'http://{user}:{password}@', 1)


def _assert_hidden(text_: str, where: str) -> None:
    assert PASSWORD not in text_ and PASSWORD.lower() not in text_.lower(), where
    assert f'{USER}:' not in text_ and f'{USER.lower()}:' not in text_, where


@pytest.fixture(scope='module')
def sos():
    server = SosFixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def hubcat(served_config):
    """HubCat on a fresh catalogue, over HTTP on 127.0.0.1 (``.url``, ``.config``)."""
    return served_config


def test_api_stores_as_given_sends_as_given_and_never_shows(hubcat, sos, caplog):
    url = _with_credentials(sos.add('/Sos/KVP', Route(capabilities={
        '2.0.0': fixture('52n_example_2.0.0.xml')})) + '?service=SOS')
    resp = requests.post(hubcat.url + '/api/sources', headers=AUTH, timeout=30,
                         json={'url': url, 'type': 'sos', 'name': 'secured'})
    assert resp.status_code == 201, resp.text
    assert resp.json()['url'] == f'http://***@127.0.0.1:{sos.port}/Sos/KVP?service=SOS'
    # stored exactly as given (case of user, password and path kept)
    assert SourceRegistry(hubcat.config.database_url).get('secured').url == url
    for path in ('/api/sources', '/api/sources/secured'):
        _assert_hidden(requests.get(hubcat.url + path, timeout=30).text, path)

    caplog.set_level(logging.DEBUG)
    sent_before = len(sos.authorizations)
    run = requests.post(hubcat.url + '/api/sources/secured/harvest', headers=AUTH, timeout=120)
    assert run.status_code == 200 and run.json()['outcome'] != 'failed', run.text
    expected = 'Basic ' + base64.b64encode(f'{USER}:{PASSWORD}'.encode()).decode()
    assert set(sos.authorizations[sent_before:]) == {expected}
    _assert_hidden(run.text, 'run report')
    _assert_hidden(caplog.text, 'logs')
    _assert_hidden(requests.get(hubcat.url + '/api/runs', timeout=30).text, '/api/runs')

    # records: every column of every record, and every CSW output schema
    with get_engine(hubcat.config.database_url).connect() as conn:
        rows = conn.execute(text('SELECT * FROM records')).fetchall()
    assert len(rows) >= 9
    for row in rows:
        _assert_hidden(' '.join(str(value) for value in row), f'record {row.identifier}')
    for schema in CSW_SCHEMAS:
        resp = requests.get(hubcat.url + '/csw', timeout=30, params={
            'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
            'elementsetname': 'full', 'resulttype': 'results', 'maxrecords': '50',
            'outputschema': schema})
        assert b'numberOfRecordsReturned="0"' not in resp.content
        _assert_hidden(resp.text, schema)


def test_credentials_go_to_the_source_origin_only(config, sos):
    """DescribeSensor and other requests to another origin never carry the credentials."""
    from hubcat.harvest import harvest_client
    url, client = harvest_client(config, _with_credentials(sos.url('/a')), {})
    assert url == sos.url('/a')
    other = SosFixtureServer().start()
    try:
        before = len(sos.authorizations)
        client.get(sos.url('/a'))
        client.get(other.url('/b'))
        assert sos.authorizations[before:] != [''] and other.authorizations == ['']
    finally:
        other.stop()
        client.close()


def test_failed_runs_and_cli_never_show_credentials(config, closed_port_url, tmp_path):
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={config.database_url}\n[hubcat]\n'
                   f'admin_token={ADMIN_TOKEN}\n')
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ['--config', str(cfg), *args], env=env, catch_exceptions=False)
    url = _with_credentials(closed_port_url)
    added = run('source', 'add', url, '--type', 'sta')
    assert added.exit_code == 0, added.output
    assert '***@127.0.0.1' in added.output
    [source] = SourceRegistry(config.database_url).list()
    assert source.url == url and USER not in source.name and PASSWORD not in source.name
    for args in (('source', 'list'), ('harvest', '--all', '--no-progress'), ('runs',),
                 ('source', 'update', source.name, '--stale-after', '2h'),
                 ('source', 'remove', source.name)):
        result = run(*args)
        _assert_hidden(result.output, ' '.join(args))
