"""CQL2 filters of OGC API - Records items (``filter``, ``filter-lang``, ``filter-crs``).

On the live, harvested ``hubcat_search`` of tests/catalogue_fixtures.py (SQLite,
PostgreSQL, and PostgreSQL with PostGIS when the tests have it): every
operator class returns the records the data says it should (computed here from the
records themselves), and the records of the equivalent CSW query (OWSLib's OGC Filter
classes) where one exists; bad filters are a JSON 400 naming the problem; SQL-looking
input is refused or taken literally, and the catalogue stays whole.
"""
from __future__ import annotations

import json

import pytest
import requests
from openapi_spec_validator import validate
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from owslib.ogcapi.records import Records
from shapely.geometry import Polygon, box, shape

from catalogue_fixtures import SOS_RECORDS, SOS_STALE, STA_RECORDS

CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf/'
SPATIAL_PLUS = CQL2 + 'basic-spatial-functions-plus'
ADVANCED = CQL2 + 'advanced-comparison-operators'
_RECORDS: dict = {}


def _page(base: str, **params) -> requests.Response:
    return requests.get(base + '/records/collections/all/items', params=params, timeout=60)


def _ids(base: str, text: str, lang: str = 'cql2-text', **params) -> set[str]:
    """Every record id the filter selects (following next links)."""
    answer = _page(base, filter=text, **{'filter-lang': lang}, limit=100, **params)
    assert answer.status_code == 200, answer.text
    page, found = answer.json(), set()
    while True:
        found |= {f['id'] for f in page['features']}
        nxt = [link['href'] for link in page['links'] if link['rel'] == 'next']
        if not nxt:
            assert len(found) == answer.json()['numberMatched']
            return found
        page = requests.get(nxt[0], timeout=60).json()


def _records(base: str) -> dict[str, dict]:
    """id -> GeoJSON record, every record of the catalogue (read once per backend)."""
    if base not in _RECORDS:
        everything = _ids(base, 'TRUE')
        found = {}
        for page in range(0, len(everything), 100):
            for feature in _page(base, limit=100, offset=page).json()['features']:
                found[feature['id']] = feature
        assert set(found) == everything
        _RECORDS[base] = found
    return _RECORDS[base]


def _where(base: str, test) -> set[str]:
    """The ids of the records whose properties pass ``test``."""
    return {i for i, f in _records(base).items() if test(f['properties'])}


def _csw_ids(base: str, constraint) -> set[str]:
    csw = CatalogueServiceWeb(base + '/csw', version='2.0.2')
    found, start = set(), 1
    while True:
        csw.getrecords2(constraints=[constraint], maxrecords=100, startposition=start,
                        esn='brief')
        found |= set(csw.records)
        start = csw.results['nextrecord']
        if not start or start > csw.results['matches']:
            return found


def _bad(base: str, text: str, lang: str = 'cql2-text', **params) -> str:
    answer = _page(base, filter=text, **{'filter-lang': lang}, **params)
    assert answer.status_code == 400, (text, answer.text[:300])
    body = answer.json()
    assert body['code'] == 'InvalidParameterValue'
    return body['parameter'] + ': ' + body['description']


def test_conformance_queryables_and_openapi_declare_the_filter(hubcat_search):
    base, _ = hubcat_search
    declared = requests.get(base + '/records/conformance', timeout=30).json()['conformsTo']
    for name in ('cql2-text', 'cql2-json', 'basic-cql2', 'case-insensitive-comparison',
                 'basic-spatial-functions'):
        assert CQL2 + name in declared
    assert 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter' in declared
    assert 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter' in declared
    assert not any(c.endswith(('/temporal-functions', '/spatial-functions', '/arithmetic'))
                   for c in declared)
    queryables = requests.get(base + '/records/collections/sensors/queryables',
                              timeout=30).json()['properties']
    assert queryables['geometry']['format'] == 'geometry-any'
    assert queryables['lastSeen']['format'] == 'date-time'
    document = requests.get(base + '/records/openapi', timeout=30).json()
    validate(document)
    params = {p['name']: p for p in
              document['paths']['/collections/{collectionId}/items']['get']['parameters']}
    assert params['filter-lang']['schema']['enum'] == ['cql2-text', 'cql2-json']
    assert 'filter' in params and 'filter-crs' in params


