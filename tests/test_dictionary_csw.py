"""Done-when of issue 11 on the real STA server: a source whose properties are
'Parameter_1'/'Parameter_2' is found by 'Air temperature' through /csw (OWSLib) after
``hubcat dictionary load``, without re-harvesting; unit conflicts are flagged; a
Thing-scoped entry wins over the source's global one; removal restores raw values."""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import ADMIN_TOKEN, LiveServer, StaServer, test_port
from hubcat.app import create_app
from hubcat.cli import cli
from hubcat.harvest import run_harvest
from hubcat.runs import RunLog
from hubcat.sources import SourceRegistry

CF_AIR_TEMPERATURE = 'http://vocab.nerc.ac.uk/standard_name/air_temperature/'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
GMD = 'http://www.isotc211.org/2005/gmd'
DICTIONARY = """name: fire-brigade
description: The county fire brigade's detectors report opaque parameter numbers
mappings:
  - {name: Parameter_1, property: explosive_gas}
  - {name: Parameter_1, property: air_temperature, things: 'WS-*'}
  - {name: Parameter_2, property: carbon_monoxide}
  - {name: Parameter_3, property: air_pressure}
"""
STREAMS = {   # Thing -> [(property, unit)]
    'E-12 fire engine': [('Parameter_1', ('percent LEL', '%LEL', '')),
                         ('Parameter_2', ('parts per million', 'ppm', '')),
                         ('Parameter_3', ('degree Celsius', 'degC', 'http://qudt.org/vocab/unit/DEG_C'))],
    'WS-7 weather station': [('Parameter_1', ('degree Fahrenheit', '°F',
                                              'http://qudt.org/vocab/unit/DEG_F'))],
}


def _post(url: str, body: dict) -> str:
    resp = requests.post(url, json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers['Location']


def _iot_id(location: str) -> str:
    return location.rsplit('(', 1)[1].rstrip(')').strip("'")


@pytest.fixture(scope='module')
def opaque_sta():
    """A real STA server holding only two Things whose ObservedProperties are opaque."""
    server = StaServer(test_port(1), ('--no-load',)).start()
    root = server.url
    props = {}
    for n in (1, 2, 3):
        props[f'Parameter_{n}'] = _iot_id(_post(f'{root}/ObservedProperties', {
            'name': f'Parameter_{n}', 'definition': f'urn:example:firebrigade:parameter:{n}',
            'description': f'Channel {n} of the detector'}))
    sensor = _iot_id(_post(f'{root}/Sensors', {
        'name': 'Multi-gas detector X8', 'description': 'Four-channel portable gas detector',
        'encodingType': 'application/pdf', 'metadata': 'https://example.org/x8.pdf'}))
    for i, (thing, streams) in enumerate(STREAMS.items()):
        code = thing.split()[0]
        _post(f'{root}/Things', {
            'name': thing, 'description': f'{thing} of the county fire brigade',
            'Locations': [{'name': f'{code} position', 'description': 'last position',
                           'encodingType': 'application/geo+json',
                           'location': {'type': 'Point', 'coordinates': [8.5 + i, 47.4]}}],
            'Datastreams': [{
                'name': f'{code} {prop}', 'description': f'{prop} of {code}',
                'observationType': 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement',
                'unitOfMeasurement': {'name': unit[0], 'symbol': unit[1], 'definition': unit[2]},
                'Sensor': {'@iot.id': sensor}, 'ObservedProperty': {'@iot.id': props[prop]}}
                for prop, unit in streams]})
    yield root
    server.stop()


@pytest.fixture
def fire(opaque_sta, database_url, tmp_path):
    """A catalogue that harvested the opaque source once, its live /csw, and a CLI runner."""
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n[hubcat]\nadmin_token={ADMIN_TOKEN}\n')
    env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_ADMIN_TOKEN', 'HUBCAT_CONFIG')}
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ['--config', str(cfg), *args], env=env, catch_exceptions=False)
    assert run('init').exit_code == 0
    from hubcat.config import Config
    config = Config(str(cfg), environ={})
    SourceRegistry(config.database_url).add(opaque_sta, 'sta', name='fire')
    report = run_harvest(config, 'fire')
    assert report.counts['added'] == 1 + 2 + 4, report.summary()
    server = LiveServer(create_app(config))
    run.csw_url, run.config, run.dir = server.url + '/csw', config, tmp_path
    yield run
    server.close()


def _titles(csw_url: str, constraint) -> list[str]:
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(constraints=[constraint], maxrecords=50)
    return sorted(r.title for r in csw.records.values())


def _record(csw_url: str, title: str, schema: str):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(constraints=[fes.PropertyIsEqualTo('dc:title', title)], esn='full',
                    outputschema=schema)
    return etree.fromstring(csw.response)


