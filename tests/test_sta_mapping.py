"""The pure STA -> CatalogRecord mapping, on real documents (spec examples, ets-sta10 entities,
responses recorded from django-ogc-sensorthings)."""
from __future__ import annotations

import copy
import json

import pytest
from conftest import FIXTURES, load_json, load_recorded

from harvesters.sta_mapping import (collection_items, datastream_record, dedupe, geojson_bbox,
                                    is_service_root, multidatastream_record, normalise_root,
                                    object_type, service_record, thing_record, time_interval,
                                    unit_label)
from hubcat.records import (DATASTREAM, HAS_DATASTREAM, OPERATES_ON, OT_MEASUREMENT,
                            OT_STA_SERVICE, OT_THING, SERVICE, STA, THING)

ROOT = 'http://127.0.0.1:8091/sensorthings/v1.1'
SPEC_ROOT = 'http://example.org/v1.0'


def recorded_things() -> list[dict]:
    """The 50 Things of the three recorded Things pages (expanded Datastreams, Locations)."""
    things = []
    for page in (1, 2, 3):
        doc = load_recorded(f'01_things_expand_datastreams_locations_page{page}.json')
        things += collection_items(doc['body'])
    return things


def harvest_like(root: str = ROOT) -> list:
    """Records mapped from the recorded pages as the harvester would build them."""
    things = recorded_things()
    members = []
    for thing in things:
        members.append(thing_record(root, thing))
        members += [datastream_record(root, d, thing) for d in thing['Datastreams']]
    root_doc = load_recorded('00_service_root.json')['body']
    return [service_record(root, root_doc, members)] + members


def test_service_root_is_recognised():
    assert is_service_root(load_recorded('00_service_root.json')['body'])
    assert is_service_root(load_json('spec_15-078r6_examples/09_01_service-root-response.json'))
    assert not is_service_root(load_recorded('02_things_top1.json')['body'])
    assert not is_service_root(load_recorded('15_ERROR_bad_id.json')['body'])
    assert not is_service_root([1, 2])


def test_identifiers_are_deterministic_and_slash_insensitive():
    first = [r.identifier for r in harvest_like(ROOT)]
    again = [r.identifier for r in harvest_like(ROOT + '/')]
    assert first == again
    assert len(set(first)) == len(first) == 1 + 50 + 200
    other = [r.identifier for r in harvest_like('http://127.0.0.1:9999/sensorthings/v1.1')]
    assert not set(first) & set(other)
    assert normalise_root('HTTP://Example.ORG/v1.0/?x=1#f') == 'http://example.org/v1.0'


def test_service_record_operates_on_every_thing_and_covers_them():
    records = harvest_like()
    service, things = records[0], [r for r in records if r.kind == THING]
    assert (service.kind, service.object_type, service.service_type) == (SERVICE, OT_STA_SERVICE, STA)
    assert {a.target for a in service.associations if a.type == OPERATES_ON} == \
        {t.identifier for t in things}
    xs = [t.bbox[0] for t in things]
    ys = [t.bbox[1] for t in things]
    assert service.bbox == (min(xs), min(ys), max(xs), max(ys))
    assert service.slots['serverSettings/conformance'][0].endswith('/1.1/req/datamodel')
    assert service.slots['version'] == ['1.1']
    assert service.links[0].url == ROOT + '/'


def test_thing_record_from_recorded_page():
    thing = recorded_things()[0]
    record = thing_record(ROOT, thing)
    assert (record.kind, record.object_type) == (THING, OT_THING)
    assert record.title == 'Zurich Fluntern'
    assert record.bbox == (8.56447, 47.37768, 8.56447, 47.37768)      # GeoJSON is lon/lat
    assert record.parent_id == record.service_id
    assert 'meteorology' in record.keywords and 'MET-001' in record.keywords
    assert record.organization == 'Demo Environmental Agency'
    assert len(record.associations) == len(thing['Datastreams'])
    assert {a.type for a in record.associations} == {HAS_DATASTREAM}
    assert record.slots['@iot.id'] == [thing['@iot.id']]
    assert record.slots['Datastreams@iot.navigationLink'] == [thing['@iot.selfLink'] + '/Datastreams']


