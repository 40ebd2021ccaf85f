"""One source per endpoint (issue 10 point 9): URLs of one service compare equal, a second
source is refused naming the first (CLI, API 409, CSW-T), ``hubcat init`` reports old twins."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import insert

from conftest import ADMIN_TOKEN
from hubcat.cli import cli
from hubcat.db import get_engine
from hubcat.models import sources as sources_table
from hubcat.sources import SourceRegistry
from hubcat.urls import endpoint_key

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
STA = 'http://sta.example.org/FROST-Server/v1.1'
SOS = 'http://sos.example.org/52n/service?service=SOS&request=GetCapabilities&key=abc&Lang=de'


@pytest.mark.parametrize('kind, first, second', [
    ('sta', STA, 'http://sta.example.org/FROST-Server/v1.1/'),
    ('sta', STA, 'HTTP://STA.Example.ORG/FROST-Server/v1.1'),
    ('sta', STA, 'http://sta.example.org:80/FROST-Server/v1.1'),
    ('sta', STA, 'http://sta.example.org/FROST-Server'),
    ('sta', STA, 'http://sta.example.org/FROST-Server/v1.0/'),
    ('sta', STA, 'http://reader:secret@sta.example.org/FROST-Server/v1.1'),
    ('sta', 'https://sta.example.org/x', 'https://sta.example.org:443/x/'),
    ('sos', SOS, 'http://sos.example.org/52n/service?lang=de&KEY=abc'),
    ('sos', SOS, 'http://sos.example.org:80/52n/service/?VERSION=2.0.0&key=abc&lang=de&REQUEST=GetCapabilities'),
])
def test_spellings_of_one_endpoint_compare_equal(kind, first, second):
    assert endpoint_key(first, kind) == endpoint_key(second, kind)


@pytest.mark.parametrize('kind, first, second', [
    ('sta', STA, 'https://sta.example.org/FROST-Server/v1.1'),        # another scheme
    ('sta', STA, 'http://sta.example.org:8080/FROST-Server/v1.1'),    # another port
    ('sta', STA, 'http://sta.example.org/frost-server/v1.1'),         # paths are case-sensitive
    ('sos', SOS, 'http://sos.example.org/52n/service?key=xyz&lang=de'),  # another key value
])
def test_other_endpoints_differ(kind, first, second):
    assert endpoint_key(first, kind) != endpoint_key(second, kind)


@pytest.fixture
def hubcat(served_config):
    """HubCat on a fresh catalogue, over HTTP on 127.0.0.1 (``.url``, ``.config``)."""
    return served_config


def test_api_refuses_a_second_source_with_409_naming_the_first(hubcat):
    first = requests.post(hubcat.url + '/api/sources', headers=AUTH, timeout=30,
                          json={'url': STA, 'type': 'sta', 'name': 'frost'})
    assert first.status_code == 201
    for url in (STA + '/', 'HTTP://sta.example.org:80/FROST-Server/v1.1'):
        resp = requests.post(hubcat.url + '/api/sources', headers=AUTH, timeout=30,
                             json={'url': url, 'type': 'sta', 'name': 'again'})
        assert resp.status_code == 409
        assert resp.json() == {'status': 409, 'error': "source 'frost' (id 1) already harvests "
                                                       f'this endpoint: {STA}'}
    other = requests.post(hubcat.url + '/api/sources', headers=AUTH, timeout=30,
                          json={'url': 'http://sta.example.org/other/v1.1', 'type': 'sta'}).json()
    moved = requests.patch(f'{hubcat.url}/api/sources/{other["id"]}', headers=AUTH, timeout=30,
                           json={'url': STA + '/'})
    assert moved.status_code == 409 and "source 'frost'" in moved.json()['error']
    assert [s['name'] for s in requests.get(hubcat.url + '/api/sources', timeout=30).json()['sources']] \
        == ['frost', other['name']]


def test_csw_harvest_of_another_spelling_is_an_exception_report(hubcat):
    SourceRegistry(hubcat.config.database_url).add(STA, 'sta', name='frost')
    body = ('<csw:Harvest xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            f'version="2.0.2"><csw:Source>{STA}/</csw:Source><csw:ResourceType>'
            'http://www.opengis.net/doc/IS/sensorthings/1.1</csw:ResourceType></csw:Harvest>')
    resp = requests.post(hubcat.url + '/csw', data=body, timeout=30,
                         headers={**AUTH, 'Content-Type': 'application/xml'})
    doc = etree.fromstring(resp.content)
    assert etree.QName(doc).localname == 'ExceptionReport'
    assert doc.xpath('//*[local-name()="Exception"]/@exceptionCode') == ['InvalidParameterValue']
    assert "source 'frost' (id 1) already harvests this endpoint" in \
        ''.join(doc.xpath('//*[local-name()="ExceptionText"]/text()'))
    assert len(SourceRegistry(hubcat.config.database_url).list()) == 1


def _cli(database_url, tmp_path, *args):
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n')
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    return CliRunner().invoke(cli, ['--config', str(cfg), *args], env=env,
                                              catch_exceptions=False)


def test_cli_refuses_a_second_source_in_one_line(config, tmp_path):
    assert _cli(config.database_url, tmp_path, 'source', 'add', SOS, '--type', 'sos',
                '--name', 'ndbc').exit_code == 0
    result = _cli(config.database_url, tmp_path, 'source', 'add',
                  'http://SOS.example.org/52n/service?KEY=abc&lang=de', '--type', 'sos')
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: source 'ndbc' (id 1) already harvests this endpoint: {SOS}"]


def test_init_reports_existing_duplicates(config, tmp_path):
    now = datetime.now(timezone.utc)
    with get_engine(config.database_url).begin() as conn:   # registered before HubCat refused it
        for name, url in (('a', STA), ('b', STA + '/'), ('c', 'http://other.example.org/v1.1')):
            conn.execute(insert(sources_table).values(name=name, url=url, type='sta',
                                                      options=json.dumps({}), created=now))
    result = _cli(config.database_url, tmp_path, 'init')
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: sources 'a' (id 1), 'b' (id 2) harvest the same endpoint {STA}; "
        'keep one (hubcat source remove NAME)']
    assert 'catalogue database ready' in result.stdout
