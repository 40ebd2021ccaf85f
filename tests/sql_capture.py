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


def plans(engine, statements: list, marker: str, scans_off: tuple = ('seqscan',)) -> list[str]:
    """The plan of each statement whose SQL contains ``marker``: PostgreSQL's EXPLAIN
    with the ``scans_off`` plan types turned off (``enable_<type> = off``), SQLite's
    EXPLAIN QUERY PLAN."""
    chosen = [(sql, params) for sql, params in statements if marker in sql]
    sqlite = engine.dialect.name == 'sqlite'
    found = []
    with engine.connect() as conn:
        for scan in () if sqlite else scans_off:
            conn.exec_driver_sql(f'SET enable_{scan} = off')
        for sql, params in chosen:
            rows = conn.exec_driver_sql(('EXPLAIN QUERY PLAN ' if sqlite else 'EXPLAIN ') + sql,
                                        params)
            found.append('\n'.join(str(row[-1] if sqlite else row[0]) for row in rows))
    return found
