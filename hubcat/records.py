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
from dataclasses import asdict, dataclass, field
from typing import Optional

# Kinds of registry object (the ``hc_kind`` column).
SERVICE = 'service'
THING = 'thing'
DATASTREAM = 'datastream'
OFFERING = 'offering'
PROCEDURE = 'procedure'
KINDS = (SERVICE, THING, DATASTREAM, OFFERING, PROCEDURE)

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

    @property
    def dc_type(self) -> str:
        """The DCMI type of this record (``Service``, ``Dataset``, ``PhysicalObject``)."""
        return DCMI_TYPES.get(self.kind, 'Dataset')

    def to_dict(self) -> dict:
        """A JSON-ready dict of the record."""
        data = asdict(self)
        if self.bbox is not None:
            data['bbox'] = list(self.bbox)
        return data

    def to_json(self) -> str:
        """Canonical JSON of the record (sorted keys), as stored in ``hc_record``."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(',', ':'))

    def content_hash(self) -> str:
        """A hash of the record's content: equal hashes mean nothing changed."""
        return hashlib.sha1(self.to_json().encode('utf-8')).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> 'CatalogRecord':
        """Rebuild a record from :meth:`to_dict` output."""
        data = dict(data)
        data['links'] = [Link(**link) for link in data.get('links') or []]
        data['associations'] = [Association(**a) for a in data.get('associations') or []]
        if data.get('bbox') is not None:
            data['bbox'] = tuple(float(v) for v in data['bbox'])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> 'CatalogRecord':
        """Rebuild a record from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


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
