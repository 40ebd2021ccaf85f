"""Outcome words mean what docs/operations.md says (issue 10 point 2).

A harvest that read everything but had to take a fallback is a ``success`` with
notices, not ``partial``: notices are counted apart from errors, listed by
``hubcat harvest -v`` and ``hubcat runs -v``, and kept in the run's details in /api/runs.
The source is the real GNS NGMP capabilities document with its first offering listed
twice (a notice), served with DescribeSensor answered for every procedure over real HTTP on 127.0.0.1.
"""
from __future__ import annotations

import pytest

from conftest import make_config
from hubcat.app import create_app
from sos_support import Route, SosFixtureServer, fixture
from test_cli import run  # noqa: F401 - the CLI fixture

OFFERING_START = '<swes:offering '
OFFERING_END = '</swes:offering>'
DESCRIPTION = '52n_ws2500_describesensorresponse_sos200.xml'   # every procedure gets it


def offering_listed_twice() -> bytes:
    """GNS NGMP capabilities with its first offering repeated right after itself."""
    text = fixture('gns_ngmp_2.0.0.xml').decode('utf-8')
    start = text.index(OFFERING_START)
    end = text.index(OFFERING_END, start) + len(OFFERING_END)
    return (text[:end] + text[start:end] + text[end:]).encode('utf-8')


@pytest.fixture
def sos_url():
    server = SosFixtureServer().start()
    yield server.add('/sos', Route(capabilities={'2.0.0': offering_listed_twice()},
                                   describe_default=fixture(DESCRIPTION)))
    server.stop()


def test_fallback_is_a_success_with_a_notice(run, sos_url):  # noqa: F811
    run('init')
    run('source', 'add', sos_url, '--type', 'sos', '--name', 'gns', '--stale-after', '36500d')
    harvested = run('harvest', 'gns', '--no-progress', '-v')
    assert harvested.exit_code == 0, harvested.output
    summary, *details = harvested.output.strip().splitlines()
    assert summary.startswith('gns: success;') and 'errors 0, notices 1;' in summary
    notices = [d for d in details if d.startswith('  notice: ')]
    assert len(notices) == 1 and 'listed twice' in notices[0]

    quiet = run('harvest', 'gns', '--no-progress')
    assert len(quiet.output.strip().splitlines()) == 1    # no details without -v

    history = run('runs', 'gns').output.splitlines()
    assert history[0].split()[-3:] == ['err', 'note', 'error']
    assert history[1].split()[4] == 'success' and history[1].split()[-2:] == ['0', '1']
    detailed = run('runs', 'gns', '-v').output
    assert detailed.count('  notice: ') == 2 and '  error: ' not in detailed

    client = create_app(make_config(run.database_url)).test_client()
    runs = client.get('/api/runs').json['runs']
    assert [r['outcome'] for r in runs] == ['success', 'success']
    assert runs[0]['errors'] == [] and len(runs[0]['notices']) == 1
    assert 'listed twice' in runs[0]['notices'][0]


def test_init_adds_the_notices_column_to_an_older_database(database_url):
    """A run history from before notices: ``hubcat init`` adds the column, old runs read back
    with no notices and new runs store theirs."""
    from sqlalchemy import text

    from hubcat.db import get_engine, init_db
    from hubcat.runs import RunLog
    init_db(database_url)
    with get_engine(database_url).begin() as conn:
        conn.execute(text('ALTER TABLE hubcat_runs DROP COLUMN notices'))
        conn.execute(text("INSERT INTO hubcat_runs (source_name, trigger, started, outcome) "
                          "VALUES ('old', 'manual', CURRENT_TIMESTAMP, 'success')"))
    assert 'added column hubcat_runs.notices' in init_db(database_url)
    log = RunLog(database_url)
    run_id = log.start(None, 'new', 'manual')
    log.finish(run_id, 'success', notices=['offering x: listed twice; the first one is kept'])
    runs = {r['source_name']: r for r in log.list()}
    assert runs['old']['notices'] == [] and len(runs['new']['notices']) == 1
