"""Pure functions from SensorThings API (STA) JSON to :class:`CatalogRecord` objects.

No I/O here: the harvester (:mod:`harvesters.sta`) fetches the documents and
hands the entities over with their expanded members already gathered:

* a Thing with ``Locations`` (the newest first), ``Datastreams`` and, where the
  server has them, ``MultiDatastreams``;
* a Datastream with ``Observations`` (the newest observation, when known) and
  its ObservedProperty and Sensor passed separately (some servers expand
  to-one relations wrongly, so the harvester gets them another way).

Every function works on STA 1.0 and 1.1 documents (integer or string ids,
absolute or relative navigation links, the ``values`` erratum of the 1.0 text).
"""
from __future__ import annotations

import functools
import json
import logging
import math
import re
from typing import Iterable, Iterator, Optional
from urllib.parse import urljoin, urlsplit, urlunsplit

from hubcat.records import (DATASTREAM, HAS_DATASTREAM, OBSERVATIONS, OPERATES_ON,
                            OT_MEASUREMENT, OT_STA_SERVICE, OT_THING, SERVICE, STA, THING,
                            Association, CatalogRecord, Link, make_identifier, union_bbox)
from hubcat.times import normalise_time

LOGGER = logging.getLogger(__name__)

PROTOCOL = 'OGC:STA'
OBJECT_TYPE_PREFIX = 'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset:'
_OM_TYPE = re.compile(r'/observationType/(OGC-OM)/(\d+)\.(\d+)/(\w+)/?$')
_VERSION = re.compile(r'/v(\d+\.\d+)(?:/|$)')

Box = tuple[float, float, float, float]


# ---- small helpers ---------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def normalise_root(url: str) -> str:
    """The canonical form of an STA service root: no query, no fragment, no trailing slash,
    lower-case scheme and host. Used for identifiers, so both spellings give the same ids."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip('/')
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, '', ''))


def root_with_slash(url: str) -> str:
    """The service root with exactly one trailing slash (the form relative links resolve on)."""
    return normalise_root(url) + '/'


def collection_items(doc: dict) -> list:
    """The entities of a collection response (``value``; ``values`` as in the 1.0 erratum)."""
    if not isinstance(doc, dict):
        return []
    items = doc.get('value')
    if items is None:
        items = doc.get('values')
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def iot_id(entity: dict) -> Optional[str]:
    """The entity's ``@iot.id`` as text (ids may be numbers or strings), or None."""
    value = entity.get('@iot.id', entity.get('id')) if isinstance(entity, dict) else None
    return None if value is None else str(value)


def dedupe(entities: Iterable[dict]) -> list[dict]:
    """Entities in order with repeats of the same ``@iot.id`` dropped (first one kept)."""
    seen, out = set(), []
    for entity in entities:
        key = iot_id(entity)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(entity)
    return out


def is_service_root(doc) -> bool:
    """True when ``doc`` looks like an STA service root document (it lists a Things set)."""
    return any(item.get('name') == 'Things' and isinstance(item.get('url'), str)
               for item in collection_items(doc))


def entity_sets(root_json: dict) -> dict[str, str]:
    """Entity set name -> URL, as the service root lists them."""
    return {item['name']: item['url'] for item in collection_items(root_json)
            if isinstance(item.get('name'), str) and isinstance(item.get('url'), str)}


def conformance(root_json: dict) -> list[str]:
    """The conformance classes the root declares (STA 1.1 ``serverSettings``)."""
    settings = root_json.get('serverSettings') if isinstance(root_json, dict) else None
    values = settings.get('conformance') if isinstance(settings, dict) else None
    return [str(v) for v in values] if isinstance(values, list) else []


def sta_version(root_url: str, root_json: Optional[dict] = None) -> str:
    """'1.0' or '1.1' (or what the URL says), from the root URL or its conformance list."""
    match = _VERSION.search(urlsplit(root_url).path + '/')
    if match:
        return match.group(1)
    if any('iot_sensing/1.1' in c for c in conformance(root_json or {})):
        return '1.1'
    return '1.0'


