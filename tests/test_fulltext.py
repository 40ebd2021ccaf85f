"""csw:AnyText on SQLite through the FTS5 trigram index (issue 13 points 1 and 7).

The index only narrows the rows the LIKE tests, so answers must be exactly the
LIKE's: same records for substrings, any case, escaped wildcards and fragments too
short for the index; and the index follows inserts, status changes and deletes.
"""
from __future__ import annotations

import pytest
import requests
from lxml import etree
from sqlalchemy import text

from conftest import LiveServer, make_config, make_database
from hubcat import fulltext
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine, init_db
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
ABSTRACTS = {
    'urn:test:a': 'Water level at Basel-Rheinhalle, 100% automatic',
    'urn:test:b': 'water LEVEL at Bâle, manual',
    'urn:test:c': 'Wind at Lyon_2 station',
    'urn:test:d': 'Ozone at Lyon-2',
}


def _records(abstracts: dict) -> list[CatalogRecord]:
    return [CatalogRecord(identifier=ident, kind=DATASTREAM, object_type=OT_MEASUREMENT,
                          title=ident, abstract=abstract, time_end='2099-01-01T00:00:00Z')
            for ident, abstract in abstracts.items()]


@pytest.fixture
def catalogue(tmp_path):
    """A SQLite catalogue with the records above, and its live /csw."""
    url, cleanup = make_database('sqlite', tmp_path)
    init_db(url)
    Catalogue(url).sync(1, _records(ABSTRACTS), stale_after=10 ** 9)
    server = LiveServer(create_app(make_config(url), init_database=False))
    yield url, server.url + '/csw'
    server.close()
    cleanup()


def _anytext(csw_url: str, pattern: str) -> set:
    body = f'''<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc"
        service="CSW" version="2.0.2" resultType="results" maxRecords="50">
      <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
        <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="*"
          singleChar="?" escapeChar="!"><ogc:PropertyName>csw:AnyText</ogc:PropertyName>
          <ogc:Literal>{pattern}</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>
        </csw:Constraint></csw:Query></csw:GetRecords>'''
    response = requests.post(csw_url, data=body.encode('utf-8'), timeout=30,
                             headers={'Content-Type': 'application/xml'})
    doc = etree.fromstring(response.content)
    assert doc.find(f'{{{CSW}}}SearchResults') is not None, response.text
    return {e.text for e in doc.iter('{http://purl.org/dc/elements/1.1/}identifier')}


def test_anytext_answers_are_the_like_answers(catalogue):
    _, csw_url = catalogue
    assert _anytext(csw_url, '*water level*') == {'urn:test:a', 'urn:test:b'}
    assert _anytext(csw_url, '*Basel-Rhein*') == {'urn:test:a'}
    assert _anytext(csw_url, '*100!%*') == {'urn:test:a'}       # an escaped %: literal
    assert _anytext(csw_url, '*Lyon!_2*') == {'urn:test:c'}     # an escaped _: literal
    assert _anytext(csw_url, '*Lyon?2*') == {'urn:test:c', 'urn:test:d'}
    assert _anytext(csw_url, '*at*') >= set(ABSTRACTS)          # too short for trigrams
    assert _anytext(csw_url, '*Rheinhalle*manual*') == set()


def test_the_index_follows_inserts_status_changes_and_deletes(catalogue):
    url, csw_url = catalogue
    catalogue_ = Catalogue(url)
    catalogue_.sync(1, _records({**ABSTRACTS, 'urn:test:e': 'Nitrate at Gdansk'}),
                    stale_after=10 ** 9)
    assert _anytext(csw_url, '*Gdansk*') == {'urn:test:e'}
    catalogue_.mark_unreachable(1)     # every record's free text is rewritten
    assert _anytext(csw_url, '*Gdansk*') == {'urn:test:e'}
    assert _anytext(csw_url, '*offline:unreachable*') == set(ABSTRACTS) | {'urn:test:e'}
    catalogue_.delete_source_records(1)
    assert _anytext(csw_url, '*Gdansk*') == set()
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM records_fts WHERE records_fts "
                                 "MATCH '\"Gdansk\"'")).scalar() == 0


def test_the_lookup_stands_in_front_of_the_like():
    where, values = fulltext.prefilter('(anytext like :pvalue0 escape :pvalue1)',
                                       ['%Basel\\%x_xyz%', '\\'], 'records')
    assert values[2] == '"Basel%x" AND "xyz"'
    assert where.startswith('((records.rowid IN (SELECT rowid FROM records_fts WHERE '
                            'records_fts MATCH :pvalue2) AND anytext like :pvalue0')
    assert fulltext.prefilter('anytext like :pvalue0', ['%ab%'], 'records') == \
        ('anytext like :pvalue0', ['%ab%'])
