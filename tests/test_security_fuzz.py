"""Issue 8 point 8: a seeded fuzz of GetRecords, GetRecordById and GetDomain (KVP and XML
POST, CSW 2.0.2 and 3.0.0) against HubCat served over HTTP.  Every answer is a valid
response (200) or a well-formed ExceptionReport with a 4xx status, never an HTTP 5xx.

The generator is seeded (``FUZZ_SEED``), so a failure names the exact request to replay.
"""
from __future__ import annotations

import json
import random
from urllib.parse import urlencode

import pytest
import requests
from lxml import etree

from conftest import _BACKENDS, make_config, make_database
from hubcat.catalogue import Catalogue
from hubcat.db import init_db
from records_factory import station
from security_support import CSW_NS, FILTER_NS, ServedHubCat

FUZZ_SEED = 20261203
KVP_REQUESTS = 180   # per backend
XML_REQUESTS = 90
OPERATIONS = ('GetRecords', 'GetRecordById', 'GetDomain')
ANSWERS = {'GetRecordsResponse', 'GetRecordByIdResponse', 'GetDomainResponse', 'ExceptionReport',
           # CSW 3.0.0 GetRecordById answers with the record itself
           'Record', 'SummaryRecord', 'BriefRecord', 'MD_Metadata', 'ExtrinsicObject', 'Service',
           'RegistryPackage', 'Association'}

#: values that are valid somewhere, hostile, or at a boundary
WORDS = ['', ' ', 'brief', 'summary', 'full', 'hits', 'results', 'validate', 'csw:Record',
         'gmd:MD_Metadata', 'rim:RegistryPackage', 'rim:Association', 'dc:title', 'dc:type',
         'hubcat:Status', 'hubcat:ObservedProperty', 'apiso:Title', 'csw:AnyText', 'urn:test:thing:0',
         'urn:test:service', 'application/xml', 'application/json', 'text/sgml', 'CQL_TEXT',
         'FILTER', 'http://www.opengis.net/cat/csw/2.0.2', 'http://www.isotc211.org/2005/gmd',
         'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0', 'http://www.w3.org/2005/Atom',
         '0', '1', '-1', '10', '99999999999999999999', '1.5', 'abc', 'unlimited', 'NaN', '1e3',
         "dc:title like '%'", "dc:title = 'x' OR 1=1", "hubcat:Status = 'online'",
         "'; DROP TABLE records; --", '%', '_', '\\', '"', "'", '<', '>', '&', '&amp;',
         '<ogc:Filter/>', '<x', ']]>', 'dc:title:A', 'dc:title:Q', 'nosuch:thing', 'xmlns(a=b)',
         '-180,-90,180,90', '999,999,1000,1000', 'a,b,c,d', '1,2,3', 'π', '東京', '\u202e',
         'x' * 3000]
CONTROL = ['\x00', '\x01', '\x08', '\x0b', '\x1f', '\x7f', '\ufffe']
PARAMS = {
    'GetRecords': ['typenames', 'elementsetname', 'elementname', 'resulttype', 'outputschema',
                   'outputformat', 'maxrecords', 'startposition', 'constraintlanguage',
                   'constraint', 'constraint_language_version', 'sortby', 'namespace',
                   'requestid', 'distributedsearch', 'hopcount'],
    'GetRecordById': ['id', 'elementsetname', 'outputschema', 'outputformat'],
    'GetDomain': ['parametername', 'propertyname'],
}


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(WORDS)
    if roll < 0.75:
        word = rng.choice(WORDS)
        at = rng.randint(0, len(word))
        return word[:at] + rng.choice(CONTROL) + word[at:]
    if roll < 0.9:
        return ''.join(chr(rng.choice([rng.randint(32, 126), rng.randint(0xa0, 0x2fff)]))
                       for _ in range(rng.randint(1, 30)))
    return str(rng.randint(-10 ** 6, 10 ** 6))


def _case(rng: random.Random, name: str) -> str:
    return ''.join(c.upper() if rng.random() < 0.3 else c for c in name)


#: a valid request per operation, which the fuzz mutates
VALID = {
    'GetRecords': {'typenames': 'csw:Record', 'elementsetname': 'brief', 'resulttype': 'results',
                   'maxrecords': '5', 'startposition': '1'},
    'GetRecordById': {'id': 'urn:test:thing:0', 'elementsetname': 'full'},
    'GetDomain': {'propertyname': 'dc:type'},
}


def kvp_request(rng: random.Random) -> str:
    """One fuzzed KVP query string: a valid request with one to three parameters changed,
    added or dropped (names in random case, sometimes one given twice)."""
    operation = rng.choice(OPERATIONS)
    version = rng.choice(['2.0.2', '3.0.0']) if rng.random() < 0.9 else _value(rng)
    params = {'service': 'CSW', 'version': version, 'request': operation, **VALID[operation]}
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(PARAMS[operation] + ['service', 'request'])
        if rng.random() < 0.15:
            params.pop(name, None)
        else:
            params[name] = _value(rng)
    pairs = [(_case(rng, k), v) for k, v in params.items()]
    if rng.random() < 0.1:                       # a repeated name, in another case
        name, value = rng.choice(pairs)
        pairs.append((_case(rng, name.lower()), value))
    rng.shuffle(pairs)
    return urlencode(pairs)


