"""Benchmark: a service of 10,000 Things and 50,000 Datastreams harvested into SQLite,
PostgreSQL and PostgreSQL+PostGIS, found through /csw, harvested again, then after
the service lost 10% of its Things (issue 13 point 1).

For each store: starts ``bench/sta_generator.py`` as its own process, creates the
catalogue (PostgreSQL: a database of its own, ``bigharvest_<store>_<pid>``, dropped at
the end; plain PostgreSQL is owned by a role that may not create PostGIS), runs
``hubcat init``, ``hubcat source add`` and ``hubcat harvest`` (the CLI, each in its own
process; peak RSS is the harvest child's ``ru_maxrss``) and prints:

1. the first harvest: wall time, peak RSS, its summary line, records stored by kind
   and status (associations included);
2. ``hubcat serve`` in its own process, asked over HTTP: GetRecords hits of every kind,
   one Thing by title, the Datastreams of one observed property, a BBOX, the
   associations; GetRecordById of the service record (whose operatesOn lists every
   Thing) in Dublin Core, ISO 19139 and ebRIM: time and size of each;
3. a second harvest of the unchanged service: wall time, nothing went offline,
   nothing added, the same rows;
4. a harvest after the server dropped every 10th Thing: those Things and their
   Datastreams are offline ``removed``, none deleted.

Any check that fails is printed as ``FAILED`` and the script exits 1 at the end.

Usage (from the repository root)::

    .venv/bin/python bench/harvest_large.py                       # 10,000 x 5, all three stores
    .venv/bin/python bench/harvest_large.py --things 1000 --stores sqlite
    .venv/bin/python bench/harvest_large.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PROJECT))

from harvest_memory import start_generator  # noqa: E402

STORES = ('sqlite', 'postgresql', 'postgis')
PLAIN_ROLE = 'bigharvest_plain'
CSW = 'http://www.opengis.net/cat/csw/2.0.2'
SCHEMAS = {'DC': CSW, 'ISO': 'http://www.isotc211.org/2005/gmd',
           'ebRIM': 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'}
PROBLEMS: list[str] = []


def check(ok: bool, what: str) -> None:
    """Print a check's outcome; a failed one is remembered for the exit status."""
    print(f'    {"ok    " if ok else "FAILED"} {what}', flush=True)
    if not ok:
        PROBLEMS.append(what)


class Store:
    """One catalogue database: SQLite in the work folder, or a PostgreSQL database of its own."""

    def __init__(self, kind: str, admin_url: str, work: Path):
        self.kind = kind
        self.admin = None
        if kind == 'sqlite':
            self.url = f'sqlite:///{work / "catalogue.db"}'
            return
        self.name = f'bigharvest_{kind}_{os.getpid()}'
        self.admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
        base = make_url(admin_url)
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS {self.name} WITH (FORCE)'))
            if kind == 'postgis':
                conn.execute(text(f'CREATE DATABASE {self.name}'))
                url = base.set(database=self.name)
            else:
                if not conn.execute(text('SELECT count(*) FROM pg_roles WHERE rolname = :r'),
                                    {'r': PLAIN_ROLE}).scalar():
                    secret = (" PASSWORD '%s'" % base.password.replace("'", "''")
                              if base.password else '')
                    conn.execute(text(f'CREATE ROLE {PLAIN_ROLE} LOGIN{secret}'))
                conn.execute(text(f'CREATE DATABASE {self.name} OWNER {PLAIN_ROLE}'))
                url = base.set(database=self.name, username=PLAIN_ROLE)
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        """Drop the PostgreSQL database (SQLite: the work folder goes with the script)."""
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS {self.name} WITH (FORCE)'))
            self.admin.dispose()

    def sizes(self, top: int = 6) -> tuple[float, list[tuple[str, float]]]:
        """(database MB, the ``top`` largest tables and indexes in MB)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                if self.kind == 'sqlite':
                    total = conn.execute(text('SELECT page_count * page_size FROM '
                                              'pragma_page_count(), pragma_page_size()')).scalar()
                    rows = conn.execute(text('SELECT name, sum(pgsize) FROM dbstat GROUP BY name '
                                             'ORDER BY 2 DESC LIMIT :n'), {'n': top}).all()
                else:
                    total = conn.execute(text('SELECT pg_database_size(current_database())')
                                         ).scalar()
                    rows = conn.execute(text(
                        "SELECT c.relname, CASE WHEN c.relkind = 'r' THEN pg_table_size(c.oid) "
                        "ELSE pg_relation_size(c.oid) END FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') "
                        "ORDER BY 2 DESC LIMIT :n"), {'n': top}).all()
        finally:
            engine.dispose()
        return total / 2 ** 20, [(name, size / 2 ** 20) for name, size in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """Stored rows by (kind, status/reason)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT hc_kind, coalesce(hc_status, '') || "
                    "coalesce('/' || nullif(hc_status_reason, ''), ''), count(*) "
                    "FROM records GROUP BY 1, 2")).all()
                total, distinct = conn.execute(text(
                    'SELECT count(*), count(DISTINCT identifier) FROM records')).one()
        finally:
            engine.dispose()
        found = {(kind, status): n for kind, status, n in rows}
        found[('all', 'rows')], found[('all', 'distinct identifiers')] = total, distinct
        return found


