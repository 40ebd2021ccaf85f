"""GetRecords counts and pages when HubCat skips work whose answer it knows (issue 13 point 7).

HubCat runs no page query for resultType="hits" and no count when the page it read is
the last one (its rows tell the count); pycsw's request schemas are compiled once per
thread.  What a client sees must not change: numberOfRecordsMatched, -Returned,
nextRecord and the records, on every page and on SQLite, PostgreSQL and PostGIS;
schema-invalid requests are refused as before, however often they come.
"""
from __future__ import annotations

import re
import threading

import pytest
from lxml import etree

from conftest import SEARCH_BACKENDS, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from records_factory import station

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
TITLE_LIKE = ('<ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>'
              'dc:title</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsLike>')


def _getrecords(predicate: str = '', result: str = 'results', start: int = 1,
                maximum: int = 10, sort: bool = True) -> str:
    constraint = (f'<csw:Constraint version="1.1.0"><ogc:Filter>{predicate}</ogc:Filter>'
                  '</csw:Constraint>' if predicate else '')
    sortby = ('<ogc:SortBy><ogc:SortProperty><ogc:PropertyName>dc:identifier</ogc:PropertyName>'
              '<ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>' if sort else '')
    return (f'<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc" '
            f'service="CSW" version="2.0.2" resultType="{result}" maxRecords="{maximum}" '
            f'startPosition="{start}"><csw:Query typeNames="csw:Record">'
            f'<csw:ElementSetName>brief</csw:ElementSetName>{constraint}{sortby}'
            '</csw:Query></csw:GetRecords>')


def _answer(client, body: str) -> tuple[int, int, int, list]:
    """(matched, returned, nextRecord, identifiers) of a GetRecords answer."""
    resp = client.post('/csw', data=body, content_type='application/xml')
    doc = etree.fromstring(resp.data)
    results = doc.find(f'{{{CSW}}}SearchResults')
    assert results is not None, resp.get_data(as_text=True)
    ids = [e.text for e in results.iter('{http://purl.org/dc/elements/1.1/}identifier')]
    return (int(results.get('numberOfRecordsMatched')), int(results.get('numberOfRecordsReturned')),
            int(results.get('nextRecord')), ids)


@pytest.fixture(params=SEARCH_BACKENDS)
def client(request, tmp_path):
    """A catalogue of one service, 5 Things and 15 Datastreams (and their associations)."""
    url, cleanup = make_database(request.param, tmp_path)
    init_db(url)
    Catalogue(url).sync(1, station(n_things=5, per_thing=3))
    yield create_app(make_config(url), init_database=False).test_client()
    cleanup()


def test_every_page_tells_the_same_count_and_the_records_in_order(client):
    everything = _answer(client, _getrecords(maximum=100))
    assert everything[:3] == (21, 21, 0)    # 1 service + 5 Things + 15 Datastreams, no association
    ids = everything[3]
    assert ids == sorted(ids) and len(set(ids)) == 21
    pages = [_answer(client, _getrecords(start=start, maximum=4)) for start in range(1, 24, 4)]
    assert [p[:3] for p in pages] == [(21, 4, 5), (21, 4, 9), (21, 4, 13), (21, 4, 17),
                                      (21, 4, 21), (21, 1, 0)]
    assert [i for page in pages for i in page[3]] == ids
    for start in (22, 40):   # past the end: no record, the count all the same
        matched, returned, _, found = _answer(client, _getrecords(start=start, maximum=4))
        assert (matched, returned, found) == (21, 0, [])
    assert _answer(client, _getrecords(start=18, maximum=4)) == (21, 4, 0, ids[17:])


def test_hits_count_what_results_find(client):
    for predicate, expected in (('', 21), (TITLE_LIKE.format('Station 3%'), 4),
                                (TITLE_LIKE.format('%stream 2'), 5),
                                (TITLE_LIKE.format('nothing%'), 0)):
        matched, returned, _, ids = _answer(client, _getrecords(predicate, maximum=100))
        assert (matched, returned, len(ids)) == (expected, expected, expected)
        assert _answer(client, _getrecords(predicate, result='hits')) == (
            expected, 0, 1 if expected else 0, [])
        assert _answer(client, _getrecords(predicate, start=2, maximum=2))[0] == expected


def test_schema_invalid_requests_are_refused_every_time_and_in_every_thread(client):
    invalid = _getrecords().replace('<csw:ElementSetName>brief</csw:ElementSetName>',
                                    '<csw:Bogus/>')
    answers = []

    def ask() -> None:
        for body in (invalid, _getrecords(maximum=1), invalid):
            resp = client.post('/csw', data=body, content_type='application/xml')
            answers.append(resp.get_data(as_text=True))
    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [a for a in answers if 'ExceptionReport' in a]
    assert len(refused) == 6 and len(answers) == 9
    assert all(re.search(r'not valid|Bogus', a) for a in refused)
    assert sum('numberOfRecordsMatched="21"' in a for a in answers) == 3


@pytest.mark.parametrize('backend', [b for b in SEARCH_BACKENDS if b != 'sqlite'])
def test_postgres_connections_run_without_jit(backend, tmp_path):
    """HubCat's PostgreSQL connections plan without JIT (compiling a search took longer
    than running it), also after a transaction was rolled back and for every pooled one."""
    from sqlalchemy import text

    from hubcat.db import get_engine
    url, cleanup = make_database(backend, tmp_path)
    try:
        engine = get_engine(url)
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                with conn.begin() as transaction:
                    assert conn.execute(text('SHOW jit')).scalar() == 'off'
                    transaction.rollback()
        with engine.connect() as conn:
            assert conn.execute(text('SHOW jit')).scalar() == 'off'
    finally:
        cleanup()
