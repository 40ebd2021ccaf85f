"""A failing query logs the error, not the request's values (issue 8 point 9, last sentence)."""
from __future__ import annotations

import logging

import pytest
from lxml import etree
from sqlalchemy import text

from conftest import ADMIN_TOKEN
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine
from records_factory import station

SECRET = 'hubcat-secret-literal-4711'


@pytest.fixture
def broken(config):
    """The app on a catalogue whose records table has gone: every query fails in the database."""
    Catalogue(config.database_url).sync(1, station())
    client = create_app(config).test_client()
    assert b'Station 0' in client.get('/csw', query_string=_cql('2.0.2', "dc:title like 'Station%'")).data
    with get_engine(config.database_url).begin() as conn:
        conn.execute(text('ALTER TABLE records RENAME TO records_gone'))
    return client


def _cql(version: str, cql: str) -> dict:
    return {'service': 'CSW', 'version': version, 'request': 'GetRecords', 'typenames': 'csw:Record',
            'elementsetname': 'brief', 'resulttype': 'results', 'constraintlanguage': 'CQL_TEXT',
            'constraint': cql}


def _assert_exception_report(resp) -> None:
    assert resp.status_code < 500
    assert etree.QName(etree.fromstring(resp.data)).localname == 'ExceptionReport', resp.data[:300]


@pytest.mark.parametrize('version', ['2.0.2', '3.0.0'])
def test_failing_query_logs_the_error_not_the_values(broken, caplog, version):
    caplog.set_level(logging.WARNING)
    params = _cql(version, f"dc:title = '{SECRET}'")
    if version == '3.0.0':
        del params['resulttype']
    _assert_exception_report(broken.get('/csw', query_string=params))
    assert 'database error' in caplog.text
    assert SECRET not in caplog.text


def test_failing_filter_post_logs_no_values(broken, caplog):
    caplog.set_level(logging.WARNING)
    body = f'''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
      service="CSW" version="2.0.2" resultType="results"><csw:Query typeNames="csw:Record">
      <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0"><ogc:Filter>
      <ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName>
      <ogc:Literal>{SECRET}%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint></csw:Query>
      </csw:GetRecords>'''.encode()
    _assert_exception_report(broken.post('/csw', data=body, content_type='application/xml'))
    assert 'database error' in caplog.text
    assert SECRET not in caplog.text


def test_failing_transaction_logs_no_values(broken, caplog):
    """pycsw does not catch a failed Delete: HubCat answers an ExceptionReport and logs the
    failure in one line (class and first line of the database error), without the value."""
    caplog.set_level(logging.WARNING)
    body = f'''<csw:Transaction xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
      service="CSW" version="2.0.2"><csw:Delete typeName="csw:Record"><csw:Constraint version="1.1.0">
      <ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>dc:identifier</ogc:PropertyName>
      <ogc:Literal>{SECRET}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Delete>
      </csw:Transaction>'''.encode()
    resp = broken.post('/csw', data=body, content_type='application/xml',
                       headers={'Authorization': f'Bearer {ADMIN_TOKEN}'})
    assert b'TransactionResponse' not in resp.data and b'ExceptionReport' in resp.data
    assert 'pycsw failed on a POST Transaction request' in caplog.text
    assert SECRET not in caplog.text


def test_database_message_quoting_a_value_is_redacted(config, caplog):
    """PostgreSQL quotes the value in a type error; SQLite compares as text: no error, no value logged."""
    caplog.set_level(logging.WARNING)
    Catalogue(config.database_url).sync(1, station())
    client = create_app(config).test_client()
    body = f'''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
      service="CSW" version="2.0.2" resultType="results"><csw:Query typeNames="csw:Record">
      <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0"><ogc:Filter>
      <ogc:PropertyIsEqualTo><ogc:Function name="length"><ogc:PropertyName>dc:title</ogc:PropertyName></ogc:Function>
      <ogc:Literal>{SECRET}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Query>
      </csw:GetRecords>'''.encode()
    resp = client.post('/csw', data=body, content_type='application/xml')
    assert resp.status_code < 500
    if config.database_url.startswith('postgresql'):
        _assert_exception_report(resp)
        assert '(SQLSTATE 22P02): invalid input syntax for type integer: ?' in caplog.text
    assert SECRET not in caplog.text
