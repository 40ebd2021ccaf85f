"""``externalIds``: the identifiers the sources give records, shown in each GeoJSON record
and searched exactly, on every search backend (SQLite, PostgreSQL, PostGIS).

The expected identifiers come from the sources themselves: the STA server's own
``@iot.id``/``@iot.selfLink`` (asked over HTTP) and the 52North SOS capabilities fixture
(offering ``ws2500`` is served by procedure ``ws2500``).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from sqlalchemy import text

from conftest import ADMIN_TOKEN, SEARCH_BACKENDS, LiveServer, make_config, make_database
from hubcat.app import create_app
from hubcat.db import dispose_engine, get_engine, init_db
from hubcat.external_ids import ISO_SCHEME
from hubcat.harvest import run_harvest
from hubcat.sources import SourceRegistry
from oarec_schemas import assert_valid

ISO_RECORD = (Path(__file__).resolve().parents[1].parent
              / 'shared/fixtures/csw_records/apiso_iso/3e9a8c05.xml')
CSW_NS = 'http://www.opengis.net/cat/csw/2.0.2'


def _items(base: str, collection: str = 'all', **params) -> dict:
    answer = requests.get(f'{base}/records/collections/{collection}/items',
                          params=dict(params, limit=100), timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def _sta(sta_server: str, path: str) -> dict:
    return requests.get(f'{sta_server}/{path}', timeout=30).json()['value'][0]


def test_a_harvested_sta_thing_and_datastream_are_found_by_their_sta_identifiers(
        hubcat_search, sta_server):
    base, _ = hubcat_search
    thing = _sta(sta_server, 'Things?$top=1&$skip=7')
    stream = _sta(sta_server, 'Datastreams?$top=1&$skip=11')
    by_link = _items(base, externalIds=thing['@iot.selfLink'])
    assert [f['properties']['title'] for f in by_link['features']] == [thing['name']]
    feature = by_link['features'][0]
    assert_valid('schemas/recordGeoJSON.yaml', feature)
    assert feature['properties']['type'] == 'thing'
    assert {'scheme': f'{sta_server}/Things', 'value': str(thing['@iot.id'])} in \
        feature['properties']['externalIds']
    assert {'scheme': sta_server, 'value': thing['@iot.selfLink']} in \
        feature['properties']['externalIds']
    # scheme:value of the @iot.id: that Datastream only (a Thing may share the number)
    found = _items(base, externalIds=f'{sta_server}/Datastreams:{stream["@iot.id"]}')
    assert [(f['properties']['type'], f['properties']['title']) for f in found['features']] \
        == [('datastream', stream['name'])]
    # a bare @iot.id matches every entity of that number: the Thing and the Datastream
    bare = _items(base, 'sensors', externalIds=str(stream['@iot.id']))
    assert stream['name'] in {f['properties']['title'] for f in bare['features']}
    assert {f['properties']['type'] for f in bare['features']} <= {'thing', 'datastream'}
    both = _items(base, externalIds=f'{thing["@iot.selfLink"]},{stream["@iot.selfLink"]}')
    assert both['numberMatched'] == 2


def test_a_harvested_sos_offering_and_procedure_are_found_by_their_identifiers(
        hubcat_search, sos_url):
    base, _ = hubcat_search
    both = _items(base, externalIds='ws2500')     # offering ws2500 and its procedure ws2500
    assert sorted(f['properties']['type'] for f in both['features']) == ['offering', 'procedure']
    for feature in both['features']:
        assert_valid('schemas/recordGeoJSON.yaml', feature)
    offering = _items(base, externalIds=f'{sos_url}#offering:ws2500')
    assert [f['properties']['type'] for f in offering['features']] == ['offering']
    assert offering['features'][0]['properties']['externalIds'] == [
        {'scheme': f'{sos_url}#offering', 'value': 'ws2500'}]
    procedure = _items(base, 'sensors', externalIds=f'{sos_url}#procedure:ws2500', type='procedure')
    assert procedure['numberMatched'] == 1
    service = _items(base, 'services', externalIds=sos_url)
    assert [f['properties']['serviceType'] for f in service['features']] == ['SOS']


def test_only_an_exact_identifier_matches(hubcat_search, sos_url):
    base, _ = hubcat_search
    assert _items(base, externalIds='ws2500')['numberMatched'] == 2
    for term in ('ws25', 'WS2500', 'ws2500-', '%ws2500%', 'ws_500', 'ws*', 'offering:ws2500',
                 f'{sos_url}#offering', f'{sos_url}#offering:ws25', 'Things', '/Things(1)'):
        assert _items(base, externalIds=term)['numberMatched'] == 0, term


def test_csw_and_the_records_api_find_the_same_records_by_external_id(hubcat_search, sta_server):
    base, _ = hubcat_search
    link = _sta(sta_server, 'Datastreams?$top=1&$skip=3')['@iot.selfLink']
    csw = CatalogueServiceWeb(base + '/csw', version='2.0.2')
    for term in (link, 'ws2500', 'wxt520'):
        csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:ExternalId', term)],
                        maxrecords=50, esn='brief')
        api = {f['id'] for f in _items(base, externalIds=term)['features']}
        assert api and set(csw.records) == api, term


def test_externalids_is_documented_in_openapi(hubcat):
    base, _ = hubcat
    openapi = requests.get(base + '/records/openapi', timeout=30).json()
    params = openapi['paths']['/collections/{collectionId}/items']['get']['parameters']
    described = {p['name']: p['description'] for p in params}
    assert 'scheme:value' in described['externalIds'] and '@iot.selfLink' in described['externalIds']


@pytest.fixture(params=SEARCH_BACKENDS)
def upgraded(request, tmp_path, sos_url):
    """A catalogue filled (52North SOS harvest, one ISO record through CSW-T) by a HubCat
    that kept no external identifiers (the column dropped, its values gone), then upgraded
    by ``hubcat init``: (base URL, init's report)."""
    url, cleanup = make_database(request.param, tmp_path)
    config = make_config(url)
    init_db(config.database_url)
    source = SourceRegistry(url).add(sos_url, 'sos', name='sos', stale_after='36500d',
                                     options={'describe_sensor': False})
    assert run_harvest(config, source.id).outcome == 'success'
    server = LiveServer(create_app(config, init_database=False))
    root = etree.Element(f'{{{CSW_NS}}}Transaction', service='CSW', version='2.0.2')
    etree.SubElement(root, f'{{{CSW_NS}}}Insert').append(etree.parse(str(ISO_RECORD)).getroot())
    answer = requests.post(server.url + '/csw', data=etree.tostring(root), timeout=60,
                           headers={'Content-Type': 'application/xml',
                                    'Authorization': f'Bearer {ADMIN_TOKEN}'})
    assert b'<csw:totalInserted>1<' in answer.content, answer.text[:300]
    server.close()
    with get_engine(url).begin() as conn:   # as a HubCat before external identifiers left it
        conn.execute(text("DELETE FROM hubcat_record_values WHERE field = 'hc_external_ids'"))
        conn.execute(text('ALTER TABLE records DROP COLUMN hc_external_ids'))
    dispose_engine(url)
    from click.testing import CliRunner

    from hubcat.cli import cli
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={url}\n[hubcat]\nadmin_token={ADMIN_TOKEN}\n')
    result = CliRunner().invoke(cli, ['--config', str(cfg), 'init'], catch_exceptions=False,
                                env={k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_CONFIG')})
    assert result.exit_code == 0, result.output
    server = LiveServer(create_app(make_config(url), init_database=False))
    yield server.url, result.output
    server.close()
    cleanup()


def test_hubcat_init_gives_existing_records_their_external_ids(upgraded, sos_url):
    base, report = upgraded
    assert 'added column records.hc_external_ids' in report
    assert 'filled records.hc_external_ids of 10 records' in report  # 9 SOS + 1 ISO
    found = _items(base, externalIds='wxt520')
    assert sorted(f['properties']['type'] for f in found['features']) == ['offering', 'procedure']
    iso = _items(base, externalIds=f'{ISO_SCHEME}:3e9a8c05')
    assert [f['id'] for f in iso['features']] == ['3e9a8c05']
    assert iso['features'][0]['properties']['externalIds'] == [
        {'scheme': ISO_SCHEME, 'value': '3e9a8c05'}]
    assert _items(base, externalIds='3e9a8c0')['numberMatched'] == 0


def test_init_of_an_upgraded_catalogue_reads_no_record_again(database_url, monkeypatch):
    """Records whose source gives no identifiers keep none; a later ``init`` (every web
    worker runs one as it starts) leaves the table alone instead of decoding each such
    record again (10 s at 100,000 records)."""
    from hubcat.catalogue import Catalogue
    from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord
    init_db(database_url)
    records = [CatalogRecord(identifier=f'urn:test:plain:{i}', kind=DATASTREAM,
                             object_type=OT_MEASUREMENT, title=f'plain {i}') for i in range(5)]
    Catalogue(database_url).sync(1, records, stale_after=10 ** 9)
    with get_engine(database_url).connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM records WHERE hc_external_ids IS NULL '
                                 'AND hc_record IS NOT NULL')).scalar() == 5
    decoded = []
    original = CatalogRecord.from_json
    monkeypatch.setattr(CatalogRecord, 'from_json',
                        staticmethod(lambda text_: decoded.append(1) or original(text_)))
    assert init_db(database_url) == []
    assert decoded == []
