"""A server that ignores ``$expand`` on Things costs a few pages, not one request per Thing
(issue 10 point 5).

The project's own small STA server (tests/sta_expand_ignoring_server.py, real HTTP on
127.0.0.1) answers Things without their Locations and Datastreams whatever ``$expand``
asks, and honours ``$expand`` elsewhere. 120 Things with 240 Datastreams: walking each
Thing's navigation links took 2 requests per Thing (about 250 in all); the collections
``Datastreams?$expand=Thing,Sensor,ObservedProperty`` and ``Locations?$expand=Things``
give the same records in a few pages.
"""
from __future__ import annotations

import pytest

from harvesters.sta import SensorThingsHarvester
from hubcat.records import DATASTREAM, HAS_DATASTREAM, THING
from sta_expand_ignoring_server import ExpandIgnoringServer


@pytest.fixture(scope='module')
def harvested():
    server = ExpandIgnoringServer(things=120, streams=2)
    try:
        result = SensorThingsHarvester(server.root, {'retries': 0}).harvest()
        yield server, result
    finally:
        server.close()


def test_a_few_pages_not_a_request_per_thing(harvested):
    server, result = harvested
    assert len(server.requests) <= 15, server.requests
    assert not [p for p in server.requests if '/Things(' in p]      # no per-Thing walk
    assert result.complete and not result.warnings
    assert any('read through the Datastreams, Locations collections' in n
               for n in result.notices)


def test_records_are_the_same_as_walking_each_thing(harvested):
    server, result = harvested
    things = {r.title: r for r in result.records if r.kind == THING}
    streams = {r.title: r for r in result.records if r.kind == DATASTREAM}
    assert len(things) == 120 and len(streams) == 240
    station = things['Station 7']
    assert station.bbox == (0.7, 45.07, 0.7, 45.07)
    members = {a.target for a in station.associations if a.type == HAS_DATASTREAM}
    assert members == {streams['Stream 13'].identifier, streams['Stream 14'].identifier}
    for n, stream in ((13, streams['Stream 13']), (14, streams['Stream 14'])):
        assert stream.thing_id == station.identifier
        assert stream.observed_property_labels == [f'Property {n % 3 + 1}']
        assert stream.slots['sensor'] == [f'Sensor {n % 2 + 1}']
        assert stream.bbox == station.bbox


def test_a_wrong_thing_expansion_is_not_trusted():
    """A server that expands every Datastream of a page with the same Thing: the check of two
    Datastreams against their navigation links catches it, and each Thing is walked."""
    server = ExpandIgnoringServer(things=6, streams=2, wrong_to_one=True)
    try:
        result = SensorThingsHarvester(server.root, {'retries': 0}).harvest()
    finally:
        server.close()
    things = {r.title: r for r in result.records if r.kind == THING}
    streams = {r.title: r for r in result.records if r.kind == DATASTREAM}
    assert streams['Stream 12'].thing_id == things['Station 6'].identifier
    assert len({a.target for a in things['Station 6'].associations}) == 2
    assert [p for p in server.requests if p.startswith('/ig/v1.1/Things(6)/Datastreams')]
