"""The ``filter`` of ``/records/collections/{id}/items``: CQL2 -> an OGC Filter predicate.

``filter`` (``filter-lang`` ``cql2-text``, the default, or ``cql2-json``; ``filter-crs``
CRS84 only) is read by :mod:`hubcat.cql2` and checked here against the queryables of
``/collections/{id}/queryables``: each property must be one, text queryables compare with
strings, timestamp queryables with ``TIMESTAMP(...)`` or ``DATE(...)``, and ``geometry``
is the only spatial one.  The result is an OGC Filter 1.1 element built from
:mod:`hubcat.ogc_filter`, so every value is a ``Literal`` that HubCat's filter translation
(:mod:`hubcat.filters.sql`) binds as a parameter; no filter text reaches SQL, and CSW and
OGC API answer the same predicate with the same records.

Semantics, as in CSW: ``NOT`` is two-valued (``NOT (unit = 'degC')`` matches records
without a unit), comparisons on a list-valued queryable (observedProperty, unit,
keywords) hold when one value does, timestamps compare to the second in UTC, and a DATE
is its whole day (``= DATE('2024-06-01')`` is that day, ``> DATE(...)`` the days after).
``type`` matches the record type (thing, datastream, ...) or its Dublin Core type.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional

from lxml import etree

from hubcat import cql2, ogc_filter
from hubcat.cql2 import nodes as n
from hubcat.oarec.params import ParameterError, queryables
from hubcat.times import iso

CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
GML_CRS84 = 'urn:ogc:def:crs:OGC:1.3:CRS84'
#: queryables whose values are timestamps (the queryables document says date-time)
TIMESTAMP_QUERYABLES = ('hubcat:LastSeen', 'hubcat:StatusChanged', 'dct:modified',
                        'hubcat:PhenomenonTimeBegin', 'hubcat:PhenomenonTimeEnd')
#: longest filter read (a URL holds a few thousand characters anyway)
MAX_FILTER_CHARS = 10_000
#: the spatial queryable (the record's footprint)
GEOMETRY = 'geometry'
_TAGS = {'=': 'PropertyIsEqualTo', '<>': 'PropertyIsNotEqualTo', '<': 'PropertyIsLessThan',
         '>': 'PropertyIsGreaterThan', '<=': 'PropertyIsLessThanOrEqualTo',
         '>=': 'PropertyIsGreaterThanOrEqualTo'}
_FLIPPED = {'=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<='}
_SPATIAL = {'s_intersects': 'Intersects', 's_equals': 'Equals', 's_disjoint': 'Disjoint',
            's_touches': 'Touches', 's_within': 'Within', 's_overlaps': 'Overlaps',
            's_crosses': 'Crosses', 's_contains': 'Contains'}
#: the property on the right of S_WITHIN/S_CONTAINS: the other function, operands swapped
_SWAPPED = {'s_within': 's_contains', 's_contains': 's_within'}
OGC = ogc_filter.OGC
GML = ogc_filter.GML


def filter_properties() -> dict[str, tuple[str, ...]]:
    """Filter property name -> the CSW queryables it stands for (``geometry`` aside)."""
    names = {'id': ('dc:identifier',), 'q': ('csw:AnyText',),
             'type': ('hubcat:EntityType', 'dc:type')}
    names.update({name: (csw,) for name, csw in queryables().items()})
    return names


def items_filter(args) -> Optional[etree._Element]:
    """The OGC Filter predicate of the ``filter`` parameters in ``args``; None without one.

    :raises ParameterError: naming ``filter``, ``filter-lang`` or ``filter-crs``
    """
    language = args.get('filter-lang') or 'cql2-text'
    if language not in cql2.LANGUAGES:
        raise ParameterError('filter-lang', f'filter-lang {language!r} is not supported; use '
                             + ' or '.join(cql2.LANGUAGES))
    crs = args.get('filter-crs')
    if crs not in (None, '', CRS84):
        raise ParameterError('filter-crs', f'filter-crs {crs!r} is not supported (only {CRS84})')
    text = args.get('filter')
    if not text:
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise ParameterError('filter', f'filter: longer than {MAX_FILTER_CHARS} characters')
    try:
        return _Translator().predicate(cql2.parse(text, language))
    except n.Cql2Error as err:
        raise ParameterError('filter', f'filter: {err}') from None


def _element(tag: str, *children, **attrs) -> etree._Element:
    node = etree.Element(f'{{{OGC}}}{tag}', **attrs)
    node.extend(children)
    return node


def _not(node) -> etree._Element:
    return _element('Not', node)


def _any(parts: list) -> etree._Element:
    return ogc_filter.combine('Or', parts)


def _all(parts: list) -> etree._Element:
    return ogc_filter.combine('And', parts)


def _null(name: str) -> etree._Element:
    node = _element('PropertyIsNull')
    etree.SubElement(node, f'{{{OGC}}}PropertyName').text = name
    return node


class _Translator:
    def __init__(self):
        self.properties = filter_properties()

    # -- operands --------------------------------------------------------------------------
    def operand(self, node) -> tuple[object, bool]:
        """(node without CASEI, whether CASEI wrapped it)."""
        if isinstance(node, n.Function):
            if node.name != 'casei':
                raise n.Cql2Error(f'unknown function {node.name.upper()}; the only function is '
                                  'CASEI')
            if len(node.args) != 1:
                raise n.Cql2Error('CASEI takes one argument')
            inner, _ = self.operand(node.args[0])
            return inner, True
        return node, False

    def names(self, prop: n.Property) -> tuple[str, ...]:
        if prop.name == GEOMETRY:
            raise n.Cql2Error('geometry is only an argument of a spatial function (S_INTERSECTS)')
        found = self.properties.get(prop.name)
        if found is None:
            raise n.Cql2Error(f'unknown property {prop.name!r}; queryables: '
                              + ', '.join(sorted([*self.properties, GEOMETRY])))
        return found

    def split(self, node) -> tuple[n.Property, tuple[str, ...], bool, list]:
        """A predicate's (property, its queryables, caseless, [other operands])."""
        operands = [self.operand(o) for o in node]
        props = [o for o, _ in operands if isinstance(o, n.Property)]
        if len(props) != 1 or not isinstance(operands[0][0], n.Property):
            raise n.Cql2Error('a predicate compares one property (on its left) with values')
        if any(not isinstance(o, n.Literal) for o, _ in operands[1:]):
            raise n.Cql2Error('the values of a predicate must be literals')
        caseless = any(c for _, c in operands)
        return props[0], self.names(props[0]), caseless, [o for o, _ in operands[1:]]

    @staticmethod
    def value(prop: n.Property, names: tuple, literal: n.Literal, caseless: bool = False):
        """The literal's value as stored: text, or a timestamp/date for time queryables."""
        if names[0] in TIMESTAMP_QUERYABLES:
            if literal.kind not in ('timestamp', 'date'):
                raise n.Cql2Error(f'{prop.name} is a timestamp: compare it with '
                                  "TIMESTAMP('...Z') or DATE('YYYY-MM-DD')")
            if caseless:
                raise n.Cql2Error(f'CASEI applies to text, not to the timestamp {prop.name}')
            return literal.value
        if literal.kind != 'string':
            raise n.Cql2Error(f'{prop.name} is text: compare it with a quoted string, not '
                              f'{literal.kind} {literal.value!r}')
        return literal.value

    # -- predicates ------------------------------------------------------------------------
    def predicate(self, node) -> etree._Element:
        if isinstance(node, n.And):
            return _all([self.predicate(p) for p in node.parts])
        if isinstance(node, n.Or):
            return _any([self.predicate(p) for p in node.parts])
        if isinstance(node, n.Not):
            return _not(self.predicate(node.part))
        if isinstance(node, n.BooleanLiteral):   # every record has an identifier
            found = _null('dc:identifier')
            return _not(found) if node.value else found
        if isinstance(node, n.Comparison):
            return self.comparison(node)
        if isinstance(node, n.Like):
            return self.like(node)
        if isinstance(node, n.Between):
            return self.between(node)
        if isinstance(node, n.In):
            return _any([self.comparison(n.Comparison('=', node.value, item))
                         for item in node.items])
        if isinstance(node, n.IsNull):
            _prop, names, _caseless, _ = self.split([node.value])
            return _all([_null(name) for name in names])
        if isinstance(node, n.Spatial):
            return self.spatial(node)
        raise n.Cql2Error(f'{type(node).__name__} is not a predicate')

    def comparison(self, node: n.Comparison) -> etree._Element:
        left, op, right = node.left, node.op, node.right
        if not isinstance(self.operand(left)[0], n.Property):
            left, right, op = right, left, _FLIPPED[op]
        prop, names, caseless, (literal,) = self.split([left, right])
        value = self.value(prop, names, literal, caseless)
        if op == '<>' and len(names) > 1:   # none of its names equals the value
            return _not(self.comparison(n.Comparison('=', left, right)))
        if isinstance(value, datetime):
            value = iso(value)
        elif isinstance(value, date):
            return _any([self.day(op, name, value) for name in names])
        found = []
        for name in names:
            element = ogc_filter.compare(_TAGS[op], name, value)
            if caseless:
                element.set('matchCase', 'false')
            found.append(element)
        return _any(found)

    @staticmethod
    def day(op: str, name: str, day: date) -> etree._Element:
        """A timestamp queryable against a whole day."""
        start, after = day.isoformat(), (day + timedelta(days=1)).isoformat()
        ge = ogc_filter.compare('PropertyIsGreaterThanOrEqualTo', name, start)
        lt = ogc_filter.compare('PropertyIsLessThan', name, after)
        return {'=': lambda: _all([ge, lt]), '<>': lambda: _not(_all([ge, lt])),
                '<': lambda: ogc_filter.compare('PropertyIsLessThan', name, start),
                '<=': lambda: lt,
                '>': lambda: ogc_filter.compare('PropertyIsGreaterThanOrEqualTo', name, after),
                '>=': lambda: ge}[op]()

    def like(self, node: n.Like) -> etree._Element:
        prop, names, caseless, (pattern,) = self.split([node.value, node.pattern])
        if names[0] in TIMESTAMP_QUERYABLES:
            raise n.Cql2Error(f'LIKE applies to text, not to the timestamp {prop.name}')
        pattern = self.value(prop, names, pattern)
        found = []
        for name in names:
            element = ogc_filter.like(name, pattern)   # CQL2's % _ and \ are OGC's here
            if caseless:
                element.set('matchCase', 'false')
            found.append(element)
        return _any(found)

    def between(self, node: n.Between) -> etree._Element:
        prop, names, caseless, (low, high) = self.split([node.value, node.low, node.high])
        if names[0] in TIMESTAMP_QUERYABLES:
            return _all([self.comparison(n.Comparison('>=', node.value, low)),
                         self.comparison(n.Comparison('<=', node.value, high))])
        low, high = self.value(prop, names, low), self.value(prop, names, high)
        found = []
        for name in names:
            element = _element('PropertyIsBetween')
            etree.SubElement(element, f'{{{OGC}}}PropertyName').text = name
            for tag, value in (('LowerBoundary', low), ('UpperBoundary', high)):
                boundary = etree.SubElement(element, f'{{{OGC}}}{tag}')
                etree.SubElement(boundary, f'{{{OGC}}}Literal').text = value
            found.append(element)
        if caseless:
            raise n.Cql2Error('CASEI does not apply to BETWEEN')
        return _any(found)

    # -- spatial ---------------------------------------------------------------------------
    def spatial(self, node: n.Spatial) -> etree._Element:
        op, left, right = node.op, node.left, node.right
        if isinstance(right, n.Property) and not isinstance(left, n.Property):
            left, right, op = right, left, _SWAPPED.get(op, op)
        if not (isinstance(left, n.Property) and left.name == GEOMETRY):
            raise n.Cql2Error(f'{node.op.upper()} compares the property geometry with a '
                              'geometry literal')
        if not isinstance(right, (n.Geometry, n.Envelope)):
            raise n.Cql2Error(f'{node.op.upper()} needs a geometry (POINT, POLYGON, BBOX, ...) '
                              'as its other argument')
        return self.geometry_predicate(op, right)

    def geometry_predicate(self, op: str, geometry) -> etree._Element:
        parts = _parts(geometry)
        if len(parts) > 1 or (isinstance(geometry, n.Geometry) and geometry.type == 'Polygon'
                              and len(geometry.coordinates) > 1):
            if op == 's_intersects':
                return _any([_intersects(p) for p in parts])
            if op == 's_disjoint':
                return _not(_any([_intersects(p) for p in parts]))
            raise n.Cql2Error(f'{op.upper()} takes a single geometry without holes (multi-part '
                              'geometries and holes only in S_INTERSECTS and S_DISJOINT)')
        return _spatial(_SPATIAL[op], _gml(parts[0]))


