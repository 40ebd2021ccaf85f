"""BBOX query time on a SQLite catalogue: HubCat's R*Tree pre-filter vs pycsw's per-row test.

Builds a catalogue of N Datastream records (default 100,000, random points over
Europe) and times CSW GetRecords with a BBOX filter, in process (no HTTP), with
the R*Tree pre-filter on and off (off = stock pycsw's shapely call on every row,
the baseline; ARCHITECTURE.md measured about 0.9 s per query at 100,000 records).

    .venv/bin/python bench/spatial_query.py [--records 100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from hubcat import repository
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.config import Config
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord

QUERY = '''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
  xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" service="CSW"
  version="2.0.2" resultType="results" maxRecords="10"><csw:Query typeNames="csw:Record">
  <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0"><ogc:Filter>
  <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope>
  <gml:lowerCorner>{miny} {minx}</gml:lowerCorner><gml:upperCorner>{maxy} {maxx}</gml:upperCorner>
  </gml:Envelope></ogc:BBOX></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>'''


#: title words, subjects and places of the generated records (a fixed vocabulary)
PROPERTIES = ('Air temperature', 'Relative humidity', 'Wind speed', 'Precipitation amount',
              'Water level', 'Discharge', 'Nitrate', 'Ozone', 'PM10', 'Soil moisture')
PLACES = ('Basel', 'Zurich', 'Lyon', 'Milano', 'Wien', 'Praha', 'Lisboa', 'Oslo', 'Gdansk',
          'Porto', 'Bremen', 'Turku', 'Split', 'Cork', 'Namur', 'Graz', 'Brno', 'Tartu',
          'Aarhus', 'Bergen')
SUBJECTS = tuple(f'theme-{i:02d}' for i in range(40))
#: the only subject of every tenth record (never beside another one: a query for it has the
#: same answer whether a server compares each subject or the whole comma-joined list)
SINGLE_SUBJECT = 'network-core'
#: changes when :func:`generate` makes other records (benchmarks name their files with it)
GENERATION = 2


def generate(n: int, seed: int = 42) -> list[CatalogRecord]:
    """N Datastream records at random points in lon -10..30, lat 35..60, each with a
    place and property in its title, an abstract and two subjects (every tenth record:
    :data:`SINGLE_SUBJECT` alone) - same seed, same records."""
    rnd = random.Random(seed)
    records = []
    for i in range(n):
        x, y = round(rnd.uniform(-10, 30), 5), round(rnd.uniform(35, 60), 5)
        place, prop = rnd.choice(PLACES), rnd.choice(PROPERTIES)
        subjects = rnd.sample(SUBJECTS, 2)
        records.append(CatalogRecord(
            identifier=f'urn:bench:ds:{i}', kind=DATASTREAM, object_type=OT_MEASUREMENT,
            title=f'{place} {prop} {i}', abstract=f'{prop} measured at station {place}-{i}',
            keywords=[SINGLE_SUBJECT] if i % 10 == 0 else subjects, service_type='STA',
            service_url='http://bench/v1.1', bbox=(x, y, x, y), observed_properties=[prop],
            time_end='2099-01-01T00:00:00Z'))
    return records


def build(database_url: str, n: int, seed: int = 42, batch: int = 5000) -> None:
    """Store :func:`generate`'s records in a catalogue, ``batch`` at a time."""
    records = generate(n, seed)
    catalogue = Catalogue(database_url)
    for start in range(0, n, batch):
        catalogue.sync(1, records[start:start + batch], complete=False)


def timed(client, box, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` queries, and the records matched."""
    body = QUERY.format(minx=box[0], miny=box[1], maxx=box[2], maxy=box[3])
    times, matched = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        resp = client.post('/csw', data=body, content_type='application/xml')
        times.append(time.perf_counter() - start)
        text = resp.get_data(as_text=True)
        matched = int(text.split('numberOfRecordsMatched="')[1].split('"')[0])
    return statistics.median(times), matched


def main() -> None:
    """Build, query with and without the index, print the figures and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--records', type=int, default=100_000)
    ap.add_argument('--repeat', type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f'sqlite:///{Path(tmp) / "bench.db"}'
        config = Config(overrides={'repository': {'database': url}}, environ={})
        app = create_app(config)
        start = time.perf_counter()
        build(config.database_url, args.records)
        print(f'catalogue: {args.records} records written in {time.perf_counter() - start:.1f} s')
        client = app.test_client()
        for label, box in (('1 x 1 degree box', (8.0, 46.0, 9.0, 47.0)),
                           ('10 x 10 degree box', (0.0, 40.0, 10.0, 50.0))):
            indexed, n1 = timed(client, box, args.repeat)
            repository.USE_SPATIAL_INDEX = False
            baseline, n2 = timed(client, box, max(1, args.repeat // 2))
            repository.USE_SPATIAL_INDEX = True
            assert n1 == n2, (n1, n2)
            print(f'{label:<20} matched {n1:>6}   R*Tree {indexed * 1000:8.1f} ms   '
                  f'per-row (pycsw) {baseline * 1000:8.1f} ms   speed-up {baseline / indexed:5.1f}x')


if __name__ == '__main__':
    main()
