"""SensorML 1.0.1 and 2.0 descriptions (DescribeSensor answers) to plain details: pure functions.

:func:`sensorml_to_details` accepts a bare ``sml:SensorML`` (1.0.1), a bare
process element (``sml:System``, ``sml:PhysicalSystem``, ...) or either wrapped
in ``swes:DescribeSensorResponse`` (SOS 2.0).  :func:`apply_sensor_details`
enriches a procedure record with what the description says.
"""
from __future__ import annotations

import logging
from typing import Optional

from harvesters.base import HarvestError
from harvesters.gml import envelope_to_lonlat
from harvesters.sos_capabilities import (exception_message, is_meaningful_label, property_label,
                                         raw_text)
from hubcat.records import CatalogRecord

LOGGER = logging.getLogger(__name__)

SML1 = 'http://www.opengis.net/sensorML/1.0.1'
SML2 = 'http://www.opengis.net/sensorml/2.0'
SWES = 'http://www.opengis.net/swes/2.0'
XLINK = 'http://www.w3.org/1999/xlink'
PROCESS_TYPES = {'System', 'Component', 'ProcessModel', 'ProcessChain', 'PhysicalSystem',
                 'PhysicalComponent', 'SimpleProcess', 'AggregateProcess'}
_LONG_NAMES = ('longname', 'long name')
_SHORT_NAMES = ('shortname', 'short name')


def _local(tag) -> str:
    return tag.rpartition('}')[2] if isinstance(tag, str) else ''


def _ns(tag) -> str:
    return tag[1:].partition('}')[0] if isinstance(tag, str) and tag.startswith('{') else ''


def _text(element) -> str:
    return ' '.join((element.text or '').split()) if element is not None else ''


def _children(element, name: str) -> list:
    return [c for c in element if _local(c.tag) == name]


def _child(element, name: str):
    return next((c for c in element if _local(c.tag) == name), None)


def find_process(element):
    """The described process element (System, PhysicalSystem, ...) of a DescribeSensor answer.

    :raises HarvestError: for an ows:ExceptionReport or a document that is no SensorML
    """
    local = _local(element.tag)
    if local == 'ExceptionReport':
        raise HarvestError(f'DescribeSensor exception: {exception_message(element)}')
    if local == 'DescribeSensorResponse':
        data = next(iter(element.iter(f'{{{SWES}}}data')), None)
        inner = next((c for c in data if isinstance(c.tag, str)), None) if data is not None else None
        if inner is None:
            raise HarvestError('DescribeSensorResponse without a sensor description')
        return find_process(inner)
    if local in PROCESS_TYPES and _ns(element.tag) in (SML1, SML2):
        return element
    if local == 'SensorML' and _ns(element.tag) == SML1:
        for member in _children(element, 'member'):
            process = next((c for c in member if _local(c.tag) in PROCESS_TYPES), None)
            if process is not None:
                return process
        raise HarvestError('SensorML document without a described process')
    raise HarvestError(f'not a SensorML description (root element {local})')


def sensorml_to_details(element) -> dict:
    """What a SensorML 1.0.1 / 2.0 description says about its sensor, as plain data.

    :param element: root of a DescribeSensor answer (see :func:`find_process`)
    :returns: dict with ``version`` ('1.0.1' or '2.0'), ``unique_id``, ``long_name``,
        ``short_name``, ``description``, ``identifiers`` and ``classifiers`` (lists of
        {name, definition, value}), ``keywords``, ``position`` ((lon, lat) or None),
        ``contacts`` (list of {role, organization, individual, email}) and ``outputs``
        (list of {name, label, definition, uom}: ``label`` is the component's own
        swe:label or gml:name)
    :raises HarvestError: when the element is an exception or not SensorML
    """
    process = find_process(element)
    version = '2.0' if _ns(process.tag) == SML2 else '1.0.1'
    identifiers = _terms(process, 'identification', 'identifier')
    details = {
        'version': version,
        'unique_id': '',
        'long_name': _term_value(identifiers, _LONG_NAMES),
        'short_name': _term_value(identifiers, _SHORT_NAMES),
        'description': _text(_child(process, 'description')),
        'identifiers': identifiers,
        'classifiers': _terms(process, 'classification', 'classifier'),
        'keywords': [_text(kw) for holder in _children(process, 'keywords')
                     for kw in holder.iter('{*}keyword') if _text(kw)],
        'position': _position(process),
        'contacts': _contacts(process),
        'outputs': _outputs(process),
    }
    gml_id = raw_text(_child(process, 'identifier'))  # SensorML 2.0: gml:identifier
    details['unique_id'] = gml_id or _term_value(identifiers, ('uniqueid', 'stationid')) or ''
    if version == '2.0' and not details['long_name']:
        details['long_name'] = _text(_child(process, 'name'))
    return details


