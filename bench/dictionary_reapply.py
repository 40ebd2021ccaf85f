"""Benchmark: re-applying the dictionaries to every stored record (``hubcat dictionary
load`` / ``remove``), against the baseline of storing the same records once (the
catalogue's sync of a harvest, which applies the dictionaries too).

Builds N Datastream records with opaque names (half 'Parameter_1', half 'Parameter_2'),
syncs them into a fresh catalogue, then loads a dictionary that maps both (every record
changes) and removes it again (every record changes back), and prints seconds and
records per second for each, with the ratio to the sync.

Usage (from the repository root)::

    .venv/bin/python bench/dictionary_reapply.py                 # 10,000 on SQLite
    .venv/bin/python bench/dictionary_reapply.py --records 50000 --database postgresql://postgres@127.0.0.1/empty_db
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hubcat.catalogue import Catalogue  # noqa: E402
from hubcat.config import Config  # noqa: E402
from hubcat.db import init_db  # noqa: E402
from hubcat.dictionaries import DictionaryStore, service  # noqa: E402
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord, make_identifier  # noqa: E402

DICTIONARY = """name: bench
mappings:
  - {name: Parameter_1, property: air_temperature}
  - {name: Parameter_2, property: explosive_gas}
"""


def records(n: int) -> list[CatalogRecord]:
    """N Datastream records of one STA service with opaque property names."""
    out = []
    for i in range(n):
        name = f'Parameter_{i % 2 + 1}'
        out.append(CatalogRecord(
            identifier=make_identifier('datastream', 'bench', i), kind=DATASTREAM,
            object_type=OT_MEASUREMENT, title=f'Stream {i} {name}', service_type='STA',
            service_url='http://bench.example.org/v1.1', service_id='urn:hubcat:service:bench',
            thing_id=f'urn:hubcat:thing:{i // 5}', parent_id=f'urn:hubcat:thing:{i // 5}',
            bbox=(7 + (i % 100) / 100, 50, 7 + (i % 100) / 100, 50),
            observed_properties=[name, f'urn:example:bench:{name}'],
            observed_property_labels=[name], unit='degF' if i % 2 == 0 else '%LEL',
            slots={'unitOfMeasurement/symbol': ['°F' if i % 2 == 0 else '%LEL'],
                   'thing': [f'Thing {i // 5}']}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--records', type=int, default=10000)
    parser.add_argument('--database', help='an empty database URL (default: a new SQLite file)')
    args = parser.parse_args()
    url = args.database or 'sqlite:///' + os.path.join(tempfile.mkdtemp(), 'bench.db')
    config = Config(path=None, overrides={'repository': {'database': url}}, environ={})
    init_db(config.database_url, config.table)
    batch = records(args.records)
    started = time.perf_counter()
    Catalogue(config.database_url, config.table).sync(1, batch)
    sync = time.perf_counter() - started
    dictionary = DictionaryStore(config.database_url).parse(DICTIONARY, 'yaml', 'bench')
    started = time.perf_counter()
    loaded = service.load(config, dictionary)
    load = time.perf_counter() - started
    started = time.perf_counter()
    removed = service.remove(config, 'bench')
    remove = time.perf_counter() - started
    n = args.records
    print(f'{n} records on {url.split(":")[0]}: sync (baseline) {sync:.1f} s '
          f'({n / sync:.0f}/s); dictionary load re-applied {loaded.changed} in {load:.1f} s '
          f'({n / load:.0f}/s, {load / sync:.2f} x sync); remove re-applied {removed.changed} '
          f'in {remove:.1f} s ({remove / sync:.2f} x sync)')


if __name__ == '__main__':
    main()
