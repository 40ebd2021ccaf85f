"""The administrator's to-do list: raw observed properties and units the dictionaries
do not map, and units that contradict their property, with how many records carry each."""
from __future__ import annotations

from collections import Counter
from typing import Optional

from sqlalchemy import select

from hubcat.records import CatalogRecord

UNMAPPED = 'no dictionary entry'
UNIT_UNREAD = 'unit not read as UCUM'


def unmapped(config, source_id: Optional[int] = None) -> list[dict]:
    """One row per (raw property, raw unit, problem), most frequent first.

    :param source_id: only this source's records
    :returns: dicts with ``raw``, ``unit``, ``problem``, ``records``, ``property``
    """
    from hubcat.db import get_engine, records_table
    t = records_table(config.database_url, config.table)
    query = select(t.c.hc_record).where(t.c.hc_record.isnot(None))
    if source_id is not None:
        query = query.where(t.c.hc_source_id == source_id)
    counts: Counter = Counter()
    with get_engine(config.database_url).connect() as conn:
        for (text,) in conn.execute(query):
            record = CatalogRecord.from_json(text)
            seen = set()
            for item in record.mediation:
                if not item.label:
                    seen.add((item.raw, item.raw_unit, UNMAPPED, ''))
                elif item.conflict:
                    seen.add((item.raw, item.raw_unit, item.conflict, item.label))
                if item.raw_unit and not item.unit_code:
                    seen.add((item.raw, item.raw_unit, UNIT_UNREAD, item.label))
            counts.update(seen)
    return [{'raw': raw, 'unit': unit, 'problem': problem, 'property': prop, 'records': n}
            for (raw, unit, problem, prop), n in sorted(counts.items(),
                                                        key=lambda kv: (-kv[1], kv[0]))]
