"""Multi-valued queryables, stored one value per row in ``hubcat_record_values``.

Observed properties, units, keywords (``dc:subject``), a service's operatesOn and the
identifiers a source gives a record (:mod:`hubcat.external_ids`: each value and each
``scheme:value``) are lists.  The records table keeps them comma-joined for pycsw and display, without a
btree index (a service's operatesOn grows with every Thing: PostgreSQL refuses btree
keys above 2,704 bytes).  Every single value is also a row ``(identifier, field,
value)`` of ``hubcat_record_values``, and filters on these columns are rewritten to
look the values up there, so that:

* equality is exact per value (``'1'`` does not match ``1,2-XYLENE O-XYLENE``, and
  ``%``/``_`` in an equality value are plain characters);
* LIKE and case-insensitive comparisons apply to each value on its own;
* GetDomain lists distinct single values, not joined lists.

On PostgreSQL each records row also carries its values' keys in one GIN-indexed array,
``hc_value_keys`` (``field:`` + the indexed prefix of each value, :func:`value_keys`),
written with the values (:func:`keys_columns`, :func:`write_values`).  A case-sensitive
equality whose literal is shorter than the prefix is then a condition on the records
row itself (``hc_value_keys @> ARRAY['keywords:Milano']``): the planner combines it
with the records' other indexes (the spatial GiST index: subject = AND BBOX reads the
rows in both, not every row of either), where the values table can only hand over
identifiers to look up one by one (docs/performance.md).

Values come from the :class:`~hubcat.records.CatalogRecord` when the row has one
(a value may contain a comma), else from the comma-joined column (rows inserted
through CSW-T).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping, Optional

from sqlalchemy import text

from hubcat import external_ids
from hubcat.records import SERVICE, CatalogRecord
from profiles.hubcat.queryables import MULTI_VALUED_COLUMNS

VALUES_TABLE = 'hubcat_record_values'
#: the records-table columns :func:`row_values` reads
ROW_COLUMNS = ('identifier', 'schema', 'hc_record', *MULTI_VALUED_COLUMNS)
#: characters of a value in the btree index (PostgreSQL keys must stay below 2,704 bytes)
KEY_CHARS = 200
#: PostgreSQL: the records column of every value's key (:func:`value_keys`), GIN-indexed
KEYS_COLUMN = 'hc_value_keys'


def record_units(record: CatalogRecord) -> list[str]:
    """The units ``hubcat:Unit`` matches, one by one (a MultiDatastream's units apart:
    its joined ``'degC, %'`` display form is not one of them)."""
    units = list(record.unit_values())
    single = [u for u in units if ', ' not in u]
    return single if single else units


#: column -> the values of a record for it (columns without one split the joined column)
EXTRACTORS: dict[str, Callable[[CatalogRecord], list]] = {
    'hc_observed_property': lambda r: r.property_labels(),
    'hc_observed_property_uri': lambda r: r.property_uris(),
    'hc_observed_property_raw': lambda r: r.observed_properties,
    'hc_unit': record_units,
    'keywords': lambda r: r.keywords,
    'operateson': lambda r: [a.target for a in r.associations] if r.kind == SERVICE else [],
    external_ids.COLUMN: lambda r: external_ids.match_keys(external_ids.external_ids(r)),
}


def record_values(record: CatalogRecord) -> list[tuple[str, str]]:
    """(field, value) pairs of one record, each value once per field."""
    pairs = []
    for column in MULTI_VALUED_COLUMNS:
        extract = EXTRACTORS.get(column)
        values = extract(record) if extract else []
        pairs.extend((column, v) for v in dict.fromkeys(v for v in values if v))
    return pairs


def row_values(row: Mapping) -> list[tuple[str, str]]:
    """(field, value) pairs of a records-table row: from its record, else its columns."""
    if row.get('hc_record'):
        return record_values(CatalogRecord.from_json(row['hc_record']))
    pairs = [(external_ids.COLUMN, key)
             for key in external_ids.match_keys(external_ids.plain_ids(row))]
    for column in MULTI_VALUED_COLUMNS:
        if column == external_ids.COLUMN:
            continue
        joined = row.get(column) or ''
        pairs.extend((column, v) for v in dict.fromkeys(p.strip() for p in joined.split(','))
                     if v)
    return pairs


def value_keys(pairs: Iterable[tuple[str, str]]) -> Optional[list[str]]:
    """The ``hc_value_keys`` of a record with these (field, value) pairs: ``field:`` and
    the value's first :data:`KEY_CHARS` characters, each once, sorted (None: no value)."""
    keys = sorted({f'{field}:{value[:KEY_CHARS]}' for field, value in pairs})
    return keys or None


