"""ebRIM 3.0 rendering of HubCat records (the ebRIM-like STA/SOS profile).

Services become ``rim:Service``, everything else ``rim:ExtrinsicObject``, each
with a ``rim:Classification`` for its objectType, ``rim:Slot`` elements for what
the source says and for the catalogue state, and association rows become
``rim:Association``.

Every object is valid against OASIS rim.xsd 3.0 (with the CSW-ebRIM ``wrs`` schema):
a Slot whose value is longer than ebRIM's 256 characters (``LongName``) carries its
values as ``wrs:ValueList``/``wrs:AnyValue`` (no length limit) instead of
``rim:Value``; a Name or Description longer than 1024 characters (``FreeFormText``)
is cut (ending in "…") and its full text is the Slot ``urn:hubcat:slot:title`` /
``urn:hubcat:slot:description``; an ExternalIdentifier value longer than 256 is left
out (the source's link stays in its Slot).  Dublin Core and ISO keep every text whole.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from lxml import etree

from hubcat.records import SERVICE
from profiles.hubcat.rows import RowView

RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
WRS = 'http://www.opengis.net/cat/wrs/1.0'
GML = 'http://www.opengis.net/gml'
NSMAP = {'rim': RIM, 'wrs': WRS, 'gml': GML}
STATUS_SUBMITTED = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted'
CLASSIFICATION_SCHEME = 'urn:ogc:def:ebRIM-ClassificationScheme:OGC:ObjectType'
SLOT = 'urn:hubcat:slot:'
#: rim.xsd length limits: LongName (Slot name and rim:Value, ExternalIdentifier value,
#: Classification nodeRepresentation), FreeFormText (LocalizedString value)
LONG_NAME = 256
FREE_FORM_TEXT = 1024
URI_TYPE = 'urn:oasis:names:tc:ebxml-regrep:DataType:URI'
#: canonical observed properties (parameter dictionaries): nodeRepresentation is the
#: property's URI (its label when it has none)
PROPERTY_SCHEME = 'urn:hubcat:def:ebRIM-ClassificationScheme:ObservedProperty'


def _q(tag: str) -> str:
    prefix, local = tag.split(':')
    return f'{{{NSMAP[prefix]}}}{local}'


_SCHEME = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:')


def ref(identifier: str) -> str:
    """``identifier`` as an ebRIM reference (xs:anyURI): itself when it is a URI or a relative
    reference, else ``urn:hubcat:id:`` and its percent-encoded form (e.g. ``3e9a8c05:x``,
    whose "scheme" starts with a digit, or text with spaces)."""
    text = identifier or ''
    relative = ':' not in text.split('/')[0]
    if (relative or _SCHEME.match(text)) and not re.search(r'[\s<>"{}|\\^`]', text):
        return text
    return 'urn:hubcat:id:' + quote(text, safe='')


def sub_id(identifier: str, suffix: str) -> str:
    """The id of a part of a registry object (Classification, ExternalIdentifier, ...)."""
    base = ref(identifier)
    if not _SCHEME.match(base):
        base = 'urn:hubcat:id:' + quote(base, safe='')
    return f'{base}:{suffix}'


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters (cut ones end in "…")."""
    return text if len(text) <= limit else text[:limit - 1] + '…'


def _localized(parent, tag: str, value: str) -> None:
    el = etree.SubElement(parent, _q(tag))
    etree.SubElement(el, _q('rim:LocalizedString'), value=cut(value or '', FREE_FORM_TEXT))


def _slot(parent, name: str, values, slot_type: str = '') -> None:
    values = [str(v) for v in values if v not in (None, '')]
    if not values:
        return
    attrs = {'name': cut(name, LONG_NAME)}
    if slot_type:
        attrs['slotType'] = slot_type
    slot = etree.SubElement(parent, _q('rim:Slot'), **attrs)
    if any(len(v) > LONG_NAME for v in values):  # rim:Value is a LongName: wrs:AnyValue is not
        value_list = etree.SubElement(slot, f'{{{WRS}}}ValueList')
        for value in values:
            etree.SubElement(value_list, f'{{{WRS}}}AnyValue').text = value
        return
    value_list = etree.SubElement(slot, _q('rim:ValueList'))
    for value in values:
        etree.SubElement(value_list, _q('rim:Value')).text = value


def _envelope_slot(parent, bbox) -> None:
    slot = etree.SubElement(parent, _q('rim:Slot'), name=SLOT + 'footprint',
                            slotType='urn:ogc:def:dataType:ISO-19107:2003:GM_Envelope')
    wrs_list = etree.SubElement(slot, f'{{{WRS}}}ValueList')
    wrs_value = etree.SubElement(wrs_list, f'{{{WRS}}}AnyValue')
    env = etree.SubElement(wrs_value, f'{{{GML}}}Envelope', srsName='urn:ogc:def:crs:EPSG::4326')
    minx, miny, maxx, maxy = bbox
    etree.SubElement(env, f'{{{GML}}}lowerCorner').text = f'{miny} {minx}'
    etree.SubElement(env, f'{{{GML}}}upperCorner').text = f'{maxy} {maxx}'


def render_association(view: RowView) -> etree._Element:
    """A ``rim:Association`` for an association row."""
    return etree.Element(_q('rim:Association'), nsmap=NSMAP, id=ref(view.identifier),
                         lid=ref(view.identifier), associationType=view.assoc_type,
                         sourceObject=view.assoc_source, targetObject=view.assoc_target,
                         status=STATUS_SUBMITTED)


