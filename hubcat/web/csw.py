"""The ``/csw`` endpoint: CSW 2.0.2 and 3.0.0 (KVP GET, XML POST, OpenSearch) through pycsw."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from hubcat.csw import WRITE_OPERATIONS, authorised, parse_request, refuse_write, run_pycsw
from hubcat.csw_harvest import harvest_hook
from hubcat.csw_output_format import output_format_hook
from hubcat.csw_search import kvp_search_hook
from hubcat.web.federation import csw_distributed_hook

bp = Blueprint('csw', __name__)

#: hooks that may answer a request before pycsw: f(config, CswRequest, flask request) -> tuple|None
#: (csw_distributed_hook: GetRecords with DistributedSearch hopCount > 1 -> federated search;
#: kvp_search_hook may rewrite the request's KVP instead, setting ``rewritten``)
REQUEST_HOOKS: list = [output_format_hook, kvp_search_hook, harvest_hook, csw_distributed_hook]


@bp.route('/csw', methods=['GET', 'POST'])
def csw():
    """Answer one CSW request."""
    config = current_app.config['HUBCAT']
    body = request.get_data() if request.method == 'POST' else b''
    csw_request = parse_request(request.method, request.query_string.decode('latin-1'), body)
    if csw_request.operation in WRITE_OPERATIONS and not authorised(config, request.headers):
        return _response(*refuse_write(csw_request))
    for hook in REQUEST_HOOKS:
        answer = hook(config, csw_request, request)
        if answer is not None:
            return _response(*answer)
    environ = request.environ
    if csw_request.rewritten:
        environ = dict(environ, QUERY_STRING=csw_request.query_string())
    return _response(*run_pycsw(config, environ, body, request.base_url))


def _response(status: int, content_type: str, content: bytes, headers=None) -> Response:
    return Response(content, status=status, content_type=content_type, headers=headers or {})
