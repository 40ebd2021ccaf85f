"""Multi-valued equality decided on the records row (PostgreSQL ``hc_value_keys``).

On PostgreSQL each records row carries its values' keys in a GIN-indexed array, and a
case-sensitive equality on a multi-valued queryable (``dc:subject = 'x'``) is decided
there (:mod:`hubcat.multivalue`), so that it combines with the spatial index
(docs/performance.md, subject = AND BBOX).  These tests show that every write keeps the
keys current (a harvest that changes keywords, CSW-T Insert and Update, a parameter
dictionary that renames observed properties), that the keys agree with the values table
on every record, that ``hubcat init`` gives an older catalogue its keys, and that the
equality is answered from the records' GIN index.  The search tests run on every store;
on SQLite the values are looked up in a covering index (the last test).
"""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from conftest import ADMIN_TOKEN, SEARCH_BACKENDS, LiveServer, make_config, make_database
from csw_queries import filter_post
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import dispose_engine, get_engine, init_db
from hubcat.dictionaries import service
from hubcat.multivalue import KEY_CHARS, KEYS_COLUMN
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord
from sql_capture import captured, plans

CSW2 = 'http://www.opengis.net/cat/csw/2.0.2'
DC = 'http://purl.org/dc/elements/1.1/'
POSTGRES_BACKENDS = [b for b in SEARCH_BACKENDS if b != 'sqlite']
NOW_KEYWORDS = {'urn:test:a': ['alpha', 'shared'], 'urn:test:b': ['beta', 'shared']}


def _records(keywords: dict) -> list[CatalogRecord]:
    return [CatalogRecord(identifier=ident, kind=DATASTREAM, object_type=OT_MEASUREMENT,
                          title=ident, keywords=words, observed_properties=['urn:x:opaque'],
                          bbox=(7.0, 50.0, 7.1, 50.1))
            for ident, words in keywords.items()]


@pytest.fixture(params=SEARCH_BACKENDS)
def catalogue(request, tmp_path):
    """(database URL, config, /csw URL) of a live HubCat holding two harvested Datastreams."""
    url, cleanup = make_database(request.param, tmp_path)
    config = make_config(url)
    init_db(config.database_url)
    Catalogue(url).sync(1, _records(NOW_KEYWORDS), stale_after=10 ** 9)
    server = LiveServer(create_app(config, init_database=False))
    yield url, config, server.url + '/csw'
    server.close()
    cleanup()


def _equal(name: str, value: str, op: str = 'PropertyIsEqualTo') -> str:
    return (f'<ogc:{op}><ogc:PropertyName>{name}</ogc:PropertyName>'
            f'<ogc:Literal>{value}</ogc:Literal></ogc:{op}>')


def _found(csw_url: str, predicate: str) -> set:
    """Identifiers a GetRecords with this ogc:Filter predicate answers."""
    return filter_post(csw_url, predicate)


def _subject_found(url: str, subject: str) -> set:
    """What a freshly started HubCat on ``url`` answers to dc:subject = ``subject``."""
    server = LiveServer(create_app(make_config(url), init_database=False))
    try:
        return _found(server.url + '/csw', _equal('dc:subject', subject))
    finally:
        server.close()


def _transaction(csw_url: str, action: str, identifier: str, subject: str) -> bytes:
    """A CSW-T Insert or (whole-record) Update of a Dublin Core record."""
    body = f'''<csw:Transaction xmlns:csw="{CSW2}" xmlns:dc="{DC}" service="CSW" version="2.0.2">
      <csw:{action}><csw:Record><dc:identifier>{identifier}</dc:identifier>
        <dc:title>CSW-T record</dc:title><dc:subject>{subject}</dc:subject>
      </csw:Record></csw:{action}></csw:Transaction>'''
    response = requests.post(csw_url, data=body.encode('utf-8'), timeout=30,
                             headers={'Content-Type': 'application/xml',
                                      'Authorization': f'Bearer {ADMIN_TOKEN}'})
    return response.content


