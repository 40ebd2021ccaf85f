"""Writing one harvest into the catalogue batch by batch, with flat memory.

A :class:`SyncWriter` takes the records of a harvest in batches as the harvester
reads them (a batch holds a Thing with its Datastreams, so statuses that depend
on siblings are derived within it) and commits each batch at once: the harvest
never holds every record of a source, nor every row of it.

* Content (the record, its XML and free text) is written as it arrives; a
  harvest that fails later keeps every record it had, the new ones included.
* Statuses change only when the harvest ends (:meth:`SyncWriter.finish`): a
  record whose status differs is written with its old status first and gets the
  new one at the end (the changes are the only thing held until then).
* Removals are decided at the end from what was seen: every row of the source
  whose ``hc_last_seen`` is not this run's stamp went ``offline`` / ``removed``,
  and only after a complete read. The stamp is unique per source and run (one
  second after the newest stamp of the source when two runs fall in one second).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.engine import Connection

from hubcat import dublincore, multivalue
from hubcat.records import CatalogRecord
from hubcat.times import iso, parse_time, utcnow

if TYPE_CHECKING:
    from hubcat.catalogue import Catalogue, SyncCounts

#: identifiers per IN (...) list
CHUNK = 500


class SyncWriter:
    """One harvest's writes to the catalogue.

    :param catalogue: the :class:`hubcat.catalogue.Catalogue` written to
    :param source_id: the harvested source
    :param stale_after: seconds after which a record without a newer observation is stale
    :param now: the harvest's time (default now)
    :param before_write: called before each write (the harvest lease's check)
    :param before_commit: called with the connection at the end of each write's
        transaction, before it commits (the harvest lease's renewal); raising rolls it back
    """

    def __init__(self, catalogue: 'Catalogue', source_id: int, stale_after: int = 86400,
                 now: Optional[datetime] = None, before_write: Optional[Callable[[], None]] = None,
                 before_commit: Optional[Callable[[Connection], None]] = None):
        from hubcat.catalogue import SyncCounts
        self.catalogue = catalogue
        self.source_id = source_id
        self.stale_after = stale_after
        self.now = now or utcnow()
        self.before_write = before_write or (lambda: None)
        self.before_commit = before_commit or (lambda conn: None)
        self.counts: SyncCounts = SyncCounts()
        self._pending: dict[tuple[str, str], list[str]] = {}   # new (status, reason) -> ids
        self.stamp = self._unique_stamp()

    def _unique_stamp(self) -> str:
        """This run's ``hc_last_seen``: now, or one second after the source's newest stamp."""
        t = self.catalogue.table
        with self.catalogue.engine.connect() as conn:
            newest = conn.execute(select(func.max(t.c.hc_last_seen))
                                  .where(t.c.hc_source_id == self.source_id)).scalar()
        stamp = iso(self.now)
        if newest and newest >= stamp and parse_time(newest) is not None:
            stamp = iso(parse_time(newest) + timedelta(seconds=1))
        return stamp

    def write(self, records: Iterable[CatalogRecord]) -> None:
        """Store one batch of records (one transaction); status changes wait for :meth:`finish`."""
        from hubcat.catalogue import ASSOCIATION, derive_statuses
        cat = self.catalogue
        records = cat.mediate(self.source_id, records)
        if not records:
            return
        self.before_write()
        statuses = derive_statuses(records, self.now, self.stale_after)
        by_id = {r.identifier: r for r in records}
        pairs = {r.identifier: multivalue.record_values(r) for r in records}
        t = cat.table
        rows = [dict(cat._row(r, self.source_id, *statuses[r.identifier], self.stamp),
                     **multivalue.keys_columns(t, pairs[r.identifier])) for r in records]
        rows += [cat._association_row(r, a, self.source_id, self.stamp)
                 for r in records for a in r.associations]
        columns = set().union(*rows)
        rows = [{c: row.get(c) for c in columns} for row in rows]
        state = select(t.c.identifier, t.c.hc_hash, t.c.hc_status, t.c.hc_status_reason,
                       t.c.insert_date, t.c.hc_source_id, t.c.date_modified, t.c.hc_status_changed)
        with cat.engine.begin() as conn:
            existing = {}
            for chunk in _chunks([row['identifier'] for row in rows], CHUNK):
                existing.update((row.identifier, row) for row in
                                conn.execute(state.where(t.c.identifier.in_(chunk))))
            inserts, updates, touched = [], [], []
            for row in rows:
                old = existing.get(row['identifier'])
                is_object = row['hc_kind'] != ASSOCIATION
                if old is None:
                    self._new(row, is_object)
                    inserts.append(row)
                    continue
                self._keep_old_status(row, old, is_object, by_id.get(row['identifier']))
                if old.hc_hash == row['hc_hash'] and old.hc_source_id == self.source_id:
                    touched.append(row['identifier'])
                    self.counts.unchanged += is_object
                    continue
                content_changed = old.hc_hash != row['hc_hash']
                self.counts.updated += is_object and content_changed
                self.counts.unchanged += is_object and not content_changed
                row['insert_date'] = old.insert_date
                row['date_modified'] = self.stamp if content_changed else old.date_modified
                row['date'] = row['date'] or row['date_modified'] if is_object else None
                row['hc_status_changed'] = old.hc_status_changed
                row['xml'] = cat._xml(row, row['date_modified'])
                updates.append(row)
            if inserts:
                conn.execute(t.insert(), inserts)
            if updates:
                conn.execute(t.update().where(t.c.identifier == bindparam('_id')),
                             [dict(row, _id=row['identifier']) for row in updates])
            for written, replace in ((inserts, False), (updates, True)):
                multivalue.write_values(conn, [
                    (row['identifier'], pairs[row['identifier']])
                    for row in written if row['identifier'] in pairs], replace=replace)
            for chunk in _chunks(touched, CHUNK):
                conn.execute(t.update().where(t.c.identifier.in_(chunk))
                             .values(hc_last_seen=self.stamp))
            self.before_commit(conn)

    def _new(self, row: dict, is_object: bool) -> None:
        """Complete the row of a record the catalogue does not have yet."""
        row.update(insert_date=self.stamp, date_modified=self.stamp, hc_status_changed=self.stamp)
        row['date'] = row['date'] or self.stamp if is_object else None
        row['xml'] = self.catalogue._xml(row, self.stamp)
        self.counts.added += is_object
        if is_object:
            self.counts.inserted.append(row['identifier'])

    def _keep_old_status(self, row: dict, old, is_object: bool,
                         record: Optional[CatalogRecord]) -> None:
        """A status that changes is noted for :meth:`finish`; until then the row keeps the old one."""
        from hubcat.catalogue import ONLINE
        new = (row['hc_status'], row['hc_status_reason'])
        before = (old.hc_status, old.hc_status_reason or '')
        if new == before:
            return
        self._pending.setdefault(new, []).append(row['identifier'])
        if is_object:
            if new[0] == ONLINE:
                self.counts.came_online += 1
            else:
                self.counts.went_offline += old.hc_status == ONLINE
        row['hc_status'], row['hc_status_reason'] = before
        if record is not None:
            row['anytext'] = dublincore.anytext(record, *before)

    def stored_counts(self) -> 'SyncCounts':
        """The counts of what was stored so far, without status changes (a failed harvest)."""
        from hubcat.catalogue import SyncCounts
        return SyncCounts(added=self.counts.added, updated=self.counts.updated,
                          unchanged=self.counts.unchanged, inserted=self.counts.inserted)

    def finish(self, complete: bool = True) -> 'SyncCounts':
        """End a harvest that read the source: apply the status changes, and (``complete``:
        everything was read) mark the source's records not seen ``offline`` / ``removed``.

        :returns: counts of added, updated, unchanged, went offline, came back online
        """
        from hubcat.catalogue import ASSOCIATION, OFFLINE, ONLINE, REMOVED
        self.before_write()
        cat, t = self.catalogue, self.catalogue.table
        with cat.engine.begin() as conn:
            for (status, reason), identifiers in self._pending.items():
                cat._set_status(conn, identifiers, status, reason, self.stamp)
            self._pending.clear()
            if complete:
                gone = conn.execute(select(t.c.identifier, t.c.hc_kind, t.c.hc_status).where(
                    (t.c.hc_source_id == self.source_id)
                    & or_(t.c.hc_last_seen.is_(None), t.c.hc_last_seen != self.stamp)
                    & or_(t.c.hc_status.is_(None), t.c.hc_status != OFFLINE,
                          t.c.hc_status_reason.is_(None), t.c.hc_status_reason != REMOVED))).all()
                self.counts.went_offline += sum(1 for row in gone if row.hc_kind != ASSOCIATION
                                                and row.hc_status == ONLINE)
                cat._set_status(conn, [row.identifier for row in gone], OFFLINE, REMOVED,
                                self.stamp)
            cat.refresh_datasets(conn, self.stamp)
            self.before_commit(conn)
        return self.counts


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
