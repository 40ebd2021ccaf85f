"""Dataset records: one record for the same data published by several services.

When a station's observed property is published through both an STA source (a
Datastream) and an SOS source (an offering), HubCat links the two with a
*dataset* record (the I15 model): kind ``dataset``, ISO hierarchyLevel ``dataset``,
ebRIM ``ExtrinsicObject`` of objectType ``urn:ogc:def:ebRIM-ObjectType:OGC:Dataset``,
an ``OperatesOn`` association from each service to it, ``srv:operatesOn`` in each
service's ISO document and a ``HasMember`` association from it to each Datastream
and offering.  A client lists the data once, then picks a service.

Matching rules (docs/datasets.md):

* station: an STA Datastream's Thing name; an SOS offering's title (its name, else
  its description, else its identifier), compared case-insensitively with runs of
  white space as one space;
* property: the canonical observed property label (the parameter dictionaries'
  label, else the raw name), compared the same way;
* a (station, property) key found on both an STA and an SOS source makes a dataset;
* the optional mapping file (``[hubcat] dataset_mapping``) pairs stations named
  differently: its SOS station name counts as its STA station name.

Datasets are recomputed after every harvest, in the harvest's own transaction.
Like every record they are never dropped: a dataset that stops matching goes
``offline`` with reason ``removed`` (and its associations with it).
"""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from hubcat import multivalue
from hubcat.records import (DATASET, DATASTREAM, HAS_MEMBER, OFFERING, OPERATES_ON, OT_DATASET,
                            SERVICE, Association, CatalogRecord, make_identifier, union_bbox)

PREFIX = 'urn:hubcat:dataset:'
ONLINE, OFFLINE, REMOVED, STALE = 'online', 'offline', 'removed', 'stale'


class MappingError(ValueError):
    """The dataset mapping file cannot be read."""


def normalise(text: str) -> str:
    """A name as matching compares it: case-folded, white space runs as one space."""
    return re.sub(r'\s+', ' ', text or '').strip().casefold()


def load_mapping(path: Optional[str]) -> dict[str, str]:
    """Normalised SOS station name -> normalised STA station name, from a YAML file::

        datasets:
          - sta: Dernau          # the STA Thing name
            sos: Pegel Dernau    # the SOS offering title (name or identifier)

    :raises MappingError: the file is missing or malformed
    """
    if not path:
        return {}
    import yaml
    try:
        with open(path, encoding='utf-8') as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f'dataset mapping {path}: {err}') from err
    pairs = data.get('datasets') if isinstance(data, dict) else None
    if not isinstance(pairs, list) or not all(
            isinstance(p, dict) and p.get('sta') and p.get('sos') for p in pairs):
        raise MappingError(f'dataset mapping {path}: expected "datasets:" with a list of '
                           '{sta: <station>, sos: <station>} pairs')
    return {normalise(str(p['sos'])): normalise(str(p['sta'])) for p in pairs}


def _labels(joined: Optional[str]) -> list[str]:
    return [label.strip() for label in (joined or '').split(',') if label.strip()]


def _candidates(conn, table, mapping: dict[str, str]) -> dict[tuple, dict]:
    """(station, property) -> {'sta': [...], 'sos': [...], 'station': str, 'label': str}.

    Members that went offline ``removed`` no longer match.
    """
    t = table
    thing = aliased(t)
    live = or_(t.c.hc_status_reason.is_(None), t.c.hc_status_reason != REMOVED)
    keys: dict[tuple, dict] = {}

    def add(side, row, station, display):
        for label in _labels(row.hc_observed_property):
            key = (station, normalise(label))
            entry = keys.setdefault(key, {'sta': [], 'sos': [], 'station': display,
                                          'label': label})
            if side == 'sta':
                entry['station'], entry['label'] = display, label
            entry[side].append(row)

    sta = (select(t.c.identifier, t.c.hc_observed_property, t.c.hc_service_id, t.c.hc_status,
                  t.c.hc_status_reason, thing.c.title.label('station'))
           .join(thing, thing.c.identifier == t.c.hc_thing_id)
           .where(and_(t.c.hc_kind == DATASTREAM, live)))
    for row in conn.execute(sta):
        add('sta', row, normalise(row.station), row.station)
    sos = (select(t.c.identifier, t.c.hc_observed_property, t.c.hc_service_id, t.c.hc_status,
                  t.c.hc_status_reason, t.c.title.label('station'))
           .where(and_(t.c.hc_kind == OFFERING, live)))
    for row in conn.execute(sos):
        station = normalise(row.station)
        add('sos', row, mapping.get(station, station), row.station)
    return keys


