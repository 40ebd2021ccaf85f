"""DescribeSensor answers -> sensor details, and a procedure record enriched by them.

Stock pycsw never asks DescribeSensor: its SOS records stop at the offering.
HubCat reads SensorML 1.0.1 and 2.0, bare or inside swes:DescribeSensorResponse,
and gives the procedure's record the sensor's names, identifiers, classifiers,
keywords, position, contacts and outputs.
"""
from __future__ import annotations

import pytest

from harvesters.base import HarvestError
from harvesters.http import parse_xml
from harvesters.sensorml import apply_sensor_details, sensorml_to_details
from harvesters.sos_capabilities import capabilities_to_records
from hubcat.records import PROCEDURE
from sos_support import DESCRIBE_SENSOR, exception_report, fixture

# No SensorML 2.0 answer is among the fixtures; this one follows the OGC 12-000 examples.
SML20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<sml:PhysicalSystem xmlns:sml="http://www.opengis.net/sensorml/2.0"
    xmlns:swe="http://www.opengis.net/swe/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"
    xmlns:xlink="http://www.w3.org/1999/xlink" gml:id="ws1">
  <gml:description>Rooftop weather station</gml:description>
  <gml:identifier codeSpace="uniqueID">urn:example:station:ws1</gml:identifier>
  <gml:name>Weather station 1</gml:name>
  <sml:keywords><sml:KeywordList><sml:keyword>weather</sml:keyword></sml:KeywordList></sml:keywords>
  <sml:identification><sml:IdentifierList>
    <sml:identifier><sml:Term definition="http://sensorml.com/ont/swe/property/ShortName">
      <sml:label>Short Name</sml:label><sml:value>WS1</sml:value></sml:Term></sml:identifier>
  </sml:IdentifierList></sml:identification>
  <sml:classification><sml:ClassifierList>
    <sml:classifier><sml:Term definition="http://sensorml.com/ont/swe/property/SensorType">
      <sml:label>Sensor Type</sml:label><sml:value>weather station</sml:value></sml:Term></sml:classifier>
  </sml:ClassifierList></sml:classification>
  <sml:contacts><sml:ContactList><sml:contact><gmd:CI_ResponsibleParty>
    <gmd:organisationName><gco:CharacterString>Example Met Office</gco:CharacterString></gmd:organisationName>
    <gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="operator"/></gmd:role>
  </gmd:CI_ResponsibleParty></sml:contact></sml:ContactList></sml:contacts>
  <sml:outputs><sml:OutputList>
    <sml:output name="temp"><swe:Quantity definition="http://mmisw.org/ont/cf/parameter/air_temperature">
      <swe:uom code="Cel"/></swe:Quantity></sml:output>
  </sml:OutputList></sml:outputs>
  <sml:position><gml:Point gml:id="p1" srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
    <gml:pos>52.5 13.4</gml:pos></gml:Point></sml:position>