def xml_request(rng: random.Random) -> bytes:
    """One fuzzed XML POST body (well-formed, since lxml writes it, or a few raw bytes)."""
    version = rng.choice(['2.0.2', '3.0.0'])
    csw, fes = CSW_NS[version], FILTER_NS[version]
    operation = rng.choice(OPERATIONS)
    root = etree.Element(f'{{{csw}}}{operation}', nsmap={'csw': csw, 'f': fes},
                         service='CSW', version=version)

    def text(value: str) -> str:
        return ''.join(c for c in value if c not in CONTROL)   # XML cannot carry them

    def maybe(valid: str) -> str:   # mostly valid, sometimes fuzzed
        return valid if rng.random() < 0.7 else text(_value(rng))

    if operation == 'GetRecords':
        for attr, valid in (('maxRecords', '5'), ('startPosition', '1'), ('resultType', 'results'),
                            ('outputSchema', csw), ('outputFormat', 'application/xml')):
            if rng.random() < 0.5 and (attr != 'resultType' or version == '2.0.2'):
                root.set(attr, maybe(valid))
        query = etree.SubElement(root, f'{{{csw}}}Query', typeNames=maybe('csw:Record'))
        etree.SubElement(query, f'{{{csw}}}ElementSetName').text = maybe('brief')
        if rng.random() < 0.6:
            constraint = etree.SubElement(query, f'{{{csw}}}Constraint',
                                          version='1.1.0' if version == '2.0.2' else '2.0.0')
            if rng.random() < 0.5:
                etree.SubElement(constraint, f'{{{csw}}}CqlText').text = text(_value(rng))
            else:
                fil = etree.SubElement(constraint, f'{{{fes}}}Filter')
                op = etree.SubElement(fil, f'{{{fes}}}' + rng.choice(
                    ['PropertyIsEqualTo', 'PropertyIsLike', 'PropertyIsGreaterThan', 'Nope']))
                name = 'PropertyName' if version == '2.0.2' else 'ValueReference'
                etree.SubElement(op, f'{{{fes}}}{name}').text = maybe('dc:title')
                etree.SubElement(op, f'{{{fes}}}Literal').text = text(_value(rng))
    elif operation == 'GetRecordById':
        etree.SubElement(root, f'{{{csw}}}Id').text = maybe('urn:test:thing:0')
        etree.SubElement(root, f'{{{csw}}}ElementSetName').text = maybe('full')
    else:
        etree.SubElement(root, f'{{{csw}}}' + rng.choice(['ParameterName', 'PropertyName'])
                         ).text = maybe('dc:type')
    body = etree.tostring(root, xml_declaration=True, encoding='UTF-8')
    if rng.random() < 0.05:                       # broken on purpose
        at = rng.randint(0, len(body))
        body = body[:at] + rng.choice([b'\x00', b'<', b'&bogus;', b'\xff\xfe']) + body[at:]
    return body


def _check(resp, what) -> None:
    assert resp.status_code < 500, (what, resp.status_code, resp.content[:300])
    if resp.headers.get('Content-Type', '').startswith('application/json'):
        json.loads(resp.content)
        return
    doc = etree.fromstring(resp.content)
    assert etree.QName(doc).localname in ANSWERS, (what, resp.content[:300])
    if etree.QName(doc).localname == 'ExceptionReport':
        exc = doc[0] if len(doc) else None
        assert exc is not None and exc.get('exceptionCode'), (what, resp.content[:300])
        assert 400 <= resp.status_code < 500, (what, resp.status_code)
    else:
        assert resp.status_code == 200, (what, resp.status_code)


@pytest.fixture(scope='module', params=_BACKENDS)
def served(request, tmp_path_factory):
    """HubCat over HTTP on a catalogue of 7 sensor records."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp('fuzz'))
    config = make_config(url)
    init_db(config.database_url, config.table)
    Catalogue(config.database_url).sync(1, station())
    server = ServedHubCat(config)
    yield server
    server.close()
    cleanup()


def test_fuzzed_kvp_requests_never_fail_the_server(served):
    rng = random.Random(FUZZ_SEED)
    before = served.count()
    with requests.Session() as session:
        for _ in range(KVP_REQUESTS):
            query = kvp_request(rng)
            _check(session.get(f'{served.csw}?{query}', timeout=60), query)
    assert served.count() == before


def test_fuzzed_xml_requests_never_fail_the_server(served):
    rng = random.Random(FUZZ_SEED + 1)
    before = served.count()
    with requests.Session() as session:
        for _ in range(XML_REQUESTS):
            body = xml_request(rng)
            _check(session.post(served.csw, data=body, timeout=60,
                                headers={'Content-Type': 'application/xml'}), body)
    assert served.count() == before
