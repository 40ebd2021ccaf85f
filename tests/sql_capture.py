"""The SQL a catalogue's engine runs, and PostgreSQL's plans of it (tests of which index
answers a query: sequential scans off, as the planner of a large catalogue would choose)."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def captured(engine):
    """Yield a list that collects (SQL, parameters) of every statement ``engine`` runs."""
    from sqlalchemy import event
    seen: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))
    event.listen(engine, 'before_cursor_execute', record)
    try:
        yield seen
    finally:
        event.remove(engine, 'before_cursor_execute', record)


def plans(engine, statements: list, marker: str) -> list[str]:
    """EXPLAIN (sequential scans off) of each statement whose SQL contains ``marker``."""
    chosen = [(sql, params) for sql, params in statements if marker in sql]
    found = []
    with engine.connect() as conn:
        conn.exec_driver_sql('SET enable_seqscan = off')
        for sql, params in chosen:
            found.append('\n'.join(row[0] for row in conn.exec_driver_sql('EXPLAIN ' + sql,
                                                                          params)))
    return found
