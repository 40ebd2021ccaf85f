"""JSON-schema checks of OGC API - Records responses against the standard's own building
blocks in ``../shared/schemas/ogcapi-records-1`` (OGC 20-004r1 core/openapi, read in place).

Two adaptations, both mechanical:
- OpenAPI 3.0 ``nullable`` becomes JSON Schema: ``{type: object, nullable: true}`` (the
  standard's way of saying "or null" in a ``oneOf``) is ``{type: 'null'}``; other nullable
  schemas gain ``'null'`` as a type.
- The building blocks ``$ref`` OGC API - Features part 1 schemas on schemas.opengis.net,
  which this machine cannot fetch.  They are replaced by the local stubs below, written from
  the requirements of OGC 17-069r4 (what each document must contain), not downloaded.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1].parent / 'shared' / 'schemas' / 'ogcapi-records-1'
FEATURES = 'https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/'
_LINKS = {'type': 'array', 'items': {'type': 'object', 'required': ['href'],
                                     'properties': {'href': {'type': 'string'}}}}
_GEOJSON_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon',
                  'MultiPolygon', 'GeometryCollection']
#: OGC API - Features part 1 schemas, from its requirements (/req/core/...)
FEATURES_STUBS = {
    'landingPage.yaml': {'type': 'object', 'required': ['links'],
                         'properties': {'title': {'type': 'string'},
                                        'description': {'type': 'string'}, 'links': _LINKS}},
    'confClasses.yaml': {'type': 'object', 'required': ['conformsTo'],
                         'properties': {'conformsTo': {'type': 'array', 'minItems': 1,
                                                       'items': {'type': 'string'}}}},
    'collection.yaml': {'type': 'object', 'required': ['id', 'links'],
                        'properties': {'id': {'type': 'string'}, 'title': {'type': 'string'},
                                       'links': _LINKS,
                                       'crs': {'type': 'array', 'items': {'type': 'string'}}}},
    'collections.yaml': {'type': 'object', 'required': ['links', 'collections'],
                         'properties': {'links': _LINKS, 'collections': {'type': 'array'}}},
    'exception.yaml': {'type': 'object', 'required': ['code'],
                       'properties': {'code': {'type': 'string'},
                                      'description': {'type': 'string'}}},
    'featureCollectionGeoJSON.yaml': {
        'type': 'object', 'required': ['type', 'features'],
        'properties': {'type': {'enum': ['FeatureCollection']},
                       'features': {'type': 'array'}, 'links': _LINKS,
                       'timeStamp': {'type': 'string', 'format': 'date-time'},
                       'numberMatched': {'type': 'integer', 'minimum': 0},
                       'numberReturned': {'type': 'integer', 'minimum': 0}}},
    'geometryGeoJSON.yaml': {
        'type': 'object', 'required': ['type'],
        'properties': {'type': {'enum': _GEOJSON_TYPES},
                       'coordinates': {'type': 'array'}}},
}


def _json_schema(node):
    """OpenAPI 3.0 schema -> JSON Schema (``nullable`` only)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items()}
    if node.pop('nullable', False):
        if node == {'type': 'object'}:
            return {'type': 'null'}
        if 'type' in node:
            node['type'] = [node['type'], 'null']
    return node


@functools.lru_cache(maxsize=None)
def _retrieve(uri: str) -> Resource:
    """The building block at ``uri`` (a stub, or a local file read and converted once: the
    validators' registries ask again on every validation)."""
    if uri.startswith(FEATURES):
        return Resource.from_contents(FEATURES_STUBS[uri[len(FEATURES):]],
                                      default_specification=_spec())
    path = Path(uri.removeprefix('file://'))
    return Resource.from_contents(_json_schema(yaml.safe_load(path.read_text())),
                                  default_specification=_spec())


def _spec():
    from referencing.jsonschema import DRAFT202012
    return DRAFT202012


@functools.lru_cache(maxsize=None)
def validator(relative: str) -> Draft202012Validator:
    """A validator for one building block, e.g. ``schemas/recordGeoJSON.yaml``."""
    uri = (ROOT / relative).as_uri()
    registry = Registry(retrieve=_retrieve)
    return Draft202012Validator({'$ref': uri}, registry=registry)


def assert_valid(relative: str, document: dict) -> None:
    """Fail with every schema error of ``document`` against a building block."""
    errors = sorted(validator(relative).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f'{relative}: ' + '; '.join(
        f'{"/".join(map(str, e.path))}: {e.message[:200]}' for e in errors[:5])
