"""Answer one CSW request at the federating endpoint: parse, fan out, merge, write XML.

Web-framework free: :func:`answer` takes the request's parts and returns
``(status, content_type, body, headers)``; the Flask blueprint in
:mod:`hubcat.web.federation` is one call to it.
"""
from __future__ import annotations

import logging
from typing import Mapping, Optional

from hubcat.config import Config
from hubcat.csw_paging import max_records_cap
from hubcat.federation.csw_request import CswError, CswRequest, parse_request
from hubcat.federation.fanout import SEEN_REQUESTS, SeenRequests, federate, lookup
from hubcat.federation.capabilities import capabilities
from hubcat.ows import exception_report
from hubcat.federation.responses import (PEERS_HEADER, getrecordbyid_response,
                                   getrecords_response, peer_status_comment,
                                   peer_status_header)
from hubcat.federation.peer_client import (HOP_COUNT_HEADER, OK, REQUEST_ID_HEADER, Transport,
                                http_transport)
from hubcat.federation.peers import LOCAL, Peer, PeerError, default_timeout, list_peers

LOGGER = logging.getLogger(__name__)

XML = 'application/xml; charset=UTF-8'


def include_local(config: Config) -> bool:
    """``[hubcat:federation] include_local``: ask this catalogue's own /csw as one more peer."""
    value = config.get('hubcat:federation', 'include_local', 'false') or 'false'
    return value.strip().lower() in ('1', 'true', 'yes', 'on')


def local_peer(config: Config, csw_url: str) -> Optional[Peer]:
    """The local catalogue as a peer named ``local`` when ``include_local`` is on, else None."""
    if not include_local(config):
        return None
    return Peer('local', csw_url, default_timeout(config), LOCAL)


def answer(config: Config, method: str, args: Mapping[str, str], body: bytes,
           headers: Mapping[str, str], url: str, local: Optional[Peer] = None,
           transport: Transport = http_transport,
           seen: SeenRequests = SEEN_REQUESTS) -> tuple[int, str, bytes, dict]:
    """Answer a CSW request sent to the federating endpoint at ``url``."""
    version = '2.0.2'
    try:
        req = parse_request(method, args, body)
        version = req.version
        req.max_records = min(req.max_records, max_records_cap(config))
        peers = list_peers(config)
        if req.operation == 'GetCapabilities':
            return 200, XML, capabilities(config, url, peers, req.version), {}
        if req.operation == 'GetRecordById':
            return _get_record_by_id(req, peers, local, headers, transport, seen)
        return _get_records(req, peers, local, headers, transport, seen)
    except CswError as err:
        return err.status, XML, exception_report(err.code, err.locator, err.text, version), {}
    except PeerError as err:
        LOGGER.error('peer configuration: %s', err)
        return 500, XML, exception_report('NoApplicableCode', 'peers',
                                          f'peer configuration is wrong: {err}', version), {}


def _get_records(req: CswRequest, peers: list, local: Optional[Peer], headers: Mapping,
                 transport: Transport, seen: SeenRequests) -> tuple[int, str, bytes, dict]:
    merged, answers, chosen = federate(
        req, peers, local, transport, seen, header_hop=_int(headers.get(HOP_COUNT_HEADER)),
        header_request_id=headers.get(REQUEST_ID_HEADER))
    out_headers = {PEERS_HEADER: peer_status_header(answers)}
    if answers and not any(a.status == OK for a in answers):
        return _no_peer_answered(req, answers, out_headers)
    body = getrecords_response(req, merged, answers, chosen.request_id, chosen.note)
    return 200, XML, body, out_headers


def _get_record_by_id(req: CswRequest, peers: list, local: Optional[Peer], headers: Mapping,
                      transport: Transport, seen: SeenRequests) -> tuple[int, str, bytes, dict]:
    record, answers, _ = lookup(req, peers, local, transport, seen,
                                header_hop=_int(headers.get(HOP_COUNT_HEADER)),
                                header_request_id=headers.get(REQUEST_ID_HEADER))
    out_headers = {PEERS_HEADER: peer_status_header(answers)}
    if record is None and answers and not any(a.status == OK for a in answers):
        return _no_peer_answered(req, answers, out_headers)
    status, body = getrecordbyid_response(req, record, answers)
    return status, XML, body, out_headers


def _no_peer_answered(req: CswRequest, answers: list, headers: dict) -> tuple:
    """HTTP 502 with an OWS ExceptionReport naming every peer's failure."""
    text = 'no peer answered: ' + '; '.join(f'{a.peer.name} {a.status} ({a.reason})'
                                             for a in answers)
    return 502, XML, exception_report('NoApplicableCode', 'peers', text, req.version,
                                      peer_status_comment(answers)), headers


def _int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