def test_datastream_record_from_recorded_expansion():
    body = load_recorded('08_datastream_expand_sensor_observedproperty_thing.json')['body']
    newest = load_recorded('06_datastream_observations_orderby_resultTime_desc_top1.json')['body']
    stream = dict(body, Observations=newest['value'])
    record = datastream_record(ROOT, stream, body['Thing'])
    assert record.kind == DATASTREAM and record.object_type == OT_MEASUREMENT
    assert record.thing_id == record.parent_id == thing_record(ROOT, body['Thing']).identifier
    assert record.observed_properties == [
        'Air temperature', 'http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/']
    assert record.observed_property_labels == ['Air temperature']
    assert record.unit == 'degC'
    assert record.time_end == '2024-06-01T12:00:00Z'           # newest observation's phenomenonTime
    assert record.slots['phenomenonDate'] == ['2024-06-01T12:00:00Z']
    assert record.slots['sensor'] == ['Vaisala HMP155']
    assert record.slots['sensorEncodingType'] == ['application/pdf']
    assert record.slots['observedPropertyDefinition'] == [
        'http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/']
    assert record.slots['unitOfMeasurement'] == ['degC']
    assert record.slots['observationType'] == [body['observationType']]
    assert record.slots['Observations@iot.navigationLink'] == [body['@iot.selfLink'] + '/Observations']
    assert record.bbox == (8.56447, 47.37768, 8.56447, 47.37768)   # the Thing's location
    assert {'Air temperature', 'Vaisala HMP155', 'Zurich Fluntern'} <= set(record.keywords)
    assert [link.name for link in record.links] == ['Datastream', 'Observations']
    assert record.service_url == ROOT and record.service_type == STA


def test_explicit_observed_property_and_sensor_win_over_expanded_ones():
    """The harvester passes the right ones (the server's to-one expansion can be wrong)."""
    body = load_recorded('08_datastream_expand_sensor_observedproperty_thing.json')['body']
    props = collection_items(load_recorded('09_observedproperties.json')['body'])
    sensors = collection_items(load_recorded('10_sensors.json')['body'])
    record = datastream_record(ROOT, body, body['Thing'], props[3], sensors[3])
    assert record.observed_property_labels == [props[3]['name']]
    assert record.slots['sensor'] == [sensors[3]['name']]


def test_spec_datastream_observed_area_and_phenomenon_time():
    stream = load_json('spec_15-078r6_examples/08_04_datastream-entity.json')
    thing = load_json('spec_15-078r6_examples/08_01_thing-entity.json')
    record = datastream_record(SPEC_ROOT, stream, thing)
    assert record.bbox == (100.0, 0.0, 101.0, 1.0)            # observedArea wins over the Thing
    assert (record.time_begin, record.time_end) == ('2014-03-01T13:00:00Z', '2015-05-11T15:30:00Z')
    assert record.slots['phenomenonDate'] == ['2015-05-11T15:30:00Z']
    assert record.unit == '°C'
    # relative navigation links are resolved against the root
    assert record.slots['Sensor@iot.navigationLink'] == [SPEC_ROOT + '/Datastreams(1)/Sensor']
    assert record.links[0].url == SPEC_ROOT + '/Datastreams(1)'


def test_feature_location_and_polygon_envelopes():
    location = load_json('spec_15-078r6_examples/08_02_location-entity.json')
    thing = dict(load_json('spec_15-078r6_examples/08_01_thing-entity.json'), Locations=[location])
    assert thing_record(SPEC_ROOT, thing).bbox == (-114.06, 51.05, -114.06, 51.05)
    polygon = load_json('ets-sta10_entities/locations/southern-alberta-polygon.json')
    assert geojson_bbox(polygon['location']) == (-117.3311, 49.0297, -110.0361, 52.1932)
    assert geojson_bbox({'type': 'Point', 'coordinates': []}) is None
    assert geojson_bbox('POINT(1 2)') is None


def test_newest_location_is_the_first_listed():
    thing = copy.deepcopy(recorded_things()[0])
    older = load_json('ets-sta10_entities/locations/cuba-point.json')
    thing['Locations'].append(older)
    assert thing_record(ROOT, thing).bbox == (8.56447, 47.37768, 8.56447, 47.37768)