def _iso(text) -> Optional[str]:
    """ISO 8601 text normalised to UTC with a Z (sub-seconds kept); unreadable text as is."""
    return normalise_time(text, keep_fraction=True)


def time_interval(value) -> tuple[Optional[str], Optional[str]]:
    """(begin, end) of an STA time value: an instant ``t`` or an interval ``a/b``."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    if '/' in value:
        begin, _, end = value.partition('/')
        return _iso(begin), _iso(end)
    instant = _iso(value)
    return instant, instant


def newest_observation_time(entity: dict) -> Optional[str]:
    """The newest time among the expanded ``Observations`` of a Datastream.

    Each observation counts with the end of its ``phenomenonTime`` (its
    ``resultTime`` when it has none). The maximum is taken, so a server that
    ignores ``$orderby``/``$top`` still gives a right answer for what it sent.
    """
    times = []
    for obs in entity.get('Observations') or []:
        if not isinstance(obs, dict):
            continue
        end = time_interval(obs.get('phenomenonTime'))[1] or time_interval(obs.get('resultTime'))[1]
        if end:
            times.append(end)
    return max(times) if times else None


def _positions(coords) -> Iterator[tuple[float, float]]:
    """Every (x, y) position in a GeoJSON coordinates array, however deeply nested."""
    if isinstance(coords, (list, tuple)):
        if len(coords) >= 2 and all(isinstance(c, (int, float)) and not isinstance(c, bool)
                                    for c in coords[:2]):
            x, y = float(coords[0]), float(coords[1])
            if math.isfinite(x) and math.isfinite(y):
                yield x, y
            return
        for item in coords:
            yield from _positions(item)


def geojson_bbox(geometry) -> Optional[Box]:
    """The lon/lat envelope of a GeoJSON geometry, Feature or collection; None if it has no
    positions. A Point gives a degenerate box (x, y, x, y)."""
    if not isinstance(geometry, dict):
        return None
    kind = geometry.get('type')
    if kind == 'Feature':
        return geojson_bbox(geometry.get('geometry'))
    if kind == 'FeatureCollection':
        return union_bbox(geojson_bbox(f) for f in geometry.get('features') or [])
    if kind == 'GeometryCollection':
        return union_bbox(geojson_bbox(g) for g in geometry.get('geometries') or [])
    points = list(_positions(geometry.get('coordinates')))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def thing_bbox(thing: dict) -> Optional[Box]:
    """The envelope of a Thing's newest Location (the first one the server lists)."""
    for location in thing.get('Locations') or []:
        if isinstance(location, dict):
            box = geojson_bbox(location.get('location'))
            if box is not None:
                return box
    return None


def object_type(observation_type) -> str:
    """The ebRIM objectType a Datastream's ``observationType`` names (OM_Measurement if none).

    ``http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation`` ->
    ``urn:ogc:def:ebRIM-ObjectType:OGC:Dataset:OGC-OM:2_0:OM_CategoryObservation``.
    """
    match = _OM_TYPE.search(observation_type or '') if isinstance(observation_type, str) else None
    if not match:
        return OT_MEASUREMENT
    family, major, minor, name = match.groups()
    return f'{OBJECT_TYPE_PREFIX}{family}:{major}_{minor}:{name}'


def unit_label(uom) -> Optional[str]:
    """The unit of a ``unitOfMeasurement``: its symbol, else its name, else None."""
    if not isinstance(uom, dict):
        return None
    for key in ('symbol', 'name'):
        value = uom.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != 'null':
            return value.strip()
    return None


def _text(value) -> str:
    if value is None:
        return ''
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _unique(values: Iterable) -> list[str]:
    out = []
    for value in values:
        if isinstance(value, str):
            value = value.strip()
            if value and value not in out:
                out.append(value)
    return out


def property_keywords(properties) -> list[str]:
    """Keywords from an entity's ``properties``: explicit keyword/tag lists first, then the
    short text values (station code, network, operator, ...)."""
    if not isinstance(properties, dict):
        return []
    found = []
    explicit = ('keywords', 'keyword', 'tags')
    for key in explicit:
        value = properties.get(key)
        if isinstance(value, str):
            found.extend(value.split(','))
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    found.extend(v for k, v in properties.items()
                 if k not in explicit and isinstance(v, str) and len(v) <= 100)
    return _unique(found)


