"""Benchmark: harvest the 848-offering NDBC SOS 1.0 capabilities over HTTP on 127.0.0.1.

Prints offerings and procedures per second and peak memory of a HubCat harvest,
next to OWSLib's time to parse the same document alone (the floor:
``owslib.sos.SensorObservationService(None, xml=..., version='1.0.0')``) and the
ratio.  Target: HubCat harvest within 1.5x of the floor.

Timings are medians of interleaved runs (OWSLib, then HubCat, repeated, with a
garbage collection before each), so that load from other processes hits both alike.  Peak memory is measured in a fresh
child process per mode: VmHWM minus VmRSS just before the harvest (it includes
lxml's C allocations, which tracemalloc would miss).

Usage::

    PYTHONPATH=. /tmp/hcvenv/bin/python bench/harvest_sos.py [--runs 9] [--workers 4]
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / 'tests')]

from harvesters.http import HttpClient, parse_xml  # noqa: E402
from harvesters.sos import SensorObservationServiceHarvester  # noqa: E402
from harvesters.sos_capabilities import capabilities_to_records  # noqa: E402
from hubcat.records import OFFERING, PROCEDURE  # noqa: E402
from sos_support import Route, SosFixtureServer, fixture  # noqa: E402

DOC = 'ndbc_ioos_1.0.0.xml'
SENSORML = 'ndbc_station_41012_sml101.xml'


def owslib_parse(data: bytes) -> int:
    """The floor: OWSLib parses the document alone (no HTTP); returns its offering count."""
    from owslib.sos import SensorObservationService
    return len(SensorObservationService(None, xml=data, version='1.0.0').contents)


def hubcat_harvest(url: str, describe: bool, workers: int = 4):
    """One HubCat harvest of ``url``; returns its HarvestResult."""
    client = HttpClient(timeout=60, retries=0, max_workers=workers)
    options = {'describe_sensor': describe, 'describe_sensor_give_up': 10 ** 6}
    try:
        return SensorObservationServiceHarvester(url, options, client=client).harvest()
    finally:
        client.close()


def _vm(field: str) -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    return 0


def child(mode: str, url: str, workers: int) -> None:
    """Run one mode in this (fresh) process and print JSON: seconds, counts, memory in KiB."""
    data = fixture(DOC)
    if mode == 'owslib':
        import owslib.sos  # noqa: F401 - imported before the baseline is taken
    before = _vm('VmRSS')
    start = time.perf_counter()
    if mode == 'owslib':
        offerings, procedures, requests = owslib_parse(data), None, 0
    else:
        result = hubcat_harvest(url, describe=(mode == 'describe'), workers=workers)
        offerings = sum(1 for r in result.records if r.kind == OFFERING)
        procedures = sum(1 for r in result.records if r.kind == PROCEDURE)
        requests = result.requests
    seconds = time.perf_counter() - start
    print(json.dumps({'seconds': seconds, 'offerings': offerings, 'procedures': procedures,
                      'requests': requests, 'peak_kib': _vm('VmHWM') - before}))


def run_child(mode: str, url: str, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, '--child', mode, '--url', url,
                          '--workers', str(workers)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=9)
    parser.add_argument('--workers', type=int, default=4, help='DescribeSensor concurrency')
    parser.add_argument('--child')
    parser.add_argument('--url')
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.workers)
        return

    data = fixture(DOC)
    server = SosFixtureServer().start()
    route = Route(capabilities={'1.0.0': data}, describe_default=fixture(SENSORML))
    base = server.add('/ndbc', route)
    url = base + '?service=SOS&request=GetCapabilities&version=1.0.0'
    try:
        owslib_parse(data)
        hubcat_harvest(url, describe=False)  # warm-up (imports, pyproj-free path)
        floor, harvest, negotiated, fetch, parse, mapping = [], [], [], [], [], []
        for _ in range(args.runs):
            gc.collect()
            t = time.perf_counter()
            n_owslib = owslib_parse(data)
            floor.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            result = hubcat_harvest(url, describe=False)
            harvest.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            hubcat_harvest(base, describe=False)  # no version: 2.0.0 refused, then 1.0.0
            negotiated.append(time.perf_counter() - t)
            client = HttpClient(timeout=60, retries=0)
            gc.collect()
            t0 = time.perf_counter()
            body = client.get(url).content
            t1 = time.perf_counter()
            root = parse_xml(body)
            t2 = time.perf_counter()
            capabilities_to_records(root, url)
            t3 = time.perf_counter()
            client.close()
            fetch.append(t1 - t0)
            parse.append(t2 - t1)
            mapping.append(t3 - t2)
        offerings = sum(1 for r in result.records if r.kind == OFFERING)
        procedures = sum(1 for r in result.records if r.kind == PROCEDURE)
        assert n_owslib == offerings == 848 and procedures == 847

        med = statistics.median
        f, h, n = med(floor), med(harvest), med(negotiated)
        print(f'NDBC SOS 1.0 capabilities: {len(data) / 1e6:.2f} MB, {offerings} offerings, '
              f'{procedures} procedures; median of {args.runs} interleaved runs')
        print(f'  OWSLib parse alone (floor)          {f * 1000:8.1f} ms')
        print(f'  HubCat harvest, DescribeSensor off  {h * 1000:8.1f} ms   ratio {h / f:.2f}x '
              f'(target <= 1.5x)   {offerings / h:,.0f} offerings/s, {procedures / h:,.0f} procedures/s')
        print(f'     of which HTTP fetch {med(fetch) * 1000:.1f} ms, safe parse '
              f'{med(parse) * 1000:.1f} ms, mapping {med(mapping) * 1000:.1f} ms')
        print(f'  same, version negotiated (2 GETs)   {n * 1000:8.1f} ms   ratio {n / f:.2f}x')

        mem = {mode: run_child(mode, url, args.workers) for mode in ('owslib', 'harvest', 'describe')}
        d = mem['describe']
        print(f'  HubCat harvest, DescribeSensor on   {d["seconds"] * 1000:8.1f} ms   '
              f'{d["requests"]} requests ({args.workers} at a time), '
              f'{d["procedures"] / d["seconds"]:,.0f} procedures/s (one run)')
        print('  peak memory (VmHWM growth in a fresh process):')
        for mode, label in (('owslib', 'OWSLib parse'), ('harvest', 'HubCat, DescribeSensor off'),
                            ('describe', 'HubCat, DescribeSensor on')):
            print(f'     {label:28s} {mem[mode]["peak_kib"] / 1024:7.1f} MiB')
    finally:
        server.stop()


if __name__ == '__main__':
    main()
