"""The SOS harvester end to end: fixture documents over real HTTP on 127.0.0.1, synced into a
real catalogue (hubcat.db.init_db on a temporary SQLite file + Catalogue.sync).

Beyond stock pycsw (which harvested the capabilities once, into service and offering
records only): version negotiation, DescribeSensor enrichment with bounded concurrency,
procedure records that survive a failing DescribeSensor, and online/offline status
(an offering whose observations ended long ago is 'stale'; one gone from the
capabilities is kept as 'removed').
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harvesters.base import HarvestError
from harvesters.http import HttpClient
from harvesters.registry import get_harvester_class
from harvesters.sos import SensorObservationServiceHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import OFFERING, PROCEDURE, SERVICE
from sos_support import CAPABILITIES, Route, SosFixtureServer, fixture

NDBC_41012 = 'urn:ioos:station:wmo:41012'


@pytest.fixture
def server():
    srv = SosFixtureServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def catalogue(tmp_path):
    url = f'sqlite:///{tmp_path / "hubcat.db"}'
    init_db(url)
    return Catalogue(url)


def route_for(name: str, **kwargs) -> Route:
    version = CAPABILITIES[name][0]
    return Route(capabilities={version: fixture(name)}, **kwargs)


def harvester(url, **options) -> SensorObservationServiceHarvester:
    client = HttpClient(timeout=10, retries=0, max_workers=options.pop('max_workers', 4))
    return SensorObservationServiceHarvester(url, options, client=client)


def test_registry_names_this_harvester():
    assert get_harvester_class('sos') is SensorObservationServiceHarvester


@pytest.mark.parametrize('name', sorted(CAPABILITIES))
def test_every_fixture_harvested_and_synced(server, catalogue, name):
    """Served over HTTP, harvested without DescribeSensor, synced: every offering and procedure
    is a row of the catalogue, with its associations."""
    version, n_offerings, n_procedures = CAPABILITIES[name]
    url = server.add('/sos', route_for(name))
    result = harvester(url, describe_sensor=False).harvest()
    assert result.complete and result.records[0].kind == SERVICE
    counts = catalogue.sync(1, result.records, stale_after=10 ** 10)
    assert counts.added == 1 + n_offerings + n_procedures
    assert len(catalogue.rows(1, OFFERING)) == n_offerings
    assert len(catalogue.rows(1, PROCEDURE)) == n_procedures
    assert all(row['title'] for row in catalogue.rows(1))
    service = catalogue.get(result.records[0].identifier)
    assert service['servicetype'] == 'OGC:SOS' and service['hc_service_type'] == 'SOS'
    assert len(catalogue.rows(1, 'association')) == n_offerings + sum(
        len(r.slots['procedure']) for r in result.records if r.kind == OFFERING)
    # a second harvest of the same document changes nothing
    again = harvester(url, describe_sensor=False).harvest()
    assert catalogue.sync(1, again.records, stale_after=10 ** 10).added == 0


def test_version_negotiation_falls_back_to_1_0(server):
    """No version in the URL: AcceptVersions=2.0.0 first; a 1.0-only server refuses it with
    VersionNegotiationFailed, then 1.0.0 is asked for and parsed as 1.0."""
    url = server.add('/ndbc', route_for('ndbc_ioos_1.0.0.xml'))
    result = harvester(url, describe_sensor=False).harvest()
    asked = [p.get('AcceptVersions') for p in server.requests_to('/ndbc')]
    assert asked == ['2.0.0', '1.0.0']
    assert result.records[0].slots['harvestedVersion'] == ['1.0.0']
    assert result.requests == 2


def test_version_2_taken_first(server):
    url = server.add('/gns', route_for('gns_ngmp_2.0.0.xml'))
    result = harvester(url, describe_sensor=False).harvest()
    assert [p.get('AcceptVersions') for p in server.requests_to('/gns')] == ['2.0.0']
    assert result.records[0].slots['harvestedVersion'] == ['2.0.0']


def test_document_version_wins_over_the_requested_one(server):
    """A server that answers a 1.0 document to a 2.0 request is parsed as 1.0 (root namespace)."""
    url = server.add('/odd', Route(capabilities={'2.0.0': fixture('52n_ioos_1.0.0.xml')}))
    result = harvester(url + '?service=SOS&request=GetCapabilities&version=2.0.0',
                       describe_sensor=False).harvest()
    assert result.records[0].slots['harvestedVersion'] == ['1.0.0']
    assert len([r for r in result.records if r.kind == OFFERING]) == 15


def test_explicit_version_is_the_only_one_asked(server):
    url = server.add('/ndbc', route_for('ndbc_ioos_1.0.0.xml'))
    with pytest.raises(HarvestError, match='VersionNegotiationFailed'):
        harvester(url + '?service=SOS&version=2.0.0', describe_sensor=False).harvest()
    assert len(server.requests_to('/ndbc')) == 1


def test_describe_sensor_enriches_and_failures_keep_the_record(server, catalogue):
    """NDBC: 41012 answers DescribeSensor, the others get an exception. 41012's record has its
    SensorML names and position; every other procedure keeps its capabilities record and the
    harvest lists a warning for it."""
    route = route_for('ndbc_ioos_1.0.0.xml',
                      describe={NDBC_41012: fixture('ndbc_station_41012_sml101.xml')})
    url = server.add('/ndbc', route)
    result = harvester(url, describe_sensor_limit=60, describe_sensor_give_up=1000,
                       max_workers=3).harvest()
    procs = [r for r in result.records if r.kind == PROCEDURE]
    assert len(procs) == 847
    station = next(p for p in procs if p.slots['procedure'] == [NDBC_41012])
    assert station.title == '40NM ENE of St Augustine, FL'
    assert station.bbox == pytest.approx((-80.55, 30.04, -80.55, 30.04))
    asked = [p for p in server.requests_to('/ndbc') if p.get('request') == 'DescribeSensor']
    assert len(asked) == 60
    assert {p['outputFormat'] for p in asked} == {'text/xml;subtype="sensorML/1.0.1"'}
    assert server.max_active <= 3
    assert len([w for w in result.warnings if w.startswith('DescribeSensor')]) == 59
    assert result.complete
    catalogue.sync(1, result.records, stale_after=10 ** 10)
    assert catalogue.get(station.identifier)['title'] == '40NM ENE of St Augustine, FL'


def test_describe_sensor_sos2_uses_the_advertised_format(server):
    url = server.add('/52n', route_for('52n_example_2.0.0.xml', describe={
        'ws2500': fixture('52n_ws2500_describesensorresponse_sos200.xml')}))
    result = harvester(url).harvest()
    asked = [p for p in server.requests_to('/52n') if p.get('request') == 'DescribeSensor']
    assert len(asked) == 4
    assert {p['procedureDescriptionFormat'] for p in asked} == {'http://www.opengis.net/sensorML/1.0.1'}
    assert all(p['version'] == '2.0.0' for p in asked)
    ws = next(r for r in result.records if r.kind == PROCEDURE and r.slots['procedure'] == ['ws2500'])
    assert ws.title == '52n-elv-ws2500' and ws.organization == '52North'
    assert len(result.warnings) == 3


def test_describe_sensor_can_be_disabled(server):
    url = server.add('/52n', route_for('52n_example_2.0.0.xml'))
    harvester(url, describe_sensor=False).harvest()
    assert all(p.get('request') == 'GetCapabilities' for p in server.requests_to('/52n'))


def test_harvester_gives_up_on_a_server_without_describesensor(server):
    """Wupperverband's 218 procedures against a server that describes none: after 5 failures
    in a row it stops asking and says so once."""
    url = server.add('/wv', route_for('52n_wupperverband_1.0.0.xml'))
    result = harvester(url, describe_sensor_give_up=5, max_workers=1).harvest()
    asked = [p for p in server.requests_to('/wv') if p.get('request') == 'DescribeSensor']
    assert len(asked) == 5
    assert len([r for r in result.records if r.kind == PROCEDURE]) == 218
    assert 'kept from the capabilities only' in result.warnings[-1]


def test_give_up_limit_holds_with_requests_in_flight(server):
    """Four DescribeSensor requests at once and a limit of 10: no more than 10 are asked (and
    fail) before the harvester gives up, however many were in flight at the tenth failure."""
    url = server.add('/wv', route_for('52n_wupperverband_1.0.0.xml', delay=0.02))
    result = harvester(url, describe_sensor_give_up=10, max_workers=4).harvest()
    asked = [p for p in server.requests_to('/wv') if p.get('request') == 'DescribeSensor']
    assert server.max_active > 1
    assert len(asked) == 10
    assert len(result.warnings) == 10 + 1     # one per failure, then the give-up line
    assert 'failed 10 times without a success: 208 procedures' in result.warnings[-1]


def test_ended_offering_goes_stale_and_vanished_offering_removed(server, catalogue):
    """Catalogue status rules on SOS records: an offering whose phenomenonTime ended long ago
    is offline 'stale'; after the capabilities drop an offering it is offline 'removed' and
    still in the catalogue."""
    doc = fixture('52n_example_2.0.0.xml')
    url = server.add('/52n', Route(capabilities={'2.0.0': doc}))
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    first = harvester(url, describe_sensor=False).harvest()
    catalogue.sync(1, first.records, stale_after=3600, now=now)
    rows = {r['identifier']: r for r in catalogue.rows(1)}
    ws2500 = next(r for r in first.records if r.kind == OFFERING and r.slots['offering'] == ['ws2500'])
    assert ws2500.time_end == '2019-03-28T23:45:00Z'
    assert (rows[ws2500.identifier]['hc_status'], rows[ws2500.identifier]['hc_status_reason']) \
        == ('offline', 'stale')
    assert rows[first.records[0].identifier]['hc_status'] == 'online'
    # the same service later lists one offering fewer
    start = doc.index(b'<swes:offering>')
    end = doc.index(b'</swes:offering>', start) + len(b'</swes:offering>')
    assert b'<swes:identifier>ws2500</swes:identifier>' in doc[start:end]
    server.routes['/52n'] = Route(capabilities={'2.0.0': doc[:start] + doc[end:]})
    second = harvester(url, describe_sensor=False).harvest()
    assert ws2500.identifier not in {r.identifier for r in second.records}
    catalogue.sync(1, second.records, stale_after=3600, now=now)
    row = catalogue.get(ws2500.identifier)
    assert (row['hc_status'], row['hc_status_reason']) == ('offline', 'removed')
    assert len(catalogue.rows(1, OFFERING)) == 4


def test_procedure_status_follows_its_own_offerings(server, catalogue):
    """NDBC: a station whose offering ended in 2008 is offline stale, although 'network-all'
    (which names every station and is live) is online; a live station stays online. Every
    procedure has the status of its station offering."""
    url = server.add('/ndbc', route_for('ndbc_ioos_1.0.0.xml'))
    result = harvester(url, describe_sensor=False).harvest()
    catalogue.sync(1, result.records, stale_after=86400,
                   now=datetime(2026, 11, 21, tzinfo=timezone.utc))
    rows = {r['identifier']: (r['hc_status'], r['hc_status_reason'] or '')
            for r in catalogue.rows(1)}
    by_name = {(r.kind, r.slots.get('offering', [''])[0] if r.kind == OFFERING else
                r.slots.get('procedure', [''])[0]): r.identifier for r in result.records}
    assert rows[by_name[OFFERING, 'network-all']] == ('online', '')
    assert rows[by_name[OFFERING, 'station-42049']] == ('offline', 'stale')   # ended 2008
    assert rows[by_name[PROCEDURE, 'urn:ioos:station:wmo:42049']] == ('offline', 'stale')
    assert rows[by_name[OFFERING, 'station-21401']] == ('online', '')          # until 'now'
    assert rows[by_name[PROCEDURE, 'urn:ioos:station:wmo:21401']] == ('online', '')
    stations = [r for r in result.records if r.kind == OFFERING and len(r.slots['procedure']) == 1]
    assert len(stations) == 847
    for station in stations:
        procedure = by_name[PROCEDURE, station.slots['procedure'][0]]
        assert rows[procedure] == rows[station.identifier]
    assert sum(rows[by_name[PROCEDURE, s.slots['procedure'][0]]][0] == 'offline'
               for s in stations) == 322


def test_progress_is_reported(server):
    seen = []
    url = server.add('/gns', route_for('gns_ngmp_2.0.0.xml'))
    SensorObservationServiceHarvester(url, {'describe_sensor': False},
                                      progress=lambda d, t, m='': seen.append(m)).harvest()
    assert seen and '10 offerings' in seen[0]


def test_options_from_a_config_file_are_text(server):
    """describe_sensor='false' (as read from pycsw.cfg) turns DescribeSensor off."""
    url = server.add('/gns', route_for('gns_ngmp_2.0.0.xml'))
    harvester(url, describe_sensor='false').harvest()
    assert all(p.get('request') == 'GetCapabilities' for p in server.requests_to('/gns'))