def _keys_agree_with_values(url: str) -> int:
    """On PostgreSQL: assert every record's hc_value_keys are its values' keys; the count
    of records that have keys (0 on SQLite, which has no such column)."""
    engine = get_engine(url)
    if engine.dialect.name != 'postgresql':
        return 0
    with engine.connect() as conn:
        stored = {row.identifier: sorted(row.value_keys or []) for row in conn.execute(text(
            f'SELECT identifier, {KEYS_COLUMN} AS value_keys FROM records'))}
        wanted: dict = {}
        for row in conn.execute(text('SELECT identifier, field, value FROM hubcat_record_values')):
            wanted.setdefault(row.identifier, set()).add(f'{row.field}:{row.value[:KEY_CHARS]}')
    assert stored == {ident: sorted(wanted.get(ident, ())) for ident in stored}
    return sum(1 for keys in stored.values() if keys)


def test_equality_follows_every_write(catalogue, tmp_path):
    url, config, csw = catalogue
    subject = 'dc:subject'
    assert _found(csw, _equal(subject, 'alpha')) == {'urn:test:a'}
    assert _found(csw, _equal(subject, 'shared')) == {'urn:test:a', 'urn:test:b'}
    assert _found(csw, _equal(subject, 'alpha', 'PropertyIsNotEqualTo')) == {'urn:test:b'}
    assert _found(csw, _equal(subject, 'alph')) == set()

    # a harvest that changes a record's keywords
    Catalogue(url).sync(1, _records({'urn:test:a': ['gamma', 'shared'],
                                     'urn:test:b': NOW_KEYWORDS['urn:test:b']}),
                        stale_after=10 ** 9)
    assert _found(csw, _equal(subject, 'alpha')) == set()
    assert _found(csw, _equal(subject, 'gamma')) == {'urn:test:a'}

    # CSW-T Insert, then a whole-record Update that changes its subject
    assert b'<csw:totalInserted>1<' in _transaction(csw, 'Insert', 'urn:test:t', 'delta')
    assert _found(csw, _equal(subject, 'delta')) == {'urn:test:t'}
    assert b'<csw:totalUpdated>1<' in _transaction(csw, 'Update', 'urn:test:t', 'epsilon')
    assert _found(csw, _equal(subject, 'delta')) == set()
    assert _found(csw, _equal(subject, 'epsilon')) == {'urn:test:t'}

    # a parameter dictionary names the opaque observed property
    label = 'hubcat:ObservedProperty'
    assert _found(csw, _equal(label, 'Opaque level')) == set()
    path = tmp_path / 'opaque.yaml'
    path.write_text('name: opaque\nmappings:\n'
                    '  - {uri: "urn:x:opaque", property: {label: Opaque level}}\n')
    service.load_file(config, str(path))
    assert _found(csw, _equal(label, 'Opaque level')) == {'urn:test:a', 'urn:test:b'}
    assert _found(csw, _equal(label, 'Opaque level', 'PropertyIsNotEqualTo')) == set()

    with_keys = _keys_agree_with_values(url)
    assert with_keys == (0 if get_engine(url).dialect.name == 'sqlite' else 3)


