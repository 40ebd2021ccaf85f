"""A large real service (300 Things x 5 Datastreams) stored in every backend and found
through /csw (issue 13 point 1).

The service record's operatesOn lists every Thing (about 13,000 characters here): a
btree index on it made PostgreSQL refuse the whole harvest. ``hubcat harvest`` (the CLI)
harvests the real STA server into each backend in turn; the harvester's own reading of
the server gives the expected records. The other
unbounded values (keywords, an abstract, a Datastream's observed properties) are stored
and found at sizes no btree key holds.
"""
from __future__ import annotations

import uuid

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import (SEARCH_BACKENDS, LiveServer, StaServer, make_config, make_database,
                      test_port)
from harvesters.sta import SensorThingsHarvester
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from hubcat.records import SERVICE
from hubcat.sources import SourceRegistry
from records_factory import station

THINGS, PER_THING = 300, 5
CSW = 'http://www.opengis.net/cat/csw/2.0.2'


@pytest.fixture(scope='module')
def big_sta():
    """A real STA server holding 300 Things with 5 Datastreams each (1 Observation each)."""
    server = StaServer(test_port(1), ('--things', str(THINGS), '--per-thing', str(PER_THING),
                                      '--observations', '1')).start()
    yield server.url
    server.stop()


@pytest.fixture(scope='module')
def harvest(big_sta):
    """One harvest of the big server (shared by every backend)."""
    result = SensorThingsHarvester(big_sta).harvest()
    assert result.complete, result.warnings
    return result


@pytest.fixture(scope='module', params=SEARCH_BACKENDS)
def csw_url(request, harvest, big_sta, tmp_path_factory):
    """/csw of a live HubCat whose catalogue (each backend in turn) was filled by
    ``hubcat harvest`` from the big server (the CLI, as an operator runs it)."""
    from click.testing import CliRunner

    from hubcat.cli import cli
    workdir = tmp_path_factory.mktemp('big')
    url, cleanup = make_database(request.param, workdir)
    config = make_config(url)
    init_db(config.database_url)
    SourceRegistry(url).add(big_sta, 'sta', name='big', stale_after='36500d')
    cfg = workdir / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={url}\n', encoding='utf-8')
    result = CliRunner().invoke(cli, ['--config', str(cfg), 'harvest', 'big'],
                                env={k: None for k in ('HUBCAT_DATABASE_URL', 'HUBCAT_CONFIG')},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f'added {len(harvest.records)}' in result.output, result.output
    server = LiveServer(create_app(config, init_database=False))
    yield server.url + '/csw'
    server.close()
    cleanup()


def _hits(csw_url: str, constraint) -> int:
    csw = CatalogueServiceWeb(csw_url, version='2.0.2', skip_caps=True)
    csw.getrecords2(constraints=[constraint], resulttype='hits')
    return csw.results['matches']


def test_every_record_is_stored_and_found(csw_url):
    for kind, count in (('service', 1), ('thing', THINGS), ('datastream', THINGS * PER_THING)):
        assert _hits(csw_url, fes.PropertyIsEqualTo('hubcat:EntityType', kind)) == count


def test_the_service_record_keeps_its_whole_operates_on_list(csw_url, harvest):
    """The value that broke PostgreSQL's btree: every Thing of the service, found per value."""
    service = next(r for r in harvest.records if r.kind == SERVICE)
    things = [a.target for a in service.associations]
    assert len(things) == THINGS and len(','.join(things)) > 2704
    for thing in (things[0], things[-1]):
        assert _hits(csw_url, fes.PropertyIsEqualTo('apiso:OperatesOn', thing)) == 1
    csw = CatalogueServiceWeb(csw_url, version='2.0.2', skip_caps=True)
    csw.getrecordbyid([service.identifier])
    assert list(csw.records) == [service.identifier]


def test_datastreams_found_by_observed_property_unit_and_title(csw_url, harvest):
    streams = [r for r in harvest.records if r.kind == 'datastream']
    label = streams[0].observed_property_labels[0]
    expected = sum(1 for r in streams if label in r.observed_property_labels)
    assert _hits(csw_url, fes.PropertyIsEqualTo('hubcat:ObservedProperty', label)) == expected
    unit = streams[0].unit
    expected = sum(1 for r in streams if r.unit == unit)
    assert _hits(csw_url, fes.PropertyIsEqualTo('hubcat:Unit', unit)) == expected
    title = streams[-1].title
    assert _hits(csw_url, fes.PropertyIsEqualTo('dc:title', title)) == \
        sum(1 for r in harvest.records if r.title == title)


def test_getdomain_lists_single_observed_properties(csw_url, harvest):
    response = requests.get(csw_url, params={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetDomain',
        'propertyname': 'hubcat:ObservedProperty'}, timeout=60)
    values = [v.text for v in etree.fromstring(response.content).iter(f'{{{CSW}}}Value')]
    labels = {label for r in harvest.records for label in r.observed_property_labels}
    assert sorted(values) == sorted(labels)


def _noise(count: int, prefix: str) -> list[str]:
    """``count`` distinct values that do not compress (a btree key of them stays large)."""
    return [f'{prefix} {uuid.uuid4().hex}{uuid.uuid4().hex}' for _ in range(count)]


@pytest.mark.parametrize('backend', SEARCH_BACKENDS)
def test_long_keyword_abstract_and_observed_property_values_are_stored_and_found(backend,
                                                                                 tmp_path):
    """Keywords, an abstract and observed properties of about 14,000 characters each
    (PostgreSQL's btree refuses keys above 2,704 bytes): stored, and found per value."""
    records = station(n_things=1, per_thing=1)
    thing, stream = records[1], records[2]
    thing.keywords = _noise(200, 'keyword')
    thing.abstract = ' '.join(_noise(200, 'about'))
    stream.observed_properties = _noise(200, 'property')
    url, cleanup = make_database(backend, tmp_path)
    server = None
    try:
        init_db(url)
        Catalogue(url).sync(1, records, stale_after=10 ** 9)
        server = LiveServer(create_app(make_config(url), init_database=False))
        csw_url = server.url + '/csw'
        for name, value in (('dc:subject', thing.keywords[-1]),
                            ('hubcat:ObservedProperty', stream.observed_properties[-1])):
            assert _hits(csw_url, fes.PropertyIsEqualTo(name, value)) == 1
        middle = thing.abstract.split()[201]
        assert _hits(csw_url, fes.PropertyIsLike('dct:abstract', f'%{middle}%')) == 1
    finally:
        if server is not None:
            server.close()
        cleanup()
