"""Benchmark: harvest a real STA server with 1,000 Things / 5,000 Datastreams, against the floor.

Starts django-ogc-sensorthings on port 8291 with ``--things 1000 --per-thing 5
--observations 1`` (or reuses a running server given with ``--url``), harvests it
with :class:`harvesters.sta.SensorThingsHarvester`, and prints Datastreams per
second, HTTP requests and peak memory next to two floors, each the time a bare
``requests`` loop (GET, parse JSON, follow nextLinks, nothing else) needs:

* ``readme``: the minimal page set of ../shared/peers/README.md (~28 requests):
  the Things pages with ``Locations($top=1),Datastreams/Observations($orderby=
  resultTime desc;$top=1)`` and the ``ObservedProperties?$expand=Datastreams(
  $select=id;$top=100)`` pages. It leaves out the Sensors, which the records need;
* ``same-pages``: exactly the pages the harvester's records need (service root,
  Things pages, ObservedProperties and Sensors pages, as the harvester asks for
  them), without its one detection request: the cost of HTTP alone.

Usage (from the repository root)::

    PYTHONPATH=. /tmp/hcvenv/bin/python bench/harvest_sta.py            # start, load, bench, stop
    PYTHONPATH=. /tmp/hcvenv/bin/python bench/harvest_sta.py --url http://127.0.0.1:8291/sensorthings/v1.1
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import requests

from harvesters.sta import SensorThingsHarvester
from hubcat.records import DATASTREAM, THING

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent.parent / 'shared' / 'peers'
PORT = 8291


def bare_walk(session: requests.Session, url: str, params: dict | None,
              inner: tuple[str, ...]) -> int:
    """GET every page of a collection the plain way: outer nextLinks and the nextLinks of the
    ``inner`` expanded collections, each URL once. Returns the number of requests."""
    todo, seen, count = [(url, params)], set(), 0
    while todo:
        url, params = todo.pop(0)
        doc = session.get(url, params=params, timeout=120).json()
        count += 1
        links = [doc.get('@iot.nextLink')]
        links += [item.get(f'{key}@iot.nextLink') for item in doc.get('value', []) for key in inner]
        for link in links:
            if link and link not in seen:
                seen.add(link)
                todo.append((link, None))
    return count


def floor(root: str, page_set: str) -> tuple[float, int]:
    """(seconds, requests) a bare client needs for a page set (see the module docstring)."""
    session = requests.Session()
    started = time.perf_counter()
    count = 0
    if page_set == 'readme':
        count += bare_walk(session, f'{root}/Things', {
            '$top': '100', '$expand': 'Locations($top=1),Datastreams/Observations('
                                      '$orderby=resultTime desc;$top=1)'}, ('Datastreams',))
        count += bare_walk(session, f'{root}/ObservedProperties', {
            '$top': '100', '$expand': 'Datastreams($select=id;$top=100)'}, ('Datastreams',))
    else:
        session.get(root + '/', timeout=120).json()
        count += 1
        count += bare_walk(session, f'{root}/Things', {
            '$top': '100', '$count': 'true', '$expand': 'Locations($top=1),Datastreams'
            '/Observations($orderby=resultTime desc;$top=1)'}, ('Datastreams',))
        for entity_set in ('ObservedProperties', 'Sensors'):
            count += bare_walk(session, f'{root}/{entity_set}', {
                '$top': '100', '$expand': 'Datastreams($top=100)'}, ('Datastreams',))
    session.close()
    return time.perf_counter() - started, count


def harvest(root: str, workers: int, trace: bool) -> tuple[float, object, int]:
    """(seconds, HarvestResult, peak traced bytes) of one harvest."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = SensorThingsHarvester(root, options={'workers': workers}).harvest()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return seconds, result, peak


def main(argv=None) -> int:
    """Run the benchmark; print one block of numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', help='reuse a running STA server (service root)')
    parser.add_argument('--things', type=int, default=1000)
    parser.add_argument('--per-thing', type=int, default=5)
    parser.add_argument('--observations', type=int, default=1)
    parser.add_argument('--workers', type=int, default=1, help='harvester workers option')
    parser.add_argument('--keep', action='store_true', help='leave the started server running')
    args = parser.parse_args(argv)

    started_server = False
    env = dict(os.environ, STA_PEER_PORT=str(PORT))
    root = (args.url or f'http://127.0.0.1:{PORT}/sensorthings/v1.1').rstrip('/')
    if not args.url:
        print(f'starting the STA server on :{PORT} and loading {args.things} Things ...',
              file=sys.stderr)
        subprocess.run([str(PEERS / 'sta_server.sh'), 'start', '--things', str(args.things),
                        '--per-thing', str(args.per_thing), '--observations',
                        str(args.observations)], env=env, check=True, stdout=sys.stderr)
        started_server = True
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds, result, _ = harvest(root, args.workers, trace=False)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _, _, traced_peak = harvest(root, args.workers, trace=True)
        streams = sum(1 for r in result.records if r.kind == DATASTREAM)
        things = sum(1 for r in result.records if r.kind == THING)
        floors = {name: floor(root, name) for name in ('readme', 'same-pages')}
    finally:
        if started_server and not args.keep:
            subprocess.run([str(PEERS / 'sta_server.sh'), 'stop'], env=env, stdout=sys.stderr)

    print(f'server           {root}  ({things} Things, {streams} Datastreams harvested, '
          f'complete={result.complete})')
    print(f'harvest          {seconds:7.2f} s  {result.requests:4d} requests  '
          f'{streams / seconds:7.1f} Datastreams/s  workers={args.workers}')
    print(f'peak memory      {traced_peak / 2**20:7.1f} MiB traced (tracemalloc), '
          f'process max RSS {rss_after / 1024:.0f} MiB (+{(rss_after - rss_before) / 1024:.0f} '
          f'during the harvest)')
    for name, (floor_seconds, floor_requests) in floors.items():
        print(f'floor {name:<10} {floor_seconds:7.2f} s  {floor_requests:4d} requests  '
              f'ratio harvest/floor {seconds / floor_seconds:4.2f}x time, '
              f'{result.requests / floor_requests:4.2f}x requests')
    return 0


if __name__ == '__main__':
    sys.exit(main())