def _has_any(conn, table, condition) -> bool:
    return conn.execute(select(table.c.identifier).where(condition).limit(1)).first() is not None


def desired_datasets(conn, table, mapping: dict[str, str]) -> list[tuple[CatalogRecord, str, str]]:
    """The dataset records the stored Datastreams and offerings call for, with
    (status, reason): online when any member is, else offline with the members' reason
    when they share one (``unreachable``), else ``stale``."""
    found = []
    for (station, prop), entry in sorted(_candidates(conn, table, mapping).items()):
        if not entry['sta'] or not entry['sos']:
            continue
        members = entry['sta'] + entry['sos']
        member_ids = sorted(r.identifier for r in members)
        records = {r.identifier: CatalogRecord.from_json(r.hc_record) for r in conn.execute(
            select(table.c.identifier, table.c.hc_record)
            .where(table.c.identifier.in_(member_ids)))}
        services = sorted(dict.fromkeys(r.hc_service_id for r in members if r.hc_service_id))
        service_types = sorted({records[i].service_type for i in member_ids if i in records})
        begins = [r.time_begin for r in records.values() if r.time_begin]
        ends = [r.time_end for r in records.values() if r.time_end]
        title = f"{entry['station']}: {entry['label']}"
        record = CatalogRecord(
            identifier=make_identifier('dataset', station, prop), kind=DATASET,
            object_type=OT_DATASET, title=title,
            abstract=f"{entry['label']} at {entry['station']}, published by "
                     f"{len(services)} services ({', '.join(service_types)}).",
            keywords=[entry['station'], entry['label']],
            bbox=union_bbox(r.bbox for r in records.values()),
            time_begin=min(begins) if begins else None, time_end=max(ends) if ends else None,
            observed_properties=[entry['label']], observed_property_labels=[entry['label']],
            links=[link for i in member_ids if i in records for link in records[i].links
                   if link.is_data],
            slots={'station': [entry['station']], 'service': services, 'member': member_ids,
                   'serviceType': service_types},
            associations=[Association(HAS_MEMBER, i) for i in member_ids])
        found.append((record, *_status(members)))
    return found


def _status(members) -> tuple[str, str]:
    if any(r.hc_status == ONLINE for r in members):
        return ONLINE, ''
    reasons = {r.hc_status_reason or STALE for r in members}
    return OFFLINE, reasons.pop() if len(reasons) == 1 else STALE


def refresh(catalogue, conn, mapping: dict[str, str], stamp: str) -> None:
    """Recompute the dataset records in ``conn``'s transaction (after a harvest).

    :param catalogue: the :class:`~hubcat.catalogue.Catalogue` (its table and row builders)
    """
    t = catalogue.table
    if not _has_any(conn, t, t.c.hc_kind == DATASET) and not (
            _has_any(conn, t, t.c.hc_kind == DATASTREAM) and _has_any(conn, t, t.c.hc_kind == OFFERING)):
        return
    datasets = desired_datasets(conn, t, mapping)
    rows, by_id = [], {}
    for record, status, reason in datasets:
        by_id[record.identifier] = record
        rows.append(catalogue._row(record, None, status, reason, stamp))
        rows += [catalogue._association_row(record, a, None, stamp) for a in record.associations]
        for service_id in record.slots['service']:
            service = CatalogRecord(identifier=service_id, kind=SERVICE, object_type='', title='',
                                    service_id=service_id)
            rows.append(catalogue._association_row(
                service, Association(OPERATES_ON, record.identifier), None, stamp))
    owned = or_(t.c.hc_kind == DATASET,
                and_(t.c.hc_kind == 'association', t.c.hc_assoc_type == HAS_MEMBER),
                and_(t.c.hc_kind == 'association', t.c.hc_assoc_type == OPERATES_ON,
                     t.c.hc_assoc_target.like(PREFIX + '%')))
    existing = {r.identifier: r for r in conn.execute(
        select(t.c.identifier, t.c.hc_hash, t.c.hc_status, t.c.hc_status_reason, t.c.insert_date,
               t.c.date_modified, t.c.hc_status_changed).where(owned))}
    _write(catalogue, conn, rows, existing, by_id, stamp)
    gone = [i for i, old in existing.items() if i not in {r['identifier'] for r in rows}
            and (old.hc_status, old.hc_status_reason) != (OFFLINE, REMOVED)]
    catalogue._set_status(conn, gone, OFFLINE, REMOVED, stamp)
    _link_services(catalogue, conn, datasets)


