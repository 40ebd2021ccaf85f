"""The demo's sample data and its built-in STA server, over real HTTP on 127.0.0.1."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from hubcat.demo.data import generate
from hubcat.demo.sta import create_sta_app, serve_demo, serve_in_thread

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc)
SEED = 7
ENTITY_SETS = ['Things', 'Locations', 'HistoricalLocations', 'Datastreams',
               'ObservedProperties', 'Sensors', 'Observations', 'FeaturesOfInterest']


@pytest.fixture(scope='module')
def dataset():
    return generate(seed=SEED, now=NOW)


@pytest.fixture(scope='module')
def incident(dataset):
    return dataset.service('incident')


@pytest.fixture(scope='module')
def url(incident):
    handle, root = serve_in_thread(create_sta_app(incident), host='127.0.0.1', port=0)
    yield root
    handle.shutdown()


def get(url, path='', **params):
    response = requests.get(url + path, params=params, timeout=30)
    assert response.headers['Content-Type'].startswith('application/json'), response.text
    return response


def walk(first_url):
    """Every entity of a collection, following @iot.nextLink."""
    entities, link, pages = [], first_url, 0
    while link:
        body = requests.get(link, timeout=30).json()
        entities.extend(body['value'])
        link = body.get('@iot.nextLink')
        pages += 1
        assert pages < 1000
    return entities, pages


def newest(times):
    return max(datetime.fromisoformat(t.replace('Z', '+00:00')) for t in times)


# ---------------------------------------------------------------- the service


def test_service_root_lists_entity_sets_with_absolute_urls(url):
    for root in (url, url + '/'):
        body = get(root).json()
        assert [e['name'] for e in body['value']] == ENTITY_SETS
        assert all(e['url'] == f"{url}/{e['name']}" for e in body['value'])
        assert 'http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel' in \
            body['serverSettings']['conformance']


def test_count_true_gives_the_number_of_entities(url, incident):
    assert get(url, '/Things', **{'$count': 'true'}).json()['@iot.count'] == len(incident.things)
    assert get(url, '/Observations', **{'$count': 'true', '$top': '0'}).json() == {
        '@iot.count': len(incident.observations), 'value': []}
    per_datastream = sum(1 for d in incident.observation_datastream.values() if d == 1)
    body = get(url, '/Datastreams(1)/Observations', **{'$count': 'true'}).json()
    assert body['@iot.count'] == per_datastream == len(body['value'])
    assert '@iot.count' not in get(url, '/Things').json()


def test_paging_with_next_link_walks_every_thing_once(url, incident):
    things, pages = walk(f'{url}/Things?$top=7')
    ids = [t['@iot.id'] for t in things]
    assert sorted(ids) == sorted(t['@iot.id'] for t in incident.things)
    assert len(ids) == len(set(ids))
    assert pages == -(-len(incident.things) // 7)
    assert get(url, '/Things', **{'$top': '7'}).json()['@iot.nextLink'].startswith(url + '/Things?')


def test_next_link_keeps_the_other_query_options(url, incident):
    expected = sorted((o['phenomenonTime'] for o in incident.observations), reverse=True)
    observations, _ = walk(f'{url}/Observations?$orderby=phenomenonTime desc&$top=50'
                           '&$select=id,phenomenonTime')
    assert [o['phenomenonTime'] for o in observations] == expected
    assert set(observations[0]) == {'@iot.id', 'phenomenonTime'}


def test_nested_expand_gives_each_datastream_its_own_observed_property(url, incident):
    names = {o['@iot.id']: o['name'] for o in incident.observed_properties}
    sensors = {s['@iot.id']: s['name'] for s in incident.sensors}
    seen = 0
    things, _ = walk(f'{url}/Things?$top=10&$expand=Locations($top=1),'
                     'Datastreams($expand=ObservedProperty,Sensor;$select=id,name)')
    for thing in things:
        assert len(thing['Locations']) == 1
        for datastream in thing['Datastreams']:
            ds_id = datastream['@iot.id']
            assert set(datastream) == {'@iot.id', 'name', 'ObservedProperty', 'Sensor'}
            assert datastream['ObservedProperty']['name'] == \
                names[incident.datastream_observed_property[ds_id]]
            assert datastream['Sensor']['name'] == sensors[incident.datastream_sensor[ds_id]]
            seen += 1
    assert seen == len(incident.datastreams)
    assert len({d['ObservedProperty']['name'] for t in things for d in t['Datastreams']}) > 5


def test_harvest_queries_of_real_servers_work_here(url, incident):
    """The queries a harvester sends to real STA servers (shared/peers/README.md)."""
    latest = {}
    for observation in incident.observations:
        ds_id = incident.observation_datastream[observation['@iot.id']]
        latest[ds_id] = max(latest.get(ds_id, ''), observation['resultTime'])
    things, _ = walk(f'{url}/Things?$top=100&$expand=Locations($top=1),'
                     'Datastreams/Observations($orderby=resultTime desc;$top=1)')
    datastreams = [d for t in things for d in t['Datastreams']]
    assert len(datastreams) == len(incident.datastreams)
    for datastream in datastreams:
        newest_result = [o['resultTime'] for o in datastream['Observations']]
        assert newest_result == ([latest[datastream['@iot.id']]] if datastream['@iot.id'] in latest
                                 else [])
    pairs = set()
    properties, _ = walk(f'{url}/ObservedProperties?$expand=Datastreams($select=id;$top=100)')
    for prop in properties:
        pairs |= {(d['@iot.id'], prop['@iot.id']) for d in prop['Datastreams']}
    assert pairs == set(incident.datastream_observed_property.items())


def test_expand_path_form_equals_nested_form(url):
    path_form = get(url, '/Things', **{'$expand': 'Datastreams/ObservedProperty'}).json()
    nested = get(url, '/Things', **{'$expand': 'Datastreams($expand=ObservedProperty)'}).json()
    assert path_form == nested
    one = get(url, '/Datastreams(3)/ObservedProperty').json()
    embedded = [d for t in nested['value'] for d in t['Datastreams'] if d['@iot.id'] == 3]
    assert embedded[0]['ObservedProperty'] == one


def test_expanded_collection_longer_than_top_has_a_next_link(url, incident):
    body = get(url, '/Datastreams(1)', **{'$expand': 'Observations($top=2;$count=true)'}).json()
    total = sum(1 for d in incident.observation_datastream.values() if d == 1)
    assert body['Observations@iot.count'] == total
    assert len(body['Observations']) == 2
    rest, _ = walk(body['Observations@iot.nextLink'])
    ids = [o['@iot.id'] for o in body['Observations'] + rest]
    assert len(ids) == len(set(ids)) == total


def test_orderby_phenomenon_time_desc_top_1_gives_the_newest_observation(url, incident):
    ds_id = 1
    times = [o['phenomenonTime'] for o in incident.observations
             if incident.observation_datastream[o['@iot.id']] == ds_id]
    body = get(url, f'/Datastreams({ds_id})/Observations',
               **{'$orderby': 'phenomenonTime desc', '$top': '1'}).json()
    assert len(body['value']) == 1
    assert body['value'][0]['phenomenonTime'] == max(times)
    oldest = get(url, f'/Datastreams({ds_id})/Observations',
                 **{'$orderby': 'resultTime asc', '$top': '1'}).json()
    assert oldest['value'][0]['phenomenonTime'] == min(times)
    overall = get(url, '/Observations', **{'$orderby': 'phenomenonTime desc', '$top': '1'}).json()
    assert overall['value'][0]['phenomenonTime'] == max(o['phenomenonTime'] for o in incident.observations)


def test_top_above_the_cap_is_capped_not_refused(url, incident):
    response = get(url, '/Observations', **{'$top': '5000'})
    assert response.status_code == 200
    body = response.json()
    assert len(body['value']) == 100 < len(incident.observations)
    assert '$top=100' in body['@iot.nextLink'] and '$skip=100' in body['@iot.nextLink']
    assert len(get(url, '/Observations').json()['value']) == 100


def test_unknown_entity_set_or_id_is_404_json(url):
    for path in ('/Sensorz', '/Things(99999)', '/Things(abc)', '/Things(1)/Colour',
                 '/Observations/Datastream', '/nothing/here'):
        response = get(url, path)
        assert response.status_code == 404, path
        assert response.json()['code'] == 404 and response.json()['message']
    outside = requests.get(url.rsplit('/sta/', 1)[0] + '/elsewhere', timeout=30)
    assert outside.status_code == 404 and outside.json()['type'] == 'error'


@pytest.mark.parametrize('params', [
    {'$top': '-1'}, {'$skip': 'many'}, {'$count': 'yes'}, {'$expand': 'Colours'},
    {'$expand': 'Datastreams($top=1'}, {'$orderby': 'colour desc'}, {'$orderby': 'name upwards'},
    {'$select': 'nme'}, {'$format': 'csv'}, {'$filter': 'st_within(location, x)'},
    {'$filter': "name eq 'unterminated"}, {'$expand': 'Datastreams($expand=Nope)'},
])
def test_bad_query_option_is_400_json(url, params):
    response = get(url, '/Things', **params)
    assert response.status_code == 400
    body = response.json()
    assert body['code'] == 400 and body['type'] == 'error' and body['message']


def test_server_is_read_only(url):
    response = requests.post(url + '/Things', json={'name': 'x'}, timeout=30)
    assert response.status_code == 405
    assert response.json()['code'] == 405


def test_entity_navigation_property_and_ref(url, incident):
    thing = get(url, '/Things(1)').json()
    assert thing['@iot.selfLink'] == url + '/Things(1)'
    assert thing['Datastreams@iot.navigationLink'] == url + '/Things(1)/Datastreams'
    datastreams = get(url, '/Things(1)/Datastreams').json()['value']
    assert {d['@iot.id'] for d in datastreams} == {
        d for d, t in incident.datastream_thing.items() if t == 1}
    assert get(url, '/Things(1)/name').json() == {'name': incident.things[0]['name']}
    assert requests.get(url + '/Things(1)/name/$value', timeout=30).text == incident.things[0]['name']
    refs = get(url, '/Things(1)/Datastreams/$ref').json()['value']
    assert refs == [{'@iot.selfLink': d['@iot.selfLink']} for d in datastreams]
    chained = get(url, '/Observations(1)/Datastream/Thing').json()
    assert chained['@iot.id'] == incident.datastream_thing[incident.observation_datastream[1]]


def test_fire_engines_move_and_keep_their_history(url):
    engines = get(url, '/Things', **{'$filter': "properties/kind eq 'gas detector'",
                                     '$expand': 'Locations,HistoricalLocations($orderby=time desc)'}).json()
    assert len(engines['value']) == 6
    for engine in engines['value']:
        history = engine['HistoricalLocations']
        assert len(history) >= 3
        assert [h['time'] for h in history] == sorted((h['time'] for h in history), reverse=True)
        newest_place = get(url, f"/HistoricalLocations({history[0]['@iot.id']})/Locations").json()
        assert newest_place['value'][0]['@iot.id'] == engine['Locations'][0]['@iot.id']


def test_filter_on_times_finds_the_stale_datastreams(url, incident):
    cutoff = (NOW - timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
    body = get(url, '/Datastreams', **{'$filter': f'phenomenonTime lt {cutoff}',
                                       '$select': 'id,phenomenonTime'}).json()
    stale = {d['@iot.id'] for d in body['value']}
    assert stale
    expected = {d['@iot.id'] for d in incident.datastreams
                if 'phenomenonTime' in d and d['phenomenonTime'].split('/')[1] < cutoff}
    assert stale == expected


def test_demo_serves_both_services_and_shuts_them_down(dataset):
    running = serve_demo(dataset)
    try:
        assert [s.key for s in running] == ['incident', 'neighbour']
        assert len({s.url for s in running}) == 2
        for service in running:
            count = get(service.url, '/Things', **{'$count': 'true'}).json()['@iot.count']
            assert count == len(dataset.service(service.key).things)
    finally:
        for service in running:
            service.handle.shutdown()
    with pytest.raises(requests.ConnectionError):
        requests.get(running[0].url, timeout=5)


# ---------------------------------------------------------------- the data


def test_generator_is_deterministic_for_a_fixed_seed_and_now():
    first, second = generate(seed=SEED, now=NOW), generate(seed=SEED, now=NOW)
    assert first == second
    assert generate(seed=SEED + 1, now=NOW).services[0].observations != first.services[0].observations


def test_newest_observations_are_relative_to_now(dataset):
    later = generate(seed=SEED, now=NOW + timedelta(days=3))
    for service, moved in zip(dataset.services, later.services):
        shifted = [newest([o['phenomenonTime']]) for o in moved.observations]
        assert shifted == [newest([o['phenomenonTime']]) + timedelta(days=3)
                           for o in service.observations]


def test_most_datastreams_are_online_some_are_stale_one_is_empty(incident):
    latest = {}
    for observation in incident.observations:
        ds_id = incident.observation_datastream[observation['@iot.id']]
        latest[ds_id] = max(latest.get(ds_id, ''), observation['phenomenonTime'])
    ages = {ds: NOW - newest([t]) for ds, t in latest.items()}
    online = [ds for ds, age in ages.items() if timedelta(0) < age <= timedelta(hours=1)]
    stale = [ds for ds, age in ages.items() if age >= timedelta(days=2)]
    assert len(online) > 0.8 * len(incident.datastreams)
    assert len(online) + len(stale) == len(ages)
    assert 3 <= len(stale) < 0.2 * len(incident.datastreams)
    assert len(incident.datastreams) - len(latest) == 1
    assert all(o['resultTime'] <= NOW.strftime('%Y-%m-%dT%H:%M:%SZ') for o in incident.observations)


def test_scenario_content(dataset, incident):
    kinds = [t['properties']['kind'] for t in incident.things]
    assert kinds.count('weather station') + kinds.count('volunteer weather station') == 12
    assert kinds.count('river gauge') == 10
    assert kinds.count('gas detector') == 6
    assert kinds.count('air quality sensor') >= 4
    per_thing = {}
    for ds_id, thing_id in incident.datastream_thing.items():
        per_thing[thing_id] = per_thing.get(thing_id, 0) + 1
    assert all(2 <= n <= 5 for n in per_thing.values())
    names = {o['name'] for o in incident.observed_properties}
    assert {'Air temperature', 'Parameter_1', 'TEMP_C', 'temp'} <= names
    for datastream in incident.datastreams:
        assert set(datastream['unitOfMeasurement']) == {'name', 'symbol', 'definition'}
    for location in incident.locations:
        lon, lat = location['location']['coordinates']
        assert 6.5 < lon < 7.5 and 50.2 < lat < 50.8
    neighbour = dataset.service('neighbour')
    assert 0 < len(neighbour.things) < len(incident.things)
