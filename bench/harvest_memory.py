"""Benchmark: peak memory (RSS) of ``hubcat harvest`` at 5,000 and at 100,000 Datastreams.

For each size, starts ``bench/sta_generator.py`` (a generated STA server: Things with
5 Datastreams each, computed on the fly) as its own process, registers it in a fresh
catalogue and runs ``hubcat harvest`` as a child process; its peak RSS is the child's
``ru_maxrss`` (``os.wait4``), so the server and this script are not counted.

Baseline (issue 13): before streaming, a harvest held every record of the source with
its rendered XML: ~30 MB per 1,000 Datastreams (1.6 GB at 50,000). The ratio printed
is against that (150 MB at 5,000, 3,000 MB at 100,000), or against a measured
baseline when ``--baseline-project`` names an older checkout to run the same way.
Target: < 300 MB at 100,000 Datastreams, growth well below linear.

Usage (from the repository root)::

    .venv/bin/python bench/harvest_memory.py                     # 5,000 and 100,000
    .venv/bin/python bench/harvest_memory.py --sizes 5000 --baseline-project /path/to/old/hubcat
    .venv/bin/python bench/harvest_memory.py --database postgresql://postgres@127.0.0.1/empty_db
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
BASELINE_MB_PER_1000 = 30.0


def start_generator(port: int, things: int, per_thing: int, *extra: str) -> subprocess.Popen:
    """The generated STA server (``extra``: more of its options), answering."""
    proc = subprocess.Popen([sys.executable, str(HERE / 'sta_generator.py'), '--port', str(port),
                             '--things', str(things), '--per-thing', str(per_thing), *extra],
                            stdout=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/sta/v1.1/'
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f'the generator did not answer at {url}')


def hubcat(project: Path, cfg: Path, *args) -> subprocess.CompletedProcess:
    """Run a hubcat command of ``project`` to its end."""
    done = subprocess.run([sys.executable, '-m', 'hubcat', '--config', str(cfg), *args],
                          cwd=project, env=dict(os.environ, PYTHONPATH=str(project)),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f'hubcat {" ".join(args)} failed: {done.stderr.strip()[-500:]}')
    return done


def measure(project: Path, port: int, size: int, per_thing: int, database: str | None) -> dict:
    """Harvest ``size`` Datastreams with ``project``'s code: peak RSS (MB), seconds, summary."""
    server = start_generator(port, size // per_thing, per_thing)
    try:
        with tempfile.TemporaryDirectory() as work:
            cfg = Path(work) / 'pycsw.cfg'
            url = database or f'sqlite:///{Path(work) / "catalogue.db"}'
            cfg.write_text(f'[repository]\ndatabase = {url}\n', encoding='utf-8')
            hubcat(project, cfg, 'init')
            hubcat(project, cfg, 'source', 'add', f'http://127.0.0.1:{port}/sta/v1.1',
                   '--type', 'sta', '--name', 'generated')
            started = time.monotonic()
            out_path, err_path = Path(work) / 'out.txt', Path(work) / 'err.txt'
            with open(out_path, 'w') as out_file, open(err_path, 'w') as err_file:
                child = subprocess.Popen([sys.executable, '-m', 'hubcat', '--config', str(cfg),
                                          'harvest', 'generated', '--no-progress'],
                                         cwd=project, env=dict(os.environ, PYTHONPATH=str(project)),
                                         stdout=out_file, stderr=err_file)
                _, status, usage = os.wait4(child.pid, 0)
            seconds = time.monotonic() - started
            out, err = out_path.read_text(), err_path.read_text()
            if status != 0:
                raise SystemExit(f'harvest failed: {err.strip()[-500:]}')
            return {'rss_mb': usage.ru_maxrss / 1024, 'seconds': seconds,
                    'summary': out.strip().splitlines()[-1]}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    """Measure, print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='5000,100000', help='Datastream counts, comma-separated')
    parser.add_argument('--per-thing', type=int, default=5)
    parser.add_argument('--port', type=int, default=8296)
    parser.add_argument('--database', help='an empty catalogue database URL (default: SQLite)')
    parser.add_argument('--baseline-project', type=Path,
                        help='an older HubCat checkout to measure the same way')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]
    results = {}
    for size in sizes:
        got = measure(PROJECT, args.port, size, args.per_thing, args.database)
        base = (measure(args.baseline_project.resolve(), args.port, size, args.per_thing,
                        args.database)['rss_mb'] if args.baseline_project
                else BASELINE_MB_PER_1000 * size / 1000)
        results[size] = got
        print(f'{size:>7} Datastreams: peak RSS {got["rss_mb"]:7.1f} MB in {got["seconds"]:6.1f} s; '
              f'baseline {base:7.1f} MB ({"measured" if args.baseline_project else "issue 13"}), '
              f'ratio {got["rss_mb"] / base:.3f}\n         {got["summary"]}', flush=True)
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        growth = results[large]['rss_mb'] / results[small]['rss_mb']
        print(f'growth {small} -> {large} Datastreams: x{growth:.2f} RSS for x{large / small:.0f} '
              f'data; {(results[large]["rss_mb"] - results[small]["rss_mb"]) / (large - small) * 1000:.2f}'
              f' MB per 1,000 more Datastreams (baseline {BASELINE_MB_PER_1000:.0f})')


if __name__ == '__main__':
    main()
