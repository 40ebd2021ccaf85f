"""Applying the dictionaries to records: at every harvest, and again to every stored
record whenever a dictionary is loaded or removed.

A record keeps its raw observed properties and unit as harvested; :func:`mediate`
sets its ``mediation`` (one :class:`~hubcat.records.PropertyMediation` per raw
property: canonical label, URI, UCUM unit, unit conflict) from scratch, so applying
twice or after a removal gives what the current dictionaries say.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Iterable, Optional

from sqlalchemy import bindparam, select

from hubcat.dictionaries.matching import Matcher
from hubcat.dictionaries.model import last_segment, normalise_name
from hubcat.dictionaries.store import DictionaryStore
from hubcat.dictionaries.units import compatible, dimension_of
from hubcat.records import DATASET, PROCEDURE, THING, CatalogRecord, PropertyMediation

LOGGER = logging.getLogger(__name__)
UNIT_KEYS = ('symbol', 'name', 'definition')


def _key(raw: str) -> str:
    """A name or URI compared by its last segment, case- and space-insensitively."""
    return normalise_name(last_segment(raw) or raw)


def raw_properties(record: CatalogRecord) -> list[tuple[str, str]]:
    """(name, definition URI) of each raw observed property of a record.

    Harvesters give names (``observed_property_labels``) and names plus definitions
    (``observed_properties``). A name pairs with the definition whose last segment is
    the same name (``Air Temperature`` / ``.../AirTemperature``); names and definitions
    left over pair by position when they are as many, else each stands alone.
    """
    names = list(dict.fromkeys(n for n in record.observed_property_labels if n))
    rest = [p for p in dict.fromkeys(record.observed_properties) if p and p not in names]
    pairs = []
    for name in names:
        partner = next((u for u in rest if _key(u) == _key(name)), '')
        if partner:
            rest.remove(partner)
        pairs.append([name, partner])
    alone = [pair for pair in pairs if not pair[1]]
    if rest and len(rest) == len(alone):
        for pair, uri in zip(alone, rest):
            pair[1] = uri
        rest = []
    return [tuple(pair) for pair in pairs] + [('', uri) for uri in rest]


def raw_units(record: CatalogRecord, pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Unit texts (symbol, name, definition) for each raw property of a record.

    A SensorML output (slot ``output``: ``name|definition|uom``) of the property gives
    its unit; else STA's ``unitOfMeasurement/*`` slots by position (one Datastream: its
    unit); else a record with one property has the record's unit.
    """
    outputs = {}
    for text in record.slots.get('output') or []:
        name, _, rest = text.partition('|')
        definition, _, uom = rest.rpartition('|')
        for key in (name, definition):
            if key and uom:
                outputs.setdefault(_key(key), uom)
    per_key = {k: record.slots.get(f'unitOfMeasurement/{k}') or [] for k in UNIT_KEYS}
    count = len(pairs)
    result = []
    for i, (name, uri) in enumerate(pairs):
        output = next((outputs[_key(r)] for r in (uri, name) if r and _key(r) in outputs), None)
        if output:
            result.append([output])
        elif count == 1:
            texts = [t for k in UNIT_KEYS for t in per_key[k][:1]]
            result.append(texts or ([record.unit] if record.unit else []))
        else:
            result.append([per_key[k][i] for k in UNIT_KEYS if len(per_key[k]) == count])
    return result


def thing_names(record: CatalogRecord) -> list[str]:
    """The Thing/procedure names a ``things`` glob is matched against."""
    names = list(record.slots.get('thing') or []) + list(record.slots.get('procedure') or [])
    if record.kind in (THING, PROCEDURE):
        names.append(record.title)
        names.extend(record.slots.get('identifier') or [])
    return [n for n in names if n]


def _conflict(unit, prop) -> str:
    codes = [c for c in (prop.unit, *prop.also_units) if c]
    if unit is None or compatible(unit, codes):
        return ''
    expected = dimension_of(prop.unit) or '?'
    return (f'unit {unit.label} ({unit.dimension}) contradicts {prop.label} '
            f'(expects {expected}, e.g. {prop.unit})')


