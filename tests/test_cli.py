"""The hubcat command line: init, sources, harvest, runs, and its one-line errors."""
from __future__ import annotations


import re

import pytest
from click.testing import CliRunner

from hubcat.catalogue import Catalogue
from hubcat.cli import cli


@pytest.fixture
def run(hubcat_cli):
    """Invoke the CLI with a config file pointing at a fresh database."""
    return hubcat_cli


def _one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: '), result.output
    return lines[0]


def test_init_is_idempotent(run):
    first = run('init')
    assert first.exit_code == 0 and 'created table records' in first.output
    second = run('init')
    assert second.exit_code == 0
    assert second.output.strip().splitlines() == [second.output.strip().splitlines()[-1]]
    assert 'catalogue database ready' in second.output


def test_init_reports_an_unusable_database(tmp_path):
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text('[repository]\ndatabase=postgresql://nobody@127.0.0.1:1/none\n')
    result = CliRunner().invoke(cli, ['--config', str(cfg), 'init'], env={'HUBCAT_DATABASE_URL': None})
    assert 'cannot initialise' in _one_line_error(result)


def test_missing_config_file_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ['--config', str(tmp_path / 'nope.cfg'), 'source', 'list'])
    assert 'config file not found' in _one_line_error(result)


def test_source_add_list_update_remove(run):
    run('init')
    added = run('source', 'add', 'http://127.0.0.1:9/sta/v1.1', '--type', 'sta', '--name', 'one',
                '--every', '15m')
    assert added.exit_code == 0 and 'added source 1 one (sta)' in added.output
    listed = run('source', 'list')
    assert 'one' in listed.output and 'every:900' in listed.output
    assert run('source', 'update', 'one', '--cron', '*/10 * * * *').exit_code == 0
    assert 'cron:*/10 * * * *' in run('source', 'list').output
    assert "a source named 'one' exists already" in _one_line_error(
        run('source', 'add', 'http://127.0.0.1:9/other/v1.1', '--type', 'sta', '--name', 'one'))
    removed = run('source', 'remove', 'one')
    assert removed.exit_code == 0 and 'records kept' in removed.output
    assert 'no sources' in run('source', 'list').output


@pytest.mark.parametrize('args, message', [
    (['ftp://example.org/x', '--type', 'sta'], 'only http and https sources'),
    (['http://example.org/x', '--type', 'wms'], 'unknown source type'),
    (['http://example.org/x', '--type', 'sta', '--every', 'soon'], 'not a duration'),
    (['http://example.org/x', '--type', 'sta', '--cron', '61 * * * *'], 'not a cron expression'),
])
def test_source_add_bad_input(run, args, message):
    run('init')
    assert message in _one_line_error(run('source', 'add', *args))


def test_harvest_unknown_source(run):
    run('init')
    assert "no source 'ghost'" in _one_line_error(run('harvest', 'ghost'))


def test_harvest_real_sta_server_then_failures_keep_records(run, sta_server, closed_port_url,
                                                           crafted_server):
    run('init')
    run('source', 'add', sta_server, '--type', 'sta', '--name', 'peer', '--stale-after', '36500d')
    first = run('harvest', 'peer', '--no-progress')
    assert first.exit_code == 0, first.output
    assert 'peer: success; added 251' in first.output  # 1 service + 50 Things + 200 Datastreams
    second = run('harvest', 'peer', '--no-progress')
    assert 'added 0, updated 0, unchanged 251, went offline 0' in second.output

    cat = Catalogue(run.database_url)
    before = {r['identifier']: r['hc_status'] for r in cat.rows(source_id=1)}

    # the server answers garbage: the run fails, every record stays as it was
    crafted_server.routes['/sensorthings/v1.1/'] = (200, 'application/json', b'{"value": [')
    run('source', 'update', 'peer', '--url', crafted_server.base + '/sensorthings/v1.1/')
    failed = run('harvest', 'peer', '--no-progress')
    assert failed.exit_code == 1
    [line] = failed.output.strip().splitlines()     # one line, no duplicate summary
    assert line.startswith('peer: failed')
    assert {r['identifier']: r['hc_status'] for r in cat.rows(source_id=1)} == before

    # the server is gone: the run fails, the records stay and say 'unreachable'
    run('source', 'update', 'peer', '--url', closed_port_url)
    gone = run('harvest', 'peer', '--no-progress')
    assert gone.exit_code == 1 and 'cannot connect' in gone.output
    after = cat.rows(source_id=1)
    assert {r['identifier'] for r in after} == set(before)
    objects = [r for r in after if r['hc_kind'] != 'association']
    assert {(r['hc_status'], r['hc_status_reason']) for r in objects} == {('offline', 'unreachable')}

    history = run('runs', 'peer').output.splitlines()
    assert len(history) == 5  # header + 4 runs, newest first
    assert ' failed ' in history[1] and 'cannot connect' in history[1]
    assert ' success ' in history[4]


def test_configured_stale_after_is_the_default_of_sources(run, sta_server, tmp_path):
    """The server's observations end in 2024: online only under a long configured window."""
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(cfg.read_text() + '[hubcat:harvest]\nstale_after=36500d\n')
    run('init')
    run('source', 'add', sta_server, '--type', 'sta', '--name', 'peer')
    assert run('harvest', 'peer', '--no-progress').exit_code == 0
    streams = Catalogue(run.database_url).rows(source_id=1, kind='datastream')
    assert len(streams) == 200 and {r['hc_status'] for r in streams} == {'online'}


def test_environment_names_config_and_database(database_url, tmp_path):
    """HUBCAT_CONFIG names the file; HUBCAT_DATABASE_URL overrides its database."""
    cfg = tmp_path / 'other.cfg'
    cfg.write_text(f'[repository]\ndatabase=sqlite:///{tmp_path / "not-used.db"}\n')
    env = {'HUBCAT_CONFIG': str(cfg), 'HUBCAT_DATABASE_URL': database_url,
           'HUBCAT_ADMIN_TOKEN': None}
    result = CliRunner().invoke(cli, ['init'], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and database_url in result.output
    assert not (tmp_path / 'not-used.db').exists()
    assert CliRunner().invoke(cli, ['source', 'add', 'http://127.0.0.1:9/v1.1', '--type', 'sta'],
                              env=env).exit_code == 0
    from hubcat.sources import SourceRegistry
    assert [s.url for s in SourceRegistry(database_url).list()] == ['http://127.0.0.1:9/v1.1']


def test_manual_harvest_shows_a_progress_bar(run, sta_server):
    run('init')
    run('source', 'add', sta_server, '--type', 'sta', '--name', 'peer')
    result = run('harvest', 'peer')
    assert result.exit_code == 0
    assert re.search(r'peer: +\d+%\|.*\| 50/50', result.output), result.output[-500:]
    assert 'peer: success; added 251' in result.output
    # the steps without a count say what they do instead of standing still
    assert 'reading ObservedProperties and Sensors' in result.output
    assert re.search(r'50/50 .*storing status changes and removals', result.output)
