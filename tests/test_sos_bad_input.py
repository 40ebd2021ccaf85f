"""Bad answers: each is a HarvestError with one clear line, nothing is fetched on an
entity's behalf, and (through the catalogue) no record is lost.

Stock pycsw hands the URL to OWSLib, which parses with entity resolution on
OWSLib 0.28's default lxml parser; HubCat's safe parser never resolves
entities, never touches the network and stops entity-expansion bombs.
"""
from __future__ import annotations

import pytest

from harvesters.base import HarvestError
from harvesters.http import HttpClient
from harvesters.sos import SensorObservationServiceHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import OFFERING
from sos_support import Route, SosFixtureServer, exception_report, fixture

SOS1 = 'xmlns:sos="http://www.opengis.net/sos/1.0"'
LAUGHS = '<!ENTITY lol "lol">' + ''.join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))


@pytest.fixture
def server():
    srv = SosFixtureServer().start()
    srv.add('/secret', Route(raw=(200, 'text/plain', b'TOP-SECRET-CONTENT')))
    yield srv
    srv.stop()


def harvest(url):
    client = HttpClient(timeout=5, retries=0)
    return SensorObservationServiceHarvester(url, {'describe_sensor': False}, client=client).harvest()


def serve(server, body: bytes, content_type='application/xml', status=200) -> str:
    return server.add('/bad', Route(raw=(status, content_type, body)))


def one_line_error(url) -> str:
    with pytest.raises(HarvestError) as info:
        harvest(url)
    message = str(info.value)
    assert '\n' not in message and message
    return message


def test_html_page(server):
    page = b'<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><p>Hi</body></html>'
    message = one_line_error(serve(server, page, 'text/html; charset=utf-8'))
    assert 'HTML page' in message and 'not an SOS' in message


def test_html_page_served_as_xml(server):
    message = one_line_error(serve(server, b'<html><body>nginx</body></html>'))
    assert 'HTML page' in message


def test_other_xml_document(server):
    message = one_line_error(serve(server, b'<rss version="2.0"><channel/></rss>'))
    assert 'not an SOS 1.0/2.0 capabilities document (root element rss)' in message


def test_exception_report_instead_of_capabilities(server):
    """Both versions refused: the server's exception code and text are in the message."""
    body = exception_report('NoApplicableCode', 'database is down')
    message = one_line_error(serve(server, body, status=500))
    assert 'NoApplicableCode: database is down' in message
    assert len(server.requests_to('/bad')) == 2  # 2.0.0, then 1.0.0


def test_truncated_xml(server):
    data = fixture('ndbc_ioos_1.0.0.xml')
    message = one_line_error(serve(server, data[:len(data) // 2]))
    assert 'not well-formed XML' in message


def test_empty_answer(server):
    assert 'empty answer' in one_line_error(serve(server, b''))


def test_unreachable_server():
    server = SosFixtureServer()
    url = server.url('/sos')
    server.stop()  # the port is closed: nobody answers
    assert 'cannot connect' in one_line_error(url)


@pytest.mark.parametrize('target', ['file:///etc/passwd', 'SECRET_URL'])
def test_external_entity_is_neither_fetched_nor_expanded(server, target):
    target = target.replace('SECRET_URL', server.url('/secret'))
    doc = (f'<?xml version="1.0"?><!DOCTYPE sos:Capabilities [<!ENTITY x SYSTEM "{target}">]>'
           f'<sos:Capabilities {SOS1} version="1.0.0"><ows:ServiceIdentification '
           f'xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Title>&x;</ows:Title>'
           f'</ows:ServiceIdentification></sos:Capabilities>').encode()
    message = one_line_error(serve(server, doc))
    assert 'entities are not accepted' in message
    assert server.requests_to('/secret') == []
    assert 'root:' not in message and 'TOP-SECRET' not in message


@pytest.mark.parametrize('doctype', ['<!DOCTYPE c SYSTEM "SECRET_URL">',
                                     '<!DOCTYPE c [<!ENTITY % p SYSTEM "SECRET_URL"> %p;]>'])
def test_external_dtd_is_not_fetched(server, doctype):
    """An external DTD or parameter entity is ignored: the capabilities parse, the secret
    URL is never asked for and its content is nowhere in the records."""
    body = fixture('52n_ioos_1.0.0.xml').split(b'?>', 1)[1]
    doc = doctype.replace('SECRET_URL', server.url('/secret')).encode() + body
    result = harvest(serve(server, doc))
    assert len([r for r in result.records if r.kind == OFFERING]) == 15
    assert server.requests_to('/secret') == []
    assert not any('TOP-SECRET' in r.to_json() for r in result.records)


@pytest.mark.parametrize('where', ['text', 'attribute'])
def test_billion_laughs(server, where):
    use = '<a>&lol9;</a>' if where == 'text' else '<a b="&lol9;"/>'
    doc = f'<?xml version="1.0"?><!DOCTYPE c [{LAUGHS}]><sos:Capabilities {SOS1}>{use}' \
          '</sos:Capabilities>'
    message = one_line_error(serve(server, doc.encode()))
    assert 'entit' in message.lower() or 'amplification' in message.lower()


def test_failed_harvest_loses_no_record(server, tmp_path):
    """A good harvest is synced; then the server turns bad in each way above: every harvest
    fails, nothing is synced, and the catalogue still holds every record, unchanged."""
    url_db = f'sqlite:///{tmp_path / "hubcat.db"}'
    init_db(url_db)
    catalogue = Catalogue(url_db)
    url = server.add('/sos', Route(capabilities={'2.0.0': fixture('gns_ngmp_2.0.0.xml')}))
    catalogue.sync(7, harvest(url).records, stale_after=10 ** 10)
    before = sorted((r['identifier'], r['hc_status']) for r in catalogue.rows(7))
    bad_answers = [
        (200, 'text/html', b'<html><body>maintenance</body></html>'),
        (400, 'application/xml', exception_report('VersionNegotiationFailed', 'no')),
        (200, 'application/xml', fixture('gns_ngmp_2.0.0.xml')[:5000]),
        (200, 'application/xml', f'<!DOCTYPE c [{LAUGHS}]><c>&lol9;</c>'.encode()),
    ]
    for answer in bad_answers:
        server.routes['/sos'] = Route(raw=answer)
        with pytest.raises(HarvestError):
            result = harvest(url)
            catalogue.sync(7, result.records)  # never reached
    assert sorted((r['identifier'], r['hc_status']) for r in catalogue.rows(7)) == before
