"""The OpenAPI 3.0 description of the JSON API under ``/api``, written by hand: the admin
routes of :mod:`hubcat.web.api` and the federation routes of :mod:`hubcat.web.federation_api`.

``tests/test_api.py`` checks that it is a valid OpenAPI document and that its
paths and methods are exactly the API's routes.
"""
from __future__ import annotations

import copy

from hubcat import __version__

_REF = '#/components/schemas/'
_COUNTS = ('added', 'updated', 'unchanged', 'went_offline', 'came_online')


def _ref(name: str) -> dict:
    return {'$ref': _REF + name}


def _json(schema: dict, description: str) -> dict:
    return {'description': description, 'content': {'application/json': {'schema': schema}}}


def _error(description: str) -> dict:
    return _json(_ref('Error'), description)


def _search_answer(description: str) -> dict:
    """/api/search: its own JSON, or GeoJSON with ``distributedSearch=true``."""
    return {'description': description,
            'content': {'application/json': {'schema': _ref('SearchResult')},
                        'application/geo+json': {'schema': _ref('FederatedSearch')}}}


_NULLABLE_TIME = {'type': 'string', 'format': 'date-time', 'nullable': True}
_REASONS = {'type': 'object', 'additionalProperties': {'type': 'integer'},
            'description': 'offline records by reason: removed, stale, unreachable'}
_STATUS_COUNTS = {
    'online': {'type': 'integer'},
    'offline': {'type': 'integer'},
    'offline_by_reason': _REASONS,
}

_DICTIONARY_SUMMARY = {
    'name': {'type': 'string'},
    'source': {'type': 'string', 'nullable': True, 'description': 'null: every source'},
    'format': {'type': 'string', 'enum': ['yaml', 'csv', 'sssom', 'builtin']},
    'description': {'type': 'string'},
    'entries': {'type': 'integer'},
    'properties': {'type': 'integer', 'description': 'distinct canonical properties'},
    'loaded': {'type': 'string', 'format': 'date-time', 'nullable': True},
    'builtin': {'type': 'boolean'},
}

