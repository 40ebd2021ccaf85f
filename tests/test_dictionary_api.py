"""``/api/dictionaries``: reads open, writes with the administrator token, JSON errors,
re-application reported, and the routes in the OpenAPI document."""
from __future__ import annotations

import pytest

from conftest import ADMIN_TOKEN
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from records_factory import station

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
YAML = """name: engines
mappings:
  - {name: Parameter_1, property: explosive_gas}
"""


@pytest.fixture
def client(config):
    records = station(n_things=1, per_thing=2)
    for rec in (r for r in records if r.kind == 'datastream'):
        rec.observed_properties = rec.observed_property_labels = ['Parameter_1']
    Catalogue(config.database_url, config.table).sync(1, records)
    return create_app(config).test_client()


def _error(resp, status):
    assert resp.status_code == status, resp.data[:300]
    assert resp.is_json and resp.json['status'] == status and resp.json['error']
    return resp.json['error']


def test_load_show_unmapped_remove(client):
    listed = client.get('/api/dictionaries').json['dictionaries']
    assert [(d['name'], d['builtin']) for d in listed] == [('hubcat-default', True)]
    todo = client.get('/api/dictionaries/unmapped').json['unmapped']
    assert {'raw': 'Parameter_1', 'unit': 'degC', 'problem': 'no dictionary entry',
            'property': '', 'records': 2} in todo

    resp = client.post('/api/dictionaries', json={'content': YAML}, headers=AUTH)
    assert resp.status_code == 201, resp.json
    assert resp.headers['Location'].endswith('/api/dictionaries/engines')
    assert resp.json['records_changed'] == 2
    assert resp.json['dictionary']['name'] == 'engines'
    shown = client.get('/api/dictionaries/engines').json
    assert shown['entries'][0]['raw'] == 'Parameter_1'
    assert shown['entries'][0]['property'] == 'Explosive gas (LEL)'
    # degC on an explosive-gas property: the to-do list says so
    todo = client.get('/api/dictionaries/unmapped').json['unmapped']
    assert [t['problem'].split(' (')[0] for t in todo if t['raw'] == 'Parameter_1'] == ['unit °C']

    # the file as it is, CSV, for one source by name
    csv = 'raw,property\nParameter_1,air_temperature\n'
    resp = client.post('/api/dictionaries?name=station-1&source=1', data=csv,
                       content_type='text/csv', headers=AUTH)
    assert resp.status_code == 400 and 'source' in resp.json['error']   # no source 1 registered

    resp = client.delete('/api/dictionaries/engines', headers=AUTH)
    assert resp.status_code == 200 and resp.json['records_changed'] == 2
    _error(client.get('/api/dictionaries/engines'), 404)


def test_writes_need_the_token_and_bad_input_is_400(client):
    _error(client.post('/api/dictionaries', json={'content': YAML}), 401)
    _error(client.delete('/api/dictionaries/engines'), 401)
    assert 'content' in _error(client.post('/api/dictionaries', json={'format': 'yaml'},
                                           headers=AUTH), 400)
    assert 'unknown fields' in _error(client.post('/api/dictionaries', json={
        'content': YAML, 'colour': 'red'}, headers=AUTH), 400)
    assert 'unknown property' in _error(client.post('/api/dictionaries', json={
        'content': 'name: x\nmappings: [{name: a, property: nope}]\n'}, headers=AUTH), 400)
    assert 'unknown dictionary format' in _error(client.post('/api/dictionaries', json={
        'content': YAML, 'format': 'xls'}, headers=AUTH), 400)
    assert 'reserved' in _error(client.post('/api/dictionaries', json={
        'content': YAML, 'name': 'unmapped'}, headers=AUTH), 400)
    _error(client.delete('/api/dictionaries/hubcat-default', headers=AUTH), 400)
    _error(client.delete('/api/dictionaries/nope', headers=AUTH), 404)
    _error(client.get('/api/dictionaries/unmapped?source=nope'), 404)
