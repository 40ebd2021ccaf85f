"""Capabilities -> records, the pure mapping, on every SOS capabilities fixture.

What stock pycsw 2.6.2 produced when it harvested SOS (fixtures/sos/pycsw_expected/):
one Service record plus one record per offering, nothing else. Its SOS 2.0 harvest
gave an offering with an *empty* title (``PYCSW_IDENTIFIER-GW_LEVEL``) and no
procedures at all; its records carry no time extent, no observed properties as
queryables, no associations and no online/offline status.

HubCat adds, and these tests check: a record per procedure (Wupperverband's 218
procedures packed in 5 offerings included), OperatesOn and HasProcedure
associations, titles that are never empty (NIWA's service has no ows:Title),
envelopes in the right axis order for their CRS (and transformed from
Gauss-Krüger), phenomenon time extents, raw observed property URIs plus short
labels, and slots for offering, procedures, response formats and features of
interest.
"""
from __future__ import annotations

import pytest
from lxml import etree

from harvesters.gml import envelope_to_lonlat, parse_srs
from harvesters.http import parse_xml
from harvesters.sos_capabilities import (capabilities_to_records, normalise_sos_url,
                                         property_label)
from hubcat.records import (HAS_PROCEDURE, OFFERING, OPERATES_ON, OT_DATASET, OT_SENSOR,
                            OT_SOS_SERVICE, PROCEDURE, SERVICE, SOS)
from sos_support import CAPABILITIES, SOS_FIXTURES, fixture

URL = 'http://sos.example.org/service?service=SOS&request=GetCapabilities'


def records_of(name: str, url: str = URL, warnings=None):
    return capabilities_to_records(parse_xml(fixture(name)), url, warnings)


def by_kind(records, kind):
    return [r for r in records if r.kind == kind]


def offering(records, offering_id):
    return next(r for r in by_kind(records, OFFERING) if r.slots['offering'] == [offering_id])


@pytest.mark.parametrize('name', sorted(CAPABILITIES))
def test_every_offering_and_procedure_becomes_a_record(name):
    """Counts match the parse-check table of SOURCES.md; nothing dropped, no title empty."""
    _version, n_offerings, n_procedures = CAPABILITIES[name]
    records = records_of(name)
    assert records[0].kind == SERVICE
    assert len(by_kind(records, OFFERING)) == n_offerings
    assert len(by_kind(records, PROCEDURE)) == n_procedures
    assert all(r.title.strip() for r in records)
    assert len({r.identifier for r in records}) == len(records)


@pytest.mark.parametrize('name', sorted(CAPABILITIES))
def test_records_are_typed_and_linked(name):
    """Service -OperatesOn-> each offering; each offering -HasProcedure-> its procedures."""
    records = records_of(name)
    service, offerings, procedures = records[0], by_kind(records, OFFERING), by_kind(records, PROCEDURE)
    assert (service.object_type, service.service_type) == (OT_SOS_SERVICE, SOS)
    assert {a.target for a in service.associations if a.type == OPERATES_ON} == \
        {o.identifier for o in offerings}
    procedure_ids = {p.identifier for p in procedures}
    linked = set()
    for off in offerings:
        assert off.object_type == OT_DATASET and off.parent_id == service.identifier
        targets = {a.target for a in off.associations if a.type == HAS_PROCEDURE}
        assert len(targets) == len(off.slots['procedure'])
        linked |= targets
    assert linked == procedure_ids
    assert all(p.object_type == OT_SENSOR and p.service_id == service.identifier
               for p in procedures)


@pytest.mark.parametrize('name', sorted(CAPABILITIES))
def test_bboxes_are_lonlat(name):
    """Every box is (minlon, minlat, maxlon, maxlat) inside the valid range; the service's
    box holds its offerings'."""
    records = records_of(name)
    for rec in records:
        if rec.bbox is not None:
            minx, miny, maxx, maxy = rec.bbox
            assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90, rec.title
    boxes = [o.bbox for o in by_kind(records, OFFERING) if o.bbox]
    assert boxes, 'every fixture has offering envelopes'
    sbox = records[0].bbox
    assert all(sbox[0] <= b[0] and sbox[1] <= b[1] and sbox[2] >= b[2] and sbox[3] >= b[3]
               for b in boxes)


