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
from xml.sax.saxutils import escape

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
#: latitude first needs a CRS that says so (README "Axis order": no srsName is longitude first)
LATLON = 'srsName="urn:ogc:def:crs:EPSG::4326"'
POINT_LATLON = POINT.replace('<gml:Point>', f'<gml:Point {LATLON}>')
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


def get_records(version: str, filter_body: str = '', unvalidated: bool = True, sortby: str = '',
                cql: str | None = None) -> bytes:
    """A GetRecords POST: ``filter_body`` inside the Filter (``f:`` prefix, ``{ref}`` for
    PropertyName/ValueReference, ``{units}`` for the Distance unit attribute), or ``cql`` text."""
    v = VERSIONS[version]
    insert = f'<{v.prefix}:Insert/>' if unvalidated else ''
    body = filter_body.replace('{ref}', v.ref).replace('{units}', v.units)
    constraint = (f'<f:Filter>{body}</f:Filter>' if cql is None
                  else f'<{v.prefix}:CqlText>{escape(cql)}</{v.prefix}:CqlText>')
    return f'''<{v.prefix}:GetRecords xmlns:{v.prefix}="{v.csw}" xmlns:f="{v.flt}"
      xmlns:gml="http://www.opengis.net/gml" service="CSW" version="{version}" {v.result}>{insert}
      <{v.prefix}:Query typeNames="{v.typename}"><{v.prefix}:ElementSetName>brief</{v.prefix}:ElementSetName>
      <{v.prefix}:Constraint version="{v.filter_version}">{constraint}</{v.prefix}:Constraint>{sortby.replace('{ref}', v.ref)}
      </{v.prefix}:Query></{v.prefix}:GetRecords>'''.encode()


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
    within = post(catalogue.client, get_records(version, spatial('DWithin', POINT_LATLON.format('46 7.1'), '0.5')))
    assert matched(within) == 3
    assert b'urn:test:thing:0' in within.data and b'urn:test:thing:1' not in within.data
    beyond = post(catalogue.client, get_records(version, spatial('Beyond', POINT_LATLON.format('46 7.1'), '0.5e0')))
    assert matched(beyond) == 3
    assert b'urn:test:thing:1' in beyond.data and b'urn:test:thing:0' not in beyond.data


def test_distance_attack_over_http(catalogue, live_app):
    """The request of the report, over real HTTP: a 400 ExceptionReport, nothing matched."""
    import requests
    server = live_app(create_app(catalogue.config, init_database=False))
    body = get_records('2.0.2', spatial('DWithin', POINT.format('0 0'), HOSTILE_NUMBERS[0]))
    answer = requests.post(f'{server.url}/csw', data=body, timeout=30,
                           headers={'Content-Type': 'application/xml'})
    assert answer.status_code == 400
    assert b'ExceptionReport' in answer.content
    assert b'numberOfRecordsMatched' not in answer.content


