"""CQL2 JSON (``filter-lang=cql2-json``) -> the syntax tree of :mod:`hubcat.cql2.nodes`.

Reads the CQL2 1.0 JSON encoding: ``{"op": ..., "args": [...]}`` for operators and
functions, ``{"property": name}``, strings, numbers, booleans, ``{"timestamp": ...}``,
``{"date": ...}``, ``{"bbox": [...]}`` and GeoJSON geometries.  The same operators as the
text encoding (:mod:`hubcat.cql2.text`); ``t_*``/``a_*`` functions and intervals are
refused by name.
"""
from __future__ import annotations

import json
from typing import Optional

from hubcat.cql2 import nodes as n
from hubcat.cql2.nodes import Cql2Error

#: nesting deeper than this is refused (a filter is not a tree of thousands of levels)
MAX_DEPTH = 64


def _args(node: dict, count: Optional[int] = None) -> list:
    args = node.get('args')
    if not isinstance(args, list):
        raise Cql2Error(f'operator {node.get("op")!r} needs an "args" list')
    if count is not None and len(args) != count:
        raise Cql2Error(f'operator {node["op"]!r} takes {count} arguments, not {len(args)}')
    return args


def _geometry(node: dict, depth: int):
    kind = node.get('type')
    if kind == 'GeometryCollection':
        parts = node.get('geometries')
        if not isinstance(parts, list):
            raise Cql2Error('a GeometryCollection needs a "geometries" list')
        return n.geometry(kind, parts=[_geometry(_object(p), depth + 1) for p in parts])
    if 'coordinates' not in node:
        raise Cql2Error(f'geometry {kind!r} has no "coordinates"')
    return n.geometry(kind, node['coordinates'])


def _object(value) -> dict:
    if not isinstance(value, dict):
        raise Cql2Error(f'expected a geometry object, found {value!r}')
    return value


def _expression(value, depth: int):
    """A scalar, property, geometry or function."""
    if depth > MAX_DEPTH:
        raise Cql2Error(f'the filter nests deeper than {MAX_DEPTH} levels')
    if isinstance(value, bool):
        return n.Literal(value, 'boolean')
    if isinstance(value, (int, float)):
        n.number(value)
        return n.Literal(value, 'number')
    if isinstance(value, str):
        return n.Literal(value, 'string')
    if not isinstance(value, dict):
        raise Cql2Error(f'expected a value, a property or a function, found {value!r}')
    if 'property' in value:
        if not isinstance(value['property'], str) or not value['property']:
            raise Cql2Error('"property" must be a name')
        return n.Property(value['property'])
    if 'timestamp' in value:
        return n.timestamp(value['timestamp'])
    if 'date' in value:
        return n.day(value['date'])
    if 'interval' in value:
        raise Cql2Error('intervals (temporal functions) are not supported')
    if 'bbox' in value:
        if not isinstance(value['bbox'], list):
            raise Cql2Error('"bbox" must be a list of numbers')
        return n.envelope(value['bbox'])
    if 'type' in value:
        return _geometry(value, depth)
    if 'op' in value:
        name = str(value['op']).lower()
        if name in ('casei', 'accenti') or name not in _PREDICATES:
            return n.Function(name, tuple(_expression(a, depth + 1) for a in _args(value)))
    raise Cql2Error(f'expected a value, a property or a function, found {json.dumps(value)[:80]}')


def _predicate(value, depth: int):
    if depth > MAX_DEPTH:
        raise Cql2Error(f'the filter nests deeper than {MAX_DEPTH} levels')
    if isinstance(value, bool):
        return n.BooleanLiteral(value)
    if not isinstance(value, dict) or 'op' not in value:
        raise Cql2Error(f'expected an operator object ({{"op": ..., "args": [...]}}), found '
                        f'{json.dumps(value)[:80]}')
    op = str(value['op']).lower()
    reader = _PREDICATES.get(op)
    if reader is None:
        if op[:2] in ('t_', 'a_'):
            raise Cql2Error(f'{op}: temporal and array functions are not supported')
        raise Cql2Error(f'unknown operator {value["op"]!r}')
    return reader(value, depth + 1)


def _logical(kind):
    def read(node, depth):
        args = _args(node)
        if len(args) < 2:
            raise Cql2Error(f'operator {node["op"]!r} takes at least 2 arguments')
        return kind(tuple(_predicate(a, depth) for a in args))
    return read


def _comparison(op):
    def read(node, depth):
        left, right = _args(node, 2)
        return n.Comparison(op, _expression(left, depth), _expression(right, depth))
    return read


def _in(node, depth):
    value, items = _args(node, 2)
    if not isinstance(items, list) or not items:
        raise Cql2Error('the second argument of "in" must be a non-empty list')
    return n.In(_expression(value, depth), tuple(_expression(i, depth) for i in items))


def _spatial(op):
    def read(node, depth):
        left, right = _args(node, 2)
        return n.Spatial(op, _expression(left, depth), _expression(right, depth))
    return read


_PREDICATES = {
    'and': _logical(n.And),
    'or': _logical(n.Or),
    'not': lambda node, depth: n.Not(_predicate(_args(node, 1)[0], depth)),
    **{op: _comparison(op) for op in n.COMPARISONS},
    'like': lambda node, depth: n.Like(*(_expression(a, depth) for a in _args(node, 2))),
    'between': lambda node, depth: n.Between(*(_expression(a, depth) for a in _args(node, 3))),
    'in': _in,
    'isnull': lambda node, depth: n.IsNull(_expression(_args(node, 1)[0], depth)),
    **{op: _spatial(op) for op in n.SPATIAL_FUNCTIONS},
}


def parse_json(text: Optional[str]):
    """The syntax tree of a CQL2 JSON filter (the JSON text of one predicate).

    :raises Cql2Error: not JSON, or not CQL2 JSON
    """
    if not (text or '').strip():
        raise Cql2Error('the filter is empty')
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise Cql2Error(f'the filter is not JSON: {err}') from None
    return _predicate(document, 0)