def test_basic_cql2_comparisons_logic_and_null(hubcat_search):
    base, cite = hubcat_search
    everything = set(_records(base))
    assert len(everything) == STA_RECORDS + SOS_RECORDS + cite
    sos = _ids(base, "serviceType = 'SOS'")
    assert sos == _where(base, lambda p: p.get('serviceType') == 'SOS') and len(sos) == SOS_RECORDS
    stale = _ids(base, "status = 'offline' AND serviceType = 'SOS'")   # its offerings, procedures
    assert stale == _where(base, lambda p: p.get('serviceType') == 'SOS'
                           and p.get('status') == 'offline') and len(stale) == SOS_STALE
    assert stale == _csw_ids(base, fes.And([fes.PropertyIsEqualTo('hubcat:Status', 'offline'),
                                            fes.PropertyIsEqualTo('hubcat:ServiceType', 'SOS')]))
    # keywords are one value each: 'meteorology' is a keyword, 'meteo' is none
    assert _ids(base, "keywords = 'meteorology'") == _where(
        base, lambda p: 'meteorology' in p.get('keywords', []))
    assert _ids(base, "keywords = 'meteo'") == set()
    # AND binds tighter than OR
    mixed = _ids(base, "serviceType = 'SOS' OR serviceType = 'STA' AND type = 'thing'")
    assert mixed == sos | _where(base, lambda p: p['type'] == 'thing')
    # NOT is two-valued, as in CSW: records without a serviceType match NOT (... = 'STA')
    not_sta = _ids(base, "NOT (serviceType = 'STA')")
    assert not_sta == everything - _where(base, lambda p: p.get('serviceType') == 'STA')
    assert not_sta == _csw_ids(base, fes.Not([fes.PropertyIsEqualTo('hubcat:ServiceType', 'STA')]))
    assert _ids(base, "serviceType <> 'STA'") == sos   # no value: no comparison holds
    assert _ids(base, "serviceType > 'SOS'") == _where(base, lambda p: p.get('serviceType') == 'STA')
    assert _ids(base, "'SOS' >= serviceType") == sos   # a value on the left
    no_unit = _ids(base, 'unit IS NULL')
    assert no_unit == _where(base, lambda p: not p.get('unit'))
    assert _ids(base, 'unit IS NOT NULL') == everything - no_unit
    assert _ids(base, 'FALSE') == set() and _ids(base, 'true') == everything
    first = sorted(everything)[0]
    assert _ids(base, f"id = '{first}'") == {first}


def test_advanced_comparison_operators(hubcat_search):
    base, _ = hubcat_search
    like = _ids(base, "title LIKE 'MET-00_ Air%'")
    assert like == _where(base, lambda p: p['title'].startswith('MET-00')
                          and p['title'][7:].startswith(' Air')) and like
    assert like == _csw_ids(base, fes.PropertyIsLike('dc:title', 'MET-00_ Air%',
                                                     wildCard='%', singleChar='_'))
    caseless = _ids(base, "CASEI(title) LIKE CASEI('%ZURICH FLUNTERN%')")
    assert caseless == _where(base, lambda p: 'zurich fluntern' in p['title'].lower())
    # LIKE matches case where the class is declared (SQLite's LIKE ignores ASCII case)
    upper = _ids(base, "title LIKE '%ZURICH FLUNTERN%'")
    declared = requests.get(base + '/records/conformance', timeout=30).json()['conformsTo']
    assert caseless and upper == (set() if ADVANCED in declared else caseless)
    assert _ids(base, "CASEI(status) = CASEI('ONLINE')") == _ids(base, "status = 'online'")
    kinds = _ids(base, "type IN ('offering', 'procedure')")
    assert kinds == _where(base, lambda p: p['type'] in ('offering', 'procedure'))
    assert len(kinds) == SOS_RECORDS - 1
    assert kinds == _csw_ids(base, fes.Or([fes.PropertyIsEqualTo('hubcat:EntityType', 'offering'),
                                           fes.PropertyIsEqualTo('hubcat:EntityType', 'procedure')]))
    assert _ids(base, "serviceType NOT IN ('STA') AND serviceType IS NOT NULL") == \
        _where(base, lambda p: p.get('serviceType') == 'SOS')
    between = _ids(base, "title BETWEEN 'MET-001' AND 'MET-002 zzz'")
    assert between == _where(base, lambda p: 'MET-001' <= p['title'] <= 'MET-002 zzz') and between
    assert between == _csw_ids(base, fes.PropertyIsBetween('dc:title', 'MET-001', 'MET-002 zzz'))
    assert _ids(base, "observedProperty LIKE 'Air temp%'") == _where(
        base, lambda p: any(v.startswith('Air temp') for v in p.get('observedProperty', [])))