def _terms(process, list_name: str, item_name: str) -> list[dict]:
    terms = []
    for holder in _children(process, list_name):
        for item in holder.iter(f'{{*}}{item_name}'):
            term = _child(item, 'Term')
            if term is None:
                continue
            label = _text(_child(term, 'label'))
            terms.append({'name': item.get('name') or label,
                          'definition': term.get('definition', ''),
                          'value': raw_text(_child(term, 'value'))})
    return [t for t in terms if t['value']]


def _term_value(terms: list[dict], names: tuple) -> str:
    for term in terms:
        name = term['name'].lower().replace('_', ' ')
        definition = term['definition'].lower().rsplit(':', 1)[-1].rsplit('/', 1)[-1]
        if name in names or definition in names:
            return term['value']
    return ''


def _position(process) -> Optional[tuple[float, float]]:
    """(lon, lat) from sml:location / sml:position (gml:Point or swe:Position/Vector)."""
    for holder in process:
        if _local(holder.tag) not in ('location', 'position'):
            continue
        point = next(iter(holder.iter('{*}Point')), None)
        if point is not None:
            pos = next((p for p in point if _local(p.tag) in ('pos', 'coordinates')), None)
            numbers = (_text(pos).replace(',', ' ').split() if pos is not None else [])
            try:
                values = tuple(float(v) for v in numbers[:2])
            except ValueError:
                continue
            if len(values) == 2:
                srs = point.get('srsName') or pos.get('srsName') or 'urn:ogc:def:crs:EPSG::4326'
                box, _warning = envelope_to_lonlat(srs, values, values)
                if box:
                    return box[0], box[1]
        vector = next(iter(holder.iter('{*}Vector')), None)
        if vector is not None:
            lonlat = _vector_lonlat(vector)
            if lonlat:
                return lonlat
    return None


def _vector_lonlat(vector) -> Optional[tuple[float, float]]:
    lon = lat = None
    for coord in vector.iter('{*}coordinate'):
        name = (coord.get('name') or '').lower()
        quantity = next((q for q in coord if isinstance(q.tag, str)), None)
        axis = (quantity.get('axisID') or '').lower() if quantity is not None else ''
        value = next((v for v in coord.iter('{*}value')), None)
        try:
            number = float(_text(value))
        except (TypeError, ValueError):
            continue
        if name in ('longitude', 'lon', 'easting', 'x') or (not name and axis in ('lon', 'x')):
            lon = number
        elif name in ('latitude', 'lat', 'northing', 'y') or (not name and axis in ('lat', 'y')):
            lat = number
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def _contacts(process) -> list[dict]:
    contacts = []
    for holder in process:
        if _local(holder.tag) not in ('contact', 'contacts'):
            continue
        for party in holder.iter('{*}ResponsibleParty', '{*}CI_ResponsibleParty'):
            role = party.getparent().get(f'{{{XLINK}}}role') or holder.get(f'{{{XLINK}}}role') or ''
            code = next(iter(party.iter('{*}CI_RoleCode')), None)
            if code is not None:
                role = code.get('codeListValue') or _text(code) or role
            contacts.append({
                'role': role,
                'organization': _first_text(party, ('organizationName', 'organisationName')),
                'individual': _first_text(party, ('individualName',)),
                'email': _first_text(party, ('electronicMailAddress',)),
            })
    return [c for c in contacts if c['organization'] or c['individual'] or c['email']]


