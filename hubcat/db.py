"""Database engine and schema: ``hubcat init`` creates or upgrades, idempotently.

One engine per database URL (``hide_parameters``: errors and logs never show
bound values, see :mod:`hubcat.query_log`), shared with pycsw (its repository caches engines
by URL in ``Repository._engines``; HubCat puts its own there first so both use
one pool and, on SQLite, the same pragmas and SQL functions).
"""
from __future__ import annotations

import logging
import threading
import warnings
from contextlib import contextmanager

from sqlalchemy import Column, MetaData, Table, create_engine, event, exc, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from hubcat import postgis
from hubcat.models import RECORD_COLUMNS, RECORD_INDEXES, metadata

LOGGER = logging.getLogger(__name__)
_LOCK = threading.Lock()
#: the PostgreSQL advisory lock key of init_db (per database): 'HubC' as an integer
_INIT_LOCK_KEY = 0x48756243
# expression indexes (trigram, envelope box, substr keys) and PostGIS's geometry column
# are HubCat's own: SQLAlchemy's reflection of the records table skips them, as it
# should, without a warning (it printed in every `hubcat harvest` on PostgreSQL)
warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based '
                        'index', category=exc.SAWarning)
warnings.filterwarnings('ignore', message="Did not recognize type 'geometry'",
                        category=exc.SAWarning)
_TABLES: dict = {}
#: open SQLite connections kept per process (and more, closed after use, under load)
SQLITE_POOL_SIZE, SQLITE_POOL_OVERFLOW = 10, 20

# Envelope-based spatial predicates for PostgreSQL without PostGIS: pycsw calls
# query_spatial(wkt, wkt, predicate, distance) there, which it would otherwise
# create with plpythonu (gone from modern PostgreSQL).
_PG_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION hubcat_envelope(wkt text) RETURNS float8[] AS $$
DECLARE nums float8[]; xs float8[] := '{}'; ys float8[] := '{}'; i int;
BEGIN
  IF wkt IS NULL OR wkt = '' THEN RETURN NULL; END IF;
  SELECT array_agg(m[1]::float8) INTO nums
    FROM regexp_matches(split_part(wkt, ';', array_length(string_to_array(wkt, ';'), 1)),
                        '(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)', 'g') AS m;
  IF nums IS NULL OR array_length(nums, 1) < 2 THEN RETURN NULL; END IF;
  FOR i IN 1..array_length(nums, 1) - 1 BY 2 LOOP
    xs := xs || nums[i]; ys := ys || nums[i + 1];
  END LOOP;
  RETURN ARRAY[(SELECT min(v) FROM unnest(xs) v), (SELECT min(v) FROM unnest(ys) v),
               (SELECT max(v) FROM unnest(xs) v), (SELECT max(v) FROM unnest(ys) v)];
END $$ LANGUAGE plpgsql IMMUTABLE;

CREATE OR REPLACE FUNCTION hubcat_envelope_distance(a float8[], b float8[]) RETURNS float8 AS $$
  SELECT sqrt(greatest(0, b[1] - a[3], a[1] - b[3]) ^ 2 + greatest(0, b[2] - a[4], a[2] - b[4]) ^ 2)
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION query_spatial(bbox_data_wkt text, bbox_input_wkt text,
                                         predicate text, distance text) RETURNS text AS $$
DECLARE a float8[] := hubcat_envelope(bbox_data_wkt); b float8[] := hubcat_envelope(bbox_input_wkt);
        hit boolean;
