"""The conformance suite's sensor catalogue: the real STA server harvested by HubCat, two SOS
capabilities documents (52°North with DescribeSensor, GNS) and one record with texts longer
than ebRIM's limits, in one catalogue per backend (shared by a test module)."""
from __future__ import annotations

import pytest

from conftest import _BACKENDS, make_config, make_database
from sos_support import Route, SosFixtureServer, fixture

#: the record whose texts exceed ebRIM's limits (title 1,100, abstract 1,500, a 400-character
#: slot value, a 300-character source link)
LONG_ID = 'urn:test:long:datastream'


def long_record():
    """A Datastream record with texts longer than rim.xsd allows."""
    from hubcat.records import DATASTREAM, OT_MEASUREMENT, CatalogRecord
    return CatalogRecord(
        identifier=LONG_ID, kind=DATASTREAM, object_type=OT_MEASUREMENT,
        title='Long title ' + 't' * 1089, abstract='Long abstract ' + 'a' * 1486,
        service_type='STA', service_url='http://sta.example.org/v1.1',
        service_id='urn:test:long:service', bbox=(7.0, 46.0, 7.5, 46.5),
        observed_properties=['Air temperature'], unit='degC',
        time_begin='2026-01-01T00:00:00Z', time_end='2026-06-01T00:00:00Z',
        slots={'description': ['d' * 400], 'short': ['x'],
               '@iot.selfLink': ['http://sta.example.org/v1.1/Datastreams(' + '9' * 260 + ')']})


def _harvest_sos(url, **options):
    from harvesters.http import HttpClient
    from harvesters.sos import SensorObservationServiceHarvester
    return SensorObservationServiceHarvester(url, options, client=HttpClient(timeout=10, retries=0)
                                             ).harvest().records


@pytest.fixture(scope='module', params=_BACKENDS)
def sensor_config(request, sta_server, tmp_path_factory):
    """A Config on a catalogue holding STA (harvested), SOS and over-long records."""
    from hubcat.catalogue import Catalogue
    from hubcat.db import init_db
    from hubcat.harvest import run_harvest
    from hubcat.sources import SourceRegistry
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('sensors'))
    config = make_config(url)
    init_db(config.database_url)
    source = SourceRegistry(config.database_url).add(sta_server, 'sta', name='sta',
                                                     stale_after='36500d')
    report = run_harvest(config, source.id)
    assert report.outcome == 'success', report.errors
    sos = SosFixtureServer().start()
    try:
        n52 = sos.add('/52n', Route(capabilities={'2.0.0': fixture('52n_example_2.0.0.xml')},
                                    describe={'ws2500': fixture('52n_ws2500_describesensorresponse_sos200.xml')}))
        gns = sos.add('/gns', Route(capabilities={'2.0.0': fixture('gns_ngmp_2.0.0.xml')}))
        catalogue = Catalogue(config.database_url)
        catalogue.sync(1001, _harvest_sos(n52))
        catalogue.sync(1002, _harvest_sos(gns, describe_sensor=False))
        catalogue.sync(1003, [long_record()])
    finally:
        sos.stop()
    yield config
    cleanup()


@pytest.fixture(scope='module')
def sensor_client(sensor_config):
    """A Flask test client of /csw on the sensor catalogue."""
    from hubcat.app import create_app
    return create_app(sensor_config, init_database=False).test_client()
