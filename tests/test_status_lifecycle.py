"""Online/offline status against a real STA server, as an API and CSW client sees it.

The server (django-ogc-sensorthings, started by ../shared/peers/sta_server.sh) holds
50 Things and 200 Datastreams whose newest observations are from 2024-06-01.  A
TCP proxy in front of it plays the service going away and coming back.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import ADMIN_TOKEN
from hubcat.app import create_app
from ops_servers import TcpProxy

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
RECORDS = 1 + 50 + 200          # service, Things, Datastreams
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
GMD = 'http://www.isotc211.org/2005/gmd'
GCO = 'http://www.isotc211.org/2005/gco'
CSW202 = 'http://www.opengis.net/cat/csw/2.0.2'
DC = 'http://purl.org/dc/elements/1.1/'


@pytest.fixture
def hubcat(config, live_app):
    """A live HubCat (API and /csw) on a fresh catalogue."""
    return live_app(create_app(config))


@pytest.fixture
def proxy(sta_server):
    """A TCP proxy in front of the session's STA server."""
    server = TcpProxy(urlsplit(sta_server).port)
    yield server
    server.close()


def _api(hubcat, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, hubcat.url + '/api' + path, timeout=120, **kwargs)


def _add_source(hubcat, url: str, **fields) -> dict:
    resp = _api(hubcat, 'POST', '/sources', headers=AUTH,
                json=dict({'url': url, 'type': 'sta'}, **fields))
    assert resp.status_code == 201, resp.text
    return resp.json()


def _harvest(hubcat, source: dict) -> dict:
    resp = _api(hubcat, 'POST', f'/sources/{source["id"]}/harvest', headers=AUTH)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _source_status(hubcat, source: dict) -> dict:
    status = _api(hubcat, 'GET', '/status').json()
    return next(s for s in status['sources'] if s['id'] == source['id'])


def _matches(hubcat, *constraints) -> int:
    csw = CatalogueServiceWeb(hubcat.url + '/csw', version='2.0.2', timeout=60)
    query = [fes.And(list(constraints))] if len(constraints) > 1 else list(constraints)
    csw.getrecords2(constraints=query, maxrecords=1)
    return csw.results['matches']


def _eq(name: str, value: str):
    return fes.PropertyIsEqualTo(name, value)


def _one_datastream(hubcat) -> str:
    csw = CatalogueServiceWeb(hubcat.url + '/csw', version='2.0.2', timeout=60)
    csw.getrecords2(constraints=[_eq('hubcat:EntityType', 'datastream')], maxrecords=1)
    return next(iter(csw.records))


def _status_in_three_schemas(hubcat, identifier: str) -> dict:
    """The status a client reads in Dublin Core, ISO 19139 and ebRIM output."""
    seen = {}
    for schema in (CSW202, GMD, RIM):
        resp = requests.get(hubcat.url + '/csw', timeout=60, params={
            'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById', 'id': identifier,
            'outputschema': schema, 'elementsetname': 'full'})
        doc = etree.fromstring(resp.content)
        if schema == CSW202:
            seen['dc'] = [s.text for s in doc.iter(f'{{{DC}}}subject')
                          if s.get('scheme') == 'urn:hubcat:def:status']
        elif schema == GMD:
            words = []
            for kw in doc.iter(f'{{{GMD}}}MD_Keywords'):
                title = kw.find(f'.//{{{GMD}}}thesaurusName//{{{GMD}}}title/{{{GCO}}}CharacterString')
                if title is not None and title.text == 'HubCat status':
                    words += [k.text for k in kw.iter(f'{{{GCO}}}CharacterString')
                              if k is not title]
            progress = [c.get('codeListValue') for c in doc.iter(f'{{{GMD}}}MD_ProgressCode')]
            seen['iso'] = (words, progress)
        else:
            seen['ebrim'] = [v.text for slot in doc.iter(f'{{{RIM}}}Slot')
                             if slot.get('name') == 'urn:hubcat:slot:status'
                             for v in slot.iter(f'{{{RIM}}}Value')]
    return seen


