"""Turn the JSON search's parameters into a CSW 2.0.2 GetRecords (pure functions).

``q`` -> ``csw:AnyText`` like ``%q%``; ``bbox`` (minx,miny,maxx,maxy in
lon/lat) -> ``ogc:BBOX`` on ``ows:BoundingBox``; ``type`` -> ``dc:type`` like
``%type%`` (peers write types as words or as DCMI URIs); ``status`` (online,
offline) -> ``hubcat:Status`` equal to it: HubCat peers answer, a peer that
has no such queryable answers an ExceptionReport and is reported ``failed``
with that reason (it cannot tell online from offline).  Conditions are ANDed.
Records come back as Dublin Core brief records.
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

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
                     status: str = '', limit: int = 10) -> bytes:
    """The CSW 2.0.2 GetRecords XML (brief DC records, results) for a JSON search."""
    if status and status not in STATUSES:
        raise SearchError(f'status must be one of {", ".join(STATUSES)}, got {status!r}')
    nsmap = {'csw': CSW, 'ogc': OGC, 'gml': GML}
    root = etree.Element(f'{{{CSW}}}GetRecords', nsmap=nsmap, service='CSW', version='2.0.2',
                         resultType='results', outputSchema=CSW, startPosition='1',
                         maxRecords=str(limit))
    query = etree.SubElement(root, f'{{{CSW}}}Query', typeNames='csw:Record')
    etree.SubElement(query, f'{{{CSW}}}ElementSetName').text = 'brief'
    conditions = []
    if q:
        conditions.append(_like('csw:AnyText', f'%{q}%'))
    if type_:
        conditions.append(_like('dc:type', f'%{type_}%'))
    if status:
        conditions.append(_equal('hubcat:Status', status))
    if bbox:
        conditions.append(_bbox(bbox))
    if conditions:
        constraint = etree.SubElement(query, f'{{{CSW}}}Constraint', version='1.1.0')
        filt = etree.SubElement(constraint, f'{{{OGC}}}Filter')
        if len(conditions) == 1:
            filt.append(conditions[0])
        else:
            etree.SubElement(filt, f'{{{OGC}}}And').extend(conditions)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')


def _like(prop: str, pattern: str) -> etree._Element:
    like = etree.Element(f'{{{OGC}}}PropertyIsLike', wildCard='%', singleChar='_',
                         escapeChar='\\')
    etree.SubElement(like, f'{{{OGC}}}PropertyName').text = prop
    etree.SubElement(like, f'{{{OGC}}}Literal').text = pattern
    return like


def _equal(prop: str, value: str) -> etree._Element:
    equal = etree.Element(f'{{{OGC}}}PropertyIsEqualTo')
    etree.SubElement(equal, f'{{{OGC}}}PropertyName').text = prop
    etree.SubElement(equal, f'{{{OGC}}}Literal').text = value
    return equal


def _bbox(box: list) -> etree._Element:
    minx, miny, maxx, maxy = box
    bbox = etree.Element(f'{{{OGC}}}BBOX')
    etree.SubElement(bbox, f'{{{OGC}}}PropertyName').text = 'ows:BoundingBox'
    env = etree.SubElement(bbox, f'{{{GML}}}Envelope', srsName='urn:ogc:def:crs:EPSG::4326')
    etree.SubElement(env, f'{{{GML}}}lowerCorner').text = f'{miny} {minx}'  # lat lon
    etree.SubElement(env, f'{{{GML}}}upperCorner').text = f'{maxy} {maxx}'
    return bbox
