"""Harvest run history: one row per run, with its outcome and counts.

A run is ``running`` while the process that started it holds its source's
lease. A running run whose process died (its lease expired, was taken over, or
names a dead process of this host) is marked ``failed`` with the error
``interrupted: ...`` by :meth:`RunLog.mark_interrupted`, which the next
harvest of the source and the scheduler call.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import func, insert, select, update

from hubcat.db import get_engine
from hubcat.models import runs as runs_table
from hubcat.models import sources as sources_table
from hubcat.times import iso

RUNNING, SUCCESS, PARTIAL, FAILED = 'running', 'success', 'partial', 'failed'
#: the most runs one listing returns (CLI ``runs --limit``, ``/api/runs?limit=``)
MAX_RUNS = 1000
COUNT_FIELDS = ('added', 'updated', 'unchanged', 'went_offline', 'came_online')
INTERRUPTED = 'interrupted'


class RunLog:
    """Writes and reads ``hubcat_runs``."""

    def __init__(self, database_url: str):
        self.engine = get_engine(database_url)

    def start(self, source_id: int, source_name: str, trigger: str,
              owner: Optional[str] = None) -> int:
        """Record the start of a run by the holder ``owner`` of the source's lease; its id."""
        with self.engine.begin() as conn:
            return conn.execute(insert(runs_table).values(
                source_id=source_id, source_name=source_name, trigger=trigger, owner=owner,
                started=datetime.now(timezone.utc), outcome=RUNNING)).inserted_primary_key[0]

    def last_started(self, source_id: int) -> Optional[datetime]:
        """When the newest run of a source started (UTC, to the microsecond); None if never."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(runs_table.c.started))
                                 .where(runs_table.c.source_id == source_id)).scalar()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def mark_interrupted(self, source_id: Optional[int] = None) -> list[int]:
        """Mark ``failed`` (``interrupted: ...``) every running run whose process is gone.

        A run is alive while its owner holds its source's lease, the lease is not
        expired and the owner is not a dead process of this host.

        :param source_id: only this source's runs (default: every source)
        :returns: the ids of the runs marked
        """
        from hubcat.locks import owner_is_dead
        now = datetime.now(timezone.utc)
        src = sources_table
        query = (select(runs_table.c.id, runs_table.c.owner, runs_table.c.started,
                        src.c.lock_owner, src.c.lock_until)
                 .select_from(runs_table.outerjoin(src, src.c.id == runs_table.c.source_id))
                 .where(runs_table.c.outcome == RUNNING))
        if source_id is not None:
            query = query.where(runs_table.c.source_id == source_id)
        marked = []
        with self.engine.begin() as conn:
            for row in conn.execute(query).all():
                until = row.lock_until
                if until is not None and until.tzinfo is None:
                    until = until.replace(tzinfo=timezone.utc)
                alive = (row.owner is not None and row.lock_owner == row.owner
                         and until is not None and until >= now and not owner_is_dead(row.owner))
                if alive:
                    continue
                why = ('its process is gone' if owner_is_dead(row.owner)
                       else 'its lease expired' if row.lock_owner == row.owner
                       else 'it no longer holds the source lease')
                started = row.started.replace(tzinfo=row.started.tzinfo or timezone.utc)
                done = conn.execute(update(runs_table).where(
                    (runs_table.c.id == row.id) & (runs_table.c.outcome == RUNNING)).values(
                    outcome=FAILED, ended=now, duration=round((now - started).total_seconds(), 3),
                    errors=f'{INTERRUPTED}: the harvest stopped before it ended ({why})'))
                if done.rowcount:
                    marked.append(row.id)
        return marked

    def finish(self, run_id: int, outcome: str, counts: Optional[dict] = None, requests: int = 0,
               errors: Optional[list[str]] = None, duration: float = 0.0,
               notices: Optional[list[str]] = None) -> None:
        """Record the end of a run: its errors (what could not be read) and its notices
        (fallbacks taken while still reading everything), one message a line each."""
        values = {'ended': datetime.now(timezone.utc), 'outcome': outcome, 'requests': requests,
                  'duration': round(duration, 3), 'errors': '\n'.join(errors or []) or None,
                  'notices': '\n'.join(notices or []) or None}
        values.update({k: int((counts or {}).get(k, 0)) for k in COUNT_FIELDS})
        with self.engine.begin() as conn:
            conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(**values))

    def list(self, source_id: Optional[int] = None, limit: int = 50,
             running: bool = False) -> list[dict]:
        """Newest runs first, as dicts.

        :param running: only the runs that are ``running`` (with their lease end, ``lease_until``)
        """
        query = (select(runs_table, sources_table.c.lock_until.label('lease_until'))
                 .select_from(runs_table.outerjoin(
                     sources_table, (sources_table.c.id == runs_table.c.source_id) &
                     (sources_table.c.lock_owner == runs_table.c.owner)))
                 .order_by(runs_table.c.id.desc()).limit(limit))
        if source_id is not None:
            query = query.where(runs_table.c.source_id == source_id)
        if running:
            query = query.where(runs_table.c.outcome == RUNNING)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row['started'] = iso(row['started'])
            row['ended'] = iso(row['ended'])
            row['lease_until'] = iso(row['lease_until'])
            row['errors'] = row['errors'].split('\n') if row['errors'] else []
            row['notices'] = row['notices'].split('\n') if row['notices'] else []
        return rows