# ---- geometries of every spatial operator, and their srsName -------------------------------
GEOMETRIES = [POINT, ENVELOPE, POLYGON, LINE]


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', SPATIAL_OPERATORS)
@pytest.mark.parametrize('geometry', range(len(GEOMETRIES)), ids=['Point', 'Envelope', 'Polygon', 'LineString'])
def test_hostile_coordinates_are_refused(catalogue, version, op, geometry):
    token = HOSTILE_COORDINATES[(SPATIAL_OPERATORS.index(op) + geometry) % len(HOSTILE_COORDINATES)]
    coordinates = f'{token} 7' if GEOMETRIES[geometry] is POINT else token
    distance = '1' if op in ('DWithin', 'Beyond') else None
    body = get_records(version, spatial(op, GEOMETRIES[geometry].format(coordinates), distance))
    assert_refused(post(catalogue.client, body), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('token', HOSTILE_COORDINATES)
def test_every_hostile_coordinate_is_refused(catalogue, version, token):
    body = get_records(version, spatial('BBOX', ENVELOPE.format(f'45 {token}')))
    assert_refused(post(catalogue.client, body), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('srs', ["EPSG:4326' OR 1=1 --", 'EPSG:4326;DROP TABLE records', "urn:ogc:def:crs:EPSG::4326')--"])
def test_hostile_srsname_is_refused(catalogue, version, srs):
    geometry = f'<gml:Envelope srsName="{escape(srs)}"><gml:lowerCorner>45 6</gml:lowerCorner>' \
               '<gml:upperCorner>47 8</gml:upperCorner></gml:Envelope>'
    assert_refused(post(catalogue.client, get_records(version, spatial('BBOX', geometry))), version)


@pytest.mark.parametrize('version', VERSIONS)
def test_bbox_still_works(catalogue, version):
    """Station 1 (lon 8, lat 46) and its Datastreams, in EPSG:4326 (lat lon) and CRS84 (lon lat)."""
    latlon = spatial('BBOX', ENVELOPE.replace('8 47', '47 8.5').replace(
        '<gml:Envelope>', f'<gml:Envelope {LATLON}>').format('45.5 7.5'))
    assert matched(post(catalogue.client, get_records(version, latlon))) == 3
    lonlat = ('<gml:Envelope srsName="urn:ogc:def:crs:OGC:1.3:CRS84"><gml:lowerCorner>7.5 45.5'
              '</gml:lowerCorner><gml:upperCorner>8.5 47</gml:upperCorner></gml:Envelope>')
    assert matched(post(catalogue.client, get_records(version, spatial('BBOX', lonlat)))) == 3


# ---- comparison operators and their literals (bound: they match only as values) -------------
COMPARISONS = {'PropertyIsEqualTo': '=', 'PropertyIsNotEqualTo': '!=', 'PropertyIsLessThan': '<',
               'PropertyIsGreaterThan': '>', 'PropertyIsLessThanOrEqualTo': '<=',
               'PropertyIsGreaterThanOrEqualTo': '>=', 'PropertyIsLike': 'like'}
HOSTILE_LITERALS = ["x' OR '1'='1", "'; DROP TABLE records; --", "x' UNION SELECT identifier FROM records --",
                    "Station 0' --", "%' OR 1=1 /*", "Station 0'); DELETE FROM records; --"]


def expected(url: str, condition: str, **values) -> int:
    """How many records ``condition`` (SQL on the records table, bound values) selects."""
    with get_engine(url).connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM records WHERE typename != 'rim:Association' "
                                 f'AND {condition}'), values).scalar()


def comparison(op: str, literal: str, prop: str = '<f:{ref}>dc:title</f:{ref}>', attributes: str = '') -> str:
    return f'<f:{op}{attributes}>{prop}<f:Literal>{escape(literal)}</f:Literal></f:{op}>'


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', COMPARISONS)
@pytest.mark.parametrize('literal', HOSTILE_LITERALS)
def test_comparison_literals_are_values(catalogue, version, op, literal):
    resp = post(catalogue.client, get_records(version, comparison(op, literal)))
    assert matched(resp) == expected(catalogue.url, f'title {COMPARISONS[op]} :v', v=literal)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('literal', HOSTILE_LITERALS)
def test_between_literals_are_values(catalogue, version, literal):
    body = (f'<f:PropertyIsBetween><f:{{ref}}>dc:title</f:{{ref}}><f:LowerBoundary><f:Literal>{escape(literal)}'
            '</f:Literal></f:LowerBoundary><f:UpperBoundary><f:Literal>Station 0 stream 1</f:Literal>'
            '</f:UpperBoundary></f:PropertyIsBetween>')
    resp = post(catalogue.client, get_records(version, body))
    assert matched(resp) == expected(catalogue.url, 'title BETWEEN :a AND :b', a=literal, b='Station 0 stream 1')


@pytest.mark.parametrize('version', VERSIONS)
def test_null_check_and_not(catalogue, version):
    body = ("<f:Not><f:PropertyIsEqualTo><f:{ref}>dc:title</f:{ref}><f:Literal>x' OR '1'='1</f:Literal>"
            '</f:PropertyIsEqualTo></f:Not>')
    assert matched(post(catalogue.client, get_records(version, body))) == 7
    null = "<f:PropertyIsNull><f:{ref}>dc:title</f:{ref}></f:PropertyIsNull>"
    assert exception(post(catalogue.client, get_records(version, null))) in (None, 'InvalidParameterValue')


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('attributes', [' wildCard=""', ' singleChar=""', ' wildCard="%\' OR 1=1 --"',
                                        ' escapeChar="\\\'"', ' wildCard="*" singleChar="*"',
                                        ' matchCase="false\' OR 1=1"'])
def test_hostile_like_characters_are_refused(catalogue, version, attributes):
    body = comparison('PropertyIsLike', 'Station%', attributes=attributes)
    assert_refused(post(catalogue.client, get_records(version, body)), version)


@pytest.mark.parametrize('version', VERSIONS)
def test_like_characters_still_work(catalogue, version):
    body = comparison('PropertyIsLike', 'Station*', attributes=' wildCard="*" singleChar="?" escapeChar="!"')
    assert matched(post(catalogue.client, get_records(version, body))) == 6


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name', ["lower'); DROP TABLE records; --", 'pg_sleep', 'lower(title)) OR (1=1',
                                  'upper/**/'])
