"""Load a directory of XML records into a stock pycsw 2.6.2 SQLite database, in bulk.

Run with the Python of pycsw's own virtualenv (``csw_peer.sh`` makes it), not HubCat's:

    $CSW_PEER_VENV/bin/python bench/pycsw_bulk_load.py sqlite:///records.db DIR

It does what ``pycsw-admin.py -c load_records`` does (pycsw's parser,
``metadata.parse_record``, one row per record) but commits every 5,000 records
instead of once per record: load_records needs about an hour for 100,000 files,
this a few minutes. The rows are the same, so the pycsw that serves them is stock.
"""
from __future__ import annotations

import os
import sys

from lxml import etree
from pycsw.core import config, metadata, repository, util


def main() -> None:
    """Parse every ``*.xml`` below DIR and insert it into the records table."""
    database, directory = sys.argv[1], sys.argv[2]
    context = config.StaticContext()
    repo = repository.Repository(database, context, table='records')
    session = repo.session
    files = sorted(os.path.join(root, name) for root, _, names in os.walk(directory)
                   for name in names if name.endswith('.xml'))
    stamp = util.get_today_and_now()
    session.begin()
    for count, path in enumerate(files, 1):
        for record in metadata.parse_record(context, etree.parse(path, context.parser), repo):
            if isinstance(record.xml, bytes):
                record.xml = record.xml.decode()
            record.insert_date = stamp
            session.add(record)
        if count % 5000 == 0:
            session.commit()
            session.begin()
            print(f'{count} records', flush=True)
    session.commit()
    print(f'loaded {len(files)} records')


if __name__ == '__main__':
    main()
