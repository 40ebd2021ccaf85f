"""PostGIS on a PostgreSQL catalogue: used when the server has it (``hubcat init``).

With the ``postgis`` extension, pycsw keeps a native geometry column ``wkb_geometry``
(filled from ``wkt_geometry`` by a trigger, GiST-indexed) and evaluates spatial
filters with ``st_intersects`` & co. on that index.  Without it, HubCat's envelope
functions (:mod:`hubcat.db`) answer the same filters row by row.

``hubcat init`` creates the extension when the server offers it (Debian:
``postgresql-15-postgis-3``) and gives an existing records table the native column,
its trigger and index, filled from the stored geometries.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

GEOMETRY_COLUMN = 'wkb_geometry'
NOT_AVAILABLE = ('PostGIS is not installed on the PostgreSQL server: spatial filters use '
                 "HubCat's envelope index and functions (install postgresql-15-postgis-3 and run "
                 '`hubcat init` again for GiST-indexed spatial search)')


def available(conn) -> bool:
    """True when the server can create the ``postgis`` extension."""
    return bool(conn.execute(text(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")).scalar())


def installed(conn) -> bool:
    """True when the ``postgis`` extension is installed in this database."""
    return bool(conn.execute(text(
        "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar())


def create_extension(engine: Engine) -> list[str]:
    """Create the extension when the server has it and the role may; returns what was done.

    A server without PostGIS, or a role that may not create it, is not an error (spatial
    filters then use the envelope functions): :func:`status` says which.
    """
    from sqlalchemy.exc import DBAPIError
    with engine.connect() as conn:
        if installed(conn) or not available(conn):
            return []
    try:
        with engine.begin() as conn:
            conn.execute(text('CREATE EXTENSION IF NOT EXISTS postgis'))
    except DBAPIError as err:
        if getattr(err.orig, 'pgcode', None) != '42501':  # insufficient_privilege
            raise
        return []
    return ['created extension postgis']


def status(engine: Engine) -> str:
    """One line on how spatial filters run in this database."""
    with engine.connect() as conn:
        if installed(conn):
            version = conn.execute(text('SELECT postgis_lib_version()')).scalar()
            return f'PostGIS {version}: spatial filters use the GiST index on {GEOMETRY_COLUMN}'
        if available(conn):
            database = conn.execute(text('SELECT current_database()')).scalar()
            return (f'PostGIS is installed on the server but this role may not create the '
                    f'extension: run `CREATE EXTENSION postgis;` as a superuser in database '
                    f"{database}, then `hubcat init` (until then spatial filters use HubCat's "
                    'envelope index and functions)')
    return NOT_AVAILABLE


def native_geometry(engine: Engine, table: str) -> list[str]:
    """Give ``table`` pycsw's native geometry column, trigger and GiST index (when missing),
    filled from ``wkt_geometry``; returns what was done."""
    with engine.begin() as conn:
        if not installed(conn):
            return []
        present = conn.execute(text(
            'SELECT count(*) FROM information_schema.columns '
            'WHERE table_name = :t AND column_name = :c'),
            {'t': table, 'c': GEOMETRY_COLUMN}).scalar()
        if present:
            return []
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {GEOMETRY_COLUMN} '
                          'geometry(Geometry,4326)'))
        conn.execute(text(_TRIGGER.format(table=table, geometry=GEOMETRY_COLUMN)))
        conn.execute(text(f'UPDATE {table} SET {GEOMETRY_COLUMN} = '
                          'ST_GeomFromText(wkt_geometry, 4326) WHERE wkt_geometry IS NOT NULL'))
        conn.execute(text(f'CREATE INDEX {GEOMETRY_COLUMN}_idx ON {table} '
                          f'USING GIST ({GEOMETRY_COLUMN})'))
    return [f'added PostGIS geometry column {table}.{GEOMETRY_COLUMN} with a GiST index']


# pycsw's own trigger (pycsw.core.admin.setup_db), so both setups behave the same
_TRIGGER = '''
CREATE OR REPLACE FUNCTION {table}_update_geometry() RETURNS trigger AS $body$
BEGIN
    IF NEW.wkt_geometry IS NULL THEN
        RETURN NEW;
    END IF;
    NEW.{geometry} := ST_GeomFromText(NEW.wkt_geometry, 4326);
    RETURN NEW;
END;
$body$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {table}_update_geometry ON {table};
CREATE TRIGGER {table}_update_geometry BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE PROCEDURE {table}_update_geometry();
'''
