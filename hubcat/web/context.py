"""``/api/context``: an OWS Context document (GeoJSON) for a search (:mod:`hubcat.oarec.context`).

Takes the parameters of ``/records/collections/sensors/items``; errors as the JSON API's.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, json, request

from hubcat.oarec.context import context_document
from hubcat.oarec.params import ParameterError, parse_items_query
from hubcat.oarec.search import SearchFailed
from hubcat.web.api import error_response
from hubcat.web.records import base_url

bp = Blueprint('context', __name__)


@bp.get('/api/context')
def context():
    """The OWS Context of the Datastreams and SOS offerings a search selects."""
    try:
        query = parse_items_query(request.args)
        document = context_document(current_app.config['HUBCAT'], request.environ,
                                    base_url(), query, request.url)
    except (ParameterError, SearchFailed) as err:
        return error_response(400, str(err))
    return Response(json.dumps(document, ensure_ascii=False),
                    content_type='application/geo+json')
