"""OGC API - Records under /records: what a portal or OWSLib's Records client sees.

The ``hubcat`` fixture (tests/catalogue_fixtures.py) is a live HubCat (real HTTP on
127.0.0.1) that harvested the real STA server and the 52North example SOS and holds the 12
CITE Dublin Core records inserted through CSW-T, on each backend.  Responses are checked
against the standard's schemas (tests/oarec_schemas.py), and the same queries through CSW
and OGC API - Records must return the same records.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from openapi_spec_validator import validate
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from owslib.ogcapi.records import Records

from catalogue_fixtures import SOS_RECORDS, SOS_STALE, STA_RECORDS
from oarec_schemas import assert_valid

HITS_PER_PAGE = 37


def _get(url: str, **params) -> requests.Response:
    return requests.get(url, params=params, timeout=60)


def _all_pages(url: str, **params) -> tuple[list[dict], int]:
    """Every feature reached by following ``next`` links, and numberMatched."""
    features, page = [], _get(url, **params).json()
    matched = page['numberMatched']
    while True:
        features += page['features']
        assert page['numberReturned'] == len(page['features'])
        nxt = [link['href'] for link in page['links'] if link['rel'] == 'next']
        if not nxt:
            return features, matched
        page = _get(nxt[0]).json()


def test_landing_conformance_collections_follow_the_standard(hubcat):
    base, _ = hubcat
    landing = _get(base + '/records')
    assert landing.headers['Content-Type'].startswith('application/json')
    assert_valid('schemas/landingPage.yaml', landing.json())
    rels = {link['rel']: link['href'] for link in landing.json()['links']}
    assert {'self', 'service-desc', 'conformance', 'data'} <= set(rels)
    for rel in ('service-desc', 'conformance', 'data'):
        assert _get(rels[rel]).status_code == 200, rel
    conformance = _get(base + '/records/conformance').json()
    assert 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core' in conformance['conformsTo']
    collections = _get(base + '/records/collections').json()
    assert [c['id'] for c in collections['collections']] == ['all', 'sensors', 'services']
    for found in collections['collections']:
        assert_valid('schemas/collection.yaml', found)
        assert_valid('schemas/collection.yaml', _get(base + f'/records/collections/{found["id"]}').json())
    validate(_get(base + '/records/openapi').json())
    assert _get(base + '/records/collections/nope').status_code == 404


def test_every_record_page_is_valid_and_paging_reaches_every_record(hubcat):
    base, cite = hubcat
    features, matched = _all_pages(base + '/records/collections/all/items', limit=HITS_PER_PAGE)
    assert matched == STA_RECORDS + SOS_RECORDS + cite
    assert len(features) == matched
    assert len({f['id'] for f in features}) == matched
    page = _get(base + '/records/collections/all/items', limit=HITS_PER_PAGE, offset=40).json()
    assert_valid('schemas/recordCollectionGeoJSON.yaml', page)
    assert any(link['rel'] == 'prev' for link in page['links'])
    for feature in features:
        assert_valid('schemas/recordGeoJSON.yaml', feature)
    kinds = {f['properties']['type'] for f in features}
    assert {'service', 'thing', 'datastream', 'offering', 'procedure'} <= kinds
    cite_titles = {f['properties']['title'] for f in features if 'serviceType' not in f['properties']}
    assert len(cite_titles) == cite


def test_same_query_same_records_through_csw_and_records_api(hubcat):
    base, _ = hubcat
    csw = CatalogueServiceWeb(base + '/csw', version='2.0.2')

    def csw_ids(*constraints):
        csw.getrecords2(constraints=[fes.And(list(constraints))] if len(constraints) > 1
                        else list(constraints), maxrecords=100, esn='brief')
        assert csw.results['matches'] <= 100
        return set(csw.records)

    def api_ids(**params):
        features, matched = _all_pages(base + '/records/collections/all/items', limit=100,
                                       **params)
        return {f['id'] for f in features}

    temperature = csw_ids(fes.PropertyIsLike('csw:AnyText', '%temperature%'))
    assert temperature and api_ids(q='temperature') == temperature
    streams = csw_ids(fes.PropertyIsEqualTo('hubcat:EntityType', 'datastream'),
                      fes.PropertyIsLike('csw:AnyText', '%humidity%'))
    assert streams and api_ids(type='datastream', q='humidity') == streams
    things = csw_ids(fes.PropertyIsEqualTo('hubcat:ServiceType', 'STA'),
                     fes.PropertyIsEqualTo('hubcat:EntityType', 'thing'))
    assert len(things) == 50 and api_ids(serviceType='STA', entityType='thing') == things


def test_bbox_datetime_and_property_filters(hubcat):
    base, _ = hubcat
    items = base + '/records/collections/sensors/items'
    everything = _get(items, limit=1).json()['numberMatched']
    assert everything == STA_RECORDS - 1 + SOS_RECORDS - 1       # no services
    boxed, _ = _all_pages(items, bbox='8.4,47.3,8.7,47.5', limit=100)
    assert 0 < len(boxed) < everything
    for feature in boxed:
        coords = feature['geometry']['coordinates']
        lon, lat = coords if feature['geometry']['type'] == 'Point' else coords[0][0]
        assert 8.4 <= lon <= 8.7 and 47.3 <= lat <= 47.5, feature['id']
    recent = _get(items, datetime='2024-06-01T00:00:00Z/..', limit=1).json()['numberMatched']
    future = _get(items, datetime='2030-01-01/..', limit=1).json()['numberMatched']
    assert recent >= 200 and future == 0            # Datastreams end 2024-06-01T12:00Z
    online = _get(items, status='online', limit=1).json()['numberMatched']
    offline = _get(items, status='offline', limit=1).json()['numberMatched']
    assert online == everything - SOS_STALE and offline == SOS_STALE     # the SOS is stale
    services = _get(base + '/records/collections/services/items', sortby='serviceType').json()
    assert [f['properties']['serviceType'] for f in services['features']] == ['SOS', 'STA']
    sos_only = _get(items, serviceType='SOS', limit=100).json()
    assert sos_only['numberMatched'] == SOS_RECORDS - 1
    assert {f['properties']['type'] for f in sos_only['features']} == {'offering', 'procedure'}


def test_a_sensor_record_links_to_its_thing_service_data_and_csw_forms(hubcat):
    base, _ = hubcat
    stream = _get(base + '/records/collections/sensors/items', type='datastream', limit=1,
                  sortby='title').json()['features'][0]
    links = {link['title']: link for link in stream['links']}
    props = stream['properties']
    assert props['status'] == 'online' and props['observedProperty'] and props['unit']
    thing = _get(links['The Thing']['href']).json()
    assert thing['properties']['type'] == 'thing' and thing['id'] == props['thingIdentifier']
    assert any(link['rel'] == 'item' and link['href'].endswith(quote(stream['id'], safe=''))
               for link in thing['links'])
    assert _get(links['The service']['href']).json()['properties']['type'] == 'service'
    data = [link for link in stream['links'] if link['rel'] == 'related']
    assert any('/Datastreams(' in link['href'] for link in data)
    dc = _get(links['Dublin Core (CSW)']['href'])
    assert stream['id'] in dc.text and 'GetRecordByIdResponse' in dc.text
    self_link = links['This record as GeoJSON']['href']
    assert _get(self_link).json()['id'] == stream['id']


def test_owslib_records_client(hubcat):
    base, _ = hubcat
    client = Records(base + '/records')
    assert 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core' in \
        client.conformance()['conformsTo']
    assert client.records() == ['all', 'sensors', 'services']
    found = client.collection_items('sensors', q='temperature', limit=5)
    assert found['numberReturned'] == 5 and found['numberMatched'] > 5
    one = client.collection_item('all', found['features'][0]['id'])
    assert one['id'] == found['features'][0]['id']
    queryables = client.collection_queryables('sensors')['properties']
    assert {'status', 'observedProperty', 'unit', 'serviceType'} <= set(queryables)


@pytest.mark.parametrize('params, parameter', [
    ({'bbox': '1,2,3'}, 'bbox'), ({'bbox': 'a,b,c,d'}, 'bbox'), ({'bbox': '0,95,1,96'}, 'bbox'),
    ({'limit': '0'}, 'limit'), ({'limit': 'ten'}, 'limit'), ({'offset': '-1'}, 'offset'),
    ({'datetime': '2024-13-01'}, 'datetime'), ({'datetime': '../..'}, 'datetime'),
    ({'sortby': 'colour'}, 'sortby'), ({'colour': 'red'}, 'colour'),
    ({'q': 'x\x01'}, 'q'),
])
def test_bad_parameters_get_a_json_400(hubcat, params, parameter):
    base, _ = hubcat
    answer = _get(base + '/records/collections/all/items', **params)
    assert answer.status_code == 400, answer.text
    assert answer.json()['code'] == 'InvalidParameterValue'
    assert answer.json()['parameter'] == parameter


def test_repeated_parameter_and_missing_record(hubcat):
    base, _ = hubcat
    answer = requests.get(base + '/records/collections/all/items?status=online&status=offline',
                          timeout=30)
    assert answer.status_code == 400 and 'more than once' in answer.json()['description']
    missing = _get(base + '/records/collections/all/items/urn:nothing:here')
    assert missing.status_code == 404 and missing.json()['code'] == 'NotFound'


def test_limit_above_the_cap_is_capped_not_refused(hubcat):
    base, _ = hubcat
    page = _get(base + '/records/collections/all/items', limit=100000).json()
    assert page['numberReturned'] == 100 and page['numberMatched'] > 100


def test_html_for_browsers(hubcat):
    base, _ = hubcat
    page = requests.get(base + '/records/collections/sensors/items', params={'q': 'Aare'},
                        headers={'Accept': 'text/html,application/xhtml+xml'}, timeout=30)
    assert page.headers['Content-Type'].startswith('text/html')
    assert 'Aare at Bern' in page.text and 'records match' in page.text
    stream = _get(base + '/records/collections/sensors/items', q='Aare',
                  type='datastream', limit=1).json()['features'][0]
    html = _get(stream['links'][1]['href'])
    assert html.headers['Content-Type'].startswith('text/html')
    assert stream['properties']['title'] in html.text


def _assert_ows_context(doc: dict) -> None:
    """The requirements of OGC 14-055r2 (OWS Context GeoJSON encoding) a document must meet."""
    assert doc['type'] == 'FeatureCollection' and doc['id']
    props = doc['properties']
    assert {'href': 'http://www.opengis.net/spec/owc-geojson/1.0/req/core'}.items() <= \
        props['links']['profiles'][0].items()
    assert props['lang'] and props['title'] and props['updated'].endswith('Z')
    for resource in doc['features']:
        assert resource['type'] == 'Feature' and resource['id']
        assert resource['properties']['title'] and resource['properties']['updated']
        for offering in resource['properties']['offerings']:
            assert offering['code'].startswith('http')
            for operation in offering['operations']:
                assert {'code', 'method', 'href', 'type'} <= set(operation)
                assert operation['method'] == 'GET'


def test_ows_context_offers_each_property_through_every_service(hubcat, sta_server, sos_url):
    base, _ = hubcat
    answer = _get(base + '/api/context')
    assert answer.headers['Content-Type'].startswith('application/geo+json')
    doc = answer.json()
    _assert_ows_context(doc)
    resources = {r['properties']['title']: r for r in doc['features']}
    assert len(resources) == len(doc['features'])          # one resource per observed property
    both = {o['code'].rsplit('/', 1)[-1] for o in resources['Air temperature']['properties']['offerings']}
    assert both == {'sta', 'sos'}       # the one property, offered by every service serving it
    streams, _ = _all_pages(base + '/records/collections/sensors/items', type='datastream',
                            limit=100)
    labels = {label for f in streams for label in f['properties']['observedProperty']}
    assert labels <= set(resources)
    for label in labels:          # each STA offering's request finds exactly its Datastreams
        offering, = [o for o in resources[label]['properties']['offerings']
                     if o['code'].endswith('/sta')]
        href = offering['operations'][0]['href']
        assert href.startswith(sta_server)
        served = requests.get(href, params={'$count': 'true', '$top': '1'}, timeout=30).json()
        members = [f for f in streams if label in f['properties']['observedProperty']]
        assert served['@iot.count'] == len(members), label
    sos = [o for r in doc['features'] for o in r['properties']['offerings']
           if o['code'].endswith('/sos')]
    assert sos
    for offering in sos:
        get_observation = {op['code']: op['href'] for op in offering['operations']}['GetObservation']
        assert get_observation.startswith(sos_url) and 'request=GetObservation' in get_observation
        assert 'offering=' in get_observation and 'observedProperty=' in get_observation


def test_ows_context_of_a_search_and_its_errors(hubcat):
    base, _ = hubcat
    doc = _get(base + '/api/context', bbox='8.4,47.3,8.7,47.5').json()
    _assert_ows_context(doc)
    everywhere = _get(base + '/api/context').json()
    assert 0 < sum(len(r['properties']['offerings']) for r in doc['features']) <= \
        sum(len(r['properties']['offerings']) for r in everywhere['features'])
    assert doc['properties']['subtitle'] != everywhere['properties']['subtitle']
    bad = _get(base + '/api/context', bbox='1,2')
    assert bad.status_code == 400 and 'bbox' in bad.json()['error']
