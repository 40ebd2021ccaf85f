"""OGC API - Records items: every advertised queryable filters as ``name=value``, and ``ids``,
``type`` and the record links a portal follows (issue 12, point 1).

The catalogue is the filled, live HubCat of tests/catalogue_fixtures.py (STA online, SOS
offerings stale, CITE Dublin Core records).  The expected records of each filter are worked
out here from the full, unfiltered list of records the API returns, so a parameter the server
ignored (or applied to the wrong column) would return the wrong set.
"""
from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from lxml import etree

from catalogue_fixtures import SOS_RECORDS, SOS_STALE, STA_RECORDS
from hubcat.oarec.params import queryables

ITEMS = '/records/collections/{}/items'
#: queryables read from the record's time interval rather than its properties
TIME_QUERYABLES = {'phenomenonTimeBegin': 0, 'phenomenonTimeEnd': 1}
NOT_PROPERTIES = ('id', 'q', 'type', 'geometry')   # geometry: bbox and CQL2 filter


def _pages(url: str, **params) -> tuple[list[dict], int]:
    """Every feature reached by following ``next`` links, and numberMatched."""
    features, page = [], requests.get(url, params=params, timeout=60).json()
    matched = page['numberMatched']
    while True:
        features += page['features']
        nxt = [link['href'] for link in page['links'] if link['rel'] == 'next']
        if not nxt:
            return features, matched
        page = requests.get(nxt[0], timeout=60).json()


def _values(feature: dict, name: str) -> list[str]:
    """The values of one queryable in a GeoJSON record (lists flattened)."""
    if name in TIME_QUERYABLES:
        interval = (feature.get('time') or {}).get('interval')
        value = interval[TIME_QUERYABLES[name]] if interval else None
    else:
        value = feature['properties'].get(name)
    if value in (None, '', '..'):
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.fixture(scope='module')
def everything(hubcat) -> list[dict]:
    """Every record of the ``all`` collection, unfiltered."""
    base, _ = hubcat
    features, matched = _pages(base + ITEMS.format('all'), limit=100)
    assert len(features) == matched
    return features


def test_the_queryables_document_advertises_every_queryable(hubcat):
    base, _ = hubcat
    for collection in ('all', 'sensors', 'services'):
        answer = requests.get(f'{base}/records/collections/{collection}/queryables', timeout=30)
        assert answer.headers['Content-Type'].startswith('application/schema+json')
        advertised = set(answer.json()['properties'])
        assert advertised == set(queryables()) | set(NOT_PROPERTIES), collection
    assert {'status', 'statusReason', 'observedProperty', 'unit', 'serviceType',
            'thingIdentifier', 'lastSeen'} <= set(queryables())


@pytest.mark.parametrize('name', sorted(queryables()))
def test_every_queryable_filters_items_as_name_equals_value(hubcat, everything, name):
    """``name=value`` returns exactly the records whose ``name`` is (or includes) that value:
    the rarest value of the property is asked for, so an ignored filter would show."""
    base, _ = hubcat
    counts: dict[str, int] = {}
    for feature in everything:
        for value in set(_values(feature, name)):
            counts[value] = counts.get(value, 0) + 1
    assert counts, f'no record has a value for the advertised queryable {name!r}'
    value = min(counts, key=lambda v: (counts[v], v))
    expected = {f['id'] for f in everything
                if value.casefold() in {v.casefold() for v in _values(f, name)}}
    found, matched = _pages(base + ITEMS.format('all'), limit=100, **{name: value})
    assert matched == len(found) == len(expected) < len(everything), (name, value)
    assert {f['id'] for f in found} == expected, (name, value)


def test_status_and_reason_filter_online_and_offline(hubcat):
    base, _ = hubcat
    items = base + ITEMS.format('sensors')
    offline, matched = _pages(items, status='offline', limit=100)
    assert matched == SOS_STALE
    assert {(f['properties']['type'], f['properties']['statusReason']) for f in offline} == \
        {('offering', 'stale'), ('procedure', 'stale')}
    online = requests.get(items, params={'status': 'online', 'limit': 1}, timeout=30).json()
    assert online['numberMatched'] == STA_RECORDS - 1 + SOS_RECORDS - 1 - SOS_STALE
    stale = requests.get(items, params={'statusReason': 'stale', 'limit': 1}, timeout=30).json()
    assert stale['numberMatched'] == SOS_STALE


def test_ids_select_exactly_those_records(hubcat, everything):
    base, _ = hubcat
    wanted = [everything[3]['id'], everything[-1]['id'], everything[120]['id']]
    answer = requests.get(base + ITEMS.format('all'),
                          params={'ids': ','.join(wanted), 'limit': 100}, timeout=30)
    assert answer.headers['Content-Type'].startswith('application/geo+json')
    page = answer.json()
    one = requests.get(base + ITEMS.format('all') + '/' + quote(wanted[0], safe=''), timeout=30)
    assert one.headers['Content-Type'].startswith('application/geo+json')
    assert one.json()['id'] == wanted[0]
    assert page['numberMatched'] == page['numberReturned'] == 3
    assert {f['id'] for f in page['features']} == set(wanted)
    none = requests.get(base + ITEMS.format('all'), params={'ids': 'urn:nothing:here'},
                        timeout=30).json()
    assert none['numberMatched'] == 0 and none['features'] == []
    service = next(f['id'] for f in everything if f['properties'].get('type') == 'service')
    sensors = requests.get(base + ITEMS.format('sensors'),
                           params={'ids': f'{service},{wanted[0]}'}, timeout=30).json()
    assert service not in {f['id'] for f in sensors['features']}   # ids within the collection


