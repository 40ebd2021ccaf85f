"""Harvest URL policy (issue 8 point 4): http/https only, deny-list, private networks.

Every refusal is checked over real HTTP against the running app (API, CSW-T) or the
CLI, with a local listener that must record no connection.
"""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from click.testing import CliRunner
from lxml import etree

from conftest import ADMIN_TOKEN, LiveServer, make_config
from hubcat.app import create_app
from hubcat.cli import cli
from hubcat.db import init_db
from hubcat.harvest import run_harvest
from hubcat.runs import RunLog
from hubcat.sources import SourceRegistry
from hubcat.url_policy import UrlPolicy

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
STA_TYPE = 'http://www.opengis.net/doc/IS/sensorthings/1.1'
NO_PRIVATE = {'hubcat': {'harvest_private_networks': 'false'}}


class Listener:
    """A TCP listener on ``host`` (port 0) that records every connection it accepts and
    answers each with an empty HTTP 404."""

    def __init__(self, host: str = '127.0.0.1'):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f'http://{host}:{self.port}'
        self.connections: list = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            try:
                conn.recv(65536)
                conn.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        """Stop listening."""
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _app(database_url: str, **overrides) -> LiveServer:
    config = make_config(database_url, **overrides)
    init_db(config.database_url, config.table)
    server = LiveServer(create_app(config, init_database=False))
    server.config = config
    return server


@pytest.fixture
def strict_app(database_url):
    """The app with ``harvest_private_networks = false``."""
    server = _app(database_url, **NO_PRIVATE)
    yield server
    server.close()


@pytest.fixture
def default_app(database_url):
    """The app with the default policy."""
    server = _app(database_url)
    yield server
    server.close()


def _harvest_xml(source: str, resource_type: str = STA_TYPE) -> bytes:
    return ('<csw:Harvest xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            f'version="2.0.2"><csw:Source>{source}</csw:Source>'
            f'<csw:ResourceType>{resource_type}</csw:ResourceType></csw:Harvest>').encode()


def _exception_text(content: bytes) -> str:
    doc = etree.fromstring(content)
    assert etree.QName(doc).localname == 'ExceptionReport', content[:400]
    return ' '.join(doc.xpath('//*[local-name()="ExceptionText"]/text()'))


def _cli(database_url, tmp_path, *args, extra: str = ''):
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n[hubcat]\n'
                   f'admin_token={ADMIN_TOKEN}\n{extra}')
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    return CliRunner().invoke(cli, ['--config', str(cfg), *args], env=env,
                              catch_exceptions=False)


# ---- schemes: always refused -------------------------------------------------------------
@pytest.mark.parametrize('url', ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'gopher://127.0.0.1:70/_x',
                                 'mailto:someone@example.org', 'dict://127.0.0.1:11211/'])
def test_api_refuses_other_schemes(default_app, url):
    resp = requests.post(default_app.url + '/api/sources', headers=AUTH, timeout=30,
                         json={'url': url, 'type': 'sta'})
    assert resp.status_code == 400
    assert 'only http and https sources can be harvested' in resp.json()['error']
    assert requests.get(default_app.url + '/api/sources', timeout=30).json()['sources'] == []


@pytest.mark.parametrize('resource_type', [STA_TYPE, 'http://www.isotc211.org/2005/gmd'])
def test_csw_harvest_refuses_file_urls_for_every_resource_type(default_app, tmp_path, resource_type):
    secret = tmp_path / 'secret.xml'
    secret.write_text('<secret>do not publish</secret>')
    before = requests.get(default_app.url + '/csw', timeout=30, params={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'resulttype': 'hits', 'elementsetname': 'brief'}).content
    resp = requests.post(default_app.url + '/csw', data=_harvest_xml(secret.as_uri(), resource_type),
                         headers={**AUTH, 'Content-Type': 'application/xml'}, timeout=30)
    assert 'only http and https sources can be harvested, not file://' in _exception_text(resp.content)
    after = requests.get(default_app.url + '/csw', timeout=30, params={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'resulttype': 'hits', 'elementsetname': 'brief'}).content
    assert b'numberOfRecordsMatched="0"' in before and b'numberOfRecordsMatched="0"' in after
    assert SourceRegistry(default_app.config.database_url).list() == []


def test_cli_refuses_other_schemes(database_url, tmp_path):
    result = _cli(database_url, tmp_path, 'source', 'add', 'gopher://127.0.0.1:70/_', '--type', 'sta')
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        'Error: only http and https sources can be harvested, not gopher:// (gopher://127.0.0.1:70/_)']


# ---- private networks ---------------------------------------------------------------------
def test_default_allows_private_networks_and_denies_link_local(database_url, listener):
    config = make_config(database_url)
    policy = UrlPolicy.from_config(config)
    assert policy.private_networks is True
    init_db(config.database_url, config.table)
    registry = SourceRegistry.for_config(config)
    assert registry.add(listener.url + '/sta/v1.1', 'sta').url == listener.url + '/sta/v1.1'
    with pytest.raises(ValueError, match=r'169\.254\.169\.254 is refused by \[hubcat\] harvest_deny'):
        registry.add('http://169.254.169.254/latest/meta-data/', 'sta')


