"""Walking an STA 1.0 server that behaves differently from the test server: integer ids, the
spec's inner nextLinks (plain child pages), MultiDatastreams, a lower $top cap, a root that
answers only without a trailing slash, streams left out of expansions, nextLink loops.

The server is a tiny real ``http.server`` on 127.0.0.1 answering from crafted documents.
"""
from __future__ import annotations

import json

import pytest

from harvesters.sta import SensorThingsHarvester
from hubcat.records import DATASTREAM, THING

OM = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/'


def _ok(doc) -> tuple[int, str, bytes]:
    return 200, 'application/json', json.dumps(doc).encode('utf-8')


class SpecServer:
    """Crafted STA 1.0 documents served under ``/v1.0`` (only without a trailing slash)."""

    MAX_TOP = 50

    def __init__(self, crafted, loop: bool = False, failing_second_page: bool = False,
                 endless: bool = False):
        self.base = crafted.base + '/v1.0'
        self.loop = loop
        self.endless = endless      # after the Things, empty pages with a nextLink for ever
        self.failing_second_page = failing_second_page
        self.tops: list[str] = []
        root = {'value': [{'name': n, 'url': f'{self.base}/{n}'} for n in (
            'Things', 'Locations', 'Datastreams', 'MultiDatastreams', 'Sensors',
            'ObservedProperties', 'Observations', 'FeaturesOfInterest')]}
        crafted.json('/v1.0', root)
        crafted.routes['/v1.0/Things'] = self.things
        crafted.json('/v1.0/Things(1)/Datastreams', {'value': [self.stream(12), self.stream(13, obs=False)]})
        crafted.json('/v1.0/Datastreams(13)/Observations', {'value': [
            {'@iot.id': 130, 'phenomenonTime': '2025-02-01T00:00:00Z/2025-02-01T01:00:00Z',
             'resultTime': '2025-02-01T01:05:00Z'}]})
        crafted.json('/v1.0/Datastreams(13)/ObservedProperty', self.prop(3))
        crafted.routes['/v1.0/ObservedProperties'] = self.observed_properties
        crafted.routes['/v1.0/Things(3)/Datastreams'] = lambda p, q: _ok({
            'value': [], '@iot.nextLink':
            f'{self.base}/Things(3)/Datastreams?$skip={int(q["$skip"][0]) + 1}'})
        crafted.routes['/v1.0/Sensors'] = lambda p, q: _ok({'value': [
            {'@iot.id': 7, 'name': 'Sensor seven', 'encodingType': 'application/pdf',
             'Datastreams': [{'@iot.id': i} for i in (11, 12, 13)],
             'MultiDatastreams': [{'@iot.id': 21}]}]})

    def observed_properties(self, path, query):
        if query.get('$skip'):
            return 500, 'application/json', b'{"detail": "Internal server error"}'
        page = {'value': [
            dict(self.prop(1), Datastreams=[{'@iot.id': 11}, {'@iot.id': 12}],
                 MultiDatastreams=[{'@iot.id': 21}]),
            dict(self.prop(2), Datastreams=[], MultiDatastreams=[{'@iot.id': 21}]),
            dict(self.prop(3), Datastreams=[], MultiDatastreams=[])]}
        if self.failing_second_page:
            page['@iot.nextLink'] = f'{self.base}/ObservedProperties?$skip=3'
        return _ok(page)

    def prop(self, n: int) -> dict:
        return {'@iot.id': n, 'name': f'Property {n}', 'definition': f'http://example.org/p/{n}'}

    def stream(self, n: int, obs: bool = True) -> dict:
        stream = {'@iot.id': n, '@iot.selfLink': f'{self.base}/Datastreams({n})',
                  'name': f'Stream {n}', 'unitOfMeasurement': {'name': 'metre', 'symbol': 'm'},
                  'observationType': OM + 'OM_Measurement'}
        if n == 11:
            stream['phenomenonTime'] = '2020-01-01T00:00:00Z/2021-01-01T00:00:00Z'
        if obs:
            stream['Observations'] = [{'phenomenonTime': f'2025-01-0{n % 10}T00:00:00Z'}]
        return stream

    def thing(self, n: int) -> dict:
        thing = {'@iot.id': n, '@iot.selfLink': f'{self.base}/Things({n})', 'name': f'Thing {n}',
                 'properties': {'keywords': 'alpha, beta'},
                 'Locations': [{'@iot.id': 100 + n, 'encodingType': 'application/vnd.geo+json',
                                'location': {'type': 'Point', 'coordinates': [n, 40 + n]}}],
                 'Datastreams': [], 'MultiDatastreams': []}
        if n == 1:   # the spec's inner paging: a plain page of children, one repeated
            thing['Datastreams'] = [self.stream(11), self.stream(12)]
            thing['Datastreams@iot.nextLink'] = f'{self.base}/Things(1)/Datastreams'
        if n == 2:
            thing['MultiDatastreams'] = [{
                '@iot.id': 21, 'name': 'Weather', 'observationType': OM + 'OM_ComplexObservation',
                'multiObservationDataTypes': [OM + 'OM_Measurement'] * 2,
                'unitOfMeasurements': [{'symbol': 'degC'}, {'symbol': '%'}],
                'Observations': [{'phenomenonTime': '2025-03-01T00:00:00Z'}]}]
        if n == 3 and self.endless:   # and its Datastreams page on, empty, for ever
            thing['Datastreams@iot.nextLink'] = f'{self.base}/Things(3)/Datastreams?$skip=1'
        if n == 3:
            thing['Locations'][0]['location'] = {'type': 'Polygon', 'coordinates': [
                [[10, 50], [12, 50], [12, 52], [10, 50]]]}
        return thing

    def things(self, path, query):
        top = int(query.get('$top', [str(self.MAX_TOP)])[0])
        self.tops.append(str(top))
        if top > self.MAX_TOP:
            return 422, 'application/json', json.dumps({'detail': [{
                'loc': ['query', '$top'],
                'msg': f'Input should be less than or equal to {self.MAX_TOP}'}]}).encode()
        skip = int(query.get('$skip', ['0'])[0])
        ids = [1, 2, 3][skip:skip + 2]
        page = {'@iot.count': 3, 'value': [self.thing(i) for i in ids]}
        if skip == 0 or self.loop:
            page['@iot.nextLink'] = f'{self.base}/Things?$skip=2'
        elif self.endless:
            page['@iot.nextLink'] = f'{self.base}/Things?$skip={skip + 2}'
        return _ok(page)


