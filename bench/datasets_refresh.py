"""What recomputing dataset records costs a harvest (hubcat.datasets, docs/datasets.md).

A SQLite catalogue holds the demo's incident STA service (141 records) and NDBC's SOS
(848 offerings, from ../shared/fixtures) plus the demo SOS (6 datasets match). Times an
unchanged re-sync of NDBC (the baseline, which includes one refresh) and the dataset
refresh alone, median of 5 each.

    .venv/bin/python bench/datasets_refresh.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / 'tests')]

from harvesters.http import HttpClient, parse_xml  # noqa: E402
from harvesters.sos import SensorObservationServiceHarvester  # noqa: E402
from harvesters.sos_capabilities import capabilities_to_records  # noqa: E402
from harvesters.sta import SensorThingsHarvester  # noqa: E402
from hubcat.catalogue import Catalogue  # noqa: E402
from hubcat.db import init_db  # noqa: E402
from hubcat.demo.data import generate  # noqa: E402
from hubcat.demo.sos import create_sos_app  # noqa: E402
from hubcat.demo.sta import create_sta_app, serve_in_thread  # noqa: E402
from sos_support import fixture  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def main() -> None:
    incident = generate(now=NOW).service('incident')
    handles = [serve_in_thread(create_sta_app(incident)), serve_in_thread(create_sos_app(incident))]
    client = HttpClient(timeout=30, retries=0)
    sta = SensorThingsHarvester(handles[0][1], {}, client=client).harvest().records
    sos = SensorObservationServiceHarvester(handles[1][1], {'describe_sensor': 'false'},
                                            client=client).harvest().records
    for handle, _url in handles:
        handle.shutdown()
    ndbc = capabilities_to_records(parse_xml(fixture('ndbc_ioos_1.0.0.xml')),
                                   'https://sdf.ndbc.noaa.gov/sos/server.php')
    database = f'sqlite:///{Path(tempfile.mkdtemp()) / "bench.db"}'
    init_db(database)
    cat = Catalogue(database)
    for source, records in ((1, sta), (2, sos), (3, ndbc)):
        cat.sync(source, records, now=NOW)
    datasets = len(cat.rows(kind='dataset'))

    syncs, refreshes = [], []
    for _ in range(5):
        start = time.perf_counter()
        cat.sync(3, ndbc, now=NOW)          # includes one refresh
        syncs.append(time.perf_counter() - start)
        start = time.perf_counter()
        with cat.engine.begin() as conn:    # the refresh alone
            cat.refresh_datasets(conn, '2026-12-01T12:00:00Z')
        refreshes.append(time.perf_counter() - start)
    sync, refresh = statistics.median(syncs), statistics.median(refreshes)
    print(f'{datasets} datasets; unchanged NDBC re-sync ({len(ndbc)} records): '
          f'{sync * 1000:.0f} ms (baseline), of which the dataset refresh '
          f'{refresh * 1000:.0f} ms; ratio refresh/sync {refresh / sync:.2f}')

if __name__ == '__main__':
    main()
