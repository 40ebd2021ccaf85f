"""The federated CSW endpoint and JSON search against real peers over HTTP on 127.0.0.1."""
from __future__ import annotations

import pytest
import requests
from lxml import etree
from owslib.csw import CatalogueServiceWeb
from owslib.fes import PropertyIsLike, SortBy, SortProperty

from federation_fixtures import (down_peer, exception_peer, hanging_peer,  # noqa: F401
                                       make_app, make_config, pycsw_all, pycsw_ebrim,
                                       pycsw_iso, serve, text_peer, timed)

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
CSW30 = 'http://www.opengis.net/cat/csw/3.0'
DC = 'http://purl.org/dc/elements/1.1/'
GMD = 'http://www.isotc211.org/2005/gmd'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
ALL, ISO_ONLY = 29, 17


@pytest.fixture
def federator(tmp_path, pycsw_all, pycsw_iso):
    """A HubCat federator over two stock pycsw peers ('all': 29 records, 'iso': 17 of them)."""
    config = make_config(tmp_path, {'all': f'{pycsw_all} 10', 'iso': f'{pycsw_iso} 10'})
    server = serve(make_app(config))
    yield server.url
    server.stop()


def get_records(url: str, **params) -> requests.Response:
    base = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords',
            'typenames': 'csw:Record', 'elementsetname': 'brief', 'resulttype': 'results'}
    return requests.get(url, params=dict(base, **params), timeout=60)


def search_results(resp: requests.Response) -> etree._Element:
    root = etree.fromstring(resp.content)
    assert root.tag == f'{{{CSW}}}GetRecordsResponse', resp.text[:500]
    return root.find(f'{{{CSW}}}SearchResults')


def test_owslib_pages_through_the_merged_duplicate_free_result(federator):
    csw = CatalogueServiceWeb(federator, timeout=60)
    assert 'GetRecords' in [op.name for op in csw.operations]
    seen, position, matches = [], 1, []
    while position:
        csw.getrecords2(esn='brief', startposition=position, maxrecords=10)
        matches.append(csw.results['matches'])
        seen += list(csw.records)
        position = csw.results['nextrecord']
    assert len(seen) == ALL == len(set(seen))
    # matched = 29 + 17 minus the duplicates known so far: exact once every record was fetched
    assert matches[0] == ALL + ISO_ONLY - 10 and matches[-1] == ALL


def test_first_page_reports_peers_and_tags_each_record_with_its_peer(federator):
    resp = get_records(federator, maxrecords=20)
    assert resp.headers['X-HubCat-Peers'] == 'all=ok;iso=ok'
    results = search_results(resp)
    assert results.get('numberOfRecordsReturned') == '20'
    assert results.get('nextRecord') == '21'
    sources = {r.find(f'{{{DC}}}source').text for r in results}
    assert sources <= {'all', 'iso'} and 'all' in sources
    comment = etree.fromstring(resp.content)[0]
    assert isinstance(comment, etree._Comment)
    assert 'all ok matched=29 fetched=20' in comment.text
    assert 'iso ok matched=17 fetched=17' in comment.text


def test_sort_by_title_is_honoured_across_peers(federator):
    csw = CatalogueServiceWeb(federator, timeout=60)
    csw.getrecords2(esn='brief', maxrecords=29,
                    sortby=SortBy([SortProperty('dc:title', 'DESC')]))
    titles = [rec.title or '' for rec in csw.records.values()]
    assert len(titles) == ALL
    non_empty = [t for t in titles if t]
    assert non_empty == sorted(non_empty, key=lambda t: (t.casefold(), t), reverse=True)


def test_xml_post_with_filter_and_last_page(federator):
    csw = CatalogueServiceWeb(federator, timeout=60)
    csw.getrecords2(constraints=[PropertyIsLike('csw:AnyText', '%lorem%')], esn='full',
                    maxrecords=3, startposition=4)
    assert csw.results['matches'] == 5
    assert csw.results['returned'] == 2
    assert csw.results['nextrecord'] == 0
    assert all(rec.source == 'all' for rec in csw.records.values())


