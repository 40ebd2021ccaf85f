"""The built-in dictionary maps at least 80% of the distinct observed properties of the
real STA and SOS documents in ../shared/fixtures."""
from __future__ import annotations

import json

from lxml import etree

from harvesters.sos_capabilities import capabilities_version, parse_offerings, property_label
from hubcat.dictionaries import builtin
from hubcat.dictionaries.matching import Matcher


def _sos_properties(fixtures_dir) -> set[str]:
    found = set()
    for path in sorted((fixtures_dir / 'sos').glob('*.xml')):
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        for offering in parse_offerings(root, capabilities_version(root)):
            found.update(offering.observed_properties)
    return found


def _sta_properties(fixtures_dir) -> set[tuple]:
    """(name, definition) of every ObservedProperty in the STA documents (inline under an
    ``ObservedProperty`` key, in ``ObservedProperties`` collections, or as entity files)."""
    found = set()

    def walk(node, key, path):
        if isinstance(node, dict):
            is_prop = 'name' in node and 'definition' in node and (
                key in ('ObservedProperty', 'ObservedProperties', 'value')
                or 'observedproperties' in path)
            if is_prop:
                found.add((node['name'], node['definition']))
            for k, v in node.items():
                walk(v, k, path)
        elif isinstance(node, list):
            for v in node:
                walk(v, key, path)

    for path in sorted((fixtures_dir / 'sta').rglob('*.json')):
        try:
            doc = json.loads(path.read_text(encoding='utf-8'))
        except ValueError:
            continue   # the ets-sta10 templates with placeholders are not JSON
        walk(doc, None, str(path))
    return found


def test_default_dictionary_maps_80_percent_of_fixture_properties(fixtures_dir, capsys):
    sos, sta = _sos_properties(fixtures_dir), _sta_properties(fixtures_dir)
    matcher = Matcher([builtin()])
    mapped = [raw for raw in sos if matcher.match([property_label(raw), raw])]
    mapped += [pair for pair in sta if matcher.match(pair)]
    total = len(sos) + len(sta)
    share = len(mapped) / total
    unmapped = sorted(map(str, (set(sos) | set(sta)) - set(mapped)))
    with capsys.disabled():
        print(f'\ndefault dictionary maps {len(mapped)} of {total} distinct observed properties '
              f'in ../shared/fixtures ({len(sos)} SOS, {len(sta)} STA): {share:.1%}; '
              f'unmapped: {", ".join(unmapped)}')
    assert total >= 80
    assert share >= 0.80
    assert matcher.match(['Parameter_1']) is None


def test_default_dictionary_covers_the_parameters_of_the_issue():
    labels = {p.label for p in builtin().properties}
    for label in ('Air temperature', 'Water temperature', 'Body temperature', 'Relative humidity',
                  'Air pressure', 'Wind speed', 'Wind direction', 'Precipitation amount', 'PM1',
                  'PM2.5', 'PM10', 'Carbon monoxide (CO)', 'Carbon dioxide (CO2)',
                  'Nitrogen dioxide (NO2)', 'Ozone (O3)', 'Sulphur dioxide (SO2)',
                  'Hydrogen sulphide (H2S)', 'Explosive gas (LEL)', 'Radiation dose rate',
                  'Water level', 'Discharge', 'Turbidity', 'Electrical conductivity',
                  'Heart rate', 'Position'):
        assert label in labels
    m = Matcher([builtin()])
    for raw, label in (('PM2.5', 'PM2.5'), ('pm 10', 'PM10'), ('PM1.0', 'PM1'), ('%LEL', 'Explosive gas (LEL)'),
                       ('H2S', 'Hydrogen sulphide (H2S)'), ('bpm', None), ('heart rate', 'Heart rate'),
                       ('µSv/h', None), ('gamma dose rate', 'Radiation dose rate')):
        found = m.match([raw])
        assert (found.prop.label if found else None) == label, raw
