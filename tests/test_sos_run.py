"""An SOS source registered and harvested through hubcat.harvest.run_harvest (what the CLI,
API and scheduler call): a failed harvest loses no record; a server that stops answering
leaves every record in place, offline 'unreachable'.
"""
from __future__ import annotations

import pytest

from harvesters.base import SourceUnreachable
from harvesters.sos import SensorObservationServiceHarvester
from hubcat.catalogue import Catalogue
from hubcat.harvest import run_harvest
from hubcat.sources import SourceRegistry
from sos_support import Route, SosFixtureServer, fixture

LAUGHS = '<!ENTITY a "aaaaaaaaaa">' + ''.join(
    f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))


def statuses(catalogue, source_id):
    return sorted((r['identifier'], r['hc_status'], r['hc_status_reason'] or '')
                  for r in catalogue.rows(source_id))


def test_sos_source_through_run_harvest(config):
    server = SosFixtureServer().start()
    try:
        url = server.add('/sos', Route(capabilities={'2.0.0': fixture('gns_ngmp_2.0.0.xml')}))
        source = SourceRegistry(config.database_url).add(
            url, 'sos', name='gns', stale_after='100000d', options={'describe_sensor': False})
        catalogue = Catalogue(config.database_url, config.table)

        report = run_harvest(config, source.id)
        assert report.outcome in ('success', 'partial') and report.counts['added'] == 21
        good = statuses(catalogue, source.id)
        assert {s for _i, s, _r in good} == {'online'}

        for bad in [(200, 'text/html', b'<html><body>maintenance</body></html>'),
                    (200, 'application/xml', f'<!DOCTYPE c [{LAUGHS}]><c>&a9;</c>'.encode()),
                    (200, 'application/xml', fixture('gns_ngmp_2.0.0.xml')[:9000])]:
            server.routes['/sos'] = Route(raw=bad)
            report = run_harvest(config, source.id)
            assert report.outcome == 'failed' and len(report.errors) == 1
            assert statuses(catalogue, source.id) == good
    finally:
        server.stop()

    with pytest.raises(SourceUnreachable, match='cannot connect'):
        SensorObservationServiceHarvester(url, {'retries': 0}).harvest()
    report = run_harvest(config, source.id)
    assert report.outcome == 'failed'
    after = statuses(catalogue, source.id)
    assert [i for i, _s, _r in after] == [i for i, _s, _r in good]
    assert {(s, r) for _i, s, r in after} == {('offline', 'unreachable')}