def test_unreachable_keeps_records_and_a_return_brings_them_back(hubcat, proxy):
    source = _add_source(hubcat, proxy.url('/sensorthings/v1.1'), name='proxied',
                         stale_after='1000w', options={'retries': 0, 'timeout': 10})
    first = _harvest(hubcat, source)
    assert (first['outcome'], first['counts']['added']) == ('success', RECORDS)
    assert _source_status(hubcat, source)['online'] == RECORDS
    assert _matches(hubcat, _eq('hubcat:Status', 'online')) == RECORDS
    stream = _one_datastream(hubcat)
    assert _status_in_three_schemas(hubcat, stream) == {
        'dc': ['online'], 'iso': (['online'], ['onGoing']), 'ebrim': ['online']}

    proxy.close()                                                   # the service goes away
    down = _harvest(hubcat, source)
    assert down['outcome'] == 'failed' and 'cannot connect' in down['errors'][0]
    assert down['counts']['went_offline'] == RECORDS
    entry = _source_status(hubcat, source)
    assert (entry['online'], entry['offline'], entry['reachable']) == (0, RECORDS, False)
    assert entry['offline_by_reason']['unreachable'] == RECORDS     # kept, and saying why
    assert _matches(hubcat, _eq('hubcat:StatusReason', 'unreachable')) == RECORDS
    assert _matches(hubcat, _eq('hubcat:Status', 'offline'),
                    _eq('hubcat:EntityType', 'thing')) == 50
    assert _status_in_three_schemas(hubcat, stream) == {
        'dc': ['offline:unreachable'], 'iso': (['offline:unreachable'], ['obsolete']),
        'ebrim': ['offline:unreachable']}

    proxy.open()                                                    # and comes back
    back = _harvest(hubcat, source)
    assert back['outcome'] == 'success'
    assert (back['counts']['came_online'], back['counts']['added']) == (RECORDS, 0)
    entry = _source_status(hubcat, source)
    assert (entry['online'], entry['offline'], entry['reachable']) == (RECORDS, 0, True)
    assert _matches(hubcat, _eq('hubcat:Status', 'online')) == RECORDS
    assert _status_in_three_schemas(hubcat, stream)['ebrim'] == ['online']

    runs = _api(hubcat, 'GET', '/runs', params={'source': 'proxied'}).json()['runs']
    assert [(r['outcome'], r['trigger']) for r in runs] == [
        ('success', 'api'), ('failed', 'api'), ('success', 'api')]
    assert runs[1]['went_offline'] == RECORDS and runs[0]['came_online'] == RECORDS


def test_old_observations_make_datastreams_stale(hubcat, sta_server):
    source = _add_source(hubcat, sta_server, name='old-data')      # default stale_after: 24 h
    report = _harvest(hubcat, source)
    assert report['outcome'] == 'success'
    entry = _source_status(hubcat, source)
    assert entry['offline_by_reason']['stale'] == 250               # 200 Datastreams, 50 Things
    assert entry['online'] == 1                                     # the service answers
    assert _matches(hubcat, _eq('hubcat:StatusReason', 'stale'),
                    _eq('hubcat:EntityType', 'datastream')) == 200
    assert _status_in_three_schemas(hubcat, _one_datastream(hubcat))['dc'] == ['offline:stale']

    resp = _api(hubcat, 'PATCH', f'/sources/{source["id"]}', headers=AUTH,
                json={'stale_after': '1000w'})
    assert resp.json()['stale_after'] == 1000 * 604800
    again = _harvest(hubcat, source)
    assert again['counts']['came_online'] == 250
    assert _source_status(hubcat, source)['online'] == RECORDS


def test_a_thing_deleted_on_the_server_goes_offline_removed(hubcat, sta_server_mutable):
    root = sta_server_mutable          # shared by this module's tests: Things may be gone already
    source = _add_source(hubcat, root, name='mutable', stale_after='1000w')
    held = _harvest(hubcat, source)['counts']['added']
    assert held > 1
    thing = requests.get(f'{root}/Things', params={'$top': '1'}, timeout=30).json()['value'][0]
    resp = requests.delete(f"{root}/Things('{thing['@iot.id']}')", timeout=30)
    assert resp.status_code in (200, 204), resp.text
    assert requests.get(f"{root}/Things('{thing['@iot.id']}')", timeout=30).status_code == 404

    report = _harvest(hubcat, source)
    assert report['outcome'] == 'success' and report['counts']['went_offline'] >= 1
    removed = _source_status(hubcat, source)['offline_by_reason']['removed']
    assert removed == report['counts']['went_offline']
    csw = CatalogueServiceWeb(hubcat.url + '/csw', version='2.0.2', timeout=60)
    csw.getrecords2(constraints=[fes.And([_eq('hubcat:StatusReason', 'removed'),
                                          _eq('hubcat:EntityType', 'thing')])], maxrecords=10)
    assert [r.title for r in csw.records.values()] == [thing['name']]
    assert _matches(hubcat, _eq('hubcat:Status', 'online')) == held - removed
