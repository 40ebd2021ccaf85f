"""From a record straight to data, and service titles that name the source (issue 10 point 13).

Two registered sources harvested through hubcat.harvest.run_harvest: the real 52°North
example capabilities (fixtures/sos) on a small SOS over real HTTP that also answers
GetObservation, and the real STA test server. Their records are read back through the
CSW (Dublin Core, ISO 19139, ebRIM) and the data links are followed.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from lxml import etree

from conftest import _BACKENDS, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.harvest import run_harvest
from hubcat.records import DATASTREAM, OFFERING, SERVICE
from hubcat.sources import SourceRegistry
from sos_support import Route, SosFixtureServer, fixture

NS = {'csw': 'http://www.opengis.net/cat/csw/2.0.2', 'dct': 'http://purl.org/dc/terms/',
      'gmd': 'http://www.isotc211.org/2005/gmd', 'gco': 'http://www.isotc211.org/2005/gco',
      'rim': 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'}
OBSERVATIONS = b'<om:ObservationCollection xmlns:om="http://www.opengis.net/om/2.0"/>'


@pytest.fixture(scope='module', params=_BACKENDS)
def harvested(request, tmp_path_factory, sta_server):
    """(config, SOS server) after one harvest of each source (once per backend)."""
    from hubcat.db import init_db
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('links'))
    config = make_config(url)
    init_db(config.database_url, config.table)
    sos = SosFixtureServer().start()
    try:
        url = sos.add('/52n', Route(capabilities={'2.0.0': fixture('52n_example_2.0.0.xml')},
                                    observations=OBSERVATIONS))
        registry = SourceRegistry(config.database_url)
        registry.add(url, 'sos', name='wupper-demo', options={'describe_sensor': False})
        registry.add(sta_server, 'sta', name='alps', stale_after='36500d')
        for name in ('wupper-demo', 'alps'):
            assert run_harvest(config, name).outcome == 'success'
        yield config, sos
    finally:
        sos.stop()
        cleanup()


def rows(config, kind):
    catalogue = Catalogue(config.database_url)
    return [catalogue.get(r['identifier']) for r in catalogue.rows(kind=kind)]


def get_record(client, identifier: str, schema: str = ''):
    params = {'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById',
              'id': identifier, 'elementSetName': 'full'}
    if schema:
        params['outputSchema'] = schema
    resp = client.get('/csw', query_string=params)
    assert resp.status_code == 200
    return etree.fromstring(resp.data)


def test_service_titles_name_the_source(harvested):
    config, _sos = harvested
    titles = {r['hc_service_type']: r['title'] for r in rows(config, SERVICE)}
    assert titles['STA'] == 'alps (SensorThings API 1.1)'
    assert titles['SOS'] == '52N SOS'           # the capabilities' own title wins


def test_offering_links_a_ready_getobservation(harvested):
    config, sos = harvested
    client = create_app(config).test_client()
    offering = next(r for r in rows(config, OFFERING) if r['title'] == 'ws2500')
    refs = get_record(client, offering['identifier']).findall('.//dct:references', NS)
    url = refs[0].text                                  # the data link comes first
    assert refs[0].get('scheme') == 'OGC:SOS'
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.content == OBSERVATIONS
    asked = dict(parse_qsl(urlsplit(url).query))
    assert asked == {'service': 'SOS', 'version': '2.0.0', 'request': 'GetObservation',
                     'offering': 'ws2500', 'responseFormat': 'http://www.opengis.net/om/2.0',
                     'temporalFilter': 'om:phenomenonTime,2019-03-27T23:45:00Z/2019-03-28T23:45:00Z'}
    assert sos.requests_to('/52n')[-1] == asked
    iso = get_record(client, offering['identifier'], NS['gmd'])
    online = iso.find('.//gmd:CI_OnlineResource', NS)
    assert online.findtext('gmd:linkage/gmd:URL', namespaces=NS) == url
    assert online.find('gmd:function/gmd:CI_OnLineFunctionCode', NS).get('codeListValue') \
        == 'download'
    rim = get_record(client, offering['identifier'], NS['rim'])
    assert rim.findtext(".//rim:Slot[@name='urn:hubcat:slot:dataLink']//rim:Value",
                        namespaces=NS) == url


def test_datastream_links_its_observations(harvested):
    config, _sos = harvested
    client = create_app(config).test_client()
    stream = next(r for r in rows(config, DATASTREAM) if r['hc_service_type'] == 'STA')
    refs = [r.text for r in get_record(client, stream['identifier']).findall(
        './/dct:references', NS)]
    assert refs[0].endswith('/Observations')
    observations = requests.get(refs[0], timeout=30).json()['value']
    assert observations and 'result' in observations[0]
    rim = get_record(client, stream['identifier'], NS['rim'])
    assert rim.findtext(".//rim:Slot[@name='urn:hubcat:slot:dataLink']//rim:Value",
                        namespaces=NS) == refs[0]
