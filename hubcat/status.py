"""The catalogue's online/offline summary: counts in total and per source and reason."""
from __future__ import annotations

from hubcat.catalogue import OFFLINE, ONLINE, REMOVED, STALE, UNREACHABLE, Catalogue
from hubcat.sources import SourceRegistry
from hubcat.times import iso

REASONS = (REMOVED, STALE, UNREACHABLE)


def _empty() -> dict:
    return {'online': 0, 'offline': 0, 'offline_by_reason': {r: 0 for r in REASONS}}


def _add(entry: dict, status: str, reason: str, count: int) -> None:
    if status == ONLINE:
        entry['online'] += count
    elif status == OFFLINE:
        entry['offline'] += count
        key = reason or 'unknown'
        entry['offline_by_reason'][key] = entry['offline_by_reason'].get(key, 0) + count


def status_summary(database_url: str, table: str = 'records') -> dict:
    """Counts of registry objects (services, Things, Datastreams, ...) online and offline.

    Records of a source that was unregistered (records kept) count under an entry
    whose ``name`` is None.

    :returns: ``{"online", "offline", "offline_by_reason", "sources": [{"id", "name",
        "reachable", "last_harvest", "last_success", "online", "offline",
        "offline_by_reason"}, ...]}``
    """
    total = _empty()
    per_source: dict = {}
    for source in SourceRegistry(database_url).list():
        per_source[source.id] = dict(id=source.id, name=source.name, reachable=source.reachable,
                                     last_harvest=iso(source.last_harvest),
                                     last_success=iso(source.last_success), **_empty())
    for row in Catalogue(database_url, table).status_counts():
        source_id = row['hc_source_id']
        entry = per_source.setdefault(source_id, dict(
            id=source_id, name=None, reachable=None, last_harvest=None, last_success=None,
            **_empty()))
        _add(entry, row['hc_status'], row['hc_status_reason'], row['count'])
        _add(total, row['hc_status'], row['hc_status_reason'], row['count'])
    ordered = sorted(per_source.values(), key=lambda e: (e['id'] is None, e['id'] or 0))
    return dict(total, sources=ordered)
