"""Pure parts of the federation: merge, record values, provenance, request rewriting, loop cache."""
from __future__ import annotations

import os
import time

from conftest import FIXTURES
from lxml import etree

from hubcat.federation.csw_request import parse_kvp, parse_xml, peer_request
from hubcat.federation.fanout import SeenRequests, merge, plan
from hubcat.federation.peer_client import FAILED, OK, PeerAnswer, PeerRecord
from hubcat.federation.peers import LOCAL, Peer
from hubcat.federation.provenance import PEER_SLOT, peer_of, tag_record
from hubcat.federation.record_values import bbox_of, identifier_of, value_of

CSW_NS = 'http://www.opengis.net/cat/csw/2.0.2'
DC_NS = 'http://purl.org/dc/elements/1.1/'
DCT_NS = 'http://purl.org/dc/terms/'
RIM_NS = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'
ISO_DIR = str(FIXTURES / 'csw_records' / 'apiso_iso')


def dc(identifier: str, title: str = None, modified: str = None) -> etree._Element:
    rec = etree.Element(f'{{{CSW_NS}}}Record', nsmap={'csw': CSW_NS, 'dc': DC_NS, 'dct': DCT_NS})
    etree.SubElement(rec, f'{{{DC_NS}}}identifier').text = identifier
    if title is not None:
        etree.SubElement(rec, f'{{{DC_NS}}}title').text = title
    if modified is not None:
        etree.SubElement(rec, f'{{{DCT_NS}}}modified').text = modified
    return rec


def answer(name: str, records: list, matched: int = None, status: str = OK) -> PeerAnswer:
    peer = Peer(name, f'http://{name}.example/csw', 5)
    recs = [PeerRecord(el, name, identifier_of(el)) for el in records]
    return PeerAnswer(peer, status, '', len(recs) if matched is None else matched, recs)


def titles(result) -> list:
    return [value_of(r.element, 'dc:title') for r in result.records]


def test_merge_removes_and_counts_duplicates_and_subtracts_them_from_matched():
    a = answer('a', [dc('1', 'A'), dc('2', 'B')], matched=2)
    b = answer('b', [dc('2', 'B'), dc('3', 'C')], matched=2)
    result = merge([a, b], [], 1, 10)
    assert [r.identifier for r in result.records] == ['1', '2', '3']
    assert [r.peer for r in result.records] == ['a', 'a', 'b']
    assert result.duplicates == 1
    assert result.matched == 3
    assert result.next_record == 0


def test_merge_sorts_across_peers_ascending_and_descending():
    a = answer('a', [dc('1', 'apple'), dc('2', 'melon')])
    b = answer('b', [dc('3', 'Banana'), dc('4', 'zucchini')])
    assert titles(merge([a, b], [('dc:title', False)], 1, 10)) == \
        ['apple', 'Banana', 'melon', 'zucchini']
    assert titles(merge([a, b], [('dc:title', True)], 1, 10)) == \
        ['zucchini', 'melon', 'Banana', 'apple']


def test_merge_puts_records_without_the_sort_value_last():
    a = answer('a', [dc('1'), dc('2', 'b')])
    b = answer('b', [dc('3', 'a')])
    for descending in (False, True):
        result = merge([a, b], [('dc:title', descending)], 1, 10)
        assert result.records[-1].identifier == '1'


def test_merge_sorts_dates_and_numbers():
    a = answer('a', [dc('1', modified='2021-05-01'), dc('2', modified='2024-01-01')])
    b = answer('b', [dc('3', modified='2023-12-31')])
    result = merge([a, b], [('dct:modified', True)], 1, 10)
    assert [r.identifier for r in result.records] == ['2', '3', '1']
    c = answer('c', [dc('x', '10'), dc('y', '9')])
    assert titles(merge([c], [('dc:title', False)], 1, 10)) == ['9', '10']


def test_merge_pages_the_merged_list_and_sets_next_record():
    a = answer('a', [dc(f'a{i}', f'a{i:02d}') for i in range(8)], matched=20)
    b = answer('b', [dc(f'b{i}', f'b{i:02d}') for i in range(8)], matched=5)
    page = merge([a, b], [('dc:title', False)], 5, 3)
    assert titles(page) == ['a04', 'a05', 'a06']
    assert (page.matched, page.returned, page.next_record) == (25, 3, 8)
    last = merge([a, b], [], 15, 3)
    assert (last.returned, last.next_record) == (2, 0)
    beyond = merge([a, b], [], 24, 3)
    assert (beyond.returned, beyond.next_record) == (0, 0)


def test_merge_ignores_failed_peers_and_counts_only_answering_ones():
    good = answer('a', [dc('1', 'x')], matched=7)
    bad = answer('b', [], matched=0, status=FAILED)
    result = merge([good, bad], [], 1, 10)
    assert result.matched == 7
    assert [r.peer for r in result.records] == ['a']


def test_merge_hits_only_returns_no_records():
    result = merge([answer('a', [dc('1')], matched=9)], [], 1, 0)
    assert (result.matched, result.returned, result.records) == (9, 0, [])


def test_merge_does_not_change_its_input():
    a = answer('a', [dc('2', 'b'), dc('1', 'a')])
    before = [etree.tostring(r.element) for r in a.records]
    merge([a], [('dc:title', False)], 1, 1)
    assert [etree.tostring(r.element) for r in a.records] == before


