"""A small SensorThings API 1.1 server that ignores ``$expand`` on Things (sensorAtlas-like).

Real HTTP on 127.0.0.1 (port 0), in-memory data. Every collection pages with ``$top``
(at most 100) / ``$skip`` and ``@iot.nextLink``; ``$expand`` is honoured on every
collection except Things, for the relations each entity set has; entities carry
absolute self and navigation links, and the navigation paths answer. Every request
is recorded, so a test can count what a harvest asked.
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_TOP = 100
SETS = ('Things', 'Locations', 'Datastreams', 'Sensors', 'ObservedProperties', 'Observations')
_ENTITY = re.compile(r'^(\w+)\((\d+)\)(?:/(\w+))?$')


def _top_level(expand: str) -> list[str]:
    """Relation names of an ``$expand`` value (options in parentheses dropped)."""
    names, depth, current = [], 0, ''
    for char in expand:
        depth += char == '('
        depth -= char == ')'
        if char == ',' and depth == 0:
            names.append(current)
            current = ''
        else:
            current += char
    names.append(current)
    return [n.split('(')[0].split('/')[0].strip() for n in names if n.strip()]


class ExpandIgnoringServer:
    """``things`` Things, each with one Location and ``streams`` Datastreams; a few shared
    ObservedProperties and Sensors; one Observation per Datastream. ``wrong_to_one``:
    the bug of some servers, every Datastream of a page expanded with the same Thing."""

    def __init__(self, things: int = 120, streams: int = 2, wrong_to_one: bool = False):
        self.requests: list[str] = []
        self.wrong_to_one = wrong_to_one   # a page of Datastreams expands one Thing for all
        self.data = {name: {} for name in SETS}
        self.links: dict[tuple[str, int], dict[str, object]] = {}
        self._build(things, streams)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                status, body = server.answer(self.path)
                data = json.dumps(body).encode('utf-8')
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.root = f'http://127.0.0.1:{self.httpd.server_address[1]}/ig/v1.1'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- data -------------------------------------------------------------------------
    def _build(self, things: int, streams: int) -> None:
        for n in range(1, 4):
            self.data['ObservedProperties'][n] = {'name': f'Property {n}',
                                                  'definition': f'http://example.org/p/{n}'}
        for n in range(1, 3):
            self.data['Sensors'][n] = {'name': f'Sensor {n}', 'encodingType': 'text/html'}
        ds = 0
        for t in range(1, things + 1):
            self.data['Things'][t] = {'name': f'Station {t}', 'description': f'Station {t}'}
            self.data['Locations'][t] = {'name': f'Site {t}',
                                         'encodingType': 'application/geo+json',
                                         'location': {'type': 'Point',
                                                      'coordinates': [t / 10, 45 + t / 100]}}
            self.links[('Things', t)] = {'Locations': [t], 'Datastreams': []}
            self.links[('Locations', t)] = {'Things': [t]}
            for _s in range(streams):
                ds += 1
                prop, sensor = ds % 3 + 1, ds % 2 + 1
                self.data['Datastreams'][ds] = {
                    'name': f'Stream {ds}', 'unitOfMeasurement': {'symbol': 'm'},
                    'observationType': 'http://www.opengis.net/def/observationType/'
                                       'OGC-OM/2.0/OM_Measurement',
                    'phenomenonTime': '2026-01-01T00:00:00Z/2026-11-20T00:00:00Z'}
                self.data['Observations'][ds] = {'phenomenonTime': '2026-11-20T00:00:00Z',
                                                 'result': ds}
                self.links[('Things', t)]['Datastreams'].append(ds)
                self.links[('Datastreams', ds)] = {'Thing': t, 'Sensor': sensor,
                                                   'ObservedProperty': prop,
                                                   'Observations': [ds]}
                self.links.setdefault(('ObservedProperties', prop), {}).setdefault(
                    'Datastreams', []).append(ds)
                self.links.setdefault(('Sensors', sensor), {}).setdefault(
                    'Datastreams', []).append(ds)

    def entity(self, entity_set: str, ident: int, expand: tuple = ()) -> dict:
        """One entity with its links, and the relations named in ``expand`` expanded."""
        doc = {'@iot.id': ident, '@iot.selfLink': f'{self.root}/{entity_set}({ident})'}
        doc.update(self.data[entity_set][ident])
        for relation, target in self.links.get((entity_set, ident), {}).items():
            doc[f'{relation}@iot.navigationLink'] = f'{self.root}/{entity_set}({ident})/{relation}'
            if relation in expand:
                target_set = _set_of(relation)
                doc[relation] = ([self.entity(target_set, i) for i in target]
                                 if isinstance(target, list) else self.entity(target_set, target))
        return doc

    # ---- requests -----------------------------------------------------------------------
    def answer(self, raw_path: str) -> tuple[int, object]:
        """(status, JSON body) of one GET."""
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path[len('/ig/v1.1'):].strip('/')
        if not parts.path.startswith('/ig/v1.1'):
            return 404, {'message': 'not found'}
        if not path:
            return 200, {'value': [{'name': n, 'url': f'{self.root}/{n}'} for n in SETS]}
        if path in SETS:
            expand = () if path == 'Things' else tuple(_top_level(query.get('$expand', '')))
            return 200, self.page(path, sorted(self.data[path]), query, expand)
        match = _ENTITY.match(path)
        if not match or match.group(1) not in SETS or \
                int(match.group(2)) not in self.data[match.group(1)]:
            return 404, {'message': 'not found'}
        entity_set, ident, relation = match.group(1), int(match.group(2)), match.group(3)
        if relation is None:
            return 200, self.entity(entity_set, ident)
        target = self.links.get((entity_set, ident), {}).get(relation)
        if target is None:
            return 404, {'message': 'not found'}
        if isinstance(target, list):
            return 200, self.page(f'{entity_set}({ident})/{relation}', target, query, (),
                                  target_set=_set_of(relation))
        return 200, self.entity(_set_of(relation), target)

    def page(self, path: str, ids: list[int], query: dict, expand: tuple,
             target_set: str = '') -> dict:
        """One page of a collection, with a nextLink when more follow."""
        top = min(int(query.get('$top', MAX_TOP)), MAX_TOP)
        skip = int(query.get('$skip', 0))
        entity_set = target_set or path
        doc = {'value': [self.entity(entity_set, i, expand) for i in ids[skip:skip + top]]}
        if self.wrong_to_one and 'Thing' in expand and doc['value']:
            for entity in doc['value']:
                entity['Thing'] = doc['value'][0]['Thing']
        if query.get('$count') == 'true':
            doc['@iot.count'] = len(ids)
        if skip + top < len(ids):
            rest = {k: v for k, v in query.items() if k != '$skip'}
            doc['@iot.nextLink'] = f'{self.root}/{path}?' + urlencode(
                dict(rest, **{'$skip': skip + top}))
        return doc


def _set_of(relation: str) -> str:
    """The entity set a navigation property leads to (``Thing`` -> ``Things``)."""
    return {'Thing': 'Things', 'Sensor': 'Sensors', 'ObservedProperty': 'ObservedProperties'
            }.get(relation, relation)