def hubcat(cfg: Path, *args: str) -> str:
    """Run a hubcat command to its end; its stdout."""
    done = subprocess.run([sys.executable, '-m', 'hubcat', '--config', str(cfg), *args],
                          cwd=PROJECT, env=dict(os.environ, PYTHONPATH=str(PROJECT)),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f'hubcat {" ".join(args)} failed: {done.stderr.strip()[-800:]}')
    return done.stdout


class LeaseWatch(threading.Thread):
    """Reads the source's lease every few seconds while a harvest runs: how often it was
    renewed and the least time it had left (negative: it expired mid-harvest)."""

    def __init__(self, url: str, every: float = 5.0):
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.done = threading.Event()
        self.renewals, self.least_left = 0, None

    def run(self) -> None:
        engine = create_engine(self.url)
        last = None
        try:
            while not self.done.wait(self.every):
                with engine.connect() as conn:
                    until = conn.execute(text("SELECT lock_until FROM hubcat_sources "
                                              "WHERE name = 'big'")).scalar()
                if until is None:
                    continue
                if isinstance(until, str):
                    until = datetime.fromisoformat(until)
                if until.tzinfo is None:
                    until = until.replace(tzinfo=timezone.utc)
                left = (until - datetime.now(timezone.utc)).total_seconds()
                self.least_left = left if self.least_left is None else min(self.least_left, left)
                self.renewals += last is not None and until != last
                last = until
        finally:
            engine.dispose()


def harvest(cfg: Path, work: Path, label: str, url: str) -> dict:
    """``hubcat harvest`` in its own process, with its progress bar: seconds, peak RSS
    (MB), summary line, progress output size, the lease as seen from outside."""
    out_path, err_path = work / f'{label}.out', work / f'{label}.err'
    started = time.monotonic()
    watch = LeaseWatch(url)
    with open(out_path, 'w') as out, open(err_path, 'w') as err:
        child = subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', str(cfg),
                                  'harvest', 'big'], cwd=PROJECT,
                                 env=dict(os.environ, PYTHONPATH=str(PROJECT)),
                                 stdout=out, stderr=err)
        watch.start()
        _, status, usage = os.wait4(child.pid, 0)
    watch.done.set()
    watch.join()
    seconds = time.monotonic() - started
    summary = (out_path.read_text().strip().splitlines() or ['(none)'])[-1]
    progress = err_path.read_text()
    if status:
        raise SystemExit(f'harvest {label} failed: {progress.strip()[-800:]}')
    return {'seconds': seconds, 'rss_mb': usage.ru_maxrss / 1024, 'summary': summary,
            'progress_bytes': len(progress.encode()), 'progress_lines': progress.count('\r')
            + progress.count('\n'), 'renewals': watch.renewals, 'least_left': watch.least_left,
            'warnings': [line for line in progress.replace('\r', '\n').splitlines()
                         if 'lease' in line.lower() or 'warning' in line.lower()]}


def print_harvest(label: str, got: dict) -> None:
    """The figures of one harvest, and the check of its lease."""
    print(f'  {label}: {got["seconds"]:.1f} s, peak RSS {got["rss_mb"]:.0f} MB, progress output '
          f'{got["progress_bytes"]} bytes ({got["progress_lines"]} updates)\n'
          f'    {got["summary"]}', flush=True)
    for line in got['warnings']:
        print(f'    log: {line}')
    left = got['least_left']
    check((left is None or left > 0) and not got['warnings'],
          f'lease renewed {got["renewals"]} times while it ran, never expired (least time '
          f'left {"-" if left is None else f"{left:.0f} s"}), no warnings')


def print_counts(counts: dict) -> None:
    for (kind, status), n in sorted(counts.items()):
        print(f'    {kind:<12} {status:<22} {n:>7}')


