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
clients send the same requests in turn for 30 s (``--load-runs`` rounds, the servers
taking turns; medians): errors, throughput, p95, the server's CPU time per request, and
how much of the machine other work took meanwhile (/proc). HubCat runs the production
way, ``gunicorn 'hubcat.app:create_app()'`` with as many sync workers as the stock pycsw
peer (``csw_peer.sh``: 2), unless ``--server serve`` (one ``hubcat serve`` process),
``--workers`` or ``--threads`` say otherwise; the output names the model.

    .venv/bin/python bench/csw_scale.py [--records 100000] [--repeat 5] [--clients 32]
        [--seconds 30] [--load-runs 1] [--server gunicorn|serve] [--workers 2] [--threads N]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--pg-database NAME]
        [--workdir /tmp/hubcat-csw-scale] [--pycsw-url URL] [--no-latencies]

``--clients 0`` measures the single requests only, ``--no-latencies`` the load only.

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
from urllib.parse import urlsplit

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


def load(url: str, n: int, clients: int, seconds: float, server_pids=(),
         database: str = '') -> dict:
    """``clients`` threads sending every query in turn for ``seconds``: requests, errors,
    throughput, p95, and how busy the machine was meanwhile (:class:`CpuMeter`)."""
    plan = queries(n)
    times, errors, lock = [], [], threading.Lock()
    meter = CpuMeter(server_pids, database)
    stop = time.monotonic() + seconds

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
            'p95': p95, 'first_error': errors[0] if errors else '', 'cpu': meter.read(),
            'wall': wall}


class CpuMeter:
    """CPU use of the whole machine, of the servers under test (each pid and its child
    processes: gunicorn's workers; with ``database``, the PostgreSQL processes serving it,
    as far as they live at both readings) and of this load generator, from /proc, since
    creation.

    The machine is shared: ``other`` is what neither the server nor the load generator
    used, i.e. how much of the machine other work took during the measurement.
    """

    def __init__(self, server_pids=(), database: str = ''):
        self.server_pids = list(server_pids)
        self.database = database
        self.start = self._sample()

    def _backends(self) -> list[int]:
        """The PostgreSQL server processes serving ``database`` (their titles name it)."""
        if not self.database:
            return []
        pids = []
        for entry in Path('/proc').iterdir():
            if entry.name.isdigit():
                try:
                    title = (entry / 'cmdline').read_bytes().replace(b'\0', b' ').decode()
                except OSError:
                    continue
                if title.startswith('postgres: ') and f' {self.database} ' in title:
                    pids.append(int(entry.name))
        return pids

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, total) clock ticks of every CPU."""
        with open('/proc/stat', encoding='ascii') as handle:
            fields = [float(v) for v in handle.readline().split()[1:]]
        idle = fields[3] + fields[4]   # idle + iowait
        return sum(fields) - idle, sum(fields)

    @staticmethod
    def _ticks(pid: int, reaped: bool = True) -> float:
        """utime + stime ticks of ``pid`` (and of its reaped children: cutime + cstime)."""
        try:
            with open(f'/proc/{pid}/stat', encoding='ascii') as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            return 0.0
        return sum(float(v) for v in fields[11:15 if reaped else 13])

    @staticmethod
    def _process_tree(pid: int) -> float:
        """CPU ticks of ``pid`` and its live children (and their reaped children)."""
        try:
            children = Path(f'/proc/{pid}/task/{pid}/children').read_text().split()
        except OSError:
            children = []
        return CpuMeter._ticks(pid) + sum(CpuMeter._process_tree(int(c)) for c in children)

    def _sample(self) -> tuple[float, float, float, float]:
        busy, total = self._machine()
        server = sum(self._process_tree(pid) for pid in self.server_pids + self._backends())
        # the load generator alone: its children are the HubCat servers it started
        return busy, total, server, self._ticks(os.getpid(), reaped=False)

    def read(self) -> dict:
        """Shares of the machine's CPU time since creation: busy, server, client, other."""
        end = self._sample()
        busy, total, server, client = (b - a for a, b in zip(self.start, end))
        share = (lambda ticks: ticks / total) if total else (lambda ticks: 0.0)
        return {'cpus': os.cpu_count(), 'busy': share(busy), 'server': share(server),
                'client': share(client), 'other': max(0.0, share(busy - server - client)),
                'loadavg': os.getloadavg()[0]}


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
        for line in init_db(database_url):   # what follows from the rows (PostgreSQL's value keys)
            print(f'  init: {line}')
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