def _property_slots(properties) -> dict[str, list[str]]:
    if not isinstance(properties, dict):
        return {}
    return {f'properties/{key}': [_text(value)] for key, value in sorted(properties.items())
            if value is not None}


def _resolve(root_url: str, link) -> Optional[str]:
    return urljoin(root_with_slash(root_url), link) if isinstance(link, str) and link else None


#: navigation properties of each entity set (their links become slots even when expanded)
NAVIGATION = {
    'Things': ('Locations', 'HistoricalLocations', 'Datastreams'),
    'Datastreams': ('Thing', 'Sensor', 'ObservedProperty', 'Observations'),
    'MultiDatastreams': ('Thing', 'Sensor', 'ObservedProperties', 'Observations'),
}


def _navigation_slots(root_url: str, entity: dict, entity_set: str) -> dict[str, list[str]]:
    slots = {'@iot.id': [iot_id(entity)],
             '@iot.selfLink': [self_link(root_url, entity, entity_set)]}
    names = set(NAVIGATION.get(entity_set, ()))
    names.update(k[:-len('@iot.navigationLink')] for k in entity
                 if k.endswith('@iot.navigationLink'))
    for name in sorted(names):
        slots[f'{name}@iot.navigationLink'] = [navigation_link(root_url, entity, name, entity_set)]
    return slots


def self_link(root_url: str, entity: dict, entity_set: str) -> str:
    """The entity's self link, resolved; built from its ``@iot.id`` when absent."""
    link = _resolve(root_url, entity.get('@iot.selfLink'))
    if link:
        return link
    ident = entity.get('@iot.id')
    key = ident if isinstance(ident, (int, float)) else f"'{ident}'"
    return f'{root_with_slash(root_url)}{entity_set}({key})'


def navigation_link(root_url: str, entity: dict, name: str, entity_set: str) -> str:
    """The URL of an entity's ``name`` navigation property (built from its self link if absent)."""
    link = _resolve(root_url, entity.get(f'{name}@iot.navigationLink'))
    return link or f'{self_link(root_url, entity, entity_set)}/{name}'


# ---- identifiers -----------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def service_id(root_url: str) -> str:
    """Identifier of the service record of an STA root."""
    return make_identifier('sta-service', normalise_root(root_url))


def thing_id(root_url: str, thing_iot_id) -> str:
    """Identifier of a Thing of an STA root."""
    return make_identifier('sta-thing', normalise_root(root_url), str(thing_iot_id))


def datastream_id(root_url: str, datastream_iot_id, multi: bool = False) -> str:
    """Identifier of a Datastream (or MultiDatastream) of an STA root."""
    kind = 'sta-multidatastream' if multi else 'sta-datastream'
    return make_identifier(kind, normalise_root(root_url), str(datastream_iot_id))


# ---- records ---------------------------------------------------------------------
class ServiceSummary:
    """What the SERVICE record needs of a service's members, gathered batch by batch
    (a streaming harvest never holds every member): Thing ids, Datastream count, envelope."""

    def __init__(self, members: Iterable[CatalogRecord] = ()):
        self.things: list[str] = []
        self.datastreams = 0
        self.bbox: Optional[Box] = None
        self.add(members)

    def add(self, members: Iterable[CatalogRecord]) -> None:
        """Count more member records in."""
        for member in members:
            if member.kind == THING:
                self.things.append(member.identifier)
            elif member.kind == DATASTREAM:
                self.datastreams += 1
            if member.bbox is not None:
                self.bbox = union_bbox((self.bbox, member.bbox))


