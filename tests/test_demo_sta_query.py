"""The demo STA server's query-option parser and its minimal $filter."""
import pytest

from hubcat.demo.sta_filter import compile_filter
from hubcat.demo.sta_query import (Expand, OrderBy, QueryError, QueryOptions, format_options,
                                   parse_query, split_top_level)


def test_split_top_level_ignores_separators_inside_parentheses_and_quotes():
    assert split_top_level("a($x=1,2),b('c,d'),e", ',') == ["a($x=1,2)", "b('c,d')", 'e']
    for bad in ('a(b', 'a)b', "a('b"):
        with pytest.raises(QueryError):
            split_top_level(bad, ',')


def test_nested_expand_with_semicolons_and_commas():
    options = parse_query([
        ('$expand', 'Locations($top=1),Datastreams($expand=ObservedProperty,Sensor;$select=id,name)'),
        ('$top', '5'), ('other', 'ignored')])
    assert options.top == 5
    locations, datastreams = options.expand
    assert locations == Expand('Locations', QueryOptions(top=1))
    assert datastreams.options.select == ('id', 'name')
    assert [e.name for e in datastreams.options.expand] == ['ObservedProperty', 'Sensor']


def test_expand_paths_become_nested_and_merge():
    options = parse_query([('$expand', 'Datastreams/ObservedProperty,Datastreams/Sensor,'
                                       'Datastreams/Observations($orderby=resultTime desc;$top=1)')])
    (datastreams,) = options.expand
    observed, sensor, observations = datastreams.options.expand
    assert (observed.name, sensor.name) == ('ObservedProperty', 'Sensor')
    assert observations.options == QueryOptions(top=1, orderby=(OrderBy('resultTime', True),))


def test_format_options_round_trips():
    pairs = [('$filter', "name eq 'a,b'"), ('$select', 'id,name'),
             ('$expand', 'Locations($top=1),Datastreams($select=id;$expand=Sensor)'),
             ('$orderby', 'phenomenonTime desc,id asc'), ('$count', 'true'), ('$top', '3'),
             ('$skip', '6')]
    options = parse_query(pairs)
    assert parse_query(format_options(options)) == options


@pytest.mark.parametrize('pair', [
    ('$top', '-1'), ('$top', '1.5'), ('$skip', 'x'), ('$count', '1'), ('$orderby', 'name sideways'),
    ('$orderby', ''), ('$select', 'a b'), ('$expand', 'A(B)'), ('$expand', 'A($top=1)x'),
    ('$expand', 'A($top=1),A($top=2)'), ('$expand', 'A($nope=1)'), ('$resultFormat', 'dataArray'),
    ('$filter', ''),
])
def test_malformed_options_raise_query_error(pair):
    with pytest.raises(QueryError):
        parse_query([pair])


def test_repeated_option_is_an_error():
    with pytest.raises(QueryError):
        parse_query([('$top', '1'), ('$top', '2')])


THING = {'@iot.id': 4, 'name': "O'Hara gauge", 'description': 'River gauge',
         'properties': {'kind': 'river gauge', 'elevation_m': 130}}
OBSERVATION = {'@iot.id': 9, 'phenomenonTime': '2026-11-21T19:30:00Z', 'result': 3.5}


@pytest.mark.parametrize('expression, expected', [
    ("name eq 'O''Hara gauge'", True), ("properties/kind eq 'river gauge'", True),
    ('properties/elevation_m gt 100 and id eq 4', True), ('properties/elevation_m lt 100', False),
    ("not (name eq 'x') or id eq 1", True), ("substringof('Hara', name)", True),
    ("startswith(tolower(name), 'o''h')", True), ("endswith(description, 'x')", False),
    ('properties/missing eq null', True), ("properties/elevation_m eq '130'", False),
])
def test_filter_on_things(expression, expected):
    assert compile_filter(expression, 'Things')(THING) is expected


@pytest.mark.parametrize('expression, expected', [
    ('phenomenonTime gt 2026-11-21T19:00:00Z', True), ('phenomenonTime ge 2026-11-21T20:30:00+01:00', True),
    ('phenomenonTime lt 2026-11-21', False), ('result le 3.5 and result gt 3', True),
])
def test_filter_on_observations(expression, expected):
    assert compile_filter(expression, 'Observations')(OBSERVATION) is expected


@pytest.mark.parametrize('expression', [
    'colour eq 1', 'Datastream/id eq 1', 'result add 1 eq 2', "geo.distance(location, x) lt 1",
    'name eq', "name eq 'a' extra", 'phenomenonTime gt 2026-11-21T19:00:00',
])
def test_unsupported_filter_raises_query_error(expression):
    with pytest.raises(QueryError):
        compile_filter(expression, 'Observations' if 'phenomenon' in expression else 'Things')
