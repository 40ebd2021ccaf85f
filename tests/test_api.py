"""The admin JSON API as a client sees it: auth, sources CRUD, harvest now, runs, status,
JSON errors for every failure, and an OpenAPI document that matches the routes."""
from __future__ import annotations

import re

import pytest

from conftest import ADMIN_TOKEN, make_config
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.locks import source_lock
from records_factory import iso_ago, station

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
STA = 'http://sta.example.org/v1.1'


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


def _add(client, **fields):
    body = dict({'url': STA, 'type': 'sta'}, **fields)
    resp = client.post('/api/sources', json=body, headers=AUTH)
    assert resp.status_code == 201, resp.json
    return resp.json


def _assert_error(resp, status: int):
    assert resp.status_code == status, (resp.status_code, resp.data[:300])
    assert resp.is_json, resp.data[:300]
    assert resp.json['status'] == status
    assert isinstance(resp.json['error'], str) and resp.json['error']
    return resp.json['error']


def test_reads_are_open_writes_need_the_token(client):
    assert client.get('/api/sources').json == {'sources': []}
    resp = client.post('/api/sources', json={'url': STA, 'type': 'sta'})
    _assert_error(resp, 401)
    assert resp.headers['WWW-Authenticate'].startswith('Bearer')
    _assert_error(client.post('/api/sources', json={'url': STA, 'type': 'sta'},
                              headers={'Authorization': 'Bearer wrong'}), 401)
    _assert_error(client.post('/api/sources', json={'url': STA, 'type': 'sta'},
                              headers={'Authorization': ADMIN_TOKEN}), 401)
    source = _add(client)
    for method, path in (('patch', f'/api/sources/{source["id"]}'),
                         ('delete', f'/api/sources/{source["id"]}'),
                         ('post', f'/api/sources/{source["id"]}/harvest')):
        _assert_error(getattr(client, method)(path, json={'name': 'x'}), 401)
    assert client.get(f'/api/sources/{source["id"]}').json['name'] == source['name']


def test_no_configured_token_refuses_every_write(database_url):
    config = make_config(database_url, hubcat={'admin_token': ''})
    client = create_app(config).test_client()
    error = _assert_error(client.post('/api/sources', json={'url': STA, 'type': 'sta'},
                                      headers={'Authorization': 'Bearer '}), 403)
    assert 'no administrator token' in error
    _assert_error(client.post('/api/sources', json={'url': STA, 'type': 'sta'}, headers=AUTH), 403)
    assert client.get('/api/sources').status_code == 200


def test_source_lifecycle(client):
    created = client.post('/api/sources', headers=AUTH, json={
        'url': STA, 'type': 'STA', 'name': 'alpine', 'schedule': '15m', 'stale_after': '2h',
        'options': {'timeout': 5}})
    assert created.status_code == 201
    source = created.json
    assert created.headers['Location'].endswith(f'/api/sources/{source["id"]}')
    assert (source['name'], source['type'], source['schedule'], source['stale_after'],
            source['options'], source['reachable']) == ('alpine', 'sta', 'every:900', 7200,
                                                        {'timeout': 5}, None)
    assert client.get('/api/sources/alpine').json == source
    assert client.get('/api/sources').json == {'sources': [source]}

    changed = client.patch(f'/api/sources/{source["id"]}', headers=AUTH,
                           json={'schedule': '*/10 * * * *', 'name': 'alps', 'stale_after': 60})
    assert changed.status_code == 200
    assert (changed.json['schedule'], changed.json['name'], changed.json['stale_after']) == \
        ('cron:*/10 * * * *', 'alps', 60)
    unscheduled = client.patch('/api/sources/alps', headers=AUTH, json={'schedule': None})
    assert unscheduled.json['schedule'] is None

    removed = client.delete('/api/sources/alps', headers=AUTH)
    assert removed.status_code == 200
    assert removed.json['removed']['id'] == source['id'] and removed.json['records_kept'] is True
    _assert_error(client.get(f'/api/sources/{source["id"]}'), 404)
    _assert_error(client.delete(f'/api/sources/{source["id"]}', headers=AUTH), 404)


