"""No request value reaches SQL text (issue 8 point 3; audit in docs/security.md "SQL").

Each test sends hostile values (quotes, semicolons, stacked statements, comments,
UNION SELECT, NaN/inf) through one path of pycsw's filter translation, against the
real app on SQLite and PostgreSQL, CSW 2.0.2 and 3.0.0.  A hostile request is
refused with an ExceptionReport, or (where the value is bound) matches exactly what
the value means as a value; the records table is intact afterwards (same count).

pycsw skips its XML Schema check for any document holding a ``csw:Insert``: the
``UNVALIDATED`` requests carry one, as the attack did, so they reach the filter
translation with values the schema would refuse.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from lxml import etree
from sqlalchemy import text

from conftest import _BACKENDS, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine, init_db
from records_factory import station

VERSIONS = {
    '2.0.2': SimpleNamespace(csw='http://www.opengis.net/cat/csw/2.0.2', prefix='csw',
                             flt='http://www.opengis.net/ogc', ref='PropertyName',
                             typename='csw:Record', filter_version='1.1.0', result='resultType="results"',
                             units='units'),
    '3.0.0': SimpleNamespace(csw='http://www.opengis.net/cat/csw/3.0', prefix='csw30',
                             flt='http://www.opengis.net/fes/2.0', ref='ValueReference',
                             typename='csw30:Record', filter_version='2.0.0', result='', units='uom'),
}
#: what the attack of issue 8 sent as ogc:Distance, and friends
HOSTILE_NUMBERS = [
    "1') = 'true' OR 1=1 OR ('a'='a",
    "1') = 'true'; DROP TABLE records; --",
    "1' UNION SELECT identifier, 1, 1, 1 FROM records --",
    "1/**/OR/**/1=1",
    "1; DELETE FROM records",
    'NaN', 'inf', '-INF', '1e999', '-1', '0x10', '',
]
#: coordinates are split at blanks: hostile tokens without blanks
HOSTILE_COORDINATES = ["7')='true'OR/**/1=1--", "46;DROP/**/TABLE/**/records;--", 'NaN', 'inf', '0x1A',
                       "7'UNION/**/SELECT/**/1--"]
POINT = '<gml:Point><gml:pos>{}</gml:pos></gml:Point>'
ENVELOPE = ('<gml:Envelope><gml:lowerCorner>{}</gml:lowerCorner>'
            '<gml:upperCorner>8 47</gml:upperCorner></gml:Envelope>')
POLYGON = ('<gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>{} 46 6 47 8 47 8 46 6 46'
           '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>')
LINE = '<gml:LineString><gml:posList>{} 46 8 47</gml:posList></gml:LineString>'
SPATIAL_OPERATORS = ['BBOX', 'Intersects', 'Within', 'Contains', 'Disjoint', 'Equals', 'Touches',
                     'Crosses', 'Overlaps', 'DWithin', 'Beyond']


@pytest.fixture(scope='module', params=_BACKENDS)
def catalogue(request, tmp_path_factory):
    """The app on a catalogue of one STA station (13 rows), per backend, shared by the module."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('sql'))
    config = make_config(url)
    init_db(url, config.table)
    Catalogue(url).sync(1, station())
    yield SimpleNamespace(url=url, config=config, client=create_app(config).test_client())
    cleanup()


@pytest.fixture(autouse=True)
def intact(catalogue):
    """Every test leaves the records table in place with the same rows."""
    before = _count(catalogue.url)
    yield
    assert _count(catalogue.url) == before == 13


def _count(url: str) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(text('SELECT count(*) FROM records')).scalar()


def get_records(version: str, filter_body: str, unvalidated: bool = True, sortby: str = '') -> bytes:
    """A GetRecords POST with ``filter_body`` inside the Filter (``f:`` prefix, ``{ref}`` named)."""
    v = VERSIONS[version]
    insert = f'<{v.prefix}:Insert/>' if unvalidated else ''
    body = filter_body.replace('{ref}', v.ref).replace('{units}', v.units)
    return f'''<{v.prefix}:GetRecords xmlns:{v.prefix}="{v.csw}" xmlns:f="{v.flt}"
      xmlns:gml="http://www.opengis.net/gml" service="CSW" version="{version}" {v.result}>{insert}
      <{v.prefix}:Query typeNames="{v.typename}"><{v.prefix}:ElementSetName>brief</{v.prefix}:ElementSetName>
      <{v.prefix}:Constraint version="{v.filter_version}"><f:Filter>{body}</f:Filter>
      </{v.prefix}:Constraint>{sortby}</{v.prefix}:Query></{v.prefix}:GetRecords>'''.encode()


