"""Issue 9 point 3: OGC Filter semantics on the CITE records (CSW 2.0.2 and 3.0.0 POST).

PropertyIsNotEqualTo with matchCase="false" is inequality (pycsw: equality),
PropertyIsNull works (pycsw: crash), Not keeps records without the property, and
a bad filter names the offending element (pycsw: locator="service")."""
from __future__ import annotations

import pytest

from cite_fixtures import cite_client, cite_config, cite_records  # noqa: F401 (fixtures)
from cite_fixtures import exception_of, get_records, post_filter, record_ids

OGC_NE_CASELESS = ('<ogc:PropertyIsNotEqualTo matchCase="false"><ogc:PropertyName>dc:title'
                   '</ogc:PropertyName><ogc:Literal>LOREM IPSUM</ogc:Literal></ogc:PropertyIsNotEqualTo>')


def test_not_equal_caseless_is_not_equality(cite_client, cite_records):
    expected = {r.identifier for r in cite_records if r.title and r.title.lower() != 'lorem ipsum'}
    found = record_ids(post_filter(cite_client, OGC_NE_CASELESS))
    assert found == expected
    assert len(found) == 8


def test_equal_caseless(cite_client, cite_records):
    predicate = OGC_NE_CASELESS.replace('PropertyIsNotEqualTo', 'PropertyIsEqualTo')
    assert record_ids(post_filter(cite_client, predicate)) == {
        r.identifier for r in cite_records if r.title.lower() == 'lorem ipsum'}


@pytest.mark.parametrize('version, predicate', [
    ('2.0.2', '<ogc:PropertyIsNull><ogc:PropertyName>dc:format</ogc:PropertyName></ogc:PropertyIsNull>'),
    ('3.0.0', '<fes:PropertyIsNull><fes:ValueReference>dc:format</fes:ValueReference></fes:PropertyIsNull>'),
])
def test_property_is_null(cite_client, cite_records, version, predicate):
    expected = {r.identifier for r in cite_records if not r.format}
    assert record_ids(post_filter(cite_client, predicate, version)) == expected
    assert len(expected) == 6


def test_not_null_and_not_like_keep_records_without_the_property(cite_client, cite_records):
    not_null = ('<ogc:Not><ogc:PropertyIsNull><ogc:PropertyName>dc:format</ogc:PropertyName>'
                '</ogc:PropertyIsNull></ogc:Not>')
    assert record_ids(post_filter(cite_client, not_null)) == {
        r.identifier for r in cite_records if r.format}
    not_like = ('<fes:Not><fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\\">'
                '<fes:ValueReference>dc:title</fes:ValueReference><fes:Literal>L*</fes:Literal>'
                '</fes:PropertyIsLike></fes:Not>')
    assert record_ids(post_filter(cite_client, not_like, '3.0.0')) == {
        r.identifier for r in cite_records if not r.title.lower().startswith('l')}


def test_nested_logic(cite_client, cite_records):
    predicate = '''<ogc:And>
      <ogc:Or>
        <ogc:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName><ogc:Literal>L*</ogc:Literal></ogc:PropertyIsLike>
        <ogc:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName><ogc:Literal>M*</ogc:Literal></ogc:PropertyIsLike>
      </ogc:Or>
      <ogc:Not><ogc:PropertyIsEqualTo><ogc:PropertyName>dc:type</ogc:PropertyName>
        <ogc:Literal>http://purl.org/dc/dcmitype/Image</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Not>
    </ogc:And>'''
    assert record_ids(post_filter(cite_client, predicate)) == {
        r.identifier for r in cite_records if r.title[:1] in ('L', 'M')
        and r.type != 'http://purl.org/dc/dcmitype/Image'}


def test_like_pattern_treats_sql_wildcards_literally(cite_client):
    # '_' is not this filter's singleChar: it must not match any one character
    predicate = ('<ogc:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\\"><ogc:PropertyName>'
                 'dc:title</ogc:PropertyName><ogc:Literal>Lorem_ipsum</ogc:Literal></ogc:PropertyIsLike>')
    assert record_ids(post_filter(cite_client, predicate)) == set()


@pytest.mark.parametrize('version, predicate, locator', [
    ('2.0.2', '<ogc:PropertyIsNull><ogc:PropertyName>dc:nosuch</ogc:PropertyName></ogc:PropertyIsNull>',
     'PropertyName'),
    ('3.0.0', '<fes:PropertyIsEqualTo><fes:ValueReference>dc:nosuch</fes:ValueReference>'
              '<fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo>', 'PropertyName'),
    ('2.0.2', '<ogc:PropertyIsEqualTo><ogc:Function name="reverse"><ogc:PropertyName>dc:title'
              '</ogc:PropertyName></ogc:Function><ogc:Literal>x</ogc:Literal></ogc:PropertyIsEqualTo>',
     'Function'),
])
def test_post_filter_error_names_the_element(cite_client, version, predicate, locator):
    assert exception_of(post_filter(cite_client, predicate, version)) == (
        'InvalidParameterValue', locator)


@pytest.mark.parametrize('version', ['2.0.2', '3.0.0'])
def test_kvp_filter_error_names_the_constraint_parameter(cite_client, version):
    flt = ('<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
           '<ogc:PropertyName>dc:nosuch</ogc:PropertyName><ogc:Literal>x</ogc:Literal>'
           '</ogc:PropertyIsEqualTo></ogc:Filter>')
    data = get_records(cite_client, version, constraintlanguage='FILTER', constraint=flt,
                       constraint_language_version='1.1.0')
    assert exception_of(data) == ('InvalidParameterValue', 'constraint')
