"""Managing peers: config syntax, `hubcat peer add|list|remove`, and the admin API."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubcat.cli.peers import peer
from hubcat.federation.peers import PeerError, config_peers
from federation_fixtures import down_peer, make_app, make_config, pycsw_all  # noqa: F401

TOKEN = 's3cret'


def run(config, *args):
    return CliRunner().invoke(peer, ['--config', config.path, *args])


def test_config_peer_lines_and_pycsw_style_list(tmp_path):
    config = make_config(tmp_path, {'north': 'http://north.example/csw 2.5',
                                    'south': 'https://south.example:8443/csw'},
                         default_timeout=7)
    config.parser.set('hubcat:federation', 'peers', 'http://east.example:8080/csw')
    found = [(p.name, p.url, p.timeout, p.origin) for p in config_peers(config)]
    assert found == [('north', 'http://north.example/csw', 2.5, 'config'),
                     ('south', 'https://south.example:8443/csw', 7.0, 'config'),
                     ('east.example-8080', 'http://east.example:8080/csw', 7.0, 'config')]


@pytest.mark.parametrize('line', ['ftp://x.example/csw', 'http://x.example/csw soon',
                                  'not a url', 'http:///csw'])
def test_malformed_config_peer_is_an_error(tmp_path, line):
    config = make_config(tmp_path, {'bad': line})
    with pytest.raises(PeerError):
        config_peers(config)


def test_cli_add_list_remove(tmp_path, database_url, pycsw_all, down_peer):
    config = make_config(tmp_path, {'fixed': 'http://fixed.example/csw 3'},
                         database=database_url)  # SQLite, and PostgreSQL when configured
    added = run(config, 'add', pycsw_all, '--name', 'stock', '--timeout', '4')
    assert added.exit_code == 0, added.output
    assert 'added peer stock' in added.output and 'Warning' not in added.output
    unreachable = run(config, 'add', down_peer, '--name', 'gone')
    assert unreachable.exit_code == 0
    assert 'Warning: peer \'gone\' added, but it does not answer' in unreachable.output
    assert 'Connection refused' in unreachable.output
    listed = run(config, 'list')
    lines = listed.output.splitlines()
    assert [line.split()[0] for line in lines] == ['fixed', 'gone', 'stock']
    assert '4s' in lines[2] and 'database' in lines[2] and pycsw_all in lines[2]
    assert 'config' in lines[0]
    removed = run(config, 'remove', 'gone')
    assert removed.exit_code == 0 and 'removed peer gone' in removed.output
    assert [line.split()[0] for line in run(config, 'list').output.splitlines()] == \
        ['fixed', 'stock']


@pytest.mark.parametrize('args, message', [
    (['add', 'htp:/broken'], 'malformed peer URL'),
    (['add', 'http://x.example/csw', '--name', 'bad name'], 'invalid peer name'),
    (['add', 'http://x.example/csw', '--timeout', '-1', '--no-check'], 'invalid peer timeout'),
    (['add', 'http://x.example/csw', '--name', 'fixed', '--no-check'], 'exists already'),
    (['remove', 'fixed'], 'set in the configuration file'),
    (['remove', 'nobody'], "no peer called 'nobody'"),
])
def test_cli_refusals_are_one_line_errors(tmp_path, args, message):
    config = make_config(tmp_path, {'fixed': 'http://fixed.example/csw'})
    result = run(config, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_api_writes_need_a_configured_token(tmp_path):
    client = make_app(make_config(tmp_path, {})).test_client()
    resp = client.post('/api/peers', json={'url': 'http://x.example/csw'},
                       headers={'Authorization': 'Bearer anything'})
    assert resp.status_code == 403 and 'no administrator token' in resp.get_json()['error']


def test_api_add_list_remove(tmp_path, database_url, pycsw_all, down_peer):
    client = make_app(make_config(tmp_path, {'fixed': 'http://fixed.example/csw'},
                                  token=TOKEN, database=database_url)).test_client()
    auth = {'Authorization': f'Bearer {TOKEN}'}
    assert client.post('/api/peers', json={'url': pycsw_all}).status_code == 401
    assert client.post('/api/peers', json={'url': pycsw_all},
                       headers={'Authorization': 'Bearer wrong'}).status_code == 401
    bad = client.post('/api/peers', json={'url': 'nonsense'}, headers=auth)
    assert bad.status_code == 400 and 'malformed peer URL' in bad.get_json()['error']
    assert client.post('/api/peers', data='x', headers=auth).status_code == 400
    ok = client.post('/api/peers', json={'url': pycsw_all, 'name': 'stock', 'timeout': 3},
                     headers=auth)
    assert ok.status_code == 201
    assert ok.get_json() == {'peer': {'name': 'stock', 'url': pycsw_all, 'timeout': 3.0,
                                      'origin': 'database'}, 'warnings': []}
    gone = client.post('/api/peers', json={'url': down_peer, 'name': 'gone'}, headers=auth)
    assert gone.status_code == 201 and 'does not answer' in gone.get_json()['warnings'][0]
    dup = client.post('/api/peers', json={'url': pycsw_all, 'name': 'stock'}, headers=auth)
    assert dup.status_code == 409
    names = [p['name'] for p in client.get('/api/peers').get_json()['peers']]
    assert names == ['fixed', 'gone', 'stock']
    assert client.delete('/api/peers/gone').status_code == 401
    assert client.delete('/api/peers/gone', headers=auth).status_code == 200
    assert client.delete('/api/peers/gone', headers=auth).status_code == 404
    assert client.delete('/api/peers/fixed', headers=auth).status_code == 409
    assert [p['name'] for p in client.get('/api/peers').get_json()['peers']] == \
        ['fixed', 'stock']


def test_main_cli_has_the_peer_commands(tmp_path):
    from hubcat.cli import cli
    config = make_config(tmp_path, {'fixed': 'http://fixed.example/csw 3'})
    runner = CliRunner()
    added = runner.invoke(cli, ['--config', config.path, 'peer', 'add',
                                'http://127.0.0.1:8491/csw', '--name', 'later', '--no-check'])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ['--config', config.path, 'peer', 'list'])
    assert [line.split()[0] for line in listed.output.splitlines()] == ['fixed', 'later']
    bad = runner.invoke(cli, ['--config', config.path, 'peer', 'add', 'nope://x'])
    assert bad.exit_code == 1 and bad.output.startswith('Error: malformed peer URL')
