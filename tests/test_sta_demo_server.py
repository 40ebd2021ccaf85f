"""Harvesting HubCat's own demo STA 1.1 server (hubcat.demo.sta, integer ids, a different
$expand dialect from django-ogc-sensorthings) over real HTTP."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from conftest import test_port

from harvesters.sta import SensorThingsHarvester
from hubcat.demo.data import generate
from hubcat.demo.sta import create_sta_app, serve_in_thread
from hubcat.records import DATASTREAM, THING


@pytest.fixture(scope='module')
def demo_root():
    dataset = generate(seed=7, now=datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc))
    handle, root = serve_in_thread(create_sta_app(dataset.service('incident')),
                                   host='127.0.0.1', port=test_port(4))
    yield root
    handle.shutdown()


def test_demo_server_harvest(demo_root):
    result = SensorThingsHarvester(demo_root).harvest()
    assert result.complete and not result.warnings
    assert result.requests <= 6

    def count(entity_set):
        return requests.get(f'{demo_root}/{entity_set}', timeout=30,
                            params={'$count': 'true', '$top': '1'}).json()['@iot.count']
    streams = [r for r in result.records if r.kind == DATASTREAM]
    assert len([r for r in result.records if r.kind == THING]) == count('Things')
    assert len(streams) == count('Datastreams')
    for record in streams[::10]:
        prop = requests.get(record.slots['@iot.selfLink'][0] + '/ObservedProperty', timeout=30).json()
        assert record.observed_property_labels == [prop['name']]
        newest = requests.get(record.slots['Observations@iot.navigationLink'][0], timeout=30,
                              params={'$orderby': 'phenomenonTime desc', '$top': '1'}).json()['value']
        if newest and not record.slots.get('phenomenonTime'):
            assert record.time_end == newest[0]['phenomenonTime'].split('/')[-1]
