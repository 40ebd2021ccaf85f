"""A Thing deleted on a real STA server stays in the catalogue, offline (removed).

Uses its own server (``sta_server_mutable``) because it changes the server's data.
"""
from __future__ import annotations

import requests

from harvesters.sta import SensorThingsHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import DATASTREAM, THING


def test_deleted_thing_goes_offline_removed_and_stays(tmp_path, sta_server_mutable):
    url = 'sqlite:///' + str(tmp_path / 'catalogue.db')
    init_db(url)
    catalogue = Catalogue(url)
    first = SensorThingsHarvester(sta_server_mutable).harvest()
    catalogue.sync(1, first.records, stale_after=10**9)

    victim = next(r for r in first.records if r.kind == THING)
    victim_streams = {r.identifier for r in first.records
                      if r.kind == DATASTREAM and r.thing_id == victim.identifier}
    deleted = requests.delete(victim.slots['@iot.selfLink'][0], timeout=30)
    assert deleted.status_code < 300

    second = SensorThingsHarvester(sta_server_mutable).harvest()
    assert victim.identifier not in {r.identifier for r in second.records}
    counts = catalogue.sync(1, second.records, stale_after=10**9)
    assert counts.went_offline >= 1 and counts.added == 0

    row = catalogue.get(victim.identifier)
    assert row is not None
    assert (row['hc_status'], row['hc_status_reason']) == ('offline', 'removed')
    rows = {r['identifier']: r for r in catalogue.rows(1)}
    gone_streams = victim_streams - {r.identifier for r in second.records}
    for ident in gone_streams:
        assert (rows[ident]['hc_status'], rows[ident]['hc_status_reason']) == ('offline', 'removed')
    others = [r for r in rows.values() if r['hc_kind'] == THING and r['identifier'] != victim.identifier]
    assert others and all(r['hc_status'] == 'online' for r in others)