@pytest.mark.parametrize('backend', POSTGRES_BACKENDS)
def test_hubcat_init_gives_an_older_catalogue_its_keys(backend, tmp_path):
    url, cleanup = make_database(backend, tmp_path)
    try:
        init_db(url)
        Catalogue(url).sync(1, _records(NOW_KEYWORDS), stale_after=10 ** 9)
        with get_engine(url).begin() as conn:   # as a HubCat before the keys left it
            conn.execute(text(f'ALTER TABLE records DROP COLUMN {KEYS_COLUMN}'))
        dispose_engine(url)
        from hubcat.cli import cli
        cfg = tmp_path / 'pycsw.cfg'
        cfg.write_text(f'[repository]\ndatabase={url}\n[hubcat]\nadmin_token={ADMIN_TOKEN}\n')
        env = {k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_CONFIG')}
        result = CliRunner().invoke(cli, ['--config', str(cfg), 'init'], env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert f'added column records.{KEYS_COLUMN}' in result.output
        assert f'filled records.{KEYS_COLUMN} of 2 records' in result.output
        assert f'created index ix_records_{KEYS_COLUMN}' in result.output
        assert _keys_agree_with_values(url) == 2
        again = CliRunner().invoke(cli, ['--config', str(cfg), 'init'], env=env,
                                   catch_exceptions=False)
        assert KEYS_COLUMN not in again.output
        assert _subject_found(url, 'beta') == {'urn:test:b'}
    finally:
        cleanup()


@pytest.mark.parametrize('backend', POSTGRES_BACKENDS)
def test_values_that_init_fills_in_join_the_keys(backend, tmp_path):
    """A field whose values a catalogue never had (a multi-valued queryable newer than
    the catalogue): ``hubcat init`` fills its values and the keys follow, so equality
    on it finds the records."""
    url, cleanup = make_database(backend, tmp_path)
    try:
        init_db(url)
        Catalogue(url).sync(1, _records(NOW_KEYWORDS), stale_after=10 ** 9)
        with get_engine(url).begin() as conn:   # as if keywords were not multi-valued yet
            conn.execute(text("DELETE FROM hubcat_record_values WHERE field = 'keywords'"))
            conn.execute(text(
                f'UPDATE records SET {KEYS_COLUMN} = (SELECT array_agg(k) FROM '
                f"unnest({KEYS_COLUMN}) AS k WHERE k NOT LIKE 'keywords:%')"))
        assert 'filled hubcat_record_values for keywords' in init_db(url)
        assert _keys_agree_with_values(url) == 2
        assert _subject_found(url, 'alpha') == {'urn:test:a'}
    finally:
        cleanup()


@pytest.fixture(params=POSTGRES_BACKENDS)
def statements(request, tmp_path):
    """(/csw URL, list of (SQL, parameters) the catalogue's engine runs, engine) on PostgreSQL."""
    url, cleanup = make_database(request.param, tmp_path)
    init_db(url)
    Catalogue(url).sync(1, _records(NOW_KEYWORDS), stale_after=10 ** 9)
    engine = get_engine(url)
    server = LiveServer(create_app(make_config(url), init_database=False))
    with captured(engine) as seen:
        yield server.url + '/csw', seen, engine
    server.close()
    cleanup()


def test_subject_equality_is_answered_from_the_records_row(statements):
    """subject = is looked up in the records' own GIN index; with a BBOX, both are
    conditions on the records rows: the values table is not read."""
    csw, seen, engine = statements
    seen.clear()
    assert _found(csw, _equal('dc:subject', 'beta')) == {'urn:test:b'}
    found = plans(engine, seen, f'{KEYS_COLUMN} @>')
    assert found, 'the subject equality did not use the records keys'
    assert all(f'ix_records_{KEYS_COLUMN}' in plan for plan in found), found

    bbox = ('<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>'
            '<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">'
            '<gml:lowerCorner>49 6</gml:lowerCorner><gml:upperCorner>51 8</gml:upperCorner>'
            '</gml:Envelope></ogc:BBOX>')
    seen.clear()
    assert _found(csw, f'<ogc:And>{_equal("dc:subject", "beta")}{bbox}</ogc:And>') \
        == {'urn:test:b'}
    found = plans(engine, seen, f'{KEYS_COLUMN} @>')
    assert found and not any('hubcat_record_values' in plan for plan in found), found


@pytest.fixture
def older_sqlite(tmp_path):
    """An SQLite catalogue as HubCat left it before the covering values index: the
    ``(field, value)`` index instead; yields its URL."""
    url, cleanup = make_database('sqlite', tmp_path)
    init_db(url)
    Catalogue(url).sync(1, _records(NOW_KEYWORDS), stale_after=10 ** 9)
    with get_engine(url).begin() as conn:
        conn.execute(text('DROP INDEX ix_hubcat_record_values_lookup'))
        conn.execute(text('CREATE INDEX ix_hubcat_record_values_value '
                          'ON hubcat_record_values (field, value)'))
    yield url
    cleanup()


def test_sqlite_looks_values_up_in_the_covering_index(older_sqlite):
    """``hubcat init`` replaces the (field, value) index with (field, value, identifier),
    and subject = reads the identifiers from that index alone."""
    done = init_db(older_sqlite)
    assert 'created index ix_hubcat_record_values_lookup' in done
    assert 'dropped index ix_hubcat_record_values_value (replaced)' in done
    assert init_db(older_sqlite) == []
    engine = get_engine(older_sqlite)
    server = LiveServer(create_app(make_config(older_sqlite), init_database=False))
    try:
        with captured(engine) as seen:
            assert _found(server.url + '/csw', _equal('dc:subject', 'shared')) \
                == {'urn:test:a', 'urn:test:b'}
    finally:
        server.close()
    found = plans(engine, seen, 'hubcat_record_values')
    assert found and all('COVERING INDEX ix_hubcat_record_values_lookup' in plan
                         for plan in found), found
