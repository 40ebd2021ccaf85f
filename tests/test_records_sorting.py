"""OGC API - Records sorting (``sortby`` of several keys, ``/sortables``) and CSW ``SortBy``
of several keys, on the live harvested HubCat of tests/catalogue_fixtures.py, each backend.

Orders are checked against the records' own properties: the keys in turn (text by code
point, no value last either way); records equal in every key keep one order from page to
page (the store's row key: hubcat/sorting.py).
"""
from __future__ import annotations

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from owslib.ogcapi.records import Records

from catalogue_fixtures import SOS_RECORDS, STA_RECORDS
from oarec_schemas import assert_valid

SORTING = 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting'


def _get(url: str, **params) -> requests.Response:
    return requests.get(url, params=params, timeout=60)


def _pages(url: str, **params) -> tuple[list[dict], int, int]:
    """(every feature following ``next`` links, numberMatched, pages read); the first page
    checked against the standard's schema (each takes seconds: once is enough)."""
    page = _get(url, **params).json()
    assert_valid('schemas/recordCollectionGeoJSON.yaml', page)
    features, matched, pages = [], page['numberMatched'], 0
    while True:
        features += page['features']
        pages += 1
        nxt = [link['href'] for link in page['links'] if link['rel'] == 'next']
        if not nxt:
            return features, matched, pages
        page = _get(nxt[0]).json()


def expected_order(features: list[dict], keys: list[tuple[str, bool]]) -> list[str]:
    """Identifiers of ``features`` stably sorted by ``keys`` ((property, ascending), ...):
    the same list exactly when the features came in that order (ties keep theirs);
    features without the property last, whatever the direction."""
    ordered = list(features)
    for name, ascending in reversed(keys):
        present = [f for f in ordered if f['properties'].get(name) is not None]
        missing = [f for f in ordered if f['properties'].get(name) is None]
        ordered = sorted(present, key=lambda f: f['properties'][name],
                         reverse=not ascending) + missing
    return [f['id'] for f in ordered]


def test_sorting_is_declared_with_sortables_and_every_sortable_sorts(hubcat):
    base, _ = hubcat
    assert SORTING in _get(base + '/records/conformance').json()['conformsTo']
    collection = _get(base + '/records/collections/sensors').json()
    link = [l for l in collection['links']
            if l['rel'] == 'http://www.opengis.net/def/rel/ogc/1.0/sortables']
    assert link and link[0]['type'] == 'application/schema+json'
    answer = _get(link[0]['href'])
    assert answer.headers['Content-Type'].startswith('application/schema+json')
    sortables = answer.json()
    assert sortables['$id'] == link[0]['href'] and sortables['type'] == 'object'
    names = set(sortables['properties'])
    assert {'id', 'title', 'updated', 'status', 'serviceType', 'entityType', 'lastSeen'} <= names
    assert not names & {'observedProperty', 'unit', 'keywords'}     # lists: no single value
    for name in sorted(names):
        page = _get(base + '/records/collections/sensors/items', sortby=f'-{name}', limit=3)
        assert page.status_code == 200, (name, page.text[:300])
    openapi = _get(base + '/records/openapi').json()
    assert '/collections/{collectionId}/sortables' in openapi['paths']
    assert 'text/html' in _get(link[0]['href'], f='html').headers['Content-Type']


@pytest.mark.parametrize('sortby, keys', [
    ('serviceType,-entityType,title', [('serviceType', True), ('type', False), ('title', True)]),
    ('-serviceType,+title', [('serviceType', False), ('title', True)]),
    ('-lastSeen,-title', [('lastSeen', False), ('title', False)]),
])
def test_multi_key_sort_follows_the_data_and_pages_reach_every_record_once(hubcat, sortby, keys):
    base, _ = hubcat
    features, matched, pages = _pages(base + '/records/collections/sensors/items',
                                      sortby=sortby, limit=37)
    assert matched == STA_RECORDS - 1 + SOS_RECORDS - 1 and pages > 5
    ids = [f['id'] for f in features]
    assert len(ids) == matched and len(set(ids)) == matched
    assert ids == expected_order(features, keys)
    assert ids != expected_order(features, keys[:1] and [(keys[0][0], not keys[0][1])])
    one_page = _get(base + '/records/collections/sensors/items', sortby=sortby,
                    limit=100, offset=100).json()
    assert [f['id'] for f in one_page['features']] == ids[100:200]   # pages agree


