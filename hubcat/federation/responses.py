"""Write the federating endpoint's CSW responses: GetRecords and GetRecordById.

Every response reports the peers twice: in the ``X-HubCat-Peers`` HTTP header
(``name=status`` pairs joined by ``;``, see :func:`peer_status_header`) and in an
XML comment as the first child of the response element, one line per peer::

    <!-- hubcat:peers
      pycsw-a ok matched=29 fetched=10 elapsed=0.150s url=http://.../csw
      slow timeout matched=0 fetched=0 elapsed=5.000s url=http://... reason: no answer within 5 s
    -->

A comment keeps the response valid against the CSW schemas (clients that
validate see nothing new); the header serves clients that do not read XML.  When no peer answered, the
same comment goes into the OWS ExceptionReport (:func:`hubcat.ows.exception_report`).
"""
from __future__ import annotations

import logging
from typing import Optional

from lxml import etree

from hubcat.federation.csw_request import CSW, CSW30, NAMESPACES, CswRequest
from hubcat.ows import exception_report
from hubcat.times import iso, utcnow
from hubcat.federation.provenance import tag_record

LOGGER = logging.getLogger(__name__)

PEERS_HEADER = 'X-HubCat-Peers'
OWS10 = 'http://www.opengis.net/ows'
OWS20 = 'http://www.opengis.net/ows/2.0'
XSI = NAMESPACES['xsi']
_NSMAP = {'csw': CSW, 'dc': NAMESPACES['dc'], 'dct': NAMESPACES['dct'], 'ows': OWS10,
          'gmd': NAMESPACES['gmd'], 'xsi': XSI}
_NSMAP30 = {'csw30': CSW30, 'dc': NAMESPACES['dc'], 'dct': NAMESPACES['dct'], 'ows20': OWS20,
            'gmd': NAMESPACES['gmd'], 'xsi': XSI}


def peer_status_header(answers: list) -> str:
    """``name=status;name=status`` for the ``X-HubCat-Peers`` header (answers in peer order)."""
    return ';'.join(f'{a.peer.name}={a.status}' for a in answers)


def peer_status_comment(answers: list, note: str = '') -> etree._Comment:
    """The XML comment that lists every peer's status, counts, time, URL and reason."""
    lines = [' hubcat:peers']
    if note:
        lines.append(f'  note: {note}')
    for a in answers:
        line = (f'  {a.peer.name} {a.status} matched={a.matched} fetched={len(a.records)} '
                f'elapsed={a.elapsed:.3f}s url={a.peer.url}')
        if a.reason:
            line += f' reason: {a.reason}'
        lines.append(line)
    text = '\n'.join(lines) + '\n'
    return etree.Comment(text.replace('--', '- -'))


def getrecords_response(req: CswRequest, merged, answers: list, request_id: Optional[str],
                        note: str = '', pretty: bool = True) -> bytes:
    """A GetRecordsResponse (2.0.2 or 3.0.0) of the merged page, records tagged with their peer."""
    v3 = req.version == '3.0.0'
    ns = CSW30 if v3 else CSW
    root = etree.Element(f'{{{ns}}}GetRecordsResponse', nsmap=_NSMAP30 if v3 else _NSMAP,
                         version=req.version)
    root.append(peer_status_comment(answers, note))
    if request_id and not v3:
        etree.SubElement(root, f'{{{ns}}}RequestId').text = request_id
    etree.SubElement(root, f'{{{ns}}}SearchStatus', timestamp=iso(utcnow()))
    schema = next((a.record_schema for a in answers if a.record_schema), req.output_schema)
    results = etree.SubElement(root, f'{{{ns}}}SearchResults',
                               numberOfRecordsMatched=str(merged.matched),
                               numberOfRecordsReturned=str(merged.returned),
                               nextRecord=str(merged.next_record),
                               recordSchema=schema, elementSet=req.element_set)
    if v3:
        results.set('status', 'subset' if merged.next_record else 'complete')
    urls = {a.peer.name: a.peer.url for a in answers}
    for record in merged.records:
        results.append(tag_record(record.element, record.peer, urls.get(record.peer, '')))
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=pretty)


def getrecordbyid_response(req: CswRequest, record, answers: list,
                           pretty: bool = True) -> tuple[int, bytes]:
    """(HTTP status, body) of a GetRecordById: the record tagged with its peer.

    CSW 2.0.2 wraps it in ``csw:GetRecordByIdResponse`` (empty when no peer has
    it); CSW 3.0.0 returns the record itself, or a ``NotFound`` ExceptionReport.
    """
    urls = {a.peer.name: a.peer.url for a in answers}
    comment = peer_status_comment(answers)
    if req.version == '3.0.0':
        if record is None:
            return 404, exception_report('NotFound', 'id', f'no peer has {", ".join(req.ids)}',
                                         '3.0.0', comment)
        root = tag_record(record.element, record.peer, urls.get(record.peer, ''))
        doc = etree.ElementTree(root)
        root.addprevious(comment)  # a comment before the root element
        return 200, etree.tostring(doc, xml_declaration=True, encoding='UTF-8',
                                   pretty_print=pretty)
    root = etree.Element(f'{{{CSW}}}GetRecordByIdResponse', nsmap=_NSMAP)
    root.append(comment)
    if record is not None:
        root.append(tag_record(record.element, record.peer, urls.get(record.peer, '')))
    return 200, etree.tostring(root, xml_declaration=True, encoding='UTF-8',
                               pretty_print=pretty)