def by_kind(counts: dict, kind: str, status: str | None = None) -> int:
    return sum(n for (k, s), n in counts.items() if k == kind and (status is None or s == status))


class Csw:
    """``hubcat serve`` of a catalogue in its own process, asked over HTTP."""

    def __init__(self, cfg: Path, port: int):
        self.url = f'http://127.0.0.1:{port}/csw'
        self.proc = subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', str(cfg),
                                      'serve', '--no-scheduler', '--port', str(port)],
                                     cwd=PROJECT, env=dict(os.environ, PYTHONPATH=str(PROJECT)),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                requests.get(f'http://127.0.0.1:{port}/healthz', timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.close()
        raise SystemExit(f'hubcat serve did not answer on port {port}')

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)

    def hits(self, constraint: str, typenames: str = 'csw:Record') -> tuple[int, float]:
        """(numberOfRecordsMatched, seconds) of a CQL GetRecords (hits)."""
        params = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords',
                  'typenames': typenames, 'resulttype': 'hits', 'elementsetname': 'brief'}
        if constraint:
            params.update(constraintlanguage='CQL_TEXT', constraint_language_version='1.1.0',
                          constraint=constraint)
        started = time.monotonic()
        response = requests.get(self.url, params=params, timeout=300)
        seconds = time.monotonic() - started
        marker = b'numberOfRecordsMatched="'
        at = response.content.find(marker)
        if at < 0:
            return -1, seconds
        at += len(marker)
        return int(response.content[at:response.content.index(b'"', at)]), seconds

    def record_by_id(self, identifier: str, schema: str) -> tuple[bytes, float]:
        """(body, seconds) of a GetRecordById in one output schema."""
        started = time.monotonic()
        response = requests.get(self.url, params={
            'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById', 'id': identifier,
            'outputschema': schema, 'elementsetname': 'full'}, timeout=300)
        return response.content, time.monotonic() - started


def search(cfg: Path, port: int, things: int, per_thing: int, service_id: str,
           thing_id: str) -> None:
    """The CSW checks of a harvested catalogue."""
    csw = Csw(cfg, port)
    try:
        for kind, expected in (('service', 1), ('thing', things),
                               ('datastream', things * per_thing)):
            n, s = csw.hits(f"hubcat:EntityType = '{kind}'")
            check(n == expected, f'GetRecords hits EntityType={kind}: {n} ({s * 1000:.0f} ms)')
        n, s = csw.hits('')
        check(n == 1 + things * (1 + per_thing), f'GetRecords hits, no filter: {n} '
              f'({s * 1000:.0f} ms)')
        title = f'Station {things // 2:06d}'
        n, s = csw.hits(f"dc:title = '{title}'")
        check(n == 1, f'Thing by title {title!r}: {n} ({s * 1000:.0f} ms)')
        n, s = csw.hits("hubcat:ObservedProperty = 'Air temperature'")
        check(n == things, f"Datastreams of 'Air temperature' (air_temperature): {n} "
              f'({s * 1000:.0f} ms)')
        n, s = csw.hits('BBOX(ows:BoundingBox, 0, 40, 2, 42)')
        check(n > 0, f'BBOX 2x2 degrees: {n} ({s * 1000:.0f} ms)')
        n, s = csw.hits('', typenames='rim:Association')
        check(n == things * (1 + per_thing), f'associations (typeNames=rim:Association): {n} '
              f'({s * 1000:.0f} ms)')
        for name, schema in SCHEMAS.items():
            body, s = csw.record_by_id(service_id, schema)
            check(service_id.encode() in body and b'ExceptionReport' not in body,
                  f'GetRecordById of the service, {name}: {len(body) / 1024:.0f} KB in '
                  f'{s * 1000:.0f} ms (names a Thing it operates on: '
                  f'{"yes" if thing_id.encode() in body else "no"})')
    finally:
        csw.close()


