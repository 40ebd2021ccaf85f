"""The fixed documents of OGC API - Records: landing page, conformance, collections,
queryables and the OpenAPI description (plain dicts, rendered as JSON or HTML)."""
from __future__ import annotations

from hubcat import __version__
from hubcat.oarec.cql2 import CRS84, GEOMETRY, TIMESTAMP_QUERYABLES
from hubcat.oarec.params import queryables, sortables
from hubcat.sorting import MAX_KEYS
from hubcat.oarec.search import COLLECTIONS

JSON = 'application/json'
HTML = 'text/html'
OPENAPI = 'application/vnd.oai.openapi+json;version=3.0'
#: only what holds (tests/test_records_api.py and tests/test_records_sorting.py check the
#: responses); 'sorting': sortby takes a list of keys (hubcat.sorting sorts by all of them,
#: then by identifier) and each collection has its sortables
CONFORMANCE = (
    'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
    'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/html',
    'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/oas30',
    'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
    'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
)
#: CQL2 filtering (hubcat/oarec/cql2.py; tests/test_records_filter.py checks each class)
FILTER_CONFORMANCE = (
    'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
    'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
    'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
    'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
    'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
    'http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison',
    'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions',
)
#: LIKE matching case as CQL2 asks: not on SQLite, whose LIKE ignores ASCII case (HubCat's
#: filter translation, shared with CSW, keeps SQLite's LIKE)
ADVANCED_COMPARISON = 'http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators'
#: every geometry type in S_INTERSECTS: only where footprints are compared exactly (SQLite
#: with shapely, PostGIS), not on PostgreSQL without PostGIS (envelopes)
SPATIAL_PLUS = 'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus'
#: queryable -> JSON schema type (strings unless listed)
_TYPES = {name: 'date-time' for name in TIMESTAMP_QUERYABLES}
_ENUMS = {'hubcat:Status': ['online', 'offline'],
          'hubcat:StatusReason': ['removed', 'stale', 'unreachable'],
          'hubcat:ServiceType': ['STA', 'SOS'],
          'hubcat:EntityType': ['service', 'thing', 'datastream', 'offering', 'procedure',
                                'dataset']}


def _link(href: str, rel: str, type_: str, title: str) -> dict:
    return {'href': href, 'rel': rel, 'type': type_, 'title': title}


def landing_page(base: str, title: str) -> dict:
    """``/records``: what the API offers."""
    root = f'{base}/records'
    return {
        'title': title,
        'description': 'Sensors and sensor services (OGC SensorThings API, SOS) found by '
                       'HubCat, as OGC API - Records. The same records answer CSW at /csw.',
        'links': [
            _link(root, 'self', JSON, 'This document'),
            _link(root + '?f=html', 'alternate', HTML, 'This document as HTML'),
            _link(root + '/openapi', 'service-desc', OPENAPI, 'The API definition'),
            _link(root + '/conformance', 'conformance', JSON, 'Conformance classes'),
            _link(root + '/collections', 'data', JSON, 'Record collections'),
            _link(base + '/csw?service=CSW&request=GetCapabilities', 'alternate',
                  'application/xml', 'The same catalogue as CSW'),
        ],
    }


def conformance(dbtype: str) -> dict:
    """``/records/conformance`` of a catalogue on ``dbtype`` (pycsw's: ``sqlite``,
    ``postgresql``, ``postgresql+postgis+...``), which decides two CQL2 classes."""
    return {'conformsTo': list(CONFORMANCE) + list(FILTER_CONFORMANCE)
            + ([ADVANCED_COMPARISON] if dbtype != 'sqlite' else [])
            + ([SPATIAL_PLUS] if dbtype != 'postgresql' else [])}


