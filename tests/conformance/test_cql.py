"""Issue 9 point 6: CQL keywords are case-insensitive and operators need no spaces
(OGC CQL grammar); pycsw 2.6.2 answers "Invalid Filter syntax" to ``LIKE``."""
from __future__ import annotations

import pytest

from cite_fixtures import cite_client, cite_config, cite_records  # noqa: F401 (fixtures)
from cite_fixtures import exception_of, get_records, post_cql, record_ids

CASES = [
    ("dc:title LIKE 'L%'", lambda r: r.title.startswith('L')),
    ("dc:title like 'L%'", lambda r: r.title.startswith('L')),
    ("csw:AnyText Like '%lorem%'", lambda r: 'lorem' in r.anytext),
    ("dc:title='Lorem ipsum'", lambda r: r.title == 'Lorem ipsum'),
    ("dc:title<>'Lorem ipsum'", lambda r: r.title and r.title != 'Lorem ipsum'),
    ("dc:title = 'Lorem ipsum' OR dc:title = 'Maecenas enim'",
     lambda r: r.title in ('Lorem ipsum', 'Maecenas enim')),
    ("dc:title LIKE 'L%' and dc:format = 'image/jpeg'",
     lambda r: r.title.startswith('L') and r.format == 'image/jpeg'),
    ("NOT dc:title LIKE 'L%'", lambda r: not r.title.startswith('L')),
    ("dc:title NOT LIKE 'L%'", lambda r: not r.title.startswith('L')),
    ("dc:date BETWEEN '2005-01-01' AND '2006-04-01'", lambda r: '2005-01-01' <= r.date <= '2006-04-01' and r.date),
    ("dc:date between '2005-01-01' and '2006-04-01'", lambda r: '2005-01-01' <= r.date <= '2006-04-01' and r.date),
    ("dc:format IS NULL", lambda r: not r.format),
    ("dc:format is not null", lambda r: bool(r.format)),
    ("(dc:title LIKE 'L%' OR dc:title LIKE 'M%') AND NOT dc:type = 'http://purl.org/dc/dcmitype/Image'",
     lambda r: r.title[:1] in ('L', 'M') and r.type != 'http://purl.org/dc/dcmitype/Image'),
    ("dc:title IN ('Lorem ipsum', 'Maecenas enim')", lambda r: r.title in ('Lorem ipsum', 'Maecenas enim')),
    ("dc:title = 'It''s not there'", lambda r: False),
]


@pytest.mark.parametrize('cql, expected', CASES, ids=[c[0] for c in CASES])
def test_cql_kvp(cite_client, cite_records, cql, expected):
    data = get_records(cite_client, constraintlanguage='CQL_TEXT', constraint=cql)
    assert record_ids(data) == {r.identifier for r in cite_records if expected(r)}


@pytest.mark.parametrize('cql, expected', CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_cql_post(cite_client, cite_records, cql, expected):
    assert record_ids(post_cql(cite_client, cql)) == {r.identifier for r in cite_records if expected(r)}


@pytest.mark.parametrize('version', ['2.0.2', '3.0.0'])
def test_cql_3_kvp(cite_client, cite_records, version):
    data = get_records(cite_client, version, constraintlanguage='CQL_TEXT',
                       constraint="dc:title LIKE 'L%' AND dc:format IS NOT NULL")
    assert record_ids(data) == {r.identifier for r in cite_records
                                if r.title.startswith('L') and r.format}


@pytest.mark.parametrize('cql', ["dc:title LIKE", "dc:title = 'x' AND", "(dc:title = 'x'",
                                 "dc:title ~ 'x'", "dc:nosuch = 'x'"])
def test_bad_cql_is_invalid_parameter_value(cite_client, cql):
    assert exception_of(get_records(cite_client, constraintlanguage='CQL_TEXT', constraint=cql)) == (
        'InvalidParameterValue', 'constraint')


def test_bad_cql_post_names_cqltext(cite_client):
    assert exception_of(post_cql(cite_client, "dc:title LIKE")) == ('InvalidParameterValue', 'CqlText')
