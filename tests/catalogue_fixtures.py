"""A live, filled HubCat shared by the tests of its web faces (OGC API - Records, the map page,
OWS Context): harvested once per session and backend, as a user's would be.

``hubcat``: (base URL, number of CITE records) of a HubCat on 127.0.0.1 that harvested the
real STA server (50 Things, 200 Datastreams) and the 52North example SOS (its fixture
capabilities over HTTP), and holds the 12 CITE Dublin Core records inserted through CSW-T.
The STA Datastreams (last observation 2024-06-01) are online; the SOS source is harvested
with ``stale_after`` 2000 days, so its offerings (last observation 2019-03-28) and their
procedures are offline with reason ``stale``: both statuses are in the catalogue.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from lxml import etree

from conftest import (ADMIN_TOKEN, _BACKENDS, SEARCH_BACKENDS, LiveServer, make_config,
                      make_database)
from hubcat.app import create_app
from hubcat.db import init_db
from hubcat.harvest import run_harvest
from hubcat.sources import SourceRegistry
from sos_support import Route, SosFixtureServer, fixture

CITE = Path(__file__).resolve().parents[1].parent / 'shared/fixtures/csw_records/cite_dc'
CSW_NS = 'http://www.opengis.net/cat/csw/2.0.2'
STA_RECORDS = 251      # 1 service, 50 Things, 200 Datastreams: all online
SOS_RECORDS = 9        # 1 service (online), 4 offerings, 4 procedures (offline, stale)
SOS_STALE = 8
#: base URL of a ``hubcat`` fixture -> its database URL (for ``hubcat serve`` on the same data)
DATABASES: dict[str, str] = {}


def _insert_cite(csw_url: str) -> int:
    """Insert the CITE Dublin Core records through CSW-T; returns how many."""
    records = [etree.parse(str(path)).getroot() for path in sorted(CITE.glob('*.xml'))]
    root = etree.Element(f'{{{CSW_NS}}}Transaction', service='CSW', version='2.0.2',
                         nsmap={'csw': CSW_NS})
    insert = etree.SubElement(root, f'{{{CSW_NS}}}Insert')
    insert.extend(records)
    answer = requests.post(csw_url, data=etree.tostring(root), timeout=60,
                           headers={'Content-Type': 'application/xml',
                                    'Authorization': f'Bearer {ADMIN_TOKEN}'})
    inserted = etree.fromstring(answer.content).findtext(f'.//{{{CSW_NS}}}totalInserted')
    assert inserted == str(len(records)), answer.text[:500]
    return len(records)


@pytest.fixture(scope='session')
def sos_url():
    """The 52North example SOS 2.0.0 (fixture capabilities and DescribeSensor) over HTTP."""
    sos = SosFixtureServer().start()
    yield sos.add('/52n', Route(capabilities={'2.0.0': fixture('52n_example_2.0.0.xml')},
                                describe={'ws2500': fixture(
                                    '52n_ws2500_describesensorresponse_sos200.xml')}))
    sos.stop()


@pytest.fixture(scope='session')
def filled_hubcats(tmp_path_factory, sta_server, sos_url):
    """backend -> (base URL, number of CITE records): each backend filled once a session."""
    made: dict = {}
    closers = []

    def get(backend: str) -> tuple[str, int]:
        if backend not in made:
            url, cleanup = make_database(backend, tmp_path_factory.mktemp('filled'))
            closers.append(cleanup)
            config = make_config(url, hubcat={'map_tiles': ''})   # no base map: nothing leaves
            init_db(config.database_url)
            registry = SourceRegistry(config.database_url)
            for source_url, kind, stale_after, options in (
                    (sta_server, 'sta', '36500d', {}),
                    (sos_url, 'sos', '2000d', {'describe_sensor': False})):
                source = registry.add(source_url, kind, name=kind, stale_after=stale_after,
                                      options=options)
                assert run_harvest(config, source.id).outcome == 'success'
            server = LiveServer(create_app(config, init_database=False))
            closers.append(server.close)
            made[backend] = (server.url, _insert_cite(server.url + '/csw'))
            DATABASES[server.url] = config.database_url
        return made[backend]

    yield get
    for close in reversed(closers):
        close()


@pytest.fixture(scope='session', params=_BACKENDS)
def hubcat(request, filled_hubcats):
    """(base URL, number of CITE records) of the filled, live HubCat (module docstring)."""
    return filled_hubcats(request.param)


@pytest.fixture(scope='session', params=SEARCH_BACKENDS)
def hubcat_search(request, filled_hubcats):
    """:func:`hubcat` on every search backend: also PostgreSQL with PostGIS when the tests
    have one (``HUBCAT_TEST_POSTGIS_DATABASE_URL``), which compares geometries exactly."""
    return filled_hubcats(request.param)