def _parts(geometry) -> list:
    """The single geometries (Point, LineString, Polygon, Envelope) a geometry is made of."""
    if isinstance(geometry, n.Envelope):
        _check_position((geometry.minx, geometry.miny))
        _check_position((geometry.maxx, geometry.maxy))
        if geometry.minx > geometry.maxx:   # across the antimeridian: two boxes
            return [n.Envelope(geometry.minx, geometry.miny, 180.0, geometry.maxy),
                    n.Envelope(-180.0, geometry.miny, geometry.maxx, geometry.maxy)]
        return [geometry]
    if geometry.type == 'GeometryCollection':
        return [p for part in geometry.parts for p in _parts(part)]
    single = {'MultiPoint': 'Point', 'MultiLineString': 'LineString',
              'MultiPolygon': 'Polygon'}.get(geometry.type)
    if single:
        return [p for c in geometry.coordinates for p in _parts(n.Geometry(single, c))]
    return [geometry]


def _intersects(part) -> etree._Element:
    """Intersects one part; a polygon with holes: its outer ring, and within none of its holes."""
    if isinstance(part, n.Geometry) and part.type == 'Polygon' and len(part.coordinates) > 1:
        outer, *holes = part.coordinates
        return _all([_spatial('Intersects', _gml(n.Geometry('Polygon', (outer,))))]
                    + [_not(_spatial('Within', _gml(n.Geometry('Polygon', (hole,)))))
                       for hole in holes])
    return _spatial('Intersects', _gml(part))