def keys_columns(table, pairs: Iterable[tuple[str, str]]) -> dict:
    """``{'hc_value_keys': keys}`` to write with a records row of ``table`` (a SQLAlchemy
    table) that has the column (PostgreSQL), else ``{}``."""
    return {KEYS_COLUMN: value_keys(pairs)} if KEYS_COLUMN in table.c else {}


def write_values(conn, items: Iterable[tuple[str, list]], replace: bool = True,
                 chunk: int = 500, records=None) -> None:
    """Store the values of records (in ``conn``'s transaction).

    :param items: (identifier, [(field, value), ...]) per record
    :param replace: forget the values these identifiers had before (False for new records)
    :param records: the records table, to update the rows' ``hc_value_keys`` too (when it
        has the column); callers that write the rows themselves put
        :func:`keys_columns` in them instead
    """
    items = list(items)
    if records is not None and KEYS_COLUMN in records.c and items:
        from sqlalchemy import bindparam
        conn.execute(records.update().where(records.c.identifier == bindparam('_id')),
                     [{'_id': identifier, KEYS_COLUMN: value_keys(pairs)}
                      for identifier, pairs in items])
    if replace:
        delete_values(conn, [identifier for identifier, _ in items], chunk)
    inserts = [{'identifier': identifier, 'field': field, 'value': value}
               for identifier, pairs in items for field, value in pairs]
    insert = text(f'INSERT INTO {VALUES_TABLE} (identifier, field, value) '
                  'VALUES (:identifier, :field, :value)')
    for start in range(0, len(inserts), chunk * 10):
        conn.execute(insert, inserts[start:start + chunk * 10])


def delete_values(conn, identifiers: list[str], chunk: int = 500) -> None:
    """Forget the values of these records."""
    from sqlalchemy import bindparam
    statement = text(f'DELETE FROM {VALUES_TABLE} WHERE identifier IN :ids').bindparams(
        bindparam('ids', expanding=True))
    for start in range(0, len(identifiers), chunk):
        conn.execute(statement, {'ids': identifiers[start:start + chunk]})


#: indexes of the values table that later ones replaced (``hubcat init`` drops them)
OBSOLETE_INDEXES = (f'ix_{VALUES_TABLE}_value',)


def index_ddl(dialect: str) -> list[str]:
    """Index statements of the values table (idempotent); PostgreSQL adds a trigram
    index for LIKE when ``pg_trgm`` is available (:mod:`hubcat.search_indexes`).

    SQLite also gets a plain ``(field, value, identifier)`` index (it has no key size
    limit, and its planner does not match ``substr()`` expression indexes for equality:
    subject = AND BBOX at 100,000 records took 1 s through the field prefix alone, 52 ms
    with a ``(field, value)`` index; with the identifier in it the lookup reads the index
    alone, 80 -> 49 ms for the request).  It replaces the ``(field, value)`` index
    (:data:`OBSOLETE_INDEXES`)."""
    extra = [f'CREATE INDEX IF NOT EXISTS ix_{VALUES_TABLE}_lookup ON {VALUES_TABLE} '
             '(field, value, identifier)'] if dialect == 'sqlite' else []
    return extra + [
        f'CREATE INDEX IF NOT EXISTS ix_{VALUES_TABLE}_identifier ON {VALUES_TABLE} (identifier)',
        f'CREATE INDEX IF NOT EXISTS ix_{VALUES_TABLE}_key ON {VALUES_TABLE} '
        f'(field, substr(value, 1, {KEY_CHARS}))',
        f'CREATE INDEX IF NOT EXISTS ix_{VALUES_TABLE}_folded ON {VALUES_TABLE} '
        f'(field, substr(lower(value), 1, {KEY_CHARS}))',
    ]


