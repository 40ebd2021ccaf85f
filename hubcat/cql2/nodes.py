"""The CQL2 syntax tree: what both encodings read into (plain frozen dataclasses).

Expressions are :class:`Property`, :class:`Literal` (string, number, boolean, timestamp,
date), :class:`Geometry`, :class:`Envelope` and :class:`Function` (``CASEI``).  Predicates
are :class:`Comparison`, :class:`Like`, :class:`Between`, :class:`In`, :class:`IsNull`,
:class:`Spatial`, :class:`BooleanLiteral` and the :class:`And`/:class:`Or`/:class:`Not`
around them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Union

#: binary comparison operators
COMPARISONS = ('=', '<>', '<', '>', '<=', '>=')
#: spatial functions of CQL2 (Spatial Functions class), lower case
SPATIAL_FUNCTIONS = ('s_intersects', 's_equals', 's_disjoint', 's_touches', 's_within',
                     's_overlaps', 's_crosses', 's_contains')
#: GeoJSON geometry types a filter may hold
GEOMETRY_TYPES = ('Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString',
                  'MultiPolygon', 'GeometryCollection')


class Cql2Error(ValueError):
    """A filter that cannot be read (the message says what and, for text, where)."""


@dataclass(frozen=True)
class Property:
    name: str


@dataclass(frozen=True)
class Literal:
    """A scalar: ``kind`` is string, number, boolean, timestamp or date."""
    value: object
    kind: str


@dataclass(frozen=True)
class Geometry:
    """A GeoJSON-like geometry: ``coordinates`` (2D), or ``parts`` for a collection."""
    type: str
    coordinates: tuple = ()
    parts: tuple = ()


@dataclass(frozen=True)
class Envelope:
    """``BBOX(minx, miny, maxx, maxy)`` (heights dropped)."""
    minx: float
    miny: float
    maxx: float
    maxy: float


@dataclass(frozen=True)
class Function:
    name: str       # lower case
    args: tuple


@dataclass(frozen=True)
class Comparison:
    op: str         # one of COMPARISONS
    left: object
    right: object


@dataclass(frozen=True)
class Like:
    value: object
    pattern: object


@dataclass(frozen=True)
class Between:
    value: object
    low: object
    high: object


@dataclass(frozen=True)
class In:
    value: object
    items: tuple


@dataclass(frozen=True)
class IsNull:
    value: object


@dataclass(frozen=True)
class Spatial:
    op: str         # one of SPATIAL_FUNCTIONS
    left: object
    right: object


@dataclass(frozen=True)
class BooleanLiteral:
    value: bool


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


Node = Union[Property, Literal, Geometry, Envelope, Function, Comparison, Like, Between, In,
             IsNull, Spatial, BooleanLiteral, And, Or, Not]


def timestamp(text: object) -> Literal:
    """A TIMESTAMP literal: RFC 3339 date-time with a zone (``Z`` or an offset), as UTC.

    :raises Cql2Error: not such a date-time
    """
    try:
        value = datetime.fromisoformat(str(text).replace('z', 'Z').replace('Z', '+00:00'))
    except ValueError:
        raise Cql2Error(f'not an RFC 3339 timestamp: {text!r}') from None
    if value.tzinfo is None or 'T' not in str(text).upper():
        raise Cql2Error(f'a timestamp needs a date, a time and a zone (Z): {text!r}')
    return Literal(value.astimezone(timezone.utc), 'timestamp')


def day(text: object) -> Literal:
    """A DATE literal (``YYYY-MM-DD``).

    :raises Cql2Error: not such a date
    """
    try:
        if len(str(text)) != 10:
            raise ValueError
        return Literal(date.fromisoformat(str(text)), 'date')
    except ValueError:
        raise Cql2Error(f'not a date (YYYY-MM-DD): {text!r}') from None


def number(value) -> float:
    """A finite coordinate or number.

    :raises Cql2Error: NaN, infinity or not a number
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise Cql2Error(f'not a finite number: {value!r}')
    return float(value)


def envelope(numbers) -> Envelope:
    """An :class:`Envelope` of 4 (or 6, heights dropped) numbers.

    :raises Cql2Error: another count, or a box whose south is above its north
    """
    numbers = [number(n) for n in numbers]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise Cql2Error('BBOX takes 4 (or 6) numbers')
    if numbers[1] > numbers[3]:
        raise Cql2Error('BBOX: the southern edge is above the northern one')
    return Envelope(*numbers)


def _position(value) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        raise Cql2Error(f'a position is 2 (or 3) numbers, not {value!r}')
    return number(value[0]), number(value[1])


def _line(value, minimum: int, what: str) -> tuple:
    if not isinstance(value, (list, tuple)):
        raise Cql2Error(f'{what} must be a list of positions')
    points = tuple(_position(p) for p in value)
    if len(points) < minimum:
        raise Cql2Error(f'{what} needs at least {minimum} positions')
    return points


def _polygon(value) -> tuple:
    if not isinstance(value, (list, tuple)) or not value:
        raise Cql2Error('a Polygon is a list of rings')
    rings = tuple(_line(ring, 4, 'a Polygon ring') for ring in value)
    if any(ring[0] != ring[-1] for ring in rings):
        raise Cql2Error('a Polygon ring must end where it starts')
    return rings


_COORDINATES = {
    'Point': _position,
    'LineString': lambda v: _line(v, 2, 'a LineString'),
    'Polygon': _polygon,
    'MultiPoint': lambda v: tuple(_position(p) for p in _sequence(v, 'MultiPoint')),
    'MultiLineString': lambda v: tuple(_line(p, 2, 'a LineString')
                                       for p in _sequence(v, 'MultiLineString')),
    'MultiPolygon': lambda v: tuple(_polygon(p) for p in _sequence(v, 'MultiPolygon')),
}


def _sequence(value, what: str):
    if not isinstance(value, (list, tuple)) or not value:
        raise Cql2Error(f'a {what} needs at least one member')
    return value


def geometry(type_: str, coordinates=None, parts=()) -> Geometry:
    """A checked :class:`Geometry` (positions as 2D float pairs, heights dropped).

    :raises Cql2Error: an unknown type or coordinates that do not make one
    """
    if type_ == 'GeometryCollection':
        if not parts:
            raise Cql2Error('a GeometryCollection needs at least one geometry')
        return Geometry(type_, parts=tuple(parts))
    if type_ not in _COORDINATES:
        raise Cql2Error(f'unknown geometry type {type_!r}; geometries: '
                        + ', '.join(GEOMETRY_TYPES))
    return Geometry(type_, _COORDINATES[type_](coordinates))