def test_multidatastream_spec_example():
    mds = load_json('spec_15-078r6_examples/12_01_multidatastream-observation.json')
    thing = load_json('spec_15-078r6_examples/08_01_thing-entity.json')
    props = [{'name': 'Air temperature', 'definition': 'http://example.org/temp'},
             {'name': 'Relative humidity', 'definition': 'http://example.org/rh'},
             {'name': 'Visibility', 'definition': 'http://example.org/vis'}]
    record = multidatastream_record(SPEC_ROOT, mds, thing, props, {'name': 'WXT520'})
    assert record.kind == DATASTREAM
    assert record.object_type.endswith('OGC-OM:2_0:OM_ComplexObservation')
    assert record.observed_property_labels == ['Air temperature', 'Relative humidity', 'Visibility']
    assert record.unit == '°C, %'                           # the 'null' unit is left out
    assert record.bbox == (100.0, 0.0, 101.0, 1.0)
    assert len(record.slots['multiObservationDataTypes']) == 3
    thing_with_mds = dict(thing, MultiDatastreams=[mds])
    assert thing_record(SPEC_ROOT, thing_with_mds).associations[0].target == record.identifier
    assert record.identifier != datastream_record(SPEC_ROOT, mds, thing).identifier


def test_values_erratum_document_maps():
    doc = load_json('spec_15-078r6_examples/09_04_things-expand-datastreams-response.json')
    things = collection_items(doc)
    assert len(things) == 1
    thing = thing_record(SPEC_ROOT, things[0])
    stream = datastream_record(SPEC_ROOT, things[0]['Datastreams'][0], things[0])
    assert thing.associations[0].target == stream.identifier
    assert thing.bbox is None and stream.bbox == (100.0, 0.0, 101.0, 1.0)
    assert stream.parent_id == thing.identifier


def test_observation_types_and_units():
    om = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/'
    assert object_type(om + 'OM_CategoryObservation') == \
        'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset:OGC-OM:2_0:OM_CategoryObservation'
    assert object_type(om + 'OM_Measurement') == OT_MEASUREMENT
    assert object_type(None) == OT_MEASUREMENT
    assert object_type('http://example.org/other') == OT_MEASUREMENT
    uoms = 'ets-sta10_entities/unitsOfMeasurement/'
    assert unit_label(load_json(uoms + 'noSymbol.json')) == 'Celsius'
    assert unit_label(load_json(uoms + 'noName.json')) == 'degC'
    assert unit_label({}) is None


def test_time_values():
    assert time_interval('2014-12-31T11:59:59.00+08:00') == ('2014-12-31T03:59:59Z',) * 2
    assert time_interval('2024-06-01T12:00:00+00:00/2024-06-02T00:00:00Z') == \
        ('2024-06-01T12:00:00Z', '2024-06-02T00:00:00Z')
    assert time_interval(None) == (None, None)


def test_repeated_entities_are_dropped_by_id():
    things = recorded_things()
    assert len(dedupe(things + things[:3])) == 50


@pytest.mark.parametrize('folder', ['thing', 'datastreams', 'locations'])
def test_every_ets_entity_maps(folder):
    """Every ets-sta10 entity that is valid JSON maps without error (ids added: they are
    POST bodies)."""
    mapped = 0
    for path in sorted((FIXTURES / 'sta' / 'ets-sta10_entities' / folder).glob('*.json')):
        try:
            entity = json.loads(path.read_text(encoding='utf-8'))
        except ValueError:
            continue                                    # a template with placeholders
        entity = dict(entity, **{'@iot.id': path.stem})
        if folder == 'locations':
            thing = {'@iot.id': 't', 'name': 'x', 'Locations': [entity]}
            assert thing_record(ROOT, thing).bbox is not None
        elif folder == 'thing':
            record = thing_record(ROOT, entity)
            streams = [dict(d, **{'@iot.id': f'{path.stem}-{i}'})
                       for i, d in enumerate(entity.get('Datastreams') or [])]
            for stream in streams:
                assert datastream_record(ROOT, stream, entity).thing_id == record.identifier
        else:
            record = datastream_record(ROOT, entity, {'@iot.id': 't', 'name': 'thing'})
            assert record.kind == DATASTREAM and record.title
        mapped += 1
    assert mapped >= 3
