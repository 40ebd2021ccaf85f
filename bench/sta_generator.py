"""A generated SensorThings API 1.1 server of any size, for harvest benchmarks.

Serves ``--things`` Things with ``--per-thing`` Datastreams each, computed on the fly
(nothing is held in memory, so 100,000 Datastreams cost the server nothing): each
Thing has one Location, each Datastream one newest Observation, ``--per-thing``
ObservedProperties and ``--sensors`` Sensors shared by the Datastreams. It answers
what HubCat's STA harvester asks for, the standard way:

* ``Things?$top&$skip&$count&$expand=...``: Things with Locations, Datastreams and
  each Datastream's newest Observation, ``@iot.nextLink`` to the next page;
* ``ObservedProperties`` / ``Sensors`` with ``$expand=Datastreams($top=N)``: each with
  its first N Datastreams and ``Datastreams@iot.nextLink`` to
  ``ObservedProperties(k)/Datastreams?$top=N&$skip=N`` (plain pages of children).

``--drop-every K`` leaves out every K-th Thing (Things K, 2K, ...) with its Datastreams,
as a service that lost them: the others keep their numbers.

Usage: ``python bench/sta_generator.py --port 8296 --things 20000 --per-thing 5``;
the service root is ``http://127.0.0.1:PORT/sta/v1.1``.
"""
from __future__ import annotations

import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

BASE = '/sta/v1.1'
MAX_TOP = 100
NOW = '2026-12-01T12:00:00Z'
PROPERTIES = ['air_temperature', 'relative_humidity', 'wind_speed', 'air_pressure',
              'precipitation', 'solar_radiation', 'wind_direction', 'dew_point']
_PATH = re.compile(r'^/(?P<set>[A-Za-z]+)(?:\((?P<id>\d+)\)(?:/(?P<nav>[A-Za-z]+))?)?$')


