"""``hubcat load DIR``: plain DC/ISO records through the CSW-T Insert path, one line per bad file."""
from __future__ import annotations

import re
import shutil

import pytest

from cite_fixtures import CITE_DIR
from hubcat.catalogue import Catalogue


@pytest.fixture
def run(hubcat_cli):
    """Invoke the CLI on a fresh, initialised database."""
    hubcat_cli('init')
    return hubcat_cli


def test_load_cite_records_then_again(run):
    first = run('load', str(CITE_DIR))
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip().endswith('12 inserted, 0 updated, 0 failed')
    assert re.search(r'12/12', first.stderr)          # the progress bar
    record = Catalogue(run.database_url).get('urn:uuid:19887a8a-f6b0-4a63-ae56-7fba0e17801f')
    assert record['title'] == 'Lorem ipsum'
    again = run('load', '--no-progress', str(CITE_DIR))
    assert again.exit_code == 0 and again.stdout.strip().endswith('0 inserted, 12 updated, 0 failed')


def test_bad_files_get_one_line_each(run, tmp_path):
    folder = tmp_path / 'records'
    folder.mkdir()
    shutil.copy(CITE_DIR / 'Record_19887a8a-f6b0-4a63-ae56-7fba0e17801f.xml', folder / 'good.xml')
    (folder / 'broken.xml').write_text('<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">')
    (folder / 'other.xml').write_text('<html><body>not a record</body></html>')
    (folder / 'entity.xml').write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM '
                                       '"file:///etc/passwd">]><csw:Record xmlns:csw='
                                       '"http://www.opengis.net/cat/csw/2.0.2">&x;</csw:Record>')
    result = run('load', '--no-progress', str(folder))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith('Error: ') for line in lines), result.stderr
    assert any('broken.xml: not well-formed XML' in line for line in lines)
    assert any('other.xml: not a metadata record' in line for line in lines)
    assert 'root:' not in result.stderr          # the entity was not resolved
    assert result.stdout.strip().endswith('1 inserted, 0 updated, 3 failed')


def test_missing_directory_is_one_line(run, tmp_path):
    result = run('load', str(tmp_path / 'nope'))
    assert result.exit_code != 0
    assert result.stderr.strip().startswith('Error: ') and len(result.stderr.strip().splitlines()) == 1
