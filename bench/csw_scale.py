"""CSW speed at 100,000 records: HubCat (SQLite; PostgreSQL with PostGIS) vs stock pycsw 2.6.2.

The same records (``bench/spatial_query.py``'s generator, fixed seed) are stored in
HubCat and written as Dublin Core files that stock pycsw loads
(``../shared/peers/csw_peer.sh`` serves them; ``bench/pycsw_bulk_load.py`` loads
them with pycsw's own parser, faster than ``load_records``).  Each server runs in its
own process and is asked the same CSW 2.0.2 requests over HTTP:

    title LIKE, BBOX 2x2 degrees, subject = AND BBOX, sort + page at startPosition 5000,
    GetRecordById, AnyText LIKE, resultType=hits

subject = AND BBOX asks for the subject every tenth record has alone
(``bench.spatial_query.SINGLE_SUBJECT``), and stock pycsw's files carry the records' own
subjects only (:func:`pycsw_dc`): pycsw compares ``dc:subject`` with its whole
comma-joined keyword list, HubCat with each value, and on these records both find the
same records (but for pycsw's rounding of envelopes, docs/performance.md).

Each figure is the median of ``--repeat`` requests (the servers take turns, request by
request), printed with its ratio to pycsw
(targets: BBOX <= 0.05x, every other query <= 0.5x, none slower). Then 32 concurrent
clients send the same requests in turn for 30 s: errors, throughput, p95.

    .venv/bin/python bench/csw_scale.py [--records 100000] [--repeat 5] [--clients 32]
        [--seconds 30] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
        [--workdir /tmp/hubcat-csw-scale] [--pg-database NAME]

``--clients 0`` measures the single requests only.
The work directory keeps the generated files and the SQLite catalogue between runs
(``--fresh`` starts over); stock pycsw reloads its records on every start.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.spatial_query import GENERATION, PLACES, SINGLE_SUBJECT, build, generate  # noqa: E402
from hubcat.dublincore import render_dc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / 'shared' / 'peers'
CSW = 'http://www.opengis.net/cat/csw/2.0.2'
# Query geometries say urn:ogc:def:crs:EPSG::4326 (latitude first): both servers read it alike.
_GETRECORDS = ('<csw:GetRecords xmlns:csw="%s" xmlns:ogc="http://www.opengis.net/ogc" '
               'xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2" '
               'resultType="{result}" maxRecords="10" startPosition="{start}">'
               '<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
               '{constraint}{sort}</csw:Query></csw:GetRecords>' % CSW)
_BBOX = ('<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>'
         '<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>{miny} {minx}'
         '</gml:lowerCorner><gml:upperCorner>{maxy} {maxx}</gml:upperCorner></gml:Envelope>'
         '</ogc:BBOX>')
_LIKE = ('<ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>'
         '{name}</ogc:PropertyName><ogc:Literal>{pattern}</ogc:Literal></ogc:PropertyIsLike>')
_EQUAL = ('<ogc:PropertyIsEqualTo><ogc:PropertyName>{name}</ogc:PropertyName>'
          '<ogc:Literal>{value}</ogc:Literal></ogc:PropertyIsEqualTo>')


def _constraint(predicate: str) -> str:
    return ('<csw:Constraint version="1.1.0"><ogc:Filter>%s</ogc:Filter></csw:Constraint>'
            % predicate)


def _getrecords(predicate: str = '', result: str = 'results', start: int = 1,
                sort: str = '') -> str:
    return _GETRECORDS.format(result=result, start=start, sort=sort,
                              constraint=_constraint(predicate) if predicate else '')


def queries(n: int) -> list[tuple[str, str, str]]:
    """(name, method, body or query string) of every measured request."""
    place = PLACES[3]
    rare = generate(n // 3 + 1)[-1].abstract.split()[-1]   # 'Milano-33333': one station
    box = _BBOX.format(minx=8.0, miny=46.0, maxx=10.0, maxy=48.0)
    wide = _BBOX.format(minx=0.0, miny=40.0, maxx=10.0, maxy=50.0)
    sort = ('<ogc:SortBy><ogc:SortProperty><ogc:PropertyName>dc:title</ogc:PropertyName>'
            '<ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>')
    return [
        ('title LIKE', 'POST', _getrecords(_LIKE.format(name='dc:title', pattern=f'%{place}%'))),
        ('BBOX 2x2 deg', 'POST', _getrecords(box)),
        ('subject = AND BBOX', 'POST', _getrecords(
            '<ogc:And>%s%s</ogc:And>' % (_EQUAL.format(name='dc:subject', value=SINGLE_SUBJECT),
                                         wide))),
        ('sort+page @5000', 'POST', _getrecords(start=min(5000, n // 2), sort=sort)),
        ('GetRecordById', 'GET', 'service=CSW&version=2.0.2&request=GetRecordById'
                                 f'&id=urn:bench:ds:{n // 3}&elementsetname=brief'),
        ('AnyText LIKE', 'POST', _getrecords(_LIKE.format(name='csw:AnyText',
                                                          pattern=f'%{rare}%'))),
        ('hits', 'POST', _getrecords(_LIKE.format(name='dc:title', pattern=f'%{place}%'),
                                     result='hits')),
    ]


def ask(session: requests.Session, url: str, method: str, payload: str) -> tuple[float, str]:
    """(seconds, numberOfRecordsMatched or '-') of one request; raises on an error answer."""
    start = time.perf_counter()
    if method == 'GET':
        response = session.get(f'{url}?{payload}', timeout=120)
    else:
        response = session.post(url, data=payload.encode('utf-8'), timeout=120,
                                headers={'Content-Type': 'application/xml'})
    elapsed = time.perf_counter() - start
    text = response.text
    if response.status_code != 200 or 'ExceptionReport' in text:
        raise RuntimeError(f'HTTP {response.status_code}: {text[:300]}')
    matched = text.split('numberOfRecordsMatched="')[1].split('"')[0] \
        if 'numberOfRecordsMatched="' in text else '-'
    return elapsed, matched


def latencies(targets: dict, n: int, repeat: int) -> dict:
    """label -> query name -> (median seconds, records matched).

    The servers take turns request by request (each query warmed up first), so that the
    load of a shared machine falls on all of them alike."""
    sessions = {label: requests.Session() for label in targets}
    figures = {label: {} for label in targets}
    for name, method, payload in queries(n):
        times = {label: [] for label in targets}
        matched = {}
        for label, url in targets.items():
            ask(sessions[label], url, method, payload)   # warm up
        for _ in range(repeat):
            for label, url in targets.items():
                seconds, matched[label] = ask(sessions[label], url, method, payload)
                times[label].append(seconds)
        for label in targets:
            figures[label][name] = (statistics.median(times[label]), matched[label])
    return figures


def load(url: str, n: int, clients: int, seconds: float) -> dict:
    """``clients`` threads sending every query in turn for ``seconds``."""
    plan = queries(n)
    stop = time.monotonic() + seconds
    times, errors, lock = [], [], threading.Lock()

    def client(offset: int) -> None:
        session = requests.Session()
        i = offset
        while time.monotonic() < stop:
            name, method, payload = plan[i % len(plan)]
            i += 1
            try:
                elapsed, _ = ask(session, url, method, payload)
                with lock:
                    times.append(elapsed)
            except Exception as err:  # noqa: BLE001 - counted, not fatal
                with lock:
                    errors.append(f'{name}: {err}')
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1] if times else float('nan')
    return {'requests': len(times), 'errors': len(errors), 'throughput': len(times) / wall,
            'p95': p95, 'first_error': errors[0] if errors else ''}


# ---- the three catalogues ----------------------------------------------------------------------
def pycsw_dc(record) -> str:
    """A record as the Dublin Core file stock pycsw loads: HubCat's Dublin Core without the
    ``dc:subject`` elements HubCat adds with a scheme (observed property, status).

    pycsw stores every ``dc:subject`` of a record comma-joined in its ``keywords`` column
    and compares ``dc:subject = 'x'`` with that whole list; HubCat's ``dc:subject`` is the
    record's own keywords, one by one.  With the same keywords on both sides, a record whose
    only keyword is ``x`` (:data:`bench.spatial_query.SINGLE_SUBJECT`) matches on both, and
    subject = AND BBOX has the same answer on both servers."""
    from lxml import etree
    root = etree.fromstring(render_dc(record, modified='2024-01-01T00:00:00Z'))
    for subject in root.findall('{http://purl.org/dc/elements/1.1/}subject'):
        if subject.get('scheme'):
            root.remove(subject)
    return etree.tostring(root, encoding='unicode')


def write_dc_files(directory: Path, n: int, seed: int) -> None:
    """The records as Dublin Core files for stock pycsw (skipped when already written)."""
    marker = directory / f'.complete-{n}-{seed}-g{GENERATION}'
    if marker.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(generate(n, seed)):
        sub = directory / f'{i // 5000:03d}'
        sub.mkdir(exist_ok=True)
        (sub / f'{i}.xml').write_text(pycsw_dc(record), encoding='utf-8')
    marker.touch()


def start_pycsw(records: Path, port: int, workdir: Path) -> str:
    """Stock pycsw on ``port`` serving the files of ``records``; returns its /csw URL.

    ``csw_peer.sh`` starts it on an empty directory, then ``bench/pycsw_bulk_load.py``
    (pycsw's own parser, in pycsw's virtualenv) fills its database: the rows
    ``load_records`` would write, without its commit per record (an hour at 100,000).
    """
    empty = workdir / 'empty'
    empty.mkdir(exist_ok=True)
    peer_dir = workdir / f'pycsw-{port}'
    env = dict(os.environ, CSW_PEER_PORT=str(port), CSW_PEER_RECORDS=str(empty),
               CSW_PEER_MAXRECORDS='10', CSW_PEER_DIR=str(peer_dir))
    subprocess.run([str(PEERS / 'csw_peer.sh'), 'start'], env=env, check=True, timeout=600)
    venv = Path(os.environ.get('CSW_PEER_VENV', Path(os.environ.get('TMPDIR', '/tmp'))
                               / 'hubcat-peers' / 'cswvenv'))
    subprocess.run([str(venv / 'bin' / 'python'), str(Path(__file__).with_name('pycsw_bulk_load.py')),
                    f'sqlite:///{peer_dir / "records.db"}', str(records)], check=True,
                   timeout=7200, stdout=subprocess.DEVNULL)
    return f'http://127.0.0.1:{port}/csw'


def stop_pycsw(port: int, workdir: Path) -> None:
    """Stop the stock pycsw started by :func:`start_pycsw`."""
    subprocess.run([str(PEERS / 'csw_peer.sh'), 'stop'], timeout=60, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, CSW_PEER_PORT=str(port),
                            CSW_PEER_DIR=str(workdir / f'pycsw-{port}')))


def prepare_hubcat(database_url: str, n: int, seed: int, copy_from: str = '') -> None:
    """Initialise a HubCat catalogue and store the records (skipped when it holds them):
    through HubCat's catalogue writer, or copied row by row from another HubCat
    catalogue that holds them (``copy_from``: the same rows, much faster)."""
    from sqlalchemy import text

    from hubcat.db import get_engine, init_db
    for line in init_db(database_url):
        print(f'  init: {line}')
    if _count(database_url) != n:
        started = time.perf_counter()
        if copy_from and _count(copy_from) == n:
            copy_rows(copy_from, database_url)
        else:
            build(database_url, n, seed)
        print(f'  stored {n} records in {time.perf_counter() - started:.0f} s')
    engine = get_engine(database_url)
    if engine.dialect.name == 'postgresql':   # as autovacuum leaves a table after a bulk load
        with engine.connect() as conn:
            conn.execution_options(isolation_level='AUTOCOMMIT').execute(text('VACUUM ANALYZE'))


def _count(database_url: str) -> int:
    from sqlalchemy import text

    from hubcat.db import get_engine
    with get_engine(database_url).connect() as conn:
        return conn.execute(text("SELECT count(*) FROM records WHERE hc_kind = 'datastream'")
                            ).scalar()


def copy_rows(source_url: str, target_url: str, chunk: int = 2000) -> None:
    """Copy the records and their multi-valued values from one HubCat catalogue to another
    (the target's triggers fill its own geometry and full-text columns)."""
    from sqlalchemy import select

    from hubcat.db import get_engine, records_table
    from hubcat.models import record_values
    source, target = records_table(source_url), records_table(target_url)
    columns = [c.name for c in source.columns if c.name in target.c
               and c.name not in ('wkb_geometry', 'anytext_tsvector')]
    with get_engine(source_url).connect() as src, get_engine(target_url).begin() as dst:
        for table, names in ((source, columns), (record_values, ['identifier', 'field', 'value'])):
            into = target if table is source else record_values
            result = src.execution_options(stream_results=True).execute(
                select(*[table.c[c] for c in names]))
            while True:
                rows = result.mappings().fetchmany(chunk)
                if not rows:
                    break
                dst.execute(into.insert(), [dict(r) for r in rows])


def start_hubcat(database_url: str, port: int, workdir: Path) -> subprocess.Popen:
    """``hubcat serve`` on ``port`` (its own process); returns once /csw answers."""
    cfg = workdir / f'hubcat-{port}.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n[server]\nmaxrecords=10\n')
    exe = Path(sys.executable).with_name('hubcat')
    process = subprocess.Popen([str(exe), '--config', str(cfg), 'serve', '--port', str(port),
                                '--no-scheduler'], stdout=subprocess.DEVNULL,
                               stderr=open(workdir / f'hubcat-{port}.log', 'w'))
    url = f'http://127.0.0.1:{port}/csw'
    for _ in range(300):
        try:
            if requests.get(url, params={'service': 'CSW', 'request': 'GetCapabilities'},
                            timeout=5).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f'hubcat serve did not answer on port {port}')