class Generator:
    """The entities of the generated service, by number."""

    def __init__(self, root: str, things: int, per_thing: int, sensors: int,
                 drop_every: int = 0):
        self.root = root
        self.things = things
        self.per_thing = per_thing
        self.sensors = sensors
        self.streams = things * per_thing
        self.drop_every = drop_every

    def served(self, n: int) -> bool:
        """Whether Thing n is served (not one of the dropped ones)."""
        return not self.drop_every or n % self.drop_every != 0

    def thing_numbers(self):
        """The numbers of the served Things, in order."""
        numbers = range(1, self.things + 1)
        return [n for n in numbers if self.served(n)] if self.drop_every else numbers

    def thing(self, n: int) -> dict:
        """Thing n with its Location and Datastreams (each with its newest Observation)."""
        lon, lat = -10 + (n * 7919 % 4000) / 100, 35 + (n * 104729 % 3000) / 100
        first = (n - 1) * self.per_thing + 1
        return {
            '@iot.id': n, '@iot.selfLink': f'{self.root}/Things({n})',
            'name': f'Station {n:06d}', 'description': f'Weather station number {n}',
            'properties': {'operator': f'Network {n % 17}', 'region': f'Region {n % 53}'},
            'Locations@iot.navigationLink': f'{self.root}/Things({n})/Locations',
            'Datastreams@iot.navigationLink': f'{self.root}/Things({n})/Datastreams',
            'Locations': [{'@iot.id': n, 'name': f'Site {n}', 'encodingType': 'application/geo+json',
                           'location': {'type': 'Point', 'coordinates': [lon, lat]}}],
            'Datastreams': [self.datastream(d, observation=True)
                            for d in range(first, first + self.per_thing)],
        }

    def datastream(self, d: int, observation: bool = False) -> dict:
        """Datastream d (its newest Observation too when asked)."""
        prop = PROPERTIES[(d - 1) % self.per_thing % len(PROPERTIES)]
        entity = {
            '@iot.id': d, '@iot.selfLink': f'{self.root}/Datastreams({d})',
            'name': f'Station {(d - 1) // self.per_thing + 1:06d} {prop}',
            'description': f'{prop} measured every ten minutes',
            'observationType': 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement',
            'unitOfMeasurement': {'name': 'unit', 'symbol': 'u',
                                  'definition': f'http://qudt.org/vocab/unit/{prop}'},
            'phenomenonTime': f'2020-01-01T00:00:00Z/{NOW}', 'resultTime': NOW,
            'properties': {},
            'Thing@iot.navigationLink': f'{self.root}/Datastreams({d})/Thing',
            'Sensor@iot.navigationLink': f'{self.root}/Datastreams({d})/Sensor',
            'ObservedProperty@iot.navigationLink': f'{self.root}/Datastreams({d})/ObservedProperty',
            'Observations@iot.navigationLink': f'{self.root}/Datastreams({d})/Observations',
        }
        if observation:
            entity['Observations'] = [{'@iot.id': d, 'phenomenonTime': NOW, 'resultTime': NOW,
                                       'result': 12.5}]
        return entity

    def observed_property(self, k: int) -> dict:
        """ObservedProperty k."""
        name = PROPERTIES[(k - 1) % len(PROPERTIES)]
        return {'@iot.id': k, '@iot.selfLink': f'{self.root}/ObservedProperties({k})',
                'name': name, 'definition': f'http://vocab.example.org/{name}',
                'description': f'{name} near the ground'}

    def sensor(self, k: int) -> dict:
        """Sensor k."""
        return {'@iot.id': k, '@iot.selfLink': f'{self.root}/Sensors({k})',
                'name': f'Sensor model {k}', 'description': 'a weather sensor',
                'encodingType': 'application/pdf', 'metadata': f'https://example.org/s{k}.pdf'}

    def children(self, entity_set: str, k: int) -> list[int]:
        """The Datastream numbers of ObservedProperty or Sensor k."""
        if entity_set == 'ObservedProperties':
            numbers = range(k, self.streams + 1, self.per_thing)
            return ([d for d in numbers if self.served((d - 1) // self.per_thing + 1)]
                    if self.drop_every else numbers)
        return [(t - 1) * self.per_thing + i + 1
                for t in range(k, self.things + 1, self.sensors) if self.served(t)
                for i in range(self.per_thing)]


class Handler(BaseHTTPRequestHandler):
    """GET only; JSON answers."""

    generator: Generator = None
    protocol_version = 'HTTP/1.1'

    def do_GET(self):  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path[len(BASE):] if parts.path.startswith(BASE) else None
        try:
            doc = self.answer(path, query)
        except (KeyError, ValueError):
            doc = None
        status = 200 if doc is not None else 404
        body = json.dumps(doc if doc is not None else {'code': 404, 'message': 'not found'})
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self, path, query):
        """The JSON document for a path, or None."""
        gen = self.generator
        if path in ('', '/'):
            sets = ['Things', 'Locations', 'Datastreams', 'Sensors', 'ObservedProperties',
                    'Observations', 'FeaturesOfInterest', 'HistoricalLocations']
            return {'value': [{'name': s, 'url': f'{gen.root}/{s}'} for s in sets],
                    'serverSettings': {'conformance': [
                        'http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel']}}
        match = _PATH.match(path or '')
        if not match:
            return None
        top = min(int(query.get('$top', MAX_TOP)), MAX_TOP)
        skip = int(query.get('$skip', 0))
        name, key, nav = match['set'], match['id'], match['nav']
        if name == 'Things' and key is None:
            numbers = gen.thing_numbers()
            return self.page(numbers, gen.thing, top, skip, f'{BASE}/Things', query,
                             count=len(numbers) if query.get('$count') == 'true' else None)
        if name in ('ObservedProperties', 'Sensors') and key is None:
            size = gen.per_thing if name == 'ObservedProperties' else gen.sensors
            make = gen.observed_property if name == 'ObservedProperties' else gen.sensor
            inner = _inner_top(query.get('$expand', ''))

            def with_streams(k: int) -> dict:
                entity = make(k)
                if inner:
                    numbers = gen.children(name, k)
                    entity['Datastreams'] = [gen.datastream(d) for d in numbers[:inner]]
                    if len(numbers) > inner:
                        entity['Datastreams@iot.nextLink'] = (
                            f'{gen.root}/{name}({k})/Datastreams?' +
                            urlencode({'$top': inner, '$skip': inner}))
                return entity
            return self.page(range(1, size + 1), with_streams, top, skip, f'{BASE}/{name}', query)
        if name in ('ObservedProperties', 'Sensors') and nav == 'Datastreams':
            numbers = gen.children(name, int(key))
            return self.page(numbers, gen.datastream, top, skip,
                             f'{BASE}/{name}({key})/Datastreams', query)
        return None

    def page(self, numbers, make, top: int, skip: int, path: str, query: dict,
             count=None) -> dict:
        """One page of a collection, with its nextLink."""
        doc = {}
        if count is not None:
            doc['@iot.count'] = count
        doc['value'] = [make(n) for n in numbers[skip:skip + top]]
        if skip + top < len(numbers):
            doc['@iot.nextLink'] = (f'http://{self.headers["Host"]}{path}?' +
                                    urlencode(dict(query, **{'$top': top, '$skip': skip + top})))
        return doc

    def log_message(self, *args):
        pass


def _inner_top(expand: str) -> int:
    """The ``$top`` of ``Datastreams(...)`` in an ``$expand`` (0: not expanded)."""
    match = re.search(r'Datastreams\((?:[^()]*;)?\$top=(\d+)', expand)
    if match:
        return min(int(match.group(1)), MAX_TOP)
    return MAX_TOP if 'Datastreams' in expand else 0


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8296)
    parser.add_argument('--things', type=int, default=1000)
    parser.add_argument('--per-thing', type=int, default=5)
    parser.add_argument('--sensors', type=int, default=50)
    parser.add_argument('--drop-every', type=int, default=0,
                        help='leave out every K-th Thing and its Datastreams (0: none)')
    args = parser.parse_args()
    root = f'http://127.0.0.1:{args.port}{BASE}'
    Handler.generator = Generator(root, args.things, args.per_thing, args.sensors,
                                  args.drop_every)
    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    print(f'serving {args.things * args.per_thing} Datastreams at {root}', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