def test_hostile_function_names_are_refused(catalogue, version, name):
    prop = f'<f:Function name="{escape(name)}"><f:{{ref}}>dc:title</f:{{ref}}></f:Function>'
    body = comparison('PropertyIsEqualTo', 'station 0', prop=prop)
    assert_refused(post(catalogue.client, get_records(version, body)), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('literal', ['station 0', *HOSTILE_LITERALS])
def test_function_literals_are_values(catalogue, version, literal):
    prop = '<f:Function name="lower"><f:{ref}>dc:title</f:{ref}></f:Function>'
    resp = post(catalogue.client, get_records(version, comparison('PropertyIsEqualTo', literal, prop=prop)))
    assert matched(resp) == expected(catalogue.url, 'lower(title) = :v', v=literal)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name', ["dc:title' OR '1'='1", 'title; DROP TABLE records', 'csw:AnyText) OR (1=1'])
def test_hostile_property_names_are_refused(catalogue, version, name):
    body = comparison('PropertyIsEqualTo', 'x', prop=f'<f:{{ref}}>{escape(name)}</f:{{ref}}>')
    assert_refused(post(catalogue.client, get_records(version, body)), version)


# ---- sorting, ElementName ---------------------------------------------------------------------
def kvp(version: str, **params) -> dict:
    """GetRecords KVP of ``version`` (brief records unless ``elementname`` is given)."""
    base = {'service': 'CSW', 'version': version, 'request': 'GetRecords', 'typenames': 'csw:Record'}
    if 'elementname' not in params:
        base['elementsetname'] = 'brief'
    if version == '2.0.2':
        base['resulttype'] = 'results'
    return dict(base, **params)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('sortby', ['dc:title;DROP TABLE records:A', 'dc:title:A;DROP TABLE records',
                                    "dc:title' --:D", 'title) UNION SELECT 1:A', 'dc:title:NaN'])
def test_hostile_kvp_sortby_is_refused(catalogue, version, sortby):
    assert_refused(catalogue.client.get('/csw', query_string=kvp(version, sortby=sortby)), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name, order', [("dc:title'; DROP TABLE records; --", 'ASC'),
                                         ('dc:title', 'DESC; DROP TABLE records'),
                                         ('dc:title', "ASC' --")])
def test_hostile_xml_sortby_is_refused(catalogue, version, name, order):
    sortby = (f'<f:SortBy><f:SortProperty><f:{{ref}}>{escape(name)}</f:{{ref}}><f:SortOrder>{escape(order)}'
              '</f:SortOrder></f:SortProperty></f:SortBy>')
    body = get_records(version, comparison('PropertyIsLike', 'Station%'), sortby=sortby)
    assert_refused(post(catalogue.client, body), version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name, order', [("dc:title'; DROP TABLE records; --", 'ASC'),
                                         ('dc:title', 'DESC; DROP TABLE records'),
                                         ('title) UNION SELECT 1', 'ASC')])
def test_hostile_second_sort_key_is_refused(catalogue, version, name, order):
    key = '<f:SortProperty><f:{{ref}}>{}</f:{{ref}}><f:SortOrder>{}</f:SortOrder></f:SortProperty>'
    sortby = f'<f:SortBy>{key.format("dc:title", "ASC")}{key.format(escape(name), escape(order))}</f:SortBy>'
    body = get_records(version, comparison('PropertyIsLike', 'Station%'), sortby=sortby)
    assert_refused(post(catalogue.client, body), version)
    kvp_order = {'ASC': 'A', 'DESC': 'D'}.get(order, order)
    assert_refused(catalogue.client.get('/csw', query_string=kvp(
        version, sortby=f'dc:title:A,{name}:{kvp_order}')), version)


@pytest.mark.parametrize('version', VERSIONS)
def test_sortby_still_works(catalogue, version):
    resp = catalogue.client.get('/csw', query_string=kvp(version, sortby='dc:title:D',
                                                         constraintlanguage='CQL_TEXT',
                                                         constraint="dc:title like 'Station _'"))
    assert re.findall(rb'<dc:title>([^<]+)', resp.data) == [b'Station 1', b'Station 0']


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name', ["dc:title'; DROP TABLE records; --", 'dc:title) UNION SELECT xml FROM records --'])
def test_hostile_elementname_is_refused(catalogue, version, name):
    assert_refused(catalogue.client.get('/csw', query_string=kvp(version, elementname=name)), version)


