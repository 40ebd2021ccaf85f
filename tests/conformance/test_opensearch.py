"""Issue 9 point 12: HubCat's own OpenSearch description, used the way OpenSearch clients use
it (every optional parameter they do not fill is sent empty), on the CITE records."""
from __future__ import annotations

from cite_fixtures import cite_client, cite_config, cite_records  # noqa: F401 (fixtures)
from opensearch_client import OS, description, entry_ids, search, template, total

PARAMETERS = ('searchTerms', 'geo:box', 'time:start', 'time:end', 'hubcat:status',
              'hubcat:observedProperty', 'hubcat:type', 'startIndex', 'count')


def test_description_names_hubcat_parameters(cite_client):
    doc = description(cite_client)
    types = [u.get('type') for u in doc.findall(f'{{{OS}}}Url')]
    assert 'application/atom+xml' in types and 'application/xml' in types
    assert not any('%2B' in t or '%%' in t for t in types)
    atom = template(cite_client)
    for name in PARAMETERS:
        assert f'{{{name}?}}' in atom, name
    assert '{eo:' not in atom and 'outputformat=application%2Fatom%2Bxml' in atom
    assert len(doc.findtext(f'{{{OS}}}ShortName')) <= 16


def test_all_parameters_empty_is_no_constraint(cite_client, cite_records):
    feed = search(cite_client, count='50')
    assert total(feed) == 12 and entry_ids(feed) == {r.identifier for r in cite_records}


def test_search_terms(cite_client, cite_records):
    feed = search(cite_client, searchTerms='lorem', count='50')
    assert entry_ids(feed) == {r.identifier for r in cite_records if 'lorem' in r.anytext}


def test_box_and_time(cite_client, cite_records):
    feed = search(cite_client, geo__box='-10,40,20,70', time__start='2006-01-01', count='50')
    assert entry_ids(feed) == {r.identifier for r in cite_records
                               if r.box and r.date and r.date >= '2006-01-01'}


def test_paging(cite_client):
    feed = search(cite_client, count='5', startIndex='6')
    assert total(feed) == 12 and len(entry_ids(feed)) == 5
    assert feed.findtext(f'{{{OS}}}startIndex') == '6'


def test_xml_template_answers_csw(cite_client, cite_records):
    from urllib.parse import urlsplit

    from lxml import etree
    from opensearch_client import fill
    url = urlsplit(fill(template(cite_client, 'application/xml'), searchTerms='lorem'))
    root = etree.fromstring(cite_client.get(f'{url.path}?{url.query}').data)
    results = root.find('.//{*}SearchResults')
    assert int(results.get('numberOfRecordsMatched')) == sum('lorem' in r.anytext for r in cite_records)