def _first_text(element, names: tuple) -> str:
    for node in element.iter():
        if _local(node.tag) in names:
            text = _text(node) or ''.join(_text(c) for c in node)  # gco:CharacterString
            if text:
                return text
    return ''


def _outputs(process) -> list[dict]:
    outputs = []
    for holder in _children(process, 'outputs'):
        for output in holder.iter('{*}output'):
            component = next((c for c in output if isinstance(c.tag, str)), None)
            if component is None:
                outputs.append({'name': output.get('name', ''), 'label': '', 'definition': '',
                                'uom': ''})
                continue
            uom = next(iter(component.iter('{*}uom')), None)
            label = next((c for c in component if _local(c.tag) in ('label', 'name')), None)
            outputs.append({
                'name': output.get('name', ''),
                'label': _text(label),
                'definition': component.get('definition', '') or
                component.get(f'{{{XLINK}}}href', ''),
                'uom': (uom.get('code') or uom.get(f'{{{XLINK}}}href') or '') if uom is not None else '',
            })
    return outputs


def output_label(output: dict) -> str:
    """The label of one SensorML output: the document's own label (swe:label, gml:name),
    else one derived from its definition, else its name; never a bare number (an output
    named ``6`` with the definition ``urn:...:6`` is labelled by its whole definition)."""
    derived = property_label(output['definition']) if output['definition'] else ''
    for candidate in (output.get('label', ''), derived, output['name']):
        if is_meaningful_label(candidate):
            return candidate
    return output['definition'] or output['name']


def apply_sensor_details(record: CatalogRecord, details: dict) -> CatalogRecord:
    """Enrich a procedure record (in place) with :func:`sensorml_to_details` output; returns it.

    Title becomes the long (then short) name, the abstract the description; keywords
    gain the SensorML keywords and classifier values; the position replaces the
    offering envelope; the first contact's organisation becomes the organisation;
    outputs add observed properties (labelled by :func:`output_label`) and their units
    (``unit`` joined for display, ``unitOfMeasurement`` one slot value each).
    """
    record.title = details['long_name'] or details['short_name'] or record.title
    if details['description']:
        record.abstract = details['description']
    extra = details['keywords'] + [c['value'] for c in details['classifiers']]
    record.keywords = list(dict.fromkeys(record.keywords + [k for k in extra if k]))
    if details['position']:
        lon, lat = details['position']
        record.bbox = (lon, lat, lon, lat)
    organisations = [c['organization'] for c in details['contacts'] if c['organization']]
    if organisations:
        record.organization = organisations[0]
    outputs = [o for o in details['outputs'] if o['definition']]
    record.observed_properties = list(dict.fromkeys(
        record.observed_properties + [o['definition'] for o in outputs]))
    record.observed_property_labels = list(dict.fromkeys(
        record.observed_property_labels + [output_label(o) for o in outputs]))
    units = list(dict.fromkeys(o['uom'] for o in details['outputs'] if o['uom']))
    slots = dict(record.slots)
    if units:
        record.unit = ', '.join(units)
        slots['unitOfMeasurement'] = units
    slots['sensorML'] = [details['version']]
    for key, values in (
            ('identifier', [f"{t['name'] or t['definition']}={t['value']}" for t in details['identifiers']]),
            ('classifier', [f"{t['name'] or t['definition']}={t['value']}" for t in details['classifiers']]),
            ('contact', ['|'.join((c['role'], c['organization'], c['individual'], c['email']))
                         for c in details['contacts']]),
            ('output', ['|'.join((o['name'], o['definition'], o['uom'])) for o in details['outputs']])):
        if values:
            slots[key] = values
    if details['unique_id']:
        slots['uniqueID'] = [details['unique_id']]
    record.slots = slots
    return record
