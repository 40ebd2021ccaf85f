"""OGC API - Records (Part 1: Core) under ``/records``: JSON/GeoJSON and HTML.

``/records`` is the landing page; ``/csw`` is unchanged.  Each response is JSON unless
``f=html`` is given or a browser asks for HTML first (``Accept``).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, json, render_template, request

from hubcat.federation.peers import LOCAL, Peer, PeerError, default_timeout, list_peers
from hubcat.oarec import documents
from hubcat.oarec.federated import PARAMETERS, chosen_peers, distributed
from hubcat.oarec.geojson import GEOJSON, record_feature
from hubcat.oarec.params import ParameterError, parse_items_query
from hubcat.oarec.search import (COLLECTIONS, SearchFailed, getrecords, rows_by_identifier,
                                  search)
from hubcat.repository import dbtype
from hubcat.times import iso, utcnow
from hubcat.web import distributed as distributed_search

bp = Blueprint('records', __name__, url_prefix='/records', template_folder='templates')


class NotFound(Exception):
    """No such collection or record."""


def wants_html() -> bool:
    """True for ``f=html`` or a browser that prefers HTML; ``f=json`` always means JSON."""
    f = request.args.get('f', '')
    if f in ('json', 'geojson'):
        return False
    if f == 'html':
        return True
    best = request.accept_mimetypes.best_match(['application/json', GEOJSON, 'text/html'])
    return best == 'text/html'


def base_url() -> str:
    """The server's URL without a trailing slash (``[server] url`` host when configured)."""
    return request.host_url.rstrip('/')


def respond(document: dict, template: str, content_type: str = 'application/json',
            status: int = 200) -> Response:
    """The document as JSON, or rendered by ``records/<template>.html``."""
    if wants_html():
        return Response(render_template(f'records/{template}.html', doc=document,
                                        title=document.get('title', 'HubCat')),
                        status=status, content_type='text/html; charset=utf-8')
    return Response(json.dumps(document, ensure_ascii=False), status=status,
                    content_type=content_type)


def _collection_id(collection_id: str) -> str:
    if collection_id not in COLLECTIONS:
        raise NotFound(f'no collection {collection_id!r}; collections: '
                       + ', '.join(COLLECTIONS))
    return collection_id


@bp.errorhandler(ParameterError)
def _bad_parameter(err: ParameterError):
    return respond({'code': 'InvalidParameterValue', 'description': str(err),
                    'parameter': err.parameter, 'title': 'Bad request'}, 'error', status=400)


@bp.errorhandler(SearchFailed)
def _search_failed(err: SearchFailed):
    return respond({'code': 'InvalidParameterValue', 'description': str(err),
                    'title': 'Bad request'}, 'error', status=400)


@bp.errorhandler(NotFound)
def _not_found(err: NotFound):
    return respond({'code': 'NotFound', 'description': str(err), 'title': 'Not found'},
                   'error', status=404)


@bp.get('')
@bp.get('/')
def landing():
    """The landing page."""
    config = current_app.config['HUBCAT']
    title = config.parser.get('metadata:main', 'identification_title', fallback='HubCat')
    return respond(documents.landing_page(base_url(), title), 'landing')


@bp.get('/conformance')
def conformance():
    """The conformance declaration."""
    config = current_app.config['HUBCAT']
    document = documents.conformance(dbtype(config.database_url, config.table))
    return respond(dict(document, title='Conformance'), 'conformance')


@bp.get('/openapi')
def openapi():
    """The OpenAPI 3.0 document."""
    return Response(json.dumps(documents.openapi(base_url())), content_type=documents.OPENAPI)


@bp.get('/collections')
def collections():
    """The record collections."""
    return respond(dict(documents.collections(base_url()), title='Collections'), 'collections')


@bp.get('/collections/<collection_id>')
def collection(collection_id: str):
    """One collection."""
    return respond(documents.collection(base_url(), _collection_id(collection_id)),
                   'collection')


@bp.get('/collections/<collection_id>/queryables')
def queryables(collection_id: str):
    """The queryables of a collection (a JSON schema)."""
    document = documents.queryables_document(base_url(), _collection_id(collection_id))
    return respond(document, 'queryables', 'application/schema+json')


