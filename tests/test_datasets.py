"""One dataset, several services (issue 12, point 4; docs/datasets.md).

The demo's gauges are published through the project's demo STA server (the
``incident`` service) and the demo's own SOS (:mod:`hubcat.demo.sos`, capabilities
it generates): after harvesting both, HubCat holds one dataset record per gauge and
property, linked from both services, in CSW (Dublin Core, ISO, ebRIM) and in
OGC API - Records.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from lxml import etree

from conftest import _BACKENDS, make_database
from harvesters.http import HttpClient
from harvesters.sos import SensorObservationServiceHarvester
from harvesters.sta import SensorThingsHarvester
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.config import Config
from hubcat.db import init_db
from hubcat.demo.data import generate
from hubcat.demo.sos import capabilities, create_sos_app, gauge_offerings
from hubcat.demo.sta import create_sta_app, serve_in_thread
from hubcat.records import HAS_MEMBER, OPERATES_ON, CatalogRecord
from schemas import assert_valid, iso19139
from sos_support import Route, SosFixtureServer

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
GMD = 'http://www.isotc211.org/2005/gmd'
SRV = 'http://www.isotc211.org/2005/srv'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
NS = {'gmd': GMD, 'srv': SRV, 'gco': 'http://www.isotc211.org/2005/gco', 'rim': RIM}
CSW = {'service': 'CSW', 'version': '2.0.2'}


@pytest.fixture(scope='module')
def demo():
    """The demo's incident STA server and demo SOS, and the records harvested from each."""
    data = generate(now=NOW)
    incident = data.service('incident')
    sta_handle, sta_url = serve_in_thread(create_sta_app(incident))
    sos_handle, sos_url = serve_in_thread(create_sos_app(incident))
    client = HttpClient(timeout=30, retries=0)
    try:
        sta = SensorThingsHarvester(sta_url, {}, client=client).harvest().records
        sos = SensorObservationServiceHarvester(sos_url, {'describe_sensor': 'false'},
                                                client=client).harvest().records
        yield {'incident': incident, 'sta': sta, 'sos': sos, 'sos_url': sos_url}
    finally:
        client.close()
        sta_handle.shutdown()
        sos_handle.shutdown()


