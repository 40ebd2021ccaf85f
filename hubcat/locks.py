"""One harvest at a time per source, across processes: a renewed lease on the source's row.

A compare-and-set UPDATE takes the lease only when nobody holds it, the holder's
lease expired (its heartbeats stopped), the holder is a process of this host
that no longer exists (killed), or the caller forces it. The holder renews the
lease from a heartbeat thread every quarter lease, so a short lease (default
two minutes, ``[hubcat:harvest] lease``) is enough for a harvest of any length,
and a crashed holder's source is free again soon. It works the same on SQLite
and PostgreSQL and across several processes and machines on one database.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from hubcat.db import get_engine
from hubcat.models import sources as sources_table

LOGGER = logging.getLogger(__name__)
HOST = socket.gethostname()
DEFAULT_LEASE = 120


class SourceBusy(RuntimeError):
    """Another process (or thread) is harvesting this source now."""


class LeaseLost(RuntimeError):
    """The lease was taken over (``--force``) or could not be renewed in time."""


def new_owner() -> str:
    """A lease owner name: ``host:pid:random`` (the pid lets this host detect a dead holder)."""
    return f'{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}'


def owner_is_dead(owner: Optional[str]) -> bool:
    """True when ``owner`` names a process of this host that no longer runs."""
    parts = (owner or '').split(':')
    if len(parts) < 3 or ':'.join(parts[:-2]) != HOST or not parts[-2].isdigit():
        return False
    pid = int(parts[-2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet is dead too (Linux /proc)."""
    try:
        with open(f'/proc/{pid}/stat', encoding='ascii', errors='replace') as handle:
            return handle.read().rsplit(')', 1)[-1].split()[0] == 'Z'
    except (OSError, IndexError):
        return False


def holder(database_url: str, source_id: int) -> tuple[Optional[str], Optional[datetime]]:
    """(owner, lease end) of a source's lease; (None, None) when free."""
    table = sources_table
    with get_engine(database_url).connect() as conn:
        row = conn.execute(select(table.c.lock_owner, table.c.lock_until)
                           .where(table.c.id == source_id)).first()
    return (row.lock_owner, _aware(row.lock_until)) if row else (None, None)


def try_acquire(database_url: str, source_id: int, owner: str, lease_seconds: int,
                force: bool = False) -> bool:
    """Take the lease on a source; False when someone else holds a live one.

    A lease whose holder is a dead process of this host is taken over at once;
    ``force`` takes over any lease (an operator who knows its holder is gone).
    """
    now = datetime.now(timezone.utc)
    table = sources_table
    values = {'lock_owner': owner, 'lock_until': now + timedelta(seconds=lease_seconds)}
    free = table.c.lock_owner.is_(None) | (table.c.lock_until < now)
    with get_engine(database_url).begin() as conn:
        if force:
            return conn.execute(update(table).where(table.c.id == source_id)
                                .values(**values)).rowcount == 1
        if conn.execute(update(table).where((table.c.id == source_id) & free)
                        .values(**values)).rowcount == 1:
            return True
    current, _ = holder(database_url, source_id)
    if current and owner_is_dead(current):
        LOGGER.warning('source %s: taking over the lease of %s (that process is gone)',
                       source_id, current)
        with get_engine(database_url).begin() as conn:
            return conn.execute(update(table).where((table.c.id == source_id) &
                                                    (table.c.lock_owner == current))
                                .values(**values)).rowcount == 1
    return False


def renew(database_url: str, source_id: int, owner: str, lease_seconds: int) -> bool:
    """Extend our lease; False when we no longer hold it."""
    with get_engine(database_url).begin() as conn:
        return renew_in(conn, source_id, owner, lease_seconds)


def renew_in(conn, source_id: int, owner: str, lease_seconds: int) -> bool:
    """Extend our lease within ``conn``'s transaction; False when we no longer hold it."""
    table = sources_table
    until = datetime.now(timezone.utc) + timedelta(seconds=lease_seconds)
    return conn.execute(update(table).where((table.c.id == source_id) &
                                            (table.c.lock_owner == owner))
                        .values(lock_until=until)).rowcount == 1


def release(database_url: str, source_id: int, owner: str) -> None:
    """Give the lease back (only if we still hold it)."""
    table = sources_table
    with get_engine(database_url).begin() as conn:
        conn.execute(update(table).where((table.c.id == source_id) & (table.c.lock_owner == owner))
                     .values(lock_owner=None, lock_until=None))


class Lease:
    """A held lease and the heartbeat thread that renews it.

    :param database_url: the catalogue database
    :param source_id: the leased source
    :param owner: the owner name written in the source's row
    :param seconds: lease length; renewed every quarter of it
    """

    def __init__(self, database_url: str, source_id: int, owner: str, seconds: int):
        self.database_url = database_url
        self.source_id = source_id
        self.owner = owner
        self.seconds = seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f'lease-source-{source_id}')

    def start(self) -> 'Lease':
        """Start the heartbeat."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the heartbeat (the caller releases the lease)."""
        self._stop.set()
        self._thread.join(timeout=10)

    def check(self) -> None:
        """Renew the lease now; :class:`LeaseLost` when another process took it over
        (called before each write, so a process that was frozen never overwrites)."""
        if not self.lost:
            try:
                self.lost = not renew(self.database_url, self.source_id, self.owner, self.seconds)
            except SQLAlchemyError as err:
                LOGGER.warning('source %s: cannot renew the harvest lease: %s', self.source_id,
                               str(err).splitlines()[0])
        if self.lost:
            raise LeaseLost(f'source {self.source_id}: the harvest lease was taken over '
                            'by another process')

    def renew_before_commit(self, conn) -> None:
        """Renew the lease in the transaction that is about to commit a harvest's writes;
        :class:`LeaseLost` (the writes roll back) when another process took it over.

        On SQLite the heartbeat cannot write while a batch's transaction holds the
        database, so a batch that takes longer than the lease would otherwise commit
        with the lease already run out (and a waiting harvest could take it over)."""
        if self.lost or not renew_in(conn, self.source_id, self.owner, self.seconds):
            self.lost = True
            raise LeaseLost(f'source {self.source_id}: the harvest lease was taken over '
                            'by another process')

    def _beat(self) -> None:
        interval = max(1.0, self.seconds / 4)
        while not self._stop.wait(interval):
            try:
                held = renew(self.database_url, self.source_id, self.owner, self.seconds)
            except SQLAlchemyError as err:   # the next beat tries again
                LOGGER.warning('source %s: cannot renew the harvest lease: %s', self.source_id,
                               str(err).splitlines()[0])
                continue
            if not held:
                LOGGER.warning('source %s: harvest lease taken over by another process',
                               self.source_id)
                self.lost = True
                return


@contextmanager
def source_lock(database_url: str, source_id: int, lease_seconds: int = DEFAULT_LEASE,
                force: bool = False):
    """Hold a heartbeat-renewed lease for the duration of a block; SourceBusy when taken.

    :param force: take the lease over even when its holder looks alive
    :yields: the :class:`Lease`
    """
    owner = new_owner()
    if not try_acquire(database_url, source_id, owner, lease_seconds, force=force):
        current, until = holder(database_url, source_id)
        raise SourceBusy(f'source {source_id} is being harvested by {current or "another process"}'
                         + (f' (lease until {until:%Y-%m-%dT%H:%M:%SZ})' if until else '')
                         + '; --force takes over a dead lease')
    lease = Lease(database_url, source_id, owner, lease_seconds).start()
    try:
        yield lease
    finally:
        lease.stop()
        release(database_url, source_id, owner)


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    """SQLite gives naive datetimes back: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