def test_api_refuses_private_addresses_without_connecting(strict_app, listener):
    for url in (listener.url + '/sta/v1.1', f'http://localhost:{listener.port}/sta',
                f'http://[::ffff:127.0.0.1]:{listener.port}/sta', 'http://10.0.0.8/sta'):
        resp = requests.post(strict_app.url + '/api/sources', headers=AUTH, timeout=30,
                             json={'url': url, 'type': 'sta'})
        assert resp.status_code == 400, url
        assert 'private networks are not harvested ([hubcat] harvest_private_networks = false)' \
            in resp.json()['error']
    assert 'localhost resolves to 127.0.0.1' in requests.post(
        strict_app.url + '/api/sources', headers=AUTH, timeout=30,
        json={'url': f'http://localhost:{listener.port}/sta', 'type': 'sta'}).json()['error']
    assert requests.get(strict_app.url + '/api/sources', timeout=30).json()['sources'] == []
    assert listener.connections == []


def test_csw_harvest_refuses_private_addresses_without_connecting(strict_app, listener):
    for resource_type in (STA_TYPE, 'http://www.isotc211.org/2005/gmd'):
        resp = requests.post(strict_app.url + '/csw', timeout=30,
                             data=_harvest_xml(listener.url + '/x', resource_type),
                             headers={**AUTH, 'Content-Type': 'application/xml'})
        assert 'loopback address' in _exception_text(resp.content)
        resp = requests.get(strict_app.url + '/csw', headers=AUTH, timeout=30, params={
            'service': 'CSW', 'version': '2.0.2', 'request': 'Harvest',
            'source': listener.url + '/x', 'resourcetype': resource_type})
        assert 'loopback address' in _exception_text(resp.content)
    assert SourceRegistry(strict_app.config.database_url).list() == []
    assert listener.connections == []


def test_cli_refuses_private_addresses_without_connecting(database_url, tmp_path, listener):
    result = _cli(database_url, tmp_path, 'source', 'add', listener.url + '/sta', '--type', 'sta',
                  extra='harvest_private_networks = false\n')
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith('Error: 127.0.0.1 (loopback address): private networks are not harvested')
    assert listener.connections == []


def test_harvest_time_check_when_policy_tightens(database_url, listener):
    """A source registered under the default policy is not fetched once private networks are
    refused: the run fails with the reason, nothing connects, nothing is marked unreachable."""
    config = make_config(database_url)
    init_db(config.database_url, config.table)
    source = SourceRegistry.for_config(config).add(listener.url + '/sta/v1.1', 'sta')
    report = run_harvest(config.copy(NO_PRIVATE), source.id)
    assert report.outcome == 'failed'
    assert 'refused by the harvest policy' in report.errors[0]
    assert 'private networks are not harvested' in report.errors[0]
    assert RunLog(config.database_url).list(source.id)[0]['outcome'] == 'failed'
    assert SourceRegistry(config.database_url).get(source.id).reachable is True
    assert listener.connections == []


# ---- deny-list, redirects ------------------------------------------------------------------
def test_deny_list_names_hosts_and_networks(database_url, listener):
    config = make_config(database_url, hubcat={'harvest_deny': 'localhost, .internal.example, 10.0.0.0/8'})
    init_db(config.database_url, config.table)
    registry = SourceRegistry.for_config(config)
    for url, reason in ((f'http://LOCALHOST:{listener.port}/sta', 'localhost is refused'),
                        ('http://db.internal.example/sta', 'db.internal.example is refused'),
                        ('http://10.1.2.3/sta', '10.1.2.3 is refused')):
        with pytest.raises(ValueError, match=reason):
            registry.add(url, 'sta')
    assert registry.list() == []
    assert listener.connections == []


class Redirector:
    """An HTTP server on 127.0.0.1 (port 0) that answers every GET with a 302 to ``target``
    and records the paths asked for."""

    def __init__(self, target: str):
        paths = self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                paths.append(self.path)
                self.send_response(302)
                self.send_header('Location', target)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def test_redirect_to_a_denied_host_is_not_followed(database_url):
    """The HTTP client checks each redirect before connecting: 127.0.0.1 answers with a
    redirect to 127.0.0.2, which the deny-list refuses; 127.0.0.2 sees no connection."""
    denied = Listener('127.0.0.2')
    redirector = Redirector(denied.url + '/sta/v1.1/')
    try:
        config = make_config(database_url, hubcat={'harvest_deny': '127.0.0.2'})
        init_db(config.database_url, config.table)
        source = SourceRegistry.for_config(config).add(redirector.url + '/sta/v1.1', 'sta')
        report = run_harvest(config, source.id)
        assert report.outcome == 'failed'
        assert '127.0.0.2 is refused by [hubcat] harvest_deny' in report.errors[0], report.errors
        assert redirector.paths          # the first hop was fetched
        assert denied.connections == []
    finally:
        redirector.close()
        denied.close()


def test_pycsw_harvest_does_not_follow_a_redirect_to_a_denied_host(database_url):
    """A CSW-T Harvest of a non-sensor ResourceType (fetched by pycsw) goes through the same
    policy: the redirect to the denied 127.0.0.2 is refused, nothing connects there."""
    denied = Listener('127.0.0.2')
    redirector = Redirector(denied.url + '/record.xml')
    server = _app(database_url, hubcat={'harvest_deny': '127.0.0.2'})
    try:
        resp = requests.post(server.url + '/csw', timeout=60,
                             data=_harvest_xml(redirector.url + '/record.xml',
                                               'http://www.isotc211.org/2005/gmd'),
                             headers={**AUTH, 'Content-Type': 'application/xml'})
        assert '127.0.0.2 is refused by [hubcat] harvest_deny' in _exception_text(resp.content)
        assert redirector.paths == ['/record.xml']
        assert denied.connections == []
    finally:
        server.close()
        redirector.close()
        denied.close()
