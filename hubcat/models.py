"""Database tables: HubCat's columns on pycsw's records table, and HubCat's own tables."""
from __future__ import annotations

from sqlalchemy import (BigInteger, Column, DateTime, Float, ForeignKey, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)

metadata = MetaData()

#: Columns HubCat adds to pycsw's ``records`` table (name -> SQL type), all queryable.
RECORD_COLUMNS = {
    'hc_kind': Text,               # service | thing | datastream | offering | procedure | association
    'hc_object_type': Text,        # ebRIM objectType
    'hc_source_id': Integer,       # hubcat_sources.id
    'hc_status': Text,             # online | offline
    'hc_status_reason': Text,      # '' | removed | stale | unreachable
    'hc_last_seen': Text,          # ISO 8601 UTC
    'hc_status_changed': Text,     # ISO 8601 UTC
    'hc_observed_property': Text,  # canonical labels, comma-joined
    'hc_observed_property_uri': Text,  # canonical URIs (parameter dictionaries), comma-joined
    'hc_observed_property_raw': Text,  # raw names/URIs, comma-joined
    'hc_unit': Text,               # UCUM codes, then the units as sources write them
    'hc_service_type': Text,       # STA | SOS
    'hc_service_url': Text,
    'hc_service_id': Text,
    'hc_thing_id': Text,
    'hc_assoc_type': Text,         # for rim:Association rows
    'hc_assoc_source': Text,
    'hc_assoc_target': Text,
    'hc_external_ids': Text,       # identifiers the source gives (hubcat.external_ids)
    'hc_hash': Text,               # content hash of hc_record
    'hc_record': Text,             # CatalogRecord JSON
}

#: Indexed HubCat columns (the ones filters and the writer use most); all short values.
#: Multi-valued columns are searched through ``hubcat_record_values`` instead.
RECORD_INDEXES = ('hc_kind', 'hc_source_id', 'hc_status',
                  'hc_service_id', 'hc_thing_id', 'hc_assoc_source', 'hc_assoc_target')

#: One row per value of a multi-valued queryable of a record (observed properties, units,
#: keywords, operatesOn: :mod:`hubcat.multivalue`): equality is exact per value, LIKE per
#: value, GetDomain lists single values. Indexes: see :func:`hubcat.multivalue.index_ddl`.
record_values = Table(
    'hubcat_record_values', metadata,
    Column('identifier', Text, nullable=False),   # records.identifier
    Column('field', String(64), nullable=False),  # records column the value belongs to
    Column('value', Text, nullable=False),
)

sources = Table(
    'hubcat_sources', metadata,
    Column('id', Integer, primary_key=True, autoincrement=True),
    Column('name', String(200), nullable=False, unique=True),
    Column('url', Text, nullable=False),
    Column('type', String(20), nullable=False),
    Column('options', Text, nullable=False, default='{}'),        # JSON
    Column('schedule', String(100)),                               # '15m', 'cron:*/10 * * * *'
    Column('stale_after', BigInteger),  # seconds; NULL: [hubcat:harvest] stale_after
    Column('reachable', Integer),                                  # 1/0/NULL (never harvested)
    Column('last_harvest', DateTime(timezone=True)),
    Column('last_success', DateTime(timezone=True)),
    Column('created', DateTime(timezone=True)),
    Column('lock_owner', String(100)),                             # who runs its harvest now
    Column('lock_until', DateTime(timezone=True)),                 # lease expiry of that lock
    UniqueConstraint('url', 'type', name='uq_hubcat_sources_url_type'),
    sqlite_autoincrement=True,  # a deleted source's id is never reused (its records may stay)
)

runs = Table(
    'hubcat_runs', metadata,
    Column('id', Integer, primary_key=True, autoincrement=True),
    Column('source_id', Integer, ForeignKey('hubcat_sources.id', ondelete='SET NULL'),
           index=True),
    Column('source_name', String(200)),
    Column('trigger', String(20), nullable=False, default='manual'),  # manual|scheduled|csw-t|api
    Column('started', DateTime(timezone=True), nullable=False),
    Column('ended', DateTime(timezone=True)),
    Column('outcome', String(20)),          # running | success | partial | failed
    Column('added', Integer, default=0),
    Column('updated', Integer, default=0),
    Column('unchanged', Integer, default=0),
    Column('went_offline', Integer, default=0),
    Column('came_online', Integer, default=0),
    Column('requests', Integer, default=0),
    Column('duration', Float),
    Column('errors', Text),                 # newline-separated messages
    Column('notices', Text),                # newline-separated fallbacks (not errors)
    Column('owner', String(100)),           # the lease owner (host:pid:id) of a running run
)

peers = Table(
    'hubcat_peers', metadata,
    Column('id', Integer, primary_key=True, autoincrement=True),
    Column('name', String(200), nullable=False, unique=True),
    Column('url', Text, nullable=False),
    Column('timeout', Float, nullable=False, default=5.0),
)

dictionaries = Table(
    'hubcat_dictionaries', metadata,
    Column('id', Integer, primary_key=True, autoincrement=True),  # load order: higher = later
    Column('name', String(200), nullable=False, unique=True),
    Column('source', String(200)),                                 # NULL: global
    Column('format', String(20), nullable=False),                  # yaml | csv | sssom
    Column('description', Text),
    Column('entries', Integer, nullable=False, default=0),
    Column('content', Text, nullable=False),                       # Dictionary JSON
    Column('loaded', DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,  # a reloaded dictionary always sorts after every other
)