def render(view: RowView, esn: str = 'full') -> etree._Element:
    """The ebRIM element of one row (``rim:Service``, ``rim:ExtrinsicObject`` or ``rim:Association``).

    :param esn: ``brief`` (identity and type), ``summary`` or ``full`` (every slot)
    """
    if view.kind == 'association' or view.record is None:
        return render_association(view)
    rec = view.record
    tag = 'rim:Service' if rec.kind == SERVICE else 'rim:ExtrinsicObject'
    attrs = {'id': ref(rec.identifier), 'lid': ref(rec.identifier), 'objectType': rec.object_type,
             'status': STATUS_SUBMITTED}
    if tag == 'rim:ExtrinsicObject':
        attrs['mimeType'] = 'application/json' if rec.service_type == 'STA' else 'application/xml'
    node = etree.Element(_q(tag), nsmap=NSMAP, **attrs)
    if esn in ('summary', 'full'):
        _slot(node, SLOT + 'status', [view.status_text])
        _slot(node, SLOT + 'lastSeen', [view.last_seen], 'urn:oasis:names:tc:ebxml-regrep:DataType:DateTime')
        _slot(node, SLOT + 'statusChanged', [view.status_changed], 'urn:oasis:names:tc:ebxml-regrep:DataType:DateTime')
        _slot(node, SLOT + 'serviceType', [rec.service_type])
        _slot(node, SLOT + 'serviceURL', [rec.service_url])
        _slot(node, SLOT + 'serviceIdentifier', [rec.service_id])
        _slot(node, SLOT + 'thingIdentifier', [rec.thing_id])
        _slot(node, SLOT + 'parentIdentifier', [rec.parent_id])
        _slot(node, SLOT + 'observedProperty', rec.property_labels())
        _slot(node, SLOT + 'observedPropertyURI', rec.property_uris())
        if any(m.label and m.unit_label for m in rec.mediation):
            _slot(node, SLOT + 'observedPropertyLabel', rec.property_displays())
        _slot(node, SLOT + 'observedPropertyRaw', rec.observed_properties)
        _slot(node, SLOT + 'unitOfMeasurement', rec.unit_codes() if rec.mediation else [rec.unit])
        _slot(node, SLOT + 'unitLabel', [m.unit_label for m in rec.mediation])
        _slot(node, SLOT + 'unitOfMeasurementRaw', [m.raw_unit for m in rec.mediation])
        _slot(node, SLOT + 'unitConflict', rec.unit_conflicts())
        _slot(node, SLOT + 'phenomenonTimeBegin', [rec.time_begin])
        _slot(node, SLOT + 'phenomenonTimeEnd', [rec.time_end])
        _slot(node, 'http://purl.org/dc/elements/1.1/subject', rec.keywords)
        _slot(node, SLOT + 'dataLink', [l.url for l in rec.links if l.is_data], URI_TYPE)
        _slot(node, SLOT + 'onlineResource', [l.url for l in rec.links], URI_TYPE)
        if esn == 'full':
            for name in sorted(rec.slots):
                _slot(node, name, rec.slots[name])
        if len(rec.title or '') > FREE_FORM_TEXT:
            _slot(node, SLOT + 'title', [rec.title])
        if len(rec.abstract or '') > FREE_FORM_TEXT:
            _slot(node, SLOT + 'description', [rec.abstract])
        if rec.bbox is not None:
            _envelope_slot(node, rec.bbox)
    _localized(node, 'rim:Name', rec.title)
    if esn in ('summary', 'full') and rec.abstract:
        _localized(node, 'rim:Description', rec.abstract)
    etree.SubElement(node, _q('rim:VersionInfo'), versionName='1')
    etree.SubElement(node, _q('rim:Classification'), id=sub_id(rec.identifier, 'objectType'),
                     classificationScheme=CLASSIFICATION_SCHEME, classifiedObject=ref(rec.identifier),
                     nodeRepresentation=rec.object_type)
    nodes = dict.fromkeys(m.uri or m.label for m in rec.mediation if m.label)
    for n, representation in enumerate(nodes):
        etree.SubElement(node, _q('rim:Classification'), id=sub_id(rec.identifier, f'property:{n}'),
                         classificationScheme=PROPERTY_SCHEME, classifiedObject=ref(rec.identifier),
                         nodeRepresentation=cut(representation, LONG_NAME))
    source_id = str((rec.slots.get('@iot.selfLink') or rec.slots.get('identifier')
                     or [rec.identifier])[0])
    if esn in ('summary', 'full') and len(source_id) <= LONG_NAME:
        etree.SubElement(node, _q('rim:ExternalIdentifier'), id=sub_id(rec.identifier, 'source'),
                         registryObject=ref(rec.identifier),
                         identificationScheme='urn:hubcat:def:sourceIdentifier',
                         value=source_id)
    if rec.kind == SERVICE and esn in ('summary', 'full'):
        binding = etree.SubElement(node, _q('rim:ServiceBinding'), id=sub_id(rec.identifier, 'binding'),
                                   service=ref(rec.identifier), accessURI=rec.service_url)
        _localized(binding, 'rim:Name', f'{rec.service_type} endpoint')
    return node
