"""Dictionaries applied to records from real documents (../shared/fixtures): canonical
label, URI and UCUM unit beside the raw ones, in every output, re-applied at once when
a dictionary changes (no harvest), raw values back when it is removed."""
from __future__ import annotations

import copy
from datetime import timedelta

from lxml import etree

from conftest import load_recorded
from harvesters.http import parse_xml
from harvesters.sensorml import apply_sensor_details, sensorml_to_details
from harvesters.sos_capabilities import capabilities_to_records
from harvesters.sta_mapping import datastream_record
from hubcat.catalogue import Catalogue
from hubcat.dictionaries import service
from hubcat.dictionaries.store import DictionaryStore
from hubcat.dictionaries.unmapped import unmapped
from hubcat.records import CatalogRecord
from hubcat.times import utcnow
from sos_support import fixture

ROOT = 'http://127.0.0.1:8091/sensorthings/v1.1'
CF_AIR_TEMPERATURE = 'http://vocab.nerc.ac.uk/standard_name/air_temperature/'
DC = {'dc': 'http://purl.org/dc/elements/1.1/', 'dct': 'http://purl.org/dc/terms/'}
DICTIONARY = """name: fire-engines
properties:
  - id: lel
    label: Explosive gas (LEL)
    unit: '%{LEL}'
    names: [Parameter_2]
mappings:
  - {name: Parameter_1, property: air_temperature}
  - {name: Parameter_3, property: air_pressure}
"""


def _stream(name: str, unit: dict, iot_id: str):
    """The recorded Datastream of the real STA server, its property renamed and its unit
    replaced (the variant is built from the file, never written back)."""
    body = copy.deepcopy(load_recorded('08_datastream_expand_sensor_observedproperty_thing.json')['body'])
    body['@iot.id'] = iot_id
    body['name'] = f'E-12 {name}'
    body['description'] = f'{name} of the multi-gas detector of engine E-12'
    body['ObservedProperty'] = {'name': name, 'definition': f'urn:example:fire:{name}'}
    body['unitOfMeasurement'] = unit
    return datastream_record(ROOT, body, body['Thing'])


def _subjects(row, scheme=None):
    root = etree.fromstring(row['xml'].encode())
    return [s.text for s in root.iterfind('dc:subject', DC)
            if scheme is None or s.get('scheme') == scheme]


def test_sos_fixture_offerings_get_canonical_properties(config):
    records = capabilities_to_records(parse_xml(fixture('52n_ioos_1.0.0.xml')),
                                      'http://sos.example.org/sos')
    catalogue = Catalogue(config.database_url, config.table)
    catalogue.sync(1, records)
    offering = next(r for r in records if r.kind == 'offering'
                    and 'http://mmisw.org/ont/cf/parameter/air_temperature' in r.observed_properties)
    row = catalogue.get(offering.identifier)
    assert 'Air temperature' in row['hc_observed_property'].split(',')
    assert CF_AIR_TEMPERATURE in row['hc_observed_property_uri'].split(',')
    assert 'http://mmisw.org/ont/cf/parameter/air_temperature' in row['hc_observed_property_raw']
    assert CF_AIR_TEMPERATURE in _subjects(row, 'http://vocab.nerc.ac.uk/standard_name/')
    assert 'Air temperature' in _subjects(row, 'urn:hubcat:def:observedProperty')


def test_sensorml_outputs_give_each_property_its_ucum_unit(config):
    """The 52°North ws2500 procedure, described by its real SensorML: ten properties,
    each with the unit of its SensorML output."""
    records = capabilities_to_records(parse_xml(fixture('52n_example_2.0.0.xml')), 'http://52n.test/sos')
    ws2500 = next(r for r in records if r.kind == 'procedure' and r.slots.get('procedure') == ['ws2500'])
    apply_sensor_details(ws2500, sensorml_to_details(parse_xml(
        fixture('52n_ws2500_describesensorresponse_sos200.xml'))))
    catalogue = Catalogue(config.database_url, config.table)
    catalogue.sync(1, records)
    row = catalogue.get(ws2500.identifier)
    units = {(m.label, m.raw_unit, m.unit_code, m.unit_label)
             for m in CatalogRecord.from_json(row['hc_record']).mediation}
    assert {('Air temperature', 'degC', 'Cel', '°C'), ('Air pressure', 'hPa', 'hPa', 'hPa'),
            ('Wind speed', 'km_h', 'km/h', 'km/h'), ('Precipitation amount', 'l_m^2', 'L/m2', 'l/m²'),
            ('Relative humidity', '%', '%', '%')} <= units
    assert not any(m.conflict for m in CatalogRecord.from_json(row['hc_record']).mediation)
    assert {'Cel', 'hPa', 'km/h', 'degC'} <= set(row['hc_unit'].split(','))