@bp.get('/collections/<collection_id>/sortables')
def sortables(collection_id: str):
    """The sortables of a collection (a JSON schema)."""
    document = documents.sortables_document(base_url(), _collection_id(collection_id))
    return respond(document, 'queryables', 'application/schema+json')


@bp.get('/collections/<collection_id>/items')
def items(collection_id: str):
    """Search a collection."""
    collection_id = _collection_id(collection_id)
    query = parse_items_query(request.args, also=PARAMETERS)
    config = current_app.config['HUBCAT']
    if distributed(request.args):
        return _distributed_items(config, collection_id, query)
    page = search(config, request.environ, base_url(), collection_id, query)
    base = base_url()
    features = [record_feature(row, base, collection_id) for row in page.rows]
    document = {
        'type': 'FeatureCollection',
        'title': COLLECTIONS[collection_id][0],
        'numberMatched': page.matched,
        'numberReturned': len(features),
        'timeStamp': iso(utcnow()),
        'features': features,
        'links': _page_links(base, collection_id, query.offset, page.limit, len(features),
                             page.matched),
    }
    return respond(document, 'items', GEOJSON)


def _distributed_items(config, collection_id: str, query) -> Response:
    """Search this catalogue and its peers at once (OGC API - Records Part 4, draft)."""
    try:
        peers = chosen_peers(request.args, list_peers(config))
    except PeerError as err:
        return respond({'code': 'ServerError', 'title': 'Server error',
                        'description': f'peer configuration is wrong: {err}'}, 'error',
                       status=500)
    base = base_url()
    limit = min(query.limit, config.parser.getint('server', 'maxrecords', fallback=100))
    local = Peer('local', f'{base}/csw', default_timeout(config), LOCAL)
    document, status, headers = distributed_search.run(
        config, getrecords(collection_id, query, limit, 'full'), peers, local, base,
        collection_id, query.offset, limit)
    document['title'] = COLLECTIONS[collection_id][0] + ' (distributed search)'
    document['links'] = _page_links(base, collection_id, query.offset, limit,
                                    document['numberReturned'], document['numberMatched'])
    response = respond(document, 'items', GEOJSON, status)
    response.headers.update(headers)
    return response


@bp.get('/collections/<collection_id>/items/<path:record_id>')
def item(collection_id: str, record_id: str):
    """One record."""
    collection_id = _collection_id(collection_id)
    config = current_app.config['HUBCAT']
    rows = rows_by_identifier(config, [record_id])
    if not rows or (rows[0].typename == 'rim:Association'):
        raise NotFound(f'no record {record_id!r}')
    feature = record_feature(rows[0], base_url(), collection_id)
    return respond(dict(feature, title=feature['properties'].get('title', record_id)),
                   'item', GEOJSON)


def _page_links(base: str, collection_id: str, offset: int, limit: int, returned: int,
                matched: int) -> list[dict]:
    """self, alternate, collection, and next/prev of a result page."""
    url = f'{base}/records/collections/{collection_id}/items'
    args = {k: v for k, v in request.args.items() if k not in ('offset', 'f')}

    def page(new_offset: int, **extra) -> str:
        params = dict(args, **extra)
        if new_offset:
            params['offset'] = str(new_offset)
        return url + ('?' + urlencode(params) if params else '')

    links = [
        {'rel': 'self', 'type': GEOJSON, 'title': 'This page', 'href': page(offset)},
        {'rel': 'alternate', 'type': 'text/html', 'title': 'This page as HTML',
         'href': page(offset, f='html')},
        {'rel': 'collection', 'type': 'application/json', 'title': 'The collection',
         'href': f'{base}/records/collections/{collection_id}'},
    ]
    if offset + returned < matched and returned:
        links.append({'rel': 'next', 'type': GEOJSON, 'title': 'Next page',
                      'href': page(offset + returned)})
    if offset > 0:
        links.append({'rel': 'prev', 'type': GEOJSON, 'title': 'Previous page',
                      'href': page(max(0, offset - limit))})
    return links