SCHEMAS = {
    'DictionarySummary': {'type': 'object', 'properties': _DICTIONARY_SUMMARY},
    'Dictionary': {'type': 'object', 'properties': dict(
        _DICTIONARY_SUMMARY,
        entries={'type': 'array', 'items': {'type': 'object', 'properties': {
            'match': {'type': 'string', 'enum': ['name', 'uri', 'pattern']},
            'raw': {'type': 'string'}, 'property': {'type': 'string'},
            'uri': {'type': 'string'}, 'unit': {'type': 'string'},
            'source': {'type': 'string', 'nullable': True},
            'things': {'type': 'string', 'nullable': True},
            'source_unit': {'type': 'string', 'nullable': True}}}},
        properties={'type': 'array', 'items': {'type': 'object'}},
        units={'type': 'object', 'additionalProperties': {'type': 'string'},
               'description': 'unit spelling -> UCUM code'})},
    'DictionaryInput': {'type': 'object', 'required': ['content'], 'properties': {
        'content': {'type': 'string', 'description': 'the dictionary file as text'},
        'format': {'type': 'string', 'enum': ['yaml', 'csv', 'sssom'], 'default': 'yaml'},
        'name': {'type': 'string', 'description': 'overrides the name the file gives'},
        'source': {'type': 'string', 'description': 'only for this source (name or id)'}}},
    'Unmapped': {'type': 'object', 'properties': {
        'raw': {'type': 'string'}, 'unit': {'type': 'string'},
        'problem': {'type': 'string', 'description': "'no dictionary entry', 'unit not read "
                    "as UCUM', or why the unit contradicts the property"},
        'property': {'type': 'string', 'description': 'the canonical property, if mapped'},
        'records': {'type': 'integer'}}},
    'Error': {
        'type': 'object', 'required': ['error', 'status'],
        'properties': {'error': {'type': 'string'}, 'status': {'type': 'integer'}},
    },
    'Source': {
        'type': 'object',
        'properties': {
            'id': {'type': 'integer'},
            'name': {'type': 'string'},
            'url': {'type': 'string', 'format': 'uri'},
            'type': {'type': 'string', 'example': 'sta'},
            'options': {'type': 'object', 'description': 'harvest options (timeout, retries, '
                        'page_size, ...) that override [hubcat:harvest]'},
            'schedule': {'type': 'string', 'nullable': True,
                         'description': "'every:<seconds>' or 'cron:<5-field expression, UTC>'"},
            'stale_after': {'type': 'integer', 'nullable': True,
                            'description': 'seconds; null: the configured default ([hubcat:harvest] stale_after)'},
            'reachable': {'type': 'boolean', 'nullable': True},
            'last_harvest': _NULLABLE_TIME,
            'last_success': _NULLABLE_TIME,
        },
    },
    'SourceInput': {
        'type': 'object', 'required': ['url', 'type'], 'additionalProperties': False,
        'properties': {
            'url': {'type': 'string', 'format': 'uri', 'description': 'service root (STA) or '
                    'endpoint (SOS)'},
            'type': {'type': 'string', 'example': 'sta'},
            'name': {'type': 'string', 'description': 'unique; default from the URL'},
            'schedule': {'type': 'string', 'nullable': True, 'example': '15m',
                         'description': "an interval ('90s', '15m', '1h', '2d') or a cron "
                                        "expression ('*/10 * * * *', UTC)"},
            'stale_after': {'oneOf': [{'type': 'string', 'example': '24h'},
                                      {'type': 'integer', 'description': 'seconds'}]},
            'options': {'type': 'object'},
        },
    },
    'SourceChanges': {
        'type': 'object', 'additionalProperties': False,
        'properties': {
            'name': {'type': 'string'},
            'url': {'type': 'string', 'format': 'uri'},
            'schedule': {'type': 'string', 'nullable': True, 'description': 'null removes it'},
            'stale_after': {'oneOf': [{'type': 'string'}, {'type': 'integer'}]},
            'options': {'type': 'object'},
        },
    },
    'SourceRemoved': {
        'type': 'object',
        'properties': {'removed': _ref('Source'), 'records_deleted': {'type': 'integer'},
                       'records_kept': {'type': 'boolean'}},
    },
    'RunReport': {
        'type': 'object',
        'properties': {
            'run_id': {'type': 'integer'},
            'source': {'type': 'string'},
            'outcome': {'type': 'string', 'enum': ['success', 'partial', 'failed']},
            'counts': {'type': 'object',
                       'properties': {c: {'type': 'integer'} for c in _COUNTS}},
            'requests': {'type': 'integer'},
            'duration': {'type': 'number', 'description': 'seconds'},
            'errors': {'type': 'array', 'items': {'type': 'string'},
                       'description': 'what could not be read (the run is partial)'},
            'notices': {'type': 'array', 'items': {'type': 'string'},
                        'description': 'fallbacks taken while reading everything'},
        },
    },
    'Run': {
        'type': 'object',
        'properties': dict({
            'id': {'type': 'integer'},
            'source_id': {'type': 'integer', 'nullable': True},
            'source_name': {'type': 'string'},
            'trigger': {'type': 'string', 'enum': ['manual', 'scheduled', 'csw-t', 'api']},
            'started': {'type': 'string', 'format': 'date-time'},
            'ended': _NULLABLE_TIME,
            'outcome': {'type': 'string', 'enum': ['running', 'success', 'partial', 'failed']},
            'requests': {'type': 'integer'},
            'duration': {'type': 'number', 'nullable': True},
            'errors': {'type': 'array', 'items': {'type': 'string'},
                       'description': 'what could not be read (the run is partial)'},
            'notices': {'type': 'array', 'items': {'type': 'string'},
                        'description': 'fallbacks taken while reading everything'},
            'owner': {'type': 'string', 'nullable': True,
                      'description': 'the process (host:pid:id) that runs or ran it'},
            'lease_until': dict(_NULLABLE_TIME, description='while running: when its lease '
                                'ends unless its process renews it'),
        }, **{c: {'type': 'integer'} for c in _COUNTS}),
    },
    'SourceStatus': {
        'type': 'object',
        'properties': dict({
            'id': {'type': 'integer', 'nullable': True},
            'name': {'type': 'string', 'nullable': True,
                     'description': 'null: records kept from an unregistered source'},
            'reachable': {'type': 'boolean', 'nullable': True},
            'last_harvest': _NULLABLE_TIME,
            'last_success': _NULLABLE_TIME,
        }, **_STATUS_COUNTS),
    },
    'Peer': {
        'type': 'object',
        'properties': {
            'name': {'type': 'string'},
            'url': {'type': 'string', 'format': 'uri', 'description': 'the peer CSW endpoint'},
            'timeout': {'type': 'number', 'description': 'seconds the federated search waits'},
            'origin': {'type': 'string', 'enum': ['config', 'database', 'local']},
        },
    },
    'PeerInput': {
        'type': 'object', 'required': ['url'],
        'properties': {'url': {'type': 'string', 'format': 'uri'}, 'name': {'type': 'string'},
                       'timeout': {'type': 'number'}},
    },
    'FederatedSearch': {
        'type': 'object',
        'description': 'OGC API - Records Part 4 (draft): the merged records, and each '
                       'catalogue\'s page or exception under federatedSearchResults',
        'properties': {
            'type': {'type': 'string', 'enum': ['FeatureCollection']},
            'numberMatched': {'type': 'integer'},
            'numberReturned': {'type': 'integer'},
            'duplicates': {'type': 'integer'},
            'features': {'type': 'array', 'items': {'type': 'object'}},
            'links': {'type': 'array', 'items': {'type': 'object'}},
            'error': {'type': 'string', 'description': 'no peer configured, or none answered'},
            'federatedSearchResults': {'type': 'object', 'additionalProperties': {
                'type': 'object',
                'properties': {
                    'id': {'type': 'string'}, 'title': {'type': 'string'},
                    'catalogURL': {'type': 'string'},
                    'status': {'type': 'string', 'enum': ['success', 'exception']},
                    'elapsedTime': {'type': 'integer', 'description': 'milliseconds'},
                    'numberMatched': {'type': 'integer'},
                    'numberReturned': {'type': 'integer'},
                    'features': {'type': 'array', 'items': {'type': 'object'}},
                    'exceptionReport': {'type': 'object', 'properties': {
                        'type': {'type': 'string'}, 'title': {'type': 'string'},
                        'status': {'type': 'integer'}, 'detail': {'type': 'string'}}}}}},
        },
    },
    'SearchResult': {
        'type': 'object',
        'properties': {
            'matched': {'type': 'integer'},
            'returned': {'type': 'integer'},
            'duplicates': {'type': 'integer'},
            'error': {'type': 'string', 'description': 'present when no peer is configured'},
            'records': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'identifier': {'type': 'string'}, 'title': {'type': 'string', 'nullable': True},
                'type': {'type': 'string', 'nullable': True},
                'bbox': {'type': 'array', 'items': {'type': 'number'}, 'nullable': True},
                'peer': {'type': 'string'}}}},
            'peers': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'name': {'type': 'string'}, 'url': {'type': 'string'},
                'status': {'type': 'string'}, 'reason': {'type': 'string', 'nullable': True},
                'matched': {'type': 'integer', 'nullable': True},
                'fetched': {'type': 'integer'}, 'elapsed': {'type': 'number'}}}},
        },
    },
    'Status': {
        'type': 'object',
        'properties': dict(_STATUS_COUNTS, sources={'type': 'array',
                                                    'items': _ref('SourceStatus')}),
    },
}

