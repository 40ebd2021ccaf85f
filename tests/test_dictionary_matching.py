"""Dictionaries: the three file formats, unit parsing and the precedence of matches."""
from __future__ import annotations

import pytest

from hubcat.dictionaries import builtin
from hubcat.dictionaries.formats import property_resolver, read_text
from hubcat.dictionaries.matching import Matcher
from hubcat.dictionaries.model import DictionaryError
from hubcat.dictionaries.units import compatible, parse_unit

FIRE_YAML = """
name: fire
description: Fire brigade gas detectors
units:
  '[degF]': [Fahrenheit degrees]
properties:
  - id: lel
    label: Explosive gas (LEL)
    unit: '%{LEL}'
    names: [Parameter_2]
mappings:
  - name: Parameter_1
    property: air_temperature
  - name: Parameter_1
    property: Air temperature
    source: weather
    things: 'WS-*'
    source_unit: '[degF]'
"""


def _dict(text, fmt='yaml', name='test', known=None):
    return read_text(text, fmt, default_name=name,
                     known=known or property_resolver([builtin()]))


def test_yaml_dictionary_resolves_properties_of_the_default_one():
    fire = _dict(FIRE_YAML)
    assert fire.name == 'fire' and fire.units == {'Fahrenheit degrees': '[degF]'}
    kinds = {(e.kind, e.value, e.prop.label, e.source, e.things) for e in fire.entries}
    assert ('name', 'Parameter_2', 'Explosive gas (LEL)', None, None) in kinds
    assert ('name', 'Parameter_1', 'Air temperature', 'weather', 'WS-*') in kinds
    temp = next(e for e in fire.entries if e.source == 'weather')
    assert temp.prop.uri == 'http://vocab.nerc.ac.uk/standard_name/air_temperature/'
    assert temp.source_unit == '[degF]'


def test_csv_and_sssom_dictionaries():
    csv_text = ('raw,match,property,label,uri,unit,synonyms,source,things\n'
                'Parameter_1,,air_temperature,,,,,,\n'
                'GAS_.*,pattern,,Combustible gas,,%{LEL},ex gas;methane,fire,E-*\n'
                'urn:x:prop:co,,,Carbon monoxide,,[ppm],,,\n')
    d = _dict(csv_text, 'csv', name='engines')
    assert [(e.kind, e.value, e.prop.label) for e in d.entries] == [
        ('name', 'Parameter_1', 'Air temperature'),
        ('pattern', 'GAS_.*', 'Combustible gas'),
        ('uri', 'urn:x:prop:co', 'Carbon monoxide')]
    assert d.entries[1].prop.synonyms == ('ex gas', 'methane')
    assert (d.entries[1].source, d.entries[1].things) == ('fire', 'E-*')

    sssom = ('# curie_map:\n#   P07: http://vocab.nerc.ac.uk/collection/P07/current/\n'
             '#   fb: http://example.org/firebrigade/\n'
             '# mapping_set_id: http://example.org/mappings/fire-sssom\n'
             'subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\n'
             'fb:p1\tParameter_1\tskos:exactMatch\tP07:CFSN0023\tAir temperature\tsemapv:ManualMappingCuration\n'
             'fb:p9\tParameter_9\tskos:relatedMatch\tP07:CFSN0413\tRelative humidity\tsemapv:ManualMappingCuration\n')
    s = _dict(sssom, 'sssom')
    assert s.name == 'fire-sssom'
    assert [(e.kind, e.value, e.prop.label) for e in s.entries] == [
        ('name', 'Parameter_1', 'Air temperature'),
        ('uri', 'http://example.org/firebrigade/p1', 'Air temperature')]
    # the object is a known property: it keeps the default dictionary's unit and URI
    assert s.entries[0].prop.unit == 'Cel'


