"""The demo's small, read-only SensorThings API 1.1 server.

``create_sta_app(dataset)`` builds a Flask app that serves one
:class:`hubcat.demo.data.StaDataset` under ``base_path``;
``serve_in_thread(app)`` runs it on 127.0.0.1 on an ephemeral port;
``serve_demo(dataset)`` runs every service of a
:class:`hubcat.demo.data.DemoDataset`, each on its own port.

Resource paths: the service root, the eight entity sets, ``Set(id)``,
navigation (``Things(1)/Datastreams``, ``Datastreams(1)/ObservedProperty``,
``Things(1)/Datastreams(2)``, chains such as ``Observations(1)/Datastream/Thing``),
properties (``Things(1)/name``, ``.../name/$value``) and ``$ref``. Errors are
JSON ``{"code": ..., "type": "error", "message": ...}``: 404 for unknown paths
or ids, 400 for query options it does not support, 405 for writes.

``python -m hubcat.demo.sta`` serves the demo data until Ctrl-C.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, replace
from typing import Optional

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound
from werkzeug.serving import WSGIRequestHandler, make_server

from hubcat.demo.data import DemoDataset, StaDataset, generate
from hubcat.demo.sta_query import QueryError, parse_query
from hubcat.demo.sta_render import StaRenderer, check_options
from hubcat.demo.sta_store import SCHEMA, StaStore

LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_PATH = '/sta/v1.1'
CONFORMANCE = (
    'http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel',
    'http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities',
    'http://www.opengis.net/spec/iot_sensing/1.1/req/request-data',
)
_SEGMENT = re.compile(r'^(?P<name>[A-Za-z]+)(?:\((?P<key>[^()]*)\))?$')


def create_sta_app(dataset: StaDataset, base_path: str = DEFAULT_BASE_PATH,
                   page_size: int = 100, max_top: int = 100) -> Flask:
    """A Flask app serving one STA service, read-only.

    :param dataset: the service's entities
    :param base_path: path of the service root, e.g. ``/sta/v1.1``
    :param page_size: entities per page when a request has no ``$top``
    :param max_top: the cap of ``$top`` (larger values are lowered, not refused)
    :returns: the app; ``app.config['STA_BASE_PATH']`` holds ``base_path``
    """
    base_path = '/' + base_path.strip('/') if base_path.strip('/') else ''
    app = Flask(__name__)
    app.config['STA_BASE_PATH'] = base_path
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    store = StaStore(dataset)

    def handle(path: str = '') -> Response:
        base_url = request.url_root.rstrip('/') + base_path
        if not path.strip('/'):
            return jsonify(service_root(base_url))
        renderer = StaRenderer(store, base_url, page_size=page_size, max_top=max_top)
        return _respond(store, renderer, path, request.args.items(multi=True))

    methods = ['GET']
    app.add_url_rule(base_path + '/', 'root', handle, methods=methods)
    app.add_url_rule(base_path + '/<path:path>', 'resource', handle, methods=methods)
    if base_path:
        app.add_url_rule(base_path, 'root_without_slash', handle, methods=methods)
        app.add_url_rule('/', 'index', lambda: redirect(base_path + '/'), methods=methods)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)

    @app.after_request
    def allow_browsers(response: Response) -> Response:
        response.headers['Access-Control-Allow-Origin'] = '*'
        return response

    LOGGER.debug('STA app for %s at %s: %s', dataset.key, base_path, dataset.counts())
    return app


def service_root(base_url: str) -> dict:
    """The service root document: entity sets and ``serverSettings.conformance``."""
    return {
        'value': [{'name': name, 'url': f'{base_url}/{name}'} for name in SCHEMA],
        'serverSettings': {'conformance': list(CONFORMANCE)},
    }


@dataclass
class _Target:
    """What a resource path points at."""
    entity_set: str
    entities: Optional[list] = None   # a collection ...
    entity: Optional[dict] = None     # ... or one entity
    prop: Optional[str] = None        # ... or one of its properties
    raw: bool = False                 # $value
    ref: bool = False                 # $ref


def resolve(store: StaStore, path: str) -> _Target:
    """Follow a resource path such as ``Things(1)/Datastreams`` through the store.

    :raises NotFound: when a segment names nothing that exists
    """
    segments = [s for s in path.split('/') if s]
    name, key = _segment(segments[0])
    if name not in SCHEMA:
        raise NotFound(f'there is no entity set {name!r}')
    target = _Target(name, entities=store.all(name))
    if key is not None:
        target = _Target(name, entity=_pick(name, target.entities, key))
    for segment in segments[1:]:
        if target.raw or target.ref:
            raise NotFound(f'nothing follows $value or $ref (found {segment!r})')
        if segment == '$ref' and target.prop is None:
            target.ref = True
        elif segment == '$value' and target.prop is not None:
            target.raw = True
        elif target.entity is None or target.prop is not None:
            raise NotFound(f'{segment!r} cannot follow a collection or a property')
        else:
            target = _step(store, target, segment)
    return target


def _segment(text: str) -> tuple:
    match = _SEGMENT.match(text)
    if not match:
        raise NotFound(f'no resource {text!r}')
    return match.group('name'), match.group('key')


def _pick(entity_set: str, entities: list, key: str, where: str = '') -> dict:
    if key.isdigit():
        for entity in entities:
            if entity['@iot.id'] == int(key):
                return entity
    raise NotFound(f'{where}{entity_set}({key}) does not exist (ids are integers)')


def _step(store: StaStore, target: _Target, segment: str) -> _Target:
    name, key = _segment(segment)
    spec = SCHEMA[target.entity_set]
    if name in spec.navigation:
        entity_set, many = spec.navigation[name]
        related = store.related(target.entity_set, target.entity['@iot.id'], name)
        if many and key is None:
            return _Target(entity_set, entities=related)
        if many:
            where = f"{target.entity_set}({target.entity['@iot.id']})/"
            return _Target(entity_set, entity=_pick(name, related, key, where))
        if key is None and related:
            return _Target(entity_set, entity=related[0])
    elif name in spec.properties and key is None:
        return _Target(target.entity_set, entity=target.entity, prop=name)
    raise NotFound(f'{target.entity_set} have no {segment!r}')


def _respond(store: StaStore, renderer: StaRenderer, path: str, args) -> Response:
    target = resolve(store, path)
    if target.prop is not None:
        value = target.entity.get(target.prop)
        if not target.raw:
            return jsonify({target.prop: value})
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return Response(text, mimetype='text/plain')
    try:
        options = parse_query(args)
        if target.ref:
            options = replace(options, select=('@iot.selfLink',), expand=())
        check_options(target.entity_set, options)
        if target.entity is not None:
            return jsonify(renderer.entity(target.entity_set, target.entity, options))
        link = renderer.base_url + '/' + '/'.join(s for s in path.split('/') if s)
        return jsonify(renderer.collection(target.entity_set, target.entities, options, link))
    except QueryError as error:
        raise BadRequest(str(error)) from error


def _error_body(code: int, message: str) -> Response:
    response = jsonify({'code': code, 'type': 'error', 'message': message})
    response.status_code = code
    return response


def _http_error(error: HTTPException) -> Response:
    if error.code == 405:
        return _error_body(405, 'this demo SensorThings server is read-only')
    if error.code == 404 and error.description == NotFound.description:
        return _error_body(404, f'no resource at {request.path}')
    return _error_body(error.code or 500, error.description or error.name)


def _unexpected_error(error: Exception) -> Response:
    LOGGER.exception('demo STA server failed on %s', request.full_path)
    return _error_body(500, InternalServerError.description)


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs each request at DEBUG on this module's logger instead of printing it."""

    def log_request(self, code='-', size='-') -> None:
        LOGGER.debug('%s "%s" %s', self.address_string(), self.requestline, code)


