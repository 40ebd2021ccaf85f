"""Harvested SOS records found through CSW by a real client (OWSLib CatalogueServiceWeb)
against HubCat's app (hubcat.app.create_app) served over HTTP on 127.0.0.1.

Stock pycsw's SOS harvest is searchable only as a service and its offerings, without
procedures, observed-property queryables or status; here a client finds the NDBC
station 41012 by text, by a box off Florida, by observed property, and the SOS
procedure by its SensorML name.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from owslib.csw import CatalogueServiceWeb
from owslib.fes import BBox, PropertyIsEqualTo, PropertyIsLike
from werkzeug.serving import make_server

from harvesters.http import HttpClient
from harvesters.sos import SensorObservationServiceHarvester
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.config import Config
from hubcat.db import init_db
from sos_support import Route, SosFixtureServer, fixture


def harvest(url, **options):
    client = HttpClient(timeout=10, retries=0)
    return SensorObservationServiceHarvester(url, options, client=client).harvest()


@pytest.fixture(scope='module')
def csw(tmp_path_factory):
    """A catalogue holding NDBC (source 1) and the 52N example SOS with DescribeSensor (source 2)."""
    database = f'sqlite:///{tmp_path_factory.mktemp("csw") / "hubcat.db"}'
    init_db(database)
    catalogue = Catalogue(database)
    sos = SosFixtureServer().start()
    ndbc = sos.add('/ndbc', Route(capabilities={'1.0.0': fixture('ndbc_ioos_1.0.0.xml')}))
    n52 = sos.add('/52n', Route(capabilities={'2.0.0': fixture('52n_example_2.0.0.xml')}, describe={
        'ws2500': fixture('52n_ws2500_describesensorresponse_sos200.xml')}))
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    catalogue.sync(1, harvest(ndbc, describe_sensor=False).records, stale_after=86400, now=now)
    catalogue.sync(2, harvest(n52).records, stale_after=86400, now=now)
    app = create_app(Config(overrides={'repository': {'database': database}}))
    web = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    yield CatalogueServiceWeb(f'http://127.0.0.1:{web.server_port}/csw', timeout=30)
    web.shutdown()
    sos.stop()


def titles(csw, constraints, maxrecords=50) -> list[str]:
    csw.getrecords2(constraints=constraints, esn='full', maxrecords=maxrecords)
    return [r.title for r in csw.records.values()]


def test_station_found_by_text_with_its_place(csw):
    csw.getrecords2(constraints=[PropertyIsLike('csw:AnyText', '%St Augustine, FL%')], esn='full')
    found = {r.title: r for r in csw.records.values()}
    station = found['40NM ENE of St Augustine, FL']
    assert station.type == 'Dataset'
    assert (float(station.bbox.minx), float(station.bbox.miny)) == pytest.approx((-80.55, 30.04))


def test_station_found_by_a_box_off_florida(csw):
    """BBOX in urn:ogc:def:crs:EPSG::4326 (latitude first, as QGIS MetaSearch sends it)."""
    found = titles(csw, [BBox([29.5, -81, 30.5, -80], crs='urn:ogc:def:crs:EPSG::4326')])
    assert '40NM ENE of St Augustine, FL' in found
    assert '250NM Southeast of Iturup Island' not in found


def test_sos_services_found_by_type(csw):
    found = titles(csw, [[PropertyIsEqualTo('hubcat:ServiceType', 'SOS'),
                          PropertyIsEqualTo('dc:type', 'Service')]])
    assert sorted(found) == ['52N SOS', 'National Data Buoy Center SOS']


def test_offering_found_by_observed_property_label(csw):
    found = titles(csw, [[PropertyIsEqualTo('hubcat:ObservedProperty', 'Air temperature'),
                          PropertyIsLike('dc:title', '%St Augustine, FL%')]])
    assert '40NM ENE of St Augustine, FL' in found


def test_procedure_found_by_its_sensorml_name(csw):
    csw.getrecords2(constraints=[PropertyIsEqualTo('dc:title', '52n-elv-ws2500')], esn='full')
    (record,) = csw.records.values()
    assert record.type == 'PhysicalObject'


def test_offerings_that_ended_long_ago_are_offline(csw):
    found = titles(csw, [[PropertyIsEqualTo('hubcat:Status', 'offline'),
                          PropertyIsEqualTo('hubcat:ServiceURL', csw_service_url(csw, '52N SOS'))]])
    # every offering of the 52N example ended in 2019, so every procedure is offline too
    # (a procedure follows its offerings); the service stays online
    offerings = ['wwu-ws-kli-hsb', 'ws2500', 'ws2500-internal', 'wxt520']
    procedures = ['wwu-ws-kli-hsb', '52n-elv-ws2500', 'ws2500-internal', 'wxt520']
    assert sorted(found) == sorted(offerings + procedures)


def csw_service_url(csw, title: str) -> str:
    csw.getrecords2(constraints=[PropertyIsEqualTo('dc:title', title)], esn='full')
    (record,) = csw.records.values()
    return record.source