@pytest.mark.parametrize('body, words', [
    ({'type': 'sta'}, '"url" is required'),
    ({'url': STA}, '"type" is required'),
    ({'url': 'ftp://example.org/x', 'type': 'sta'}, 'only http and https sources'),
    ({'url': STA, 'type': 'wfs'}, 'wfs'),
    ({'url': STA, 'type': 'sta', 'schedule': 'every tuesday'}, 'not a duration'),
    ({'url': STA, 'type': 'sta', 'schedule': '*/61 * * * *'}, 'not a cron expression'),
    ({'url': STA, 'type': 'sta', 'stale_after': '-1h'}, 'positive'),
    ({'url': STA, 'type': 'sta', 'colour': 'red'}, 'unknown fields: colour'),
    ({'url': STA, 'type': 'sta', 'options': [1]}, '"options" must be an object'),
])
def test_bad_source_input_is_400(client, body, words):
    assert words in _assert_error(client.post('/api/sources', json=body, headers=AUTH), 400)
    assert client.get('/api/sources').json == {'sources': []}


def test_bad_bodies_and_conflicts(client):
    _assert_error(client.post('/api/sources', data='not json', headers=AUTH,
                              content_type='application/json'), 400)
    _assert_error(client.post('/api/sources', json=['a list'], headers=AUTH), 400)
    first = _add(client, name='one')
    second = _add(client, name='two', url=STA + '/other')
    assert "source 'one' (id 1) already harvests this endpoint" in _assert_error(
        client.post('/api/sources', json={'url': STA, 'type': 'sta'}, headers=AUTH), 409)
    _assert_error(client.patch(f'/api/sources/{second["id"]}', json={'name': 'one'},
                               headers=AUTH), 409)
    assert 'cannot change: type' in _assert_error(
        client.patch(f'/api/sources/{first["id"]}', json={'type': 'sos'}, headers=AUTH), 400)
    _assert_error(client.patch(f'/api/sources/{first["id"]}', json={'schedule': 'soon'},
                               headers=AUTH), 400)
    _assert_error(client.patch('/api/sources/999', json={'name': 'x'}, headers=AUTH), 404)
    _assert_error(client.delete(f'/api/sources/{first["id"]}?delete_records=perhaps',
                                headers=AUTH), 400)
    assert [s['name'] for s in client.get('/api/sources').json['sources']] == ['one', 'two']


def test_unknown_paths_and_methods_answer_json(client):
    _assert_error(client.get('/api/nothing-here'), 404)
    _assert_error(client.get('/api/sources/1/nothing'), 404)
    _assert_error(client.get('/api/sources/404'), 404)
    _assert_error(client.get('/api/runs?source=nobody'), 404)
    resp = client.put('/api/sources', json={}, headers=AUTH)
    _assert_error(resp, 405)
    assert set(resp.headers['Allow'].split(', ')) >= {'GET', 'POST'}
    _assert_error(client.delete('/api/runs', headers=AUTH), 405)
    _assert_error(client.get('/api/sources/1/harvest'), 405)
    for limit in ('0', 'ten', '100000'):
        _assert_error(client.get(f'/api/runs?limit={limit}'), 400)
    other = client.get('/no-such-page')
    assert other.status_code == 404 and not other.is_json   # outside /api: Flask's own page


def test_delete_removes_records_only_when_asked(config, client):
    kept = _add(client, name='kept')
    gone = _add(client, name='gone', url=STA + '/b')
    catalogue = Catalogue(config.database_url, config.table)
    catalogue.sync(kept['id'], station(n_things=2, per_thing=2))
    other = station(n_things=1, per_thing=1)
    for rec in other:
        rec.identifier = rec.identifier.replace('urn:test:', 'urn:test-b:')
    catalogue.sync(gone['id'], other)
    before = client.get('/api/status').json
    assert before['online'] == 7 + 3

    resp = client.delete('/api/sources/kept?delete_records=false', headers=AUTH)
    assert (resp.json['records_deleted'], resp.json['records_kept']) == (0, True)
    resp = client.delete('/api/sources/gone?delete_records=true', headers=AUTH)
    assert resp.json['records_deleted'] > 0 and resp.json['records_kept'] is False

    after = client.get('/api/status').json
    assert after['online'] == 7
    orphan = [s for s in after['sources'] if s['id'] == kept['id']]
    assert orphan and orphan[0]['name'] is None and orphan[0]['online'] == 7
    assert catalogue.get('urn:test:ds:0:0') is not None
    assert catalogue.get('urn:test-b:ds:0:0') is None


