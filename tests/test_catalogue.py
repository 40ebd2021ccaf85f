"""The catalogue writer: upserts, deterministic updates, and the online/offline rules."""
from __future__ import annotations

import copy

from hubcat.catalogue import Catalogue
from records_factory import iso_ago, station


def _status(cat: Catalogue, identifier: str) -> tuple:
    row = cat.get(identifier)
    return row['hc_status'], row['hc_status_reason']


def test_first_sync_adds_second_changes_nothing(config):
    cat = Catalogue(config.database_url)
    records = station()
    first = cat.sync(1, records)
    assert (first.added, first.updated, first.unchanged) == (7, 0, 0)
    xml_before = cat.get('urn:test:ds:0:0')['xml']
    second = cat.sync(1, copy.deepcopy(records))
    assert (second.added, second.updated, second.unchanged, second.went_offline) == (0, 0, 7, 0)
    assert cat.get('urn:test:ds:0:0')['xml'] == xml_before


def test_changed_entity_is_updated_in_place(config):
    cat = Catalogue(config.database_url)
    records = station()
    cat.sync(1, records)
    records[1].title = 'Station 0 (renamed)'
    counts = cat.sync(1, records)
    assert (counts.added, counts.updated, counts.unchanged) == (0, 1, 6)
    row = cat.get('urn:test:thing:0')
    assert row['title'] == 'Station 0 (renamed)'
    assert 'Station 0 (renamed)' in row['xml']


def test_gone_entity_goes_offline_removed_and_comes_back(config):
    cat = Catalogue(config.database_url)
    records = station()
    cat.sync(1, records)
    without = [r for r in records if not r.identifier.startswith('urn:test:ds:1:1')]
    counts = cat.sync(1, without)
    assert counts.went_offline == 1
    assert _status(cat, 'urn:test:ds:1:1') == ('offline', 'removed')
    assert 'offline:removed' in cat.get('urn:test:ds:1:1')['xml']
    back = cat.sync(1, records)
    assert back.came_online == 1
    assert _status(cat, 'urn:test:ds:1:1') == ('online', '')


def test_old_observations_make_datastreams_and_their_thing_stale(config):
    cat = Catalogue(config.database_url)
    records = station(newest=iso_ago(days=3))
    cat.sync(1, records, stale_after=86400)
    assert _status(cat, 'urn:test:ds:0:0') == ('offline', 'stale')
    assert _status(cat, 'urn:test:thing:0') == ('offline', 'stale')
    assert _status(cat, 'urn:test:service') == ('online', '')
    cat.sync(1, records, stale_after=7 * 86400)
    assert _status(cat, 'urn:test:ds:0:0') == ('online', '')


def test_unreachable_source_keeps_records_offline(config):
    cat = Catalogue(config.database_url)
    records = station()
    cat.sync(1, records)
    assert cat.mark_unreachable(1) == 7
    rows = cat.rows(source_id=1)
    objects = [r for r in rows if r['hc_kind'] != 'association']
    assert len(objects) == 7
    assert {(r['hc_status'], r['hc_status_reason']) for r in objects} == {('offline', 'unreachable')}
    counts = cat.sync(1, records)
    assert counts.came_online == 7


def test_incomplete_harvest_does_not_remove(config):
    cat = Catalogue(config.database_url)
    records = station()
    cat.sync(1, records)
    cat.sync(1, records[:2], complete=False)
    assert _status(cat, 'urn:test:ds:1:1') == ('online', '')
