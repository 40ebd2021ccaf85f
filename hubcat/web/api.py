"""The administrator JSON API under ``/api``: sources, harvest now, run history, status.

Reads are open; writes need ``Authorization: Bearer <admin token>`` (no token
configured means every write is refused).  Every error, including unknown
``/api`` paths and methods, is ``{"error": "...", "status": N}``.  The routes
are described by :mod:`hubcat.web.openapi` (served at ``/api/openapi.json``).
"""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from hubcat.auth import admin_refusal
from hubcat.runs import MAX_RUNS
from hubcat.sources import SourceError, SourceExists, SourceNotFound, SourceRegistry

LOGGER = logging.getLogger(__name__)
PREFIX = '/api'
bp = Blueprint('api', __name__, url_prefix=PREFIX)

SOURCE_FIELDS = ('url', 'type', 'name', 'schedule', 'stale_after', 'options')
TRUE, FALSE = ('true', '1', 'yes'), ('false', '0', 'no', '')


class ApiError(Exception):
    """An error answered as JSON with an HTTP status."""

    def __init__(self, status: int, message: str, headers: dict = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict = None):
    """The JSON error body ``{"error": message, "status": status}`` with that status."""
    response = jsonify(error=message, status=status)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _config():
    return current_app.config['HUBCAT']


def admin_only(view):
    """Refuse the request unless it carries the administrator token (401; 403 if none is set)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        refusal = admin_refusal(_config(), request.headers)
        if refusal is not None:
            raise ApiError(refusal.status, refusal.message, refusal.headers)
        return view(*args, **kwargs)
    return wrapper


def _json_object() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'the request body must be a JSON object')
    return body


def _sources_changed() -> None:
    from hubcat.scheduler import sources_changed
    sources_changed(_config().database_url)


def _get_source(key):
    try:
        return SourceRegistry(_config().database_url).get(key)
    except SourceNotFound as err:
        raise ApiError(404, str(err)) from None


# ---- errors ----------------------------------------------------------------------------
@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return error_response(err.status, err.message, err.headers)


@bp.errorhandler(Exception)
def _any_error(err: Exception):
    if isinstance(err, HTTPException):
        return _http_error(err)
    LOGGER.exception('API request %s %s failed', request.method, request.path)
    return error_response(500, f'internal error: {type(err).__name__}')


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _routing_error(err: HTTPException):
    """Unknown paths and methods: JSON under /api, Flask's default elsewhere."""
    if request.path == PREFIX or request.path.startswith(PREFIX + '/'):
        return _http_error(err)
    return err.get_response()


def _http_error(err: HTTPException):
    headers = {}
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        headers['Allow'] = ', '.join(sorted(err.valid_methods))
    message = {404: f'no such API resource: {request.path}',
               405: f'method {request.method} is not allowed on {request.path}'}.get(
        err.code, err.description or err.name)
    return error_response(err.code or 500, message, headers)


# ---- routes ----------------------------------------------------------------------------
@bp.get('/')
def index():
    """Where the API's resources are."""
    return jsonify(sources=url_for('api.list_sources'), runs=url_for('api.list_runs'),
                   status=url_for('api.status'), openapi=url_for('api.openapi'))


@bp.get('/openapi.json')
def openapi():
    """The OpenAPI 3 description of this API."""
    from hubcat.web.openapi import openapi_document
    return jsonify(openapi_document(request.host_url.rstrip('/') + PREFIX))


@bp.get('/sources')
def list_sources():
    """Every registered source."""
    return jsonify(sources=[s.as_dict() for s in SourceRegistry(_config().database_url).list()])


@bp.post('/sources')
@admin_only
def add_source():
    """Register a source; 201 with the source, 400 bad or refused URL, 409 name taken or
    endpoint harvested by another source (the message names it)."""
    body = _json_object()
    unknown = sorted(set(body) - set(SOURCE_FIELDS))
    if unknown:
        raise ApiError(400, f'unknown fields: {", ".join(unknown)}')
    for required in ('url', 'type'):
        if not isinstance(body.get(required), str) or not body[required].strip():
            raise ApiError(400, f'"{required}" is required (a string)')
    if body.get('options') is not None and not isinstance(body['options'], dict):
        raise ApiError(400, '"options" must be an object')
    try:
        source = SourceRegistry.for_config(_config()).add(
            body['url'], body['type'], name=body.get('name'), schedule=body.get('schedule'),
            stale_after=body.get('stale_after'), options=body.get('options'))
    except SourceExists as err:
        raise ApiError(409, str(err)) from None
    except (SourceError, ValueError) as err:
        raise ApiError(400, str(err)) from None
    _sources_changed()
    response = jsonify(source.as_dict())
    response.status_code = 201
    response.headers['Location'] = url_for('api.get_source', key=source.id)
    return response


@bp.get('/sources/<key>')
def get_source(key):
    """One source, by id or name."""
    return jsonify(_get_source(key).as_dict())


@bp.patch('/sources/<key>')
@admin_only
def update_source(key):
    """Change name, url, schedule (null removes it), stale_after or options of a source."""
    source = _get_source(key)
    body = _json_object()
    try:
        changed = SourceRegistry.for_config(_config()).update(source.id, **body)
    except SourceExists as err:
        raise ApiError(409, str(err)) from None
    except (SourceError, ValueError) as err:
        raise ApiError(400, str(err)) from None
    except IntegrityError:
        raise ApiError(409, 'another source has that name, or that URL and type') from None
    _sources_changed()
    return jsonify(changed.as_dict())


@bp.delete('/sources/<key>')
@admin_only
def delete_source(key):
    """Unregister a source; its records are deleted only with ``?delete_records=true``.

    409 while the source is being harvested.
    """
    from hubcat.catalogue import Catalogue
    from hubcat.locks import SourceBusy, source_lock
    flag = request.args.get('delete_records', '').strip().lower()
    if flag not in TRUE + FALSE:
        raise ApiError(400, 'delete_records must be true or false')
    config = _config()
    source = _get_source(key)
    try:
        with source_lock(config.database_url, source.id):
            SourceRegistry(config.database_url).remove(source.id)
    except SourceBusy as err:
        raise ApiError(409, str(err)) from None
    deleted = Catalogue(config.database_url, config.table).delete_source_records(source.id) \
        if flag in TRUE else 0
    _sources_changed()
    return jsonify(removed=source.as_dict(), records_deleted=deleted,
                   records_kept=flag not in TRUE)


@bp.post('/sources/<key>/harvest')
@admin_only
def harvest_source(key):
    """Harvest a source now and answer its run report; 409 when it is being harvested."""
    from hubcat.harvest import SourceBusy, run_harvest
    source = _get_source(key)
    try:
        report = run_harvest(_config(), source.id, trigger='api')
    except SourceBusy as err:
        raise ApiError(409, str(err)) from None
    except SourceNotFound as err:
        raise ApiError(404, str(err)) from None
    return jsonify(report.as_dict())


@bp.get('/runs')
def list_runs():
    """The run history, newest first; filters ``source`` (id or name) and ``limit``."""
    from hubcat.runs import RunLog
    limit_text = request.args.get('limit', '50')
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_RUNS:
        raise ApiError(400, f'limit must be an integer from 1 to {MAX_RUNS}')
    source_id = _get_source(request.args['source']).id if request.args.get('source') else None
    return jsonify(runs=RunLog(_config().database_url).list(source_id, int(limit_text)))


@bp.get('/status')
def status():
    """Records online and offline (by reason), in total and per source."""
    from hubcat.status import status_summary
    config = _config()
    return jsonify(status_summary(config.database_url, config.table))