#: how HubCat is served: gunicorn (production, docs/deployment.md) or ``hubcat serve``
SERVERS = ('gunicorn', 'serve')
#: gunicorn workers of the stock pycsw peer (``csw_peer.sh``: ``gunicorn --workers 2``)
PYCSW_WORKERS = 2


def server_model(server: str, workers: int, threads: int) -> str:
    """One line saying how HubCat is served in this run."""
    if server == 'gunicorn':
        kind = 'sync' if threads <= 1 else f'gthread, {threads} threads each'
        return (f"gunicorn --workers {workers} 'hubcat.app:create_app()' ({kind}; stock pycsw: "
                f'gunicorn --workers {PYCSW_WORKERS}, sync)')
    return 'hubcat serve (one process: waitress, %d threads)' % threads


def start_hubcat(database_url: str, port: int, workdir: Path, server: str = 'gunicorn',
                 workers: int = PYCSW_WORKERS, threads: int = 1) -> subprocess.Popen:
    """HubCat on ``port`` in its own process(es); returns once /csw answers.

    ``gunicorn``: the production server of docs/deployment.md, ``workers`` processes
    (``threads`` > 1: gthread workers); ``serve``: ``hubcat serve`` (waitress, one
    process, ``threads`` threads).
    """
    cfg = workdir / f'hubcat-{port}.cfg'
    cfg.write_text(f'[repository]\ndatabase={database_url}\n[server]\nmaxrecords=10\n'
                   + (f'[hubcat]\nthreads={threads}\n' if server == 'serve' else ''))
    log = workdir / f'hubcat-{port}.log'
    if server == 'gunicorn':
        command = [sys.executable, '-m', 'gunicorn', '--workers', str(workers),
                   '--threads', str(threads), '--bind', f'127.0.0.1:{port}',
                   '--error-logfile', str(log), 'hubcat.app:create_app()']
    else:
        command = [str(Path(sys.executable).with_name('hubcat')), '--config', str(cfg), 'serve',
                   '--port', str(port), '--no-scheduler']
    process = subprocess.Popen(command, env=dict(os.environ, HUBCAT_CONFIG=str(cfg)),
                               cwd=workdir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL if server == 'gunicorn'
                               else open(log, 'w'))
    url = f'http://127.0.0.1:{port}/csw'
    for _ in range(600):
        if process.poll() is not None:
            break
        try:
            if requests.get(url, params={'service': 'CSW', 'request': 'GetCapabilities'},
                            timeout=5).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f'HubCat ({server}) did not answer on port {port}; see {log}')


def stop_hubcat(process: subprocess.Popen) -> None:
    """Stop a server started by :func:`start_hubcat` (gunicorn stops its workers on SIGTERM)."""
    process.terminate()
    process.wait(timeout=60)


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
def report(figures: dict) -> None:
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
    print('\ntargets: BBOX <= 0.05x pycsw, every other query <= 0.5x, none slower')


