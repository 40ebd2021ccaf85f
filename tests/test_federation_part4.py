"""The distributed search in the OGC API - Records Part 4 (draft) shape: ``/api/search`` and
``/records/collections/{id}/items`` with ``distributedSearch=true``, against real peers on
127.0.0.1 (a stock pycsw, a closed port, a peer that never answers)."""
from __future__ import annotations

import html

import requests
from federation_fixtures import (down_peer, hanging_peer, make_app, make_config,  # noqa: F401
                                 pycsw_all, pycsw_iso)
from lxml import etree
from oarec_schemas import assert_valid
from records_factory import station

from hubcat.catalogue import Catalogue

DC = 'http://purl.org/dc/elements/1.1/'
ALL = 29          # records of the stock pycsw peer
LOREM = 5         # of them (and of the ISO peer's, all duplicates) matching 'lorem'


def _catalogues(body: dict) -> dict:
    results = body['federatedSearchResults']
    assert results['type'] == 'FederatedSearchResults'
    return {k: v for k, v in results.items() if k != 'type'}


def test_api_search_reports_every_catalogue_with_time_or_exception(
        tmp_path, pycsw_all, pycsw_iso, down_peer, hanging_peer):
    config = make_config(tmp_path, {'all': pycsw_all, 'iso': pycsw_iso, 'down': down_peer,
                                    'hang': f'{hanging_peer} 1'})
    resp = make_app(config).test_client().get('/api/search?distributedSearch=true&q=lorem'
                                              '&limit=3')
    assert resp.status_code == 200
    assert resp.mimetype == 'application/geo+json'
    assert resp.headers['X-HubCat-Peers'] == 'all=ok;iso=ok;down=failed;hang=timeout'
    body = resp.get_json()
    assert body['type'] == 'FeatureCollection'
    assert body['numberMatched'] == LOREM and body['numberReturned'] == 3
    catalogues = _catalogues(body)
    assert set(catalogues) == {'all', 'iso', 'down', 'hang'}
    for name, url in (('all', pycsw_all), ('iso', pycsw_iso)):
        entry = catalogues[name]
        assert (entry['id'], entry['catalogURL'], entry['status']) == (name, url, 'success')
        assert entry['type'] == 'FeatureCollection'
        assert isinstance(entry['elapsedTime'], int) and entry['elapsedTime'] >= 0
        assert entry['numberReturned'] == len(entry['features']) == min(entry['numberMatched'], 3)
        assert {f['properties']['federatedCatalogId'] for f in entry['features']} <= {name}
    assert catalogues['all']['numberMatched'] == LOREM and catalogues['all']['numberReturned'] == 3
    down, hang = catalogues['down'], catalogues['hang']
    assert down['status'] == hang['status'] == 'exception'
    assert 'features' not in down and 'numberMatched' not in down
    assert down['exceptionReport'] == {
        'type': 'urn:hubcat:def:peer-status:failed', 'title': 'The catalogue failed',
        'status': 502, 'detail': 'cannot connect: Connection refused'}
    assert hang['exceptionReport']['type'] == 'urn:hubcat:def:peer-status:timeout'
    assert hang['exceptionReport']['detail'] == 'no answer within 1 s'
    assert hang['elapsedTime'] >= 1000        # it was waited for until its timeout
    assert isinstance(down['elapsedTime'], int)
    # the merged page: the first peer's records first, each once, linked to its catalogue
    features = body['features']
    assert [f['id'] for f in features] == [f['id'] for f in catalogues['all']['features']]
    for feature in features:
        assert_valid('schemas/recordGeoJSON.yaml', feature)
        assert feature['properties']['title'] and feature['properties']['federatedCatalogId']
        via = next(link['href'] for link in feature['links'] if link['rel'] == 'via')
        assert via.startswith(pycsw_all + '?')
        found = etree.fromstring(requests.get(via, timeout=60).content)
        assert feature['id'] in [e.text for e in found.iter(f'{{{DC}}}identifier')]


def test_api_search_merges_duplicates_and_keeps_each_catalogues_own_page(
        tmp_path, pycsw_all, pycsw_iso):
    config = make_config(tmp_path, {'iso': pycsw_iso, 'all': pycsw_all})
    body = make_app(config).test_client().get(
        '/api/search?distributedSearch=true&bbox=19,34,30,42&limit=100').get_json()
    catalogues = _catalogues(body)
    iso_ids = [f['id'] for f in catalogues['iso']['features']]
    all_ids = [f['id'] for f in catalogues['all']['features']]
    assert set(iso_ids) <= set(all_ids)            # the ISO peer's records are all duplicates
    assert body['duplicates'] == len(iso_ids) > 0
    assert [f['id'] for f in body['features']] == \
        iso_ids + [i for i in all_ids if i not in iso_ids]
    assert body['numberMatched'] == len(all_ids) == body['numberReturned']
    assert all(f['geometry'] for f in body['features'])


def test_api_search_without_the_switch_keeps_its_own_shape(tmp_path, pycsw_all):
    client = make_app(make_config(tmp_path, {'all': pycsw_all})).test_client()
    for query in ('q=lorem', 'q=lorem&distributedSearch=false'):
        body = client.get(f'/api/search?{query}').get_json()
        assert set(body) == {'matched', 'returned', 'duplicates', 'records', 'peers'}
        assert 'federatedSearchResults' not in body


