"""HubCat's pycsw repository (``[repository] source``): pycsw's own, with these fixes.

1. The table is reflected once per process, not on every request.
2. ``rim:Association`` rows answer only to ``typeNames=rim:Association`` (and to
   GetRecordById); every other query leaves them out (on SQLite by a rowid test that
   keeps the query planner on its indexes).
3. Comparisons on multi-valued columns (observed properties, units, keywords,
   operatesOn) apply to each value (:mod:`hubcat.multivalue`), GetDomain on them
   lists single values, and CSW-T writes keep their values current.
4. On SQLite, spatial filters look up the R*Tree of :mod:`hubcat.spatial_index`
   before pycsw's exact per-row test, and csw:AnyText LIKE the FTS5 index of
   :mod:`hubcat.fulltext` before the LIKE.
5. No request value reaches SQL text (issue 8 point 3, docs/security.md "SQL"): filters
   are checked by :mod:`hubcat.filter_guard` before pycsw translates them, and every
   translated constraint (GetRecords, Transaction Update and Delete) goes through
   :func:`hubcat.sql_guard.bind_where`; sort and GetDomain columns must be columns of
   the table, sort orders ASC or DESC.
6. pycsw's log records of failed queries carry the error, not the request's values
   (:mod:`hubcat.query_log`).
7. Results are sorted by every key of the request, then by identifier, text by code point
   and missing values last on every store (:mod:`hubcat.sorting`).
"""
from __future__ import annotations

import logging
import threading

from pycsw.core import util
from pycsw.core.repository import Repository
from sqlalchemy import func, select, text
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import Session

from hubcat import external_ids, filter_guard, fulltext, multivalue, query_log, sorting
from hubcat.csw_associations import associations_only
from hubcat.db import box_index_name, get_engine, has_postgis, records_table
from hubcat.search_indexes import clip_title
from hubcat.spatial_index import prefilter
from hubcat.sql_guard import UnsafeSQL, bind_where
from profiles.hubcat.queryables import MULTI_VALUED_COLUMNS

LOGGER = logging.getLogger(__name__)
ASSOCIATION_TYPENAME = 'rim:Association'
#: pre-filter spatial queries with the SQLite R*Tree (bench/spatial_query.py turns it off to compare)
USE_SPATIAL_INDEX = True
#: sort by every key then identifier (hubcat.sorting); bench/sort_page.py turns it off to
#: compare with pycsw's one-key ORDER BY
USE_HUBCAT_SORT = True
_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def _bind(url: str, table: str):
    """(dataset class, dbtype, postgis column, fts, envelope box index, collate) for a
    database, computed once (collate: PostgreSQL sorts text with COLLATE "C",
    :mod:`hubcat.sorting`)."""
    key = (url, table)
    with _CACHE_LOCK:
        if key not in _CACHE:
            engine = get_engine(url)
            reflected = records_table(url, table)
            dataset = type('dataset', (declarative_base(),), {'__table__': reflected})
            dbtype, geom_col, fts, box, collate = engine.name, None, False, False, False
            if engine.name == 'sqlite':
                from sqlalchemy import inspect
                fts = inspect(engine).has_table(f'{table}_fts')
            if engine.name == 'postgresql':
                with engine.connect() as conn:
                    fts = bool(conn.execute(text(
                        "select relname from pg_class where relname='fts_gin_idx'")).scalar())
                    box = bool(conn.execute(text('select relname from pg_class where relname=:n'),
                                            {'n': box_index_name(table)}).scalar())
                    collate = not sorting.byte_order_collation(conn)
                if has_postgis(engine):
                    if 'wkb_geometry' in reflected.c:
                        dbtype, geom_col = 'postgresql+postgis+native', 'wkb_geometry'
                    else:
                        dbtype = 'postgresql+postgis+wkt'
            _CACHE[key] = (dataset, dbtype, geom_col, fts, box, collate)
        return _CACHE[key]


def dbtype(url: str, table: str) -> str:
    """pycsw's dbtype of a database: ``sqlite``, ``postgresql`` (HubCat's envelope
    functions), ``postgresql+postgis+native`` or ``postgresql+postgis+wkt``."""
    return _bind(url, table)[1]


