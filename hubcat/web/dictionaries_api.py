"""``/api/dictionaries``: parameter dictionaries as JSON (reads open, writes with the
administrator token), described in :mod:`hubcat.web.openapi`.

``POST`` takes a JSON object ``{"content": "...", "format": "yaml|csv|sssom", "name":
..., "source": ...}`` or the file itself (``Content-Type`` ``application/yaml``,
``text/csv`` or ``text/tab-separated-values``, with ``?name=`` and ``?source=``).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from hubcat.dictionaries import DictionaryError, DictionaryNotFound, DictionaryStore, service
from hubcat.web import api
from hubcat.web.api import ApiError, admin_only, error_response

bp = Blueprint('dictionaries_api', __name__, url_prefix='/api/dictionaries')
bp.register_error_handler(Exception, api._any_error)   # JSON 500, as the rest of /api
MAX_BODY = 5 * 1024 * 1024
TEXT_FORMATS = {'application/yaml': 'yaml', 'application/x-yaml': 'yaml', 'text/yaml': 'yaml',
                'text/csv': 'csv', 'text/tab-separated-values': 'sssom'}


def _config():
    return current_app.config['HUBCAT']


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return error_response(err.status, err.message, err.headers)


@bp.errorhandler(DictionaryNotFound)
def _not_found(err):
    return error_response(404, str(err))


@bp.errorhandler(DictionaryError)
def _bad_dictionary(err):
    return error_response(400, str(err))


def _upload() -> tuple[str, str, dict]:
    """(text, format, {name, source}) of a POST, from a JSON object or a raw file body."""
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, f'a dictionary may be at most {MAX_BODY // (1024 * 1024)} MiB')
    mimetype = request.mimetype or ''
    if mimetype in TEXT_FORMATS:
        text = request.get_data(as_text=True)
        options = {k: request.args.get(k) for k in ('name', 'source')}
        return text, request.args.get('format') or TEXT_FORMATS[mimetype], options
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'send a JSON object {"content", "format", "name", "source"} or '
                            'the file with Content-Type application/yaml, text/csv or '
                            'text/tab-separated-values')
    unknown = sorted(set(body) - {'content', 'format', 'name', 'source'})
    if unknown:
        raise ApiError(400, f'unknown fields: {", ".join(unknown)}')
    if not isinstance(body.get('content'), str) or not body['content'].strip():
        raise ApiError(400, '"content" is required (the dictionary file as text)')
    for key in ('format', 'name', 'source'):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, f'"{key}" must be a string')
    return body['content'], body.get('format') or 'yaml', body


@bp.get('')
def list_dictionaries():
    """Every dictionary, lowest precedence first (the built-in one first)."""
    return jsonify(dictionaries=DictionaryStore(_config().database_url).list())


@bp.post('')
@admin_only
def load_dictionary():
    """Load a dictionary (replacing one of the same name) and re-apply to the records."""
    text, fmt, options = _upload()
    config = _config()
    scope = service.check_source(config, options.get('source'))
    name = options.get('name') or 'dictionary'
    dictionary = DictionaryStore(config.database_url).parse(text, fmt, name, scope)
    if options.get('name'):
        dictionary.name = options['name']
    report = service.load(config, dictionary)
    response = jsonify(report.as_dict())
    response.status_code = 201
    response.headers['Location'] = url_for('dictionaries_api.get_dictionary',
                                           name=dictionary.name)
    return response


@bp.get('/unmapped')
def unmapped():
    """Raw properties and units no entry maps, and unit conflicts, with record counts."""
    from hubcat.dictionaries.unmapped import unmapped as todo
    from hubcat.sources import SourceError, SourceRegistry
    config = _config()
    source_id = None
    if request.args.get('source'):
        try:
            source_id = SourceRegistry(config.database_url).get(request.args['source']).id
        except SourceError as err:
            raise ApiError(404, str(err)) from None
    return jsonify(unmapped=todo(config, source_id))


@bp.get('/<name>')
def get_dictionary(name):
    """One dictionary with its entries."""
    return jsonify(service.describe(DictionaryStore(_config().database_url).get(name)))


@bp.delete('/<name>')
@admin_only
def remove_dictionary(name):
    """Remove a dictionary; the records it mapped get their raw values back at once."""
    report = service.remove(_config(), name)
    return jsonify(removed=report.dictionary, records_changed=report.changed)
