"""Issue 9 points 9, 10, 11 on a harvested sensor catalogue (real STA server, SOS documents):

* every record kind, associations included, answers in every advertised output schema and
  validates (Dublin Core against CSW 2.0.2 / 3.0, ISO against ISO 19139, ebRIM against the
  OASIS rim.xsd of ../shared with the CSW-ebRIM wrs schema);
* ``typeNames=rim:Association`` works in Dublin Core, DescribeRecord describes it;
* sensor records carry ``dc:date`` / ``dct:modified``, so date filters find them;
* texts longer than ebRIM's limits stay schema-valid in ebRIM and whole in DC / ISO.
"""
from __future__ import annotations

import pytest
from lxml import etree

import schemas
from sensor_fixtures import LONG_ID, sensor_client, sensor_config  # noqa: F401 (fixtures)

CSW202 = 'http://www.opengis.net/cat/csw/2.0.2'
CSW30 = 'http://www.opengis.net/cat/csw/3.0'
GMD = 'http://www.isotc211.org/2005/gmd'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
KINDS = ('service', 'thing', 'datastream', 'offering', 'procedure')


def get_records(client, version='2.0.2', **params) -> etree._Element:
    query = {'service': 'CSW', 'version': version, 'request': 'GetRecords',
             'typenames': 'csw:Record', 'elementsetname': 'full', 'maxrecords': '100'}
    if version == '2.0.2':
        query['resulttype'] = 'results'
    query.update(params)
    root = etree.fromstring(client.get('/csw', query_string=query).data)
    assert etree.QName(root).localname == 'GetRecordsResponse', etree.tostring(root)[:600]
    return root


def all_pages(client, version='2.0.2', **params) -> list[etree._Element]:
    """Every response page of a query (following nextRecord)."""
    pages, start = [], 1
    while start:
        page = get_records(client, version, startposition=str(start), **params)
        pages.append(page)
        results = page.find('.//{*}SearchResults')
        start = int(results.get('nextRecord') or 0)
    return pages


def members(page) -> list[etree._Element]:
    return [e for e in page.find('.//{*}SearchResults') if isinstance(e.tag, str)]


def matched(page) -> int:
    return int(page.find('.//{*}SearchResults').get('numberOfRecordsMatched'))


@pytest.fixture(scope='module')
def kinds_present(sensor_client):
    """How many records of each kind the catalogue holds (each must be > 0)."""
    counts = {}
    for kind in KINDS:
        page = get_records(sensor_client, constraintlanguage='CQL_TEXT',
                           constraint=f"hubcat:EntityType = '{kind}'", resulttype='hits')
        counts[kind] = matched(page)
    assert all(counts.values()), counts
    return counts


@pytest.mark.parametrize('typenames', ['csw:Record', 'rim:Association'])
@pytest.mark.parametrize('esn', ['brief', 'summary', 'full'])
def test_dublin_core_202_validates(sensor_client, kinds_present, typenames, esn):
    pages = all_pages(sensor_client, typenames=typenames, elementsetname=esn)
    assert sum(len(members(p)) for p in pages) == matched(pages[0]) > 0
    for page in pages:
        schemas.assert_valid(schemas.csw202(), page)


@pytest.mark.parametrize('typenames', ['csw:Record', 'rim:Association'])
def test_dublin_core_30_validates(sensor_client, typenames):
    pages = all_pages(sensor_client, '3.0.0', typenames=typenames, outputschema=CSW30)
    assert sum(len(members(p)) for p in pages) == matched(pages[0]) > 0
    for page in pages:
        schemas.assert_valid(schemas.csw30(), page)


@pytest.mark.parametrize('typenames', ['csw:Record', 'rim:Association'])
@pytest.mark.parametrize('esn', ['brief', 'full'])
def test_iso_validates(sensor_client, kinds_present, typenames, esn):
    pages = all_pages(sensor_client, typenames=typenames, elementsetname=esn, outputschema=GMD)
    records = [m for p in pages for m in members(p)]
    assert len(records) == matched(pages[0]) > 0
    for record in records:
        assert etree.QName(record).namespace == GMD
        schemas.assert_valid(schemas.iso19139(), record)


@pytest.mark.parametrize('typenames', ['csw:Record', 'rim:Association'])
@pytest.mark.parametrize('esn', ['brief', 'summary', 'full'])
def test_ebrim_validates(sensor_client, kinds_present, typenames, esn):
    pages = all_pages(sensor_client, typenames=typenames, elementsetname=esn, outputschema=RIM)
    objects = [m for p in pages for m in members(p)]
    assert len(objects) == matched(pages[0]) > 0
    for obj in objects:
        schemas.assert_valid(schemas.ebrim(), obj)


@pytest.mark.parametrize('version, schema', [('2.0.2', CSW202), ('3.0.0', CSW30),
                                             ('2.0.2', GMD), ('3.0.0', RIM)])
def test_associations_in_every_output_schema(sensor_client, version, schema):
    """Associations answer in each schema, and the same ones (pycsw: 'Record serialization failed')."""
    rim = all_pages(sensor_client, version, typenames='rim:Association', outputschema=RIM)
    expected = {o.get('id') for p in rim for o in members(p)}
    pages = all_pages(sensor_client, version, typenames='rim:Association', outputschema=schema)
    found = set()
    for page in pages:
        for record in members(page):
            found.update(record.xpath('./*[local-name()="identifier"]/text()|./@id|'
                                      './*[local-name()="fileIdentifier"]/*/text()'))
    assert found == expected and len(expected) > 100


