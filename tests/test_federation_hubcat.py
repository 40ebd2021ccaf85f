"""Two HubCat catalogues with different (overlapping) holdings as peers of each other and of a
federator, over HTTP on 127.0.0.1."""
from __future__ import annotations

import pytest
import requests
from federation_fixtures import ServerThread, make_app, make_config, pycsw_all, timed  # noqa: F401
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from records_factory import station

from hubcat.catalogue import Catalogue
from hubcat.federation.provenance import PEER_SCHEME, peer_of

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
DC = 'http://purl.org/dc/elements/1.1/'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
# A: Stations 0-3 with 2 streams each (12 'Station' records); B: Stations 0-5 with 1 stream each
# (12); shared: Stations 0-3 and their first stream (8): 16 distinct records
A_COUNT, B_COUNT, UNION = 12, 12, 16
STATIONS = fes.PropertyIsLike('dc:title', 'Station%')


class HubCat:
    """A HubCat app with its own database and holdings, served in a thread."""

    def __init__(self, tmp_path, name: str, records: list, peers: dict = None, **options):
        self.app = make_app(make_config(tmp_path, peers or {}, name=name, **options))
        Catalogue(self.app.config['HUBCAT'].database_url).sync(1, records)
        self.server = ServerThread(self.app, '')
        self.csw = self.server.url + '/csw'
        self.federated = self.server.url + '/federated/csw'
        self.name, self.tmp_path, self.options = name, tmp_path, options

    def set_peers(self, peers: dict, **options) -> None:
        """Replace the configuration with one naming ``peers`` (same database)."""
        self.app.config['HUBCAT'] = make_config(self.tmp_path, peers, name=self.name,
                                                **dict(self.options, **options))

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


@pytest.fixture
def hubcats(tmp_path):
    """HubCat A and B with different holdings."""
    a = HubCat(tmp_path, 'a', station(n_things=4, per_thing=2))
    b = HubCat(tmp_path, 'b', station(n_things=6, per_thing=1))
    yield a, b
    a.stop()
    b.stop()


def getrecords_xml(hop_count: int = 0, schema: str = CSW) -> bytes:
    dist = f'<csw:DistributedSearch hopCount="{hop_count}"/>' if hop_count else ''
    return (f'<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc" '
            f'service="CSW" version="2.0.2" resultType="results" maxRecords="50" '
            f'outputSchema="{schema}">{dist}'
            f'<csw:Query typeNames="csw:Record"><csw:ElementSetName>full</csw:ElementSetName>'
            f'<csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%" '
            f'singleChar="_" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName>'
            f'<ogc:Literal>Station%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>'
            f'</csw:Constraint></csw:Query></csw:GetRecords>').encode()


def search_results(resp) -> etree._Element:
    return etree.fromstring(resp.content).find(f'{{{CSW}}}SearchResults')


def test_a_federator_merges_two_hubcats(tmp_path, hubcats):
    a, b = hubcats
    hub = HubCat(tmp_path, 'hub', [], {'a': a.csw, 'b': b.csw})
    try:
        csw = CatalogueServiceWeb(hub.federated, timeout=30)
        csw.getrecords2(constraints=[STATIONS], esn='full', maxrecords=50,
                        sortby=fes.SortBy([fes.SortProperty('dc:title', 'ASC')]))
    finally:
        hub.stop()
    assert csw.results['matches'] == UNION
    titles = [r.title for r in csw.records.values()]
    assert len(titles) == UNION and titles == sorted(titles, key=lambda t: (t.casefold(), t))
    by_peer = {}  # HubCat's records have a dc:source of their own: read the peer's by scheme
    for rec in etree.fromstring(csw.response).find(f'{{{CSW}}}SearchResults'):
        peer = rec.find(f'{{{DC}}}source[@scheme="urn:hubcat:def:peer"]').text
        by_peer.setdefault(peer, set()).add(rec.findtext(f'{{{DC}}}identifier'))
    assert len(by_peer['a']) == A_COUNT and len(by_peer['b']) == UNION - A_COUNT
    assert 'urn:test:thing:5' in by_peer['b']


def test_include_local_searches_own_holdings_first(hubcats):
    a, b = hubcats
    a.set_peers({'b': b.csw}, include_local=True)
    resp = requests.post(a.federated, data=getrecords_xml(), timeout=30)
    assert resp.headers['X-HubCat-Peers'] == 'local=ok;b=ok'
    results = search_results(resp)
    assert results.get('numberOfRecordsMatched') == str(UNION)
    sources = [peer_of(r) for r in results]
    assert sources.count('local') == A_COUNT and sources.count('b') == UNION - A_COUNT


def test_distributed_search_at_csw_between_two_hubcats_that_name_each_other(hubcats):
    a, b = hubcats
    a.set_peers({'b': b.csw})
    b.set_peers({'a': a.csw})
    local_only = requests.post(a.csw, data=getrecords_xml(), timeout=30)
    assert 'X-HubCat-Peers' not in local_only.headers
    assert search_results(local_only).get('numberOfRecordsMatched') == str(A_COUNT)
    resp, seconds = timed(requests.post, a.csw, data=getrecords_xml(hop_count=10), timeout=60)
    assert seconds < 20
    assert resp.headers['X-HubCat-Peers'] == 'local=ok;b=ok'
    results = search_results(resp)
    assert results.get('numberOfRecordsMatched') == str(UNION)
    assert len({r.findtext(f'{{{DC}}}identifier') for r in results}) == UNION
    b_only = [r for r in results if r.findtext(f'{{{DC}}}identifier') == 'urn:test:thing:5']
    assert [s.text for s in b_only[0].findall(f'{{{DC}}}source[@scheme="{PEER_SCHEME}"]')] == \
        ['b', 'local']


def test_ebrim_from_hubcat_peers_carries_the_peer_slot(tmp_path, hubcats):
    a, b = hubcats
    hub = HubCat(tmp_path, 'hub', [], {'a': a.csw, 'b': b.csw})
    try:
        resp = requests.post(hub.federated, data=getrecords_xml(schema=RIM), timeout=30)
    finally:
        hub.stop()
    records = list(search_results(resp))
    assert len(records) == UNION
    for record in records:
        assert etree.QName(record).namespace == RIM
        slot = record.find(f'{{{RIM}}}Slot[@name="urn:hubcat:slot:peer"]')
        assert slot.findtext(f'{{{RIM}}}ValueList/{{{RIM}}}Value') in ('a', 'b')


def test_json_search_by_status_over_hubcat_and_stock_peers(tmp_path, hubcats, pycsw_all):
    a, b = hubcats
    hub = HubCat(tmp_path, 'hub', [], {'a': a.csw, 'stock': pycsw_all})
    try:
        body = hub.app.test_client().get('/api/search?status=online&limit=50').get_json()
    finally:
        hub.stop()
    peers = {p['name']: p for p in body['peers']}
    assert peers['a']['status'] == 'ok' and peers['a']['matched'] > 0
    assert peers['stock']['status'] == 'failed'  # a stock CSW has no hubcat:Status
    assert 'ExceptionReport' in peers['stock']['reason']
    assert {r['peer'] for r in body['records']} == {'a'}