def postgresql_keys(conn, table: str, refill: bool = False) -> list[str]:
    """PostgreSQL: give ``table`` its ``hc_value_keys`` column and GIN index, and fill the
    keys of rows that have values but no keys (a catalogue made before the column, rows
    copied in without it); returns what was done.  Idempotent.

    :param refill: compute every row's keys again (:func:`backfill` just gave records
        values of a field their keys do not name yet)
    """
    done = []
    has_column = conn.execute(text(
        'SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() '
        'AND table_name = :t AND column_name = :c'), {'t': table, 'c': KEYS_COLUMN}).scalar()
    if not has_column:
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {KEYS_COLUMN} text[]'))
        done.append(f'added column {table}.{KEYS_COLUMN}')
    elif refill:
        conn.execute(text(f'UPDATE {table} SET {KEYS_COLUMN} = NULL '
                          f'WHERE {KEYS_COLUMN} IS NOT NULL'))
    filled = conn.execute(text(
        f'UPDATE {table} r SET {KEYS_COLUMN} = k.keys FROM ('
        f"SELECT v.identifier, array_agg(DISTINCT v.field || ':' || substr(v.value, 1, {KEY_CHARS}) "
        f'ORDER BY v.field || \':\' || substr(v.value, 1, {KEY_CHARS})) AS keys '
        f'FROM {VALUES_TABLE} v JOIN {table} m ON m.identifier = v.identifier '
        f'WHERE m.{KEYS_COLUMN} IS NULL GROUP BY v.identifier) k '
        f'WHERE r.identifier = k.identifier')).rowcount
    if filled:
        done.append(f'filled {table}.{KEYS_COLUMN} of {filled} records')
    name = f'ix_{table}_{KEYS_COLUMN}'
    if not conn.execute(text('SELECT count(*) FROM pg_indexes WHERE indexname = :n'),
                        {'n': name}).scalar():
        conn.execute(text(f'CREATE INDEX {name} ON {table} USING gin ({KEYS_COLUMN})'))
        done.append(f'created index {name}')
    return done


_COLUMNS = '|'.join(sorted(MULTI_VALUED_COLUMNS, key=len, reverse=True))
#: a comparison on a multi-valued column as HubCat's filter translation (hubcat.filters.sql)
#: or pycsw writes it: ``col = :p``, ``lower(col) != lower(:p)``, ``col like :p escape :e``
_COMPARISON = re.compile(
    r'(?<![\w.])(?:(?P<lower>lower)\((?P<lcol>%s)\)|(?P<col>%s))(?!\w)\s*'
    r'(?P<op>=|!=|<>|(?<=\s)like(?=\s)|(?<=\s)ilike(?=\s))\s*'
    r'(?P<rhs>lower\(:pvalue\d+\)|:pvalue\d+)(?P<escape>\s+escape\s+:pvalue\d+)?'
    % (_COLUMNS, _COLUMNS), re.IGNORECASE)


def prefix_is_exact(literal, lower: bool = False) -> bool:
    """True when comparing the indexed prefix ``substr(value, 1, KEY_CHARS)`` to
    ``literal`` is the exact equality: the literal is shorter than the prefix, so a
    longer value's prefix (``KEY_CHARS`` characters) can never equal it.  Lowered
    literals get a margin (PostgreSQL's ``lower()`` may lengthen a character)."""
    limit = KEY_CHARS // 2 if lower else KEY_CHARS
    return isinstance(literal, str) and len(literal) < limit


def decided_by_keys(op: str, short: bool, lower: bool) -> bool:
    """True when a comparison can be decided on the records row's ``hc_value_keys``: a
    case-sensitive (in)equality whose literal is shorter than the key (``short``)."""
    return short and not lower and op.lower() in ('=', '!=', '<>')


def lookup(table: str, column: str, op: str, rhs: str, field_param: str,
           lower: bool = False, escape: str = '', sqlite: bool = False,
           short: bool = False, key_param: str = '') -> str:
    """SQL: the rows of ``table`` having a value of ``column`` that compares ``op`` to ``rhs``.

    :param field_param: the bound parameter holding ``column``'s name
    :param lower: compare ``lower()`` of the value (``rhs`` is ``lower(:p)`` then)
    :param escape: the LIKE ``escape :p`` clause, if any
    :param short: the literal is shorter than the indexed prefix (:func:`prefix_is_exact`):
        PostgreSQL compares the prefix alone.  Written twice (value and prefix), the
        equality made the planner multiply two selectivities and expect 94 rows where
        10,000 matched (docs/performance.md, subject = AND BBOX)
    :param key_param: the bound parameter holding the literal's key (``field:literal``),
        given for a case-sensitive (in)equality with a ``short`` literal when the table
        has ``hc_value_keys`` (:func:`decided_by_keys`): it is then decided on the
        records row (:func:`value_keys`)
    """
    op = op.lower()
    if key_param:
        has = f'{table}.{KEYS_COLUMN} @> CAST(ARRAY[{key_param}] AS text[])'
        if op == '=':
            return has
        return (f"({table}.{column} IS NOT NULL AND NOT coalesce({table}.{KEYS_COLUMN}, "
                f"CAST(ARRAY[] AS text[])) @> CAST(ARRAY[{key_param}] AS text[]))")
    value = 'lower(v.value)' if lower else 'v.value'
    if op in ('=', '!=', '<>') and sqlite and not lower:
        match = f'{value} = {rhs}'   # SQLite: the (field, value) index; no key size limit
    elif op in ('=', '!=', '<>') and short:
        match = f'substr({value}, 1, {KEY_CHARS}) = {rhs}'
    elif op in ('=', '!=', '<>'):
        match = (f'{value} = {rhs} AND substr({value}, 1, {KEY_CHARS}) = '
                 f'substr({rhs}, 1, {KEY_CHARS})')
    else:
        match = f'{value} {op} {rhs}{escape}'
    subquery = (f'SELECT v.identifier FROM {VALUES_TABLE} v '
                f'WHERE v.field = {field_param} AND {match}')
    if op in ('!=', '<>'):  # no value equals (rows with no value stay out, as in SQL)
        return f'({table}.{column} IS NOT NULL AND {table}.identifier NOT IN ({subquery}))'
    return f'{table}.identifier IN ({subquery})'


