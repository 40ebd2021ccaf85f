"""A live, filled HubCat shared by the tests of its web faces (OGC API - Records, the map page,
OWS Context): harvested once per session and backend, as a user's would be.

``hubcat``: (base URL, number of CITE records) of a HubCat on 127.0.0.1 that harvested the
real STA server (50 Things, 200 Datastreams) and the 52North example SOS (its fixture
capabilities over HTTP), and holds the 12 CITE Dublin Core records inserted through CSW-T.
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
STA_RECORDS = 251      # 1 service, 50 Things, 200 Datastreams
SOS_RECORDS = 9        # 1 service, 4 offerings, 4 procedures


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


def _filled(backend: str, tmp_path_factory, sta_server: str, sos_url: str):
    """Yield (base URL, number of CITE records) of a filled, live HubCat on one backend."""
    url, cleanup = make_database(backend, tmp_path_factory.mktemp('filled'))
    config = make_config(url, hubcat={'map_tiles': ''})   # no base map: nothing leaves the machine
    init_db(config.database_url)
    registry = SourceRegistry(config.database_url)
    for source_url, kind, options in ((sta_server, 'sta', {}),
                                      (sos_url, 'sos', {'describe_sensor': False})):
        source = registry.add(source_url, kind, name=kind, stale_after='36500d', options=options)
        assert run_harvest(config, source.id).outcome == 'success'
    server = LiveServer(create_app(config, init_database=False))
    cite = _insert_cite(server.url + '/csw')
    yield server.url, cite
    server.close()
    cleanup()


@pytest.fixture(scope='session')
def hubcat_sqlite(tmp_path_factory, sta_server, sos_url):
    """The filled HubCat on SQLite."""
    yield from _filled('sqlite', tmp_path_factory, sta_server, sos_url)


@pytest.fixture(scope='session')
def hubcat_postgresql(tmp_path_factory, sta_server, sos_url):
    """The filled HubCat on PostgreSQL (without PostGIS)."""
    yield from _filled('postgresql', tmp_path_factory, sta_server, sos_url)


@pytest.fixture(scope='session')
def hubcat_postgis(tmp_path_factory, sta_server, sos_url):
    """The filled HubCat on PostgreSQL with PostGIS."""
    yield from _filled('postgis', tmp_path_factory, sta_server, sos_url)


@pytest.fixture(scope='session', params=_BACKENDS)
def hubcat(request):
    """(base URL, number of CITE records) of the filled, live HubCat (module docstring)."""
    return request.getfixturevalue(f'hubcat_{request.param}')


@pytest.fixture(scope='session', params=SEARCH_BACKENDS)
def hubcat_search(request):
    """:func:`hubcat` on every search backend (PostgreSQL with PostGIS too, when set up)."""
    return request.getfixturevalue(f'hubcat_{request.param}')
