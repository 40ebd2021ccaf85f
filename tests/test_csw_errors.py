"""Bad CSW requests get an OWS ExceptionReport; writes need the administrator token."""
from __future__ import annotations

import pytest
from lxml import etree

from conftest import ADMIN_TOKEN, make_config
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from records_factory import station

OWS = 'http://www.opengis.net/ows'
OWS2 = 'http://www.opengis.net/ows/2.0'
INSERT = b'''<?xml version="1.0"?>
<csw:Transaction xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:dc="http://purl.org/dc/elements/1.1/"
  service="CSW" version="2.0.2"><csw:Insert><csw:Record><dc:identifier>urn:x:inserted</dc:identifier>
  <dc:title>Inserted by CSW-T</dc:title></csw:Record></csw:Insert></csw:Transaction>'''


@pytest.fixture
def client(config):
    Catalogue(config.database_url).sync(1, station())
    return create_app(config).test_client()


def _exception(resp) -> tuple[str, str]:
    doc = etree.fromstring(resp.data)
    assert etree.QName(doc).localname == 'ExceptionReport', resp.data[:300]
    exc = doc.find(f'{{{doc.nsmap.get("ows", OWS)}}}Exception')
    if exc is None:
        exc = doc[0]
    return exc.get('exceptionCode'), exc.get('locator')


def test_malformed_xml(client):
    code, _ = _exception(client.post('/csw', data=b'<csw:GetRecords', content_type='application/xml'))
    assert code == 'NoApplicableCode'


def test_unknown_queryable(client):
    resp = client.get('/csw', query_string={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'elementsetname': 'brief', 'constraintlanguage': 'CQL_TEXT',
        'constraint': "hubcat:NoSuchThing = 'x'"})
    assert _exception(resp) == ('InvalidParameterValue', 'constraint')


def test_invalid_filter(client):
    body = b'''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
      xmlns:ogc="http://www.opengis.net/ogc" service="CSW" version="2.0.2" resultType="results">
      <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
      <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsEqualTo>
      <ogc:PropertyName>hubcat:Bogus</ogc:PropertyName><ogc:Literal>x</ogc:Literal>
      </ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>'''
    resp = client.post('/csw', data=body, content_type='application/xml')
    assert _exception(resp)[0] == 'InvalidParameterValue'
    assert b'Invalid PropertyName: hubcat:Bogus' in resp.data


def test_invalid_cql_syntax(client):
    resp = client.get('/csw', query_string={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'elementsetname': 'brief', 'constraintlanguage': 'CQL_TEXT', 'constraint': "dc:title ==== ("})
    assert _exception(resp)[0] == 'InvalidParameterValue'


def test_unknown_request(client):
    resp = client.get('/csw', query_string={'service': 'CSW', 'version': '2.0.2', 'request': 'Nope'})
    assert _exception(resp)[0] == 'InvalidParameterValue'


def test_transaction_without_token_is_refused_and_writes_nothing(client, config):
    resp = client.post('/csw', data=INSERT, content_type='application/xml')
    code, locator = _exception(resp)
    assert locator == 'Transaction'
    assert b'administrator token' in resp.data
    assert Catalogue(config.database_url).get('urn:x:inserted') is None
    resp = client.post('/csw', data=INSERT, content_type='application/xml',
                       headers={'Authorization': 'Bearer wrong'})
    assert _exception(resp)[1] == 'Transaction'
    assert Catalogue(config.database_url).get('urn:x:inserted') is None


def test_transaction_with_token_inserts(client, config):
    resp = client.post('/csw', data=INSERT, content_type='application/xml',
                       headers={'Authorization': f'Bearer {ADMIN_TOKEN}'})
    assert b'totalInserted>1<' in resp.data, resp.data
    assert Catalogue(config.database_url).get('urn:x:inserted')['title'] == 'Inserted by CSW-T'


def test_no_token_configured_means_no_writes(database_url):
    from hubcat.db import init_db
    config = make_config(database_url, hubcat={'admin_token': ''})
    init_db(config.database_url)
    client = create_app(config).test_client()
    for auth in ({}, {'Authorization': 'Bearer '}):
        resp = client.post('/csw', data=INSERT, content_type='application/xml', headers=auth)
        assert _exception(resp)[1] == 'Transaction'
    assert Catalogue(config.database_url).get('urn:x:inserted') is None


def test_external_entity_in_request_is_not_resolved(client, tmp_path):
    secret = tmp_path / 'secret.txt'
    secret.write_text('TOP-SECRET-VALUE')
    body = f'''<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>
    <csw:GetRecordById xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" version="2.0.2">
    <csw:Id>&s;</csw:Id></csw:GetRecordById>'''.encode()
    resp = client.post('/csw', data=body, content_type='application/xml')
    assert b'TOP-SECRET-VALUE' not in resp.data


def test_healthz(client):
    resp = client.get('/healthz')
    assert resp.status_code == 200 and resp.get_json()['status'] == 'ok'
