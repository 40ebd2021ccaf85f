"""Harvesting a real SensorThings API server (django-ogc-sensorthings, default data set)."""
from __future__ import annotations

import json
import random

import pytest
import requests

from harvesters.base import HarvestError, SourceUnreachable
from harvesters.registry import get_harvester_class
from harvesters.sta import SensorThingsHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import DATASTREAM, HAS_DATASTREAM, OPERATES_ON, SERVICE, THING


def server_count(root: str, entity_set: str) -> int:
    """What the server says it holds (``$count=true``)."""
    return requests.get(f'{root}/{entity_set}', params={'$count': 'true', '$top': '1'},
                        timeout=30).json()['@iot.count']


@pytest.fixture(scope='module')
def harvest(sta_server):
    """One harvest of the session server, with the progress calls it made."""
    calls = []
    result = SensorThingsHarvester(sta_server, progress=lambda *a: calls.append(a)).harvest()
    return result, calls


def by_kind(records, kind):
    return [r for r in records if r.kind == kind]


def test_registry_names_the_harvester():
    assert get_harvester_class('sta') is SensorThingsHarvester


def test_counts_equal_the_servers(sta_server, harvest):
    result, _ = harvest
    assert result.complete and not result.warnings
    assert len(by_kind(result.records, SERVICE)) == 1
    assert len(by_kind(result.records, THING)) == server_count(sta_server, 'Things')
    assert len(by_kind(result.records, DATASTREAM)) == server_count(sta_server, 'Datastreams')
    assert len({r.identifier for r in result.records}) == len(result.records)


def test_few_requests(harvest):
    """About Things/page size: root, Things pages, ObservedProperties and Sensors pages."""
    result, _ = harvest
    assert result.requests <= 10


def test_observed_property_and_sensor_are_the_datastreams_own(sta_server, harvest):
    """Compared with Datastreams(id)/ObservedProperty one by one (the server's to-one
    $expand on a collection gives every Datastream of a page the same one)."""
    result, _ = harvest
    streams = by_kind(result.records, DATASTREAM)
    for record in random.Random(7).sample(streams, 12):
        self_link = record.slots['@iot.selfLink'][0]
        prop = requests.get(self_link + '/ObservedProperty', timeout=30).json()
        sensor = requests.get(self_link + '/Sensor', timeout=30).json()
        assert record.observed_property_labels == [prop['name']]
        assert prop['definition'] in record.observed_properties
        assert record.slots['sensor'] == [sensor['name']]
    assert len({r.observed_property_labels[0] for r in streams}) == server_count(
        sta_server, 'ObservedProperties')


def test_newest_observation_time(harvest):
    result, _ = harvest
    for record in random.Random(3).sample(by_kind(result.records, DATASTREAM), 5):
        newest = requests.get(record.slots['Observations@iot.navigationLink'][0], timeout=30,
                              params={'$orderby': 'resultTime desc', '$top': '1'}).json()['value'][0]
        assert record.time_end.replace('Z', '+00:00') == newest['phenomenonTime']
        assert record.slots['phenomenonDate'] == [record.time_end]


def test_structure_and_denormalised_fields(sta_server, harvest):
    result, _ = harvest
    service = result.records[0]
    things = {r.identifier: r for r in by_kind(result.records, THING)}
    streams = by_kind(result.records, DATASTREAM)
    assert service.kind == SERVICE and service.service_url == sta_server
    assert {a.target for a in service.associations if a.type == OPERATES_ON} == set(things)
    children = {a.target for t in things.values() for a in t.associations if a.type == HAS_DATASTREAM}
    assert children == {s.identifier for s in streams}
    for stream in streams:
        thing = things[stream.thing_id]
        assert stream.parent_id == thing.identifier and stream.service_id == service.identifier
        assert stream.bbox == thing.bbox is not None
        assert stream.unit and stream.service_type == 'STA' and stream.service_url == sta_server
    for thing in things.values():
        lon, lat = thing.bbox[:2]
        assert 4 < lon < 20 and 40 < lat < 56 and thing.bbox[:2] == thing.bbox[2:]


