"""What a CSW client sees: OWSLib's CatalogueServiceWeb against the live app over HTTP."""
from __future__ import annotations

import pytest
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import _BACKENDS, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from records_factory import iso_ago, station
from schemas import assert_valid, csw202, iso19139

RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
GMD = 'http://www.isotc211.org/2005/gmd'


@pytest.fixture(scope='module', params=_BACKENDS)
def csw_url(request, tmp_path_factory):
    """A live HubCat holding one STA service, 6 Things, 18 Datastreams (some offline)."""
    from conftest import LiveServer
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('csw'))
    config = make_config(url)
    app = create_app(config)
    records = station(n_things=6, per_thing=3)
    for i, rec in enumerate(r for r in records if r.kind == 'datastream'):
        rec.observed_properties = [['Air temperature', 'Relative humidity', 'Water level'][i % 3]]
        if i % 3 == 2:
            rec.time_end = iso_ago(days=5)  # water level streams went quiet: stale
    Catalogue(config.database_url).sync(1, records)
    server = LiveServer(app)
    yield server.url + '/csw'
    server.close()
    cleanup()


def test_getcapabilities_lists_sensor_queryables(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    assert csw.identification.title == 'HubCat sensor catalogue'
    ops = {op.name: op for op in csw.operations}
    assert {'GetCapabilities', 'GetRecords', 'GetRecordById', 'DescribeRecord', 'GetDomain'} <= set(ops)
    queryables = {c.name: c.values for c in ops['GetRecords'].constraints}
    assert {'hubcat:Status', 'hubcat:ObservedProperty', 'hubcat:Unit', 'hubcat:ServiceType',
            'hubcat:ServiceURL', 'hubcat:ParentIdentifier', 'hubcat:LastSeen',
            'hubcat:PhenomenonTimeBegin', 'hubcat:PhenomenonTimeEnd'} <= set(
        queryables['SupportedHubCatQueryables'])
    assert RIM in ops['GetRecords'].parameters['outputSchema']['values']


def test_title_like(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(constraints=[fes.PropertyIsLike('dc:title', 'Station 2%')], maxrecords=50)
    assert csw.results['matches'] == 4  # the Thing and its 3 Datastreams
    assert all(r.title.startswith('Station 2') for r in csw.records.values())


def test_bbox(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    # Things sit at lon 7..12, lat 46: a box around lon 8.5..10.5 holds Things 2 and 3
    # (OWSLib's BBox without crs is west,south,east,north: longitude first, README "Axis order")
    csw.getrecords2(constraints=[fes.BBox([8.5, 45.5, 10.5, 46.5])], maxrecords=50)
    titles = {r.title for r in csw.records.values()}
    assert 'Station 2' in titles and 'Station 3' in titles
    assert not any(t.startswith(('Station 0', 'Station 1', 'Station 4')) for t in titles)


def test_status_constraint(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:Status', 'offline')], maxrecords=50)
    assert csw.results['matches'] == 6
    assert all('stream 2' in r.title for r in csw.records.values())


def test_observed_property_and_status_together(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    both = fes.And([fes.PropertyIsEqualTo('hubcat:ObservedProperty', 'Air temperature'),
                    fes.PropertyIsEqualTo('hubcat:Status', 'online')])
    csw.getrecords2(constraints=[both], maxrecords=50)
    assert csw.results['matches'] == 6
    assert all(r.type == 'Dataset' for r in csw.records.values())


def test_cql_constraint_on_queryables(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(cql="hubcat:StatusReason = 'stale' AND hubcat:Unit = 'degC'", maxrecords=50)
    assert csw.results['matches'] == 6


def test_sorting(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:EntityType', 'thing')],
                    sortby=fes.SortBy([fes.SortProperty('dc:title', 'DESC')]), maxrecords=10)
    titles = [r.title for r in csw.records.values()]
    assert titles == sorted(titles, reverse=True) and len(titles) == 6


def test_paging(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    seen, start = [], 1
    while start:
        csw.getrecords2(startposition=start, maxrecords=5,
                        sortby=fes.SortBy([fes.SortProperty('dc:identifier', 'ASC')]))
        assert csw.results['matches'] == 25
        seen += list(csw.records)
        start = csw.results['nextrecord'] or 0
    assert len(seen) == len(set(seen)) == 25


@pytest.mark.parametrize('schema', ['http://www.opengis.net/cat/csw/2.0.2', GMD, RIM])
def test_getrecordbyid_in_three_schemas(csw_url, schema):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecordbyid(['urn:test:ds:1:0', 'urn:test:service'], outputschema=schema)
    doc = etree.fromstring(csw.response)
    if schema == GMD:
        mds = doc.findall(f'{{{GMD}}}MD_Metadata')
        assert len(mds) == 2
        for md in mds:
            assert_valid(iso19139(), md)
        assert doc.find('.//{http://www.isotc211.org/2005/srv}SV_ServiceIdentification') is not None
        assert doc.find('.//{http://www.isotc211.org/2005/srv}operatesOn') is not None
    elif schema == RIM:
        assert doc.find(f'{{{RIM}}}Service').get('objectType') == 'urn:ogc:serviceType:SensorThings'
        eo = doc.find(f'{{{RIM}}}ExtrinsicObject')
        assert eo.get('id') == 'urn:test:ds:1:0'
        slots = {s.get('name'): [v.text for v in s.iter(f'{{{RIM}}}Value')]
                 for s in eo.findall(f'{{{RIM}}}Slot')}
        assert slots['urn:hubcat:slot:status'] == ['online']
        assert slots['urn:hubcat:slot:thingIdentifier'] == ['urn:test:thing:1']
        assert eo.find(f'{{{RIM}}}Classification').get('nodeRepresentation').endswith('OM_Measurement')
    else:
        assert_valid(csw202(), doc)
        rec = csw.records['urn:test:ds:1:0']
        assert rec.title == 'Station 1 stream 0'
        assert 'online' in rec.subjects


def test_getrecords_responses_validate(csw_url):
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    for esn in ('brief', 'summary', 'full'):
        csw.getrecords2(esn=esn, maxrecords=30)
        assert_valid(csw202(), csw.response)
        csw.getrecords2(esn=esn, maxrecords=30, outputschema=GMD)
        for md in etree.fromstring(csw.response).iter(f'{{{GMD}}}MD_Metadata'):
            assert_valid(iso19139(), md)


def test_walk_service_thing_datastream_through_associations(csw_url):
    """An ebRIM client walks Service -> Thing -> Datastream with typeNames=rim:Association."""
    csw = CatalogueServiceWeb(csw_url, version='2.0.2')
    csw.getrecords2(typenames='rim:Association', outputschema=RIM, maxrecords=100,
                    constraints=[fes.PropertyIsEqualTo('rim:sourceObject', 'urn:test:service')])
    doc = etree.fromstring(csw.response)
    things = [a.get('targetObject') for a in doc.iter(f'{{{RIM}}}Association')]
    assert len(things) == 6
    csw.getrecords2(typenames='rim:Association', outputschema=RIM, maxrecords=100,
                    constraints=[fes.PropertyIsEqualTo('rim:sourceObject', things[0])])
    doc = etree.fromstring(csw.response)
    streams = [a.get('targetObject') for a in doc.iter(f'{{{RIM}}}Association')]
    assert {a.get('associationType') for a in doc.iter(f'{{{RIM}}}Association')} == {
        'urn:ogc:def:ST-AssociationType:OGC:HasDataStream'}
    assert len(streams) == 3
    # associations never show up in ordinary searches
    csw.getrecords2(maxrecords=100)
    assert csw.results['matches'] == 25


def test_csw3_and_opensearch(csw_url):
    import requests
    resp = requests.get(csw_url, params={'service': 'CSW', 'version': '3.0.0', 'request': 'GetRecords',
                                         'typenames': 'csw:Record', 'elementsetname': 'brief',
                                         'q': 'Station'}, timeout=10)
    assert b'csw30:GetRecordsResponse' in resp.content or b'GetRecordsResponse' in resp.content
    resp = requests.get(csw_url, params={'mode': 'opensearch', 'service': 'CSW', 'version': '2.0.2',
                                         'request': 'GetRecords', 'elementsetname': 'brief',
                                         'typenames': 'csw:Record', 'resulttype': 'results'},
                        timeout=10)
    assert resp.status_code == 200 and b'http://www.w3.org/2005/Atom' in resp.content


def test_getdomain_and_describerecord(csw_url):
    import requests
    resp = requests.get(csw_url, params={'service': 'CSW', 'version': '2.0.2', 'request': 'GetDomain',
                                         'propertyname': 'hubcat:Status'}, timeout=10)
    values = etree.fromstring(resp.content).xpath('//*[local-name()="Value"]/text()')
    assert sorted(v.split(' ')[0] for v in values) == ['offline', 'online']
    resp = requests.get(csw_url, params={'service': 'CSW', 'version': '2.0.2',
                                         'request': 'DescribeRecord',
                                         'typename': 'rim:RegistryObject'}, timeout=10)
    assert b'SchemaComponent' in resp.content and RIM.encode() in resp.content
