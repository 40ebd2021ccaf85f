"""Run a distributed search (OGC API - Records Part 4 draft) for the JSON endpoints.

``/api/search?distributedSearch=true`` and
``/records/collections/{id}/items?distributedSearch=true`` both call :func:`run`: the
CSW GetRecords of the search goes to every catalogue at once (the local one in-process,
each with its timeout, as the federated CSW endpoint does), and the answers become the
document of :func:`hubcat.oarec.federated.federated_document`.  Records of the local
catalogue are rendered from their stored rows (with every HubCat link); records of the
others from the CSW records they returned.
"""
from __future__ import annotations

from typing import Optional

from flask import current_app

from hubcat.config import Config
from hubcat.federation.csw_request import parse_xml
from hubcat.federation.fanout import federate
from hubcat.federation.peer_client import OK
from hubcat.federation.peers import LOCAL, Peer
from hubcat.federation.responses import PEERS_HEADER, peer_status_header
from hubcat.oarec.federated import federated_document
from hubcat.oarec.geojson import record_feature
from hubcat.oarec.peer_records import CATALOGUE_PROPERTY, peer_feature
from hubcat.oarec.search import rows_by_identifier
from hubcat.web.federation import app_transport, request_own_path, seen_requests


def catalogue_title(config: Config) -> str:
    """This catalogue's title (``[metadata:main] identification_title``)."""
    return config.parser.get('metadata:main', 'identification_title', fallback='HubCat')


def run(config: Config, getrecords: bytes, peers: list, local: Optional[Peer], base: str,
        collection: str, offset: int, limit: int,
        links: Optional[list] = None) -> tuple[dict, int, dict]:
    """(document, HTTP status, headers) of a distributed search.

    :param getrecords: the CSW 2.0.2 GetRecords XML (startPosition ``offset + 1``,
        maxRecords ``limit``) every catalogue is asked
    :param peers: the peer catalogues to ask
    :param local: this catalogue as a peer (asked first, in-process), or None
    :param base: this server's URL (links of local records)
    :param collection: the collection local records link to
    :returns: status 502 when no catalogue answered, else 200; the ``X-HubCat-Peers`` header
    """
    app = current_app._get_current_object()
    merged, answers, _ = federate(parse_xml(getrecords), peers, local,
                                  app_transport(app, request_own_path(config)),
                                  seen_requests())
    local_names = {a.peer.name for a in answers if a.peer.origin == LOCAL}
    wanted = [r.identifier for a in answers if a.peer.name in local_names
              for r in a.records if r.identifier]
    rows = {row.identifier: row for row in rows_by_identifier(config, wanted)}
    urls = {a.peer.name: a.peer.url for a in answers}

    def feature(record) -> dict:
        row = rows.get(record.identifier) if record.peer in local_names else None
        if row is None:
            return peer_feature(record.element, record.identifier, record.peer,
                                urls[record.peer])
        found = record_feature(row, base, collection)
        found['properties'][CATALOGUE_PROPERTY] = record.peer
        return found

    titles = {name: catalogue_title(config) for name in local_names}
    document = federated_document(merged, answers, feature, titles, offset, limit, links)
    status = 200
    if not answers:
        document['error'] = 'no peers are configured'
    elif not any(a.status == OK for a in answers):
        document['error'] = 'no catalogue answered'
        status = 502
    return document, status, {PEERS_HEADER: peer_status_header(answers)}
