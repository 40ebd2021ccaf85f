"""Issue 9 point 13: in KVP GetRecords a ``constraint`` and ``q``/``bbox``/``time`` are
combined with AND (pycsw 2.6.2 silently drops the constraint when either is present)."""
from __future__ import annotations

import pytest

from cite_fixtures import cite_client, cite_config, cite_records  # noqa: F401 (fixtures)
from cite_fixtures import exception_of, get_records, record_ids

L_TITLES = "dc:title LIKE 'L%'"


@pytest.mark.parametrize('version', ['3.0.0', '2.0.2'])
def test_q_and_constraint(cite_client, cite_records, version):
    data = get_records(cite_client, version, q='lorem', constraintlanguage='CQL_TEXT',
                       constraint="dc:format = 'image/jpeg'")
    expected = {r.identifier for r in cite_records if 'lorem' in r.anytext and r.format == 'image/jpeg'}
    assert record_ids(data) == expected and len(expected) == 1


def test_bbox_and_constraint(cite_client, cite_records):
    # the box holds the three CITE records in western Europe / Scandinavia
    data = get_records(cite_client, '3.0.0', bbox='-10,40,20,70', constraintlanguage='CQL_TEXT',
                       constraint="dc:title LIKE 'M%'")
    expected = {r.identifier for r in cite_records if r.box and r.title.startswith('M')}
    assert record_ids(data) == expected and len(expected) == 1


def test_bbox_and_filter_constraint(cite_client, cite_records):
    flt = ('<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsLike wildCard="%" '
           'singleChar="_" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName>'
           '<ogc:Literal>%n%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>')
    data = get_records(cite_client, '3.0.0', bbox='-10,40,20,70', constraintlanguage='FILTER',
                       constraint=flt)
    assert record_ids(data) == {r.identifier for r in cite_records if r.box and 'n' in r.title.lower()}


def test_time_and_constraint(cite_client, cite_records):
    data = get_records(cite_client, '3.0.0', time='2005-01-01/2006-12-31',
                       constraintlanguage='CQL_TEXT', constraint="dc:subject LIKE 'Hydro%'")
    expected = {r.identifier for r in cite_records if r.date and '2005-01-01' <= r.date <= '2006-12-31'
                and any(s.startswith('Hydro') for s in r.subjects)}
    assert record_ids(data) == expected and len(expected) == 2


def test_empty_search_parameters_are_no_constraint(cite_client, cite_records):
    data = get_records(cite_client, '3.0.0', q='', bbox='', time='/', constraintlanguage='CQL_TEXT',
                       constraint=L_TITLES)
    assert record_ids(data) == {r.identifier for r in cite_records if r.title.startswith('L')}
    everything = get_records(cite_client, '3.0.0', q='', bbox='', time='', startposition='')
    assert len(record_ids(everything)) == 12


def test_bad_bbox_with_constraint_names_bbox(cite_client):
    data = get_records(cite_client, '3.0.0', bbox='1,2', constraintlanguage='CQL_TEXT',
                       constraint=L_TITLES)
    assert exception_of(data) == ('InvalidParameterValue', 'bbox')
