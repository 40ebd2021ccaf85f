"""HubCat's normalised record type: what harvesters produce and the catalogue stores.

A :class:`CatalogRecord` describes one registry object (a service, a Thing, a
Datastream, an SOS offering or procedure) independently of where it came from
and of how it is written out (Dublin Core, ISO 19139, ebRIM).  Harvesters build
them with pure functions; :mod:`hubcat.catalogue` stores them; the profile in
``profiles/`` renders them.  Status (online/offline) is *not* part of the
record: the catalogue owns it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Optional

# Kinds of registry object (the ``hc_kind`` column).
SERVICE = 'service'
THING = 'thing'
DATASTREAM = 'datastream'
OFFERING = 'offering'
PROCEDURE = 'procedure'
DATASET = 'dataset'    # the same data published by several services (hubcat.datasets)
KINDS = (SERVICE, THING, DATASTREAM, OFFERING, PROCEDURE, DATASET)

# ebRIM objectType classifications (ARCHITECTURE.md, "The sensor profile").
OT_STA_SERVICE = 'urn:ogc:serviceType:SensorThings'
OT_SOS_SERVICE = 'urn:ogc:serviceType:SensorObservationService'
OT_THING = 'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset:SensorThing'
OT_MEASUREMENT = 'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset:OGC-OM:2_0:OM_Measurement'
OT_DATASET = 'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset'
OT_SENSOR = 'urn:ogc:def:ebRIM-ObjectType:OGC:Sensor'

# Association types.
OPERATES_ON = 'urn:ogc:def:ebRIM-AssociationType:OGC:OperatesOn'
HAS_DATASTREAM = 'urn:ogc:def:ST-AssociationType:OGC:HasDataStream'
HAS_PROCEDURE = 'urn:ogc:def:ebRIM-AssociationType:OGC:HasProcedure'
#: a dataset record -> each Datastream / offering that publishes it (HubCat's own type)
HAS_MEMBER = 'urn:hubcat:def:ebRIM-AssociationType:HasMember'

# Names of the links that answer with observations (distribution links)
GET_OBSERVATION = 'GetObservation'      # a ready SOS GetObservation request of an offering
OBSERVATIONS = 'Observations'           # an STA Datastream's Observations
DATA_LINK_NAMES = (GET_OBSERVATION, OBSERVATIONS)

# Service types (the ``hc_service_type`` column and hubcat:ServiceType queryable).
STA = 'STA'
SOS = 'SOS'

# Dublin Core types (DCMI Type Vocabulary) per kind.
DCMI_TYPES = {
    SERVICE: 'Service',
    THING: 'PhysicalObject',
    PROCEDURE: 'PhysicalObject',
    DATASTREAM: 'Dataset',
    OFFERING: 'Dataset',
    DATASET: 'Dataset',
}


@dataclass
class Link:
    """An online resource of a record (a URL with a protocol and a name)."""
    url: str
    protocol: str = 'WWW:LINK'
    name: str = ''
    description: str = ''

    @property
    def is_data(self) -> bool:
        """True for a link that answers with observations (a distribution link: an SOS
        GetObservation request, an STA Datastream's Observations)."""
        return self.name in DATA_LINK_NAMES


@dataclass
class Association:
    """A typed link from the record that carries it to ``target`` (an identifier)."""
    type: str
    target: str


@dataclass
class PropertyMediation:
    """What the parameter dictionaries made of one raw observed property of a record.

    The raw values stay on the record as harvested; these sit beside them and are
    recomputed whenever a dictionary changes (:mod:`hubcat.dictionaries.apply`).

    :param raw_name: the name the source gives ('' when it gives only a URI)
    :param raw_uri: the definition URI/URN the source gives ('' when none)
    :param raw_unit: the unit as the source states it ('' when none)
    :param label: canonical label ('' when no dictionary entry matched)
    :param uri: canonical URI (CF standard name, NERC, QUDT, ...)
    :param unit_code: the unit as a UCUM code ('' when it could not be read as UCUM)
    :param unit_label: the unit as users read it (``°F``)
    :param conflict: why the unit contradicts the property ('' when it does not)
    """
    raw_name: str = ''
    raw_uri: str = ''
    raw_unit: str = ''
    label: str = ''
    uri: str = ''
    description: str = ''
    synonyms: list[str] = field(default_factory=list)
    unit_code: str = ''
    unit_label: str = ''
    dictionary: str = ''
    conflict: str = ''

    @property
    def raw(self) -> str:
        """The raw property as the source names it (its name, else its URI)."""
        return self.raw_name or self.raw_uri

    @property
    def display(self) -> str:
        """Label and unit as users read them: 'Air temperature, °F' (raw name when unmapped)."""
        label = self.label or self.raw
        return f'{label}, {self.unit_label}' if self.unit_label else label


@dataclass
class CatalogRecord:
    """One registry object, as harvested.

    :param identifier: deterministic identifier (same entity, same source -> same id)
    :param kind: one of :data:`KINDS`
    :param object_type: ebRIM objectType URN
    :param bbox: (minx, miny, maxx, maxy) in EPSG:4326 longitude/latitude order
    :param time_begin: phenomenon time begin (ISO 8601) or None
    :param time_end: phenomenon time end, the newest observation, or None
    :param observed_properties: raw observed property names/URIs (as the source says)
    :param slots: extra ebRIM slots, name -> list of values (``@iot.id``, ...)
    :param mediation: canonical property, unit and flags per raw property, set by the
        catalogue from the parameter dictionaries (empty as harvesters make records)
    """
    identifier: str
    kind: str
    object_type: str
    title: str
    abstract: str = ''
    keywords: list[str] = field(default_factory=list)
    service_type: str = ''
    service_url: str = ''
    service_id: str = ''
    parent_id: Optional[str] = None
    thing_id: Optional[str] = None
    bbox: Optional[tuple[float, float, float, float]] = None
    time_begin: Optional[str] = None
    time_end: Optional[str] = None
    observed_properties: list[str] = field(default_factory=list)
    observed_property_labels: list[str] = field(default_factory=list)
    unit: Optional[str] = None
    links: list[Link] = field(default_factory=list)
    slots: dict[str, list[str]] = field(default_factory=dict)
    associations: list[Association] = field(default_factory=list)
    organization: Optional[str] = None
    mediation: list[PropertyMediation] = field(default_factory=list)

    @property
    def dc_type(self) -> str:
        """The DCMI type of this record (``Service``, ``Dataset``, ``PhysicalObject``)."""
        return DCMI_TYPES.get(self.kind, 'Dataset')

    # ---- observed properties as users see them (canonical where a dictionary maps) ----
    def property_labels(self) -> list[str]:
        """Canonical labels, and the raw labels of properties no dictionary maps."""
        if not self.mediation:
            return list(self.observed_property_labels or self.observed_properties)
        return _unique(m.label or m.raw for m in self.mediation)

    def property_uris(self) -> list[str]:
        """Canonical URIs of the mapped properties."""
        return _unique(m.uri for m in self.mediation)

    def property_displays(self) -> list[str]:
        """Label and unit per property: 'Air temperature, °F'."""
        return _unique(m.display for m in self.mediation)

    def units(self) -> list[str]:
        """The units as the source gives them, one value each: the slot
        ``unitOfMeasurement`` (every unit of a MultiDatastream or of a SensorML
        description), else ``unit`` (which joins several for display)."""
        listed = [u for u in self.slots.get('unitOfMeasurement') or [] if u]
        if listed:
            return _unique(listed)
        return [u.strip() for u in self.unit.split(',') if u.strip()] if self.unit else []

    def unit_codes(self) -> list[str]:
        """Units as UCUM codes (the raw unit where it is not UCUM)."""
        codes = _unique(m.unit_code or m.raw_unit for m in self.mediation)
        return codes or self.units()

    def unit_values(self) -> list[str]:
        """What ``hubcat:Unit`` matches: the UCUM codes, then the units as the source
        writes them (``Cel``, ``degC``)."""
        raw = [m.raw_unit for m in self.mediation if m.raw_unit] or self.units()
        return _unique([*self.unit_codes(), *raw])

    def unit_conflicts(self) -> list[str]:
        """Why units contradict their properties (empty: none do)."""
        return _unique(m.conflict for m in self.mediation)

    def search_words(self) -> list[str]:
        """Canonical labels, synonyms, URIs and displays, for free-text search."""
        return _unique(w for m in self.mediation
                       for w in (m.label, *m.synonyms, m.uri, m.display, m.unit_code))

    def to_dict(self) -> dict:
        """A JSON-ready dict of the record (what ``dataclasses.asdict`` gives, built
        directly: asdict's deep recursion dominated harvests and re-applications)."""
        data = {}
        for name, value in self.__dict__.items():
            if isinstance(value, list):
                value = [_plain(v) for v in value]
            elif isinstance(value, dict):
                value = {k: list(v) if isinstance(v, list) else v for k, v in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            data[name] = value
        return data

    def to_json(self) -> str:
        """Canonical JSON of the record (sorted keys), as stored in ``hc_record``."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(',', ':'))

    def content_hash(self) -> str:
        """A hash of the record's content: equal hashes mean nothing changed."""
        return json_hash(self.to_json())

    @classmethod
    def from_dict(cls, data: dict) -> 'CatalogRecord':
        """Rebuild a record from :meth:`to_dict` output."""
        data = dict(data)
        data['links'] = [Link(**link) for link in data.get('links') or []]
        data['associations'] = [Association(**a) for a in data.get('associations') or []]
        data['mediation'] = [PropertyMediation(**m) for m in data.get('mediation') or []]
        if data.get('bbox') is not None:
            data['bbox'] = tuple(float(v) for v in data['bbox'])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> 'CatalogRecord':
        """Rebuild a record from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


def _plain(value):
    """A list item of a record as JSON-ready data (nested dataclasses as dicts)."""
    if hasattr(value, '__dataclass_fields__'):
        return {k: list(v) if isinstance(v, list) else v for k, v in value.__dict__.items()}
    return value


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def json_hash(text: str) -> str:
    """The content hash of a record's :meth:`CatalogRecord.to_json` text."""
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def make_identifier(*parts: str) -> str:
    """A deterministic identifier ``urn:hubcat:<kind>:<hash>`` from stable parts.

    The first part names the kind; the rest (source URL, entity id, ...) are
    hashed so that the same entity of the same source always gets the same id.
    """
    kind, rest = parts[0], parts[1:]
    digest = hashlib.sha1('\x1f'.join(str(p) for p in rest).encode('utf-8')).hexdigest()[:20]
    return f'urn:hubcat:{kind}:{digest}'


def union_bbox(boxes) -> Optional[tuple[float, float, float, float]]:
    """The envelope of several (minx, miny, maxx, maxy) boxes; None if there are none."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))
