"""Identifiers are kept byte for byte (issue 10 point 1).

A capabilities document derived from the real 52°North example (fixtures/sos): the
``ws2500`` offering and procedure renamed to an identifier with internal double
spaces, a tab and non-ASCII letters, served over real HTTP on 127.0.0.1 by a server
that describes only that exact identifier. The harvester must ask DescribeSensor for
the exact id (a collapsed one gets HTTP 400), and the catalogue must store it unchanged;
only derived labels (observed-property labels) are normalised.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from harvesters.http import HttpClient
from harvesters.sos import SensorObservationServiceHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import OFFERING, PROCEDURE
from sos_support import Route, SosFixtureServer, fixture

EXACT = 'ws2500  Wupper\tSüd – Brücke'        # two spaces, a tab, non-ASCII
PROPERTY = 'Air  Temperature\tÄußen'


def crafted_capabilities() -> bytes:
    """The 52N example with ws2500's identifier, procedure and first property renamed."""
    text = fixture('52n_example_2.0.0.xml').decode('utf-8')
    for old, new in (('<swes:identifier>ws2500</swes:identifier>',
                      f'<swes:identifier>  {EXACT} </swes:identifier>'),
                     ('<swes:procedure>ws2500</swes:procedure>',
                      f'<swes:procedure>\n  {EXACT}\n</swes:procedure>'),
                     ('<swes:observableProperty>AirTemperature</swes:observableProperty>',
                      f'<swes:observableProperty>{PROPERTY}</swes:observableProperty>')):
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode('utf-8')


@pytest.fixture(scope='module')
def harvested():
    server = SosFixtureServer().start()
    try:
        url = server.add('/52n', Route(capabilities={'2.0.0': crafted_capabilities()}, describe={
            EXACT: fixture('52n_ws2500_describesensorresponse_sos200.xml')}))
        client = HttpClient(timeout=10, retries=0, max_workers=2)
        result = SensorObservationServiceHarvester(url, {}, client=client).harvest()
        asked = [p['procedure'] for p in server.requests_to('/52n')
                 if p.get('request') == 'DescribeSensor']
    finally:
        server.stop()
    return result, asked


def test_describe_sensor_asks_for_the_exact_identifier(harvested):
    result, asked = harvested
    assert EXACT in asked
    assert not [w for w in result.warnings if EXACT in w]
    proc = next(r for r in result.records if r.kind == PROCEDURE and EXACT in r.slots['procedure'])
    assert proc.slots['procedure'] == [EXACT]
    assert proc.title == '52n-elv-ws2500'              # from the SensorML the server gave back
    link = dict(parse_qsl(urlsplit(proc.links[0].url).query))
    assert link['procedure'] == EXACT


def stored(catalogue, kind) -> list[dict]:
    """The stored records of one kind, as the JSON the catalogue keeps of each."""
    rows = [catalogue.get(row['identifier']) for row in catalogue.rows(1, kind)]
    return [json.loads(row['hc_record']) | {'row': row} for row in rows]


def test_catalogue_stores_identifiers_unchanged(harvested, database_url):
    result, _asked = harvested
    init_db(database_url)
    catalogue = Catalogue(database_url)
    catalogue.sync(1, result.records, stale_after=10 ** 10)
    offering = next(r for r in stored(catalogue, OFFERING) if r['slots']['offering'] == [EXACT])
    assert offering['slots']['procedure'] == [EXACT]
    assert offering['observed_properties'][0] == PROPERTY
    assert offering['row']['hc_observed_property_raw'].split(',')[0] == PROPERTY
    # only the derived label is normalised
    assert 'Air Temperature Äußen' in offering['observed_property_labels']
    assert [r for r in stored(catalogue, PROCEDURE) if r['slots']['procedure'] == [EXACT]]