</sml:PhysicalSystem>"""


def details_of(name: str) -> dict:
    return sensorml_to_details(parse_xml(fixture(name)))


def test_ndbc_sensorml_101():
    """NDBC 41012: bare SensorML 1.0.1 with identifiers, a classifier, contacts, a location."""
    d = details_of('ndbc_station_41012_sml101.xml')
    assert d['version'] == '1.0.1'
    assert d['unique_id'] == 'urn:ioos:station:wmo:41012'
    assert (d['long_name'], d['short_name']) == ('40NM ENE of St Augustine, FL', '41012')
    assert len(d['identifiers']) == 3
    assert d['classifiers'][0]['value'] == 'MOORED BUOY'
    assert d['position'] == pytest.approx((-80.55, 30.04))  # urn:ogc:crs:epsg::4326, lat first
    assert {c['organization'] for c in d['contacts']} == {'National Data Buoy Center'}
    assert any(c['email'] == 'webmaster.ndbc@noaa.gov' for c in d['contacts'])


def test_52n_wrapped_sensorml_101():
    """ws2500: SensorML 1.0.1 inside swes:DescribeSensorResponse/.../swes:data."""
    d = details_of('52n_ws2500_describesensorresponse_sos200.xml')
    assert d['unique_id'] == 'ws2500' and d['long_name'] == '52n-elv-ws2500'
    assert len(d['identifiers']) == 3
    assert 'AirTemperature' in d['keywords']
    assert d['position'] == pytest.approx((7.652428, 51.934814))  # named northing/easting axes
    assert d['contacts'][0]['organization'] == '52North'
    outputs = {o['name']: o for o in d['outputs']}
    assert outputs['AirTemperature']['uom'] == 'degC' and len(outputs) == 10


def test_sensorml_20():
    d = sensorml_to_details(parse_xml(SML20))
    assert d['version'] == '2.0'
    assert d['unique_id'] == 'urn:example:station:ws1'
    assert d['long_name'] == 'Weather station 1' and d['short_name'] == 'WS1'
    assert d['description'] == 'Rooftop weather station'
    assert d['keywords'] == ['weather']
    assert d['classifiers'][0]['value'] == 'weather station'
    assert d['contacts'] == [{'role': 'operator', 'organization': 'Example Met Office',
                              'individual': '', 'email': ''}]
    assert d['outputs'][0]['uom'] == 'Cel'
    assert d['position'] == pytest.approx((13.4, 52.5))


def test_sensorml_20_wrapped_in_describesensorresponse():
    """The SOS 2.0 envelope around a SensorML 2.0 description (built from the ws2500 answer)."""
    wrapped = fixture('52n_ws2500_describesensorresponse_sos200.xml')
    start, end = wrapped.index(b'<sml:SensorML'), wrapped.index(b'</sml:SensorML>') + 15
    body = SML20.split(b'?>', 1)[1]
    d = sensorml_to_details(parse_xml(wrapped[:start] + body + wrapped[end:]))
    assert d['version'] == '2.0' and d['short_name'] == 'WS1'


def test_exception_instead_of_sensorml_is_a_harvest_error():
    with pytest.raises(HarvestError, match='InvalidParameterValue'):
        sensorml_to_details(parse_xml(exception_report('InvalidParameterValue', 'no such')))
    with pytest.raises(HarvestError, match='not a SensorML'):
        sensorml_to_details(parse_xml(b'<foo/>'))


def test_procedure_record_enriched_from_describesensor():
    """The NDBC 41012 procedure, from the capabilities alone and then with its SensorML."""
    records = capabilities_to_records(parse_xml(fixture('ndbc_ioos_1.0.0.xml')), 'http://ndbc.test/sos')
    proc = next(r for r in records if r.kind == PROCEDURE
                and r.slots['procedure'] == [DESCRIBE_SENSOR['ndbc_station_41012_sml101.xml']])
    assert proc.title == 'urn:ioos:station:wmo:41012'
    before = proc.identifier
    apply_sensor_details(proc, details_of('ndbc_station_41012_sml101.xml'))
    assert proc.identifier == before
    assert proc.title == '40NM ENE of St Augustine, FL'
    assert proc.abstract.startswith('Station metadata for 41012')
    assert 'MOORED BUOY' in proc.keywords
    assert proc.organization == 'National Data Buoy Center'
    assert proc.bbox == pytest.approx((-80.55, 30.04, -80.55, 30.04))
    assert 'StationId=urn:ioos:station:wmo:41012' in proc.slots['identifier']
    assert proc.slots['sensorML'] == ['1.0.1']


def test_outputs_add_properties_and_units():
    records = capabilities_to_records(parse_xml(fixture('52n_example_2.0.0.xml')), 'http://52n.test/sos')
    proc = next(r for r in records if r.kind == PROCEDURE and r.slots['procedure'] == ['ws2500'])
    apply_sensor_details(proc, details_of('52n_ws2500_describesensorresponse_sos200.xml'))
    assert 'RainfallAccumulated|RainfallAccumulated|l_m^2' in proc.slots['output']
    # ten outputs, seven units: each unit a value of its own (a search for degC finds it)
    assert proc.slots['unitOfMeasurement'] == ['l_m^2', 'deg', '%', 'degC', 'klux', 'hPa', 'km_h']
    assert proc.unit == 'l_m^2, deg, %, degC, klux, hPa, km_h'
    assert proc.title == '52n-elv-ws2500'


def numbered_output_description() -> bytes:
    """The ws2500 description with its first output renamed to a bare number, its definition
    a URN ending in that number, and a gml:name of its own on the second output."""
    text = fixture('52n_ws2500_describesensorresponse_sos200.xml').decode('utf-8')
    for old, new in (
            ('<sml:output name="RainfallAccumulated">\n                    '
             '<swe:Quantity definition="RainfallAccumulated">',
             '<sml:output name="6">\n                    '
             '<swe:Quantity definition="urn:ogc:def:property:OGC:6">'),
            ('<swe:Quantity definition="WindDirection">',
             '<swe:Quantity definition="urn:x:7"><swe:label>Wind  direction</swe:label>')):
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode('utf-8')


def test_output_labels_never_a_bare_number():
    """A SensorML output whose only name is a number is labelled by its definition, one with
    a label of its own by that label; labels are never split inside a word."""
    records = capabilities_to_records(parse_xml(fixture('52n_example_2.0.0.xml')), 'http://52n.test/sos')
    proc = next(r for r in records if r.kind == PROCEDURE and r.slots['procedure'] == ['ws2500'])
    apply_sensor_details(proc, sensorml_to_details(parse_xml(numbered_output_description())))
    assert '6' not in proc.observed_property_labels and '7' not in proc.observed_property_labels
    assert 'urn:ogc:def:property:OGC:6' in proc.observed_property_labels
    assert 'Wind direction' in proc.observed_property_labels
    assert 'Athmospheric Pressure' in proc.observed_property_labels

