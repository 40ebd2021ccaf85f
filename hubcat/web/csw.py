"""The ``/csw`` endpoint: CSW 2.0.2 and 3.0.0 (KVP GET, XML POST, SOAP, OpenSearch) through pycsw.

Each request is parsed once (:mod:`hubcat.csw_request`), checked on that parse
(:mod:`hubcat.csw_checks`), and only then answered by a hook or by pycsw, which
is handed the normalised request HubCat checked.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from hubcat import soap
from hubcat.csw import run_pycsw
from hubcat.csw_associations import associations_hook, associations_scope
from hubcat.csw_capabilities import capabilities_sections_hook
from hubcat.csw_checks import check_request
from hubcat.csw_paging import fix_capabilities, fix_hits
from hubcat.csw_harvest import harvest_hook
from hubcat.csw_output_format import output_format_hook
from hubcat.csw_request import CswRequestError, parse_request, requested_version
from hubcat.csw_search import kvp_search_hook
from hubcat.filters.gml_carrier import fes_geometry_hook, geometries_scope
from hubcat.opensearch import opensearch_description_hook
from hubcat.ows import exception_status
from hubcat.web.federation import csw_distributed_hook

bp = Blueprint('csw', __name__)

#: hooks that may answer a request before pycsw: f(config, CswRequest, flask request) -> tuple|None
#: (csw_distributed_hook: GetRecords with DistributedSearch hopCount > 1 -> federated search;
#: kvp_search_hook and associations_hook may rewrite the request instead: pycsw gets the
#: rewritten KVP / body)
REQUEST_HOOKS: list = [output_format_hook, opensearch_description_hook, kvp_search_hook,
                       associations_hook, fes_geometry_hook, capabilities_sections_hook,
                       harvest_hook, csw_distributed_hook]


@bp.route('/csw', methods=['GET', 'POST'])
def csw():
    """Answer one CSW request."""
    config = current_app.config['HUBCAT']
    body = request.get_data() if request.method == 'POST' else b''
    try:
        csw_request = parse_request(request.method, request.query_string.decode('latin-1'), body)
    except CswRequestError as err:
        return _response(err.soap, *err.answer(requested_version(request.query_string, body)))
    try:
        check_request(config, csw_request, request.headers)
        answer = fix_capabilities(config, fix_hits(csw_request, _answer(config, csw_request)))
    except CswRequestError as err:
        answer = err.answer(csw_request.version)
    return _response(csw_request.soap, *answer)


def _answer(config, csw_request) -> tuple:
    for hook in REQUEST_HOOKS:
        answer = hook(config, csw_request, request)
        if answer is not None:
            return answer
    with associations_scope(csw_request), geometries_scope(csw_request):
        return run_pycsw(config, request.environ, csw_request, request.base_url)


def _response(soap_version: str, status: int, content_type: str, content: bytes,
              headers=None) -> Response:
    status = exception_status(status, content)
    if soap_version:
        status, content_type, content, headers = soap.wrap(soap_version, status, content_type,
                                                           content, headers)
    return Response(content, status=status, content_type=content_type, headers=headers or {})