def spatial(op: str, geometry: str, distance: str | None = None) -> str:
    """A spatial operator on the record envelope."""
    dist = '' if distance is None else f'<f:Distance {{units}}="m">{distance}</f:Distance>'
    return f'<f:{op}><f:{{ref}}>ows:BoundingBox</f:{{ref}}>{geometry}{dist}</f:{op}>'


def post(client, body: bytes, **kwargs):
    return client.post('/csw', data=body, content_type='application/xml', **kwargs)


def exception(resp) -> str | None:
    """The exceptionCode of an ExceptionReport answer, None for any other answer."""
    assert resp.status_code < 500, resp.data[:500]
    doc = etree.fromstring(resp.data)
    if etree.QName(doc).localname != 'ExceptionReport':
        return None
    return doc[0].get('exceptionCode')


def assert_refused(resp, version: str) -> None:
    """An InvalidParameterValue ExceptionReport (HTTP 400 in CSW 3.0.0)."""
    assert exception(resp) in ('InvalidParameterValue', 'NoApplicableCode'), resp.data[-600:]
    if version == '3.0.0':
        assert resp.status_code == 400


def matched(resp) -> int:
    """numberOfRecordsMatched of a GetRecordsResponse."""
    assert exception(resp) is None, resp.data[-600:]
    return int(re.search(rb'numberOfRecordsMatched="(\d+)"', resp.data).group(1))


# ---- Distance: DWithin and Beyond (the reported attack) --------------------------------------
@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', ['DWithin', 'Beyond'])
@pytest.mark.parametrize('distance', HOSTILE_NUMBERS)
def test_hostile_distance_is_refused(catalogue, version, op, distance):
    body = get_records(version, spatial(op, POINT.format('7 46'), distance))
    assert_refused(post(catalogue.client, body), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', ['DWithin', 'Beyond'])
def test_distance_operator_without_distance_is_refused(catalogue, version, op):
    assert_refused(post(catalogue.client, get_records(version, spatial(op, POINT.format('7 46')))), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', ['BBOX', 'Intersects', 'Disjoint'])
def test_hostile_distance_on_other_operators_is_refused(catalogue, version, op):
    """pycsw writes any Distance child into the SQL text, whatever the operator."""
    body = get_records(version, spatial(op, ENVELOPE.format('6 45'), HOSTILE_NUMBERS[0]))
    assert_refused(post(catalogue.client, body), version)


@pytest.mark.parametrize('version', VERSIONS)
def test_distance_filters_still_work(catalogue, version):
    """A real distance: Station 0 (lon 7, lat 46) and its two Datastreams are within 0.5 of it (EPSG:4326 is lat lon)."""
    within = post(catalogue.client, get_records(version, spatial('DWithin', POINT.format('46 7.1'), '0.5')))
    assert matched(within) == 3
    assert b'urn:test:thing:0' in within.data and b'urn:test:thing:1' not in within.data
    beyond = post(catalogue.client, get_records(version, spatial('Beyond', POINT.format('46 7.1'), '0.5e0')))
    assert matched(beyond) == 3
    assert b'urn:test:thing:1' in beyond.data and b'urn:test:thing:0' not in beyond.data


def test_distance_attack_over_http(catalogue, live_app):
    """The request of the report, over real HTTP: an ExceptionReport, nothing matched."""
    import urllib.request
    server = live_app(create_app(catalogue.config, init_database=False))
    body = get_records('2.0.2', spatial('DWithin', POINT.format('0 0'), HOSTILE_NUMBERS[0]))
    req = urllib.request.Request(f'{server.url}/csw', data=body,
                                 headers={'Content-Type': 'application/xml'})
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = resp.read()
    assert b'ExceptionReport' in answer and b'numberOfRecordsMatched' not in answer