def test_values_of_iso_records():
    path = os.path.join(ISO_DIR, sorted(f for f in os.listdir(ISO_DIR) if f.endswith('.xml'))[0])
    iso = etree.parse(path).getroot()
    assert identifier_of(iso) == iso.findtext(
        '{http://www.isotc211.org/2005/gmd}fileIdentifier/'
        '{http://www.isotc211.org/2005/gco}CharacterString').strip()
    assert value_of(iso, 'apiso:Title')
    assert value_of(iso, 'dc:title') == value_of(iso, 'apiso:Title')


def test_provenance_dc_source_before_bounding_box():
    ows = 'http://www.opengis.net/ows'
    rec = dc('1', 'T')
    box = etree.SubElement(rec, f'{{{ows}}}BoundingBox', crs='urn:ogc:def:crs:EPSG::4326')
    etree.SubElement(box, f'{{{ows}}}LowerCorner').text = '40 10'
    etree.SubElement(box, f'{{{ows}}}UpperCorner').text = '50 20'
    tagged = tag_record(rec, 'north', 'http://north.example/csw')
    source = tagged.find(f'{{{DC_NS}}}source')
    assert source.get('scheme') == 'urn:hubcat:def:peer' and source.text == 'north'
    assert source.getnext().tag == f'{{{ows}}}BoundingBox'
    assert peer_of(tagged) == 'north' and peer_of(rec) is None
    twice = tag_record(tagged, 'hub', 'http://hub.example/csw')
    assert [s.text for s in twice.findall(f'{{{DC_NS}}}source')] == ['hub', 'north']
    assert peer_of(twice) == 'hub'
    assert bbox_of(tagged) == [10.0, 40.0, 20.0, 50.0]


def test_provenance_iso_and_ebrim():
    path = os.path.join(ISO_DIR, sorted(f for f in os.listdir(ISO_DIR) if f.endswith('.xml'))[0])
    iso = tag_record(etree.parse(path).getroot(), 'south', 'http://south.example/csw')
    mark = iso[-1]
    assert mark.tag == '{urn:hubcat}peer'
    assert (mark.get('name'), mark.get('url')) == ('south', 'http://south.example/csw')
    rim = etree.Element(f'{{{RIM_NS}}}ExtrinsicObject', id='x1', nsmap={'rim': RIM_NS})
    etree.SubElement(rim, f'{{{RIM_NS}}}Name')
    tagged = tag_record(rim, 'east', 'http://east.example/csw')
    assert tagged[0].tag == f'{{{RIM_NS}}}Slot' and tagged[0].get('name') == PEER_SLOT
    assert peer_of(tagged) == 'east'
    assert peer_of(tag_record(tagged, 'hub', 'http://hub.example/csw')) == 'hub'
    assert peer_of(tag_record(iso, 'hub', 'http://hub.example/csw')) == 'hub'
    assert identifier_of(tagged) == 'x1'


def test_kvp_getrecords_becomes_xml_with_constraint_and_sort():
    req = parse_kvp({'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecords',
                     'typenames': 'csw:Record', 'elementsetname': 'brief',
                     'resulttype': 'results', 'constraintlanguage': 'CQL_TEXT',
                     'constraint': "dc:title like '%a%'", 'sortby': 'dc:title:D',
                     'startposition': '3', 'maxrecords': '4'})
    assert (req.start_position, req.max_records, req.sort_by) == (3, 4, [('dc:title', True)])
    kind, body = peer_request(req, 1, 6, 1, 'urn:uuid:r1')
    doc = etree.fromstring(body)
    assert kind == 'xml'
    assert (doc.get('startPosition'), doc.get('maxRecords'), doc.get('requestId')) == \
        ('1', '6', 'urn:uuid:r1')
    assert doc.find(f'{{{CSW_NS}}}DistributedSearch').get('hopCount') == '1'
    assert doc.findtext(f'.//{{{CSW_NS}}}CqlText') == "dc:title like '%a%'"
    assert parse_xml(body).sort_by == [('dc:title', True)]
    _, body = peer_request(req, 1, 6, None, 'urn:uuid:r1')
    assert etree.fromstring(body).find(f'{{{CSW_NS}}}DistributedSearch') is None


def test_hop_count_is_decremented_and_seen_request_ids_are_not_propagated():
    peers = [Peer('a', 'http://a/csw', 5)]
    local = Peer('local', 'http://me/csw', 5, LOCAL)
    seen = SeenRequests()
    body = (b'<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            b'version="2.0.2" requestId="urn:r:1"><csw:DistributedSearch hopCount="3"/>'
            b'<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
            b'</csw:Query></csw:GetRecords>')
    first = plan(parse_xml(body), peers, local, seen)
    assert [p.name for p in first.peers] == ['local', 'a']
    assert (first.hop_count, first.request_id) == (2, 'urn:r:1')
    again = plan(parse_xml(body), peers, local, seen)
    assert [p.name for p in again.peers] == ['local'] and again.hop_count is None
    last_hop = plan(parse_xml(body.replace(b'hopCount="3"', b'hopCount="1"')
                              .replace(b'urn:r:1', b'urn:r:2')), peers, None, seen)
    assert last_hop.peers == []


def test_seen_requests_forget_after_ttl():
    seen = SeenRequests(ttl=0.05)
    assert seen.check_and_add('r') is False
    assert seen.check_and_add('r') is True
    time.sleep(0.1)
    assert seen.check_and_add('r') is False