def test_sta_fixture_stream_mapped_on_load_restored_on_remove(config):
    catalogue = Catalogue(config.database_url, config.table)
    streams = [_stream('Parameter_1', {'name': 'degree Fahrenheit', 'symbol': '°F'}, 'a1'),
               _stream('Parameter_2', {'name': 'percent LEL', 'symbol': '%LEL'}, 'a2'),
               _stream('Parameter_3', {'name': 'degree Celsius', 'symbol': 'degC'}, 'a3')]
    catalogue.sync(1, streams, now=utcnow() - timedelta(hours=1))
    before = {s.identifier: catalogue.get(s.identifier) for s in streams}
    first = before[streams[0].identifier]
    assert first['hc_observed_property'] == 'Parameter_1'
    assert first['hc_observed_property_uri'] is None
    assert first['hc_unit'].split(',') == ['[degF]', '°F']
    assert 'Air temperature' not in first['anytext']
    todo = {(r['raw'], r['problem']) for r in unmapped(config)}
    assert ('Parameter_1', 'no dictionary entry') in todo

    report = service.load(config, DictionaryStore(config.database_url).parse(DICTIONARY, 'yaml', 'x'))
    assert report.changed == 3

    after = {s.identifier: catalogue.get(s.identifier) for s in streams}
    temp = after[streams[0].identifier]
    assert temp['hc_observed_property'] == 'Air temperature'
    assert temp['hc_observed_property_uri'] == CF_AIR_TEMPERATURE
    assert temp['hc_observed_property_raw'].split(',') == ['Parameter_1', 'urn:example:fire:Parameter_1']
    assert 'Air temperature, °F' in _subjects(temp, 'urn:hubcat:def:observedPropertyWithUnit')
    assert 'air temp' in temp['anytext'] and 'Air temperature, °F' in temp['anytext']
    # content hash and dct:modified follow; status and last seen are the catalogue's
    for ident, row in after.items():
        assert row['hc_hash'] != before[ident]['hc_hash']
        assert row['date_modified'] > before[ident]['date_modified']
        assert row['hc_last_seen'] == before[ident]['hc_last_seen']
        assert etree.fromstring(row['xml'].encode()).findtext('dct:modified', namespaces=DC) \
            == row['date_modified']
    gas = after[streams[1].identifier]
    assert (gas['hc_observed_property'], gas['hc_unit'].split(',')[0]) == ('Explosive gas (LEL)', '%{LEL}')

    # °C on a property declared as pressure: flagged on the record and in unmapped
    pressure = after[streams[2].identifier]
    assert pressure['hc_observed_property'] == 'Air pressure'
    conflict = _subjects(pressure, 'urn:hubcat:def:unitConflict')
    assert conflict and 'contradicts Air pressure' in conflict[0] and '°C' in conflict[0]
    todo = {(r['raw'], r['unit'], r['problem'].split(' (')[0]) for r in unmapped(config)}
    assert ('Parameter_3', 'degC', 'unit °C') in todo
    assert not any(raw == 'Parameter_1' for raw, _, _ in todo)

    # re-applying the same dictionaries changes nothing; a re-sync of the same records neither
    assert service.load(config, DictionaryStore(config.database_url)
                        .parse(DICTIONARY, 'yaml', 'x')).changed == 0
    counts = catalogue.sync(1, streams, now=utcnow() - timedelta(hours=1))
    assert (counts.updated, counts.unchanged) == (0, 3)

    # removing the dictionary restores the raw values
    assert service.remove(config, 'fire-engines').changed == 3
    restored = catalogue.get(streams[0].identifier)
    assert restored['hc_observed_property'] == 'Parameter_1'
    assert restored['hc_observed_property_uri'] is None
    assert 'Air temperature' not in restored['anytext']
    assert restored['hc_hash'] == first['hc_hash']