# ---- CQL: KVP and XML, CSW 2.0.2 and 3.0.0 -------------------------------------------------------
HOSTILE_CQL = ["dc:title = 'x'' OR ''1''=''1'", "dc:title = 'a' OR 1=1", "dc:title like '%'; DROP TABLE records; --'",
               "dc:title = x') UNION SELECT identifier FROM records --", "dc:title = 'Station 0'; DELETE FROM records",
               "dc:title = 'Station 0' --"]


def assert_refused_or_nothing(resp, version: str) -> None:
    """A hostile request is refused, or matches no record."""
    if exception(resp) is None:
        assert matched(resp) == 0
    else:
        assert_refused(resp, version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('cql', HOSTILE_CQL)
def test_hostile_cql_kvp(catalogue, version, cql):
    resp = catalogue.client.get('/csw', query_string=kvp(version, constraintlanguage='CQL_TEXT', constraint=cql))
    assert_refused_or_nothing(resp, version)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('cql', HOSTILE_CQL)
@pytest.mark.parametrize('unvalidated', [False, True])
def test_hostile_cql_xml(catalogue, version, cql, unvalidated):
    resp = post(catalogue.client, get_records(version, cql=cql, unvalidated=unvalidated))
    assert_refused_or_nothing(resp, version)


@pytest.mark.parametrize('version', VERSIONS)
def test_kvp_filter_with_hostile_distance(catalogue, version):
    """constraintlanguage=FILTER (KVP): the attack's Distance, refused."""
    v = VERSIONS[version]
    flt = (f'<f:Filter xmlns:f="{v.flt}" xmlns:gml="http://www.opengis.net/gml">'
           + spatial('DWithin', POINT.format('46 7'), escape(HOSTILE_NUMBERS[0])).replace('{ref}', v.ref)
           .replace('{units}', v.units) + '</f:Filter>')
    resp = catalogue.client.get('/csw', query_string=kvp(version, constraintlanguage='FILTER', constraint=flt))
    assert_refused(resp, version)


# ---- GetDomain, GetRecordById, OpenSearch --------------------------------------------------------
@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name', ["dc:title';DROP TABLE records;--", 'title) FROM records; DROP TABLE records; --',
                                  'dc:title UNION SELECT xml'])
def test_hostile_getdomain_name_gives_no_values(catalogue, version, name):
    param = 'propertyname' if version == '2.0.2' else 'valuereference'
    resp = catalogue.client.get('/csw', query_string={'service': 'CSW', 'version': version,
                                                      'request': 'GetDomain', param: name})
    assert exception(resp) in (None, 'InvalidParameterValue')
    assert b'Value>' not in resp.data and b'Station' not in resp.data
    ok = catalogue.client.get('/csw', query_string={'service': 'CSW', 'version': version,
                                                    'request': 'GetDomain', param: 'dc:title'})
    assert b'Station 0' in ok.data


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('ident', ["urn:test:service' OR '1'='1", "x') OR 1=1 --", "x'; DROP TABLE records; --",
                                   "x' UNION SELECT identifier FROM records --"])
def test_hostile_getrecordbyid_finds_nothing(catalogue, version, ident):
    resp = catalogue.client.get('/csw', query_string={'service': 'CSW', 'version': version,
                                                      'request': 'GetRecordById', 'id': ident})
    assert exception(resp) in (None, 'NotFound')
    assert b'<dc:identifier>' not in resp.data
    if version == '3.0.0':
        return  # CSW 3.0.0 GetRecordById takes one id
    both = catalogue.client.get('/csw', query_string={'service': 'CSW', 'version': version,
                                                      'request': 'GetRecordById', 'id': f'urn:test:thing:0,{ident}'})
    assert re.findall(rb'<dc:identifier>([^<]+)', both.data) == [b'urn:test:thing:0']


@pytest.mark.parametrize('bbox', ["7,46,8,47');DROP TABLE records;--", '7,46,8,NaN', "7,46,8,47' OR '1'='1"])
def test_hostile_opensearch_bbox_is_refused(catalogue, bbox):
    resp = catalogue.client.get('/csw', query_string={'service': 'CSW', 'version': '3.0.0', 'mode': 'opensearch',
                                                      'request': 'GetRecords', 'typenames': 'csw:Record',
                                                      'bbox': bbox})
    assert exception(resp) == 'InvalidParameterValue' and resp.status_code == 400


