"""Benchmark: HubCat's federated search against pycsw's distributed search, same peers.

Set-up (all on 127.0.0.1):

* a stock pycsw 2.6.2 peer (``../shared/peers/csw_peer.sh``, port 8493, 29 records);
* three delaying proxies in front of it (ports 8495-8497; 100, 300 and 600 ms by
  default): each waits, then forwards the request and returns the answer;
* a dead peer that accepts connections and never answers (port 8498);
* a HubCat federator (this code, served by werkzeug in a thread) whose peers are
  the proxies (and, in the second round, the dead peer with a short timeout);
* a second stock pycsw (port 8499) whose ``federatedcatalogues`` are the proxies,
  asked with CSW DistributedSearch (pycsw's own federation).

Prints median latencies over ``--repeat`` runs.  Run from the repository root::

    PYTHONPATH=. /tmp/hcvenv/bin/python bench/federation.py [--repeat 5] [--dead-timeout 2]
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from werkzeug.serving import make_server

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_SCRIPT = os.environ.get('HUBCAT_CSW_PEER_SCRIPT',
                             os.path.join(HERE, '..', '..', 'shared', 'peers', 'csw_peer.sh'))
if not os.path.exists(PEER_SCRIPT):
    sys.exit(f'{PEER_SCRIPT} is missing: ../shared must sit beside the project')
STOCK_PORT, PYCSW_DS_PORT, DEAD_PORT = 8493, 8499, 8498
PROXY_PORTS = (8495, 8496, 8497)
CSW = 'http://www.opengis.net/cat/csw/2.0.2'


def getrecords(hop_count: int = 0) -> bytes:
    """A GetRecords (brief DC, first 10) with an optional DistributedSearch."""
    dist = f'<csw:DistributedSearch hopCount="{hop_count}"/>' if hop_count else ''
    return (f'<csw:GetRecords xmlns:csw="{CSW}" service="CSW" version="2.0.2" '
            f'resultType="results" maxRecords="10">{dist}<csw:Query typeNames="csw:Record">'
            f'<csw:ElementSetName>brief</csw:ElementSetName></csw:Query>'
            f'</csw:GetRecords>').encode()


class DelayingProxy:
    """Waits ``delay`` seconds, then forwards the request to ``target`` and relays the answer."""

    def __init__(self, port: int, delay: float, target: str):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                time.sleep(proxy.delay)
                query = self.path.split('?', 1)[1] if '?' in self.path else ''
                url = proxy.target + ('?' + query if query else '')
                resp = requests.request(method, url, data=body or None, timeout=60,
                                        headers={'Content-Type': self.headers.get(
                                            'Content-Type', 'application/xml')})
                self.send_response(resp.status_code)
                self.send_header('Content-Type', resp.headers.get('Content-Type', 'text/xml'))
                self.send_header('Content-Length', str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            def do_GET(self):  # noqa: N802
                self._forward('GET')

            def do_POST(self):  # noqa: N802
                self._forward('POST')

            def log_message(self, *args):
                pass

        self.delay, self.target = delay, target
        self.server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
        self.server.daemon_threads = True
        self.url = f'http://127.0.0.1:{port}/csw'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class DeadPeer:
    """Accepts connections and never answers."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(64)
        self.url = f'http://127.0.0.1:{port}/csw'
        self.held, self.stopped = [], threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                continue

    def stop(self) -> None:
        """Close everything."""
        self.stopped.set()
        for conn in self.held:
            conn.close()
        self.sock.close()


def csw_peer(cmd: str, port: int, federated: str = '') -> None:
    """Start or stop a stock pycsw peer with csw_peer.sh."""
    env = dict(os.environ, CSW_PEER_PORT=str(port), CSW_PEER_FEDERATED=federated)
    subprocess.run([PEER_SCRIPT, cmd], env=env, check=True, stdout=subprocess.DEVNULL)


def federator(peers: dict, workdir: str):
    """A HubCat app with ``peers`` ({name: 'url timeout'}) served in a thread; (server, url)."""
    from hubcat.app import create_app
    from hubcat.config import Config
    cfg = os.path.join(workdir, f'hubcat-{len(os.listdir(workdir))}.cfg')
    with open(cfg, 'w', encoding='utf-8') as handle:
        handle.write(f'[repository]\ndatabase=sqlite:///{workdir}/bench.db\n\n[hubcat:peers]\n')
        handle.writelines(f'{name} = {value}\n' for name, value in peers.items())
    server = make_server('127.0.0.1', 0, create_app(Config(cfg, environ={})), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_port}/federated/csw'


