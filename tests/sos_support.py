"""A small SOS that answers from the fixture files, over real HTTP on 127.0.0.1 (port 0).

Used by the SOS tests and by ``bench/harvest_sos.py``.  It answers KVP
GetCapabilities (by ``AcceptVersions``/``version``: a version it does not hold
gets an ows:ExceptionReport VersionNegotiationFailed, HTTP 400, as 52°North
servers do), DescribeSensor (by ``procedure``) and, when a route has an answer for it,
GetObservation, and records every request.
"""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1].parent / 'shared' / 'fixtures'
SOS_FIXTURES = FIXTURES / 'sos'
#: capabilities fixture -> (version, offerings, distinct procedures), from SOURCES.md
CAPABILITIES = {
    '52n_example_2.0.0.xml': ('2.0.0', 4, 4),
    '52n_ioos_1.0.0.xml': ('1.0.0', 15, 15),
    '52n_wupperverband_1.0.0.xml': ('1.0.0', 5, 218),
    'gns_ngmp_2.0.0.xml': ('2.0.0', 10, 10),
    'ndbc_ioos_1.0.0.xml': ('1.0.0', 848, 847),
    'niwa_hydro_2.0.0.xml': ('2.0.0', 75, 2),
}
DESCRIBE_SENSOR = {
    'ndbc_station_41012_sml101.xml': 'urn:ioos:station:wmo:41012',
    '52n_ws2500_describesensorresponse_sos200.xml': 'ws2500',
}


def fixture(name: str) -> bytes:
    """Bytes of a fixture under fixtures/sos/ (or describesensor/)."""
    path = SOS_FIXTURES / name
    if not path.exists():
        path = SOS_FIXTURES / 'describesensor' / name
    return path.read_bytes()


def exception_report(code: str, text: str, locator: str = '') -> bytes:
    """An OWS 1.1 ExceptionReport document."""
    loc = f' locator="{locator}"' if locator else ''
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport '
            f'xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0"><ows:Exception '
            f'exceptionCode="{code}"{loc}><ows:ExceptionText>{text}</ows:ExceptionText>'
            f'</ows:Exception></ows:ExceptionReport>').encode()


class Route:
    """What one path answers.

    :param capabilities: version -> document bytes
    :param describe: procedure -> DescribeSensor document bytes
    :param raw: (status, content type, body) answered to any request (overrides the rest)
    :param describe_default: DescribeSensor answer for a procedure not in ``describe``
    :param observations: GetObservation answer (None: an OperationNotSupported exception)
    """

    def __init__(self, capabilities: Optional[dict] = None, describe: Optional[dict] = None,
                 raw: Optional[tuple] = None, delay: float = 0.0,
                 describe_default: Optional[bytes] = None, observations: Optional[bytes] = None):
        self.capabilities = capabilities or {}
        self.observations = observations
        self.describe = describe or {}
        self.describe_default = describe_default
        self.raw = raw
        self.delay = delay


class SosFixtureServer:
    """A threaded HTTP server of SOS routes; ``requests`` lists (path, params) received."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        self.authorizations: list[str] = []   # the Authorization header of each request ('' if none)
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server._handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> 'SosFixtureServer':
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return f'http://127.0.0.1:{self.port}{path}'

    def add(self, path: str, route: Route) -> str:
        """Register a route; returns its URL."""
        self.routes[path] = route
        return self.url(path)

    def requests_to(self, path: str) -> list[dict]:
        """Params of every request received on a path."""
        return [params for p, params in self.requests if p == path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append((parts.path, params))
            self.authorizations.append(handler.headers.get('Authorization', ''))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            status, ctype, body = self._answer(parts.path, params)
        finally:
            with self._lock:
                self.active -= 1
        handler.send_response(status)
        handler.send_header('Content-Type', ctype)
        handler.send_header('Content-Length', str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _answer(self, path: str, params: dict) -> tuple[int, str, bytes]:
        route = self.routes.get(path)
        if route is None:
            return 404, 'text/plain', b'not found'
        if route.delay:
            time.sleep(route.delay)
        if route.raw is not None:
            return route.raw
        lowered = {k.lower(): v for k, v in params.items()}
        request = lowered.get('request', '')
        xml = 'application/xml'
        if request == 'GetCapabilities':
            wanted = lowered.get('acceptversions') or lowered.get('version')
            if not route.capabilities:
                return 400, xml, exception_report('OperationNotSupported', 'no capabilities')
            if wanted is None:
                return 200, xml, next(iter(route.capabilities.values()))
            for version in wanted.split(','):
                if version.strip() in route.capabilities:
                    return 200, xml, route.capabilities[version.strip()]
            return 400, xml, exception_report('VersionNegotiationFailed',
                                              f'version {wanted} is not supported',
                                              'AcceptVersions')
        if request == 'DescribeSensor':
            body = route.describe.get(lowered.get('procedure', ''), route.describe_default)
            if body is None:
                return 400, xml, exception_report('InvalidParameterValue',
                                                  'unknown procedure', 'procedure')
            return 200, xml, body
        if request == 'GetObservation' and route.observations is not None:
            return 200, xml, route.observations
        return 400, xml, exception_report('OperationNotSupported', f'{request!r}', 'request')
