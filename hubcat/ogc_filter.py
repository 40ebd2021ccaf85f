"""OGC Filter Encoding 1.1 elements for the GetRecords requests HubCat builds itself.

Pure functions returning ``lxml`` elements: the JSON search (``/api/search``) and
OGC API - Records build their CSW queries from these, so a value a user typed is
always a ``Literal`` (a bound parameter once pycsw translates it), never query text.
"""
from __future__ import annotations

from typing import Iterable

from lxml import etree

OGC = 'http://www.opengis.net/ogc'
GML = 'http://www.opengis.net/gml'


def like(prop: str, pattern: str) -> etree._Element:
    """``prop LIKE pattern`` (``%`` any run, ``_`` one character)."""
    element = etree.Element(f'{{{OGC}}}PropertyIsLike', wildCard='%', singleChar='_',
                            escapeChar='\\')
    etree.SubElement(element, f'{{{OGC}}}PropertyName').text = prop
    etree.SubElement(element, f'{{{OGC}}}Literal').text = pattern
    return element


def compare(operator: str, prop: str, value: str) -> etree._Element:
    """A binary comparison: ``operator`` is ``PropertyIsEqualTo``, ``PropertyIsLessThan``, ..."""
    element = etree.Element(f'{{{OGC}}}{operator}')
    etree.SubElement(element, f'{{{OGC}}}PropertyName').text = prop
    etree.SubElement(element, f'{{{OGC}}}Literal').text = value
    return element


def equal(prop: str, value: str) -> etree._Element:
    """``prop = value``."""
    return compare('PropertyIsEqualTo', prop, value)


def bbox(box) -> etree._Element:
    """``BBOX`` on ``ows:BoundingBox`` for ``(minx, miny, maxx, maxy)`` in lon/lat."""
    minx, miny, maxx, maxy = box
    element = etree.Element(f'{{{OGC}}}BBOX')
    etree.SubElement(element, f'{{{OGC}}}PropertyName').text = 'ows:BoundingBox'
    env = etree.SubElement(element, f'{{{GML}}}Envelope', srsName='urn:ogc:def:crs:EPSG::4326')
    etree.SubElement(env, f'{{{GML}}}lowerCorner').text = f'{miny} {minx}'  # lat lon
    etree.SubElement(env, f'{{{GML}}}upperCorner').text = f'{maxy} {maxx}'
    return element


def combine(operator: str, conditions: Iterable[etree._Element]):
    """``And``/``Or`` of the conditions; the condition itself when there is one, None for none."""
    conditions = list(conditions)
    if len(conditions) <= 1:
        return conditions[0] if conditions else None
    element = etree.Element(f'{{{OGC}}}{operator}')
    element.extend(conditions)
    return element
