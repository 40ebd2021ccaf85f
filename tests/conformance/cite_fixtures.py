"""The conformance suite's CITE catalogue: the 12 OGC CITE Dublin Core records, loaded with
``hubcat load`` into one catalogue per backend (shared by a test module), and what
the record files themselves say (the expected answers are computed from them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from conftest import _BACKENDS, FIXTURES, make_config, make_database

CITE_DIR = FIXTURES / 'csw_records' / 'cite_dc'
CSW202 = 'http://www.opengis.net/cat/csw/2.0.2'
CSW30 = 'http://www.opengis.net/cat/csw/3.0'


@dataclass
class CiteRecord:
    """The fields of one CITE record file the tests compare against."""
    identifier: str
    title: str = ''
    format: str = ''
    type: str = ''
    date: str = ''
    subjects: list = field(default_factory=list)
    box: tuple = ()   # (minlon, minlat, maxlon, maxlat)
    anytext: str = ''  # every text of the record, lower case


def read_cite_records(directory: Path = CITE_DIR) -> list[CiteRecord]:
    """The CITE records as the files state them (corners are latitude first, EPSG:4326)."""
    records = []
    for path in sorted(directory.glob('Record_*.xml')):
        root = etree.parse(str(path)).getroot()
        values = {}
        for node in root.iter():
            if isinstance(node.tag, str):
                values.setdefault(etree.QName(node).localname, []).append((node.text or '').strip())
        box = ()
        if 'LowerCorner' in values:
            lat0, lon0 = map(float, values['LowerCorner'][0].split())
            lat1, lon1 = map(float, values['UpperCorner'][0].split())
            box = (lon0, lat0, lon1, lat1)
        records.append(CiteRecord(
            identifier=values['identifier'][0], title=values.get('title', [''])[0],
            format=values.get('format', [''])[0], type=values.get('type', [''])[0],
            date=values.get('date', [''])[0], subjects=values.get('subject', []), box=box,
            anytext=' '.join(t for texts in values.values() for t in texts).lower()))
    return records


@pytest.fixture(scope='session')
def cite_records() -> list[CiteRecord]:
    """The 12 CITE records, read from the files."""
    return read_cite_records()


@pytest.fixture(scope='module', params=_BACKENDS)
def cite_config(request, tmp_path_factory):
    """A Config on a catalogue holding the CITE records (loaded by ``hubcat load``)."""
    from hubcat.db import init_db
    from hubcat.loader import load_directory
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('cite'))
    config = make_config(url)
    init_db(config.database_url, config.table)
    report = load_directory(config, CITE_DIR)
    assert report.inserted == 12 and not report.errors, report
    yield config
    cleanup()


@pytest.fixture(scope='module')
def cite_client(cite_config):
    """A Flask test client of /csw on the CITE catalogue."""
    from hubcat.app import create_app
    return create_app(cite_config).test_client()


def record_ids(data: bytes) -> set:
    """The identifiers in a GetRecords response (Dublin Core or ISO); fails on an exception."""
    root = etree.fromstring(data)
    assert etree.QName(root).localname == 'GetRecordsResponse', data[:600]
    return set(root.xpath('//*[local-name()="identifier" and namespace-uri()='
                          '"http://purl.org/dc/elements/1.1/"]/text()'))


def exception_of(data: bytes) -> tuple[str, str]:
    """(exceptionCode, locator) of an ExceptionReport; fails on anything else."""
    root = etree.fromstring(data)
    assert etree.QName(root).localname == 'ExceptionReport', data[:600]
    exc = root[0]
    return exc.get('exceptionCode'), exc.get('locator')


def get_records(client, version: str = '2.0.2', **params) -> bytes:
    """A KVP GetRecords (brief Dublin Core, up to 100 records) with extra parameters."""
    query = {'service': 'CSW', 'version': version, 'request': 'GetRecords',
             'typenames': 'csw:Record', 'elementsetname': 'brief', 'maxrecords': '100'}
    if version == '2.0.2':
        query['resulttype'] = 'results'
    query.update(params)
    return client.get('/csw', query_string=query).data


def post_filter(client, predicate: str, version: str = '2.0.2') -> bytes:
    """A POST GetRecords whose Filter holds ``predicate`` (ogc: for 2.0.2, fes: for 3.0.0)."""
    if version == '2.0.2':
        body = f'''<csw:GetRecords xmlns:csw="{CSW202}" xmlns:ogc="http://www.opengis.net/ogc"
          xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2"
          resultType="results" maxRecords="100"><csw:Query typeNames="csw:Record">
          <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0">
          <ogc:Filter>{predicate}</ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>'''
    else:
        body = f'''<csw:GetRecords xmlns:csw="{CSW30}" xmlns:fes="http://www.opengis.net/fes/2.0"
          xmlns:gml="http://www.opengis.net/gml" service="CSW" version="3.0.0"
          maxRecords="100"><csw:Query typeNames="csw:Record">
          <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="2.0.0">
          <fes:Filter>{predicate}</fes:Filter></csw:Constraint></csw:Query></csw:GetRecords>'''
    return client.post('/csw', data=body, content_type='application/xml').data


def post_cql(client, cql: str) -> bytes:
    """A CSW 2.0.2 POST GetRecords with a csw:CqlText constraint."""
    from xml.sax.saxutils import escape
    body = f'''<csw:GetRecords xmlns:csw="{CSW202}" service="CSW" version="2.0.2"
      resultType="results" maxRecords="100"><csw:Query typeNames="csw:Record">
      <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0">
      <csw:CqlText>{escape(cql)}</csw:CqlText></csw:Constraint></csw:Query></csw:GetRecords>'''
    return client.post('/csw', data=body, content_type='application/xml').data
