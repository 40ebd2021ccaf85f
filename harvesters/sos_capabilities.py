"""SOS 1.0.0 / 2.0.0 GetCapabilities documents to HubCat records: pure functions, no I/O.

:func:`capabilities_to_records` turns a safely parsed capabilities tree into one
Service record, one record per offering and one per distinct procedure, linked by
associations (Service -OperatesOn-> offering -HasProcedure-> procedure).  The
version is read from the document's root namespace, never from the request.

Parsing is one pass over each offering's children with lxml (no XPath per field):
the 848-offering NDBC document maps in a few tens of milliseconds.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from harvesters.base import HarvestError
from harvesters.gml import envelope_to_lonlat, read_envelope, read_time
from hubcat.records import (GET_OBSERVATION, HAS_PROCEDURE, OFFERING, OPERATES_ON, OT_DATASET,
                            OT_SENSOR, OT_SOS_SERVICE, PROCEDURE, SERVICE, SOS, Association,
                            CatalogRecord, Link, make_identifier, union_bbox)
from hubcat.times import iso, parse_time

LOGGER = logging.getLogger(__name__)

SOS_NAMESPACES = {'http://www.opengis.net/sos/1.0': '1.0.0',
                  'http://www.opengis.net/sos/2.0': '2.0.0'}
XLINK_HREF = '{http://www.w3.org/1999/xlink}href'
GML_ID = ('{http://www.opengis.net/gml}id', '{http://www.opengis.net/gml/3.2}id')
SOS_PROTOCOL = 'OGC:SOS'
#: DescribeSensor format asked for when the capabilities advertise none
DEFAULT_SENSOR_FORMAT = {'1.0.0': 'text/xml;subtype="sensorML/1.0.1"',
                         '2.0.0': 'http://www.opengis.net/sensorML/1.0.1'}
#: the KVP parameter that carries the DescribeSensor format, per version
SENSOR_FORMAT_PARAM = {'1.0.0': 'outputFormat', '2.0.0': 'procedureDescriptionFormat'}
#: GetObservation format asked for when the offering advertises none
DEFAULT_OBSERVATION_FORMAT = {'1.0.0': 'text/xml;subtype="om/1.0.0"',
                              '2.0.0': 'http://www.opengis.net/om/2.0'}
OBSERVATION_FORMAT_MARK = {'1.0.0': 'om/1.0', '2.0.0': 'om/2.0'}
#: how much of an offering's data its GetObservation link asks for (up to its newest)
OBSERVATION_WINDOW = timedelta(days=1)
_PROTOCOL_PARAMS = {'service', 'request', 'version', 'acceptversions', 'sections'}
#: the KVP parameters of the protocol (not part of the endpoint's identity)
PROTOCOL_PARAMS = _PROTOCOL_PARAMS
_NO_PROPERTY = {'', 'none'}


@dataclass
class Offering:
    """What one ObservationOffering of a capabilities document says."""
    identifier: str
    name: str = ''
    description: str = ''
    procedures: list[str] = field(default_factory=list)
    observed_properties: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    related_features: list[str] = field(default_factory=list)
    response_formats: list[str] = field(default_factory=list)
    observation_types: list[str] = field(default_factory=list)
    procedure_formats: list[str] = field(default_factory=list)
    bbox: Optional[tuple[float, float, float, float]] = None
    envelope: str = ''
    time_begin: Optional[str] = None
    time_end: Optional[str] = None
    time_indeterminate: Optional[str] = None
    warning: str = ''


@dataclass
class ServiceInfo:
    """The ServiceIdentification, ServiceProvider and OperationsMetadata of a document."""
    version: str
    title: str = ''
    abstract: str = ''
    keywords: list[str] = field(default_factory=list)
    provider: str = ''
    provider_site: str = ''
    contact: str = ''
    fees: str = ''
    access_constraints: str = ''
    versions: list[str] = field(default_factory=list)
    operations: dict[str, str] = field(default_factory=dict)
    sensor_formats: list[str] = field(default_factory=list)


# ---- URLs ---------------------------------------------------------------------------
def normalise_sos_url(url: str) -> str:
    """The SOS endpoint without its protocol parameters (service, request, version, ...).

    Scheme and host are lower-cased, other query parameters (an API key, a path
    selector) are kept in order, a trailing ``?`` is dropped.
    """
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _PROTOCOL_PARAMS]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or '/',
                       urlencode(query), ''))


def requested_version(url: str) -> Optional[str]:
    """The SOS version a URL asks for (``version`` or ``AcceptVersions``), or None."""
    for key, value in parse_qsl(urlsplit(url.strip()).query):
        if key.lower() in ('version', 'acceptversions') and value.strip():
            return value.split(',')[0].strip()
    return None


def kvp_url(base: str, params: dict) -> str:
    """``base`` with KVP ``params`` appended (``?`` or ``&`` as needed)."""
    return base + ('&' if '?' in base else '?') + urlencode(params)


def describe_sensor_url(base: str, version: str, procedure: str, fmt: str) -> str:
    """KVP URL of a DescribeSensor request (the prefix is built once per base/version/format)."""
    return _describe_sensor_prefix(base, version, fmt) + quote(procedure, safe='')


@lru_cache(maxsize=64)
def _describe_sensor_prefix(base: str, version: str, fmt: str) -> str:
    params = describe_sensor_params(version, '', fmt)
    del params['procedure']
    return kvp_url(base, params) + '&procedure='


def describe_sensor_params(version: str, procedure: str, fmt: str) -> dict:
    """KVP parameters of a DescribeSensor request for one procedure."""
    return {'service': 'SOS', 'version': version, 'request': 'DescribeSensor',
            'procedure': procedure, SENSOR_FORMAT_PARAM[version]: fmt}


def get_observation_url(base: str, version: str, off: 'Offering') -> str:
    """A ready GetObservation KVP request for one offering: its observations of the last
    day it holds (when its phenomenon time has an end), in an O&M format it advertises.

    SOS 1.0 servers need the observed properties (all of the offering's, comma-separated)
    and take the time as ``eventTime``; SOS 2.0 takes ``temporalFilter``.
    """
    params = {'service': 'SOS', 'version': version, 'request': 'GetObservation',
              'offering': off.identifier,
              'responseFormat': choose_observation_format(off.response_formats, version)}
    if version == '1.0.0' and off.observed_properties:
        params['observedProperty'] = ','.join(off.observed_properties)
    window = last_day(off.time_end)
    if window and version == '1.0.0':
        params['eventTime'] = window
    elif window:
        params['temporalFilter'] = f'om:phenomenonTime,{window}'
    return kvp_url(base, params)


def choose_observation_format(formats: list[str], version: str) -> str:
    """The advertised O&M response format of the version, else the first advertised one,
    else the version's O&M default."""
    for fmt in formats:
        if OBSERVATION_FORMAT_MARK[version] in fmt.lower():
            return fmt
    return formats[0] if formats else DEFAULT_OBSERVATION_FORMAT[version]


def last_day(end: Optional[str]) -> Optional[str]:
    """``begin/end`` covering the day before ``end`` (ISO 8601), or None without an end."""
    stop = parse_time(end)
    return f'{iso(stop - OBSERVATION_WINDOW)}/{iso(stop)}' if stop else None


def choose_sensor_format(formats: list[str], version: str) -> str:
    """The first advertised SensorML format, else the version's SensorML 1.0.1 default."""
    for fmt in formats:
        if 'sensorml' in fmt.lower():
            return fmt
    return DEFAULT_SENSOR_FORMAT[version]


# ---- document type --------------------------------------------------------------------
def capabilities_version(root) -> str:
    """'1.0.0' or '2.0.0' from the root namespace; HarvestError for anything else.

    An ows:ExceptionReport gives its exception code and text in the message.
    """
    tag = root.tag if isinstance(root.tag, str) else ''
    namespace, _, local = tag[1:].partition('}') if tag.startswith('{') else ('', '', tag)
    if local == 'Capabilities' and namespace in SOS_NAMESPACES:
        return SOS_NAMESPACES[namespace]
    if local == 'ExceptionReport':
        raise HarvestError(f'the server answered with an exception: {exception_message(root)}')
    what = f'{local} ({namespace})' if namespace else local
    raise HarvestError(f'not an SOS 1.0/2.0 capabilities document (root element {what})')


def exception_message(root) -> str:
    """'code: text' of the first ows:Exception of an ExceptionReport (one line)."""
    exc = next(iter(root.iter('{*}Exception')), None)
    if exc is None:
        return 'no exception detail'
    texts = [' '.join((t.text or '').split()) for t in exc.iter('{*}ExceptionText')]
    detail = '; '.join(t for t in texts if t) or 'no text'
    locator = exc.get('locator')
    code = exc.get('exceptionCode', 'Exception') + (f' ({locator})' if locator else '')
    return f'{code}: {detail}'[:300]


# ---- parsing ----------------------------------------------------------------------------
_LOCAL_NAMES: dict = {}


def _local(tag) -> str:
    """Local name of an element tag (memoised: a document repeats a few dozen tags)."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition('}')[2] if isinstance(tag, str) else ''
        if isinstance(tag, str) and len(_LOCAL_NAMES) < 10000:
            _LOCAL_NAMES[tag] = name
    return name


def _text(element) -> str:
    """Text of an element with runs of whitespace collapsed: for labels and prose only."""
    return ' '.join((element.text or '').split()) if element is not None else ''


def raw_text(element) -> str:
    """Text of an element exactly as written, only its ends trimmed: for identifiers,
    property names and other values a server must get back byte for byte."""
    return (element.text or '').strip() if element is not None else ''


def _href_or_raw(element) -> str:
    """An element's xlink:href, else its text (both exact, ends trimmed)."""
    return (element.get(XLINK_HREF) or '').strip() or raw_text(element)


def _ows(parent, path: str):
    """First descendant along a '/'-separated path of OWS local names (any OWS version)."""
    node = parent
    for name in path.split('/'):
        node = next((c for c in node if _local(c.tag) == name), None) if node is not None else None
    return node


def parse_service(root, version: str) -> ServiceInfo:
    """Service identification, provider and operations of a capabilities document."""
    info = ServiceInfo(version=version)
    ident = _ows(root, 'ServiceIdentification')
    if ident is not None:
        for child in ident:
            name = _local(child.tag)
            if name == 'Title' and not info.title:
                info.title = _text(child)
            elif name == 'Abstract' and not info.abstract:
                info.abstract = _text(child)
            elif name == 'Keywords':
                for kw in child:
                    if _local(kw.tag) == 'Keyword':
                        info.keywords.extend(k.strip() for k in _text(kw).split(','))
            elif name == 'ServiceTypeVersion':
                info.versions.append(_text(child))
            elif name == 'Fees':
                info.fees = _text(child)
            elif name == 'AccessConstraints':
                info.access_constraints = _text(child)
    info.keywords = _unique(k for k in info.keywords if k)
    provider = _ows(root, 'ServiceProvider')
    if provider is not None:
        info.provider = _text(_ows(provider, 'ProviderName'))
        site = _ows(provider, 'ProviderSite')
        info.provider_site = site.get(XLINK_HREF, '') if site is not None else ''
        info.contact = _text(_ows(provider, 'ServiceContact/IndividualName'))
    operations = _ows(root, 'OperationsMetadata')
    for op in operations if operations is not None else ():
        if _local(op.tag) != 'Operation':
            continue
        get = next((e for e in op.iter('{*}Get')), None)
        info.operations[op.get('name', '')] = get.get(XLINK_HREF, '') if get is not None else ''
        if op.get('name') == 'DescribeSensor':
            for param in op:
                if _local(param.tag) == 'Parameter' and param.get('name', '').lower() in (
                        'outputformat', 'proceduredescriptionformat'):
                    info.sensor_formats.extend(raw_text(v) for v in param.iter('{*}Value'))
    return info


def parse_offerings(root, version: str, notices: Optional[list] = None) -> list[Offering]:
    """Every ObservationOffering of the document, in document order.

    :param notices: a list that receives one line per envelope that could not be
        read and per offering listed twice (the harvest still read everything)
    """
    namespace = next(ns for ns, v in SOS_NAMESPACES.items() if v == version)
    offerings: dict[str, Offering] = {}
    for element in root.iter(f'{{{namespace}}}ObservationOffering'):
        offering = _parse_offering(element)
        if not offering.identifier:
            offering.identifier = offering.name or f'offering-{len(offerings) + 1}'
        problem = offering.warning
        if offering.identifier in offerings:
            problem = 'listed twice; the first one is kept'
        else:
            offerings[offering.identifier] = offering
        if problem and notices is not None:
            notices.append(f'offering {offering.identifier}: {problem}')
    return list(offerings.values())


def _parse_offering(element) -> Offering:
    """One pass over an offering's children (SOS 1.0 and 2.0 names alike)."""
    off = Offering(identifier=next((element.get(a).strip() for a in GML_ID
                                    if (element.get(a) or '').strip()), ''))
    for child in element:
        name = _local(child.tag)
        if name == 'identifier':
            off.identifier = raw_text(child)
        elif name == 'name' and not off.name:
            off.name = raw_text(child)
        elif name == 'description' and not off.description:
            off.description = _text(child)
        elif name == 'procedure':
            off.procedures.append(_href_or_raw(child))
        elif name in ('observedProperty', 'observableProperty'):
            off.observed_properties.append(_property(child))
        elif name == 'featureOfInterest':
            off.features.append(_href_or_raw(child))
        elif name == 'relatedFeature':
            off.related_features.extend(_href_or_raw(t) for t in child.iter('{*}target'))
        elif name == 'responseFormat':
            off.response_formats.append(raw_text(child))
        elif name == 'observationType':
            off.observation_types.append(raw_text(child))
        elif name == 'procedureDescriptionFormat':
            off.procedure_formats.append(raw_text(child))
        elif name in ('observedArea', 'boundedBy'):
            srs, lower, upper = read_envelope(child)
            if lower and upper:
                off.envelope = ' '.join([srs or ''] + [repr(v) for v in lower + upper]).strip()
                off.bbox, warning = envelope_to_lonlat(srs, lower, upper)
                off.warning = warning or ''
        elif name in ('time', 'phenomenonTime'):
            off.time_begin, off.time_end, off.time_indeterminate = read_time(child)
    off.procedures = _unique(p for p in off.procedures if p)
    off.observed_properties = _unique(p for p in off.observed_properties
                                      if p.strip().lower() not in _NO_PROPERTY)
    off.features = _unique(f for f in off.features if f)
    off.related_features = _unique(f for f in off.related_features if f)
    return off


def _property(element) -> str:
    """An observed property's URI or name, exactly as the document gives it (ends trimmed)."""
    href = (element.get(XLINK_HREF) or '').strip()
    if href:
        return href
    for node in element:  # an inline swe:CompositePhenomenon / swe:Phenomenon
        for attr in GML_ID:
            if (node.get(attr) or '').strip():
                return node.get(attr).strip()
        return raw_text(next((n for n in node if _local(n.tag) == 'name'), None))
    return raw_text(element)


def _unique(values) -> list:
    return list(dict.fromkeys(values))


# ---- labels -------------------------------------------------------------------------
_TITLE_PIECE = re.compile(r'[A-Z][a-z]{2,}$')
_HAS_LETTER = re.compile(r'[^\W\d_]')


def split_camel(word: str) -> str:
    """``AirTemperature`` -> ``Air Temperature``, ``windSpeed`` -> ``wind Speed``; a word
    that is not cleanly camel-cased stays whole (``diFfuse``, ``mgL``, ``pH``, ``PM10``).

    A word is split only at lower-to-upper boundaries, and only when every piece is a
    word of three or more letters (the first may be lower-case, the others capitalised).
    """
    pieces = re.split(r'(?<=[a-z])(?=[A-Z])', word)
    if len(pieces) < 2:
        return word
    first, rest = pieces[0], pieces[1:]
    if not (len(first) >= 3 and first.isalpha() and (first.islower() or _TITLE_PIECE.match(first))):
        return word
    if not all(_TITLE_PIECE.match(p) for p in rest):
        return word
    return ' '.join(pieces)


@lru_cache(maxsize=4096)
def property_label(raw: str) -> str:
    """A short human label for an observed property URI/URN: its last path or colon
    segment, underscores turned into spaces and clean camelCase words split.

    ``http://mmisw.org/ont/cf/parameter/air_temperature`` -> ``air temperature``;
    ``AirTemperature`` -> ``Air Temperature``; ``diFfuse`` stays ``diFfuse``. A last
    segment without a letter (``urn:...:property:6``) says nothing: the whole value is
    the label then.
    """
    text = raw.strip().rstrip('/#')
    segment = re.split(r'[/#]', text)[-1] if '/' in text or '#' in text else text
    if segment.lower().startswith('urn:') or (':' in segment and ' ' not in segment):
        segment = segment.rsplit(':', 1)[-1]
    if not _HAS_LETTER.search(segment):
        return ' '.join(text.split())
    words = segment.replace('_', ' ').split()
    return ' '.join(split_camel(w) for w in words) or ' '.join(text.split())


def is_meaningful_label(label: str) -> bool:
    """False for an empty label or one without a letter (``6``, ``1.0``)."""
    return bool(label and _HAS_LETTER.search(label))


def offering_title(off: Offering) -> str:
    """Name, then description, then identifier; never empty.

    A name that is only a URN or URL (NDBC's ``urn:ioos:station:wmo:41012``) says
    less than the description (``40NM ENE of St Augustine, FL``): the description
    is then the title and the name stays in the identifier slot.
    """
    name_is_id = off.name.lower().startswith(('urn:', 'http://', 'https://'))
    if off.name and not (name_is_id and off.description):
        return off.name
    return off.description or off.name or off.identifier


# ---- records ------------------------------------------------------------------------
def capabilities_to_records(root, url: str, notices: Optional[list] = None,
                            source_name: Optional[str] = None) -> list[CatalogRecord]:
    """Map a capabilities document to records: Service first, then offerings, then procedures.

    :param root: the root element of a safely parsed GetCapabilities answer
    :param url: the source URL as registered (identifiers derive from its normalised form)
    :param notices: optional list receiving one line per value that could not be used
        (an envelope in an unknown CRS, an offering listed twice)
    :param source_name: the registered source's name, for the service title when the
        document has none (``<name> (SOS <version>)``)
    :raises HarvestError: when the document is not SOS 1.0/2.0 capabilities
    """
    version = capabilities_version(root)
    base = normalise_sos_url(url)
    info = parse_service(root, version)
    offerings = parse_offerings(root, version, notices)
    service_id = make_identifier('sos-service', base)
    off_records = [_offering_record(off, base, service_id, version) for off in offerings]
    proc_records = _procedure_records(offerings, info, base, service_id, version)
    service = _service_record(info, base, service_id, offerings, off_records, source_name)
    return [service] + off_records + proc_records


def _service_record(info: ServiceInfo, base: str, service_id: str, offerings: list[Offering],
                    off_records: list[CatalogRecord], source_name: Optional[str]) -> CatalogRecord:
    title = info.title or (f'{source_name} (SOS {info.version})' if source_name else
                           f'{info.provider} SOS' if info.provider else
                           f'SOS at {urlsplit(base).netloc or base}')
    begins = [o.time_begin for o in offerings if o.time_begin]
    ends = [o.time_end for o in offerings if o.time_end]
    live = any(o.time_indeterminate == 'now' for o in offerings)
    slots = {'serviceTypeVersion': info.versions, 'harvestedVersion': [info.version],
             'operation': list(info.operations), 'offeringCount': [str(len(offerings))]}
    for key, value in (('fees', info.fees), ('accessConstraints', info.access_constraints),
                       ('providerSite', info.provider_site), ('contact', info.contact)):
        if value:
            slots[key] = [value]
    return CatalogRecord(
        identifier=service_id, kind=SERVICE, object_type=OT_SOS_SERVICE, title=title,
        abstract=info.abstract, keywords=info.keywords, service_type=SOS, service_url=base,
        service_id=service_id, bbox=union_bbox(r.bbox for r in off_records),
        time_begin=min(begins) if begins else None,
        time_end=None if live or not ends else max(ends),
        links=[Link(kvp_url(base, {'service': 'SOS', 'request': 'GetCapabilities',
                                   'AcceptVersions': info.version}),
                    SOS_PROTOCOL, 'GetCapabilities', f'SOS {info.version} capabilities')],
        slots=slots, organization=info.provider or None,
        associations=[Association(OPERATES_ON, r.identifier) for r in off_records])


def _offering_record(off: Offering, base: str, service_id: str, version: str) -> CatalogRecord:
    labels = _unique(property_label(p) for p in off.observed_properties)
    slots = {'offering': [off.identifier], 'procedure': off.procedures,
             'responseFormat': _unique(off.response_formats),
             'observedProperty': off.observed_properties}
    for key, values in (('featureOfInterest', off.features),
                        ('relatedFeature', off.related_features),
                        ('observationType', _unique(off.observation_types)),
                        ('envelope', [off.envelope] if off.envelope else []),
                        ('phenomenonTimeEnd', [off.time_indeterminate] if
                         off.time_indeterminate and not off.time_end else [])):
        if values:
            slots[key] = values
    if off.name:
        slots['name'] = [off.name]
    return CatalogRecord(
        identifier=make_identifier('sos-offering', base, off.identifier), kind=OFFERING,
        object_type=OT_DATASET, title=offering_title(off),
        abstract=off.description if off.description != offering_title(off) else '',
        keywords=labels, service_type=SOS, service_url=base, service_id=service_id,
        parent_id=service_id, bbox=off.bbox, time_begin=off.time_begin, time_end=off.time_end,
        observed_properties=off.observed_properties, observed_property_labels=labels,
        links=[Link(get_observation_url(base, version, off), SOS_PROTOCOL, GET_OBSERVATION,
                    f'observations of {off.identifier}'
                    + (' on the last day it holds' if off.time_end else '')),
               Link(base, SOS_PROTOCOL, off.identifier, f'SOS {version} offering')],
        slots=slots,
        associations=[Association(HAS_PROCEDURE, make_identifier('sos-procedure', base, p))
                      for p in off.procedures])


def _procedure_records(offerings: list[Offering], info: ServiceInfo, base: str,
                       service_id: str, version: str) -> list[CatalogRecord]:
    """One record per distinct procedure.

    Its envelope, time and observed properties come from its *home* offerings:
    those that name it among the fewest procedures (a station's own offering
    rather than NDBC's 'network-all').
    """
    homes: dict[str, list[Offering]] = {}
    for off in offerings:
        for proc in off.procedures:
            homes.setdefault(proc, []).append(off)
    records = []
    for proc, offs in homes.items():
        fewest = min(len(o.procedures) for o in offs)
        home = [o for o in offs if len(o.procedures) == fewest]
        props = _unique(p for o in home for p in o.observed_properties)
        labels = _unique(property_label(p) for p in props)
        formats = _unique(f for o in offs for f in o.procedure_formats) or info.sensor_formats
        fmt = choose_sensor_format(formats, version)
        begins = [o.time_begin for o in home if o.time_begin]
        ends = [o.time_end for o in home if o.time_end]
        records.append(CatalogRecord(
            identifier=make_identifier('sos-procedure', base, proc), kind=PROCEDURE,
            object_type=OT_SENSOR, title=proc,
            abstract=f'Procedure of offering {", ".join(o.identifier for o in offs[:5])}'
                     + (f' and {len(offs) - 5} more' if len(offs) > 5 else ''),
            keywords=labels, service_type=SOS, service_url=base, service_id=service_id,
            parent_id=service_id, bbox=union_bbox(o.bbox for o in home),
            time_begin=min(begins) if begins else None,
            time_end=max(ends) if ends else None,
            observed_properties=props, observed_property_labels=labels,
            links=[Link(describe_sensor_url(base, version, proc, fmt),
                        SOS_PROTOCOL, 'DescribeSensor', f'SensorML description of {proc}')],
            slots={'procedure': [proc], 'offering': [o.identifier for o in offs],
                   'procedureDescriptionFormat': [fmt]}))
    return records