def postgres_database(admin_url: str, name: str) -> str:
    """A database ``name`` on the server of ``admin_url`` (created when missing)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        if not conn.execute(text('SELECT count(*) FROM pg_database WHERE datname = :n'),
                            {'n': name}).scalar():
            conn.execute(text(f'CREATE DATABASE {name}'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


# ---- report -------------------------------------------------------------------------------------
def report(figures: dict, loads: dict) -> None:
    """Print every figure and its ratio to stock pycsw, and the targets."""
    names = [q[0] for q in queries(1)]
    base = figures['pycsw 2.6.2']
    print()
    print(f'{"query":<22}' + ''.join(f'{label:>30}' for label in figures))
    for name in names:
        row = f'{name:<22}'
        for label, data in figures.items():
            seconds, matched = data[name]
            ratio = seconds / base[name][0]
            cell = f'{seconds * 1000:8.1f} ms' + ('' if label == 'pycsw 2.6.2'
                                                  else f' {ratio:5.2f}x') + f' [{matched}]'
            row += f'{cell:>30}'
        print(row)
    if not loads:
        return
    print()
    print(f'{"32 clients":<22}' + ''.join(f'{label:>30}' for label in loads))
    for key, fmt in (('errors', '{:d}'), ('throughput', '{:.1f} req/s'), ('p95', '{:.3f} s')):
        row = f'{key:<22}'
        for label, data in loads.items():
            cell = fmt.format(data[key])
            if key == 'throughput' and label != 'pycsw 2.6.2':
                cell += f' {data[key] / loads["pycsw 2.6.2"][key]:.1f}x'
            row += f'{cell:>30}'
        print(row)
    for label, data in loads.items():
        if data['first_error']:
            print(f'first error of {label}: {data["first_error"]}')
    print('\ntargets: BBOX <= 0.05x pycsw, every other query <= 0.5x, none slower; '
          '32 clients: 0 errors, >= 5x throughput, p95 <= 1 s')


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def main() -> None:
    """Build the three catalogues, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--records', type=int, default=100_000)
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--clients', type=int, default=32, help='0: no load test')
    ap.add_argument('--seconds', type=float, default=30)
    ap.add_argument('--postgres', default='postgresql://postgres@127.0.0.1:5432/postgres',
                    help='admin URL of a PostgreSQL server with PostGIS ("" to leave it out)')
    ap.add_argument('--pg-database', default='',
                    help='name of the PostgreSQL catalogue (default hubcat_bench_N_SEED_gG)')
    ap.add_argument('--port', type=int, default=0,
                    help='first of three ports to serve on (default: free ports)')
    ap.add_argument('--workdir', default=str(Path(os.environ.get('TMPDIR', '/tmp'))
                                             / 'hubcat-csw-scale'))
    ap.add_argument('--fresh', action='store_true', help='regenerate files and catalogues')
    ap.add_argument('--pycsw-url', default='',
                    help='a stock pycsw already serving these records (not started nor stopped)')
    args = ap.parse_args()
    workdir = Path(args.workdir)
    if args.fresh and workdir.exists():
        import shutil
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    n = args.records
    ports = [args.port + i for i in range(3)] if args.port else [_free_port() for _ in range(3)]
    targets = {}
    print(f'records: {n} (seed {args.seed})')
    write_dc_files(workdir / 'dc', n, args.seed)
    if args.pycsw_url:
        targets['pycsw 2.6.2'] = args.pycsw_url
    else:
        print('stock pycsw: csw_peer.sh, then pycsw_bulk_load.py loads the Dublin Core files')
        started = time.perf_counter()
        targets['pycsw 2.6.2'] = start_pycsw(workdir / 'dc', ports[0], workdir)
        print(f'  loaded in {time.perf_counter() - started:.0f} s')
    processes = []
    try:
        sqlite_url = f'sqlite:///{workdir / f"hubcat-{n}-{args.seed}-g{GENERATION}.db"}'
        print('HubCat SQLite')
        prepare_hubcat(sqlite_url, n, args.seed)
        processes.append(start_hubcat(sqlite_url, ports[1], workdir))
        targets['HubCat SQLite'] = f'http://127.0.0.1:{ports[1]}/csw'
        if args.postgres:
            print('HubCat PostgreSQL+PostGIS')
            pg_url = postgres_database(args.postgres, args.pg_database
                                       or f'hubcat_bench_{n}_{args.seed}_g{GENERATION}')
            prepare_hubcat(pg_url, n, args.seed, copy_from=sqlite_url)
            processes.append(start_hubcat(pg_url, ports[2], workdir))
            targets['HubCat PostgreSQL+PostGIS'] = f'http://127.0.0.1:{ports[2]}/csw'
        figures = latencies(targets, n, args.repeat)
        loads = {label: load(url, n, args.clients, args.seconds)
                 for label, url in targets.items()} if args.clients else {}
        report(figures, loads)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        if not args.pycsw_url:
            stop_pycsw(ports[0], workdir)


if __name__ == '__main__':
    main()
