"""End to end: the real STA server harvested, found through /csw by a CSW client, and the demo."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from lxml import etree
from owslib import fes
from owslib.csw import CatalogueServiceWeb

from conftest import LiveServer, make_config
from hubcat.app import create_app
from hubcat.db import init_db
from hubcat.harvest import run_harvest
from hubcat.sources import SourceRegistry

RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'


def _server_count(root: str, entity_set: str) -> int:
    return requests.get(f'{root}/{entity_set}', params={'$count': 'true', '$top': '1'},
                        timeout=30).json()['@iot.count']


@pytest.fixture
def harvested(database_url, sta_server):
    """A live HubCat that harvested the real STA server once."""
    config = make_config(database_url)
    init_db(config.database_url)
    source = SourceRegistry(config.database_url).add(sta_server, 'sta', name='peer',
                                                     stale_after='36500d')
    report = run_harvest(config, source.id)
    assert report.outcome == 'success', report.errors
    server = LiveServer(create_app(config, init_database=False))
    yield server.url + '/csw'
    server.close()


def test_catalogue_counts_equal_the_servers(harvested, sta_server):
    csw = CatalogueServiceWeb(harvested, version='2.0.2')
    for kind, entity_set in (('thing', 'Things'), ('datastream', 'Datastreams')):
        csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:EntityType', kind)],
                        resulttype='hits')
        assert csw.results['matches'] == _server_count(sta_server, entity_set)


def test_client_finds_datastreams_by_observed_property_and_box(harvested, sta_server):
    """The flat query the IMIS report asked for: one request, no association walking."""
    csw = CatalogueServiceWeb(harvested, version='2.0.2')
    query = fes.And([fes.PropertyIsEqualTo('hubcat:EntityType', 'datastream'),
                     fes.PropertyIsLike('hubcat:ObservedProperty', '%emperature%'),
                     fes.BBox([45.5, 5.5, 48.0, 11.0], crs='urn:ogc:def:crs:EPSG::4326')])  # Switzerland, lat/lon
    csw.getrecords2(constraints=[query], maxrecords=100, outputschema=RIM, esn='full')
    doc = etree.fromstring(csw.response)
    objects = doc.findall(f'.//{{{RIM}}}ExtrinsicObject')
    assert objects, 'no temperature Datastream found in the box'
    for obj in objects:
        slots = {s.get('name'): [v.text for v in s.iter(f'{{{RIM}}}Value')]
                 for s in obj.findall(f'{{{RIM}}}Slot')}
        assert 'emperature' in slots['urn:hubcat:slot:observedProperty'][0]
        assert slots['urn:hubcat:slot:serviceURL'] == [sta_server]
        iot_id = slots['@iot.id'][0]
        truth = requests.get(f"{sta_server}/Datastreams('{iot_id}')/ObservedProperty",
                             timeout=30).json()
        assert truth['name'] == slots['urn:hubcat:slot:observedProperty'][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_demo_serves_a_harvested_catalogue_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith('HUBCAT_')}
    # Ctrl-C as at a terminal: SIGINT raises KeyboardInterrupt even when this test run ignores
    # SIGINT (started in the background by a shell), which Python would pass on to the demo
    proc = subprocess.Popen(
        [sys.executable, '-c', 'import signal; signal.signal(signal.SIGINT, '
         'signal.default_int_handler); from hubcat.cli import main; main()', 'demo', '--port',
         str(port), '--workdir', str(tmp_path)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if 'Ctrl-C stops the demo' in line:
                break
        output = ''.join(lines)
        assert f'http://127.0.0.1:{port}/csw' in output, output
        examples = re.findall(r'curl "([^"]+)"', output)
        assert len(examples) == 4
        assert re.search(r'parameter dictionary "ahr-demo" loaded: [1-9]\d* records', output), output
        # mediation: the legacy detectors' 'Parameter_1' is found as explosive gas
        # (and the gauges' loggers' 'Parameter_1' as water level: the dictionary's Thing scopes)
        for label, title in (('Explosive%20gas%20(LEL)', rb'AW-F\d+ Parameter_1'),
                             ('Water%20level', rb'AW-P\d+ Parameter_1')):
            answer = requests.get(examples[2].replace('Explosive%20gas%20(LEL)', label), timeout=30)
            assert re.search(title, answer.content), answer.content[:500]
        # the demo's own SOS republishes the gauges' water level: one dataset, two services
        answer = requests.get(examples[3], timeout=30)
        assert b'river gauge: Water level' in answer.content, answer.content[:500]
        answer = requests.get(examples[0], timeout=30)
        matched = int(re.search(rb'numberOfRecordsMatched="(\d+)"', answer.content).group(1))
        assert matched > 50  # online Datastreams of the sample services
        csw = CatalogueServiceWeb(f'http://127.0.0.1:{port}/csw', version='2.0.2')
        csw.getrecords2(constraints=[fes.PropertyIsEqualTo('hubcat:ServiceType', 'STA')],
                        resulttype='hits')
        assert csw.results['matches'] > 100
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        assert proc.returncode == 0
        assert 'demo stopped' in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
