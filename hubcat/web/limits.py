"""Request size limit: ``[hubcat] max_request_bytes`` (default 5M), HTTP 413 before the body is read.

Two layers.  ``hubcat serve`` gives waitress the same limit, so a larger body is
refused as soon as its headers arrive (Content-Length) or as soon as a streamed
(chunked) body passes the limit, before it is buffered.  The application itself
refuses a declared Content-Length above the limit before reading a byte, and
bounds a streamed body while reading it (werkzeug's ``MAX_CONTENT_LENGTH``), so
the limit holds under any WSGI server; its 413 is an ExceptionReport on
``/csw`` and ``/federated/csw`` and a JSON error under ``/api``.
"""
from __future__ import annotations

import re

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from hubcat.config import Config
from hubcat.ows import exception_report

DEFAULT = '5M'
_SIZE = re.compile(r'^\s*(\d+)\s*([kmg]?)i?b?\s*$', re.IGNORECASE)
_UNITS = {'': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}
CSW_PATHS = ('/csw', '/federated/csw')


def parse_size(text: str) -> int:
    """Bytes of '5242880', '512K', '5M', '1G' (binary units; 'KB', 'MiB' also read).

    :raises ValueError: naming the bad value
    """
    match = _SIZE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f'not a size: {text!r} (use e.g. 5M, 512K, 1048576)')
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def max_request_bytes(config: Config) -> int:
    """``[hubcat] max_request_bytes``: the largest request body HubCat reads."""
    return parse_size(config.get('hubcat', 'max_request_bytes', DEFAULT) or DEFAULT)


def install(app: Flask, config: Config) -> None:
    """Refuse request bodies above the limit in ``app`` (413 in the endpoint's error format)."""
    limit = max_request_bytes(config)
    app.config['MAX_CONTENT_LENGTH'] = limit

    @app.before_request
    def refuse_large_bodies():
        """A declared body above the limit is refused before it is read."""
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_err):
        """413 as an ExceptionReport (CSW) or a JSON error (API)."""
        text = (f'the request body is larger than this server accepts ({limit} bytes, '
                '[hubcat] max_request_bytes)')
        if request.path in CSW_PATHS:
            version = '2.0.2' if b'2.0.2' in request.query_string else '3.0.0'
            return Response(exception_report('NoApplicableCode', 'request', text, version),
                            status=413, content_type='application/xml; charset=UTF-8')
        response = jsonify(error=text, status=413)
        response.status_code = 413
        return response
