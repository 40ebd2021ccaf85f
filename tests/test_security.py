"""Issue 8: the /csw request boundary, attacked over real HTTP (waitress, as ``hubcat serve``)
on SQLite and PostgreSQL.  Every attack is refused with a clear 4xx, changes no record
(count before/after) and makes no outbound connection (a local listener records none).
"""
from __future__ import annotations

import pytest
import requests
from lxml import etree

from conftest import _BACKENDS, ADMIN_TOKEN, make_config, make_database
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from records_factory import station
from security_support import (CSW_NS, SOAP11, SOAP12, ConnectionRecorder, ServedHubCat,
                              delete_all, exception, harvest, soap)

AUTH = {'Authorization': f'Bearer {ADMIN_TOKEN}'}
XML = {'Content-Type': 'application/xml'}
VERSIONS = ['2.0.2', '3.0.0']
RECORDS = station(n_things=4, per_thing=3)
SEARCHABLE = len(RECORDS)   # 17 records a search finds (associations are rows too, never found)
CAP = 15                    # [server] maxrecords of the served catalogue
LIMIT = 64 * 1024           # [hubcat] max_request_bytes of the served catalogue


@pytest.fixture(scope='module', params=_BACKENDS)
def served(request, tmp_path_factory):
    """HubCat with the test token and the same catalogue without a token configured
    (``.open``), both served over HTTP, on a catalogue of 7 sensor records."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('security'))
    settings = {'server': {'maxrecords': str(CAP)},
                'hubcat': {'max_request_bytes': str(LIMIT)},
                'hubcat:federation': {'include_local': 'true'}}
    config = make_config(url, **settings)
    init_db(config.database_url, config.table)
    Catalogue(config.database_url).sync(1, RECORDS)
    server = ServedHubCat(config)
    server.open = ServedHubCat(make_config(url, **{**settings, 'hubcat': {
        'admin_token': '', 'max_request_bytes': str(LIMIT)}}))
    yield server
    server.open.close()
    server.close()
    cleanup()


@pytest.fixture
def listener():
    """A local listener that must record no connection."""
    recorder = ConnectionRecorder()
    yield recorder
    recorder.close()


def _post(url, body, headers=None):
    return requests.post(url, data=body, headers={**XML, **(headers or {})}, timeout=60)


def _soap_fault(resp, namespace):
    doc = etree.fromstring(resp.content)
    assert doc.tag == f'{{{namespace}}}Envelope', resp.content[:300]
    fault = doc.find(f'{{{namespace}}}Body/{{{namespace}}}Fault')
    assert fault is not None, resp.content[:500]
    return exception(resp.content)


# ---- 8.1 SOAP wrapper ---------------------------------------------------------------------
@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('namespace', [SOAP12, SOAP11], ids=['soap12', 'soap11'])
def test_soap_transaction_without_token_is_refused(served, version, namespace):
    before = served.count()
    for headers, status in (({}, 401), ({'Authorization': 'Bearer wrong'}, 401)):
        resp = _post(served.csw, soap(delete_all(version), namespace), headers)
        assert resp.status_code == status
        code, locator, text = _soap_fault(resp, namespace)
        assert locator == 'Transaction' and 'administrator token' in text
    resp = _post(served.open.csw, soap(delete_all(version), namespace), AUTH)
    assert resp.status_code == 403
    assert 'no administrator token' in _soap_fault(resp, namespace)[2]
    assert served.count() == before


@pytest.mark.parametrize('version', VERSIONS)
def test_soap_harvest_without_token_is_refused_and_connects_nowhere(served, listener, version):
    before = served.count()
    resp = _post(served.csw, soap(harvest(version, listener.url())))
    assert resp.status_code == 401
    assert _soap_fault(resp, SOAP12)[1] == 'Harvest'
    assert served.count() == before and listener.connections == []


@pytest.mark.parametrize('version', VERSIONS)
def test_nested_soap_envelope_is_refused_even_with_the_token(served, version):
    before = served.count()
    resp = _post(served.csw, soap(soap(delete_all(version)).split(b'?>', 1)[1].decode()), AUTH)
    assert resp.status_code == 400
    assert 'not another envelope' in _soap_fault(resp, SOAP12)[2]
    assert served.count() == before


@pytest.mark.parametrize('body', [
    f'<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body/></soap:Envelope>',
    f'<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body>{delete_all("2.0.2")}'
    f'<x/></soap:Body></soap:Envelope>',
    f'<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><x/></soap:Body>'
    f'<soap:Body>{delete_all("2.0.2")}</soap:Body></soap:Envelope>',
], ids=['empty-body', 'two-operations', 'two-bodies'])
def test_malformed_soap_envelope_is_a_fault(served, body):
    before = served.count()
    resp = _post(served.csw, body.encode(), AUTH)
    assert resp.status_code == 400
    _soap_fault(resp, SOAP12)
    assert served.count() == before


def test_dtd_in_a_request_is_refused(served):
    body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
            + delete_all('2.0.2')).encode()
    resp = _post(served.csw, body, AUTH)
    assert resp.status_code == 400 and 'DOCTYPE' in exception(resp.content)[2]


@pytest.mark.parametrize('version', VERSIONS)
def test_soap_getrecords_is_answered_in_a_soap_envelope(served, version):
    csw = CSW_NS[version]
    result_type = ' resultType="results"' if version == '2.0.2' else ''
    body = (f'<csw:GetRecords xmlns:csw="{csw}" service="CSW" version="{version}"{result_type}>'
            f'<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
            f'</csw:Query></csw:GetRecords>')
    resp = _post(served.csw, soap(body))
    assert resp.status_code == 200 and resp.headers['Content-Type'].startswith('application/soap+xml')
    doc = etree.fromstring(resp.content)
    answer = doc.find(f'{{{SOAP12}}}Body')[0]
    assert answer.tag == f'{{{csw}}}GetRecordsResponse'
    results = answer.find(f'{{{csw}}}SearchResults')
    assert int(results.get('numberOfRecordsMatched')) == SEARCHABLE


def test_soap_transaction_with_token_runs_and_answers_in_soap(served):
    csw = CSW_NS['2.0.2']
    insert = (f'<csw:Transaction xmlns:csw="{csw}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              f'service="CSW" version="2.0.2"><csw:Insert><csw:Record>'
              f'<dc:identifier>urn:x:soap</dc:identifier><dc:title>via SOAP</dc:title>'
              f'</csw:Record></csw:Insert></csw:Transaction>')
    before = served.count()
    resp = _post(served.csw, soap(insert), AUTH)
    assert resp.status_code == 200, resp.content[:500]
    answer = etree.fromstring(resp.content).find(f'{{{SOAP12}}}Body')[0]
    assert answer.tag == f'{{{csw}}}TransactionResponse'
    assert served.count() == before + 1
    delete = insert.replace('<csw:Insert><csw:Record><dc:identifier>urn:x:soap</dc:identifier>'
                            '<dc:title>via SOAP</dc:title></csw:Record></csw:Insert>',
                            '<csw:Delete><csw:Constraint version="1.1.0"><ogc:Filter '
                            'xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
                            '<ogc:PropertyName>dc:identifier</ogc:PropertyName><ogc:Literal>'
                            'urn:x:soap</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>'
                            '</csw:Constraint></csw:Delete>')
    assert _post(served.csw, delete.encode(), AUTH).status_code == 200
    assert served.count() == before


# ---- 8.2 repeated KVP keys ----------------------------------------------------------------
@pytest.mark.parametrize('query', [
    'service=CSW&version=2.0.2&REQUEST=x&request=Harvest&REQUEST=GetCapabilities',
    'service=CSW&version=2.0.2&request=GetCapabilities&Request=Harvest',
    'service=CSW&SERVICE=CSW&version=2.0.2&request=Harvest',
    'service=CSW&version=2.0.2&VERSION=3.0.0&request=Harvest',
    'service=CSW&version=3.0.0&Version=2.0.2&request=Harvest',
], ids=['request-thrice', 'request-twice', 'service', 'version', 'version-3'])
def test_repeated_kvp_parameter_is_refused(served, listener, query):
    before = served.count()
    source = requests.utils.quote(listener.url(), safe='')
    resource = requests.utils.quote(CSW_NS['2.0.2'], safe='')
    resp = requests.get(f'{served.csw}?{query}&resourcetype={resource}&source={source}',
                        headers=AUTH, timeout=60)
    assert resp.status_code == 400
    code, locator, text = exception(resp.content)
    assert code == 'InvalidParameterValue' and 'more than once' in text
    assert locator in ('request', 'service', 'version')
    assert served.count() == before and listener.connections == []


def test_kvp_names_in_any_case_reach_pycsw_normalised(served):
    resp = requests.get(f'{served.csw}?SERVICE=CSW&Version=2.0.2&REQUEST=GetRecords'
                        '&TypeNames=csw:Record&ElementSetName=brief&resultType=results',
                        timeout=60)
    assert resp.status_code == 200
    results = etree.fromstring(resp.content).find(f'{{{CSW_NS["2.0.2"]}}}SearchResults')
    assert results is not None and int(results.get('numberOfRecordsMatched')) == SEARCHABLE


@pytest.mark.parametrize('query', ['request=harvest', 'request=HARVEST', 'request=transaction'])
def test_write_operation_in_any_spelling_needs_the_token(served, query):
    resp = requests.get(f'{served.csw}?service=CSW&version=2.0.2&{query}', timeout=60)
    assert resp.status_code == 401


# ---- 8.9 CSW-T refusals carry 401/403; one token check --------------------------------------
@pytest.mark.parametrize('version', VERSIONS)
def test_plain_transaction_refusals_are_401_and_403(served, version):
    before = served.count()
    no_token = _post(served.csw, delete_all(version).encode())
    assert no_token.status_code == 401
    assert no_token.headers['WWW-Authenticate'].startswith('Bearer')
    assert exception(no_token.content)[1] == 'Transaction'
    assert _post(served.csw, delete_all(version).encode(),
                 {'Authorization': 'Bearer nope'}).status_code == 401
    assert _post(served.open.csw, delete_all(version).encode(), AUTH).status_code == 403
    assert served.count() == before


@pytest.mark.parametrize('scheme', ['bearer', 'BEARER', 'Bearer'])
def test_bearer_scheme_is_case_insensitive_everywhere(served, scheme):
    headers = {'Authorization': f'{scheme} {ADMIN_TOKEN}'}
    peer = requests.post(served.url + '/api/peers', json={'url': 'not a url'},
                         headers=headers, timeout=60)
    assert peer.status_code == 400   # past the token check, refused for its URL
    source = requests.post(served.url + '/api/sources', json={'type': 'sta'},
                           headers=headers, timeout=60)
    assert source.status_code == 400
    csw = _post(served.csw, f'<csw:Transaction xmlns:csw="{CSW_NS["2.0.2"]}" service="CSW" '
                            'version="2.0.2"/>'.encode(), headers)
    assert csw.status_code != 401


@pytest.mark.parametrize('path', ['/api/peers', '/api/sources'])
def test_api_writes_refused_alike(served, path):
    assert requests.post(served.url + path, json={}, timeout=60).status_code == 401
    assert requests.post(served.url + path, json={}, headers={'Authorization': 'Bearer x'},
                         timeout=60).status_code == 401
    assert requests.post(served.open.url + path, json={}, headers=AUTH,
                         timeout=60).status_code == 403


# ---- 8.4 responsehandler ------------------------------------------------------------------
def _getrecords_xml(version: str, attrs: str = '', handler: str = '') -> bytes:
    csw = CSW_NS[version]
    result_type = ' resultType="results"' if version == '2.0.2' and 'resultType' not in attrs else ''
    extra = f'<csw:ResponseHandler>{handler}</csw:ResponseHandler>' if handler else ''
    return (f'<csw:GetRecords xmlns:csw="{csw}" service="CSW" version="{version}"{result_type} '
            f'{attrs}>{extra}<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief'
            f'</csw:ElementSetName></csw:Query></csw:GetRecords>').encode()


def _kvp(version: str, **params) -> dict:
    base = {'service': 'CSW', 'version': version, 'request': 'GetRecords',
            'typenames': 'csw:Record', 'elementsetname': 'brief'}
    if version == '2.0.2':
        base['resulttype'] = 'results'
    return {**base, **params}


@pytest.mark.parametrize('handler', ['ftp://127.0.0.1/x', 'mailto:someone@127.0.0.1'])
@pytest.mark.parametrize('version', VERSIONS)
def test_responsehandler_is_refused_unless_configured(served, listener, handler, version):
    """pycsw would send the answer to the handler (FTP or SMTP) from a thread; HubCat refuses
    the request first, so pycsw never sees it (with or without the token)."""
    before = served.count()
    for headers in ({}, AUTH):
        kvp = requests.get(served.csw, params=_kvp(version, responsehandler=handler),
                           headers=headers, timeout=60)
        xml = _post(served.csw, _getrecords_xml(version, handler=handler), headers)
        for resp in (kvp, xml):
            assert resp.status_code == 400
            assert exception(resp.content)[:2] == ('InvalidParameterValue', 'ResponseHandler')
    xml = _post(served.csw, harvest(version, listener.url(), handler=handler).encode(), AUTH)
    assert xml.status_code == 400
    assert served.count() == before and listener.connections == []


def test_responsehandler_when_configured_needs_the_token(served, live_app):
    config = served.config.copy({'hubcat': {'allow_responsehandler': 'true'}})
    from hubcat.app import create_app
    server = live_app(create_app(config, init_database=False))
    resp = requests.get(server.url + '/csw', params=_kvp('2.0.2', responsehandler='ftp://h/x'),
                        timeout=60)
    assert resp.status_code == 401 and exception(resp.content)[1] == 'ResponseHandler'


# ---- 8.6 request size limit ---------------------------------------------------------------
def _raw_post(port: int, path: str, headers: str, body_chunks=()) -> str:
    """Send a POST by hand (headers first, then chunks until the server stops reading);
    the status line of the answer."""
    import socket
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        sock.sendall(f'POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     f'Authorization: Bearer {ADMIN_TOKEN}\r\n{headers}\r\n'.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:   # the server answered and closed: it stopped reading
            pass
        answer = b''
        while b'\r\n' not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    return answer.split(b'\r\n', 1)[0].decode()


@pytest.mark.parametrize('path', ['/csw', '/federated/csw', '/api/sources'])
def test_declared_oversized_body_is_refused_before_it_is_sent(served, path):
    status = _raw_post(served.server.effective_port, path,
                       'Content-Type: application/xml\r\nContent-Length: 300000000\r\n')
    assert ' 413 ' in status


@pytest.mark.parametrize('path', ['/csw', '/federated/csw', '/api/sources'])
def test_streamed_oversized_body_is_refused(served, path):
    chunk = b'%x\r\n%s\r\n' % (4096, b' ' * 4096)
    status = _raw_post(served.server.effective_port, path,
                       'Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n',
                       [chunk] * (4 * LIMIT // 4096))
    assert ' 413 ' in status


@pytest.mark.parametrize('path,kind', [('/csw', 'xml'), ('/federated/csw', 'xml'),
                                       ('/api/sources', 'json')])
@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_the_app_refuses_oversized_bodies_under_any_wsgi_server(served, live_app, path, kind,
                                                                 chunked):
    """Under a WSGI server without HubCat's limit, the app answers 413 itself, as an
    ExceptionReport (CSW) or a JSON error (API), and reads nothing."""
    from hubcat.app import create_app
    server = live_app(create_app(served.config, init_database=False))
    body = b'<x>' + b' ' * LIMIT + b'</x>'
    data = iter([body[i:i + 8192] for i in range(0, len(body), 8192)]) if chunked else body
    before = served.count()
    resp = requests.post(server.url + path, data=data, timeout=60,
                         headers={**AUTH, 'Content-Type': 'application/xml'})
    assert resp.status_code == 413
    if kind == 'xml':
        assert 'max_request_bytes' in exception(resp.content)[2]
    else:
        assert 'max_request_bytes' in resp.json()['error']
    assert served.count() == before


def test_a_body_within_the_limit_is_answered(served):
    body = _getrecords_xml('2.0.2')
    padded = body.replace(b'<csw:Query', b' ' * (LIMIT - len(body)) + b'<csw:Query', 1)
    assert len(padded) == LIMIT
    assert _post(served.csw, padded).status_code == 200


# ---- 8.7 / 9.1 / 9.2 paging ---------------------------------------------------------------
def _results(resp) -> tuple[int, int, int, int]:
    """(matched, returned, nextRecord, records in the answer) of a GetRecordsResponse."""
    assert resp.status_code == 200, resp.content[:500]
    doc = etree.fromstring(resp.content)
    results = [el for el in doc.iter() if isinstance(el.tag, str)
               and etree.QName(el).localname == 'SearchResults'][0]
    return (int(results.get('numberOfRecordsMatched')), int(results.get('numberOfRecordsReturned')),
            int(results.get('nextRecord')), len([el for el in results if isinstance(el.tag, str)]))


@pytest.mark.parametrize('name,value', [('maxRecords', '-1'), ('maxRecords', 'abc'),
                                        ('maxRecords', '1.5'), ('maxRecords', '1e3'),
                                        ('startPosition', '0'), ('startPosition', '-3'),
                                        ('startPosition', 'x')])
@pytest.mark.parametrize('version', VERSIONS)
def test_bad_paging_is_an_invalid_parameter_value(served, version, name, value):
    kvp = requests.get(served.csw, params=_kvp(version, **{name.lower(): value}), timeout=60)
    xml = _post(served.csw, _getrecords_xml(version, f'{name}="{value}"'))
    for resp in (kvp, xml):
        assert resp.status_code == 400
        assert exception(resp.content)[:2] == ('InvalidParameterValue', name)


@pytest.mark.parametrize('version', VERSIONS)
def test_default_max_records_is_10_and_the_server_setting_only_caps(served, version):
    kvp = requests.get(served.csw, params=_kvp(version), timeout=60)
    xml = _post(served.csw, _getrecords_xml(version))
    for resp in (kvp, xml):
        assert _results(resp) == (SEARCHABLE, 10, 11, 10)
    capped = requests.get(served.csw, params=_kvp(version, maxrecords='1000'), timeout=60)
    assert _results(capped) == (SEARCHABLE, CAP, CAP + 1, CAP)
    xml_capped = _post(served.csw, _getrecords_xml(version, 'maxRecords="1000"'))
    assert _results(xml_capped) == (SEARCHABLE, CAP, CAP + 1, CAP)


@pytest.mark.parametrize('version', VERSIONS)
def test_capabilities_advertise_the_default_not_the_cap(served, version):
    resp = requests.get(served.csw, params={'service': 'CSW', 'version': version,
                                            'request': 'GetCapabilities'}, timeout=60)
    doc = etree.fromstring(resp.content)
    values = doc.xpath('//*[local-name()="Constraint"][@name="MaxRecordDefault"]'
                       '//*[local-name()="Value"]/text()')
    assert values and set(values) == {'10'}


@pytest.mark.parametrize('start,next_record', [('1', 1), ('5', 5), ('100', 0)])
def test_hits_report_no_record_returned(served, start, next_record):
    kvp = requests.get(served.csw, params=_kvp('2.0.2', resulttype='hits', startposition=start),
                       timeout=60)
    xml = _post(served.csw, _getrecords_xml('2.0.2', f'resultType="hits" startPosition="{start}"'))
    zero = requests.get(served.csw, params=_kvp('3.0.0', maxrecords='0', startposition=start),
                        timeout=60)
    for resp in (kvp, xml, zero):
        assert _results(resp) == (SEARCHABLE, 0, next_record, 0)


@pytest.mark.parametrize('params', [{'maxrecords': '-1'}, {'maxrecords': 'abc'},
                                    {'startposition': '0'}])
def test_federated_paging_is_validated(served, params):
    resp = requests.get(served.url + '/federated/csw', params=_kvp('2.0.2', **params), timeout=60)
    assert resp.status_code == 400
    assert exception(resp.content)[0] == 'InvalidParameterValue'


def test_federated_max_records_is_capped(served):
    resp = requests.get(served.url + '/federated/csw', params=_kvp('2.0.2', maxrecords='1000'),
                        timeout=60)
    matched, returned, _, records = _results(resp)
    assert matched == SEARCHABLE and returned == records == CAP


# ---- 8.8 malformed requests: 4xx, never 500 -----------------------------------------------
@pytest.mark.parametrize('params', [
    {'elementsetname': '\x01'}, {'maxrecords': 'abc'}, {'typenames': 'csw:Record\x1f'},
    {'constraint': "dc:title like '\x00'", 'constraintlanguage': 'CQL_TEXT'},
], ids=['elementsetname-ctrl', 'maxrecords-abc', 'typenames-ctrl', 'constraint-nul'])
def test_malformed_kvp_is_a_400_exception_report(served, params):
    resp = requests.get(served.csw, params=_kvp('2.0.2', **params), timeout=60)
    assert resp.status_code == 400
    assert exception(resp.content)[0] == 'InvalidParameterValue'


def test_opensearch_bbox_out_of_range_is_a_4xx_exception(served):
    resp = requests.get(served.csw, params={
        'mode': 'opensearch', 'service': 'CSW', 'version': '3.0.0', 'request': 'GetRecords',
        'bbox': '999,999,1000,1000'}, timeout=60)
    assert 400 <= resp.status_code < 500
    exception(resp.content)


def test_api_search_control_character_is_a_json_400(served):
    resp = requests.get(served.url + '/api/search', params={'q': '\x01'}, timeout=60)
    assert resp.status_code == 400 and 'control character' in resp.json()['error']


# ---- the attacks of the report, against a harvested STA source ----------------------------
@pytest.fixture(scope='module', params=_BACKENDS)
def harvested(request, tmp_path_factory, sta_server):
    """HubCat over HTTP on a catalogue that harvested the real STA server."""
    from hubcat.harvest import run_harvest
    from hubcat.sources import SourceRegistry
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('harvested'))
    config = make_config(url)
    init_db(config.database_url, config.table)
    source = SourceRegistry(config.database_url).add(sta_server, 'sta', name='sta')
    assert run_harvest(config, source.id).outcome != 'failed'
    server = ServedHubCat(config)
    yield server
    server.close()
    cleanup()


@pytest.mark.parametrize('version', VERSIONS)
def test_harvested_catalogue_survives_the_reported_attacks(harvested, listener, version):
    before = harvested.count()
    assert before > 200
    for namespace in (SOAP12, SOAP11):
        assert _post(harvested.csw, soap(delete_all(version), namespace)).status_code == 401
    source = requests.utils.quote(listener.url(), safe='')
    resource = requests.utils.quote(CSW_NS[version], safe='')
    resp = requests.get(f'{harvested.csw}?service=CSW&version={version}&REQUEST=x'
                        f'&request=Harvest&REQUEST=GetCapabilities&resourcetype={resource}'
                        f'&source={source}', timeout=60)
    assert resp.status_code == 400
    resp = requests.get(harvested.csw, params=_kvp(version, maxrecords='-1'), timeout=60)
    assert resp.status_code == 400
    assert harvested.count() == before and listener.connections == []


@pytest.mark.parametrize('params,locator', [
    ({'mode': 'sru', 'operation': 'searchRetrieve', 'query': 'x', 'maximumRecords': '-1'},
     'maximumRecords'),
    ({'mode': 'sru', 'operation': 'searchRetrieve', 'query': 'x', 'startRecord': 'abc'},
     'startRecord'),
    ({'mode': 'oaipmh', 'verb': 'ListRecords', 'metadataPrefix': 'oai_dc',
      'resumptionToken': '-5'}, 'resumptionToken'),
])
def test_sru_and_oaipmh_paging_is_validated_too(served, params, locator):
    resp = requests.get(served.csw, params=params, timeout=60)
    assert resp.status_code == 400
    assert exception(resp.content)[:2] == ('InvalidParameterValue', locator)


def test_sru_maximum_records_is_capped(served):
    resp = requests.get(served.csw, params={'mode': 'sru', 'operation': 'searchRetrieve',
                                            'query': 'Station', 'maximumRecords': '1000'},
                        timeout=60)
    assert resp.status_code == 200
    records = etree.fromstring(resp.content).xpath('//*[local-name()="record"]')
    assert 0 < len(records) <= CAP