def test_api_search_chooses_catalogues_and_refuses_bad_values(tmp_path, pycsw_all, down_peer):
    config = make_config(tmp_path, {'all': pycsw_all, 'down': down_peer})
    client = make_app(config).test_client()
    body = client.get('/api/search?distributedSearch=TRUE&federatedCatalogs=all').get_json()
    assert set(_catalogues(body)) == {'all'}
    bad = client.get('/api/search?distributedSearch=yes')
    assert bad.status_code == 400 and 'distributedSearch' in bad.get_json()['error']
    unknown = client.get('/api/search?distributedSearch=true&federatedCatalogs=all,nope')
    assert unknown.status_code == 400
    assert unknown.get_json()['error'] == 'no peer catalogue nope; peers: all, down'


def test_no_catalogue_answering_is_502_with_each_exception_and_no_credentials(
        tmp_path, down_peer, hanging_peer):
    secret_down = down_peer.replace('http://', 'http://reader:s3cret@')
    secret_hang = hanging_peer.replace('http://', 'http://reader:s3cret@')
    config = make_config(tmp_path, {'down': secret_down, 'hang': f'{secret_hang} 1'})
    resp = make_app(config).test_client().get('/api/search?distributedSearch=true')
    assert resp.status_code == 502
    assert 's3cret' not in resp.get_data(as_text=True)
    body = resp.get_json()
    assert body['features'] == [] and body['numberMatched'] == 0
    assert body['error'] == 'no catalogue answered'
    catalogues = _catalogues(body)
    assert catalogues['down']['catalogURL'] == down_peer.replace('http://', 'http://***@')
    assert {c['status'] for c in catalogues.values()} == {'exception'}


def _local_hubcat(tmp_path, peers: dict):
    app = make_app(make_config(tmp_path, peers, name='local'))
    Catalogue(app.config['HUBCAT'].database_url).sync(1, station(n_things=2, per_thing=2))
    return app.test_client()


def test_records_items_distribute_to_the_peers_after_the_local_catalogue(
        tmp_path, pycsw_all, down_peer):
    client = _local_hubcat(tmp_path, {'all': pycsw_all, 'down': down_peer})
    alone = client.get('/records/collections/all/items?limit=100').get_json()
    local_ids = [f['id'] for f in alone['features']]
    resp = client.get('/records/collections/all/items?distributedSearch=true&limit=4')
    assert resp.status_code == 200 and resp.mimetype == 'application/geo+json'
    body = resp.get_json()
    assert_valid('schemas/recordCollectionGeoJSON.yaml', {
        k: v for k, v in body.items() if k != 'federatedSearchResults'})
    catalogues = _catalogues(body)
    assert set(catalogues) == {'local', 'all', 'down'}
    assert catalogues['local']['status'] == catalogues['all']['status'] == 'success'
    assert catalogues['local']['numberMatched'] == alone['numberMatched'] == len(local_ids)
    assert catalogues['all']['numberMatched'] == ALL
    assert catalogues['down']['exceptionReport']['detail'] == 'cannot connect: Connection refused'
    assert body['numberMatched'] == len(local_ids) + ALL
    # local records come first, with HubCat's own links; the peer's link back to the peer
    assert [f['id'] for f in body['features']] == local_ids[:4]
    first = body['features'][0]
    assert first['properties']['federatedCatalogId'] == 'local'
    assert first == dict(alone['features'][0], properties=dict(
        alone['features'][0]['properties'], federatedCatalogId='local'))
    next_link = next(link['href'] for link in body['links'] if link['rel'] == 'next')
    assert 'distributedSearch=true' in next_link and 'offset=4' in next_link
    # a later page: past the local records, the peer's
    offset = len(local_ids)
    later = client.get(f'/records/collections/all/items?distributedSearch=true&limit=4'
                       f'&offset={offset}').get_json()
    assert [f['properties']['federatedCatalogId'] for f in later['features']] == ['all'] * 4
    assert [f['id'] for f in later['features']] == \
        [f['id'] for f in catalogues['all']['features']]   # the peer's first page
    for feature in later['features']:
        assert_valid('schemas/recordGeoJSON.yaml', feature)
    assert _catalogues(later)['local']['features'] == []
    # people see the same in a browser: which catalogue answered, and why one did not
    page = client.get('/records/collections/all/items?distributedSearch=true&limit=4'
                      f'&offset={offset}&f=html').get_data(as_text=True)
    assert 'cannot connect: Connection refused' in page and down_peer in page
    first_via = next(link['href'] for link in later['features'][0]['links']
                     if link['rel'] == 'via')
    assert f'<a href="{html.escape(first_via)}">' in page


def test_records_items_report_a_peer_that_cannot_run_the_query(tmp_path, pycsw_all):
    client = _local_hubcat(tmp_path, {'all': pycsw_all})
    body = client.get('/records/collections/sensors/items?distributedSearch=true'
                      '&federatedCatalogs=all').get_json()
    catalogues = _catalogues(body)
    assert catalogues['local']['status'] == 'success' and body['features']
    assert catalogues['all']['status'] == 'exception'   # stock pycsw has no hubcat:EntityType
    assert 'ExceptionReport' in catalogues['all']['exceptionReport']['detail']
    assert {f['properties']['federatedCatalogId'] for f in body['features']} == {'local'}
    bad = client.get('/records/collections/all/items?distributedSearch=1')
    assert bad.status_code == 400 and bad.get_json()['parameter'] == 'distributedSearch'
    assert client.get('/api/context?distributedSearch=true').status_code == 400