def test_ndbc_station_41012_is_off_florida():
    """NDBC writes urn:ogc:def:crs:epsg::4326, latitude first: 41012 is at 30.04N 80.55W."""
    records = records_of('ndbc_ioos_1.0.0.xml')
    station = offering(records, 'station-41012')
    assert station.bbox == pytest.approx((-80.55, 30.04, -80.55, 30.04))
    assert station.title == '40NM ENE of St Augustine, FL'
    assert station.slots['name'] == ['urn:ioos:station:wmo:41012']
    proc = next(r for r in by_kind(records, PROCEDURE)
                if r.slots['procedure'] == ['urn:ioos:station:wmo:41012'])
    # its own offering, not the global 'network-all' one, gives the procedure its place
    assert proc.bbox == pytest.approx((-80.55, 30.04, -80.55, 30.04))


def test_52n_ioos_http_uri_crs_is_latitude_first():
    """GLOS uses http://www.opengis.net/def/crs/EPSG/0/4326: the Great Lakes, 42-47N 84-92W."""
    glos = offering(records_of('52n_ioos_1.0.0.xml'), 'urn_ioos_network_glos_all')
    assert glos.bbox == pytest.approx((-91.929, 41.983, -83.599, 47.279))


def test_niwa_axes_written_the_wrong_way_round_are_detected():
    """NIWA declares EPSG/0/4326 but writes lon lat; 176.5 cannot be a latitude, so the box is
    read as lon/lat (New Zealand) and the harvest says so in a warning."""
    warnings = []
    rec = offering(records_of('niwa_hydro_2.0.0.xml', warnings=warnings), 'HG.Master@15341')
    assert rec.bbox == pytest.approx((176.5078, -38.17637, 176.5078, -38.17637), abs=1e-4)
    assert any('HG.Master@15341' in w and 'other way' in w for w in warnings)


def test_wupperverband_gauss_krueger_envelope_is_transformed():
    """EPSG:31466 (northing first in its URN form) lands around Wuppertal, 7.1E 51.2N."""
    records = records_of('52n_wupperverband_1.0.0.xml')
    for off in by_kind(records, OFFERING):
        minx, miny, maxx, maxy = off.bbox
        assert 6.9 < minx <= maxx < 7.7 and 50.9 < miny <= maxy < 51.4
        assert off.slots['envelope'][0].startswith('urn:ogc:def:crs:EPSG::31466')


def test_legacy_epsg_4326_is_read_lon_lat():
    """The rule for the legacy 'EPSG:4326' form: longitude first (traditional GIS order).
    The variant is the 52N example document with its srsName rewritten."""
    data = fixture('52n_example_2.0.0.xml').replace(
        b'srsName="http://www.opengis.net/def/crs/EPSG/0/4326"', b'srsName="EPSG:4326"')
    variant = capabilities_to_records(parse_xml(data), URL)
    original = records_of('52n_example_2.0.0.xml')
    ws = offering(original, 'ws2500').bbox
    assert ws == pytest.approx((7.652428, 51.934814, 7.652428, 51.934814))
    # the file writes "51.93 7.65": read lon/lat it is 51.93E 7.65N (the CRS says so)
    assert offering(variant, 'ws2500').bbox == pytest.approx((51.934814, 7.652428, 51.934814, 7.652428))