@pytest.fixture(scope='module', params=_BACKENDS)
def catalogue(request, demo, tmp_path_factory):
    """A catalogue (each backend) holding the STA source (1) and the SOS source (2)."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('datasets'))
    init_db(url)
    cat = Catalogue(url)
    cat.sync(1, demo['sta'], stale_after=86400, now=NOW)
    cat.sync(2, demo['sos'], stale_after=86400, now=NOW)
    app = create_app(Config(overrides={'repository': {'database': url}}))
    yield cat, app.test_client()
    cleanup()


def csw_get(client, **params) -> etree._Element:
    resp = client.get('/csw', query_string={**CSW, **params})
    assert resp.status_code == 200, resp.data[:300]
    return etree.fromstring(resp.data)


def dataset_rows(cat) -> dict[str, dict]:
    return {r['title']: r for r in cat.rows(kind='dataset')}


def service_id(records, service_type) -> str:
    return next(r.identifier for r in records if r.kind == 'service' and r.service_type == service_type)


def test_one_dataset_per_station_in_both_services(catalogue, demo):
    cat, client = catalogue
    doc = csw_get(client, request='GetRecords', typenames='csw:Record', resulttype='results',
                  elementsetname='brief', maxrecords='100', constraintlanguage='CQL_TEXT',
                  constraint="hubcat:EntityType = 'dataset'")
    titles = sorted(t.text for t in doc.iter('{http://purl.org/dc/elements/1.1/}title'))
    expected = sorted(f"{o['name']}: Water level" for o in gauge_offerings(demo['incident']))
    assert titles == expected
    assert 'Dernau river gauge: Water level' in titles
    # stations only in STA (weather stations, the older gauges' channels) get no dataset
    assert not [t for t in titles if 'weather station' in t or t.startswith('Müsch')]


def test_dataset_iso_is_a_valid_dataset_record(catalogue):
    cat, client = catalogue
    dataset = dataset_rows(cat)['Dernau river gauge: Water level']
    doc = csw_get(client, request='GetRecordById', id=dataset['identifier'],
                  outputschema=GMD, elementsetname='full')
    md = doc.find(f'{{{GMD}}}MD_Metadata')
    assert_valid(iso19139(), md)
    assert md.find('gmd:hierarchyLevel/gmd:MD_ScopeCode', NS).get('codeListValue') == 'dataset'


def test_each_service_iso_operates_on_the_dataset(catalogue, demo):
    cat, client = catalogue
    dataset = dataset_rows(cat)['Dernau river gauge: Water level']['identifier']
    for service_type in ('STA', 'SOS'):
        doc = csw_get(client, request='GetRecordById', outputschema=GMD, elementsetname='full',
                      id=service_id(demo['sta'] + demo['sos'], service_type))
        md = doc.find(f'{{{GMD}}}MD_Metadata')
        assert_valid(iso19139(), md)
        targets = [e.get('uuidref') for e in md.iter(f'{{{SRV}}}operatesOn')]
        assert dataset in targets, service_type


def test_ebrim_has_operates_on_from_both_services(catalogue, demo):
    cat, client = catalogue
    dataset = dataset_rows(cat)['Dernau river gauge: Water level']['identifier']
    doc = csw_get(client, request='GetRecords', typenames='rim:Association', resulttype='results',
                  outputschema=RIM, elementsetname='full', maxrecords='100',
                  constraintlanguage='CQL_TEXT', constraint=f"rim:targetObject = '{dataset}'")
    found = {(a.get('associationType'), a.get('sourceObject'))
             for a in doc.iter(f'{{{RIM}}}Association')}
    assert found == {(OPERATES_ON, service_id(demo['sta'], 'STA')),
                     (OPERATES_ON, service_id(demo['sos'], 'SOS'))}
    doc = csw_get(client, request='GetRecordById', id=dataset, outputschema=RIM,
                  elementsetname='full')
    node = doc.find('rim:ExtrinsicObject', NS)
    assert node.get('objectType') == 'urn:ogc:def:ebRIM-ObjectType:OGC:Dataset'
    doc = csw_get(client, request='GetRecords', typenames='rim:Association', resulttype='results',
                  outputschema=RIM, elementsetname='full', maxrecords='100',
                  constraintlanguage='CQL_TEXT', constraint=f"rim:sourceObject = '{dataset}'")
    members = [a.get('targetObject') for a in doc.iter(f'{{{RIM}}}Association')
               if a.get('associationType') == HAS_MEMBER]
    kinds = sorted(cat.get(m)['hc_kind'] for m in members)
    assert kinds == ['datastream', 'offering']


def test_records_api_item_links_both_services(catalogue, demo):
    cat, client = catalogue
    dataset = dataset_rows(cat)['Dernau river gauge: Water level']['identifier']
    resp = client.get(f'/records/collections/sensors/items/{dataset}')
    assert resp.status_code == 200
    item = resp.get_json()
    services = {unquote(link['href'].rsplit('/', 1)[-1]) for link in item['links']
                if link['rel'] == 'service'}
    assert services == {service_id(demo['sta'], 'STA'), service_id(demo['sos'], 'SOS')}


def renamed_sos(demo, old: str, new: str) -> bytes:
    """The demo SOS capabilities with one text (a station name, a property) changed."""
    doc = capabilities(demo['incident'], 'http://example.invalid/sos')
    return doc.replace(f'>{old}<'.encode(), f'>{new}<'.encode())


def harvest_document(document: bytes) -> list:
    """The records of an SOS serving ``document`` (tests/sos_support.py's server)."""
    sos = SosFixtureServer().start()
    try:
        url = sos.add('/sos', Route(capabilities={'2.0.0': document}))
        return SensorObservationServiceHarvester(
            url, {'describe_sensor': 'false'},
            client=HttpClient(timeout=30, retries=0)).harvest().records
    finally:
        sos.stop()


def test_mapping_file_pairs_differently_named_stations(demo, tmp_path):
    """'Pegel Dernau' (SOS) is 'Dernau river gauge' (STA) only through the mapping file;
    without the pair again, the dataset goes offline 'removed', never dropped."""
    records = harvest_document(renamed_sos(demo, 'Dernau river gauge', 'Pegel Dernau'))
    database = f'sqlite:///{tmp_path / "mapping.db"}'
    init_db(database)
    mapping = tmp_path / 'datasets.yaml'
    mapping.write_text('datasets:\n  - sta: Dernau river gauge\n    sos: pegel  DERNAU\n')
    plain = Catalogue(database)
    plain.sync(1, demo['sta'], stale_after=86400, now=NOW)
    plain.sync(2, records, stale_after=86400, now=NOW)
    assert 'Dernau river gauge: Water level' not in dataset_rows(plain)
    mapped = Catalogue(database, dataset_mapping=str(mapping))
    mapped.sync(2, records, stale_after=86400, now=NOW)
    dernau = dataset_rows(mapped)['Dernau river gauge: Water level']
    assert (dernau['hc_status'], dernau['hc_status_reason']) == ('online', '')
    plain.sync(2, records, stale_after=86400, now=NOW)
    dernau = dataset_rows(plain)['Dernau river gauge: Water level']
    assert (dernau['hc_status'], dernau['hc_status_reason']) == ('offline', 'removed')


def test_dictionary_label_makes_the_match(demo, tmp_path):
    """An SOS that names the property by an opaque URN matches the STA 'Water level' once a
    parameter dictionary maps the URN to that label (recomputed when the dictionary loads)."""
    from conftest import make_config
    from hubcat.dictionaries import service
    from hubcat.demo import scenario as sc
    records = harvest_document(renamed_sos(demo, sc.PROPERTIES['water_level'].definition,
                                           'urn:x-authority:parameter:W'))
    database = f'sqlite:///{tmp_path / "dictionary.db"}'
    init_db(database)
    cat = Catalogue(database)
    cat.sync(1, demo['sta'], stale_after=86400, now=NOW)
    cat.sync(2, records, stale_after=86400, now=NOW)
    assert not dataset_rows(cat)
    path = tmp_path / 'authority.yaml'
    path.write_text('name: authority\nmappings:\n'
                    '  - {uri: "urn:x-authority:parameter:W", property: {label: Water level}}\n')
    service.load_file(make_config(database), str(path))
    assert 'Dernau river gauge: Water level' in dataset_rows(cat)


def test_dataset_online_while_one_service_answers(demo, tmp_path):
    """An unreachable SOS leaves the dataset online through STA; both unreachable: offline."""
    database = f'sqlite:///{tmp_path / "unreachable.db"}'
    init_db(database)
    cat = Catalogue(database)
    cat.sync(1, demo['sta'], stale_after=86400, now=NOW)
    cat.sync(2, demo['sos'], stale_after=86400, now=NOW)
    cat.mark_unreachable(2)
    dernau = dataset_rows(cat)['Dernau river gauge: Water level']
    assert (dernau['hc_status'], dernau['hc_status_reason']) == ('online', '')
    cat.mark_unreachable(1)
    dernau = dataset_rows(cat)['Dernau river gauge: Water level']
    assert (dernau['hc_status'], dernau['hc_status_reason']) == ('offline', 'unreachable')


def test_station_names_match_case_and_space_blind_and_each_offered_property_counts(demo, tmp_path):
    """Rules 1-3 of docs/datasets.md without a mapping file: 'DERNAU   River  Gauge' (SOS) is
    the STA Thing 'Dernau river gauge'; an offering with two properties the Thing also has
    (Water level, Water temperature) makes a dataset for each; 'Dernau river gauge-2' is
    another station (no fuzzy matching)."""
    sos_ns = {'swes': 'http://www.opengis.net/swes/2.0'}
    doc = etree.fromstring(capabilities(demo['incident'], 'http://example.invalid/sos'))
    names = {n.text: n for n in doc.iterfind('.//swes:name', sos_ns)}
    dernau = names['Dernau river gauge']
    dernau.text = '  DERNAU   River  Gauge '
    offered = dernau.getparent().find('swes:observableProperty', sos_ns)
    second = etree.Element(offered.tag)
    second.text = 'water  TEMPERATURE'       # a plain name, compared like station names
    offered.addnext(second)
    other = next(n for name, n in names.items() if name != 'Dernau river gauge')
    other_name = other.text
    other.text = other_name + '-2'
    records = harvest_document(etree.tostring(doc))
    database = f'sqlite:///{tmp_path / "rules.db"}'
    init_db(database)
    cat = Catalogue(database)
    cat.sync(1, demo['sta'], stale_after=86400, now=NOW)
    cat.sync(2, records, stale_after=86400, now=NOW)
    datasets = dataset_rows(cat)
    assert {'Dernau river gauge: Water level', 'Dernau river gauge: Water temperature'} <= \
        set(datasets)
    assert f'{other_name}: Water level' not in datasets
    temperature = datasets['Dernau river gauge: Water temperature']
    members = sorted(cat.get(m)['hc_kind'] for m in
                     CatalogRecord.from_json(cat.get(temperature['identifier'])['hc_record'])
                     .slots['member'])
    assert members == ['datastream', 'offering']
