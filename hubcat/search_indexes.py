"""Search indexes of the records table, per database (run by ``hubcat init``, idempotent).

pycsw's ``setup_db`` puts a btree index on almost every column.  PostgreSQL refuses a
btree key above 2,704 bytes, so a column whose value has no bound (an abstract, a
keyword list, a service's operatesOn list of every Thing) makes the insert fail.  On
PostgreSQL these btree indexes are dropped; what is searched is indexed with the index
type that fits it:

* multi-valued columns: one row per value in ``hubcat_record_values`` (btree on the
  value's first 200 characters, trigram GIN for LIKE) - :mod:`hubcat.multivalue`;
* free text (title, abstract): trigram GIN (``pg_trgm``) for LIKE;
* ``csw:AnyText``: pycsw's tsvector GIN index (``fts_gin_idx``);
* geometry: PostGIS GiST when PostGIS is installed, else a GiST index on each record's
  envelope as a built-in ``box`` (``hubcat_box``) in front of HubCat's envelope functions.

Titles keep their btree (sorting by title needs it): HubCat stores at most
:data:`TITLE_CHARS` characters and :data:`TITLE_BYTES` bytes of a title in the ``title``
column (the full title stays in the record and in every output).  On PostgreSQL a second
btree, ``ix_records_title_sort`` on ``(title, identifier) INCLUDE (typename)``, serves
GetRecords sorted by title from the index alone: HubCat's order (title, then identifier,
:mod:`hubcat.sorting`) and its association rule (``typename``) are read from the index,
not from 5,000 records rows for a page at startPosition 5000 (docs/performance.md).
``ix_records_identifier_sort`` on ``(identifier) INCLUDE (typename)`` does the same for
GetRecords without sortby (HubCat's order is then the identifier's): a harvester paging
through the whole catalogue reads the index, not a sort of every identifier.
A title of at most 1,000 bytes leaves room in that key for an identifier of up to about
1,650 bytes (PostgreSQL's primary key already refuses identifiers above 2,704 bytes).
SQLite has no key size limit and keeps pycsw's indexes.
"""
from __future__ import annotations

import logging

from sqlalchemy import text

LOGGER = logging.getLogger(__name__)

#: records columns holding free text or lists: no btree on PostgreSQL
UNBOUNDED_COLUMNS = (
    'title_alternate', 'abstract', 'keywords', 'keywordstype', 'links', 'operation',
    'operateson', 'operatesonidentifier', 'operatesoname', 'creator', 'publisher',
    'contributor', 'organization', 'otherconstraints', 'accessconstraints',
    'securityconstraints', 'conditionapplyingtoaccessanduse', 'lineage',
    'specificationtitle', 'responsiblepartyrole', 'classification', 'degree', 'topicategory',
    'hc_observed_property', 'hc_observed_property_raw', 'hc_unit')
#: free-text columns with a trigram index on PostgreSQL (LIKE '%...%')
TRIGRAM_COLUMNS = ('title', 'abstract')
#: characters of a title kept in the (btree-indexed) ``title`` column
TITLE_CHARS = 500
#: UTF-8 bytes of a title kept in the ``title`` column (the sort index's key holds the
#: identifier too, and a btree key must stay below 2,704 bytes)
TITLE_BYTES = 1000


def clip_title(title):
    """The title as stored in the ``title`` column: at most :data:`TITLE_CHARS` characters
    and :data:`TITLE_BYTES` UTF-8 bytes, an ellipsis ending a clipped one."""
    if not isinstance(title, str):
        return title
    if len(title) <= TITLE_CHARS and len(title.encode('utf-8')) <= TITLE_BYTES:
        return title
    budget = TITLE_BYTES - len('\u2026'.encode('utf-8'))
    clipped = title[:TITLE_CHARS - 1].encode('utf-8')[:budget].decode('utf-8', 'ignore')
    return clipped + '\u2026'


#: PostgreSQL sort indexes (name suffix -> key columns), each with ``typename`` included:
#: by title (then identifier), and by identifier alone (GetRecords without sortby, how
#: GeoNetwork and other harvesters page through a whole catalogue)
SORT_INDEXES = {'title_sort': ('title', 'identifier'), 'identifier_sort': ('identifier',)}


def sort_indexes(conn, table: str, existing) -> list[str]:
    """PostgreSQL: create the :data:`SORT_INDEXES` not among ``existing`` (index names;
    see the module docstring), with the collation HubCat sorts by (``COLLATE "C"``
    unless the database's is byte order); returns what was done."""
    from hubcat.sorting import byte_order_collation
    collate = '' if byte_order_collation(conn) else ' COLLATE "C"'
    include = ' INCLUDE (typename)' if conn.dialect.server_version_info >= (11,) else ''
    done = []
    for suffix, columns in SORT_INDEXES.items():
        name = f'ix_{table}_{suffix}'
        if name in existing:
            continue
        keys = ', '.join(f'{column}{collate}' for column in columns)
        conn.execute(text(f'CREATE INDEX {name} ON {table} ({keys}){include}'))
        done.append(f'created index {name}')
    return done


def postgresql_indexes(conn, table: str, values_table: str) -> list[str]:
    """Bring a PostgreSQL catalogue's indexes to the plan above; returns what was done."""
    done = []
    existing = {row[0]: row[1] for row in conn.execute(text(
        'SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t'), {'t': table})}
    dropped = []
    for column in UNBOUNDED_COLUMNS:
        name = f'ix_{table}_{column}'
        if name in existing and ' USING btree ' in existing[name]:
            conn.execute(text(f'DROP INDEX {name}'))
            dropped.append(column)
    if dropped:
        done.append(f'dropped btree indexes of {table} on unbounded columns: {", ".join(dropped)}')
    done.extend(sort_indexes(conn, table, existing))
    if not _trigram_available(conn):
        LOGGER.warning('pg_trgm is not available: LIKE on title and abstract scans the table')
        return done
    for column in TRIGRAM_COLUMNS:
        name = f'ix_{table}_{column}_trgm'
        if name not in existing:
            conn.execute(text(f'CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)'))
            done.append(f'created trigram index {name}')
    name = f'ix_{values_table}_value_trgm'
    present = conn.execute(text('SELECT count(*) FROM pg_indexes WHERE indexname = :n'),
                           {'n': name}).scalar()
    if not present:
        conn.execute(text(f'CREATE INDEX {name} ON {values_table} USING gin (value gin_trgm_ops)'))
        done.append(f'created trigram index {name}')
    return done


def _trigram_available(conn) -> bool:
    """True when pg_trgm is installed in the database, installing it when the server has it."""
    if conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    if not conn.execute(text(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return False
    conn.execute(text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    return True