def test_type_takes_a_list_of_hubcat_and_dcmi_types(hubcat, everything):
    base, _ = hubcat
    wanted = ('offering', 'procedure', 'http://purl.org/dc/dcmitype/Image')
    found, matched = _pages(base + ITEMS.format('all'), type=','.join(wanted), limit=100)
    expected = {f['id'] for f in everything if f['properties'].get('type') in wanted}
    assert {f['id'] for f in found} == expected and matched == len(expected)
    assert {f['properties']['type'] for f in found} == set(wanted)


def _link(feature: dict, title: str) -> dict:
    return next(link for link in feature['links'] if link.get('title') == title)


def test_every_record_has_its_csw_alternates_in_three_schemas(hubcat, everything):
    kinds = {}
    for feature in everything:
        kinds.setdefault(feature['properties'].get('type'), feature)
    roots = {'Dublin Core (CSW)': '{http://www.opengis.net/cat/csw/2.0.2}Record',
             'ISO 19139 (CSW)': '{http://www.isotc211.org/2005/gmd}MD_Metadata',
             'ebRIM (CSW)': '{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}'}
    for kind, feature in kinds.items():
        for title, root in roots.items():
            link = _link(feature, title)
            assert link['rel'] == 'alternate' and link['type'] == 'application/xml'
            answer = requests.get(link['href'], timeout=30)
            assert answer.status_code == 200, (kind, title)
            doc = etree.fromstring(answer.content)
            assert etree.QName(doc).localname == 'GetRecordByIdResponse', (kind, title)
            record = doc[0]
            assert record.tag.startswith(root), (kind, title, record.tag)
            assert feature['id'] in answer.text, (kind, title)


def test_sos_offering_links_getobservation_its_service_and_its_procedure_data(hubcat, everything,
                                                                               sos_url):
    offering = next(f for f in everything if f['properties'].get('type') == 'offering')
    get_observation = _link(offering, 'GetObservation')
    assert get_observation['rel'] == 'related' and get_observation['href'].startswith(sos_url)
    query = parse_qs(urlsplit(get_observation['href']).query)
    assert query['request'] == ['GetObservation'] and query['service'] == ['SOS']
    assert query['offering']
    service = requests.get(_link(offering, 'The service')['href'], timeout=30).json()
    assert service['properties']['type'] == 'service'
    assert service['properties']['serviceType'] == 'SOS'
    assert service['properties']['serviceURL'] == sos_url


def test_a_thing_links_each_of_its_datastreams_and_each_datastream_its_observations(hubcat,
                                                                                   everything):
    base, _ = hubcat
    thing = next(f for f in everything if f['properties'].get('type') == 'thing')
    streams = {f['id'] for f in everything if f['properties'].get('type') == 'datastream'
               and f['properties'].get('thingIdentifier') == thing['id']}
    linked = [link['href'] for link in thing['links'] if link.get('title') == 'A Datastream']
    assert streams and len(linked) == len(streams)
    for href in linked:
        stream = requests.get(href, timeout=30).json()
        assert stream['id'] in streams
        observations = _link(stream, 'Observations')
        assert observations['rel'] == 'related' and observations['href'].endswith('/Observations')
        answer = requests.get(observations['href'], params={'$top': '1'}, timeout=30)
        assert answer.status_code == 200 and 'value' in answer.json()
        assert _link(stream, 'The Thing')['href'].endswith(thing['links'][0]['href'].rsplit('/', 1)[1])
        service = requests.get(_link(stream, 'The service')['href'], timeout=30).json()
        assert service['properties']['serviceType'] == 'STA'


@pytest.mark.parametrize('name', ['updated', 'lastSeen', 'phenomenonTimeEnd'])
def test_a_date_time_queryable_refuses_a_value_that_is_no_time(hubcat, name):
    base, _ = hubcat
    answer = requests.get(base + ITEMS.format('all'), params={name: 'yesterday'}, timeout=30)
    assert answer.status_code == 400 and answer.json()['parameter'] == name
    assert 'RFC 3339' in answer.json()['description']


def test_every_resource_is_html_for_a_browser(hubcat, everything):
    """The html conformance class: each resource answers a browser (Accept: text/html) and
    ``f=html`` with a page showing what the JSON holds."""
    base, _ = hubcat
    record = next(f for f in everything if f['properties'].get('type') == 'datastream')
    pages = {
        '/records': 'Record collections',
        '/records/conformance': 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/html',
        '/records/collections': 'Sensor services',
        '/records/collections/sensors': 'Sensors',
        '/records/collections/sensors/queryables': 'observedProperty',
        '/records/collections/sensors/items': 'records match',
        f'/records/collections/sensors/items/{quote(record["id"], safe="")}':
            record['properties']['title'],
    }
    browser = {'Accept': 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'}
    for path, shown in pages.items():
        for answer in (requests.get(base + path, headers=browser, timeout=30),
                       requests.get(base + path, params={'f': 'html'}, timeout=30)):
            assert answer.status_code == 200, path
            assert answer.headers['Content-Type'].startswith('text/html'), path
            assert shown in answer.text, (path, shown)
        assert requests.get(base + path, params={'f': 'json'}, headers=browser,
                            timeout=30).headers['Content-Type'].startswith('application/'), path
    missing = requests.get(base + '/records/collections/nope', headers=browser, timeout=30)
    assert missing.status_code == 404 and missing.headers['Content-Type'].startswith('text/html')
