"""The federating CSW endpoint ``/federated/csw`` (a Flask blueprint) and the /csw hook.

The application keeps its :class:`hubcat.config.Config` in ``app.config['HUBCAT']``.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

from flask import Blueprint, Flask, Response, current_app, request

from hubcat.csw_request import CswRequestError, parse_kvp, requested_version
from hubcat.federation.csw_request import CswError, parse_request
from hubcat.federation.fanout import SeenRequests, distributed_search
from hubcat.federation.service import XML, answer, local_peer
from hubcat.federation.responses import PEERS_HEADER, getrecords_response, peer_status_header
from hubcat.ows import exception_report
from hubcat.federation.peer_client import http_transport
from hubcat.federation.peers import LOCAL, Peer, PeerError, default_timeout, list_peers
from hubcat.federation.self_peer import own_url_matcher

LOGGER = logging.getLogger(__name__)

bp = Blueprint('federation', __name__)

#: path of the local catalogue's CSW endpoint (main's ``hubcat.web.csw``)
LOCAL_CSW_PATH = '/csw'


def app_transport(app: Flask, own_path: Optional[Callable[[str], Optional[str]]] = None):
    """A transport that calls in-process through ``app`` the peers of origin ``local`` and
    the peers whose URL names this server (``own_path(url)`` gives the path to call), and
    the others over HTTP: a server never waits on its own workers (no deadlock, no
    starvation, however many federated clients)."""

    def send(peer: Peer, kind: str, payload, headers: dict, timeout: float) -> tuple:
        path = LOCAL_CSW_PATH if peer.origin == LOCAL else (own_path(peer.url) if own_path
                                                             else None)
        if path is None:
            return http_transport(peer, kind, payload, headers, timeout)
        with app.test_client() as client:
            if kind == 'xml':
                resp = client.post(path, data=payload, headers=headers,
                                   content_type='application/xml')
            else:
                resp = client.get(path, query_string=payload, headers=headers)
            return resp.status_code, resp.content_type or '', resp.get_data()

    return send


def request_own_path(config) -> Callable[[str], Optional[str]]:
    """:func:`hubcat.federation.self_peer.own_url_matcher` for the request being served."""
    return own_url_matcher(request.host_url, request.environ, config.get('server', 'url') or '')


def seen_requests() -> SeenRequests:
    """This application's cache of request ids (one per app, so two apps in one
    process behave like two catalogues)."""
    return current_app.extensions.setdefault('hubcat_seen_requests', SeenRequests())


@bp.route('/federated/csw', methods=['GET', 'POST'])
def federated_csw():
    """Answer a CSW request by asking every peer at once and merging their answers."""
    config = current_app.config['HUBCAT']
    app = current_app._get_current_object()
    body = request.get_data() if request.method == 'POST' else b''
    try:   # the same KVP rules as /csw: a parameter named twice (in any case) is refused
        args = parse_kvp(request.query_string.decode('latin-1'))
    except CswRequestError as err:
        status, ctype, content, headers = err.answer(
            requested_version(request.query_string, body))
        return Response(content, status=status, content_type=ctype, headers=headers)
    local = local_peer(config, request.host_url.rstrip('/') + LOCAL_CSW_PATH)
    status, ctype, content, headers = answer(
        config, request.method, args, body, request.headers, request.base_url,
        local, app_transport(app, request_own_path(config)), seen_requests())
    return Response(content, status=status, content_type=ctype, headers=headers)


def _asks_distributed_search(csw_request) -> bool:
    """Whether a parsed /csw request may be a GetRecords with DistributedSearch (the KVP
    parameter, or the element in the UTF-8 body HubCat re-serialised)."""
    if csw_request.operation.lower() != 'getrecords':
        return False
    if csw_request.method == 'GET':
        return 'distributedsearch' in csw_request.kvp
    return b'DistributedSearch' in csw_request.body


def csw_distributed_hook(config, csw_request, flask_request):
    """A ``hubcat.web.csw.REQUEST_HOOKS`` hook: CSW DistributedSearch at the local /csw.

    Returns None (pycsw answers alone) unless the request is a GetRecords with
    DistributedSearch hopCount > 1 whose request id is new; then the peers and
    the local holdings (asked in-process without DistributedSearch) are
    searched at once with hopCount - 1 and the same request id, and the merged
    answer is returned as ``(status, content_type, body, headers)``.
    """
    if not _asks_distributed_search(csw_request):
        return None   # nearly every request: no second parse of it
    try:   # the request /csw parsed and checked, not a second reading of the HTTP request
        req = parse_request(csw_request.method, csw_request.kvp, csw_request.body)
    except CswError:
        return None  # pycsw reports its own errors
    if req.operation != 'GetRecords' or req.hop_count is None or req.hop_count <= 1:
        return None
    try:
        peers = list_peers(config)
        local = Peer('local', flask_request.base_url, default_timeout(config), LOCAL)
    except PeerError as err:
        return 500, XML, exception_report('NoApplicableCode', 'peers', str(err), req.version), {}
    app = current_app._get_current_object()
    result = distributed_search(req, peers, local, app_transport(app, request_own_path(config)),
                                seen_requests())
    if result is None:
        return None
    merged, answers, chosen = result
    body = getrecords_response(req, merged, answers, chosen.request_id, chosen.note)
    return 200, XML, body, {PEERS_HEADER: peer_status_header(answers)}
