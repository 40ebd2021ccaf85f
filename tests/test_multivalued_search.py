"""Multi-valued queryables compared per value (issue 9 points 7 and 8, issue 10 point 4).

Observed properties, units and keywords are lists; a filter on them applies to each
value: equality is exact (no substring of a joined list, ``%``/``_`` are plain
characters), case-insensitive equality and LIKE work per value, and GetDomain lists
single values that can be fed back into a filter.
"""
from __future__ import annotations

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import SEARCH_BACKENDS, LiveServer, make_config, make_database
from csw_queries import filter_post
from harvesters.sta_mapping import multidatastream_record
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord

CSW2 = 'http://www.opengis.net/cat/csw/2.0.2'
CSW3 = 'http://www.opengis.net/cat/csw/3.0'
#: keywords around the 200 characters of the values' index key (hubcat.multivalue.KEY_CHARS):
#: a 250-character one and one that begins with its first 200 characters; a 199-character
#: one and the same with two more characters (its key is 200 characters, one more than it)
LONG = 'Long keyword ' + 'x' * 187 + 'y' * 50
LONG_TWIN = LONG[:200] + 'z' * 50
SHORT = 'Short keyword ' + 's' * 185
SHORT_MORE = SHORT + 'tt'
#: identifier -> (raw observed properties, keywords)
STREAMS = {
    'urn:test:xylene': (['1,2-XYLENE O-XYLENE'], ['chemistry', 'air, indoor', SHORT_MORE]),
    'urn:test:one': (['1', 'Benzene'], ['chemistry', SHORT]),
    'urn:test:percent': (['50%_fraction'], ['dust', LONG]),
    'urn:test:letters': (['50ab_fraction'], ['dust', LONG_TWIN]),
}


def _records() -> list[CatalogRecord]:
    records = [CatalogRecord(identifier=ident, kind=DATASTREAM, object_type=OT_MEASUREMENT,
                             title=ident.rsplit(':', 1)[-1], observed_properties=props,
                             keywords=keywords, unit='ug/m3')
               for ident, (props, keywords) in STREAMS.items()]
    # a MultiDatastream (as the STA mapping makes it): two units, shown joined, searched apart
    multi = multidatastream_record('http://sta.example.org/v1.1', {
        '@iot.id': 7, 'name': 'multi', 'unitOfMeasurements': [
            {'name': 'degree Celsius', 'symbol': '°C', 'definition': 'ucum:Cel'},
            {'name': 'percent', 'symbol': '%', 'definition': 'ucum:%'}],
        'ObservedProperties': [{'name': 'Air temperature', 'definition': 'urn:x:t'},
                               {'name': 'Relative humidity', 'definition': 'urn:x:rh'}]},
        {'@iot.id': 1, 'name': 'station'})
    multi.identifier = 'urn:test:multi'
    assert multi.unit == '°C, %'
    records.append(multi)
    return records


