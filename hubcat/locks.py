"""One harvest at a time per source, across processes: a lease on the source's row.

A compare-and-set UPDATE takes the lease only when nobody holds it or the
holder's lease expired (a crashed process), so it works the same on SQLite and
PostgreSQL and across several scheduler processes on one database.
"""
from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from hubcat.db import get_engine
from hubcat.models import sources as sources_table

OWNER_PREFIX = f'{socket.gethostname()}:{os.getpid()}'


class SourceBusy(RuntimeError):
    """Another process (or thread) is harvesting this source now."""


def try_acquire(database_url: str, source_id: int, owner: str, lease_seconds: int) -> bool:
    """Take the lease on a source; False when someone else holds a live one."""
    now = datetime.now(timezone.utc)
    table = sources_table
    with get_engine(database_url).begin() as conn:
        result = conn.execute(
            update(table)
            .where((table.c.id == source_id) &
                   (table.c.lock_owner.is_(None) | (table.c.lock_until < now)))
            .values(lock_owner=owner, lock_until=now + timedelta(seconds=lease_seconds)))
        return result.rowcount == 1


def release(database_url: str, source_id: int, owner: str) -> None:
    """Give the lease back (only if we still hold it)."""
    table = sources_table
    with get_engine(database_url).begin() as conn:
        conn.execute(update(table).where((table.c.id == source_id) & (table.c.lock_owner == owner))
                     .values(lock_owner=None, lock_until=None))


@contextmanager
def source_lock(database_url: str, source_id: int, lease_seconds: int = 3600):
    """Hold the lease for the duration of a block; SourceBusy when it is taken."""
    owner = f'{OWNER_PREFIX}:{uuid.uuid4().hex[:8]}'
    if not try_acquire(database_url, source_id, owner, lease_seconds):
        raise SourceBusy(f'source {source_id} is being harvested by another process')
    try:
        yield owner
    finally:
        release(database_url, source_id, owner)