def load_runs(targets: dict, pids: dict, databases: dict, n: int, clients: int,
              seconds: float, runs: int) -> dict:
    """label -> the :func:`load` figures of ``runs`` rounds; the targets take turns within
    a round, so noise from other work on the machine falls on all of them alike.
    ``pids``, ``databases``: label -> the server processes, the PostgreSQL database name
    (their CPU is the server's)."""
    results = {label: [] for label in targets}
    for round_ in range(runs):
        for label, url in targets.items():
            figures = load(url, n, clients, seconds, pids.get(label, ()),
                           databases.get(label, ''))
            results[label].append(figures)
            cpu = figures['cpu']
            print(f'  load {round_ + 1}/{runs} {label}: {figures["errors"]} errors, '
                  f'{figures["throughput"]:.1f} req/s, p95 {figures["p95"]:.3f} s; CPU of '
                  f'{cpu["cpus"]} cores: {cpu["busy"]:.0%} busy (server {cpu["server"]:.0%}, '
                  f'load generator {cpu["client"]:.0%}, other work {cpu["other"]:.0%})',
                  flush=True)
    return results


def cpu_per_request(figures: dict) -> float:
    """CPU seconds the server (all its processes) spent per answered request in a
    :func:`load`: what the machine's other work does not change much."""
    cpu = figures['cpu']
    return cpu['server'] * cpu['cpus'] * figures['wall'] / max(1, figures['requests'])