BEGIN
  IF a IS NULL OR b IS NULL THEN RETURN 'false'; END IF;
  hit := a[1] <= b[3] AND a[3] >= b[1] AND a[2] <= b[4] AND a[4] >= b[2];
  IF predicate IN ('bbox', 'intersects', 'overlaps') THEN RETURN CASE WHEN hit THEN 'true' ELSE 'false' END;
  ELSIF predicate = 'disjoint' THEN RETURN CASE WHEN hit THEN 'false' ELSE 'true' END;
  ELSIF predicate = 'within' THEN
    RETURN CASE WHEN a[1] >= b[1] AND a[3] <= b[3] AND a[2] >= b[2] AND a[4] <= b[4] THEN 'true' ELSE 'false' END;
  ELSIF predicate = 'contains' THEN
    RETURN CASE WHEN b[1] >= a[1] AND b[3] <= a[3] AND b[2] >= a[2] AND b[4] <= a[4] THEN 'true' ELSE 'false' END;
  ELSIF predicate = 'equals' THEN RETURN CASE WHEN a = b THEN 'true' ELSE 'false' END;
  ELSIF predicate IN ('dwithin', 'beyond') THEN
    IF distance !~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN RETURN 'false'; END IF;
    hit := hubcat_envelope_distance(a, b) <= distance::float8;
    IF predicate = 'beyond' THEN hit := NOT hit; END IF;
    RETURN CASE WHEN hit THEN 'true' ELSE 'false' END;
  ELSE RETURN CASE WHEN hit THEN 'true' ELSE 'false' END;
  END IF;
END $$ LANGUAGE plpgsql IMMUTABLE;

CREATE OR REPLACE FUNCTION get_geometry_area(geom text) RETURNS text AS $$
DECLARE a float8[] := hubcat_envelope(geom);
BEGIN
  IF a IS NULL THEN RETURN '0'; END IF;
  RETURN ((a[3] - a[1]) * (a[4] - a[2]))::text;
END $$ LANGUAGE plpgsql IMMUTABLE;
"""


def get_engine(url: str) -> Engine:
    """The shared engine for ``url`` (created once per process)."""
    with _LOCK:
        return get_engine_unlocked(url)


def get_engine_unlocked(url: str) -> Engine:
    """:func:`get_engine` for callers that hold the module lock already."""
    from pycsw.core.repository import Repository
    engine = Repository._engines.get(url)
    if engine is None:
        engine = _create_engine(url)
        Repository._engines[url] = engine
    return engine


def _create_engine(url: str) -> Engine:
    if url.startswith('sqlite'):
        # A pool of open connections (SQLAlchemy 1.4 opens and sets up a new SQLite
        # connection for every checkout otherwise: two per CSW request, ~2 ms each);
        # connections move between threads, one thread at a time (check_same_thread off).
        engine = create_engine(url, connect_args={'timeout': 30, 'check_same_thread': False},
                               poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE,
                               max_overflow=SQLITE_POOL_OVERFLOW, future=False,
                               hide_parameters=True)

        @event.listens_for(engine, 'connect')
        def _sqlite_setup(dbapi_connection, _record):  # noqa: ANN001
            from pycsw.core.repository import create_custom_sql_functions

            from hubcat.spatial_index import register_functions
            create_custom_sql_functions(dbapi_connection)
            register_functions(dbapi_connection)
            cursor = dbapi_connection.cursor()
            cursor.execute('PRAGMA journal_mode=WAL')
            cursor.execute('PRAGMA synchronous=NORMAL')
            cursor.execute('PRAGMA busy_timeout=30000')
            cursor.close()
        return engine
    # executemany UPDATEs (a harvest's changed rows, status changes) go in pages, not one
    # round trip per row: 12,000 status changes of a 10,000-Thing service were minutes
    extra = ({'executemany_mode': 'values_plus_batch'}
             if make_url(url).get_driver_name() == 'psycopg2' else {})
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                           hide_parameters=True, **extra)
    if engine.name == 'postgresql':
        event.listen(engine, 'connect', _postgres_setup)
    return engine


def _postgres_setup(dbapi_connection, _record) -> None:  # noqa: ANN001
    """Each PostgreSQL connection (servers 11 and later; answers are the same):

    * ``jit = off``: a catalogue query over a few thousand rows costs more than
      ``jit_above_cost`` and compiling it took 80-370 ms, more than running it;
    * ``max_parallel_workers_per_gather = 0``: the page of subject = AND BBOX was read by
      two parallel workers, processes the server starts for that one query (35 ms where
      one process reads the ~1,000 rows in 5; under 32 clients they only compete for
      the same cores).  docs/performance.md.
    """
    if getattr(dbapi_connection, 'server_version', 0) < 110000:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute('SET jit = off')
    cursor.execute('SET max_parallel_workers_per_gather = 0')
    cursor.close()
    dbapi_connection.commit()   # a rollback when the pool takes the connection back keeps it


# A GiST index on each record's envelope as a built-in ``box`` (no PostGIS needed): the
# spatial pre-filter of hubcat.spatial_index looks candidates up there before the
# per-row query_spatial() test (100,000 records: a 2x2 degree BBOX took 33 s without it).
_PG_BOX = r"""
CREATE OR REPLACE FUNCTION hubcat_box(wkt text) RETURNS box AS $$
  SELECT CASE WHEN e IS NULL THEN NULL ELSE box(point(e[1], e[2]), point(e[3], e[4])) END
  FROM (SELECT hubcat_envelope(wkt) AS e) AS envelope
