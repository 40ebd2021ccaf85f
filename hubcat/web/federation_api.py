"""JSON routes of the federation: ``/api/search`` and ``/api/peers`` (a Flask blueprint ``bp``).

Writes (POST /api/peers, DELETE /api/peers/<name>) need
``Authorization: Bearer <token>`` with ``Config.admin_token``; with no token
configured every write is refused (403).  Errors are JSON ``{"error": ...}``
with a status code: 400 bad input, 401 no/wrong token, 403 writes disabled,
404 unknown peer, 409 name taken or peer set in the configuration file.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, json, jsonify, request

from hubcat.auth import admin_refusal
from hubcat.csw_request import CswRequestError, parse_kvp
from hubcat.federation.csw_request import parse_xml
from hubcat.federation.fanout import federate
from hubcat.federation.service import local_peer
from hubcat.federation.peer_client import OK
from hubcat.federation.peers import (PeerConflict, PeerError, PeerNotFound, add_peer, list_peers,
                          remove_peer)
from hubcat.federation.record_values import bbox_of, value_of
from hubcat.federation.search_query import SearchError, build_getrecords, parse_bbox, parse_limit
from hubcat.oarec.federated import chosen_peers, distributed
from hubcat.oarec.geojson import GEOJSON
from hubcat.oarec.params import ParameterError
from hubcat.web import distributed as distributed_search
from hubcat.web.api import error_response
from hubcat.web.federation import LOCAL_CSW_PATH, app_transport, request_own_path, seen_requests

LOGGER = logging.getLogger(__name__)

bp = Blueprint('federation_api', __name__)


_error = error_response


def _refusal():
    """None if the request carries the admin token, else the JSON error to answer."""
    refusal = admin_refusal(current_app.config['HUBCAT'], request.headers)
    if refusal is None:
        return None
    return _error(refusal.status, refusal.message, refusal.headers)


@bp.get('/api/peers')
def peers_list():
    """Every peer: name, url, timeout, origin (config or database)."""
    try:
        peers = list_peers(current_app.config['HUBCAT'])
    except PeerError as err:
        return _error(500, f'peer configuration is wrong: {err}')
    return jsonify(peers=[p.as_dict() for p in peers])


@bp.post('/api/peers')
def peers_add():
    """Add a peer from JSON ``{"url": ..., "name": ..., "timeout": ...}`` (admin)."""
    refused = _refusal()
    if refused:
        return refused
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data.get('url'):
        return _error(400, 'expected a JSON object with at least "url"')
    try:
        peer, warnings = add_peer(current_app.config['HUBCAT'], data['url'], data.get('name'),
                                  data.get('timeout'))
    except PeerConflict as err:
        return _error(409, str(err))
    except PeerError as err:
        return _error(400, str(err))
    return jsonify(peer=peer.as_dict(), warnings=warnings), 201


@bp.delete('/api/peers/<name>')
def peers_remove(name: str):
    """Remove a run-time peer (admin)."""
    refused = _refusal()
    if refused:
        return refused
    try:
        peer = remove_peer(current_app.config['HUBCAT'], name)
    except PeerNotFound as err:
        return _error(404, str(err))
    except PeerConflict as err:
        return _error(409, str(err))
    return jsonify(removed=peer.as_dict())


@bp.get('/api/search')
def search():
    """Federated search as JSON: ``?q=&bbox=&type=&status=&limit=``.

    Answers ``{matched, returned, duplicates, records: [{identifier, title,
    type, bbox, peer}], peers: [{name, url, status, reason, matched, returned,
    elapsed}]}``; 502 when no peer answered.  With ``distributedSearch=true``
    (and optionally ``federatedCatalogs=name,...``) it answers the OGC API -
    Records Part 4 (draft) shape instead: a GeoJSON FeatureCollection of the
    merged records with ``federatedSearchResults`` (see
    :mod:`hubcat.oarec.federated`).
    """
    config = current_app.config['HUBCAT']
    try:   # one value per parameter, no character XML cannot carry (as /csw)
        args = parse_kvp(request.query_string.decode('latin-1'))
    except CswRequestError as err:
        return _error(400, err.text)
    try:
        bbox = parse_bbox(args['bbox']) if args.get('bbox') else None
        part4 = distributed(args)
        limit = parse_limit(args.get('limit'))
        xml = build_getrecords(args.get('q', ''), bbox, args.get('type', ''),
                               args.get('status', ''), limit, 'full' if part4 else 'brief')
        peers = list_peers(config)
        if part4:
            peers = chosen_peers(args, peers)
    except (SearchError, ParameterError) as err:
        return _error(400, str(err))
    except PeerError as err:
        return _error(500, f'peer configuration is wrong: {err}')
    base = request.host_url.rstrip('/')
    local = local_peer(config, base + LOCAL_CSW_PATH)
    if part4:
        document, status, headers = distributed_search.run(
            config, xml, peers, local, base, 'all', 0, limit,
            [{'rel': 'self', 'type': GEOJSON, 'title': 'This search', 'href': request.url}])
        return current_app.response_class(json.dumps(document), status=status,
                                          headers=headers, content_type=GEOJSON)
    app = current_app._get_current_object()
    merged, answers, _ = federate(parse_xml(xml), peers, local,
                                  app_transport(app, request_own_path(config)), seen_requests())
    body = {
        'matched': merged.matched, 'returned': merged.returned,
        'duplicates': merged.duplicates,
        'records': [{'identifier': r.identifier,
                     'title': value_of(r.element, 'title'),
                     'type': value_of(r.element, 'type'),
                     'bbox': bbox_of(r.element),
                     'peer': r.peer} for r in merged.records],
        'peers': [a.summary() for a in answers],
    }
    status = 502 if answers and not any(a.status == OK for a in answers) else 200
    if not answers:
        body['error'] = 'no peers are configured'
    return jsonify(body), status