def timed_post(url: str, body: bytes, timeout: float = 120) -> tuple[float, requests.Response]:
    """(seconds, response) of one POST."""
    started = time.monotonic()
    resp = requests.post(url, data=body, headers={'Content-Type': 'application/xml'},
                         timeout=timeout)
    return time.monotonic() - started, resp


def median_post(url: str, body: bytes, repeat: int) -> tuple[float, requests.Response]:
    """(median seconds, last response) over ``repeat`` POSTs after one warm-up."""
    timed_post(url, body)
    runs = [timed_post(url, body) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def main(argv=None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--delays', default='0.1,0.3,0.6', help='proxy delays in seconds')
    parser.add_argument('--dead-timeout', type=float, default=2.0,
                        help="HubCat's timeout for the dead peer (seconds)")
    parser.add_argument('--skip-pycsw-dead', action='store_true',
                        help="skip pycsw's distributed search with the dead peer (~30 s)")
    args = parser.parse_args(argv)
    for quiet in ('werkzeug', 'hubcat', 'pycsw'):
        logging.getLogger(quiet).setLevel(logging.ERROR)
    delays = [float(d) for d in args.delays.split(',')]
    stock = f'http://127.0.0.1:{STOCK_PORT}/csw'
    csw_peer('start', STOCK_PORT)
    proxies = [DelayingProxy(port, delay, stock) for port, delay in zip(PROXY_PORTS, delays)]
    dead = DeadPeer(DEAD_PORT)
    workdir = tempfile.mkdtemp(prefix='hubcat-bench-')
    servers = []
    rows = []
    try:
        body = getrecords()
        own = []
        for proxy in proxies:
            seconds, _ = median_post(proxy.url, body, args.repeat)
            own.append(seconds)
            rows.append((f'peer alone, delay {proxy.delay * 1000:.0f} ms', seconds, ''))
        slowest = max(own)

        server, url = federator({f'p{i}': f'{p.url} 10' for i, p in enumerate(proxies)},
                                workdir)
        servers.append(server)
        seconds, resp = median_post(url, body, args.repeat)
        rows.append(('HubCat federated, 3 peers', seconds,
                     f'{resp.status_code} {resp.headers.get("X-HubCat-Peers")}; '
                     f'slowest peer + {(seconds - slowest) * 1000:.0f} ms'))

        server, url = federator(dict({f'p{i}': f'{p.url} 10' for i, p in enumerate(proxies)},
                                     dead=f'{dead.url} {args.dead_timeout:g}'), workdir)
        servers.append(server)
        seconds, resp = median_post(url, body, args.repeat)
        rows.append((f'HubCat federated, 3 peers + dead (timeout {args.dead_timeout:g} s)',
                     seconds, f'{resp.status_code} {resp.headers.get("X-HubCat-Peers")}; '
                     f'timeout + {(seconds - args.dead_timeout) * 1000:.0f} ms'))

        csw_peer('start', PYCSW_DS_PORT, ','.join(p.url for p in proxies))
        ds_url = f'http://127.0.0.1:{PYCSW_DS_PORT}/csw'
        seconds, resp = median_post(ds_url, getrecords(hop_count=2), args.repeat)
        rows.append(('pycsw distributed search, 3 peers', seconds,
                     f'{resp.status_code}; sum of peers = {sum(own):.3f} s'))
        if not args.skip_pycsw_dead:
            csw_peer('start', PYCSW_DS_PORT,
                     ','.join([p.url for p in proxies] + [dead.url]))
            seconds, resp = timed_post(ds_url, getrecords(hop_count=2))
            rows.append(('pycsw distributed search, 3 peers + dead (1 run)', seconds,
                         f'HTTP {resp.status_code}'))
    finally:
        for server in servers:
            server.shutdown()
        for proxy in proxies:
            proxy.stop()
        dead.stop()
        csw_peer('stop', PYCSW_DS_PORT)
        csw_peer('stop', STOCK_PORT)
    width = max(len(r[0]) for r in rows)
    print(f'{"case":<{width}}  {"median s":>8}  notes')
    for name, seconds, note in rows:
        print(f'{name:<{width}}  {seconds:8.3f}  {note}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
