"""Read identifiers and sort values out of records of any output schema (pure functions).

A record is the lxml element a peer returned inside ``csw:SearchResults``:
Dublin Core (``csw:Record``, ``csw:SummaryRecord``, ``csw:BriefRecord``, 2.0.2
or 3.0), ISO 19139 (``gmd:MD_Metadata``) or ebRIM (any ``rim:*`` registry object).
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

from hubcat.federation.csw_request import CSW, CSW30, GMD, RIM

DC = 'http://purl.org/dc/elements/1.1/'
DCT = 'http://purl.org/dc/terms/'
GCO = 'http://www.isotc211.org/2005/gco'
OWS = 'http://www.opengis.net/ows'
OWS20 = 'http://www.opengis.net/ows/2.0'
_ISO = {'gmd': GMD, 'gco': GCO, 'srv': 'http://www.isotc211.org/2005/srv'}
DUBLIN_CORE, ISO, EBRIM, OTHER = 'dc', 'iso', 'ebrim', 'other'

#: ISO 19139 paths of the common queryables (by lower-cased local property name)
_ISO_PATHS = {
    'identifier': 'gmd:fileIdentifier/gco:CharacterString',
    'title': 'gmd:identificationInfo/*/gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString',
    'abstract': 'gmd:identificationInfo/*/gmd:abstract/gco:CharacterString',
    'modified': 'gmd:dateStamp/gco:DateTime|gmd:dateStamp/gco:Date',
    'date': 'gmd:dateStamp/gco:DateTime|gmd:dateStamp/gco:Date',
    'type': 'gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue',
    'format': 'gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/'
              'gmd:MD_Format/gmd:name/gco:CharacterString',
}
def schema_of(record: etree._Element) -> str:
    """``dc``, ``iso``, ``ebrim`` or ``other`` by the record's root element."""
    ns = etree.QName(record).namespace
    if ns in (CSW, CSW30):
        return DUBLIN_CORE
    if ns == GMD:
        return ISO
    if ns == RIM:
        return EBRIM
    return OTHER


def identifier_of(record: etree._Element) -> Optional[str]:
    """The record's identifier (dc:identifier, gmd:fileIdentifier, ebRIM @id), or None."""
    value = value_of(record, 'identifier')
    return value or None


def value_of(record: etree._Element, prop: str) -> Optional[str]:
    """The text value of a queryable (``dc:title``, ``apiso:Title``, ``Title`` ...) in a record.

    Matches by the property's local name; the first value if several.  None
    when the record does not carry it (e.g. a brief record sorted by date).
    """
    local = prop.split(':')[-1].split('/')[-1].lower()
    kind = schema_of(record)
    if kind == DUBLIN_CORE:
        return _dc_value(record, local)
    if kind == ISO:
        path = _ISO_PATHS.get(local)
        found = record.xpath(path, namespaces=_ISO) if path else []
        return _first_text(found)
    if kind == EBRIM:
        return _ebrim_value(record, local)
    return None


def _dc_value(record: etree._Element, local: str) -> Optional[str]:
    for child in record:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace in (DC, DCT) and qname.localname.lower() == local:
            if child.text and child.text.strip():
                return child.text.strip()
    return None


def _ebrim_value(record: etree._Element, local: str) -> Optional[str]:
    if local == 'identifier':
        return record.get('id')
    if local in ('type', 'objecttype'):
        return record.get('objectType')
    if local in ('title', 'name'):
        found = record.xpath('rim:Name/rim:LocalizedString/@value', namespaces={'rim': RIM})
        return _first_text(found)
    if local in ('abstract', 'description'):
        found = record.xpath('rim:Description/rim:LocalizedString/@value',
                             namespaces={'rim': RIM})
        return _first_text(found)
    for slot in record.findall(f'{{{RIM}}}Slot'):
        if slot.get('name', '').split(':')[-1].lower() == local:
            return _first_text(slot.xpath('rim:ValueList/rim:Value/text()',
                                          namespaces={'rim': RIM}))
    return None


def _first_text(found) -> Optional[str]:
    for item in found:
        text = item if isinstance(item, str) else item.text
        if text and text.strip():
            return text.strip()
    return None


def bbox_of(record: etree._Element) -> Optional[list[float]]:
    """``[minx, miny, maxx, maxy]`` in lon/lat of a DC, ISO or ebRIM record, or None."""
    kind = schema_of(record)
    if kind == DUBLIN_CORE:
        for tag in (f'{{{OWS}}}BoundingBox', f'{{{OWS}}}WGS84BoundingBox',
                    f'{{{OWS20}}}BoundingBox', f'{{{OWS20}}}WGS84BoundingBox'):
            box = record.find(tag)
            if box is not None:
                return _ows_box(box)
        return None
    if kind == ISO:
        box = record.find('.//gmd:EX_GeographicBoundingBox', namespaces=_ISO)
        if box is None:
            return None
        try:
            west, south, east, north = (
                float(box.findtext(f'gmd:{n}/gco:Decimal', namespaces=_ISO))
                for n in ('westBoundLongitude', 'southBoundLatitude',
                          'eastBoundLongitude', 'northBoundLatitude'))
        except (TypeError, ValueError):
            return None
        return [west, south, east, north]
    return None


def _ows_box(box: etree._Element) -> Optional[list[float]]:
    try:
        lower = [float(v) for v in box.findtext(f'{{{etree.QName(box).namespace}}}LowerCorner')
                 .split()]
        upper = [float(v) for v in box.findtext(f'{{{etree.QName(box).namespace}}}UpperCorner')
                 .split()]
    except (AttributeError, ValueError):
        return None
    crs = box.get('crs', '')
    lat_first = 'WGS84BoundingBox' not in box.tag and (
        crs.endswith(':4326') or crs.endswith('/4326') or crs == '')
    if lat_first:  # EPSG:4326 axis order is lat, lon (as pycsw writes it)
        return [lower[1], lower[0], upper[1], upper[0]]
    return [lower[0], lower[1], upper[0], upper[1]]
