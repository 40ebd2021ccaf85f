"""Harvest run history: one row per run, with its outcome and counts."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import insert, select, update

from hubcat.db import get_engine
from hubcat.models import runs as runs_table
from hubcat.times import iso

RUNNING, SUCCESS, PARTIAL, FAILED = 'running', 'success', 'partial', 'failed'
#: the most runs one listing returns (CLI ``runs --limit``, ``/api/runs?limit=``)
MAX_RUNS = 1000
COUNT_FIELDS = ('added', 'updated', 'unchanged', 'went_offline', 'came_online')


class RunLog:
    """Writes and reads ``hubcat_runs``."""

    def __init__(self, database_url: str):
        self.engine = get_engine(database_url)

    def start(self, source_id: int, source_name: str, trigger: str) -> int:
        """Record the start of a run; returns its id."""
        with self.engine.begin() as conn:
            return conn.execute(insert(runs_table).values(
                source_id=source_id, source_name=source_name, trigger=trigger,
                started=datetime.now(timezone.utc), outcome=RUNNING)).inserted_primary_key[0]

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

    def list(self, source_id: Optional[int] = None, limit: int = 50) -> list[dict]:
        """Newest runs first, as dicts."""
        query = select(runs_table).order_by(runs_table.c.id.desc()).limit(limit)
        if source_id is not None:
            query = query.where(runs_table.c.source_id == source_id)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row['started'] = iso(row['started'])
            row['ended'] = iso(row['ended'])
            row['errors'] = row['errors'].split('\n') if row['errors'] else []
            row['notices'] = row['notices'].split('\n') if row['notices'] else []
        return rows