def _write(catalogue, conn, rows: list[dict], existing: dict, by_id: dict, stamp: str) -> None:
    """Insert new rows, update changed ones (content or status)."""
    from sqlalchemy import bindparam
    t = catalogue.table
    inserts, updates = [], []
    for row in rows:
        old = existing.get(row['identifier'])
        if old is None:
            row.update(insert_date=stamp, date_modified=stamp, hc_status_changed=stamp)
            row['xml'] = catalogue._xml(row, stamp)
            inserts.append(row)
            continue
        status_changed = (old.hc_status, old.hc_status_reason or '') != \
            (row['hc_status'], row['hc_status_reason'])
        if old.hc_hash == row['hc_hash'] and not status_changed:
            continue
        row['insert_date'] = old.insert_date
        row['date_modified'] = stamp if old.hc_hash != row['hc_hash'] else old.date_modified
        row['hc_status_changed'] = stamp if status_changed else old.hc_status_changed
        row['xml'] = catalogue._xml(row, row['date_modified'])
        updates.append(row)
    for batch in (inserts, updates):
        columns = set().union(*batch) if batch else set()
        batch[:] = [{c: row.get(c) for c in columns} for row in batch]
    if inserts:
        conn.execute(t.insert(), inserts)
    if updates:
        conn.execute(t.update().where(t.c.identifier == bindparam('_id')),
                     [dict(row, _id=row['identifier']) for row in updates])
    values = [(row['identifier'], multivalue.record_values(by_id[row['identifier']]))
              for row in inserts + updates if row['identifier'] in by_id]
    multivalue.write_values(conn, values, replace=True, records=t)


def _link_services(catalogue, conn, datasets) -> None:
    """Each service's ``operateson`` column: its own targets, then its live datasets
    (what the ISO writer turns into ``srv:operatesOn``)."""
    from sqlalchemy import bindparam
    t = catalogue.table
    wanted: dict[str, list[str]] = {}
    for record, _status, _reason in datasets:
        for service_id in record.slots['service']:
            wanted.setdefault(service_id, []).append(record.identifier)
    query = select(t.c.identifier, t.c.operateson, t.c.hc_record).where(and_(
        t.c.hc_kind == SERVICE,
        or_(t.c.identifier.in_(sorted(wanted)), t.c.operateson.like('%' + PREFIX + '%'))))
    updates, values = [], []
    for row in conn.execute(query):
        service = CatalogRecord.from_json(row.hc_record)
        own = [a.target for a in service.associations]
        joined = ','.join(own + wanted.get(row.identifier, [])) or None
        if joined != row.operateson:
            updates.append({'_id': row.identifier, 'operateson': joined})
            values.append((row.identifier, multivalue.record_values(service)
                           + [('operateson', d) for d in wanted.get(row.identifier, [])]))
    if updates:
        conn.execute(t.update().where(t.c.identifier == bindparam('_id')), updates)
        multivalue.write_values(conn, values, replace=True, records=t)


def dataset_operates_on(operateson: Optional[str], own: list[str]) -> list[str]:
    """The dataset identifiers of a service row's ``operateson`` column beyond its own targets."""
    return [i for i in (operateson or '').split(',') if i.startswith(PREFIX) and i not in own]