_KEY = {'name': 'key', 'in': 'path', 'required': True, 'schema': {'type': 'string'},
        'description': 'source id or name'}
_SECURED = [{'adminToken': []}]
_WRITE_ERRORS = {
    '401': _error('no or wrong administrator token'),
    '403': _error('writes are disabled: no administrator token is configured'),
}

_DICTIONARY_NAME = {'name': 'name', 'in': 'path', 'required': True, 'schema': {'type': 'string'},
                    'description': 'dictionary name'}
_DICTIONARY_CHANGE = {'type': 'object', 'properties': {
    'dictionary': _ref('DictionarySummary'),
    'records_changed': {'type': 'integer',
                        'description': 'records whose canonical properties changed'}}}

PATHS = {
    '/': {'get': {
        'summary': 'Links to the API resources', 'operationId': 'index',
        'responses': {'200': _json({'type': 'object',
                                    'additionalProperties': {'type': 'string'}}, 'links')}}},
    '/openapi.json': {'get': {
        'summary': 'This document', 'operationId': 'openapi',
        'responses': {'200': _json({'type': 'object'}, 'OpenAPI 3 document')}}},
    '/sources': {
        'get': {'summary': 'List sources', 'operationId': 'listSources',
                'responses': {'200': _json({'type': 'object', 'properties': {
                    'sources': {'type': 'array', 'items': _ref('Source')}}}, 'the sources')}},
        'post': {'summary': 'Register a source', 'operationId': 'addSource',
                 'security': _SECURED,
                 'requestBody': {'required': True, 'content': {
                     'application/json': {'schema': _ref('SourceInput')}}},
                 'responses': dict({'201': _json(_ref('Source'), 'registered (Location header)'),
                                    '400': _error('bad input'),
                                    '409': _error('a source with that name or URL exists')},
                                   **_WRITE_ERRORS)},
    },
    '/sources/{key}': {
        'parameters': [_KEY],
        'get': {'summary': 'One source', 'operationId': 'getSource',
                'responses': {'200': _json(_ref('Source'), 'the source'),
                              '404': _error('no such source')}},
        'patch': {'summary': 'Change a source (its schedule follows at once)',
                  'operationId': 'updateSource', 'security': _SECURED,
                  'requestBody': {'required': True, 'content': {
                      'application/json': {'schema': _ref('SourceChanges')}}},
                  'responses': dict({'200': _json(_ref('Source'), 'the changed source'),
                                     '400': _error('bad input'),
                                     '404': _error('no such source'),
                                     '409': _error('name or URL taken')}, **_WRITE_ERRORS)},
        'delete': {'summary': 'Unregister a source; its records stay unless delete_records=true',
                   'operationId': 'deleteSource', 'security': _SECURED,
                   'parameters': [{'name': 'delete_records', 'in': 'query', 'required': False,
                                   'schema': {'type': 'boolean', 'default': False},
                                   'description': 'also delete every record of the source'}],
                   'responses': dict({'200': _json(_ref('SourceRemoved'), 'removed'),
                                      '400': _error('bad delete_records value'),
                                      '404': _error('no such source'),
                                      '409': _error('the source is being harvested now')},
                                     **_WRITE_ERRORS)},
    },
    '/sources/{key}/harvest': {
        'parameters': [_KEY],
        'post': {'summary': 'Harvest the source now (synchronously)',
                 'operationId': 'harvestSource', 'security': _SECURED,
                 'responses': dict({'200': _json(_ref('RunReport'), 'the run report (its '
                                                 'outcome may be failed)'),
                                    '404': _error('no such source'),
                                    '409': _error('the source is being harvested now')},
                                   **_WRITE_ERRORS)},
    },
    '/runs': {'get': {
        'summary': 'Harvest run history, newest first', 'operationId': 'listRuns',
        'parameters': [
            {'name': 'source', 'in': 'query', 'required': False, 'schema': {'type': 'string'},
             'description': 'source id or name'},
            {'name': 'limit', 'in': 'query', 'required': False,
             'schema': {'type': 'integer', 'minimum': 1, 'maximum': 1000, 'default': 50}}],
        'responses': {'200': _json({'type': 'object', 'properties': {
            'runs': {'type': 'array', 'items': _ref('Run')}}}, 'the runs'),
            '400': _error('bad limit'), '404': _error('no such source')}}},
    '/peers': {
        'get': {'summary': 'Peer catalogues of the federated search', 'operationId': 'listPeers',
                'responses': {'200': _json({'type': 'object', 'properties': {
                    'peers': {'type': 'array', 'items': _ref('Peer')}}}, 'the peers'),
                    '500': _error('the configured peers are malformed')}},
        'post': {'summary': 'Add a peer catalogue', 'operationId': 'addPeer',
                 'security': _SECURED,
                 'requestBody': {'required': True, 'content': {
                     'application/json': {'schema': _ref('PeerInput')}}},
                 'responses': dict({'201': _json({'type': 'object', 'properties': {
                     'peer': _ref('Peer'), 'warnings': {'type': 'array',
                                                        'items': {'type': 'string'}}}},
                     'added'),
                     '400': _error('bad input'),
                     '409': _error('name taken')}, **_WRITE_ERRORS)},
    },
    '/peers/{name}': {
        'parameters': [{'name': 'name', 'in': 'path', 'required': True,
                        'schema': {'type': 'string'}}],
        'delete': {'summary': 'Remove a peer added at run time', 'operationId': 'removePeer',
                   'security': _SECURED,
                   'responses': dict({'200': _json({'type': 'object', 'properties': {
                       'removed': _ref('Peer')}}, 'removed'),
                       '404': _error('no such peer'),
                       '409': _error('the peer is set in the configuration file')},
                       **_WRITE_ERRORS)},
    },
    '/search': {'get': {
        'summary': 'Federated search over the peer catalogues, as JSON',
        'operationId': 'search',
        'parameters': [
            {'name': 'q', 'in': 'query', 'required': False, 'schema': {'type': 'string'},
             'description': 'full-text words'},
            {'name': 'bbox', 'in': 'query', 'required': False, 'schema': {'type': 'string'},
             'description': 'minx,miny,maxx,maxy (lon/lat)'},
            {'name': 'type', 'in': 'query', 'required': False, 'schema': {'type': 'string'}},
            {'name': 'status', 'in': 'query', 'required': False,
             'schema': {'type': 'string', 'example': 'online'}},
            {'name': 'limit', 'in': 'query', 'required': False,
             'schema': {'type': 'integer', 'minimum': 1, 'maximum': 100, 'default': 10}},
            {'name': 'distributedSearch', 'in': 'query', 'required': False,
             'schema': {'type': 'boolean', 'default': False},
             'description': 'true: answer the OGC API - Records Part 4 (draft) shape, a '
                            'GeoJSON FeatureCollection with federatedSearchResults'},
            {'name': 'federatedCatalogs', 'in': 'query', 'required': False,
             'schema': {'type': 'string'},
             'description': 'with distributedSearch: the peers to ask (names, comma-separated)'}],
        'responses': {'200': _search_answer('merged results and each peer\'s answer'),
                      '400': _error('bad q, bbox, type, status, limit, distributedSearch or '
                                    'federatedCatalogs'),
                      '500': _error('the configured peers are malformed'),
                      '502': _search_answer('no peer answered')}}},
    '/context': {'get': {
        'summary': 'An OWS Context (OGC 14-055r2 GeoJSON) of a search: one resource per '
                   'observed property, offering every STA and SOS service that serves it',
        'operationId': 'context',
        'description': 'Takes the parameters of /records/collections/sensors/items (q, bbox, '
                       'datetime, type, ids, and any queryable such as status or '
                       'observedProperty); Datastreams and SOS offerings by default.',
        'parameters': [
            {'name': name, 'in': 'query', 'required': False, 'schema': {'type': 'string'}}
            for name in ('q', 'bbox', 'datetime', 'type', 'status', 'observedProperty')],
        'responses': {'200': {'description': 'the context document', 'content': {
            'application/geo+json': {'schema': {'type': 'object'}}}},
            '400': _error('a bad parameter')}}},
    '/dictionaries': {
        'get': {'summary': 'Parameter dictionaries, lowest precedence first (the built-in '
                           'one first)', 'operationId': 'listDictionaries',
                'responses': {'200': _json({'type': 'object', 'properties': {
                    'dictionaries': {'type': 'array', 'items': _ref('DictionarySummary')}}},
                    'the dictionaries')}},
        'post': {'summary': 'Load a dictionary (YAML, CSV or SSSOM); one of the same name is '
                            'replaced; existing records are re-mapped at once',
                 'operationId': 'loadDictionary', 'security': _SECURED,
                 'parameters': [
                     {'name': n, 'in': 'query', 'required': False, 'schema': {'type': 'string'},
                      'description': d} for n, d in (
                         ('name', 'dictionary name (raw file bodies)'),
                         ('source', 'only for this source, by name or id (raw file bodies)'),
                         ('format', 'yaml, csv or sssom (default: from Content-Type)'))],
                 'requestBody': {'required': True, 'content': {
                     'application/json': {'schema': _ref('DictionaryInput')},
                     'application/yaml': {'schema': {'type': 'string'}},
                     'text/csv': {'schema': {'type': 'string'}},
                     'text/tab-separated-values': {'schema': {'type': 'string'}}}},
                 'responses': dict({'201': _json(_DICTIONARY_CHANGE, 'loaded (Location header)'),
                                    '400': _error('the dictionary cannot be read, or no such source'),
                                    '413': _error('too large')}, **_WRITE_ERRORS)},
    },
    '/dictionaries/unmapped': {'get': {
        'summary': 'Raw observed properties and units no entry maps, and unit conflicts, '
                   'with how many records carry each', 'operationId': 'unmappedProperties',
        'parameters': [{'name': 'source', 'in': 'query', 'required': False,
                        'schema': {'type': 'string'}, 'description': 'source id or name'}],
        'responses': {'200': _json({'type': 'object', 'properties': {
            'unmapped': {'type': 'array', 'items': _ref('Unmapped')}}}, 'the to-do list'),
            '404': _error('no such source')}}},
    '/dictionaries/{name}': {
        'parameters': [_DICTIONARY_NAME],
        'get': {'summary': 'One dictionary with its entries', 'operationId': 'getDictionary',
                'responses': {'200': _json(_ref('Dictionary'), 'the dictionary'),
                              '404': _error('no such dictionary')}},
        'delete': {'summary': 'Remove a dictionary; records it mapped get raw values back',
                   'operationId': 'removeDictionary', 'security': _SECURED,
                   'responses': dict({'200': _json({'type': 'object', 'properties': {
                       'removed': _ref('DictionarySummary'),
                       'records_changed': {'type': 'integer'}}}, 'removed'),
                       '400': _error('the built-in dictionary cannot be removed'),
                       '404': _error('no such dictionary')}, **_WRITE_ERRORS)},
    },
    '/status': {'get': {
        'summary': 'Records online and offline, in total and per source and reason',
        'operationId': 'status',
        'responses': {'200': _json(_ref('Status'), 'the counts')}}},
}


def openapi_document(server_url: str = '/api') -> dict:
    """The OpenAPI 3.0 document of the admin API.

    :param server_url: the API's base URL (``http://host:port/api``)
    """
    return {
        'openapi': '3.0.3',
        'info': {'title': 'HubCat JSON API', 'version': __version__,
                 'description': 'Sources, harvests, run history and online/offline status of '
                                'the HubCat sensor catalogue, its peer catalogues and '
                                'federated search. Reads are open; writes need '
                                'Authorization: Bearer <admin token>. Errors are '
                                '{"error": "...", "status": N}.'},
        'servers': [{'url': server_url}],
        'paths': copy.deepcopy(PATHS),
        'components': {
            'schemas': copy.deepcopy(SCHEMAS),
            'securitySchemes': {'adminToken': {'type': 'http', 'scheme': 'bearer'}},
        },
    }