@pytest.fixture(scope='module', params=SEARCH_BACKENDS)
def csw_url(request, tmp_path_factory):
    """/csw of a live HubCat holding the records above (each backend in turn)."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('multi'))
    config = make_config(url)
    init_db(config.database_url)
    Catalogue(url).sync(1, _records(), stale_after=10 ** 9)
    server = LiveServer(create_app(config, init_database=False))
    yield server.url + '/csw'
    server.close()
    cleanup()


def _found(csw_url: str, constraint) -> set:
    csw = CatalogueServiceWeb(csw_url, version='2.0.2', skip_caps=True)
    csw.getrecords2(constraints=[constraint], maxrecords=50)
    return set(csw.records)


def _filter_post(csw_url: str, predicate: str) -> set:
    """GetRecords with a hand-written ogc:Filter predicate (OWSLib cannot set matchCase)."""
    return filter_post(csw_url, predicate)


RAW = 'hubcat:ObservedPropertyRaw'


def test_equality_is_exact_per_value(csw_url):
    assert _found(csw_url, fes.PropertyIsEqualTo(RAW, '1')) == {'urn:test:one'}
    assert _found(csw_url, fes.PropertyIsEqualTo(RAW, 'Benzene')) == {'urn:test:one'}
    assert _found(csw_url, fes.PropertyIsEqualTo(RAW, '1,2-XYLENE O-XYLENE')) == \
        {'urn:test:xylene'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', 'air, indoor')) == \
        {'urn:test:xylene'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', 'air')) == set()


def test_equality_is_exact_beyond_the_indexed_key(csw_url):
    """Values are looked up by their first 200 characters: a literal shorter than that
    is compared on them alone, a longer one on the whole value too."""
    assert len(LONG) == len(LONG_TWIN) == 250 and LONG[:200] == LONG_TWIN[:200]
    assert len(SHORT) == 199 and len(SHORT_MORE) == 201
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', LONG)) == {'urn:test:percent'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', LONG_TWIN)) == \
        {'urn:test:letters'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', LONG[:200])) == set()
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', SHORT)) == {'urn:test:one'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', SHORT_MORE)) == \
        {'urn:test:xylene'}
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', SHORT_MORE[:200])) == set()
    assert _found(csw_url, fes.PropertyIsNotEqualTo('dc:subject', LONG)) == \
        {'urn:test:xylene', 'urn:test:one', 'urn:test:letters', 'urn:test:multi'}
    assert _found(csw_url, fes.PropertyIsNotEqualTo('dc:subject', SHORT)) == \
        {'urn:test:xylene', 'urn:test:percent', 'urn:test:letters', 'urn:test:multi'}
    predicate = ('<ogc:PropertyIsEqualTo matchCase="false"><ogc:PropertyName>dc:subject'
                 '</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsEqualTo>')
    assert _filter_post(csw_url, predicate.format(LONG_TWIN.upper())) == {'urn:test:letters'}
    assert _filter_post(csw_url, predicate.format(SHORT.upper())) == {'urn:test:one'}
    assert _filter_post(csw_url, predicate.format(SHORT[:99].upper())) == set()


def test_percent_and_underscore_in_an_equality_value_are_plain(csw_url):
    assert _found(csw_url, fes.PropertyIsEqualTo(RAW, '50%_fraction')) == {'urn:test:percent'}
    assert _found(csw_url, fes.PropertyIsEqualTo(RAW, '50%')) == set()


def test_case_insensitive_equality_per_value(csw_url):
    predicate = ('<ogc:PropertyIsEqualTo matchCase="false"><ogc:PropertyName>{}'
                 '</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsEqualTo>')
    assert _filter_post(csw_url, predicate.format(RAW, 'benzene')) == {'urn:test:one'}
    assert _filter_post(csw_url, predicate.format(RAW, '1,2-xylene o-xylene')) == \
        {'urn:test:xylene'}
    assert _filter_post(csw_url, predicate.format(RAW, '50%_FRACTION')) == {'urn:test:percent'}


def test_not_equal_means_no_value_equals(csw_url):
    assert _found(csw_url, fes.PropertyIsNotEqualTo(RAW, '1')) == \
        {'urn:test:xylene', 'urn:test:percent', 'urn:test:letters', 'urn:test:multi'}


def test_like_applies_to_each_value(csw_url):
    assert _found(csw_url, fes.PropertyIsLike(RAW, 'Benz%')) == {'urn:test:one'}
    assert _found(csw_url, fes.PropertyIsLike(RAW, '%XYLENE')) == {'urn:test:xylene'}
    assert _found(csw_url, fes.PropertyIsLike(RAW, '1')) == {'urn:test:one'}
    assert _found(csw_url, fes.PropertyIsLike(RAW, '50%fraction')) == \
        {'urn:test:percent', 'urn:test:letters'}


def test_multidatastream_units_are_searched_one_by_one(csw_url):
    assert _found(csw_url, fes.PropertyIsEqualTo('hubcat:Unit', '°C')) == {'urn:test:multi'}
    assert _found(csw_url, fes.PropertyIsEqualTo('hubcat:Unit', '%')) == {'urn:test:multi'}


def _domain(csw_url: str, version: str, name: str) -> list:
    key = 'propertyname' if version == '2.0.2' else 'valuereference'
    response = requests.get(csw_url, params={'service': 'CSW', 'version': version,
                                             'request': 'GetDomain', key: name}, timeout=30)
    ns = CSW2 if version == '2.0.2' else CSW3
    return list(etree.fromstring(response.content).iter(f'{{{ns}}}Value'))


def test_getdomain_lists_single_plain_values(csw_url):
    values = [v.text for v in _domain(csw_url, '2.0.2', RAW)]
    expected = {p for props, _ in STREAMS.values() for p in props} | \
        {'Air temperature', 'Relative humidity', 'urn:x:t', 'urn:x:rh'}
    assert sorted(values) == sorted(expected)
    subjects = [v.text for v in _domain(csw_url, '2.0.2', 'dc:subject')]
    assert sorted(subjects) == sorted({k for r in _records() for k in r.keywords})
    assert 'air, indoor' in subjects
    # each value can be fed back into a filter
    assert _found(csw_url, fes.PropertyIsEqualTo('dc:subject', 'air, indoor')) == \
        {'urn:test:xylene'}


def test_getdomain_in_csw3_counts_records_per_value(csw_url):
    counts = {v.text: v.get('count') for v in _domain(csw_url, '3.0.0', 'dc:subject')}
    assert {k: counts[k] for k in ('air, indoor', 'chemistry', 'dust')} == \
        {'air, indoor': '1', 'chemistry': '2', 'dust': '2'}