def test_busy_source_is_409(config, client):
    source = _add(client)
    with source_lock(config.database_url, source['id']):
        assert 'being harvested' in _assert_error(
            client.post(f'/api/sources/{source["id"]}/harvest', headers=AUTH), 409)
        _assert_error(client.delete(f'/api/sources/{source["id"]}', headers=AUTH), 409)
    assert client.get(f'/api/sources/{source["id"]}').status_code == 200


def test_harvest_now_and_run_history(client, closed_port_url):
    down = _add(client, name='down', url=closed_port_url, options={'retries': 0, 'timeout': 2})
    other = _add(client, name='other', url=closed_port_url + '/x', options={'retries': 0})
    report = client.post(f'/api/sources/{down["id"]}/harvest', headers=AUTH)
    assert report.status_code == 200
    assert report.json['outcome'] == 'failed' and report.json['source'] == 'down'
    assert 'cannot connect' in report.json['errors'][0]
    client.post('/api/sources/other/harvest', headers=AUTH)
    client.post('/api/sources/down/harvest', headers=AUTH)

    runs = client.get('/api/runs').json['runs']
    assert [r['source_name'] for r in runs] == ['down', 'other', 'down']   # newest first
    assert {r['trigger'] for r in runs} == {'api'}
    assert all(r['outcome'] == 'failed' and r['ended'] and r['errors'] for r in runs)
    assert runs[-1]['id'] == report.json['run_id']
    for key in ('added', 'updated', 'unchanged', 'went_offline', 'came_online', 'requests',
                'started', 'duration', 'source_id'):
        assert key in runs[0]
    only = client.get('/api/runs', query_string={'source': 'other'}).json['runs']
    assert [r['source_id'] for r in only] == [other['id']]
    assert len(client.get(f'/api/runs?source={down["id"]}&limit=1').json['runs']) == 1
    assert client.get('/api/sources/down').json['reachable'] is False


def test_status_counts_per_source_and_reason(config, client):
    source = _add(client, name='mixed')
    records = station(n_things=2, per_thing=2)
    for rec in records:
        if rec.identifier.startswith('urn:test:ds:1:'):
            rec.time_end = iso_ago(days=3)          # Thing 1 and its streams go stale
    Catalogue(config.database_url, config.table).sync(source['id'], records, stale_after=86400)
    status = client.get('/api/status').json
    assert (status['online'], status['offline']) == (4, 3)
    assert status['offline_by_reason'] == {'removed': 0, 'stale': 3, 'unreachable': 0}
    (entry,) = status['sources']
    assert (entry['id'], entry['name'], entry['online'], entry['offline']) == \
        (source['id'], 'mixed', 4, 3)
    assert entry['offline_by_reason']['stale'] == 3


def test_openapi_document_is_valid_and_matches_the_routes(app, client):
    from openapi_spec_validator import validate
    doc = client.get('/api/openapi.json').json
    validate(doc)
    assert doc['servers'][0]['url'].endswith('/api')
    documented = {(re.sub(r'\{(\w+)\}', r'<\1>', path), method.upper())
                  for path, item in doc['paths'].items()
                  for method in item if method != 'parameters'}
    served = {(rule.rule[len('/api'):], method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith('/api/')
              for method in rule.methods - {'HEAD', 'OPTIONS'}}
    assert documented == served
    for path, item in doc['paths'].items():
        for method, op in item.items():
            if method in ('post', 'patch', 'delete'):
                assert op['security'] == [{'adminToken': []}], (path, method)
                assert {'401', '403'} <= set(op['responses'])
    assert set(client.get('/api/').json) == {'sources', 'runs', 'status', 'openapi'}


def test_federation_routes_share_the_error_shape(client):
    _assert_error(client.post('/api/peers', json={'url': 'http://peer.example.org/csw'}), 401)
    _assert_error(client.delete('/api/peers/nobody', headers=AUTH), 404)
    _assert_error(client.get('/api/search?limit=1000'), 400)
    _assert_error(client.put('/api/peers', headers=AUTH), 405)