def _point(feature):
    geometry = feature['geometry']
    return tuple(geometry['coordinates']) if geometry and geometry['type'] == 'Point' else None


def _touching(base: str, region, exact: bool) -> set[str]:
    """Records whose footprint meets ``region`` (or its envelope when not ``exact``)."""
    region = region if exact else box(*region.bounds)
    return {i for i, f in _records(base).items()
            if f.get('geometry') and shape(f['geometry']).intersects(region)}


def test_basic_spatial_functions(hubcat_search):
    base, _ = hubcat_search
    declared = requests.get(base + '/records/conformance', timeout=30).json()['conformsTo']
    exact = SPATIAL_PLUS in declared
    boxed = _ids(base, 'S_INTERSECTS(geometry, BBOX(8.4, 47.3, 8.7, 47.5))')
    assert boxed == _touching(base, box(8.4, 47.3, 8.7, 47.5), True) and boxed
    assert boxed == _ids(base, '', bbox='8.4,47.3,8.7,47.5')   # the bbox parameter
    assert boxed == _csw_ids(base, fes.BBox([8.4, 47.3, 8.7, 47.5]))
    json_box = {'op': 's_intersects', 'args': [{'property': 'geometry'},
                                               {'bbox': [8.4, 47.3, 8.7, 47.5]}]}
    assert _ids(base, json.dumps(json_box), 'cql2-json') == boxed
    things = {i: _point(f) for i, f in _records(base).items()
              if f['properties']['type'] == 'thing' and _point(f)}
    (a_id, a), (b_id, b) = sorted(things.items())[:2]
    at_a = _ids(base, f'S_INTERSECTS(geometry, POINT({a[0]} {a[1]}))')
    assert a_id in at_a and at_a == _touching(base, shape({'type': 'Point', 'coordinates': a}), True)
    two = _ids(base, f'S_INTERSECTS(geometry, MULTIPOINT(({a[0]} {a[1]}), ({b[0]} {b[1]})))')
    assert two == at_a | _ids(base, f'S_INTERSECTS(geometry, POINT({b[0]} {b[1]}))')
    # a triangle round A whose envelope also holds B, which lies outside the triangle
    sx, sy = (1 if b[0] > a[0] else -1), (1 if b[1] > a[1] else -1)
    e = 0.01
    x0, y0, x1, y1 = a[0] - sx * e, a[1] - sy * e, b[0] + sx * e, b[1] + sy * e
    triangle = Polygon([(x0, y0), (x1, y0), (x0, y1), (x0, y0)])
    wkt = ', '.join(f'{x} {y}' for x, y in triangle.exterior.coords)
    found = _ids(base, f'S_INTERSECTS(geometry, POLYGON(({wkt})))')
    assert a_id in found and found == _touching(base, triangle, exact)
    assert (b_id not in found) == exact     # plus is declared only where this holds
    outside = _ids(base, f'S_DISJOINT(geometry, POLYGON(({wkt})))')
    assert outside == {i for i, f in _records(base).items() if f.get('geometry')} - found
    assert _ids(base, 'S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))') == set()
    assert _ids(base, 'S_WITHIN(geometry, BBOX(-180, -90, 180, 90))') == \
        {i for i, f in _records(base).items() if f.get('geometry')}


