"""A harvest batch whose transaction outlasts the source's lease commits with the lease
renewed (issue 13 point 1).

Found harvesting 10,000 Things into SQLite: while a batch's transaction holds the
database, the heartbeat cannot write, so a batch that took longer than the lease
committed with the lease already run out, and a harvest waiting for the source could
take it over. The lease is now renewed in the batch's own transaction, before it
commits. Here the batch's transaction is held open until the lease in the database
has run out, and the heartbeat is not running (as on SQLite while it waits).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event

from harvesters.sta import SensorThingsHarvester
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine
from hubcat.locks import Lease, holder, new_owner, try_acquire
from hubcat.sources import SourceRegistry
from ops_servers import poll


def lease_ran_out(url: str, source_id: int) -> bool:
    """What another process sees: the source's lease end is past."""
    _, until = holder(url, source_id)
    return until is not None and until < datetime.now(timezone.utc)


def test_a_batch_that_outlasts_the_lease_commits_with_the_lease_renewed(config, sta_server):
    url = config.database_url
    source = SourceRegistry(url).add(sta_server, 'sta', name='big')
    records = SensorThingsHarvester(sta_server).harvest().records
    owner = new_owner()
    assert try_acquire(url, source.id, owner, 1)
    lease = Lease(url, source.id, owner, 1)            # its heartbeat is not started
    held_open = []

    def hold_batch_open(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith('INSERT INTO RECORDS') and not held_open:
            held_open.append(statement)
            poll(lambda: lease_ran_out(url, source.id), every=0.05,
                 message='the lease to run out while the batch is written')

    engine = get_engine(url)
    event.listen(engine, 'before_cursor_execute', hold_batch_open)
    try:
        writer = Catalogue(url).writer(source.id, stale_after=10 ** 9,
                                       before_write=lease.check,
                                       before_commit=lease.renew_before_commit)
        writer.write(records)
    finally:
        event.remove(engine, 'before_cursor_execute', hold_batch_open)
    assert held_open, 'the batch was written'
    assert not lease_ran_out(url, source.id)
    assert holder(url, source.id)[0] == owner
    # another harvest cannot take the source now
    assert not try_acquire(url, source.id, new_owner(), 60)
    assert writer.finish().added == len(records)