def mediate(record: CatalogRecord, matcher: Matcher, source_keys: Iterable[str] = ()
            ) -> CatalogRecord:
    """The record with its ``mediation`` computed by ``matcher`` (a copy; raw values kept)."""
    pairs = raw_properties(record)
    if not pairs:
        return dataclasses.replace(record, mediation=[]) if record.mediation else record
    keys = [str(k) for k in source_keys if k is not None]
    things = thing_names(record)
    mediation = []
    for (name, uri), unit_texts in zip(pairs, raw_units(record, pairs)):
        found = matcher.match([name, uri], keys, things)
        texts = list(unit_texts)
        if found and found.entry.source_unit:
            texts.insert(0, found.entry.source_unit)
        unit = matcher.unit(texts)
        item = PropertyMediation(raw_name=name, raw_uri=uri,
                                 raw_unit=next((t for t in unit_texts if t), ''),
                                 unit_code=unit.code if unit else '',
                                 unit_label=unit.label if unit else '')
        if found:
            prop = found.prop
            item.label, item.uri, item.description = prop.label, prop.uri, prop.description
            item.synonyms = list(prop.synonyms)
            item.dictionary = found.dictionary
            item.conflict = _conflict(unit, prop)
        mediation.append(item)
    return dataclasses.replace(record, mediation=mediation)


def source_names(conn) -> dict[int, str]:
    """Source id -> name."""
    from hubcat.models import sources
    return {r.id: r.name for r in conn.execute(select(sources.c.id, sources.c.name))}


def matcher_for(conn) -> Matcher:
    """A matcher over every active dictionary, read in ``conn`` (sees its uncommitted writes)."""
    return Matcher(d for d in DictionaryStore.active_in(conn))


def mediate_all(records: list[CatalogRecord], conn, source_id: Optional[int]) -> list[CatalogRecord]:
    """:func:`mediate` every record of one source (what a harvest stores)."""
    matcher = matcher_for(conn)
    keys = [source_id, source_names(conn).get(source_id)]
    return [mediate(r, matcher, keys) for r in records]


def reapply(config, conn, chunk: int = 500) -> int:
    """Re-apply every dictionary to every stored record, in ``conn``'s transaction.

    Records whose mediation changes get their columns, documents, content hash and
    ``date_modified`` redone; others are left alone.

    :returns: how many records changed
    """
    from hubcat import multivalue
    from hubcat.catalogue import Catalogue
    from hubcat.db import records_table
    from hubcat.times import iso, utcnow
    t = records_table(config.database_url, config.table)
    matcher = matcher_for(conn)
    names = source_names(conn)
    stamp = iso(utcnow())
    # dataset records are derived from the others: recomputed below, not mediated
    identifiers = [r.identifier for r in conn.execute(
        select(t.c.identifier).where(t.c.hc_record.isnot(None) & (
            t.c.hc_kind.is_(None) | (t.c.hc_kind != DATASET))).order_by(t.c.identifier))]
    changed = 0
    for start in range(0, len(identifiers), chunk):
        part = identifiers[start:start + chunk]
        updates, searched = [], []
        for row in conn.execute(select(t.c.identifier, t.c.hc_record, t.c.hc_hash,
                                       t.c.hc_source_id, t.c.hc_status, t.c.hc_status_reason,
                                       t.c.hc_last_seen).where(t.c.identifier.in_(part))):
            record = CatalogRecord.from_json(row.hc_record)
            fresh = mediate(record, matcher, [row.hc_source_id, names.get(row.hc_source_id)])
            if fresh.content_hash() == row.hc_hash:
                continue
            values = Catalogue.content_columns(fresh, row.hc_status or 'online',
                                               row.hc_status_reason or '', stamp)
            pairs = multivalue.record_values(fresh)
            updates.append(dict(values, _id=row.identifier, **multivalue.keys_columns(t, pairs)))
            searched.append((row.identifier, pairs))
        if updates:
            conn.execute(t.update().where(t.c.identifier == bindparam('_id')), updates)
            multivalue.write_values(conn, searched)
            changed += len(updates)
    # canonical labels decide which STA and SOS records publish the same dataset
    Catalogue(config.database_url, config.table,
              dataset_mapping=config.get('hubcat', 'dataset_mapping') or None
              ).refresh_datasets(conn, stamp)
    LOGGER.info('dictionaries re-applied: %d records changed', changed)
    return changed