def test_opaque_source_found_by_canonical_property_after_load(fire):
    air = fes.PropertyIsEqualTo('hubcat:ObservedProperty', 'Air temperature')
    anytext = fes.PropertyIsLike('csw:AnyText', '%Air temperature%')
    assert _titles(fire.csw_url, air) == [] and _titles(fire.csw_url, anytext) == []

    path = fire.dir / 'fire-brigade.yaml'
    path.write_text(DICTIONARY)
    out = fire('dictionary', 'load', str(path), '--source', 'fire')
    assert out.exit_code == 0, out.output
    assert out.output.strip().endswith('4 records changed')

    # no harvest since: found at once by label, free text, canonical URI and UCUM unit
    assert len(RunLog(fire.config.database_url).list(None, 10)) == 1
    assert _titles(fire.csw_url, air) == ['WS-7 Parameter_1']
    # (on PostgreSQL, pycsw's AnyText is full-text search: the words, not the phrase)
    assert 'WS-7 Parameter_1' in _titles(fire.csw_url, anytext)
    assert 'E-12 Parameter_1' not in _titles(fire.csw_url, anytext)
    assert _titles(fire.csw_url, fes.PropertyIsEqualTo('hubcat:ObservedPropertyURI',
                                                       CF_AIR_TEMPERATURE)) == ['WS-7 Parameter_1']
    assert _titles(fire.csw_url, fes.PropertyIsEqualTo('hubcat:Unit', '[degF]')) == ['WS-7 Parameter_1']
    assert _titles(fire.csw_url, fes.PropertyIsEqualTo('hubcat:ObservedProperty',
                                                       'Explosive gas (LEL)')) == ['E-12 Parameter_1']
    assert _titles(fire.csw_url, fes.PropertyIsEqualTo('hubcat:ObservedPropertyRaw',
                                                       'Parameter_1')) == ['E-12 Parameter_1',
                                                                           'WS-7 Parameter_1']

    # Dublin Core: the vocabulary's scheme, and °F told apart from °C
    dc = _record(fire.csw_url, 'WS-7 Parameter_1', 'http://www.opengis.net/cat/csw/2.0.2')
    subjects = {(s.get('scheme'), s.text) for s in dc.iter('{http://purl.org/dc/elements/1.1/}subject')}
    assert ('http://vocab.nerc.ac.uk/standard_name/', CF_AIR_TEMPERATURE) in subjects
    assert ('urn:hubcat:def:observedPropertyWithUnit', 'Air temperature, °F') in subjects
    # ISO: a keyword of the CF Standard Names thesaurus
    iso = _record(fire.csw_url, 'WS-7 Parameter_1', GMD)
    blocks = {mdk.findtext(f'.//{{{GMD}}}thesaurusName//{{{GMD}}}title/*'):
              [k.findtext('*') for k in mdk.iter(f'{{{GMD}}}keyword')]
              for mdk in iso.iter(f'{{{GMD}}}MD_Keywords')}
    assert blocks['CF Standard Names'] == ['Air temperature']
    # ebRIM: a Classification in HubCat's property scheme, slots beside the raw ones
    rim = _record(fire.csw_url, 'WS-7 Parameter_1', RIM)
    nodes = {c.get('nodeRepresentation') for c in rim.iter(f'{{{RIM}}}Classification')
             if c.get('classificationScheme').endswith(':ObservedProperty')}
    assert nodes == {CF_AIR_TEMPERATURE}
    slots = {s.get('name'): [v.text for v in s.iter(f'{{{RIM}}}Value')] for s in rim.iter(f'{{{RIM}}}Slot')}
    assert slots['urn:hubcat:slot:observedPropertyRaw'] == ['Parameter_1',
                                                            'urn:example:firebrigade:parameter:1']
    assert slots['urn:hubcat:slot:unitOfMeasurement'] == ['[degF]']
    assert slots['urn:hubcat:slot:unitLabel'] == ['°F']

    # °C on a property declared as pressure is flagged, on the record and in unmapped
    bad = _record(fire.csw_url, 'E-12 Parameter_3', RIM)
    conflict = [v.text for s in bad.iter(f'{{{RIM}}}Slot')
                if s.get('name') == 'urn:hubcat:slot:unitConflict' for v in s.iter(f'{{{RIM}}}Value')]
    assert len(conflict) == 1 and conflict[0].startswith('unit °C ([temperature]) contradicts Air pressure')
    todo = fire('dictionary', 'unmapped', '--source', 'fire').output
    assert any('Parameter_3' in line and 'degC' in line and 'contradicts Air pressure' in line
               for line in todo.splitlines()), todo

    # GetDomain lists the canonical vocabulary in use
    resp = requests.get(fire.csw_url, params={'service': 'CSW', 'version': '2.0.2',
                                              'request': 'GetDomain',
                                              'propertyname': 'hubcat:ObservedProperty'}, timeout=30)
    values = etree.fromstring(resp.content).xpath('//*[local-name()="Value"]/text()')
    assert {'Air temperature', 'Explosive gas (LEL)', 'Carbon monoxide (CO)',
            'Air pressure'} <= {v.rsplit(' (', 1)[0] if v.endswith(')') and v[-2].isdigit() else v
                                for v in values}, values

    # removal: raw values back at once
    out = fire('dictionary', 'remove', 'fire-brigade')
    assert out.output.strip().endswith('4 records changed')
    assert _titles(fire.csw_url, air) == []
    assert _titles(fire.csw_url, fes.PropertyIsEqualTo('hubcat:ObservedProperty',
                                                       'Parameter_1')) == ['E-12 Parameter_1',
                                                                           'WS-7 Parameter_1']