def report_load(results: dict, clients: int, seconds: float, model: str) -> None:
    """Print the load figures: errors (all rounds), median throughput with its ratio to
    stock pycsw, median p95, and how busy the machine was; then the targets."""
    rounds = len(next(iter(results.values())))
    median = {label: {key: statistics.median(run[key] for run in runs)
                      for key in ('throughput', 'p95')} for label, runs in results.items()}
    print(f'\nHubCat served by {model}')
    print(f'{clients} clients for {seconds:.0f} s, median of {rounds} round(s):')
    print(f'{"":<22}' + ''.join(f'{label:>30}' for label in results))
    base = median.get('pycsw 2.6.2', {}).get('throughput')
    rows = (('errors', lambda label: '%d' % sum(r['errors'] for r in results[label])),
            ('throughput', lambda label: f'{median[label]["throughput"]:.1f} req/s' + (
                f' {median[label]["throughput"] / base:.1f}x'
                if base and label != 'pycsw 2.6.2' else '')),
            ('p95', lambda label: f'{median[label]["p95"]:.3f} s'),
            ('server CPU / request', lambda label: '%.0f ms' % (1000 * statistics.median(
                cpu_per_request(r) for r in results[label])) if results[label][0]['cpu'][
                    'server'] else '-'),
            ('other work (CPU)', lambda label: '%.0f%% of %d cores' % (
                100 * statistics.median(r['cpu']['other'] for r in results[label]),
                results[label][0]['cpu']['cpus'])))
    for key, cell in rows:
        print(f'{key:<22}' + ''.join(f'{cell(label):>30}' for label in results))
    for label, runs in results.items():
        for run in runs:
            if run['first_error']:
                print(f'first error of {label}: {run["first_error"]}')
                break
    print(f'targets: {clients} clients: 0 errors, >= 5x throughput, p95 <= 1 s')


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
    ap.add_argument('--port', type=int, default=0,
                    help='first of three ports to serve on (default: free ports)')
    ap.add_argument('--workdir', default=str(Path(os.environ.get('TMPDIR', '/tmp'))
                                             / 'hubcat-csw-scale'))
    ap.add_argument('--fresh', action='store_true', help='regenerate files and catalogues')
    ap.add_argument('--pycsw-url', default='',
                    help='a stock pycsw already serving these records (not started nor stopped)')
    ap.add_argument('--pg-database', default='',
                    help='PostgreSQL database name (default hubcat_bench_RECORDS_SEED_gGENERATION)')
    ap.add_argument('--server', choices=SERVERS, default='gunicorn',
                    help="how HubCat is served: gunicorn 'hubcat.app:create_app()' "
                         '(production, default) or hubcat serve')
    ap.add_argument('--workers', type=int, default=PYCSW_WORKERS,
                    help='gunicorn workers (default: as many as the stock pycsw peer, 2)')
    ap.add_argument('--threads', type=int, default=0,
                    help='threads per gunicorn worker (default 1: sync workers, as stock '
                         "pycsw's) or of hubcat serve (default: its own)")
    ap.add_argument('--load-runs', type=int, default=1,
                    help='rounds of the load test (the targets take turns; medians reported)')
    ap.add_argument('--no-latencies', action='store_true',
                    help='measure the load only, not the single-query latencies')
    args = ap.parse_args()
    workdir = Path(args.workdir)
    if args.fresh and workdir.exists():
        import shutil
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    n = args.records
    ports = [args.port + i for i in range(3)] if args.port else [_free_port() for _ in range(3)]
    threads = args.threads or (1 if args.server == 'gunicorn' else serve_threads())
    model = server_model(args.server, args.workers, threads)
    targets, pids, databases = {}, {}, {}
    print(f'records: {n} (seed {args.seed}); HubCat served by {model}')
    write_dc_files(workdir / 'dc', n, args.seed)
    if args.pycsw_url:
        targets['pycsw 2.6.2'] = args.pycsw_url
        port = urlsplit(args.pycsw_url).port
        if port and (workdir / f'pycsw-{port}' / 'gunicorn.pid').exists():   # started by us
            pids['pycsw 2.6.2'] = [pycsw_pid(port, workdir)]
    else:
        print('stock pycsw: csw_peer.sh, then pycsw_bulk_load.py loads the Dublin Core files')
        started = time.perf_counter()
        targets['pycsw 2.6.2'] = start_pycsw(workdir / 'dc', ports[0], workdir)
        pids['pycsw 2.6.2'] = [pycsw_pid(ports[0], workdir)]
        print(f'  loaded in {time.perf_counter() - started:.0f} s')
    processes = []

    def serve(label: str, url: str, port: int) -> None:
        process = start_hubcat(url, port, workdir, args.server, args.workers, threads)
        processes.append(process)
        targets[label], pids[label] = f'http://127.0.0.1:{port}/csw', [process.pid]
    try:
        sqlite_url = f'sqlite:///{workdir / f"hubcat-{n}-{args.seed}-g{GENERATION}.db"}'
        print('HubCat SQLite')
        prepare_hubcat(sqlite_url, n, args.seed)
        serve('HubCat SQLite', sqlite_url, ports[1])
        if args.postgres:
            print('HubCat PostgreSQL+PostGIS')
            pg_name = args.pg_database or f'hubcat_bench_{n}_{args.seed}_g{GENERATION}'
            pg_url = postgres_database(args.postgres, pg_name)
            databases['HubCat PostgreSQL+PostGIS'] = pg_name
            prepare_hubcat(pg_url, n, args.seed, copy_from=sqlite_url)
            serve('HubCat PostgreSQL+PostGIS', pg_url, ports[2])
        if not args.no_latencies:
            report(latencies(targets, n, args.repeat))
        if args.clients:
            print(f'\nload: {args.clients} clients for {args.seconds:.0f} s, '
                  f'{args.load_runs} round(s)')
            results = load_runs(targets, pids, databases, n, args.clients, args.seconds,
                                args.load_runs)
            report_load(results, args.clients, args.seconds, model)
    finally:
        for process in processes:
            stop_hubcat(process)
        if not args.pycsw_url:
            stop_pycsw(ports[0], workdir)


def serve_threads() -> int:
    """The threads ``hubcat serve`` runs by default."""
    from hubcat.server import DEFAULT_THREADS
    return DEFAULT_THREADS


def pycsw_pid(port: int, workdir: Path) -> int:
    """The gunicorn master of the stock pycsw started by :func:`start_pycsw`."""
    return int((workdir / f'pycsw-{port}' / 'gunicorn.pid').read_text().strip())


if __name__ == '__main__':
    main()
