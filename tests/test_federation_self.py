"""A HubCat whose own /csw is one of its federation peers (issue 13 point 6): the federated
endpoint asks it in-process, so 16 concurrent federated clients on a server with 8 worker
threads are all answered, with that peer's records, and /healthz answers meanwhile.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import etree
from records_factory import station

from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.federation.peers import add_peer
from hubcat.federation.self_peer import own_url_matcher

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
CLIENTS = 16
GETRECORDS = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords',
              'typeNames': 'csw:Record', 'resultType': 'results', 'elementSetName': 'brief',
              'maxRecords': '50'}


@pytest.fixture
def self_peered(config, live_app):
    """A live HubCat (waitress, 8 threads) holding one station, its own /csw a peer."""
    records = station()
    Catalogue(config.database_url).sync(1, records)
    server = live_app(create_app(config))
    for host in ('127.0.0.1', 'localhost'):   # as typed by hand, either way
        add_peer(config, f'http://{host}:{server.port}/csw', name=f'myself-{host}', timeout=5,
                 probe=False)
    return server, len(records)


def test_sixteen_federated_clients_are_all_answered_by_a_server_that_is_its_own_peer(
        self_peered):
    server, holdings = self_peered

    def federated(_):
        return requests.get(server.url + '/federated/csw', params=GETRECORDS, timeout=120)

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = pool.map(federated, range(CLIENTS))
        health = requests.get(server.url + '/healthz', timeout=60)
        answers = list(answers)

    assert health.status_code == 200 and health.json()['status'] == 'ok'
    for resp in answers:
        assert resp.status_code == 200
        assert resp.headers['X-HubCat-Peers'] == 'myself-127.0.0.1=ok;myself-localhost=ok'
        result = etree.fromstring(resp.content).find(f'{{{CSW}}}SearchResults')
        assert int(result.get('numberOfRecordsMatched')) == holdings


def test_only_this_servers_own_endpoints_are_asked_in_process():
    own = own_url_matcher('http://catalogue.example.org:8000/', {'SERVER_PORT': '8000'},
                          'https://public.example.org/csw')
    assert own('http://catalogue.example.org:8000/csw') == '/csw'
    assert own('http://127.0.0.1:8000/csw/') == '/csw'
    assert own('https://public.example.org/csw') == '/csw'
    assert own('http://localhost:8000/federated/csw') == '/federated/csw'
    assert own('http://127.0.0.1:8001/csw') is None            # another server on this host
    assert own('http://catalogue.example.org:8000/other') is None
    assert own('http://elsewhere.example.org:8000/csw') is None