def test_timestamps_and_dates_on_the_time_queryables(hubcat_search):
    base, _ = hubcat_search
    ending = _ids(base, "phenomenonTimeEnd >= TIMESTAMP('2024-06-01T00:00:00Z')")
    assert ending == {
        i for i, f in _records(base).items()
        if f.get('time') and f['time']['interval'][1] >= '2024-06-01T00:00:00Z'
        and f['time']['interval'][1] != '..'}
    assert len(ending) >= 200
    assert ending == _ids(base, '', datetime='2024-06-01T00:00:00Z/..')
    that_day = _ids(base, "phenomenonTimeEnd = DATE('2024-06-01')")
    assert that_day == {i for i, f in _records(base).items()
                        if f.get('time') and f['time']['interval'][1].startswith('2024-06-01')}
    assert _ids(base, "phenomenonTimeEnd > DATE('2024-06-01')") == {
        i for i, f in _records(base).items()
        if f.get('time') and f['time']['interval'][1] >= '2024-06-02'
        and f['time']['interval'][1] != '..'}
    assert _ids(base, "phenomenonTimeEnd BETWEEN DATE('2024-05-01') AND DATE('2024-06-01')") \
        == that_day | {i for i, f in _records(base).items() if f.get('time') and
                       '2024-05-01' <= f['time']['interval'][1] < '2024-06-01'}
    seen = _ids(base, "lastSeen > TIMESTAMP('2000-01-01T00:00:00+01:00')")
    assert seen == _where(base, lambda p: bool(p.get('lastSeen')))
    assert _ids(base, "lastSeen < DATE('2000-01-01')") == set()
    assert seen == _csw_ids(base, fes.PropertyIsGreaterThan('hubcat:LastSeen',
                                                            '1999-12-31T23:00:00Z'))


def test_cql2_json_and_owslib_client(hubcat_search):
    base, _ = hubcat_search
    text = "type = 'datastream' AND NOT (observedProperty = 'Air temperature')"
    tree = {'op': 'and', 'args': [
        {'op': '=', 'args': [{'property': 'type'}, 'datastream']},
        {'op': 'not', 'args': [{'op': '=', 'args': [{'property': 'observedProperty'},
                                                    'Air temperature']}]}]}
    expected = _where(base, lambda p: p['type'] == 'datastream'
                      and 'Air temperature' not in p.get('observedProperty', []))
    assert expected and _ids(base, text) == expected
    assert _ids(base, json.dumps(tree), 'cql2-json') == expected
    timed = {'op': 'in', 'args': [{'property': 'serviceType'}, ['SOS', 'X']]}
    assert _ids(base, json.dumps(timed), 'cql2-json') == _where(
        base, lambda p: p.get('serviceType') == 'SOS')
    client = Records(base + '/records')
    found = client.collection_items('sensors', filter="status = 'online' AND type = 'thing'",
                                    limit=100)
    assert found['numberMatched'] == 50
    assert {f['properties']['type'] for f in found['features']} == {'thing'}