def _spatial(tag: str, geometry: etree._Element) -> etree._Element:
    element = _element(tag)
    etree.SubElement(element, f'{{{OGC}}}PropertyName').text = 'ows:BoundingBox'
    element.append(geometry)
    return element


def _check_position(position) -> tuple:
    x, y = position
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise n.Cql2Error(f'coordinates out of range (longitude -180..180, latitude -90..90): '
                          f'{x} {y}')
    return position


def _positions(points) -> str:
    return ' '.join(f'{x!r} {y!r}' for x, y in (_check_position(p) for p in points))


def _gml(part) -> etree._Element:
    """The GML 3.1.1 element of a single geometry, longitude first (CRS84)."""
    def el(tag, parent=None, text=None, **attrs):
        node = etree.Element(f'{{{GML}}}{tag}', **attrs) if parent is None else \
            etree.SubElement(parent, f'{{{GML}}}{tag}', **attrs)
        node.text = text
        return node
    if isinstance(part, n.Envelope):
        root = el('Envelope', srsName=GML_CRS84)
        el('lowerCorner', root, _positions([(part.minx, part.miny)]))
        el('upperCorner', root, _positions([(part.maxx, part.maxy)]))
        return root
    if part.type == 'Point':
        root = el('Point', srsName=GML_CRS84)
        el('pos', root, _positions([part.coordinates]))
        return root
    if part.type == 'LineString':
        root = el('LineString', srsName=GML_CRS84)
        el('posList', root, _positions(part.coordinates))
        return root
    root = el('Polygon', srsName=GML_CRS84)
    ring = el('LinearRing', el('exterior', root))
    el('posList', ring, _positions(part.coordinates[0]))
    return root

