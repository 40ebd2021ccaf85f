"""The catalogue writer: upserts harvested records and owns their online/offline status.

Status rules (ARCHITECTURE.md, "Online / offline"):

* ``online``: seen at the last successful harvest and, for kinds that carry
  observations (Datastreams, offerings), the newest observation is younger
  than the source's ``stale_after``;
* ``offline`` with reason ``removed`` (gone from the source), ``stale`` (no
  recent observation) or ``unreachable`` (the service did not answer).

Nothing here deletes a record except :meth:`Catalogue.delete_source_records`,
which only an explicit administrator request calls.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Optional

from sqlalchemy import bindparam, select

from hubcat import dublincore, external_ids, multivalue
from hubcat.db import get_engine, records_table
from hubcat.geometry import bbox_to_wkt
from hubcat.records import (DATASTREAM, HAS_PROCEDURE, OFFERING, PROCEDURE, THING, CatalogRecord,
                            json_hash, make_identifier)
from hubcat.search_indexes import clip_title
from hubcat.times import iso, parse_time, utcnow

LOGGER = logging.getLogger(__name__)

ONLINE, OFFLINE = 'online', 'offline'
REMOVED, STALE, UNREACHABLE = 'removed', 'stale', 'unreachable'
ASSOCIATION = 'association'
OBSERVATIONAL_KINDS = (DATASTREAM, OFFERING)
#: columns that are the catalogue's state of a record, not its content
STATE_COLUMNS = ('identifier', 'hc_source_id', 'hc_status', 'hc_status_reason', 'hc_last_seen')
SERVICE_TYPE_NAMES = {'STA': 'OGC:SensorThings', 'SOS': 'OGC:SOS'}


@dataclass
class SyncCounts:
    """What one sync did to the catalogue (registry objects only, not associations)."""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    went_offline: int = 0
    came_online: int = 0
    inserted: list = field(default_factory=list, repr=False)  # identifiers of added objects

    def as_dict(self) -> dict:
        """The counts as a plain dict."""
        return {'added': self.added, 'updated': self.updated, 'unchanged': self.unchanged,
                'went_offline': self.went_offline, 'came_online': self.came_online}


def observation_status(record: CatalogRecord, now: datetime, stale_after: int) -> tuple[str, str]:
    """(status, reason) of a record that was just seen, by its newest observation."""
    if record.kind not in OBSERVATIONAL_KINDS:
        return ONLINE, ''
    newest = parse_time(record.time_end)
    if newest is None:
        # an offering that names no time cannot be judged; a Datastream with none is silent
        return (ONLINE, '') if record.kind == OFFERING else (OFFLINE, STALE)
    if newest < now - timedelta(seconds=stale_after):
        return OFFLINE, STALE
    return ONLINE, ''


def derive_statuses(records: list[CatalogRecord], now: datetime,
                    stale_after: int) -> dict[str, tuple[str, str]]:
    """Status of every record of one successful harvest.

    A Thing is online when any of its Datastreams is (or it has none), else stale.
    An SOS procedure follows its own offerings the same way: online when any of them
    is, offline stale when all are (see :func:`own_offerings`).
    """
    statuses = {r.identifier: observation_status(r, now, stale_after) for r in records}
    children: dict[str, list[str]] = {}
    for rec in records:
        if rec.kind == DATASTREAM and rec.thing_id:
            children.setdefault(rec.thing_id, []).append(rec.identifier)
    children.update(own_offerings(records))
    for rec in records:
        if rec.kind in (THING, PROCEDURE) and children.get(rec.identifier):
            if not any(statuses[c][0] == ONLINE for c in children[rec.identifier]):
                statuses[rec.identifier] = (OFFLINE, STALE)
    return statuses


def own_offerings(records: list[CatalogRecord]) -> dict[str, list[str]]:
    """procedure identifier -> identifiers of its own offerings.

    Of the offerings that name a procedure (``HasProcedure``), its own are those that
    name the fewest procedures: a station's offering rather than NDBC's
    ``network-all``, which names all 847 stations and is live as long as any one is.
    These are also the offerings the procedure record takes its time and envelope from.
    """
    naming: dict[str, list[tuple[int, str]]] = {}
    for rec in records:
        if rec.kind != OFFERING:
            continue
        targets = [a.target for a in rec.associations if a.type == HAS_PROCEDURE]
        for target in targets:
            naming.setdefault(target, []).append((len(targets), rec.identifier))
    own = {}
    for procedure, offerings in naming.items():
        fewest = min(n for n, _id in offerings)
        own[procedure] = [identifier for n, identifier in offerings if n == fewest]
    return own


class Catalogue:
    """Reads and writes HubCat's rows of pycsw's records table.

    :param database_url: SQLAlchemy URL of the catalogue database
    :param table: pycsw's records table
    """

    def __init__(self, database_url: str, table: str = 'records',
                 dataset_mapping: Optional[str] = None):
        self.engine = get_engine(database_url)
        self.table = records_table(database_url, table)
        self.dataset_mapping = dataset_mapping   # path of the dataset mapping file, or None

    def refresh_datasets(self, conn, stamp: str) -> None:
        """Recompute the dataset records (:mod:`hubcat.datasets`) in ``conn``'s transaction."""
        from hubcat import datasets
        try:
            mapping = datasets.load_mapping(self.dataset_mapping)
        except datasets.MappingError as err:  # keep the datasets as they are, harvest on
            LOGGER.warning('datasets not recomputed: %s', err)
            return
        datasets.refresh(self, conn, mapping, stamp)

    # ---- writing -----------------------------------------------------------------
    def sync(self, source_id: int, records: Iterable[CatalogRecord], *, stale_after: int = 86400,
             complete: bool = True, now: Optional[datetime] = None) -> SyncCounts:
        """Store every record of one successful harvest of a source, as one batch.

        :param complete: when False (part of the source could not be read), records
            missing from ``records`` keep their status instead of going ``removed``
        :returns: counts of added, updated, unchanged, went offline, came back online
        """
        writer = self.writer(source_id, stale_after=stale_after, now=now)
        writer.write(records)
        return writer.finish(complete)

    def writer(self, source_id: int, *, stale_after: int = 86400, now: Optional[datetime] = None,
               before_write=None, before_commit=None):
        """A :class:`hubcat.sync_writer.SyncWriter` storing one harvest batch by batch.

        :param before_write: called before each write (e.g. the harvest lease's check)
        :param before_commit: called with the connection before each write commits
            (e.g. the harvest lease's renewal in the same transaction)
        """
        from hubcat.sync_writer import SyncWriter
        return SyncWriter(self, source_id, stale_after=stale_after, now=now,
                          before_write=before_write, before_commit=before_commit)

    def mediate(self, source_id: Optional[int], records: Iterable[CatalogRecord]
                ) -> list[CatalogRecord]:
        """The records with the parameter dictionaries applied (canonical properties, units)."""
        from hubcat.dictionaries.apply import mediate_all
        with self.engine.connect() as conn:
            return mediate_all(list(records), conn, source_id)

    def mark_unreachable(self, source_id: int, now: Optional[datetime] = None) -> int:
        """Mark every online record of a source offline (``unreachable``); keeps them all.

        :returns: how many registry objects went offline
        """
        stamp = iso(now or utcnow())
        t = self.table
        with self.engine.begin() as conn:
            rows = conn.execute(select(t.c.identifier, t.c.hc_kind).where(
                (t.c.hc_source_id == source_id) & (t.c.hc_status == ONLINE))).all()
            self._set_status(conn, [r.identifier for r in rows], OFFLINE, UNREACHABLE, stamp)
            self.refresh_datasets(conn, stamp)
        return sum(1 for r in rows if r.hc_kind != ASSOCIATION)

    def _set_status(self, conn, identifiers: list[str], status: str, reason: str, stamp: str) -> None:
        """Set one status on many rows; records get their DC document and free text redone."""
        t = self.table
        common = {'hc_status': status, 'hc_status_reason': reason, 'hc_status_changed': stamp}
        for chunk in _chunks(identifiers, 500):
            documents, bare = [], []
            for row in conn.execute(select(t.c.identifier, t.c.hc_record, t.c.date_modified)
                                    .where(t.c.identifier.in_(chunk))):
                if not row.hc_record:  # an association: no document to redo
                    bare.append(row.identifier)
                    continue
                record = CatalogRecord.from_json(row.hc_record)
                documents.append({
                    '_id': row.identifier,
                    'xml': dublincore.render_dc(record, status, reason, row.date_modified or ''),
                    'anytext': dublincore.anytext(record, status, reason)})
            if documents:
                conn.execute(t.update().where(t.c.identifier == bindparam('_id'))
                             .values(**common), documents)
            if bare:
                conn.execute(t.update().where(t.c.identifier.in_(bare)).values(**common))

    def delete_source_records(self, source_id: int) -> int:
        """Delete every record of a source (an explicit administrator request only)."""
        t = self.table
        with self.engine.begin() as conn:
            owned = select(t.c.identifier).where(t.c.hc_source_id == source_id)
            conn.execute(multivalue.values_table().delete().where(
                multivalue.values_table().c.identifier.in_(owned)))
            return conn.execute(t.delete().where(t.c.hc_source_id == source_id)).rowcount

    # ---- reading -----------------------------------------------------------------
    def get(self, identifier: str) -> Optional[dict]:
        """One row as a dict, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(
                self.table.c.identifier == identifier)).mappings().first()
            return dict(row) if row else None

    def briefs(self, identifiers: list[str]) -> list[dict]:
        """identifier, title and type of each given record that exists, in the given order."""
        t = self.table
        found = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(identifiers, 500):
                for row in conn.execute(select(t.c.identifier, t.c.title, t.c.type)
                                        .where(t.c.identifier.in_(chunk))).mappings():
                    found[row['identifier']] = dict(row)
        return [found[i] for i in identifiers if i in found]

    def rows(self, source_id: Optional[int] = None, kind: Optional[str] = None) -> list[dict]:
        """Rows (HubCat columns and title) of one source and/or kind."""
        t = self.table
        query = select(t.c.identifier, t.c.title, t.c.hc_kind, t.c.hc_status,
                       t.c.hc_status_reason, t.c.hc_last_seen, t.c.hc_status_changed,
                       t.c.hc_source_id, t.c.parentidentifier, t.c.hc_thing_id)
        if source_id is not None:
            query = query.where(t.c.hc_source_id == source_id)
        if kind is not None:
            query = query.where(t.c.hc_kind == kind)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def status_counts(self) -> list[dict]:
        """Counts of registry objects per source, status and reason."""
        from sqlalchemy import func
        t = self.table
        query = (select(t.c.hc_source_id, t.c.hc_status, t.c.hc_status_reason,
                        func.count().label('count'))
                 .where(t.c.hc_kind.isnot(None) & (t.c.hc_kind != ASSOCIATION))
                 .group_by(t.c.hc_source_id, t.c.hc_status, t.c.hc_status_reason))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # ---- row building --------------------------------------------------------------
    @classmethod
    def content_columns(cls, record: CatalogRecord, status: str, reason: str,
                        modified: str) -> dict:
        """The columns that follow a record's content (queryables, documents, hash), with
        ``date_modified`` = ``modified``: what changes when a dictionary re-applies."""
        row = cls._row(record, 0, status, reason, '')
        row['xml'] = cls._xml(row, modified)
        row['date_modified'] = modified
        return {k: v for k, v in row.items() if k not in STATE_COLUMNS}

    @staticmethod
    def _row(record: CatalogRecord, source_id: int, status: str, reason: str, stamp: str) -> dict:
        text = record.to_json()
        return {
            'identifier': record.identifier,
            'typename': 'csw:Record',
            'schema': 'http://www.opengis.net/cat/csw/2.0.2',
            'mdsource': record.service_url or 'local',
            'anytext': dublincore.anytext(record, status, reason),
            'language': 'en',
            'type': record.dc_type,
            'title': clip_title(record.title),
            'abstract': record.abstract or None,
            'keywords': ','.join(record.keywords) or None,
            'parentidentifier': record.parent_id,
            'relation': record.parent_id,
            'time_begin': record.time_begin,
            'time_end': record.time_end,
            'date': dublincore.record_date(record),  # completed by sync (last change)
            'format': 'application/json' if record.service_type == 'STA' else 'application/xml',
            'source': record.service_url or None,
            'organization': record.organization,
            'publisher': record.organization,
            'crs': 'urn:ogc:def:crs:EPSG::4326' if record.bbox else None,
            'wkt_geometry': bbox_to_wkt(record.bbox),
            'servicetype': SERVICE_TYPE_NAMES.get(record.service_type) if record.kind == 'service' else None,
            'operateson': ','.join(a.target for a in record.associations) or None
            if record.kind == 'service' else None,
            'links': '^'.join(','.join((l.name.replace(',', ' '), l.description.replace(',', ' '),
                                        l.protocol, l.url)) for l in record.links) or None,
            'hc_kind': record.kind,
            'hc_object_type': record.object_type,
            'hc_source_id': source_id,
            'hc_status': status,
            'hc_status_reason': reason,
            'hc_last_seen': stamp,
            'hc_observed_property': ','.join(record.property_labels()) or None,
            'hc_observed_property_uri': ','.join(record.property_uris()) or None,
            'hc_observed_property_raw': ','.join(record.observed_properties) or None,
            'hc_unit': ','.join(record.unit_values()) or None,
            'hc_service_type': record.service_type or None,
            'hc_service_url': record.service_url or None,
            'hc_service_id': record.service_id or None,
            'hc_thing_id': record.thing_id,
            'hc_external_ids': external_ids.column_value(external_ids.external_ids(record)),
            'hc_hash': json_hash(text),
            'hc_record': text,
        }

    @staticmethod
    def _association_row(record: CatalogRecord, assoc, source_id: int, stamp: str) -> dict:
        identifier = make_identifier('association', assoc.type, record.identifier, assoc.target)
        kind = assoc.type.rsplit(':', 1)[-1]
        digest = f'{assoc.type}|{record.identifier}|{assoc.target}'
        return {
            'identifier': identifier,
            'typename': 'rim:Association',
            'schema': 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
            'mdsource': record.service_url or 'local',
            'anytext': f'{kind} {record.identifier} {assoc.target}',
            'type': 'Association',
            'title': f'{record.identifier} {kind} {assoc.target}',
            'hc_kind': ASSOCIATION,
            'hc_object_type': 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
            'hc_source_id': source_id,
            'hc_status': ONLINE,
            'hc_status_reason': '',
            'hc_last_seen': stamp,
            'hc_service_id': record.service_id or None,
            'hc_service_type': record.service_type or None,
            'hc_assoc_type': assoc.type,
            'hc_assoc_source': record.identifier,
            'hc_assoc_target': assoc.target,
            'hc_hash': digest,
            'hc_record': None,
        }

    @staticmethod
    def _xml(row: dict, modified) -> str:
        if row.get('hc_record'):
            record = CatalogRecord.from_json(row['hc_record'])
            return dublincore.render_dc(record, row['hc_status'], row['hc_status_reason'],
                                        modified or '')
        return _association_xml(row)


def _association_xml(row: dict) -> str:
    from lxml import etree
    ns = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
    el = etree.Element(f'{{{ns}}}Association', nsmap={'rim': ns}, id=row['identifier'],
                       associationType=row['hc_assoc_type'],
                       sourceObject=row['hc_assoc_source'], targetObject=row['hc_assoc_target'])
    return etree.tostring(el, encoding='unicode')


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
