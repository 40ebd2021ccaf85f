"""Loop protection: federators that name each other answer once, in bounded time."""
from __future__ import annotations

import requests
from federation_fixtures import make_app, make_config, pycsw_all, serve, timed  # noqa: F401
from lxml import etree
from owslib.csw import CatalogueServiceWeb

CSW = 'http://www.opengis.net/cat/csw/2.0.2'


class Counting:
    """WSGI middleware that counts the requests reaching an app."""

    def __init__(self, app):
        self.app, self.calls = app, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def two_federators(tmp_path, extra_a: dict, extra_b: dict):
    """Federators A and B served over HTTP, each naming the other as a peer."""
    app_a = make_app(make_config(tmp_path, {}, name='a'))
    app_b = make_app(make_config(tmp_path, {}, name='b'))
    count_a, count_b = Counting(app_a), Counting(app_b)
    server_a, server_b = serve(count_a), serve(count_b)
    app_a.config['HUBCAT'] = make_config(tmp_path, dict({'b': f'{server_b.url} 10'}, **extra_a),
                                         name='a')
    app_b.config['HUBCAT'] = make_config(tmp_path, dict({'a': f'{server_a.url} 10'}, **extra_b),
                                         name='b')
    return (server_a, count_a), (server_b, count_b)


def results(content: bytes) -> etree._Element:
    return etree.fromstring(content).find(f'{{{CSW}}}SearchResults')


def distributed_getrecords(hop_count: int) -> bytes:
    return (f'<csw:GetRecords xmlns:csw="{CSW}" service="CSW" version="2.0.2" '
            f'resultType="results" maxRecords="50"><csw:DistributedSearch hopCount="{hop_count}"/>'
            f'<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
            f'</csw:Query></csw:GetRecords>').encode()


def test_two_federators_naming_each_other_do_not_loop(tmp_path, pycsw_all):
    (a, count_a), (b, count_b) = two_federators(tmp_path, {'stock': pycsw_all}, {})
    try:
        csw, seconds = timed(CatalogueServiceWeb, a.url, timeout=30)
        csw.getrecords2(esn='brief', maxrecords=10)
        assert csw.results['matches'] == 29
        resp, seconds = timed(requests.post, a.url, data=distributed_getrecords(20),
                              headers={'Content-Type': 'application/xml'}, timeout=60)
    finally:
        a.stop()
        b.stop()
    assert seconds < 20
    assert resp.headers['X-HubCat-Peers'] == 'b=ok;stock=ok'
    assert results(resp.content).get('numberOfRecordsMatched') == '29'
    # A was asked by the client 3 times (capabilities, two searches) and once by B, then
    # the request id it had seen stopped the loop; B was asked once per search
    assert count_a.calls == 4
    assert count_b.calls == 2


def test_hop_count_one_is_answered_without_asking_peers(tmp_path, pycsw_all):
    (a, count_a), (b, count_b) = two_federators(tmp_path, {'stock': pycsw_all}, {})
    try:
        resp = requests.post(a.url, data=distributed_getrecords(1),
                             headers={'Content-Type': 'application/xml'}, timeout=60)
    finally:
        a.stop()
        b.stop()
    assert resp.status_code == 200
    assert results(resp.content).get('numberOfRecordsMatched') == '0'
    assert count_b.calls == 0
    assert 'hopCount 1: not propagated' in etree.fromstring(resp.content)[0].text




def test_get_record_by_id_between_federators_naming_each_other(tmp_path, pycsw_all):
    (a, count_a), (b, count_b) = two_federators(tmp_path, {'stock': pycsw_all}, {})
    params = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById'}
    try:
        missing, seconds = timed(requests.get, a.url, params=dict(params, id='urn:none'),
                                 timeout=60)
        found = requests.get(a.url, timeout=60, params=dict(
            params, id='urn:uuid:19887a8a-f6b0-4a63-ae56-7fba0e17801f'))
    finally:
        a.stop()
        b.stop()
    assert seconds < 20
    assert missing.headers['X-HubCat-Peers'] == 'b=ok;stock=ok'
    assert [el for el in etree.fromstring(missing.content) if isinstance(el.tag, str)] == []
    assert count_b.calls <= 2 and count_a.calls <= 3
    record = [el for el in etree.fromstring(found.content) if isinstance(el.tag, str)]
    assert record[0].findtext('{http://purl.org/dc/elements/1.1/}title') == 'Lorem ipsum'
