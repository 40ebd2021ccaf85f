"""Issue 9 point 4: an unsupported outputFormat is an InvalidParameterValue served as XML."""
from __future__ import annotations

import pytest
from lxml import etree

from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from records_factory import station


@pytest.fixture
def client(config):
    Catalogue(config.database_url).sync(1, station())
    return create_app(config).test_client()


def _exception(resp):
    doc = etree.fromstring(resp.data)
    assert etree.QName(doc).localname == 'ExceptionReport', resp.data[:300]
    exc = doc[0]
    return exc.get('exceptionCode'), exc.get('locator')


@pytest.mark.parametrize('version', ['2.0.2', '3.0.0'])
def test_kvp_unsupported_output_format(client, version):
    resp = client.get('/csw', query_string={
        'service': 'CSW', 'version': version, 'request': 'GetRecords', 'typenames': 'csw:Record',
        'elementsetname': 'brief', 'outputformat': 'text/sgml'})
    assert resp.content_type.startswith('application/xml')
    assert _exception(resp) == ('InvalidParameterValue', 'outputFormat')


def test_post_unsupported_output_format(client):
    body = b'''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW"
      version="2.0.2" resultType="results" outputFormat="text/sgml">
      <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
      </csw:Query></csw:GetRecords>'''
    resp = client.post('/csw', data=body, content_type='application/xml')
    assert resp.content_type.startswith('application/xml')
    assert _exception(resp) == ('InvalidParameterValue', 'outputFormat')


def test_supported_output_format_still_answers(client):
    resp = client.get('/csw', query_string={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords', 'typenames': 'csw:Record',
        'elementsetname': 'brief', 'resulttype': 'results', 'outputformat': 'application/json'})
    assert resp.content_type.startswith('application/json')
    assert b'SearchResults' in resp.data