def test_iso_output_schema_records_carry_the_peer_element(federator):
    resp = get_records(federator, typenames='gmd:MD_Metadata', outputschema=GMD,
                       elementsetname='full', maxrecords=5)
    records = list(search_results(resp))
    assert len(records) == 5
    for record in records:
        assert record.tag == f'{{{GMD}}}MD_Metadata'
        assert record[-1].tag == '{urn:hubcat}peer'
        assert record[-1].get('name') in ('all', 'iso')


def test_ebrim_output_passes_through_with_the_peer_slot(tmp_path, pycsw_ebrim):
    config = make_config(tmp_path, {'ebrim': f'{pycsw_ebrim} 10'})
    server = serve(make_app(config))
    try:
        resp = get_records(server.url, outputschema=RIM, elementsetname='full', maxrecords=3)
    finally:
        server.stop()
    records = list(search_results(resp))
    assert len(records) == 3
    for record in records:
        assert record.tag == f'{{{RIM}}}ExtrinsicObject'
        slot = record.find(f'{{{RIM}}}Slot[@name="urn:hubcat:slot:peer"]')
        assert slot.findtext(f'{{{RIM}}}ValueList/{{{RIM}}}Value') == 'ebrim'


def test_get_record_by_id_returns_the_record_from_a_peer(federator):
    csw = CatalogueServiceWeb(federator, timeout=60)
    csw.getrecords2(esn='brief', maxrecords=1)
    identifier = next(iter(csw.records))
    csw.getrecordbyid([identifier])
    assert list(csw.records) == [identifier]
    resp = requests.get(federator, params={'service': 'CSW', 'version': '2.0.2',
                                           'request': 'GetRecordById', 'id': 'no-such-id'},
                        timeout=60)
    root = etree.fromstring(resp.content)
    assert resp.status_code == 200 and root.tag == f'{{{CSW}}}GetRecordByIdResponse'
    assert [el for el in root if isinstance(el.tag, str)] == []


def test_failing_peers_are_reported_and_never_hide_the_answering_one(
        tmp_path, pycsw_all, hanging_peer, exception_peer, down_peer, text_peer):
    config = make_config(tmp_path, {'good': pycsw_all, 'hang': f'{hanging_peer} 1',
                                    'broken': exception_peer, 'down': down_peer,
                                    'text': text_peer})
    server = serve(make_app(config))
    try:
        resp, seconds = timed(get_records, server.url, maxrecords=10)
    finally:
        server.stop()
    assert seconds < 20  # the hanging peer would hold a request for much longer
    assert resp.status_code == 200
    assert resp.headers['X-HubCat-Peers'] == \
        'good=ok;hang=timeout;broken=failed;down=failed;text=failed'
    results = search_results(resp)
    assert results.get('numberOfRecordsMatched') == str(ALL)
    assert len(results) == 10
    comment = etree.fromstring(resp.content)[0].text
    assert 'Database is under maintenance' in comment
    assert 'Connection refused' in comment
    assert 'not XML (text/plain)' in comment
    assert 'no answer within 1 s' in comment


def test_all_peers_failing_gives_an_exception_report(tmp_path, down_peer, text_peer):
    config = make_config(tmp_path, {'down': down_peer, 'text': text_peer})
    server = serve(make_app(config))
    try:
        resp = get_records(server.url)
    finally:
        server.stop()
    assert resp.status_code == 502
    assert resp.headers['X-HubCat-Peers'] == 'down=failed;text=failed'
    root = etree.fromstring(resp.content)
    assert root.tag == '{http://www.opengis.net/ows}ExceptionReport'
    assert 'no peer answered' in root.findtext('.//{http://www.opengis.net/ows}ExceptionText')


def test_csw_3_kvp_is_forwarded(federator):
    resp = requests.get(federator, params={'service': 'CSW', 'version': '3.0.0',
                                           'request': 'GetRecords', 'typenames': 'csw:Record',
                                           'q': 'lorem', 'maxrecords': '3'}, timeout=60)
    root = etree.fromstring(resp.content)
    results = root.find(f'{{{CSW30}}}SearchResults')
    assert results.get('numberOfRecordsMatched') == '5'
    assert results.get('numberOfRecordsReturned') == '3'