class ServerHandle:
    """A server running in a background thread; ``shutdown()`` stops it and frees the port."""

    def __init__(self, server, thread: threading.Thread):
        self.server = server
        self.thread = thread

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self.server.server_port

    def shutdown(self) -> None:
        """Stop serving, close the socket and wait for the thread to end."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> 'ServerHandle':
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def serve_in_thread(app: Flask, host: str = '127.0.0.1', port: int = 0) -> tuple:
    """Serve a WSGI app with werkzeug's threaded server in a daemon thread.

    :param app: the app (from :func:`create_sta_app`)
    :param host: interface to bind
    :param port: port to bind; 0 picks a free ephemeral port
    :returns: ``(ServerHandle, url)``; the URL is the STA service root
        (``http://127.0.0.1:<port>/sta/v1.1``), without a trailing slash
    """
    server = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=f'demo-sta-{server.server_port}',
                              daemon=True)
    thread.start()
    base_path = getattr(app, 'config', {}).get('STA_BASE_PATH', '')
    url = f'http://{host}:{server.server_port}{base_path}'
    LOGGER.info('demo STA server listening at %s', url)
    return ServerHandle(server, thread), url


@dataclass
class RunningService:
    """One demo STA service being served."""
    key: str
    title: str
    url: str
    handle: ServerHandle


def serve_demo(dataset: DemoDataset, host: str = '127.0.0.1') -> list:
    """Serve every service of the demo data set, each on its own ephemeral port.

    :returns: a :class:`RunningService` per service; call ``handle.shutdown()`` on each
    """
    running = []
    try:
        for service in dataset.services:
            handle, url = serve_in_thread(create_sta_app(service), host=host)
            running.append(RunningService(service.key, service.title, url, handle))
    except Exception:
        for service in running:
            service.handle.shutdown()
        raise
    return running


def main() -> None:
    """Serve the demo's sample STA services until Ctrl-C: ``python -m hubcat.demo.sta``."""
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    running = serve_demo(generate())
    for service in running:
        print(f'{service.title}: {service.url}/')
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for service in running:
            service.handle.shutdown()


if __name__ == '__main__':
    main()