@pytest.mark.parametrize('fmt,text,message', [
    ('yaml', 'name: x\nproperties: [{names: [a]}]\n', 'needs a label'),
    ('yaml', 'name: x\nmappings: [{name: a, property: no_such_thing}]\n', 'unknown property'),
    ('yaml', 'name: x\nproperties: [{label: A, patterns: ["(unclosed"]}]\n', 'bad regular expression'),
    ('yaml', 'name: [unclosed\n', 'not valid YAML'),
    ('yaml', 'name: x\n', 'no "properties"'),
    ('csv', 'raw,colour\nx,red\n', 'needs a header'),
    ('csv', 'raw,label,bogus\nx,X,1\n', 'unknown CSV column'),
    ('csv', 'raw,label,match\nx,X,fuzzy\n', 'unknown match type'),
    ('sssom', 'a\tb\n1\t2\n', 'subject_id, predicate_id, object_id'),
])
def test_bad_dictionaries_are_one_clear_error(fmt, text, message):
    with pytest.raises(DictionaryError, match=message):
        _dict(text, fmt)


def test_units_are_parsed_as_ucum_with_spellings():
    aliases = builtin().units
    celsius = parse_unit(['degC'], aliases)
    fahrenheit = parse_unit(['°F'], aliases)
    assert (celsius.code, celsius.label) == ('Cel', '°C')
    assert (fahrenheit.code, fahrenheit.label) == ('[degF]', '°F')
    assert celsius.dimension == fahrenheit.dimension == '[temperature]'
    # UCUM codes without any alias; QUDT unit URIs by their last segment; pint spellings
    assert parse_unit(['ug/m3']).label == 'µg/m³'
    assert parse_unit(['http://qudt.org/vocab/unit/DEG_C'], aliases).code == 'Cel'
    assert parse_unit(['metre'], aliases).code == 'm'
    assert parse_unit(['km/h']).code == 'km/h'
    assert parse_unit(['not a unit at all', None, '']) is None
    assert compatible(celsius, ['Cel']) and compatible(parse_unit(['mg/m3']), ['[ppm]', 'mg/m3'])
    assert not compatible(celsius, ['hPa'])


def _matcher(*texts):
    known = property_resolver([builtin()])
    return Matcher([builtin()] + [_dict(t, name=f'd{i}', known=known)
                                  for i, t in enumerate(texts)])


def test_names_are_case_and_space_insensitive_and_uris_match_by_last_segment():
    m = _matcher()
    for raw in ('air temperature', 'AIR_TEMPERATURE', 'AirTemperature', ' Air  Temperature '):
        assert m.match([raw]).prop.label == 'Air temperature', raw
    by_uri = m.match(['http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023'])
    assert (by_uri.prop.label, by_uri.how) == ('Air temperature', 'uri')
    by_segment = m.match(['http://mmisw.org/ont/cf/parameter/sea_water_salinity'])
    assert (by_segment.prop.label, by_segment.how) == ('Salinity', 'uri-segment')
    urn = m.match(['urn:ogc:def:phenomenon:OGC:1.0.30:relative_humidity'])
    assert urn.prop.label == 'Relative humidity'
    assert m.match(['Parameter_1']) is None


def test_precedence_source_over_global_exact_over_uri_over_pattern_later_over_earlier():
    first = """
name: first
properties:
  - {label: Pattern prop, patterns: ['^param']}
  - {label: Uri prop, uris: ['http://example.org/props/Parameter_1']}
  - {label: Name prop, names: [Parameter_1]}
  - {label: Global later, names: [Parameter_3]}
"""
    second = """
name: second
properties:
  - {label: Source prop, patterns: ['^param'], source: fire}
  - {label: Thing prop, patterns: ['^param'], source: fire, things: 'E-*'}
  - {label: Global latest, names: [Parameter_3]}
"""
    m = _matcher(first, second)
    raws = ['Parameter_1', 'http://example.org/props/Parameter_1']
    # exact name over URI over pattern (global entries)
    assert m.match(raws).prop.label == 'Name prop'
    assert m.match(raws[1:]).prop.label == 'Uri prop'
    assert m.match(['Parameter_7']).prop.label == 'Pattern prop'
    # source-specific over global, even a pattern over an exact name
    assert m.match(raws, source_keys=['Fire']).prop.label == 'Source prop'
    # a Thing scope over no Thing scope; the glob is case-insensitive
    assert m.match(raws, source_keys=['fire'], thing_names=['e-12 engine']).prop.label == 'Thing prop'
    assert m.match(raws, source_keys=['fire'], thing_names=['WS-1']).prop.label == 'Source prop'
    # later load over earlier at equal rank
    assert m.match(['parameter 3']).prop.label == 'Global latest'
    assert _matcher(second, first).match(['parameter 3']).prop.label == 'Global later'