def test_progress_reports_things(sta_server, harvest):
    _, calls = harvest
    total = server_count(sta_server, 'Things')
    assert calls and calls[-1][:2] == (total, total)
    counted = [c[0] for c in calls if c[0] is not None]
    assert counted == sorted(counted)
    # a step that counts nothing (the shared ObservedProperties and Sensors) says what it does
    assert all(c[2] for c in calls if c[0] is None)


def test_second_harvest_is_identical_and_slash_insensitive(sta_server, harvest):
    result, _ = harvest
    again = SensorThingsHarvester(sta_server + '/').harvest()
    assert [r.to_json() for r in again.records] == [r.to_json() for r in result.records]


def test_sync_twice_changes_nothing(tmp_path, harvest):
    result, _ = harvest
    url = 'sqlite:///' + str(tmp_path / 'catalogue.db')
    init_db(url)
    catalogue = Catalogue(url)
    first = catalogue.sync(1, result.records, stale_after=10**9)
    assert first.added == len(result.records)
    second = catalogue.sync(1, result.records, stale_after=10**9)
    assert (second.added, second.updated, second.went_offline, second.came_online) == (0, 0, 0, 0)
    assert second.unchanged == len(result.records)
    assert {r['hc_status'] for r in catalogue.rows(1)} == {'online'}


def test_unreachable_url(closed_port_url):
    """SourceUnreachable: the catalogue then marks the service's records unreachable."""
    error = assert_one_line_error(closed_port_url, 'cannot connect')
    assert isinstance(error, SourceUnreachable)


# ---- failures: a tiny real HTTP server on 127.0.0.1 serving crafted answers ----------------
def minimal_root(base: str) -> dict:
    """A service root document listing the entity sets under ``base``."""
    return {'value': [{'name': name, 'url': f'{base}/{name}'}
                      for name in ('Things', 'Datastreams', 'ObservedProperties', 'Sensors')]}


def assert_one_line_error(url: str, *expected: str) -> HarvestError:
    """The harvest of ``url`` fails with a one-line HarvestError naming ``expected``."""
    with pytest.raises(HarvestError) as info:
        SensorThingsHarvester(url, options={'retries': 0}).harvest()
    message = str(info.value)
    assert '\n' not in message
    for text in expected:
        assert text in message
    return info.value


def test_html_page_is_not_a_service_root(crafted_server):
    crafted_server.routes['/'] = (200, 'text/html', b'<html><body>Welcome</body></html>')
    assert_one_line_error(crafted_server.base + '/', 'not a SensorThings API service root')


def test_missing_page_is_not_a_service_root(crafted_server):
    assert_one_line_error(crafted_server.base + '/sta/v1.1', 'not a SensorThings API service root',
                          'HTTP 404')


def test_json_that_lists_no_things_is_not_a_service_root(crafted_server):
    crafted_server.json('/sta/v1.1/', {'value': [{'name': 'Collections', 'url': 'x'}]})
    assert_one_line_error(crafted_server.base + '/sta/v1.1', 'not a SensorThings API service root')


def test_malformed_json_mid_walk(crafted_server):
    base = crafted_server.base + '/sta/v1.1'
    crafted_server.json('/sta/v1.1/', minimal_root(base))
    crafted_server.routes['/sta/v1.1/Things'] = (200, 'application/json', b'{"value": [{"@iot.id": ')
    assert_one_line_error(base, 'not JSON')


def test_http_500_on_a_later_page(crafted_server):
    base = crafted_server.base + '/sta/v1.1'
    crafted_server.json('/sta/v1.1/', minimal_root(base))

    def things(path, query):
        if query.get('$skip'):
            return 500, 'application/json', b'{"detail": "Internal server error"}'
        page = {'value': [{'@iot.id': 1, 'name': 'one', 'Locations': [], 'Datastreams': []}],
                '@iot.nextLink': f'{base}/Things?$top=1&$skip=1'}
        return 200, 'application/json', json.dumps(page).encode()
    crafted_server.routes['/sta/v1.1/Things'] = things
    assert_one_line_error(base, 'HTTP 500', '$skip=1')
