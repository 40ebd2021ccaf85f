"""Benchmark: what the OGC API - Records Part 4 answer of ``/api/search`` costs.

Set-up (all on 127.0.0.1): the stock pycsw 2.6.2 peer of ``../shared/peers/csw_peer.sh``
(29 records) on ``--port``, and a HubCat federator (this code, werkzeug in a thread) whose
peers are that pycsw twice (``a`` and ``b``: every record is a duplicate) and a closed port.
Times ``GET /api/search?limit=N`` (HubCat's own JSON: brief records) against the same search
with ``distributedSearch=true`` (DC full records, merged GeoJSON plus every catalogue's
page), medians over ``--repeat`` runs (the two take turns) after one warm-up, and prints
the ratio and the sizes.
Run from the repository root::

    .venv/bin/python bench/distributed_search.py [--port 8493] [--repeat 9] [--limit 100]
"""
from __future__ import annotations

import argparse
import logging
import socket
import statistics
import sys
import tempfile
import time

import requests

from federation import csw_peer, federator   # bench/federation.py (same folder)


def closed_port_url() -> str:
    """The URL of a port nobody listens on."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return f'http://127.0.0.1:{port}/csw'


def timed_get(url: str) -> tuple[float, requests.Response]:
    """(seconds, response) of one GET."""
    started = time.monotonic()
    resp = requests.get(url, timeout=120)
    return time.monotonic() - started, resp


def medians(urls: list, repeat: int) -> list:
    """[(median seconds, last response)] per URL; the URLs take turns (load drifts alike)."""
    for url in urls:
        timed_get(url)   # warm-up
    runs = [[timed_get(url) for url in urls] for _ in range(repeat)]
    return [(statistics.median(run[i][0] for run in runs), runs[-1][i][1])
            for i in range(len(urls))]


def main(argv=None) -> int:
    """Run the benchmark and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=8493, help='port of the stock pycsw peer')
    parser.add_argument('--repeat', type=int, default=9)
    parser.add_argument('--limit', type=int, default=100, help='records asked (1-100)')
    args = parser.parse_args(argv)
    logging.getLogger('werkzeug').setLevel(logging.ERROR)
    peer = f'http://127.0.0.1:{args.port}/csw'
    csw_peer('start', args.port)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            server, url = federator({'a': peer, 'b': peer, 'down': closed_port_url()},
                                    workdir)
            base = url.rsplit('/federated/csw', 1)[0] + f'/api/search?limit={args.limit}'
            try:
                (plain, plain_resp), (part4, part4_resp) = medians(
                    [base, base + '&distributedSearch=true'], args.repeat)
            finally:
                server.shutdown()
    finally:
        csw_peer('stop', args.port)
    body = part4_resp.json()
    print(f'/api/search limit={args.limit}, peers a, b (same 29 records) and a closed port; '
          f'median of {args.repeat}')
    print(f'  own JSON shape:        {plain:.3f} s  {len(plain_resp.content):>8} bytes  '
          f'{len(plain_resp.json()["records"])} records')
    print(f'  distributedSearch=true {part4:.3f} s  {len(part4_resp.content):>8} bytes  '
          f'{len(body["features"])} merged records, '
          f'{body["duplicates"]} duplicates')
    print(f'  ratio (Part 4 / own): {part4 / plain:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
