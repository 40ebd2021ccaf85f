"""CSW-T Harvest of sensor services: STA and SOS ResourceTypes run HubCat's harvesters."""
from __future__ import annotations

import pytest
import requests
from lxml import etree

from conftest import ADMIN_TOKEN, FIXTURES
from hubcat.runs import RunLog
from hubcat.sources import SourceRegistry
from sos_support import Route, SosFixtureServer, fixture

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
CSW3 = 'http://www.opengis.net/cat/csw/3.0'
STA_TYPE = 'http://www.opengis.net/doc/IS/sensorthings/1.1'
AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}', 'Content-Type': 'application/xml'}


def harvest_xml(source: str, resource_type: str, interval: str = '', version: str = '2.0.2') -> bytes:
    ns = CSW if version == '2.0.2' else CSW3
    extra = f'<csw:HarvestInterval>{interval}</csw:HarvestInterval>' if interval else ''
    return (f'<csw:Harvest xmlns:csw="{ns}" service="CSW" version="{version}">'
            f'<csw:Source>{source}</csw:Source><csw:ResourceType>{resource_type}</csw:ResourceType>'
            f'<csw:ResourceFormat>application/xml</csw:ResourceFormat>{extra}</csw:Harvest>').encode()


@pytest.fixture
def hubcat(served_config):
    """HubCat on a fresh catalogue, over HTTP on 127.0.0.1 (``.url``, ``.config``)."""
    return served_config


def _summary(content: bytes) -> dict:
    doc = etree.fromstring(content)
    assert etree.QName(doc).localname == 'HarvestResponse', content[:400]
    return {etree.QName(el).localname: int(el.text)
            for el in doc.iter() if etree.QName(el).localname.startswith('total')}


def _exception_text(content: bytes) -> str:
    doc = etree.fromstring(content)
    assert etree.QName(doc).localname == 'ExceptionReport', content[:400]
    return ' '.join(doc.xpath('//*[local-name()="ExceptionText"]/text()'))


def test_capabilities_advertise_sensor_resource_types(hubcat):
    caps = requests.get(hubcat.url + '/csw', params={'service': 'CSW', 'version': '2.0.2',
                                                    'request': 'GetCapabilities'}, timeout=30)
    values = etree.fromstring(caps.content).xpath(
        '//*[local-name()="Operation"][@name="Harvest"]/*[local-name()="Parameter"]'
        '[@name="ResourceType"]/*[local-name()="Value"]/text()')
    assert {STA_TYPE, 'http://www.opengis.net/sos/1.0', 'http://www.opengis.net/sos/2.0'} <= set(values)


def test_sta_harvest_registers_source_with_interval_and_answers_harvestresponse(hubcat, sta_server):
    resp = requests.post(hubcat.url + '/csw', data=harvest_xml(sta_server, STA_TYPE, 'PT1H'),
                         headers=AUTH, timeout=120)
    assert _summary(resp.content) == {'totalInserted': 251, 'totalUpdated': 0, 'totalDeleted': 0}
    brief = etree.fromstring(resp.content).findall(f'.//{{{CSW}}}BriefRecord')
    assert len(brief) == 251
    [source] = SourceRegistry(hubcat.config.database_url).list()
    assert (source.url, source.type, source.schedule) == (sta_server, 'sta', 'every:3600')
    assert RunLog(hubcat.config.database_url).list(source.id)[0]['trigger'] == 'csw-t'
    hits = requests.get(hubcat.url + '/csw', params={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'resulttype': 'hits', 'elementsetname': 'brief', 'constraintlanguage': 'CQL_TEXT',
        'constraint': "hubcat:EntityType = 'thing'"}, timeout=30)
    assert b'numberOfRecordsMatched="50"' in hits.content
    again = requests.post(hubcat.url + '/csw', data=harvest_xml(sta_server, STA_TYPE, 'P1D'),
                          headers=AUTH, timeout=120)
    assert _summary(again.content) == {'totalInserted': 0, 'totalUpdated': 0, 'totalDeleted': 0}
    [source] = SourceRegistry(hubcat.config.database_url).list()
    assert source.schedule == 'every:86400'


def test_sos_harvest_by_kvp_and_csw3(hubcat):
    sos = SosFixtureServer().start()
    try:
        url = sos.add('/52n', Route(capabilities={'2.0.0': fixture('52n_example_2.0.0.xml')}))
        resp = requests.get(hubcat.url + '/csw', headers=AUTH, timeout=60, params={
            'service': 'CSW', 'version': '2.0.2', 'request': 'Harvest', 'source': url,
            'resourcetype': 'http://www.opengis.net/sos/2.0', 'harvestinterval': 'PT15M'})
        summary = _summary(resp.content)
        assert summary['totalInserted'] >= 9  # service + 4 offerings + 4 procedures
        wupper = sos.add('/wupper', Route(capabilities={'1.0.0': fixture('52n_wupperverband_1.0.0.xml')}))
        resp = requests.post(hubcat.url + '/csw', headers=AUTH, timeout=60, data=harvest_xml(
            wupper, 'http://www.opengis.net/sos/1.0', version='3.0.0'))
        assert etree.QName(etree.fromstring(resp.content)).namespace == CSW3
        assert _summary(resp.content)['totalInserted'] == 1 + 5 + 218
        assert {s.schedule for s in SourceRegistry(hubcat.config.database_url).list()} == {
            'every:900', None}
    finally:
        sos.stop()


def test_harvest_needs_the_token_and_writes_nothing(hubcat, sta_server):
    for headers in ({'Content-Type': 'application/xml'},
                    {'Authorization': 'Bearer wrong', 'Content-Type': 'application/xml'}):
        resp = requests.post(hubcat.url + '/csw', data=harvest_xml(sta_server, STA_TYPE),
                             headers=headers, timeout=30)
        assert 'administrator token' in _exception_text(resp.content)
    assert SourceRegistry(hubcat.config.database_url).list() == []


def test_bad_interval_and_unreachable_source(hubcat, sta_server, closed_port_url):
    resp = requests.post(hubcat.url + '/csw', data=harvest_xml(sta_server, STA_TYPE, 'soon'),
                         headers=AUTH, timeout=30)
    assert 'not a duration' in _exception_text(resp.content)
    resp = requests.post(hubcat.url + '/csw', data=harvest_xml(closed_port_url, STA_TYPE),
                         headers=AUTH, timeout=60)
    assert 'cannot connect' in _exception_text(resp.content)
    assert SourceRegistry(hubcat.config.database_url).list() == []


def test_other_resource_types_keep_pycsw_behaviour(hubcat, crafted_server):
    iso = (FIXTURES / 'csw_records' / 'apiso_iso' / 'pacioos-NS06agg.xml').read_bytes()
    crafted_server.routes['/record.xml'] = (200, 'application/xml', iso)
    resp = requests.post(hubcat.url + '/csw', headers=AUTH, timeout=60, data=harvest_xml(
        crafted_server.base + '/record.xml', 'http://www.isotc211.org/2005/gmd'))
    assert _summary(resp.content)['totalInserted'] == 1
    assert SourceRegistry(hubcat.config.database_url).list() == []  # not a HubCat source
