"""Dublin Core (csw:Record) rendering of a catalogue record.

This is the native document pycsw stores in its ``xml`` column and returns for
``ElementSetName=full`` in the CSW 2.0.2 output schema.  Status appears as
``dc:subject`` with ``scheme="urn:hubcat:def:status"`` (``online`` or
``offline:<reason>``); observed properties as ``dc:subject`` with scheme
``urn:hubcat:def:observedProperty``.
"""
from __future__ import annotations

from lxml import etree

from hubcat.records import CatalogRecord

NS = {
    'csw': 'http://www.opengis.net/cat/csw/2.0.2',
    'dc': 'http://purl.org/dc/elements/1.1/',
    'dct': 'http://purl.org/dc/terms/',
    'ows': 'http://www.opengis.net/ows',
}
STATUS_SCHEME = 'urn:hubcat:def:status'
OBSERVED_PROPERTY_SCHEME = 'urn:hubcat:def:observedProperty'
#: 'Air temperature, °F': the canonical property with the unit the record reports
MEASUREMENT_SCHEME = 'urn:hubcat:def:observedPropertyWithUnit'
UNIT_SCHEME = 'urn:hubcat:def:unit:UCUM'
UNIT_CONFLICT_SCHEME = 'urn:hubcat:def:unitConflict'


def vocabulary_of(uri: str) -> str:
    """The vocabulary a term URI belongs to: the URI without its last segment
    (``http://vocab.nerc.ac.uk/standard_name/air_temperature/`` ->
    ``http://vocab.nerc.ac.uk/standard_name/``)."""
    text = uri.rstrip('/#')
    cut = max(text.rfind('/'), text.rfind('#'))
    if text.lower().startswith('urn:') and cut < 0:
        cut = text.rfind(':')
    return text[:cut + 1] if cut > 0 else uri


def status_text(status: str, reason: str = '') -> str:
    """'online' or 'offline:<reason>' (the value clients see)."""
    return f'{status}:{reason}' if status == 'offline' and reason else status


def record_date(record: CatalogRecord, modified: str = '') -> str:
    """``dc:date`` of a record: its last change at the source (the newest observation of a
    Datastream or offering), else ``modified`` (the harvest that last saw it change)."""
    return record.time_end or modified or ''


def render_dc(record: CatalogRecord, status: str = 'online', reason: str = '',
              modified: str = '') -> str:
    """The full csw:Record document of a record, as text (``modified``: dct:modified)."""
    root = etree.Element(f'{{{NS["csw"]}}}Record', nsmap=NS)

    def add(tag: str, text, **attrs) -> None:
        if text is None or text == '':
            return
        prefix, local = tag.split(':')
        etree.SubElement(root, f'{{{NS[prefix]}}}{local}', **attrs).text = str(text)

    add('dc:identifier', record.identifier)
    add('dc:title', record.title)
    add('dc:type', record.dc_type)
    for keyword in record.keywords:
        add('dc:subject', keyword)
    for label in record.property_labels():
        add('dc:subject', label, scheme=OBSERVED_PROPERTY_SCHEME)
    for uri in record.property_uris():
        add('dc:subject', uri, scheme=vocabulary_of(uri))
    if any(m.label and m.unit_label for m in record.mediation):
        for display in record.property_displays():
            add('dc:subject', display, scheme=MEASUREMENT_SCHEME)
    for code in record.unit_codes():
        add('dc:subject', code, scheme=UNIT_SCHEME)
    for conflict in record.unit_conflicts():
        add('dc:subject', conflict, scheme=UNIT_CONFLICT_SCHEME)
    add('dc:subject', status_text(status, reason), scheme=STATUS_SCHEME)
    add('dc:format', 'application/json' if record.service_type == 'STA' else 'application/xml')
    add('dc:relation', record.parent_id)
    add('dc:date', record_date(record, modified))
    add('dct:modified', modified)
    add('dct:abstract', record.abstract)
    add('dc:publisher', record.organization)
    add('dc:source', record.service_url)
    if record.time_begin or record.time_end:
        add('dct:temporal', f'{record.time_begin or ".."}/{record.time_end or ".."}')
    for link in sorted(record.links, key=lambda l: not l.is_data):   # data links first
        add('dct:references', link.url, scheme=link.protocol)
    if record.bbox is not None:
        minx, miny, maxx, maxy = record.bbox
        box = etree.SubElement(root, f'{{{NS["ows"]}}}BoundingBox',
                               crs='urn:x-ogc:def:crs:EPSG:6.11:4326', dimensions='2')
        etree.SubElement(box, f'{{{NS["ows"]}}}LowerCorner').text = f'{miny} {minx}'
        etree.SubElement(box, f'{{{NS["ows"]}}}UpperCorner').text = f'{maxy} {maxx}'
    return etree.tostring(root, encoding='unicode')


def anytext(record: CatalogRecord, status: str, reason: str) -> str:
    """The free-text bag pycsw searches for csw:AnyText."""
    words = [record.identifier, record.title, record.abstract, *record.keywords,
             *record.observed_properties, *record.observed_property_labels,
             *record.search_words(), *record.unit_conflicts(), record.unit or '', record.service_url, record.service_type,
             record.organization or '', status_text(status, reason)]
    for values in record.slots.values():
        words.extend(str(v) for v in values)
    return ' '.join(w for w in words if w)
