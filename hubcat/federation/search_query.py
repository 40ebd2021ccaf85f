"""Turn the JSON search's parameters into a CSW 2.0.2 GetRecords (pure functions).

``q`` -> ``csw:AnyText`` like ``%q%``; ``bbox`` (minx,miny,maxx,maxy in
lon/lat) -> ``ogc:BBOX`` on ``ows:BoundingBox``; ``type`` -> ``dc:type`` like
``%type%`` (peers write types as words or as DCMI URIs); ``status`` (online,
offline) -> ``hubcat:Status`` equal to it: HubCat peers answer, a peer that
has no such queryable answers an ExceptionReport and is reported ``failed``
with that reason (it cannot tell online from offline).  Conditions are ANDed.
Records come back as Dublin Core brief records (full ones for the distributed search).
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

from hubcat import ogc_filter
from hubcat.federation.csw_request import CSW, NAMESPACES, OGC

GML = NAMESPACES['gml']
MAX_LIMIT = 100
STATUSES = ('online', 'offline')


class SearchError(ValueError):
    """A bad search parameter; the message names it."""


def parse_bbox(text: str) -> list[float]:
    """``minx,miny,maxx,maxy`` -> four floats in lon/lat order.

    :raises SearchError: when it is not four numbers in range with min <= max
    """
    try:
        values = [float(v) for v in text.split(',')]
    except ValueError:
        raise SearchError(f'bbox must be minx,miny,maxx,maxy numbers, got {text!r}') from None
    if len(values) != 4:
        raise SearchError(f'bbox must have 4 numbers, got {len(values)}')
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise SearchError(f'bbox out of range or min > max: {text!r}')
    return values


def parse_limit(text: Optional[str]) -> int:
    """The record limit (default 10, 1..100).

    :raises SearchError: when it is not an integer in range
    """
    if text in (None, ''):
        return 10
    try:
        limit = int(text)
    except ValueError:
        raise SearchError(f'limit must be an integer, got {text!r}') from None
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f'limit must be between 1 and {MAX_LIMIT}')
    return limit


def build_getrecords(q: str = '', bbox: Optional[list] = None, type_: str = '',
                     status: str = '', limit: int = 10, element_set: str = 'brief') -> bytes:
    """The CSW 2.0.2 GetRecords XML (DC records of ``element_set``, results) for a JSON search."""
    if status and status not in STATUSES:
        raise SearchError(f'status must be one of {", ".join(STATUSES)}, got {status!r}')
    nsmap = {'csw': CSW, 'ogc': OGC, 'gml': GML}
    root = etree.Element(f'{{{CSW}}}GetRecords', nsmap=nsmap, service='CSW', version='2.0.2',
                         resultType='results', outputSchema=CSW, startPosition='1',
                         maxRecords=str(limit))
    query = etree.SubElement(root, f'{{{CSW}}}Query', typeNames='csw:Record')
    etree.SubElement(query, f'{{{CSW}}}ElementSetName').text = element_set
    conditions = []
    if q:
        conditions.append(ogc_filter.like('csw:AnyText', f'%{q}%'))
    if type_:
        conditions.append(ogc_filter.like('dc:type', f'%{type_}%'))
    if status:
        conditions.append(ogc_filter.equal('hubcat:Status', status))
    if bbox:
        conditions.append(ogc_filter.bbox(bbox))
    if conditions:
        constraint = etree.SubElement(query, f'{{{CSW}}}Constraint', version='1.1.0')
        filt = etree.SubElement(constraint, f'{{{OGC}}}Filter')
        filt.append(ogc_filter.combine('And', conditions))
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')