def test_association_in_dublin_core_names_its_ends(sensor_client):
    page = get_records(sensor_client, typenames='rim:Association', maxrecords='1',
                       elementsetname='summary')
    (record,) = members(page)
    assert record.findtext('{http://purl.org/dc/elements/1.1/}type') == 'Association'
    assert ' OperatesOn ' in record.findtext('{http://purl.org/dc/elements/1.1/}title') or \
        ' HasDataStream ' in record.findtext('{http://purl.org/dc/elements/1.1/}title') or \
        record.findtext('{http://purl.org/dc/elements/1.1/}title').count(' ') == 2


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_describe_record_of_association(sensor_client, method):
    if method == 'GET':
        resp = sensor_client.get('/csw', query_string={
            'service': 'CSW', 'version': '2.0.2', 'request': 'DescribeRecord',
            'typename': 'rim:Association'})
    else:
        resp = sensor_client.post('/csw', content_type='application/xml', data=f'''
          <csw:DescribeRecord xmlns:csw="{CSW202}" xmlns:rim="{RIM}" service="CSW" version="2.0.2">
          <csw:TypeName>rim:Association</csw:TypeName></csw:DescribeRecord>''')
    root = etree.fromstring(resp.data)
    components = root.findall(f'{{{CSW202}}}SchemaComponent')
    assert [c.get('targetNamespace') for c in components] == [RIM]


# ---- 9.10 dates ------------------------------------------------------------------------
def test_every_sensor_record_has_a_date(sensor_client, kinds_present):
    everything = matched(get_records(sensor_client, resulttype='hits'))
    dated = matched(get_records(sensor_client, resulttype='hits', constraintlanguage='CQL_TEXT',
                                constraint="dc:date >= '1900-01-01' AND dct:modified >= '1900-01-01'"))
    assert dated == everything == sum(kinds_present.values())


def test_date_is_the_last_change_at_the_source(sensor_client):
    """dc:date is the newest observation where the source gives one (dct:temporal's end),
    else the last change HubCat saw (dct:modified)."""
    page = get_records(sensor_client, constraintlanguage='CQL_TEXT',
                       constraint="dc:date BETWEEN '2026-05-31' AND '2026-06-02'")
    assert LONG_ID in {r.findtext('{http://purl.org/dc/elements/1.1/}identifier') for r in members(page)}
    for constraint, expected in (('IS NULL', lambda r: r.findtext('{http://purl.org/dc/terms/}modified')),
                                 ('IS NOT NULL', lambda r: r.findtext(
                                     '{http://purl.org/dc/terms/}temporal').split('/')[1])):
        records = [r for p in all_pages(sensor_client, constraintlanguage='CQL_TEXT',
                                        constraint=f'hubcat:PhenomenonTimeEnd {constraint}')
                   for r in members(p)]
        assert records
        for record in records:
            assert record.findtext('{http://purl.org/dc/elements/1.1/}date') == expected(record)


def test_opensearch_time_finds_sensor_records(sensor_client):
    page = get_records(sensor_client, '3.0.0', time='2026-05-01/2026-05-15',
                       constraintlanguage='CQL_TEXT', constraint=f"dc:identifier = '{LONG_ID}'")
    assert matched(page) == 1   # phenomenon time 2026-01-01 .. 2026-06-01 overlaps


# ---- 9.11 texts longer than ebRIM allows -------------------------------------------------
def _by_id(client, schema):
    resp = client.get('/csw', query_string={
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById', 'id': LONG_ID,
        'elementsetname': 'full', 'outputschema': schema})
    root = etree.fromstring(resp.data)
    return [e for e in root if isinstance(e.tag, str)][0]


def test_long_texts_are_valid_ebrim_and_kept(sensor_client):
    obj = _by_id(sensor_client, RIM)
    schemas.assert_valid(schemas.ebrim(), obj)
    description = obj.find(f'{{{RIM}}}Description/{{{RIM}}}LocalizedString').get('value')
    assert len(description) == 1024 and description.endswith('…')
    slots = {s.get('name'): s for s in obj.findall(f'{{{RIM}}}Slot')}
    full = slots['urn:hubcat:slot:description'].xpath('.//*[local-name()="AnyValue"]/text()')
    assert full == ['Long abstract ' + 'a' * 1486]
    assert slots['description'].xpath('.//*[local-name()="AnyValue"]/text()') == ['d' * 400]
    assert slots['short'].xpath('.//*[local-name()="Value"]/text()') == ['x']


@pytest.mark.parametrize('schema, path', [
    (CSW202, '{http://purl.org/dc/terms/}abstract'),
    (GMD, f'.//{{{GMD}}}abstract/{{http://www.isotc211.org/2005/gco}}CharacterString')])
def test_long_texts_whole_in_dc_and_iso(sensor_client, schema, path):
    record = _by_id(sensor_client, schema)
    assert record.findtext(path) == 'Long abstract ' + 'a' * 1486


# ---- 9.12 OpenSearch with HubCat's parameters -----------------------------------------------
def test_opensearch_hubcat_parameters(sensor_client, kinds_present):
    from opensearch_client import search, total
    assert total(search(sensor_client, hubcat__type='datastream')) == kinds_present['datastream']
    online_things = matched(get_records(
        sensor_client, resulttype='hits', constraintlanguage='CQL_TEXT',
        constraint="hubcat:Status = 'online' AND hubcat:EntityType = 'thing'"))
    assert total(search(sensor_client, hubcat__type='thing', hubcat__status='online')) == online_things
    feed = search(sensor_client, hubcat__observedProperty='Air temperature', hubcat__type='datastream')
    assert 0 < total(feed) < kinds_present['datastream']