def run_store(kind: str, args, work: Path) -> dict:
    """All steps on one store; the figures."""
    print(f'\n== {kind}: {args.things} Things x {args.per_thing} Datastreams', flush=True)
    store = Store(kind, args.admin_url, work)
    server = start_generator(args.port, args.things, args.per_thing)
    figures = {}
    try:
        cfg = work / 'pycsw.cfg'
        cfg.write_text(f'[repository]\ndatabase = {store.url}\n\n'
                       f'[hubcat:harvest]\nlease = {args.lease}\n', encoding='utf-8')
        hubcat(cfg, 'init')
        root = f'http://127.0.0.1:{args.port}/sta/v1.1'
        hubcat(cfg, 'source', 'add', root, '--type', 'sta', '--name', 'big',
               '--stale-after', '36500d')
        first = figures['first'] = harvest(cfg, work, 'first', store.url)
        print_harvest('first harvest', first)
        counts = store.counts()
        print_counts(counts)
        things, streams = args.things, args.things * args.per_thing
        total_mb, largest = store.sizes()
        figures['size_mb'] = total_mb
        print(f'    database {total_mb:.0f} MB; largest: ' +
              ', '.join(f'{name} {mb:.0f} MB' for name, mb in largest), flush=True)
        check(by_kind(counts, 'thing', 'online') == things
              and by_kind(counts, 'datastream', 'online') == streams
              and by_kind(counts, 'service') == 1
              and by_kind(counts, 'association') == things + streams,
              'every Thing, Datastream and association stored, online')
        search(cfg, args.csw_port, things, args.per_thing, *_service_and_thing(store.url))

        second = figures['second'] = harvest(cfg, work, 'second', store.url)
        print_harvest('second harvest (unchanged service)', second)
        again = store.counts()
        check(again == counts, 'the same rows, statuses and identifiers as after the first')
        check(' added 0,' in second['summary'] and 'went offline 0,' in second['summary'],
              'nothing added, nothing went offline')

        server.terminate()
        server.wait(timeout=10)
        server = start_generator(args.port, args.things, args.per_thing, '--drop-every', '10')
        third = figures['third'] = harvest(cfg, work, 'third', store.url)
        print_harvest('harvest after 10% of the Things were dropped', third)
        after = store.counts()
        print_counts(after)
        dropped = things // 10
        check(by_kind(after, 'thing', 'offline/removed') == dropped
              and by_kind(after, 'datastream', 'offline/removed') == dropped * args.per_thing,
              f'{dropped} Things and their {dropped * args.per_thing} Datastreams offline/removed')
        check(after[('all', 'rows')] == counts[('all', 'rows')], 'no record deleted')
        check(f'went offline {dropped * (1 + args.per_thing)},' in third['summary'],
              'the summary counts them as went offline')
    finally:
        server.terminate()
        server.wait(timeout=10)
        store.drop()
    return figures


def _service_and_thing(url: str) -> tuple[str, str]:
    """The identifiers of the service record and of its last Thing."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT max(identifier) FROM records WHERE hc_kind = :k"), {'k': kind}).scalar()
                for kind in ('service', 'thing'))
    finally:
        engine.dispose()


def main() -> None:
    """Run every store; a summary table at the end."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--things', type=int, default=10000)
    parser.add_argument('--per-thing', type=int, default=5)
    parser.add_argument('--stores', default=','.join(STORES),
                        help=f'comma-separated, of {", ".join(STORES)}')
    parser.add_argument('--admin-url', default=os.environ.get(
        'HUBCAT_BENCH_ADMIN_URL', 'postgresql://postgres@127.0.0.1:5432/postgres'),
        help='a PostgreSQL superuser URL: the databases are created and dropped through it')
    parser.add_argument('--port', type=int, default=8296, help='the generated STA server')
    parser.add_argument('--csw-port', type=int, default=8297, help='hubcat serve')
    parser.add_argument('--lease', default='2m', help='[hubcat:harvest] lease of the runs')
    parser.add_argument('--workdir', type=Path, help='where SQLite and outputs go (default: temp)')
    args = parser.parse_args()
    results = {}
    for kind in args.stores.split(','):
        if kind not in STORES:
            parser.error(f'unknown store {kind!r}')
        with tempfile.TemporaryDirectory(dir=args.workdir) as work:
            results[kind] = run_store(kind, args, Path(work))
    print(f'\n{args.things} Things x {args.per_thing} Datastreams:')
    print(f'{"store":<12} {"first":>9} {"peak RSS":>9} {"size":>9} {"second":>9} {"peak RSS":>9} '
          f'{"10% gone":>9}')
    for kind, got in results.items():
        print(f'{kind:<12} {got["first"]["seconds"]:>8.0f}s {got["first"]["rss_mb"]:>6.0f} MB '
              f'{got["size_mb"]:>6.0f} MB '
              f'{got["second"]["seconds"]:>8.0f}s {got["second"]["rss_mb"]:>6.0f} MB '
              f'{got["third"]["seconds"]:>8.0f}s')
    if PROBLEMS:
        print(f'\n{len(PROBLEMS)} checks FAILED')
        sys.exit(1)


if __name__ == '__main__':
    main()