class HubCatRepository(Repository):
    """pycsw's Repository bound to HubCat's shared engine (see module docstring)."""

    def __init__(self, context, repo_filter=None):
        config = context.server.config
        database = config.get('repository', 'database')
        table = config.get('repository', 'table')
        context.server.orm = 'sqlalchemy'  # filters with bind parameters (:pvalueN)
        filter_guard.install()
        query_log.install()
        self.context = context
        self.filter = repo_filter
        self.engine = get_engine(database)
        (self.dataset, self.dbtype, self.postgis_geometry_column, self.fts,
         self.box_index, self.collate) = _bind(database, table)
        self.session = Session(self.engine, autocommit=True, autoflush=False)
        self._typenames = None
        self.queryables = {}
        for tname in self.context.model['typenames']:
            for qname, qvalue in self.context.model['typenames'][tname]['queryables'].items():
                self.queryables[qname] = dict(qvalue)
        self.queryables['_all'] = {}
        for qbl in list(self.queryables):
            self.queryables['_all'].update(self.queryables[qbl])
        self.queryables['_all'].update(self.context.md_core_model['mappings'])

    def query(self, constraint, sortby=None, typenames=None, maxrecords=10, startposition=0):
        """pycsw's query, values bound, association rows kept apart, multi-valued equality fixed."""
        if 'where' in constraint:
            where, values = bind_where(constraint['where'], constraint['values'])
            if USE_SPATIAL_INDEX and (self.dbtype == 'sqlite' or self.box_index):
                where = prefilter(where, values, self.dataset.__table__.name,
                                  postgresql=self.dbtype != 'sqlite')
            if self.dbtype == 'sqlite' and self.fts:   # the FTS5 table of hubcat.fulltext
                where, values = fulltext.prefilter(where, values, self.dataset.__table__.name)
            where, values = self._per_value(where, values)
            constraint = dict(constraint, where=where, values=values)
        if sortby is not None:
            self._check_column(sortby.get('propertyname'))
            if sortby.get('order') not in ('ASC', 'DESC'):
                raise UnsafeSQL('sort order must be ASC or DESC')
        self._typenames = typenames
        try:
            if util.ranking_pass:   # pycsw's spatial ranking (not enabled by HubCat)
                return super().query(constraint, sortby=sortby, typenames=typenames,
                                     maxrecords=maxrecords, startposition=startposition)
            return self._count_and_page(constraint, sortby, int(maxrecords), int(startposition))
        finally:
            self._typenames = None

    def _count_and_page(self, constraint, sortby, maxrecords: int, startposition: int) -> list:
        """``[matched, page]`` as pycsw's query returns them, without work whose answer is
        already known: no page when the request asks for hits (or ``maxRecords=0``), no
        count when the page is the last one (its rows tell the count), and without a
        constraint the count of every record less the associations (``typename`` is
        NOT NULL: the same number as the filtered count, from two index counts)."""
        def matching(*entities):
            query = self.session.query(*entities).select_from(self.dataset)
            if 'where' in constraint:
                query = query.filter(text(constraint['where'])).params(
                    self._create_values(constraint['values']))
            return self._get_repo_filter(query)

        def count() -> int:
            if 'where' in constraint or self.filter is not None or self._association_rule() != 'not':
                return matching(func.count()).scalar()
            # every record but the associations: two index counts, not a test of every row
            everything = self.session.query(func.count()).select_from(self.dataset).scalar()
            associations = self.session.query(func.count()).select_from(self.dataset).filter(
                self.dataset.typename == ASSOCIATION_TYPENAME).scalar()
            return everything - associations

        if maxrecords <= 0 or self._asks_for_hits():
            return [str(count()), []]
        if USE_HUBCAT_SORT and not (sortby or {}).get('spatial'):
            page = self._sorted_page(matching, self._sort_columns(sortby), maxrecords,
                                     startposition)
        else:   # pycsw's one-key ORDER BY (a spatial sort; bench/sort_page.py to compare)
            query = matching(self.dataset)
            if sortby is not None:
                column = getattr(self.dataset, sortby['propertyname'])
                if sortby.get('spatial'):
                    column = func.get_geometry_area(column)
                query = query.order_by(column.desc() if sortby['order'] == 'DESC' else column)
            page = query.limit(maxrecords).offset(startposition).all()
        if 0 < len(page) < maxrecords or (startposition == 0 and not page):
            return [str(startposition + len(page)), page]
        return [str(count()), page]

    def _asks_for_hits(self) -> bool:
        """True when the GetRecords being answered says resultType="hits"."""
        kvp = getattr(getattr(self.context, 'server', None), 'kvp', None) or {}
        return kvp.get('resulttype') == 'hits'

    def _sort_columns(self, sortby) -> list[tuple[str, str]]:
        """(column, order) of the request's sort keys: every key HubCat read
        (:func:`hubcat.sorting.current_keys`), else pycsw's one, else none."""
        keys = sorting.current_keys()
        if not keys:
            return [(sortby['propertyname'], sortby['order'])] if sortby else []
        columns = []
        for name, order in keys:
            column = self.queryables['_all'].get(name, {}).get('dbcol')
            if not column:
                raise sorting.SortError(f'cannot sort by {name!r}: not a queryable')
            self._check_column(column)
            columns.append((column, order))
        return columns

    def _sorted_page(self, matching, columns: list, maxrecords: int, startposition: int) -> list:
        """One page ordered by :func:`hubcat.sorting.order_clauses` (every key, then a
        unique row key, so that pages never overlap).  The page's identifiers are found
        first and their rows read after: the database sorts narrow rows, not every
        matching record with its documents.

        :param matching: ``matching(*entities)``: the filtered query of those entities
        """
        query = matching(self.dataset.identifier).order_by(*sorting.order_clauses(
            self.dataset.__table__, columns, self.engine.dialect.name, self.collate))
        ids = [row[0] for row in query.limit(maxrecords).offset(startposition)]
        rows = {row.identifier: row for row in self.session.query(self.dataset).filter(
            self.dataset.identifier.in_(ids))} if ids else {}
        return [rows[i] for i in ids if i in rows]

    def query_domain(self, domain, typenames, domainquerytype='list', count=False):
        """pycsw's GetDomain query, on a column of the table only; multi-valued columns
        list their distinct single values."""
        self._check_column(domain)
        if domain in MULTI_VALUED_COLUMNS and domainquerytype != 'range':
            return multivalue.domain(self.session, self.dataset.__table__.name, domain, count,
                                     self.filter)
        return super().query_domain(domain, typenames, domainquerytype=domainquerytype, count=count)

    def insert(self, record, source, insert_date):
        """pycsw's insert (CSW-T), with a bounded title and the record's values stored."""
        record.title = clip_title(record.title)
        self._set_external_ids(record)
        super().insert(record, source, insert_date)
        self._write_values([record.identifier])

    def update(self, record=None, recprops=None, constraint=None):
        """pycsw's update; a constraint (Transaction Update) has its values bound; the
        values of the changed records are kept current."""
        if constraint is not None:
            constraint = self._bound(constraint)
        if record is not None:
            record.title = clip_title(record.title)
            self._set_external_ids(record)
            ids = [record.identifier]
        else:
            ids = self._matching_ids(constraint)
        result = super().update(record=record, recprops=recprops, constraint=constraint)
        self._write_values(ids)
        return result

    def delete(self, constraint):
        """pycsw's delete (Transaction Delete, Harvest), its values bound; the deleted
        records' values go too."""
        constraint = self._bound(constraint)
        ids = self._matching_ids(constraint)
        result = super().delete(constraint)
        with self.engine.begin() as conn:
            multivalue.delete_values(conn, ids)
        return result

    @staticmethod
    def _set_external_ids(record) -> None:
        """The external identifier column of a record written through CSW-T or Harvest
        (an ISO record's fileIdentifier, :func:`hubcat.external_ids.plain_ids`)."""
        record.hc_external_ids = external_ids.column_value(external_ids.plain_ids(
            {'schema': getattr(record, 'schema', None), 'identifier': record.identifier}))

    def _matching_ids(self, constraint) -> list:
        """Identifiers of the records a (bound) CSW-T constraint names."""
        query = self.session.query(self.dataset.identifier).filter(
            text(constraint['where'])).params(self._create_values(constraint['values']))
        return [row[0] for row in query.all()]

    def _write_values(self, identifiers: list) -> None:
        """Store the values of these records as they are now in the records table."""
        table = self.dataset.__table__
        columns = [c for c in multivalue.ROW_COLUMNS if c in table.c]
        with self.engine.begin() as conn:
            rows = conn.execute(select(*[table.c[c] for c in columns]).where(
                table.c.identifier.in_(identifiers))).mappings().all()
            multivalue.write_values(conn, [(row['identifier'], multivalue.row_values(row))
                                           for row in rows], records=table)
            gone = set(identifiers) - {row['identifier'] for row in rows}
            multivalue.delete_values(conn, sorted(gone))

    def _bound(self, constraint) -> dict:
        if not isinstance(constraint, dict) or 'where' not in constraint:
            raise UnsafeSQL('not a translated filter')
        where, values = bind_where(constraint['where'], constraint.get('values', []))
        where, values = self._per_value(where, values)
        return dict(constraint, where=where, values=values)

    def _per_value(self, where: str, values: list) -> tuple[str, list]:
        """Comparisons on multi-valued columns made per value (:mod:`hubcat.multivalue`)."""
        table = self.dataset.__table__
        return multivalue.rewrite_filter(where, values, table.name,
                                         sqlite=self.dbtype == 'sqlite',
                                         keys=multivalue.KEYS_COLUMN in table.c)

    def _check_column(self, name) -> None:
        if not isinstance(name, str) or name not in self.dataset.__table__.c:
            raise UnsafeSQL('not a column of the catalogue')

    def query_ids(self, ids):
        """Records by identifier, associations included."""
        column = getattr(self.dataset, self.context.md_core_model['mappings']['pycsw:Identifier'])
        query = self.session.query(self.dataset).filter(column.in_(ids))
        if self.filter is not None:
            query = query.filter(text(self.filter))
        return query.all()

    def _association_rule(self) -> str:
        """Which rows the query being answered may return: 'only' associations, 'all'
        rows, or rows that are 'not' associations (every query but the two others)."""
        if associations_only() or (self._typenames and list(self._typenames) == [ASSOCIATION_TYPENAME]):
            return 'only'
        if self._typenames and ASSOCIATION_TYPENAME in self._typenames:
            return 'all'
        return 'not'

    def _get_repo_filter(self, query):
        """The repository filter, plus the association typename rule."""
        query = super()._get_repo_filter(query)
        typename = self.dataset.typename
        rule = self._association_rule()
        if rule == 'only':
            return query.filter(typename == ASSOCIATION_TYPENAME)
        if rule == 'all':
            return query
        if self.dbtype == 'sqlite':
            return query.filter(self._not_an_association())
        return query.filter(typename != ASSOCIATION_TYPENAME)

    def _not_an_association(self):
        """SQLite: 'not an association' as a rowid test, so the query planner keeps its index.

        With ``typename != 'rim:Association'`` SQLite must read every row to test it and
        scans the whole table (EXPLAIN QUERY PLAN: ``SCAN records``; title LIKE at 100,000
        records: 387 ms).  The rowids of the associations come from the typename index
        instead, and the rest of the query keeps its covering index (``SCAN records USING
        COVERING INDEX ix_records_title`` + ``SEARCH records USING COVERING INDEX
        ix_records_typename (typename=?)``: 41 ms; docs/performance.md).
        """
        table = self.dataset.__table__.name
        return text(f'{table}.rowid NOT IN (SELECT rowid FROM {table} '
                    'WHERE typename = :hubcat_association)').bindparams(
                        hubcat_association=ASSOCIATION_TYPENAME)