@pytest.mark.parametrize('srs, expected', [
    ('urn:ogc:def:crs:EPSG::4326', ('4326', True)),
    ('urn:ogc:def:crs:EPSG:6.11:4326', ('4326', True)),
    ('urn:x-ogc:def:crs:EPSG:4326', ('4326', True)),
    ('http://www.opengis.net/def/crs/EPSG/0/4326', ('4326', True)),
    ('EPSG:4326', ('4326', False)),
    ('http://www.opengis.net/gml/srs/epsg.xml#4326', ('4326', False)),
    (None, ('4326', True)),
])
def test_srs_name_forms(srs, expected):
    """Which srsName forms are latitude first (authority order) and which lon/lat."""
    assert parse_srs(srs) == expected


def test_unknown_crs_gives_no_box_and_a_warning():
    box, warning = envelope_to_lonlat('urn:example:crs:local', (1, 2), (3, 4))
    assert box is None and 'unknown CRS' in warning


def test_gns_nzgd49_is_latitude_first():
    """GNS uses EPSG/0/4272 (NZGD49, geographic, latitude first): New Zealand, not Antarctica."""
    rec = offering(records_of('gns_ngmp_2.0.0.xml'), 'NGMP_HYDRAULIC_CONDUCTIVITY')
    minx, miny, maxx, maxy = rec.bbox
    assert 172 < minx < maxx < 178 and -44 < miny < maxy < -37


def test_offering_content_and_slots_sos1():
    """Observed properties raw and labelled, 'now' end time, formats and features in slots."""
    rec = offering(records_of('ndbc_ioos_1.0.0.xml'), 'station-41012')
    assert 'http://mmisw.org/ont/cf/parameter/air_temperature' in rec.observed_properties
    assert 'air temperature' in rec.keywords
    assert rec.observed_property_labels == rec.keywords
    assert rec.time_begin == '2007-11-30T21:00:00Z'
    assert rec.time_end is None and rec.slots['phenomenonTimeEnd'] == ['now']
    assert rec.slots['procedure'] == ['urn:ioos:station:wmo:41012']
    assert 'text/csv' in rec.slots['responseFormat']
    assert rec.slots['featureOfInterest'] == ['urn:cgi:Feature:CGI:EarthOcean']
    assert rec.slots['observedProperty'] == rec.observed_properties


def test_offering_content_sos2():
    """SOS 2.0: swes:identifier, observableProperty, phenomenonTime, observedArea."""
    rec = offering(records_of('52n_example_2.0.0.xml'), 'ws2500')
    assert rec.title == 'ws2500'
    assert rec.time_begin == '2019-03-01T00:30:00Z' and rec.time_end == '2019-03-28T23:45:00Z'
    assert 'AirTemperature' in rec.observed_properties and 'Air Temperature' in rec.keywords
    assert rec.slots['responseFormat'] == ['http://inspire.ec.europa.eu/schemas/omso/3.0',
                                           'http://www.opengis.net/om/2.0']
    niwa = offering(records_of('niwa_hydro_2.0.0.xml'), 'HG.Master@15341')
    assert niwa.title == 'Stage.Master@15341'  # swes:name first


def test_time_offsets_are_normalised_to_utc():
    """Wupperverband writes +01:00/+02:00 local times: stored as UTC so that comparisons hold."""
    rec = offering(records_of('52n_wupperverband_1.0.0.xml'), 'Luft')
    assert (rec.time_begin, rec.time_end) == ('2005-12-02T23:00:00Z', '2013-09-17T02:40:00Z')


def test_service_record():
    """Title, abstract, keywords (comma-packed ones split), provider, GetCapabilities link."""
    service = records_of('52n_wupperverband_1.0.0.xml')[0]
    assert service.title == 'Wupperverband SOS'
    assert service.abstract == 'SOS at Wupperverband, Wuppertal, Germany'
    assert 'gauge height' in service.keywords and 'water level' in service.keywords
    assert service.organization == 'Wupperverband'
    link = service.links[0]
    assert link.protocol == 'OGC:SOS' and 'request=GetCapabilities' in link.url
    assert link.url.startswith('http://sos.example.org/service?')
    assert service.slots['harvestedVersion'] == ['1.0.0']


