"""``hubcat dictionary load|list|show|remove``: dictionaries kept in the catalogue database."""
from __future__ import annotations

import pytest


FIRE_YAML = """name: fire-engines
description: Gas detectors on fire engines
properties:
  - id: lel
    label: Explosive gas (LEL)
    unit: '%{LEL}'
    names: [Parameter_2]
mappings:
  - {name: Parameter_1, property: air_temperature}
"""


@pytest.fixture
def run(hubcat_cli):
    """Invoke the CLI with a config file on a fresh, initialised database."""
    assert hubcat_cli('init').exit_code == 0
    return hubcat_cli


def _error(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: '), result.output
    return lines[0]


def test_load_list_show_remove(run, tmp_path):
    path = tmp_path / 'fire.yaml'
    path.write_text(FIRE_YAML)
    out = run('dictionary', 'load', str(path))
    assert out.exit_code == 0, out.output
    assert 'loaded dictionary fire-engines (yaml, ' in out.output and 'every source' in out.output

    listing = run('dictionary', 'list').output.splitlines()
    assert listing[1].startswith('hubcat-default') and '(built in)' in listing[1]
    assert listing[2].startswith('fire-engines') and '(all)' in listing[2]

    shown = run('dictionary', 'show', 'fire-engines').output
    assert "'Parameter_1' -> Air temperature <http://vocab.nerc.ac.uk/standard_name/air_temperature/> (Cel)" in shown
    assert "'Parameter_2' -> Explosive gas (LEL)" in shown
    assert 'Air temperature' in run('dictionary', 'show', 'hubcat-default').output

    # loading the same name again replaces it (one row, the latest load)
    path.write_text(FIRE_YAML.replace('Parameter_2', 'Parameter_9'))
    assert run('dictionary', 'load', str(path)).exit_code == 0
    assert len([l for l in run('dictionary', 'list').output.splitlines()
                if l.startswith('fire-engines')]) == 1
    assert 'Parameter_9' in run('dictionary', 'show', 'fire-engines').output

    assert 'removed dictionary fire-engines' in run('dictionary', 'remove', 'fire-engines').output
    assert 'fire-engines' not in run('dictionary', 'list').output
    assert 'no dictionary named' in _error(run('dictionary', 'show', 'fire-engines'))


def test_csv_load_for_one_source(run, tmp_path):
    assert run('source', 'add', 'http://127.0.0.1:9/v1.1', '--type', 'sta',
               '--name', 'engines').exit_code == 0
    path = tmp_path / 'engines.csv'
    path.write_text('raw,property,things\nParameter_1,air_temperature,E-*\n')
    out = run('dictionary', 'load', str(path), '--source', 'engines')
    assert out.exit_code == 0 and 'for source engines' in out.output
    assert '[source=engines] [things=E-*]' in run('dictionary', 'show', 'engines').output


def test_bad_input_is_one_line(run, tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('name: bad\nproperties: [{names: [x]}]\n')
    assert 'needs a label' in _error(run('dictionary', 'load', str(bad)))
    assert 'cannot read' in _error(run('dictionary', 'load', str(tmp_path / 'missing.yaml')))
    odd = tmp_path / 'fire.txt'
    odd.write_text(FIRE_YAML)
    assert 'unknown dictionary format' in _error(run('dictionary', 'load', str(odd)))
    good = tmp_path / 'fire.yaml'
    good.write_text(FIRE_YAML)
    assert 'no source' in _error(run('dictionary', 'load', str(good), '--source', 'nope')).lower()
    assert 'built in' in _error(run('dictionary', 'remove', 'hubcat-default'))
    assert 'no dictionary named' in _error(run('dictionary', 'remove', 'nope'))
    clash = tmp_path / 'clash.yaml'
    clash.write_text(FIRE_YAML.replace('fire-engines', 'hubcat-default'))
    assert 'built-in' in _error(run('dictionary', 'load', str(clash)))