@pytest.mark.parametrize('text, lang, expected', [
    ("colour = 'red'", 'cql2-text', "unknown property 'colour'"),
    ("status = 'online' AND", 'cql2-text', 'unexpected end'),
    ("status == 'online'", 'cql2-text', 'position'),
    ('unit = 1', 'cql2-text', 'unit is text'),
    ("lastSeen > '2024-01-01'", 'cql2-text', 'lastSeen is a timestamp'),
    ("lastSeen > TIMESTAMP('yesterday')", 'cql2-text', 'not an RFC 3339 timestamp'),
    ("T_AFTER(lastSeen, TIMESTAMP('2024-01-01T00:00:00Z'))", 'cql2-text', 'temporal'),
    ('S_INTERSECTS(geometry, POINT(200 10))', 'cql2-text', 'out of range'),
    ('S_INTERSECTS(title, POINT(1 1))', 'cql2-text', 'geometry'),
    ('S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))', 'cql2-text', 'at least 4'),
    ("upper(title) = 'A'", 'cql2-text', 'unknown function UPPER'),
    ('title = unit', 'cql2-text', 'one property'),
    ('{"op": "=", "args": [{"property": "status"}]}', 'cql2-json', 'takes 2 arguments'),
    ('{"op": "=", ', 'cql2-json', 'not JSON'),
    ('{"op": "nope", "args": []}', 'cql2-json', "unknown operator 'nope'"),
    ("status = 'online'", 'ecql', 'filter-lang'),
    ('(' * 200 + "status = 'online'" + ')' * 200, 'cql2-text', 'nests deeper than 64'),
    ('NOT ' * 200 + "status = 'online'", 'cql2-text', 'nests deeper than 64'),
    ('CASEI(' * 200 + 'title' + ')' * 200 + " = 'a'", 'cql2-text', 'nests deeper than 64'),
    ('{"op": "not", "args": [' * 200 + 'true' + ']}' * 200, 'cql2-json', 'nests deeper than 64'),
    ('[' * 3000 + ']' * 3000, 'cql2-json', 'not JSON'),
    ("status IN (" + ", ".join(["'online'"] * 2000) + ")", 'cql2-text', 'longer than'),
])
def test_bad_filters_are_a_json_400_naming_the_problem(hubcat_search, text, lang, expected):
    base, _ = hubcat_search
    assert expected in _bad(base, text, lang)


def test_filter_crs_other_than_crs84_is_refused(hubcat_search):
    base, _ = hubcat_search
    message = _bad(base, 'S_INTERSECTS(geometry, BBOX(47, 8, 48, 9))',
                   **{'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4326'})
    assert message.startswith('filter-crs:')
    crs84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    assert _ids(base, 'S_INTERSECTS(geometry, BBOX(8.4, 47.3, 8.7, 47.5))',
                **{'filter-crs': crs84})


INJECTIONS = [
    "title = 'x' OR 1=1",
    "title = 'x'; DROP TABLE records",
    "title = 'x' -- comment",
    "title = 'x' /* comment */",
    "title = 'x''; DROP TABLE records; --'",
    "title = ''' OR ''1''=''1'",
    "title = 'x\\' OR 1=1 --'",
    "sqlite_version() = '3'",
    "pg_sleep(5) = 'a'",
    "\"title; DROP TABLE records\" = 'a'",
    "title = 'a' UNION SELECT identifier FROM records",
    'S_INTERSECTS(geometry, POINT(1 1) ) OR 1=1',
    '{"op": "=", "args": [{"property": "title\' OR \'1\'=\'1"}, "a"]}',
    '{"op": "like", "args": [{"property": "title"}, "%\' OR 1=1 --"]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"}, '
    '{"type": "Point", "coordinates": ["1) OR (1=1", 2]}]}',
]


def test_sql_in_a_filter_is_refused_or_literal_and_the_catalogue_stays_whole(hubcat_search):
    base, _ = hubcat_search
    before = _page(base, limit=1).json()['numberMatched']
    for text in INJECTIONS:
        lang = 'cql2-json' if text.startswith('{') else 'cql2-text'
        answer = _page(base, filter=text, **{'filter-lang': lang})
        assert answer.status_code in (200, 400), (text, answer.text[:300])
        if answer.status_code == 200:   # taken as the literal text it is
            assert answer.json()['numberMatched'] == 0, text
        else:
            assert answer.json()['parameter'] == 'filter', text
    assert _ids(base, "title = 'x''; DROP TABLE records; --'") == set()
    assert _page(base, limit=1).json()['numberMatched'] == before
    csw = CatalogueServiceWeb(base + '/csw', version='2.0.2')
    csw.getrecords2(resulttype='hits')
    assert csw.results['matches'] >= before