# ---- Transaction Update and Delete (administrator) -----------------------------------------------
def transaction(version: str, action: str, filter_body: str) -> bytes:
    v = VERSIONS[version]
    body = filter_body.replace('{ref}', v.ref).replace('{units}', v.units)
    constraint = (f'<{v.prefix}:Constraint version="{v.filter_version}"><f:Filter>{body}</f:Filter>'
                  f'</{v.prefix}:Constraint>')
    if action == 'Update':
        inner = (f'<{v.prefix}:Update><{v.prefix}:RecordProperty><{v.prefix}:Name>dc:title</{v.prefix}:Name>'
                 f'<{v.prefix}:Value>changed</{v.prefix}:Value></{v.prefix}:RecordProperty>{constraint}'
                 f'</{v.prefix}:Update>')
    else:
        inner = f'<{v.prefix}:Delete typeName="{v.typename}">{constraint}</{v.prefix}:Delete>'
    return (f'<{v.prefix}:Transaction xmlns:{v.prefix}="{v.csw}" xmlns:f="{v.flt}" '
            f'xmlns:gml="http://www.opengis.net/gml" service="CSW" version="{version}">'
            f'<{v.prefix}:Insert/>{inner}</{v.prefix}:Transaction>').encode()


def admin_post(catalogue, body: bytes):
    return post(catalogue.client, body, headers={'Authorization': f'Bearer {catalogue.config.admin_token}'})


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('action', ['Update', 'Delete'])
@pytest.mark.parametrize('distance', HOSTILE_NUMBERS[:5])
def test_transaction_with_hostile_distance_is_refused(catalogue, version, action, distance):
    resp = admin_post(catalogue, transaction(version, action, spatial('DWithin', POINT.format('46 7'), distance)))
    assert exception(resp) is not None and b'totalDeleted>' not in resp.data
    assert expected(catalogue.url, "title = 'changed'") == 0


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('literal', HOSTILE_LITERALS)
def test_transaction_delete_literal_is_a_value(catalogue, version, literal):
    resp = admin_post(catalogue, transaction(version, 'Delete', comparison('PropertyIsEqualTo', literal)))
    assert exception(resp) is None, resp.data[-500:]
    assert re.search(rb'totalDeleted>0<', resp.data)


# ---- the second line: sql_guard on its own -------------------------------------------------------
def test_bind_where_binds_spatial_values_and_refuses_leftovers():
    from hubcat.sql_guard import UnsafeSQL, bind_where
    where, values = bind_where(
        "title = :pvalue0 and query_spatial(wkt_geometry,'POINT(7 46)','dwithin','0.5') = 'true'", ['x'])
    assert where == "title = :pvalue0 and query_spatial(wkt_geometry,:pvalue1,'dwithin',:pvalue2) = 'true'"
    assert values == ['x', 'POINT(7 46)', '0.5']
    where, values = bind_where("st_intersects(wkb_geometry, st_geomfromtext('POLYGON((1 2, 3 4))',4326))", [])
    assert where == 'st_intersects(wkb_geometry, st_geomfromtext(:pvalue0,4326))'
    for hostile in HOSTILE_NUMBERS[:5] + ['NaN', 'inf']:
        sql = f"query_spatial(wkt_geometry,'POINT(7 46)','dwithin','{hostile}') = 'true'"
        with pytest.raises(UnsafeSQL):
            bind_where(sql, [])
    for leftover in ["title = 'x'", 'title = :pvalue0; DROP TABLE records', 'title = :pvalue0 -- x',
                     'title = :pvalue0 /* x */', 'title = $$x$$', 'title = "x"']:
        with pytest.raises(UnsafeSQL):
            bind_where(leftover, ['x'])


# ---- full text (csw:AnyText; PostgreSQL full-text search when its index exists) and Not ----------
@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('op', ['PropertyIsLike', 'PropertyIsEqualTo'])
@pytest.mark.parametrize('literal', HOSTILE_LITERALS)
def test_anytext_literals_are_values(catalogue, version, op, literal):
    """A word no record has, plus the hostile text: nothing matches (LIKE, or full text on PostgreSQL)."""
    body = comparison(op, f'zzqx {literal}', prop='<f:{ref}>csw:AnyText</f:{ref}>')
    assert matched(post(catalogue.client, get_records(version, body))) == 0
    station = comparison(op, 'Station', prop='<f:{ref}>csw:AnyText</f:{ref}>')
    assert matched(post(catalogue.client, get_records(version, station))) == 6


@pytest.mark.parametrize('version', VERSIONS)
def test_not_spatial_still_works(catalogue, version):
    """Not BBOX(Station 1): the service (no location), Station 0 and its two Datastreams."""
    bbox = spatial('BBOX', ENVELOPE.replace('8 47', '47 8.5').replace(
        '<gml:Envelope>', f'<gml:Envelope {LATLON}>').format('45.5 7.5'))
    assert matched(post(catalogue.client, get_records(version, f'<f:Not>{bbox}</f:Not>'))) == 4