def rewrite_filter(where: str, values: list, table: str,
                   sqlite: bool = False, keys: bool = False) -> tuple[str, list]:
    """``(where, values)`` with every comparison on a multi-valued column made per value
    (the column names are bound as parameters too: no literal enters the SQL text).

    :param keys: the table has ``hc_value_keys`` (PostgreSQL, :func:`lookup`)
    """
    values = list(values)

    def bind(value) -> str:
        values.append(value)
        return f':pvalue{len(values) - 1}'

    def rewrite(match: re.Match) -> str:
        column = match['lcol'] or match['col']
        lower = bool(match['lower'])
        literal = values[int(re.search(r'\d+', match['rhs']).group())]
        short = prefix_is_exact(literal, lower)
        by_keys = keys and decided_by_keys(match['op'], short, lower)
        return lookup(table, column, match['op'], match['rhs'],
                      '' if by_keys else bind(column), lower=lower,
                      escape=match['escape'] or '', sqlite=sqlite, short=short,
                      key_param=bind(f'{column}:{literal}') if by_keys else '')
    return _COMPARISON.sub(rewrite, where), values


def domain(session, table: str, column: str, count: bool,
           repo_filter: Optional[str] = None) -> list:
    """GetDomain of a multi-valued column: distinct single values (and their record counts).

    :param repo_filter: the repository's SQL filter on ``table``, if any
    """
    where = "v.field = :field"
    if repo_filter:
        where += f' AND v.identifier IN (SELECT identifier FROM {table} WHERE {repo_filter})'
    if count:
        sql = (f'SELECT v.value, count(DISTINCT v.identifier) FROM {VALUES_TABLE} v '
               f'WHERE {where} GROUP BY v.value ORDER BY v.value')
    else:
        sql = f'SELECT DISTINCT v.value FROM {VALUES_TABLE} v WHERE {where} ORDER BY v.value'
    return [tuple(row) for row in session.execute(text(sql), {'field': column})]


def backfill(conn, table: str, chunk: int = 2000) -> list[str]:
    """Fill in the values of fields that have none yet although records hold some
    (a database made before ``hubcat_record_values``, or a new multi-valued column);
    returns the fields filled."""
    columns = [c['name'] for c in _columns(conn, table)]
    missing = []
    for field in MULTI_VALUED_COLUMNS:
        if field not in columns:
            continue
        has_values = conn.execute(text(
            f'SELECT 1 FROM {VALUES_TABLE} WHERE field = :f LIMIT 1'), {'f': field}).first()
        has_data = conn.execute(text(
            f'SELECT 1 FROM {table} WHERE {field} IS NOT NULL LIMIT 1')).first()
        if has_data and not has_values:
            missing.append(field)
    if not missing:
        return []
    wanted = [c for c in ROW_COLUMNS if c in columns]
    insert = text(f'INSERT INTO {VALUES_TABLE} (identifier, field, value) '
                  'VALUES (:identifier, :field, :value)')
    result = conn.execution_options(stream_results=True).execute(
        text(f'SELECT {", ".join(wanted)} FROM {table}'))
    while True:
        rows = result.mappings().fetchmany(chunk)
        if not rows:
            break
        batch = [{'identifier': row['identifier'], 'field': f, 'value': v}
                 for row in rows for f, v in row_values(row) if f in missing]
        if batch:
            conn.execute(insert, batch)
    return missing


def _columns(conn, table: str) -> list[dict]:
    from sqlalchemy import inspect
    return inspect(conn).get_columns(table)


def values_table():
    """The SQLAlchemy table of the values (:data:`hubcat.models.record_values`)."""
    from hubcat.models import record_values as table
    return table