def test_records_without_a_value_come_last_and_ties_page_without_repeats(hubcat):
    base, cite = hubcat
    # the CITE records have no status and no service type; every harvested one is online
    features, matched, _ = _pages(base + '/records/collections/all/items',
                                  sortby='-status,serviceType', limit=41)
    ids = [f['id'] for f in features]
    assert matched == STA_RECORDS + SOS_RECORDS + cite == len(set(ids)) == len(ids)
    assert ids == expected_order(features, [('status', False), ('serviceType', True)])
    assert all('serviceType' not in f['properties'] for f in features[-cite:])
    # one key equal for every sensor: the row key alone orders them, the same on every page
    same, matched, _ = _pages(base + '/records/collections/sensors/items', sortby='status',
                              limit=29)
    ids = [f['id'] for f in same]
    assert len(set(ids)) == len(ids) == matched
    at_once = _get(base + '/records/collections/sensors/items', sortby='status', limit=100,
                   offset=50).json()
    assert [f['id'] for f in at_once['features']] == ids[50:150]
    by_id, _, _ = _pages(base + '/records/collections/sensors/items', sortby='-id', limit=50)
    assert [f['id'] for f in by_id] == sorted(ids, reverse=True)


@pytest.mark.parametrize('sortby, named', [
    ('title,colour', 'colour'), ('-observedProperty', 'observedProperty'),
    ('title,-title', 'title'), (','.join(['title'] * 9), '8'),
])
def test_a_bad_sort_key_is_a_json_400_naming_it(hubcat, sortby, named):
    base, _ = hubcat
    answer = _get(base + '/records/collections/all/items', sortby=sortby)
    assert answer.status_code == 400
    assert answer.headers['Content-Type'].startswith('application/json')
    body = answer.json()
    assert body['parameter'] == 'sortby' and named in body['description']


def test_csw_sorts_by_several_keys_like_the_records_api(hubcat):
    base, _ = hubcat
    csw = CatalogueServiceWeb(base + '/csw', version='2.0.2')
    csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:EntityType', 'datastream')],
                    sortby=fes.SortBy([fes.SortProperty('hubcat:PhenomenonTimeEnd', 'DESC'),
                                       fes.SortProperty('dc:title', 'ASC')]),
                    maxrecords=60, esn='brief')
    api = _get(base + '/records/collections/all/items', entityType='datastream',
               sortby='-phenomenonTimeEnd,title', limit=60).json()
    assert csw.results['matches'] == api['numberMatched'] == 200
    assert list(csw.records) == [f['id'] for f in api['features']]
    # KVP: sortby=name:A,name:D
    answer = _get(base + '/csw', service='CSW', version='2.0.2', request='GetRecords',
                  typenames='csw:Record', resulttype='results', elementsetname='brief',
                  maxrecords='50', sortby='hubcat:ServiceType:D,dc:title:A')
    root = etree.fromstring(answer.content)
    kvp_ids = [e.text for e in root.iter('{http://purl.org/dc/elements/1.1/}identifier')]
    api = _get(base + '/records/collections/all/items', sortby='-serviceType,title',
               limit=50).json()
    assert kvp_ids == [f['id'] for f in api['features']]
    too_many = _get(base + '/csw', service='CSW', version='2.0.2', request='GetRecords',
                    typenames='csw:Record', resulttype='results',
                    sortby=','.join(['dc:title:A'] * 9))
    assert too_many.status_code == 400 and b'InvalidParameterValue' in too_many.content


def test_owslib_records_client_sorts(hubcat):
    base, _ = hubcat
    client = Records(base + '/records')
    assert SORTING in client.conformance()['conformsTo']
    found = client.collection_items('services', sortby='-serviceType,title')
    assert [f['properties']['serviceType'] for f in found['features']] == ['STA', 'SOS']
    things = client.collection_items('sensors', entityType='thing', sortby='-title', limit=50)
    titles = [f['properties']['title'] for f in things['features']]
    assert len(titles) == 50 and titles == sorted(titles, reverse=True)
