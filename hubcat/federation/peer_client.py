"""Ask one peer catalogue: send a CSW request, page through its answer, read it safely.

Every HTTP call gets a ``requests`` timeout of what is left of the peer's
deadline; requests' timeout is per socket operation, so the caller
(:mod:`hubcat.federation.fanout`) also enforces the wall-clock deadline and abandons
a peer that trickles.  Nothing here raises for a peer's fault: the outcome is
a :class:`PeerAnswer` with status ``ok``, ``failed`` or ``timeout`` and a reason.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import requests
from lxml import etree

from harvesters.http import USER_AGENT, safe_xml_parser
from hubcat.federation.csw_request import CSW, CSW30, CswRequest, peer_request
from hubcat.federation.peers import Peer
from hubcat.federation.record_values import identifier_of

LOGGER = logging.getLogger(__name__)

OK, FAILED, TIMEOUT = 'ok', 'failed', 'timeout'
OWS_NAMESPACES = ('http://www.opengis.net/ows', 'http://www.opengis.net/ows/1.1',
                  'http://www.opengis.net/ows/2.0')
REQUEST_ID_HEADER = 'X-HubCat-Request-Id'
HOP_COUNT_HEADER = 'X-HubCat-Hop-Count'
MAX_PAGES = 100
MAX_BYTES = 50 * 1024 * 1024


class PeerFailure(Exception):
    """A peer answered, but not with what was asked; the message is the reason."""


@dataclass
class PeerRecord:
    """One record a peer returned, with the identifier used to remove duplicates."""
    element: etree._Element
    peer: str
    identifier: Optional[str]


@dataclass
class PeerAnswer:
    """What one peer answered (or why it did not).

    :param status: ``ok``, ``failed`` or ``timeout``
    :param matched: the peer's numberOfRecordsMatched
    :param records: the records fetched, in the peer's order
    :param elapsed: seconds from the first request to the last answer
    """
    peer: Peer
    status: str = OK
    reason: str = ''
    matched: int = 0
    records: list = field(default_factory=list)
    elapsed: float = 0.0
    record_schema: str = ''

    def summary(self) -> dict:
        """The status as a JSON-ready dict (name, url, status, reason, matched, fetched, elapsed)."""
        return {'name': self.peer.name, 'url': self.peer.url, 'status': self.status,
                'reason': self.reason, 'matched': self.matched, 'fetched': len(self.records),
                'elapsed': round(self.elapsed, 3)}


#: send(peer, kind, payload, headers, timeout) -> (status, content_type, content); raises
#: requests exceptions.  The default speaks HTTP; the local catalogue is called in-process.
Transport = Callable[[Peer, str, object, dict, float], tuple]


def http_transport(peer: Peer, kind: str, payload, headers: dict, timeout: float) -> tuple:
    """Send a request over HTTP with a connect and per-read timeout of ``timeout`` seconds."""
    headers = dict(headers, **{'User-Agent': USER_AGENT})
    with requests.Session() as session:
        if kind == 'xml':
            headers['Content-Type'] = 'application/xml'
            resp = session.post(peer.url, data=payload, headers=headers, timeout=timeout,
                                stream=True)
        else:
            resp = session.get(peer.url, params=payload, headers=headers, timeout=timeout,
                               stream=True)
        try:
            content = _read_bounded(resp, time.monotonic() + timeout)
        except requests.exceptions.ConnectionError as err:
            if 'timed out' in str(err):  # a read timeout while streaming the body
                raise requests.exceptions.Timeout(str(err)) from None
            raise
    return resp.status_code, resp.headers.get('Content-Type', ''), content


def _read_bounded(resp: requests.Response, deadline: float) -> bytes:
    """The body, at most MAX_BYTES, read before ``deadline`` (a peer that trickles is cut)."""
    chunks, size = [], 0
    for chunk in resp.iter_content(65536):
        if time.monotonic() > deadline:
            resp.close()
            raise requests.exceptions.Timeout('answer not complete within the deadline')
        size += len(chunk)
        if size > MAX_BYTES:
            raise PeerFailure(f'answer larger than {MAX_BYTES // (1024 * 1024)} MB')
        chunks.append(chunk)
    return b''.join(chunks)


def query_peer(peer: Peer, req: CswRequest, wanted: int, deadline: float,
               hop_count: Optional[int], request_id: str,
               transport: Transport = http_transport) -> PeerAnswer:
    """Ask ``peer`` for the first ``wanted`` records of ``req`` (0: the count only).

    Pages from position 1 through a peer whose server caps maxRecords, until it
    has ``wanted`` records, the peer has no more, or ``deadline``
    (``time.monotonic()``) passes.
    """
    started = time.monotonic()
    answer = PeerAnswer(peer)
    headers = _headers(hop_count, request_id)
    position = 1
    try:
        for _ in range(MAX_PAGES):
            ask = max(wanted - len(answer.records), 0)
            kind, payload = peer_request(req, position, ask, hop_count, request_id)
            root = _call(peer, transport, kind, payload, headers, deadline)
            matched, returned, next_record, records, schema = read_getrecords(root)
            answer.matched, answer.record_schema = matched, schema
            answer.records.extend(PeerRecord(el, peer.name, identifier_of(el)) for el in records)
            if (ask == 0 or len(answer.records) >= wanted or returned == 0
                    or next_record <= position or next_record > matched):
                break
            position = next_record
        del answer.records[wanted:]
    except requests.exceptions.Timeout:
        answer.status, answer.reason = TIMEOUT, f'no answer within {peer.timeout:g} s'
    except requests.exceptions.ConnectionError as err:
        answer.status, answer.reason = FAILED, f'cannot connect: {_reason(err)}'
    except (requests.exceptions.RequestException, PeerFailure) as err:
        answer.status, answer.reason = FAILED, _reason(err)
    answer.elapsed = time.monotonic() - started
    if answer.status != OK:
        answer.records = []
    return answer


def fetch_record(peer: Peer, req: CswRequest, deadline: float, hop_count: Optional[int],
                 request_id: str, transport: Transport = http_transport) -> PeerAnswer:
    """Ask ``peer`` for a GetRecordById; ``records`` holds what it found (possibly nothing).

    GetRecordById has no DistributedSearch: the hop count and request id travel
    in the ``X-HubCat-Hop-Count`` and ``X-HubCat-Request-Id`` headers.
    """
    started = time.monotonic()
    answer = PeerAnswer(peer)
    try:
        kind, payload = peer_request(req, 1, 0, None, request_id)
        root = _call(peer, transport, kind, payload, _headers(hop_count, request_id), deadline)
        if etree.QName(root).localname == 'GetRecordByIdResponse':
            elements = [el for el in root if isinstance(el.tag, str)]
        else:  # CSW 3.0.0 answers with the record itself
            elements = [root]
        answer.records = [PeerRecord(el, peer.name, identifier_of(el)) for el in elements]
        answer.matched = len(answer.records)
    except requests.exceptions.Timeout:
        answer.status, answer.reason = TIMEOUT, f'no answer within {peer.timeout:g} s'
    except requests.exceptions.ConnectionError as err:
        answer.status, answer.reason = FAILED, f'cannot connect: {_reason(err)}'
    except PeerFailure as err:
        if 'NotFound' in str(err):  # CSW 3.0.0: an unknown id is an exception
            answer.reason = 'not found'
        else:
            answer.status, answer.reason = FAILED, _reason(err)
    except requests.exceptions.RequestException as err:
        answer.status, answer.reason = FAILED, _reason(err)
    answer.elapsed = time.monotonic() - started
    return answer


def _headers(hop_count: Optional[int], request_id: str) -> dict:
    headers = {REQUEST_ID_HEADER: request_id}
    if hop_count is not None:
        headers[HOP_COUNT_HEADER] = str(hop_count)
    return headers


def _call(peer: Peer, transport: Transport, kind: str, payload, headers: dict,
          deadline: float) -> etree._Element:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise requests.exceptions.Timeout('deadline passed')
    status, content_type, content = transport(peer, kind, payload, headers, remaining)
    root = parse_answer(content, status, content_type)
    return root


def parse_answer(content: bytes, status: int = 200, content_type: str = '') -> etree._Element:
    """The XML root of a peer's answer.

    :raises PeerFailure: if it is not XML, is an OWS ExceptionReport, or an HTTP error
    """
    try:
        root = etree.fromstring(content, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        what = content_type.split(';')[0] or 'no content type'
        raise PeerFailure(f'HTTP {status}, not XML ({what}): '
                          f'{_snippet(content)}') from None
    if root is None:
        raise PeerFailure(f'HTTP {status}, empty answer')
    qname = etree.QName(root)
    if qname.localname == 'ExceptionReport' and qname.namespace in OWS_NAMESPACES:
        raise PeerFailure('ExceptionReport: ' + exception_text(root))
    if status >= 400:
        raise PeerFailure(f'HTTP {status}')
    return root


def exception_text(root: etree._Element) -> str:
    """``code (locator): text`` of the first exception of an OWS ExceptionReport."""
    for exc in root:
        if not isinstance(exc.tag, str):
            continue
        texts = [t.text.strip() for t in exc if isinstance(t.tag, str) and t.text]
        locator = f' ({exc.get("locator")})' if exc.get('locator') else ''
        return f'{exc.get("exceptionCode", "")}{locator}: {" ".join(texts)}'[:300]
    return 'no exception text'


def read_getrecords(root: etree._Element) -> tuple[int, int, int, list, str]:
    """(matched, returned, nextRecord, records, recordSchema) of a GetRecordsResponse.

    :raises PeerFailure: when it is not a GetRecordsResponse
    """
    results = None
    if etree.QName(root).localname == 'GetRecordsResponse':
        results = root.find(f'{{{CSW}}}SearchResults')
        if results is None:
            results = root.find(f'{{{CSW30}}}SearchResults')
    if results is None:
        raise PeerFailure(f'not a GetRecordsResponse: {etree.QName(root).localname}')
    try:
        matched = int(results.get('numberOfRecordsMatched', '0'))
        returned = int(results.get('numberOfRecordsReturned', '0'))
        next_record = int(results.get('nextRecord', '0') or 0)
    except ValueError:
        raise PeerFailure('SearchResults with non-numeric counts') from None
    records = [el for el in results if isinstance(el.tag, str)]
    return matched, returned, next_record, records, results.get('recordSchema', '')


def probe_capabilities(url: str, timeout: float) -> Optional[str]:
    """Why ``url`` does not answer a CSW GetCapabilities, or None if it does."""
    peer = Peer('probe', url, timeout)
    params = {'service': 'CSW', 'request': 'GetCapabilities'}
    try:
        status, ctype, content = http_transport(peer, 'kvp', params, {}, timeout)
        root = parse_answer(content, status, ctype)
    except requests.exceptions.Timeout:
        return f'no answer within {timeout:g} s'
    except requests.exceptions.ConnectionError as err:
        return f'cannot connect: {_reason(err)}'
    except (requests.exceptions.RequestException, PeerFailure) as err:
        return _reason(err)
    if etree.QName(root).localname != 'Capabilities':
        return f'answers {etree.QName(root).localname}, not CSW Capabilities'
    return None


def _snippet(content: bytes) -> str:
    text = content[:80].decode('utf-8', 'replace').replace('\n', ' ').strip()
    return repr(text) if text else 'empty'


def _reason(err: Exception) -> str:
    text = str(err)
    for marker in ('Connection refused', 'Name or service not known', 'timed out',
                   'Temporary failure in name resolution', 'No route to host'):
        if marker in text:
            return marker
    return text.split('\n')[0][:200]