@pytest.fixture
def spec_server(crafted_server):
    return SpecServer(crafted_server)


def test_spec_server_walk(spec_server):
    result = SensorThingsHarvester(spec_server.base + '/').harvest()
    assert result.complete
    records = {r.title: r for r in result.records}
    assert len([r for r in result.records if r.kind == THING]) == 3
    assert sorted(r.title for r in result.records if r.kind == DATASTREAM) == [
        'Stream 11', 'Stream 12', 'Stream 13', 'Weather']          # 12 repeated once, kept once
    assert spec_server.tops[:2] == ['100', '50']                      # $top lowered to the cap
    assert records['Stream 11'].time_end == '2021-01-01T00:00:00Z'    # its phenomenonTime
    assert records['Stream 12'].time_end == '2025-01-02T00:00:00Z'    # its newest observation
    assert records['Stream 13'].time_end == '2025-02-01T01:00:00Z'    # asked for separately
    assert records['Stream 13'].observed_property_labels == ['Property 3']   # via its link
    assert records['Stream 12'].observed_property_labels == ['Property 1']
    assert records['Stream 12'].slots['sensor'] == ['Sensor seven']
    weather = records['Weather']
    assert weather.observed_property_labels == ['Property 1', 'Property 2']
    assert weather.unit == 'degC, %' and weather.time_end == '2025-03-01T00:00:00Z'
    assert weather.object_type.endswith('OM_ComplexObservation')
    assert records['Thing 3'].bbox == (10.0, 50.0, 12.0, 52.0)
    assert records['Thing 1'].bbox == (1.0, 41.0, 1.0, 41.0)
    assert records['Thing 1'].keywords == ['alpha', 'beta']
    assert len(records['Thing 1'].associations) == 3
    assert any('one by one' in w for w in result.notices)
    assert not result.warnings


def test_nextlink_loop_stops_and_marks_incomplete(crafted_server):
    SpecServer(crafted_server, loop=True)
    result = SensorThingsHarvester(crafted_server.base + '/v1.0').harvest()
    assert not result.complete
    assert any('loop' in w for w in result.warnings)
    assert len([r for r in result.records if r.kind == THING]) == 3


def test_endless_empty_pages_stop_after_a_few(crafted_server):
    """A server that answers empty pages with a nextLink for ever: three such pages in a row,
    then the walk stops (incomplete, with an error), not at the page cap."""
    server = SpecServer(crafted_server, endless=True)
    result = SensorThingsHarvester(server.base, options={'max_pages': 500}).harvest()
    later_pages = [p for p in crafted_server.requests if p.startswith('/v1.0/Things?$skip')]
    assert later_pages == ['/v1.0/Things?$skip=2',                 # the second real page
                           '/v1.0/Things?$skip=4', '/v1.0/Things?$skip=6', '/v1.0/Things?$skip=8']
    assert not result.complete
    assert any('3 empty pages in a row' in w for w in result.warnings)
    assert not any('page cap' in w for w in result.warnings)
    assert len([r for r in result.records if r.kind == THING]) == 3
    # the same inside an expansion: Thing 3's Datastreams nextLinks stop after three pages
    inner = [p for p in crafted_server.requests if p.startswith('/v1.0/Things(3)/Datastreams')]
    assert len(inner) == 3