def collection(base: str, collection_id: str, extent=None) -> dict:
    """One collection's description (``itemType`` record)."""
    title, description, _kinds = COLLECTIONS[collection_id]
    root = f'{base}/records/collections/{collection_id}'
    found = {
        'id': collection_id, 'title': title, 'description': description,
        'itemType': 'record', 'type': 'Collection',
        'crs': ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'],
        'links': [
            _link(root, 'self', JSON, 'This collection'),
            _link(root + '?f=html', 'alternate', HTML, 'This collection as HTML'),
            _link(root + '/items', 'items', 'application/geo+json', 'Its records'),
            _link(root + '/items?f=html', 'items', HTML, 'Its records as HTML'),
            _link(root + '/queryables', 'http://www.opengis.net/def/rel/ogc/1.0/queryables',
                  'application/schema+json', 'What its records can be filtered by'),
            _link(root + '/sortables', 'http://www.opengis.net/def/rel/ogc/1.0/sortables',
                  'application/schema+json', 'What its records can be sorted by'),
        ],
    }
    if extent:
        found['extent'] = {'spatial': {'bbox': [list(extent)],
                                       'crs': 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    return found


def collections(base: str) -> dict:
    """``/records/collections``."""
    return {
        'collections': [collection(base, cid) for cid in COLLECTIONS],
        'links': [_link(f'{base}/records/collections', 'self', JSON, 'This document'),
                  _link(f'{base}/records/collections?f=html', 'alternate', HTML, 'As HTML')],
    }


def _property_schema(name: str, csw_name: str) -> dict:
    schema = {'title': f'{name} (CSW: {csw_name})', 'type': 'string'}
    if csw_name in _TYPES:
        schema['format'] = _TYPES[csw_name]
    if csw_name in _ENUMS:
        schema['enum'] = _ENUMS[csw_name]
    return schema


def _schema_document(base: str, collection_id: str, path: str, properties: dict) -> dict:
    return {
        '$schema': 'https://json-schema.org/draft/2020-12/schema',
        '$id': f'{base}/records/collections/{collection_id}/{path}',
        'type': 'object', 'title': COLLECTIONS[collection_id][0],
        'properties': properties,
    }


def queryables_document(base: str, collection_id: str) -> dict:
    """``/collections/{id}/queryables``: a JSON schema of the filterable properties."""
    properties = {'id': {'title': 'Record identifier', 'type': 'string'},
                  'q': {'title': 'Free text (title, description, keywords, sensor names)',
                        'type': 'string'},
                  'type': {'title': 'Record type', 'type': 'string',
                           'enum': _ENUMS['hubcat:EntityType']}}
    properties[GEOMETRY] = {'title': 'Footprint (CRS84), for S_INTERSECTS and the other '
                            'spatial functions of filter', 'format': 'geometry-any'}
    properties.update((name, _property_schema(name, csw_name))
                      for name, csw_name in queryables().items())
    return _schema_document(base, collection_id, 'queryables', properties)


def sortables_document(base: str, collection_id: str) -> dict:
    """``/collections/{id}/sortables``: a JSON schema of the properties ``sortby`` takes."""
    properties = {name: _property_schema(name, csw_name) for name, csw_name in sortables().items()}
    properties['id']['title'] = 'Record identifier'
    return _schema_document(base, collection_id, 'sortables', properties)


def openapi(base: str) -> dict:
    """The OpenAPI 3.0 description of ``/records``."""
    def param(name, description, schema=None, required=False, where='query'):
        return {'name': name, 'in': where, 'required': required, 'description': description,
                'schema': schema or {'type': 'string'}}

    array = {'type': 'array', 'items': {'type': 'string'}}
    item_params = [
        param('bbox', 'minLon,minLat,maxLon,maxLat (CRS84)',
              {'type': 'array', 'minItems': 4, 'maxItems': 6, 'items': {'type': 'number'}}),
        param('datetime', 'an instant or start/end (.. for an open end): records whose '
              'phenomenon time meets it'),
        param('limit', 'records per page (capped by the server)',
              {'type': 'integer', 'minimum': 1, 'default': 10}),
        param('offset', 'records to skip', {'type': 'integer', 'minimum': 0, 'default': 0}),
        param('q', 'free-text terms, comma-separated (any of them)', array),
        param('type', 'record types (service, thing, datastream, offering, procedure, or a '
              'DCMI type)', array),
        param('ids', 'record identifiers', array),
        param('externalIds', 'identifiers the sources give records (properties.externalIds): '
              'a record matches when one of its values, or one of its scheme:value strings, '
              'equals an item exactly (STA: @iot.id under {service root}/Things or '
              '/Datastreams, @iot.selfLink under the root; SOS: offering or procedure '
              'identifier under {service URL}#offering or #procedure; ISO records: '
              'fileIdentifier)', array),
        param('sortby', f'up to {MAX_KEYS} comma-separated sort keys, +name (or name) '
              'ascending, -name descending, names from /collections/{collectionId}/sortables; '
              'ties keep one fixed order, text by code point, records without a value come last',
              array),
        param('f', 'json or html', {'type': 'string', 'enum': ['json', 'html']}),
        param('filter', 'a CQL2 filter on the queryables (README: OGC API - Records): '
              "e.g. status = 'online' AND S_INTERSECTS(geometry, BBOX(8, 47, 9, 48))"),
        param('filter-lang', 'the encoding of filter',
              {'type': 'string', 'enum': ['cql2-text', 'cql2-json'], 'default': 'cql2-text'}),
        param('filter-crs', 'the CRS of the geometries in filter (CRS84 only)',
              {'type': 'string', 'format': 'uri', 'enum': [CRS84], 'default': CRS84}),
        param('distributedSearch', 'true: search the peer catalogues too (OGC API - Records '
              'Part 4, draft): merged records and federatedSearchResults',
              {'type': 'boolean', 'default': False}),
        param('federatedCatalogs', 'with distributedSearch: the peers to ask (names)', array),
    ] + [param(name, f'equal to (CSW queryable {csw})') for name, csw in queryables().items()]
    collection_id = param('collectionId', 'all, sensors or services',
                          {'type': 'string', 'enum': list(COLLECTIONS)}, True, 'path')
    ok = {'description': 'OK', 'content': {'application/json': {'schema': {'type': 'object'}}}}
    features = {'description': 'OK',
                'content': {'application/geo+json': {'schema': {'type': 'object'}}}}
    bad = {'description': 'A bad parameter',
           'content': {'application/json': {'schema': {'type': 'object'}}}}
    missing = {'description': 'No such collection or record',
               'content': {'application/json': {'schema': {'type': 'object'}}}}

    def get(summary, params=(), responses=None):
        return {'get': {'summary': summary, 'parameters': list(params),
                        'responses': responses or {'200': ok}}}

    return {
        'openapi': '3.0.3',
        'info': {'title': 'HubCat OGC API - Records', 'version': __version__,
                 'description': 'Sensors and sensor services as OGC API - Records (20-004r1).'},
        'servers': [{'url': f'{base}/records'}],
        'paths': {
            '/': get('Landing page'),
            '/conformance': get('Conformance classes'),
            '/openapi': get('This document'),
            '/collections': get('Record collections'),
            '/collections/{collectionId}': get('One collection', [collection_id],
                                               {'200': ok, '404': missing}),
            '/collections/{collectionId}/queryables': get('Queryables', [collection_id],
                                                          {'200': ok, '404': missing}),
            '/collections/{collectionId}/sortables': get('Sortables', [collection_id],
                                                         {'200': ok, '404': missing}),
            '/collections/{collectionId}/items': get(
                'Search records', [collection_id] + item_params,
                {'200': features, '400': bad, '404': missing}),
            '/collections/{collectionId}/items/{recordId}': get(
                'One record', [collection_id, param('recordId', 'record identifier',
                                                    required=True, where='path')],
                {'200': features, '404': missing}),
        },
    }

