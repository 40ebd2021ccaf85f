"""Streaming harvests (issue 13 point 3) against the real STA server: records are stored
page by page as they arrive, and a harvest cut off midway loses no record and changes no
status; statuses and removals change only once the whole source was read.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

import requests

from hubcat.catalogue import Catalogue
from hubcat.harvest import run_harvest
from hubcat.sources import SourceRegistry

RECORDS = 251          # the default data set: 1 service, 50 Things, 200 Datastreams


class FailingFront:
    """An HTTP front to the real STA server on 127.0.0.1 (port 0) that forwards every GET
    (links in the answers rewritten to point at the front) and answers HTTP 500 to the
    Things pages from ``$skip`` = :attr:`fail_from` on (None: never)."""

    def __init__(self, target_root: str):
        target = urlsplit(target_root)
        self.target_base = f'{target.scheme}://{target.netloc}'
        self.fail_from: Optional[int] = None
        front = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self):   # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                skip = int(parse_qs(parts.query).get('$skip', ['0'])[0])
                if parts.path.endswith('/Things') and front.fail_from is not None \
                        and skip >= front.fail_from:
                    status, body = 500, b'{"message": "the database went away"}'
                else:
                    resp = requests.get(front.target_base + self.path, timeout=60)
                    status = resp.status_code
                    body = resp.content.replace(front.target_base.encode(), front.base.encode())
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.base = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.url = self.base + target.path
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def statuses(config, source_id: int) -> dict:
    """identifier -> (status, reason) of every registry object of a source."""
    rows = Catalogue(config.database_url, config.table).rows(source_id)
    return {row['identifier']: (row['hc_status'], row['hc_status_reason'])
            for row in rows if row['hc_kind'] != 'association'}


def test_a_harvest_cut_off_midway_loses_no_record_and_changes_no_status(config, sta_server):
    front = FailingFront(sta_server)
    try:
        registry = SourceRegistry(config.database_url)
        source = registry.add(front.url, 'sta', name='front', stale_after='1000w',
                              options={'page_size': 10})
        assert run_harvest(config, source.id).outcome == 'success'
        before = statuses(config, source.id)
        assert len(before) == RECORDS and set(before.values()) == {('online', '')}
        # a complete read would now find every Datastream (newest observation 2024) stale
        registry.update(source.id, stale_after='1s')
        front.fail_from = 30          # the first three pages of Things arrive, then HTTP 500

        cut = run_harvest(config, source.id)

        assert cut.outcome == 'failed' and 'HTTP 500' in cut.errors[0]
        assert cut.counts['unchanged'] > 0                       # pages stored as they came
        assert statuses(config, source.id) == before             # no record lost, no status changed

        front.fail_from = None
        whole = run_harvest(config, source.id)

        assert whole.outcome == 'success'
        assert whole.counts['went_offline'] == 250               # 50 Things, 200 Datastreams
        after = statuses(config, source.id)
        assert len(after) == RECORDS
        assert sum(1 for state in after.values() if state == ('offline', 'stale')) == 250
    finally:
        front.close()