def service_record(root_url: str, root_json: dict, members,
                   title: Optional[str] = None, source_name: Optional[str] = None) -> CatalogRecord:
    """The SERVICE record of an STA root.

    :param root_url: the service root URL
    :param root_json: the service root document
    :param members: the Thing (and Datastream) records of the service, or their
        :class:`ServiceSummary`: the service operates on each Thing, and its envelope
        is the union of theirs
    :param title: a title to use instead of the generated one
    :param source_name: the registered source's name: the generated title is then
        ``<name> (SensorThings API <version>)`` rather than one naming host and path
    """
    summary = members if isinstance(members, ServiceSummary) else ServiceSummary(members)
    root = normalise_root(root_url)
    parts = urlsplit(root)
    version = sta_version(root_url, root_json)
    sets = entity_sets(root_json)
    slots = {'version': [version], 'entitySets': sorted(sets)}
    if conformance(root_json):
        slots['serverSettings/conformance'] = conformance(root_json)
    things = sorted(set(summary.things))
    return CatalogRecord(
        identifier=service_id(root),
        kind=SERVICE,
        object_type=OT_STA_SERVICE,
        title=title or (f'{source_name} (SensorThings API {version})' if source_name else
                        f'SensorThings API {version} at {parts.netloc}{parts.path}'),
        abstract=(f'OGC SensorThings API {version} service with {len(things)} Things and '
                  f'{summary.datastreams} Datastreams.'),
        keywords=['SensorThings API', 'STA', f'STA {version}'],
        service_type=STA,
        service_url=root,
        service_id=service_id(root),
        bbox=summary.bbox,
        links=[Link(url=root + '/', protocol=PROTOCOL, name='service root',
                    description=f'SensorThings API {version} service root')],
        slots=slots,
        associations=[Association(OPERATES_ON, ident) for ident in things],
    )


def thing_record(root_url: str, thing: dict) -> CatalogRecord:
    """The THING record of an STA Thing.

    :param thing: the Thing with its ``Locations`` (newest first) and, when expanded,
        its ``Datastreams``/``MultiDatastreams`` (the Thing has a HasDataStream
        association to each)
    """
    root = normalise_root(root_url)
    ident = thing_id(root, iot_id(thing))
    slots = _navigation_slots(root, thing, 'Things')
    slots.update(_property_slots(thing.get('properties')))
    location = next((loc for loc in thing.get('Locations') or [] if isinstance(loc, dict)), None)
    if location is not None:
        if location.get('name'):
            slots['location/name'] = [_text(location['name'])]
        if location.get('@iot.id') is not None:
            slots['location/@iot.id'] = [str(location['@iot.id'])]
    members = [datastream_id(root, iot_id(d)) for d in dedupe(thing.get('Datastreams') or [])]
    members += [datastream_id(root, iot_id(d), multi=True)
                for d in dedupe(thing.get('MultiDatastreams') or [])]
    properties = thing.get('properties') if isinstance(thing.get('properties'), dict) else {}
    return CatalogRecord(
        identifier=ident,
        kind=THING,
        object_type=OT_THING,
        title=_text(thing.get('name')) or f'Thing {iot_id(thing)}',
        abstract=_text(thing.get('description')),
        keywords=property_keywords(properties),
        service_type=STA,
        service_url=root,
        service_id=service_id(root),
        parent_id=service_id(root),
        bbox=thing_bbox(thing),
        links=[Link(url=self_link(root, thing, 'Things'), protocol=PROTOCOL, name='Thing'),
               Link(url=navigation_link(root, thing, 'Datastreams', 'Things'),
                    protocol=PROTOCOL, name='Datastreams')],
        slots=slots,
        associations=[Association(HAS_DATASTREAM, m) for m in sorted(members)],
        organization=organization_of(thing),
    )


def datastream_record(root_url: str, datastream: dict, thing: dict,
                      observed_property: Optional[dict] = None,
                      sensor: Optional[dict] = None) -> CatalogRecord:
    """The DATASTREAM record of an STA Datastream.

    :param datastream: the Datastream, with its newest ``Observations`` when known
    :param thing: its Thing (for the ids, the location and the keywords)
    :param observed_property: its ObservedProperty (else ``datastream['ObservedProperty']``)
    :param sensor: its Sensor (else ``datastream['Sensor']``)
    """
    prop = observed_property
    if prop is None:
        prop = datastream.get('ObservedProperty')
    props = [prop] if isinstance(prop, dict) else []
    uoms = [datastream.get('unitOfMeasurement')]
    return _stream_record(root_url, datastream, thing, props, uoms, sensor, multi=False)


