"""KVP search parameters (OpenSearch and CSW 3.0 ``q``/``bbox``/``time``, HubCat's own) -> Filter predicates.

==================  =====================================================================
parameter           predicate
==================  =====================================================================
``q``               every word is in ``csw:AnyText``
``bbox``            ``west,south,east,north[,crs]``: BBOX; without crs longitude/latitude
                    (CRS84), with one the rule of :mod:`hubcat.filters.axis`
``time``            ``start/end`` (either may be empty), or ``start``/``stop``: the record's
                    phenomenon time overlaps the interval; a record without one matches
                    when its ``dc:date`` falls inside
``status``          ``hubcat:Status`` (``online`` / ``offline``)
``observedproperty``  ``hubcat:ObservedProperty`` equals (any one of the record's properties)
``type``            ``hubcat:EntityType`` (``service``, ``thing``, ``datastream``, ``offering``,
                    ``procedure``)
==================  =====================================================================

An empty value is no constraint (OpenSearch clients fill unused optional
template parameters with empty strings).
"""
from __future__ import annotations

from lxml import etree

from hubcat.filters.cql import GML, OGC
from hubcat.filters.sql import FilterError

#: the KVP names (lower case) this module reads
SEARCH_PARAMETERS = ('q', 'bbox', 'time', 'start', 'stop', 'status', 'observedproperty', 'type')
#: HubCat's own parameters -> queryable compared for equality
EQUALITY_PARAMETERS = {'status': 'hubcat:Status', 'observedproperty': 'hubcat:ObservedProperty',
                       'type': 'hubcat:EntityType'}


def _el(tag: str, parent=None, text=None, **attrs):
    ns = GML if tag.startswith('gml:') else OGC
    qname = f'{{{ns}}}{tag.split(":")[-1]}'
    node = etree.Element(qname, **attrs) if parent is None else etree.SubElement(parent, qname, **attrs)
    if text is not None:
        node.text = text
    return node


def _compare(tag: str, name: str, value: str):
    node = _el(tag)
    _el('PropertyName', node, name)
    _el('Literal', node, value)
    return node


def _null(name: str):
    node = _el('PropertyIsNull')
    _el('PropertyName', node, name)
    return node


def _all(tag: str, *parts):
    parts = [p for p in parts if p is not None]
    if len(parts) == 1:
        return parts[0]
    node = _el(tag)
    node.extend(parts)
    return node


def bbox_predicate(value: str):
    """BBOX of a ``west,south,east,north[,crs]`` value.

    :raises FilterError: (locator ``bbox``) not four numbers, or out of range without a CRS
    """
    parts = [p.strip() for p in value.split(',')]
    if len(parts) not in (4, 5):
        raise FilterError(f'bbox must be minx,miny,maxx,maxy[,crs], not {value!r}', 'bbox')
    try:
        numbers = [float(p) for p in parts[:4]]
    except ValueError:
        raise FilterError(f'bbox coordinates must be numbers: {value!r}', 'bbox') from None
    if any(n != n or n in (float('inf'), float('-inf')) for n in numbers):
        raise FilterError(f'bbox coordinates must be finite: {value!r}', 'bbox')
    if len(parts) == 4 and not (-180 <= numbers[0] <= 180 and -180 <= numbers[2] <= 180
                                and -90 <= numbers[1] <= 90 and -90 <= numbers[3] <= 90):
        raise FilterError(f'bbox out of longitude/latitude range: {value!r}', 'bbox')
    node = _el('BBOX')
    _el('PropertyName', node, 'ows:BoundingBox')
    env = _el('gml:Envelope', node, srsName=parts[4] if len(parts) == 5 else
              'urn:ogc:def:crs:OGC:1.3:CRS84')
    _el('gml:lowerCorner', env, f'{parts[0]} {parts[1]}')
    _el('gml:upperCorner', env, f'{parts[2]} {parts[3]}')
    return node


def time_predicate(start: str, end: str):
    """Phenomenon time overlapping [start, end] (either may be empty), else dc:date inside."""
    if not start and not end:
        return None
    overlap = _all('And',
                   _compare('PropertyIsLessThanOrEqualTo', 'apiso:TempExtent_begin', end) if end else None,
                   _compare('PropertyIsGreaterThanOrEqualTo', 'apiso:TempExtent_end', start) if start else None)
    no_extent = _all('And', _null('apiso:TempExtent_begin'), _null('apiso:TempExtent_end'))
    dated = _all('And',
                 _compare('PropertyIsGreaterThanOrEqualTo', 'dc:date', start) if start else None,
                 _compare('PropertyIsLessThanOrEqualTo', 'dc:date', end) if end else None)
    return _all('Or', overlap, _all('And', no_extent, dated))


def search_predicates(kvp: dict) -> list:
    """The Filter predicates of the search parameters in ``kvp`` (lower-case names).

    :raises FilterError: a malformed value (locator: the parameter)
    """
    predicates = []
    for word in (kvp.get('q') or '').split():
        predicates.append(_compare('PropertyIsEqualTo', 'csw:AnyText', word))  # contains
    if (kvp.get('bbox') or '').strip():
        predicates.append(bbox_predicate(kvp['bbox']))
    time = (kvp.get('time') or '').strip()
    start, end = (kvp.get('start') or '').strip(), (kvp.get('stop') or '').strip()
    if time:
        if time.count('/') > 1:
            raise FilterError(f'time must be start/end, not {time!r}', 'time')
        start, _, end = time.partition('/') if '/' in time else (time, '', time)
    predicate = time_predicate(start.strip(), end.strip())
    if predicate is not None:
        predicates.append(predicate)
    for name, queryable in EQUALITY_PARAMETERS.items():
        value = (kvp.get(name) or '').strip()
        if value:
            predicates.append(_compare('PropertyIsEqualTo', queryable, value))
    return predicates


def has_search_parameters(kvp: dict) -> bool:
    """True when ``kvp`` names any search parameter with a non-empty value."""
    return any((kvp.get(name) or '').strip() for name in SEARCH_PARAMETERS)


def combine(predicates: list) -> etree._Element:
    """An ``ogc:Filter`` of the predicates joined by And."""
    root = etree.Element(f'{{{OGC}}}Filter', nsmap={'ogc': OGC, 'gml': GML})
    root.append(_all('And', *predicates))
    return root
