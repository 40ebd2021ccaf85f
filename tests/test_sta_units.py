"""Units of records with several are values of their own (issue 10 point 4): a CSW search
for one of them finds the record. The records: the OGC SensorThings spec's MultiDatastream
example (fixtures/sta/spec_15-078r6_examples, units °C, % and a 'null' one) and the 52°North
ws2500 procedure described by its real SensorML (fixtures/sos, seven units), in a real
catalogue."""
from __future__ import annotations

import pytest
from lxml import etree

from conftest import load_json
from harvesters.http import parse_xml
from harvesters.sensorml import apply_sensor_details, sensorml_to_details
from harvesters.sos_capabilities import capabilities_to_records
from harvesters.sta_mapping import multidatastream_record
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from records_factory import station
from sos_support import fixture

SPEC_ROOT = 'http://example.org/v1.0'
CSW = 'http://www.opengis.net/cat/csw/2.0.2'


def unit_query(unit: str) -> bytes:
    return f'''<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc"
        service="CSW" version="2.0.2" resultType="results" maxRecords="50">
      <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
        <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsEqualTo>
          <ogc:PropertyName>hubcat:Unit</ogc:PropertyName><ogc:Literal>{unit}</ogc:Literal>
        </ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>
    '''.encode('utf-8')


@pytest.fixture
def client(config):
    mds = load_json('spec_15-078r6_examples/12_01_multidatastream-observation.json')
    thing = load_json('spec_15-078r6_examples/08_01_thing-entity.json')
    weather = multidatastream_record(SPEC_ROOT, mds, thing, [], {'name': 'WXT520'})
    assert weather.slots['unitOfMeasurement'] == ['°C', '%']      # one value per unit
    sos = capabilities_to_records(parse_xml(fixture('52n_example_2.0.0.xml')), 'http://52n.test/sos')
    ws2500 = next(r for r in sos if r.slots.get('procedure') == ['ws2500'] and r.kind == 'procedure')
    apply_sensor_details(ws2500, sensorml_to_details(parse_xml(
        fixture('52n_ws2500_describesensorresponse_sos200.xml'))))
    Catalogue(config.database_url).sync(1, station(n_things=1, per_thing=1) + [weather])
    Catalogue(config.database_url).sync(2, sos)
    return create_app(config).test_client(), weather, ws2500


def found(app, unit: str) -> list[str]:
    resp = app.post('/csw', data=unit_query(unit), content_type='application/xml')
    assert resp.status_code == 200, resp.data[:500]
    return [e.text for e in etree.fromstring(resp.data).iter(
        '{http://purl.org/dc/elements/1.1/}identifier')]


@pytest.mark.parametrize('unit', ['°C', '%'])
def test_search_for_one_unit_finds_the_multidatastream(client, unit):
    app, weather, _ws2500 = client
    assert weather.identifier in found(app, unit)


@pytest.mark.parametrize('unit', ['degC', 'hPa', 'km_h'])
def test_search_for_one_unit_finds_the_sos_procedure(client, unit):
    app, _weather, ws2500 = client
    assert ws2500.identifier in found(app, unit)