def test_csw_3_xml_post_is_forwarded_with_distributed_search(federator):
    fes20 = 'http://www.opengis.net/fes/2.0'
    body = f"""<csw30:GetRecords xmlns:csw30="http://www.opengis.net/cat/csw/3.0"
      xmlns:fes="{fes20}" service="CSW" version="3.0.0" maxRecords="3" startPosition="2">
      <csw30:DistributedSearch hopCount="3" clientId="me" distributedSearchId="urn:x:42"/>
      <csw30:Query typeNames="csw30:Record"><csw30:ElementSetName>brief</csw30:ElementSetName>
      <csw30:Constraint version="2.0.0"><fes:Filter><fes:PropertyIsLike wildCard="%"
        singleChar="_" escapeChar="!"><fes:ValueReference>dc:title</fes:ValueReference>
        <fes:Literal>%a%</fes:Literal></fes:PropertyIsLike></fes:Filter></csw30:Constraint>
      <fes:SortBy><fes:SortProperty><fes:ValueReference>dc:title</fes:ValueReference>
        <fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
      </csw30:Query></csw30:GetRecords>"""
    resp = requests.post(federator, data=body.encode(), timeout=60)
    assert resp.headers['X-HubCat-Peers'] == 'all=ok;iso=ok'
    results = etree.fromstring(resp.content).find(f'{{{CSW30}}}SearchResults')
    titles = [r.findtext(f'{{{DC}}}title') for r in results]
    assert len(titles) == 3 and results.get('nextRecord') == '5'
    assert titles == sorted(titles, key=lambda t: (t.casefold(), t), reverse=True)


def test_bad_request_is_an_exception_report(federator):
    resp = requests.get(federator, params={'service': 'CSW', 'version': '2.0.2',
                                           'request': 'GetRecords', 'maxrecords': 'many'},
                        timeout=60)
    assert resp.status_code == 400
    assert b'InvalidParameterValue' in resp.content


def test_json_search_returns_records_and_peer_status(tmp_path, pycsw_all, pycsw_iso, down_peer):
    config = make_config(tmp_path, {'all': pycsw_all, 'iso': pycsw_iso, 'down': down_peer})
    client = make_app(config).test_client()
    body = client.get('/api/search?q=lorem&limit=3').get_json()
    assert body['matched'] == 5 and body['returned'] == 3
    assert set(body['records'][0]) == {'identifier', 'title', 'type', 'bbox', 'peer'}
    assert {p['name']: p['status'] for p in body['peers']} == \
        {'all': 'ok', 'iso': 'ok', 'down': 'failed'}
    greece = client.get('/api/search?bbox=19,34,30,42&limit=100').get_json()
    assert greece['duplicates'] > 0
    assert all(r['bbox'] for r in greece['records'])
    assert client.get('/api/search?bbox=1,2,3').status_code == 400
    assert client.get('/api/search?limit=0').status_code == 400


def test_xml_entities_in_a_request_are_refused(federator):
    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            b'version="2.0.2"><csw:Query typeNames="csw:Record"><csw:ElementSetName>&e;'
            b'</csw:ElementSetName></csw:Query></csw:GetRecords>')
    resp = requests.post(federator, data=body, timeout=60)
    assert resp.status_code == 400
    assert b'XML entities are not accepted' in resp.content


def test_owslib_csw_3_client(federator):
    csw = CatalogueServiceWeb(federator, version='3.0.0', timeout=60)
    assert csw.identification.title.endswith('(federated search)')
    assert [op.name for op in csw.operations] == ['GetCapabilities', 'GetRecords',
                                                  'GetRecordById']
    assert len(csw.constraints['FederatedCatalogues'].values) == 2
    csw.getrecords(maxrecords=5)
    assert csw.results['returned'] == 5 and csw.results['nextrecord'] == 6
    assert csw.results['matches'] == ALL + ISO_ONLY - 5  # duplicates known among the first 5