def test_service_without_title_gets_one():
    """NIWA's ServiceIdentification has no Title: the provider's name stands in."""
    assert records_of('niwa_hydro_2.0.0.xml')[0].title == 'NIWA SOS'


def test_identifiers_are_deterministic():
    """Same document, same endpoint however the URL is written -> same identifiers."""
    first = [r.identifier for r in records_of('gns_ngmp_2.0.0.xml')]
    again = [r.identifier for r in records_of(
        'gns_ngmp_2.0.0.xml', 'HTTP://SOS.example.org/service?REQUEST=GetCapabilities&version=2.0.0')]
    other = [r.identifier for r in records_of('gns_ngmp_2.0.0.xml', 'http://other.example.org/sos')]
    assert first == again
    assert not set(first) & set(other)


def test_normalise_url_keeps_other_parameters():
    assert normalise_sos_url('http://H.org/sos?service=SOS&key=abc&Request=GetCapabilities') == \
        'http://h.org/sos?key=abc'


def test_wupperverband_procedures_keep_their_offering():
    """218 procedures in 5 offerings: each procedure names the offerings that list it."""
    records = records_of('52n_wupperverband_1.0.0.xml')
    offerings = {o.slots['offering'][0]: o for o in by_kind(records, OFFERING)}
    for proc in by_kind(records, PROCEDURE):
        for off_id in proc.slots['offering']:
            assert proc.slots['procedure'][0] in offerings[off_id].slots['procedure']
        assert proc.links[0].name == 'DescribeSensor'


@pytest.mark.parametrize('raw, label', [
    ('http://mmisw.org/ont/cf/parameter/sea_water_temperature', 'sea water temperature'),
    ('urn:ogc:def:phenomenon:OGC:1.0.30:temperature', 'temperature'),
    ('http://vocab.nerc.ac.uk/collection/P01/current/TEMPPR01/', 'TEMPPR01'),
    ('AthmosphericPressure', 'Athmospheric Pressure'),
    ('Height of Gauge (River Stage)', 'Height of Gauge (River Stage)'),
    ('seaWaterTemperature', 'sea Water Temperature'),
    ('http://example.org/radiation/diFfuse', 'diFfuse'),           # not split inside a word
    ('diFfuse radiation', 'diFfuse radiation'),
    ('mgL', 'mgL'),
    ('urn:ogc:def:property:OGC:6', 'urn:ogc:def:property:OGC:6'),  # never the bare number
])
def test_property_labels(raw, label):
    assert property_label(raw) == label


def test_stock_pycsw_left_a_sos2_offering_untitled():
    """The reference this mapping improves on: pycsw's SOS 2.0 harvest inserted two records,
    one of them (the offering) with an empty title."""
    doc = etree.parse(str(SOS_FIXTURES / 'pycsw_expected' / 'post_Harvest-sos200.xml'))
    ns = {'csw': 'http://www.opengis.net/cat/csw/2.0.2', 'dc': 'http://purl.org/dc/elements/1.1/'}
    titles = [t.text for t in doc.iterfind('.//csw:BriefRecord/dc:title', ns)]
    assert len(titles) == 2 and titles.count(None) == 1
    for name, (version, _o, _p) in CAPABILITIES.items():
        if version == '2.0.0':
            assert all(r.title for r in records_of(name))


def test_offering_listed_twice_is_kept_once():
    """A document that repeats an offering (built from the GNS file) yields one record and a warning."""
    data = fixture('gns_ngmp_2.0.0.xml')
    start = data.index(b'<swes:offering')
    end = data.index(b'</swes:offering>', start) + len(b'</swes:offering>')
    warnings = []
    records = capabilities_to_records(parse_xml(data[:end] + data[start:]), URL, warnings)
    assert len(by_kind(records, OFFERING)) == 10
    assert any('listed twice' in w for w in warnings)
