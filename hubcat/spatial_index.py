"""A spatial index for SQLite catalogues: an R*Tree of record envelopes.

On SQLite, pycsw evaluates a BBOX filter with a Python (shapely) function on
every row (about 0.9 s per query at 100,000 records).  HubCat keeps an R*Tree
``<table>_rtree`` of every record's envelope, maintained by triggers, and puts
an index lookup in front of pycsw's exact test, so only candidate rows reach
shapely.  Results are unchanged: the exact test still decides.
"""
from __future__ import annotations

import math
import re
from typing import Optional

_NUMBER = re.compile(r'-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
#: predicates whose matches all intersect the query envelope (safe to pre-filter)
INTERSECTING = ('bbox', 'intersects', 'within', 'contains', 'overlaps', 'equals', 'touches',
                'crosses')
#: pycsw's spatial test once :func:`hubcat.sql_guard.bind_where` bound its WKT and distance
_SPATIAL = re.compile(r"query_spatial\((?P<col>\w+),:(?P<wkt>pvalue\d+),'(?P<pred>\w+)',"
                      r":pvalue\d+\) = 'true'")


def bounds(wkt: Optional[str]) -> Optional[tuple[float, float, float, float]]:
    """(minx, miny, maxx, maxy) of a WKT/EWKT geometry's coordinates; None when it has none."""
    if not wkt:
        return None
    text = wkt.split(';')[-1]
    numbers = [float(n) for n in _NUMBER.findall(text)]
    if len(numbers) < 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _bound(index: int):
    def component(wkt):
        box = bounds(wkt)
        return None if box is None else box[index]
    return component


def register_functions(dbapi_connection) -> None:
    """SQL functions the index triggers call: hubcat_minx/miny/maxx/maxy(wkt)."""
    for i, name in enumerate(('hubcat_minx', 'hubcat_miny', 'hubcat_maxx', 'hubcat_maxy')):
        dbapi_connection.create_function(name, 1, _bound(i), deterministic=True)


def ddl(table: str) -> list[str]:
    """Statements that create the R*Tree, its triggers, and index the rows not yet in it."""
    rt = f'{table}_rtree'
    values = ('{row}.rowid, hubcat_minx({row}.wkt_geometry), hubcat_maxx({row}.wkt_geometry), '
              'hubcat_miny({row}.wkt_geometry), hubcat_maxy({row}.wkt_geometry)')
    when_new = "NEW.wkt_geometry IS NOT NULL AND hubcat_minx(NEW.wkt_geometry) IS NOT NULL"
    return [
        f'CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(id, minx, maxx, miny, maxy)',
        f'CREATE TRIGGER IF NOT EXISTS {rt}_insert AFTER INSERT ON {table} WHEN {when_new} '
        f'BEGIN INSERT INTO {rt} VALUES ({values.format(row="NEW")}); END',
        f'CREATE TRIGGER IF NOT EXISTS {rt}_update AFTER UPDATE OF wkt_geometry ON {table} '
        f'BEGIN DELETE FROM {rt} WHERE id = OLD.rowid; '
        f'INSERT INTO {rt} SELECT {values.format(row="NEW")} WHERE {when_new}; END',
        f'CREATE TRIGGER IF NOT EXISTS {rt}_delete AFTER DELETE ON {table} '
        f'BEGIN DELETE FROM {rt} WHERE id = OLD.rowid; END',
        f'INSERT INTO {rt} SELECT {values.format(row=table)} FROM {table} '
        f'WHERE hubcat_minx({table}.wkt_geometry) IS NOT NULL '
        f'AND {table}.rowid NOT IN (SELECT id FROM {rt})',
    ]


def prefilter(where: str, values: list, table: str, postgresql: bool = False) -> str:
    """Put an index lookup in front of every intersecting bound ``query_spatial(...) = 'true'``:
    the R*Tree on SQLite, the envelope GiST index (``hubcat_box``) on PostgreSQL without
    PostGIS (``postgresql``).

    ``where``/``values`` as :func:`hubcat.sql_guard.bind_where` returns them; the
    envelope numbers are floats written with ``repr`` (finite: non-finite boxes are skipped).
    """
    def add_lookup(match: re.Match) -> str:
        index = int(match['wkt'][len('pvalue'):])
        box = bounds(values[index]) if index < len(values) else None
        if match['pred'] not in INTERSECTING or box is None or not all(map(math.isfinite, box)):
            return match.group(0)
        minx, miny, maxx, maxy = box
        if postgresql:
            lookup = (f'hubcat_box({table}.{match["col"]}) && '
                      f'box(point({minx!r}, {miny!r}), point({maxx!r}, {maxy!r}))')
        else:
            lookup = (f'{table}.rowid IN (SELECT id FROM {table}_rtree WHERE minx <= {maxx!r} '
                      f'AND maxx >= {minx!r} AND miny <= {maxy!r} AND maxy >= {miny!r})')
        return f'({lookup} AND {match.group(0)})'
    return _SPATIAL.sub(add_lookup, where)