def test_page_cap_marks_incomplete(spec_server):
    result = SensorThingsHarvester(spec_server.base, options={'max_pages': 4}).harvest()
    assert not result.complete
    assert any('page cap' in w for w in result.warnings)


def test_failure_on_a_later_observed_properties_page_fails_the_harvest(crafted_server):
    """Only a first page may be refused (then a simpler form is used); a later one is an error."""
    from harvesters.base import HarvestError
    SpecServer(crafted_server, failing_second_page=True)
    with pytest.raises(HarvestError, match=r'ObservedProperties\?\$skip=3: HTTP 500'):
        SensorThingsHarvester(crafted_server.base + '/v1.0', options={'retries': 0}).harvest()


class PlainServer:
    """A server that refuses $expand on Things (HTTP 400), ignores it elsewhere, gives relative
    navigation links and HTTP 500 for ``$orderby=phenomenonTime``."""

    def __init__(self, crafted):
        self.base = crafted.base + '/p/v1.0'
        root = {'value': [{'name': n, 'url': f'{self.base}/{n}'}
                          for n in ('Things', 'Datastreams', 'ObservedProperties', 'Sensors')]}
        crafted.json('/p/v1.0/', root)
        crafted.routes['/p/v1.0/Things'] = self.things
        nav = {'Locations@iot.navigationLink': 'Things(1)/Locations',
               'Datastreams@iot.navigationLink': 'Things(1)/Datastreams'}
        self.thing_docs = [dict({'@iot.id': 1, 'name': 'Gauge'}, **nav),
                           {'@iot.id': 2, 'name': 'Empty',
                            'Locations@iot.navigationLink': 'Things(2)/Locations',
                            'Datastreams@iot.navigationLink': 'Things(2)/Datastreams'}]
        crafted.json('/p/v1.0/Things(1)/Locations', {'value': [
            {'@iot.id': 9, 'location': {'type': 'Point', 'coordinates': [7.5, 47.5]}}]})
        crafted.json('/p/v1.0/Things(2)/Locations', {'value': []})
        crafted.json('/p/v1.0/Things(2)/Datastreams', {'value': []})
        crafted.json('/p/v1.0/Things(1)/Datastreams', {'value': [{
            '@iot.id': 5, 'name': 'Level', 'unitOfMeasurement': {'symbol': 'cm'},
            'Observations@iot.navigationLink': 'Datastreams(5)/Observations',
            'ObservedProperty@iot.navigationLink': 'Datastreams(5)/ObservedProperty',
            'Sensor@iot.navigationLink': 'Datastreams(5)/Sensor'}]})
        crafted.routes['/p/v1.0/Datastreams(5)/Observations'] = self.observations
        crafted.json('/p/v1.0/Datastreams(5)/ObservedProperty', {'@iot.id': 3, 'name': 'Water level'})
        crafted.json('/p/v1.0/Datastreams(5)/Sensor', {'@iot.id': 4, 'name': 'Radar'})
        crafted.json('/p/v1.0/ObservedProperties', {'value': [{'@iot.id': 3, 'name': 'Water level'}]})
        crafted.json('/p/v1.0/Sensors', {'value': [{'@iot.id': 4, 'name': 'Radar'}]})

    def things(self, path, query):
        if '$expand' in query:
            return 400, 'application/json', b'{"message": "$expand is not supported"}'
        return _ok({'value': self.thing_docs})

    def observations(self, path, query):
        if 'phenomenonTime' in query.get('$orderby', [''])[0]:
            return 500, 'application/json', b'{"detail": "Internal server error"}'
        return _ok({'value': [{'phenomenonTime': '2025-04-01T10:00:00Z',
                               'resultTime': '2025-04-01T10:00:05Z'}]})


def test_server_without_expand_is_walked_through_navigation_links(crafted_server):
    server = PlainServer(crafted_server)
    result = SensorThingsHarvester(server.base).harvest()
    assert result.complete
    records = {r.title: r for r in result.records}
    assert {r.title for r in result.records if r.kind == THING} == {'Gauge', 'Empty'}
    level = records['Level']
    assert level.observed_property_labels == ['Water level']
    assert level.slots['sensor'] == ['Radar']
    assert level.time_end == '2025-04-01T10:00:00Z'
    assert level.bbox == records['Gauge'].bbox == (7.5, 47.5, 7.5, 47.5)
    assert level.slots['Observations@iot.navigationLink'] == [server.base + '/Datastreams(5)/Observations']
    assert records['Empty'].bbox is None and records['Empty'].associations == []
    assert any('navigation links' in w for w in result.notices)
    assert not result.warnings
