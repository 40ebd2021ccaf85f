"""GetRecords sorted by title, and without sortby: long titles and identifiers store and
sort on every store, and on PostgreSQL the page is read from a sort index alone
(``ix_records_title_sort``, ``ix_records_identifier_sort``, :mod:`hubcat.search_indexes`,
docs/performance.md).
"""
from __future__ import annotations

import hashlib

import pytest
import requests
from lxml import etree

from conftest import SEARCH_BACKENDS, LiveServer, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine, init_db
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord
from hubcat.search_indexes import TITLE_BYTES, TITLE_CHARS
from sql_capture import captured, plans

CSW2 = 'http://www.opengis.net/cat/csw/2.0.2'
DC = 'http://purl.org/dc/elements/1.1/'
#: an identifier of 1,500 bytes and a title of 500 CJK characters (1,500 UTF-8 bytes),
#: neither repetitive (PostgreSQL compresses index keys that are)
LONG_ID = 'urn:test:' + ''.join(hashlib.sha256(b'%d' % i).hexdigest() for i in range(24))[:1491]
CJK = ''.join(chr(0x4E00 + (i * 7919) % 20000) for i in range(500))
#: identifier -> title: a 600-character title, the two above, emoji (4 bytes each), equal
#: titles, lower and upper case (code point order: 'Z' before 'a')
TITLES = {
    'urn:test:long': 'Long ' + 'x' * 595,
    LONG_ID: CJK,
    'urn:test:emoji': '\U0001F30A' * 400,
    'urn:test:same-2': 'Same title',
    'urn:test:same-1': 'Same title',
    'urn:test:upper': 'Zebra station',
    'urn:test:lower': 'alpine station',
    'urn:test:digit': '10 m mast',
}


@pytest.fixture(scope='module', params=SEARCH_BACKENDS)
def catalogue(request, tmp_path_factory):
    """(/csw URL, engine) of a live HubCat holding the records above."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('titles'))
    init_db(url)
    Catalogue(url).sync(1, [CatalogRecord(identifier=ident, kind=DATASTREAM,
                                          object_type=OT_MEASUREMENT, title=title)
                            for ident, title in TITLES.items()], stale_after=10 ** 9)
    server = LiveServer(create_app(make_config(url), init_database=False))
    yield server.url + '/csw', get_engine(url)
    server.close()
    cleanup()


TITLE_ASC = ('<ogc:SortBy><ogc:SortProperty><ogc:PropertyName>dc:title</ogc:PropertyName>'
             '<ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>')


def _page(csw: str, start: int, size: int, sort: str = TITLE_ASC) -> list[str]:
    """Identifiers of one GetRecords page (sorted by title unless ``sort`` says otherwise)."""
    body = f'''<csw:GetRecords xmlns:csw="{CSW2}" xmlns:ogc="http://www.opengis.net/ogc"
        service="CSW" version="2.0.2" resultType="results" maxRecords="{size}"
        startPosition="{start}"><csw:Query typeNames="csw:Record">
        <csw:ElementSetName>brief</csw:ElementSetName>{sort}</csw:Query></csw:GetRecords>'''
    response = requests.post(csw, data=body.encode('utf-8'), timeout=30,
                             headers={'Content-Type': 'application/xml'})
    doc = etree.fromstring(response.content)
    assert doc.find(f'{{{CSW2}}}SearchResults') is not None, response.text[:500]
    return [e.text for e in doc.iter(f'{{{DC}}}identifier')]


def _expected(engine) -> list[str]:
    """Identifiers by title (code point order), equal titles by identifier on PostgreSQL
    and in the order they were stored on SQLite (hubcat.sorting)."""
    stored = list(TITLES)
    if engine.dialect.name == 'sqlite':
        return sorted(TITLES, key=lambda ident: (TITLES[ident], stored.index(ident)))
    return sorted(TITLES, key=lambda ident: (TITLES[ident], ident))


def test_long_titles_store_and_page_in_title_order(catalogue):
    csw, engine = catalogue
    pages = [_page(csw, start, 3) for start in (1, 4, 7)]
    assert [ident for page in pages for ident in page] == _expected(engine)


def test_the_title_column_is_clipped_in_characters_and_bytes(catalogue):
    _csw, engine = catalogue
    from sqlalchemy import text
    with engine.connect() as conn:
        titles = dict(conn.execute(text('SELECT identifier, title FROM records')).all())
    for ident, title in TITLES.items():
        stored = titles[ident]
        assert len(stored) <= TITLE_CHARS and len(stored.encode('utf-8')) <= TITLE_BYTES
        if stored != title:
            assert stored.endswith('\u2026') and title.startswith(stored[:-1])
    assert titles['urn:test:upper'] == 'Zebra station'
    assert len(titles['urn:test:long']) == TITLE_CHARS
    assert titles['urn:test:emoji'] != TITLES['urn:test:emoji']   # 1,600 bytes: clipped


def test_a_title_page_is_read_from_the_sort_index(catalogue):
    """PostgreSQL reads the page from ix_records_title_sort (SQLite: from pycsw's title
    index, whose entries end with the rowid, tests/test_records_sorting.py)."""
    csw, engine = catalogue
    with captured(engine) as seen:
        assert _page(csw, 5, 2) == _expected(engine)[4:6]
    if engine.dialect.name != 'postgresql':
        return
    found = plans(engine, seen, 'ORDER BY records.title')
    assert found, 'no query sorted by title'
    assert all('ix_records_title_sort' in plan for plan in found), found


def test_a_page_without_sortby_is_read_from_the_identifier_index(catalogue):
    """Without sortby the pages come in one stable order (identifiers on PostgreSQL, the
    order records were stored in on SQLite), and PostgreSQL reads a page from
    ix_records_identifier_sort instead of sorting every identifier."""
    csw, engine = catalogue
    with captured(engine) as seen:
        pages = [_page(csw, start, 3, sort='') for start in (1, 4, 7)]
    order = [ident for page in pages for ident in page]
    stored = list(TITLES)
    assert order == (stored if engine.dialect.name == 'sqlite' else sorted(TITLES))
    if engine.dialect.name != 'postgresql':
        return
    found = plans(engine, seen, 'ORDER BY records.identifier')
    assert found, 'no query ordered by identifier'
    assert all('ix_records_identifier_sort' in plan for plan in found), found