$$ LANGUAGE sql IMMUTABLE;
"""


def box_index_name(table: str) -> str:
    """The name of the envelope GiST index of PostgreSQL without PostGIS."""
    return f'ix_{table}_hubcat_box'


def _pg_box_index(engine: Engine, table: str) -> list[str]:
    """Create the envelope GiST index of PostgreSQL without PostGIS (once)."""
    name = box_index_name(table)
    with engine.begin() as conn:
        if conn.execute(text('SELECT count(*) FROM pg_class WHERE relname = :n'),
                        {'n': name}).scalar():
            return []
        conn.execute(text(_PG_BOX))
        conn.execute(text(f'CREATE INDEX {name} ON {table} USING gist (hubcat_box(wkt_geometry))'))
    return [f'created spatial index {name} (PostgreSQL without PostGIS)']


def init_db(url: str, table: str = 'records') -> list[str]:
    """Create or upgrade the catalogue database; returns what was done (one line each).

    Idempotent: a second call changes nothing and returns an empty list.  One process at
    a time: gunicorn's workers each initialise the database as they start, and two
    concurrent upgrades deadlocked on PostgreSQL (``ALTER TABLE`` in both); the others
    wait for the first and find nothing left to do (:func:`_one_init_at_a_time`).
    """
    with _one_init_at_a_time(url):
        return _init_db(url, table)


@contextmanager
def _one_init_at_a_time(url: str):
    """Hold the database's initialisation lock: a PostgreSQL advisory lock, or an
    exclusive lock on the file ``<database>-init.lock`` beside an SQLite file."""
    engine = get_engine(url)
    if engine.dialect.name == 'postgresql':
        with engine.connect() as conn:
            conn.execute(text('SELECT pg_advisory_lock(:k)'), {'k': _INIT_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text('SELECT pg_advisory_unlock(:k)'), {'k': _INIT_LOCK_KEY})
        return
    database = engine.url.database
    if engine.dialect.name != 'sqlite' or not database or database == ':memory:':
        yield
        return
    import fcntl
    with open(f'{database}-init.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _init_db(url: str, table: str) -> list[str]:
    """:func:`init_db`'s work, under its lock."""
    engine = get_engine(url)
    done = []
    if engine.dialect.name == 'postgresql':  # before the table: pycsw then makes it native
        done.extend(postgis.create_extension(engine))
    insp = inspect(engine)
    if not insp.has_table(table):
        _create_records_table(url, table)
        done.append(f'created table {table}')
    if engine.dialect.name == 'postgresql':
        done.extend(postgis.native_geometry(engine, table))
    insp = inspect(engine)
    have = {c['name'] for c in insp.get_columns(table)}
    from hubcat import external_ids
    with engine.begin() as conn:
        for name, sqltype in RECORD_COLUMNS.items():
            if name not in have and name != external_ids.COLUMN:   # see _external_ids
                coltype = sqltype().compile(dialect=engine.dialect)
                conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {name} {coltype}'))
                done.append(f'added column {table}.{name}')
    existing_indexes = {ix['name'] for ix in inspect(engine).get_indexes(table)}
    with engine.begin() as conn:
        for name in RECORD_INDEXES:
            ix_name = f'ix_{table}_{name}'
            if ix_name not in existing_indexes:
                conn.execute(text(f'CREATE INDEX {ix_name} ON {table} ({name})'))
                done.append(f'created index {ix_name}')
    missing = [t for t in metadata.sorted_tables if not inspect(engine).has_table(t.name)]
    if missing:
        metadata.create_all(engine, tables=missing)
        done.extend(f'created table {t.name}' for t in missing)
    done.extend(_add_missing_columns(engine, [t for t in metadata.sorted_tables if t not in missing]))
    with engine.begin() as conn:  # dc:date of records harvested before it was filled (issue 9.10)
        filled = conn.execute(text(
            f"UPDATE {table} SET date = coalesce(time_end, date_modified) WHERE date IS NULL "
            f"AND hc_record IS NOT NULL")).rowcount
    if filled:
        done.append(f'filled dc:date of {filled} harvested records')
    done.extend(_external_ids(engine, table, have))
    done.extend(_search_indexes(engine, table))
    if engine.dialect.name == 'sqlite':
        from hubcat.spatial_index import ddl
        fresh = not inspect(engine).has_table(f'{table}_rtree')
        with engine.begin() as conn:
            for statement in ddl(table):
                conn.execute(text(statement))
        if fresh:
            done.append(f'created spatial index {table}_rtree')
        done.extend(_sqlite_fulltext(engine, table))
    if engine.dialect.name == 'postgresql' and not has_postgis(engine):
        with engine.begin() as conn:
            present = conn.execute(text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'hubcat_envelope_distance'")).scalar()
            if not present:
                conn.execute(text(_PG_FUNCTIONS))
                done.append('created spatial functions (PostgreSQL without PostGIS)')
        done.extend(_pg_box_index(engine, table))
    if done:  # columns may have changed: reflect again on next use
        with _LOCK:
            _TABLES.pop((url, table), None)
        from hubcat import repository
        with repository._CACHE_LOCK:
            repository._CACHE.pop((url, table), None)
    return done


def _search_indexes(engine: Engine, table: str) -> list[str]:
    """The multi-valued values table's indexes and contents, and (PostgreSQL) the records
    table's indexes as :mod:`hubcat.search_indexes` plans them."""
    from hubcat import multivalue, search_indexes
    done = []
    values = multivalue.VALUES_TABLE
    with engine.begin() as conn:
        have = _index_names(conn, values)
        for statement in multivalue.index_ddl(engine.dialect.name):
            name = statement.split(' ON ')[0].rsplit(' ', 1)[-1]
            if name not in have:
                conn.execute(text(statement))
                done.append(f'created index {name}')
        for name in multivalue.OBSOLETE_INDEXES:
            if name in have:
                conn.execute(text(f'DROP INDEX {name}'))
                done.append(f'dropped index {name} (replaced)')
        if engine.dialect.name == 'postgresql':
            done.extend(search_indexes.postgresql_indexes(conn, table, values))
        filled = multivalue.backfill(conn, table)
        if filled:
            done.append(f'filled {values} for {", ".join(filled)}')
        if engine.dialect.name == 'postgresql':   # new values: every record's keys again
            done.extend(multivalue.postgresql_keys(conn, table, refill=bool(filled)))
    return done


def _external_ids(engine: Engine, table: str, have: set, chunk: int = 2000) -> list[str]:
    """Add the external identifier column (:mod:`hubcat.external_ids`) to a records table
    that lacks it (``have``: its columns) and fill it for the records stored before, in
    one transaction: an interrupted upgrade leaves no column, so the next ``init`` does
    it again, and a table that has the column is never read again (every worker start
    and ``init`` used to decode every record without identifiers: 10 s at 100,000).
    Their ``hubcat_record_values`` follow in :func:`_search_indexes` (the field has no
    values yet)."""
    from hubcat import external_ids
    from hubcat.records import CatalogRecord
    column = external_ids.COLUMN
    if column in have:
        return []
    coltype = RECORD_COLUMNS[column]().compile(dialect=engine.dialect)
    select_sql = text(f"SELECT identifier, schema, hc_record FROM {table} WHERE {column} IS NULL "
                      f"AND (hc_record IS NOT NULL OR schema = :iso) AND identifier > :last "
                      f"ORDER BY identifier LIMIT {int(chunk)}")
    update = text(f'UPDATE {table} SET {column} = :value WHERE identifier = :identifier')
    filled, last = 0, ''
    with engine.begin() as conn:
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {column} {coltype}'))
        while True:   # in chunks by identifier: the JSON of every record never sits in memory
            rows = conn.execute(select_sql, {'iso': external_ids.ISO_SCHEMA,
                                             'last': last}).mappings().all()
            if not rows:
                break
            last = rows[-1]['identifier']
            batch = []
            for row in rows:
                pairs = (external_ids.external_ids(CatalogRecord.from_json(row['hc_record']))
                         if row['hc_record'] else external_ids.plain_ids(row))
                value = external_ids.column_value(pairs)
                if value:
                    batch.append({'identifier': row['identifier'], 'value': value})
            if batch:
                conn.execute(update, batch)
                filled += len(batch)
    added = f'added column {table}.{column}'
    if not filled:
        return [added]
    with engine.begin() as conn:   # the values follow from the column (multivalue.backfill)
        conn.execute(text('DELETE FROM hubcat_record_values WHERE field = :f'), {'f': column})
    return [added, f'filled {table}.{column} of {filled} records']


def _sqlite_fulltext(engine: Engine, table: str) -> list[str]:
    """The FTS5 index of csw:AnyText (:mod:`hubcat.fulltext`), filled when new."""
    from sqlalchemy.exc import OperationalError

    from hubcat import fulltext
    if inspect(engine).has_table(f'{table}_fts'):
        return []
    try:
        with engine.begin() as conn:
            for statement in fulltext.ddl(table):
                conn.execute(text(statement))
            conn.execute(text(fulltext.rebuild(table)))
    except OperationalError as err:   # an SQLite without FTS5 or its trigram tokenizer
        LOGGER.warning('no full-text index for csw:AnyText: %s', err)
        return []
    return [f'created full-text index {table}_fts']


def _index_names(conn, table: str) -> set:
    """Names of every index of ``table``, expression indexes included (SQLAlchemy's
    inspector leaves those out)."""
    if conn.dialect.name == 'sqlite':
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        sql = 'SELECT indexname FROM pg_indexes WHERE tablename = :t'
    return {row[0] for row in conn.execute(text(sql), {'t': table})}


def _add_missing_columns(engine: Engine, tables: list) -> list[str]:
    """Add the nullable columns a newer HubCat declares to its own tables of an older database
    (e.g. ``hubcat_runs.notices``); returns one line per column added."""
    done = []
    insp = inspect(engine)
    with engine.begin() as conn:
        for table in tables:
            have = {c['name'] for c in insp.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable and not column.primary_key:
                    coltype = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {coltype}'))
                    done.append(f'added column {table.name}.{column.name}')
    return done


def spatial_status(url: str):
    """How spatial filters run in a PostgreSQL catalogue (one line), None for SQLite."""
    engine = get_engine(url)
    return postgis.status(engine) if engine.dialect.name == 'postgresql' else None


def records_table(url: str, table: str = 'records') -> Table:
    """pycsw's records table of a database, reflected once per process."""
    key = (url, table)
    with _LOCK:
        if key not in _TABLES:
            _TABLES[key] = Table(table, MetaData(), autoload_with=get_engine_unlocked(url))
        return _TABLES[key]


def has_postgis(engine: Engine) -> bool:
    """True when the PostGIS extension is installed in the engine's database."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar())


def _create_records_table(url: str, table: str) -> None:
    """pycsw's own records table, made by pycsw's setup_db (its columns, indexes, FTS)."""
    import os

    from pycsw.core import admin
    home = os.path.dirname(os.path.dirname(admin.__file__))
    extra = [Column(name, sqltype) for name, sqltype in RECORD_COLUMNS.items()]
    admin.setup_db(url, table, home, create_sfsql_tables=url.startswith('sqlite'),
                   create_plpythonu_functions=False, extra_columns=extra)


def dispose_engine(url: str) -> None:
    """Close every pooled connection of ``url`` and forget the engine (tests, shutdown)."""
    from pycsw.core.repository import Repository
    with _LOCK:
        engine = Repository._engines.pop(url, None)
        for key in [k for k in _TABLES if k[0] == url]:
            del _TABLES[key]
    if engine is not None:
        engine.dispose()
    from hubcat import repository
    with repository._CACHE_LOCK:
        for key in [k for k in repository._CACHE if k[0] == url]:
            del repository._CACHE[key]