def multidatastream_record(root_url: str, multidatastream: dict, thing: dict,
                           observed_properties: Optional[list] = None,
                           sensor: Optional[dict] = None) -> CatalogRecord:
    """The DATASTREAM record of an STA MultiDatastream (several observed properties and units).

    :param observed_properties: its ObservedProperties in order (else the expanded ones)
    """
    props = observed_properties if observed_properties is not None \
        else multidatastream.get('ObservedProperties')
    props = [p for p in props or [] if isinstance(p, dict)]
    uoms = multidatastream.get('unitOfMeasurements') or []
    return _stream_record(root_url, multidatastream, thing, props, uoms, sensor, multi=True)


def _stream_record(root_url: str, stream: dict, thing: dict, props: list[dict], uoms: list,
                   sensor: Optional[dict], multi: bool) -> CatalogRecord:
    root = normalise_root(root_url)
    entity_set = 'MultiDatastreams' if multi else 'Datastreams'
    sensor = sensor if sensor is not None else stream.get('Sensor')
    sensor = sensor if isinstance(sensor, dict) else {}
    begin, end = time_interval(stream.get('phenomenonTime'))
    newest = newest_observation_time(stream)
    units = _unique(unit_label(u) for u in uoms)
    prop_names = _unique(_text(p.get('name')) for p in props)
    prop_defs = _unique(_text(p.get('definition')) for p in props)
    thing_ident = thing_id(root, iot_id(thing))
    slots = _navigation_slots(root, stream, entity_set)
    slots.update(_property_slots(stream.get('properties')))
    extra = {
        'phenomenonDate': [newest or end],
        'phenomenonTime': [_text(stream.get('phenomenonTime')) or None],
        'unitOfMeasurement': units,
        'observedProperty': prop_names,
        'observedPropertyDefinition': prop_defs,
        'sensor': [_text(sensor.get('name')) or None],
        'sensorEncodingType': [_text(sensor.get('encodingType')) or None],
        'sensorMetadata': [_text(sensor.get('metadata')) or None],
        'observationType': [_text(stream.get('observationType')) or None],
        'multiObservationDataTypes': [_text(t) for t in
                                      stream.get('multiObservationDataTypes') or []],
        'thing': [_text(thing.get('name')) or None],
        'thing/@iot.id': [iot_id(thing)],
    }
    for unit_key in ('name', 'symbol', 'definition'):
        extra[f'unitOfMeasurement/{unit_key}'] = _unique(
            _text(u.get(unit_key)) for u in uoms if isinstance(u, dict))
    slots.update({k: [v for v in vals if v] for k, vals in extra.items() if any(vals)})
    return CatalogRecord(
        identifier=datastream_id(root, iot_id(stream), multi=multi),
        kind=DATASTREAM,
        object_type=object_type(stream.get('observationType')),
        title=_text(stream.get('name')) or f'{entity_set[:-1]} {iot_id(stream)}',
        abstract=_text(stream.get('description')),
        keywords=_unique(prop_names + [_text(sensor.get('name'))] + [_text(thing.get('name'))]
                         + property_keywords(thing.get('properties'))),
        service_type=STA,
        service_url=root,
        service_id=service_id(root),
        parent_id=thing_ident,
        thing_id=thing_ident,
        bbox=geojson_bbox(stream.get('observedArea')) or thing_bbox(thing),
        time_begin=begin,
        time_end=end or newest,
        observed_properties=_unique(prop_names + prop_defs),
        observed_property_labels=prop_names,
        unit=', '.join(units) if units else None,
        links=[Link(url=self_link(root, stream, entity_set), protocol=PROTOCOL,
                    name=entity_set[:-1]),
               Link(url=navigation_link(root, stream, 'Observations', entity_set),
                    protocol=PROTOCOL, name=OBSERVATIONS,
                    description=f'the observations of this {entity_set[:-1]} (JSON)')],
        slots=slots,
        organization=organization_of(thing),
    )


def organization_of(thing: dict) -> Optional[str]:
    """The organisation a Thing names in its properties (``operator`` or ``organization``)."""
    properties = thing.get('properties') if isinstance(thing.get('properties'), dict) else {}
    return _text(properties.get('operator') or properties.get('organization')) or None
