"""Sorted paging: HubCat's sort (every key, then the identifier, code-point text, missing
values last: hubcat/sorting.py) vs pycsw's own single-key ORDER BY, on the same catalogue.

``bench/spatial_query.py``'s generated records (fixed seed) are stored once per work
directory (SQLite) or database (``--postgres``, dropped afterwards); each CSW 2.0.2
GetRecords is answered in-process (the Flask app, no HTTP) ``--repeat`` times and the
median printed with its ratio to pycsw's sort (HubCat's multi-key sorts have no pycsw
equivalent: their ratio is to the one-key pycsw sort of their first key).

    .venv/bin/python bench/sort_page.py [--records 20000] [--repeat 7]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--workdir /tmp/hubcat-sort]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.spatial_query import build  # noqa: E402
from hubcat import repository  # noqa: E402

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
_GETRECORDS = ('<csw:GetRecords xmlns:csw="%s" xmlns:ogc="http://www.opengis.net/ogc" '
               'service="CSW" version="2.0.2" resultType="results" startPosition="{start}" '
               'maxRecords="10"><csw:Query typeNames="csw:Record"><csw:ElementSetName>brief'
               '</csw:ElementSetName>{sort}</csw:Query></csw:GetRecords>' % CSW)
_KEY = ('<ogc:SortProperty><ogc:PropertyName>{}</ogc:PropertyName><ogc:SortOrder>{}'
        '</ogc:SortOrder></ogc:SortProperty>')


def sort_by(*keys: tuple[str, str]) -> str:
    """An ``ogc:SortBy`` of (property, order) keys."""
    return '<ogc:SortBy>%s</ogc:SortBy>' % ''.join(_KEY.format(*k) for k in keys)


def median_ms(client, body: str, repeat: int) -> float:
    """Median milliseconds of ``repeat`` POSTs of ``body`` (each must answer records)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.post('/csw', data=body, content_type='application/xml')
        times.append(time.perf_counter() - start)
        assert b'SearchResults' in answer.data, answer.data[:300]
    return statistics.median(times) * 1000


def run(url: str, n: int, repeat: int) -> None:
    """Print each query's median with HubCat's sort and with pycsw's."""
    from hubcat.app import create_app
    from hubcat.config import Config
    config = Config(overrides={'repository': {'database': url}}, environ={})
    client = create_app(config, init_database=False).test_client()
    start = n // 2
    cases = [
        ('title ASC @n/2', [('dc:title', 'ASC')]),
        ('title DESC @n/2', [('dc:title', 'DESC')]),
        ('modified DESC @n/2', [('dct:modified', 'DESC')]),
        ('no sortby @n/2', []),
        ('type ASC, title DESC @n/2', [('dc:type', 'ASC'), ('dc:title', 'DESC')]),
    ]
    print(f'{"query":28} {"HubCat ms":>10} {"pycsw ms":>10} {"ratio":>6}')
    for name, keys in cases:
        body = _GETRECORDS.format(start=start, sort=sort_by(*keys) if keys else '')
        pycsw_body = _GETRECORDS.format(start=start, sort=sort_by(*keys[:1]) if keys else '')
        repository.USE_HUBCAT_SORT = True
        ours = median_ms(client, body, repeat)
        repository.USE_HUBCAT_SORT = False
        theirs = median_ms(client, pycsw_body, repeat)
        repository.USE_HUBCAT_SORT = True
        print(f'{name:28} {ours:10.1f} {theirs:10.1f} {ours / theirs:5.2f}x')


def main() -> None:
    """Build (or reuse) the catalogue and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--records', type=int, default=20000)
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--postgres', default='')
    parser.add_argument('--workdir', default='/tmp/hubcat-sort')
    args = parser.parse_args()
    from hubcat.db import init_db
    if args.postgres:
        from sqlalchemy import create_engine, text
        name = f'hubcat_sort_bench_{uuid.uuid4().hex[:8]}'
        admin = create_engine(args.postgres, isolation_level='AUTOCOMMIT')
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE {name}'))
        url = args.postgres.rsplit('/', 1)[0] + '/' + name
        try:
            init_db(url)
            build(url, args.records)
            print(f'PostgreSQL, {args.records} records')
            run(url, args.records, args.repeat)
        finally:
            from hubcat.db import dispose_engine
            dispose_engine(url)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f'sort-{args.records}.db'
    url = f'sqlite:///{path}'
    if not path.exists():
        init_db(url)
        build(url, args.records)
    print(f'SQLite, {args.records} records')
    run(url, args.records, args.repeat)


if __name__ == '__main__':
    main()
