"""Catalogue rows as OGC API - Records GeoJSON records (``recordGeoJSON``).

Sensor records (harvested: they carry their :class:`~hubcat.records.CatalogRecord`) get
HubCat's properties (status, observed property, unit, service) and links to their data,
their service, their Thing and their Datastreams; plain Dublin Core/ISO records (loaded or
inserted through CSW-T) are read from pycsw's columns.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import quote, urlencode

from hubcat import external_ids
from hubcat.records import DATASET, HAS_DATASTREAM, HAS_MEMBER, CatalogRecord
from hubcat.times import iso, parse_time

GEOJSON = 'application/geo+json'
#: CSW alternates of every record: (title, outputSchema)
CSW_ALTERNATES = (
    ('Dublin Core (CSW)', 'http://www.opengis.net/cat/csw/2.0.2'),
    ('ISO 19139 (CSW)', 'http://www.isotc211.org/2005/gmd'),
    ('ebRIM (CSW)', 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'),
)
#: queryable property name -> records column, for the status block of sensor records
STATUS_COLUMNS = (('status', 'hc_status'), ('statusReason', 'hc_status_reason'),
                  ('lastSeen', 'hc_last_seen'), ('statusChanged', 'hc_status_changed'))
PROPERTY_SCHEME = 'urn:hubcat:observed-property'


def item_url(base: str, collection: str, identifier: str) -> str:
    """The URL of one record in a collection."""
    return f'{base}/records/collections/{collection}/items/{quote(identifier, safe="")}'


def csw_record_url(base: str, identifier: str, schema: str) -> str:
    """A CSW GetRecordById request of one record in one output schema."""
    return base + '/csw?' + urlencode({
        'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById', 'id': identifier,
        'elementSetName': 'full', 'outputSchema': schema})


def record_feature(row, base: str, collection: str) -> dict:
    """One stored row as a GeoJSON record with its links."""
    record = CatalogRecord.from_json(row.hc_record) if row.hc_record else None
    properties = sensor_properties(record, row) if record else plain_properties(row)
    feature = {
        'id': row.identifier,
        'type': 'Feature',
        'conformsTo': ['http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core'],
        'time': _time(row.time_begin, row.time_end),
        'geometry': _geometry(record.bbox if record else None, row.wkt_geometry),
        'properties': {k: v for k, v in properties.items() if v not in (None, '', [])},
        'links': _links(record, row, base, collection),
    }
    if feature['time'] is None:
        del feature['time']
    return feature


def sensor_properties(record: CatalogRecord, row) -> dict:
    """The properties of a harvested record: core ones, then HubCat's."""
    labels = record.property_labels()   # canonical where a parameter dictionary maps
    properties = {
        'type': record.kind,
        'entityType': record.kind,                  # the queryable of the same name
        'title': record.title,
        'description': record.abstract,
        'keywords': list(record.keywords),
        'updated': _timestamp(row.date_modified or row.hc_last_seen),
        'created': _timestamp(row.insert_date),
        'themes': [{'concepts': [{'id': label} for label in labels],
                    'scheme': PROPERTY_SCHEME}] if labels else None,
        'observedProperty': labels,
        'observedPropertyURI': record.property_uris(),
        'observedPropertyRaw': list(record.observed_properties),
        'unit': record.unit,
        'serviceType': record.service_type,
        'serviceURL': record.service_url,           # the names of the queryables
        'serviceIdentifier': record.service_id,
        'thingIdentifier': record.thing_id,
        'parentIdentifier': record.parent_id,
        'objectType': record.object_type,
        'externalIds': external_ids.as_json(external_ids.external_ids(record)),
    }
    properties.update({name: getattr(row, column) for name, column in STATUS_COLUMNS})
    if properties['lastSeen']:
        properties['lastSeen'] = _timestamp(properties['lastSeen'])
    return properties


def plain_properties(row) -> dict:
    """The properties of a Dublin Core / ISO record from pycsw's columns."""
    return {
        'type': row.type,
        'title': row.title or row.identifier,
        'description': row.abstract,
        'keywords': [k for k in (row.keywords or '').split(',') if k],
        'updated': _timestamp(row.date_modified),   # dct:modified, what updated= filters
        'created': _timestamp(row.insert_date),
        'externalIds': external_ids.as_json(external_ids.plain_ids(
            {'schema': row.schema, 'identifier': row.identifier})),
    }


def _links(record: Optional[CatalogRecord], row, base: str, collection: str) -> list[dict]:
    url = item_url(base, collection, row.identifier)
    links = [
        {'rel': 'self', 'type': GEOJSON, 'title': 'This record as GeoJSON', 'href': url},
        {'rel': 'alternate', 'type': 'text/html', 'title': 'This record as HTML',
         'href': url + '?f=html'},
        {'rel': 'collection', 'type': 'application/json', 'title': 'The collection',
         'href': f'{base}/records/collections/{collection}'},
    ]
    links += [{'rel': 'alternate', 'type': 'application/xml', 'title': title,
               'href': csw_record_url(base, row.identifier, schema)}
              for title, schema in CSW_ALTERNATES]
    if record is None:
        return links + _stored_links(row.links)
    for link in record.links:
        links.append({'rel': 'related', 'href': link.url, 'title': link.name or link.protocol,
                      'protocol': link.protocol})
    if record.service_id and record.service_id != record.identifier:
        links.append({'rel': 'service', 'type': GEOJSON, 'title': 'The service',
                      'href': item_url(base, 'all', record.service_id)})
    if record.thing_id:
        links.append({'rel': 'up', 'type': GEOJSON, 'title': 'The Thing',
                      'href': item_url(base, 'all', record.thing_id)})
    links += [{'rel': 'item', 'type': GEOJSON, 'title': 'A Datastream',
               'href': item_url(base, 'all', a.target)}
              for a in record.associations if a.type == HAS_DATASTREAM]
    if record.kind == DATASET:  # one dataset, several services: link each, and each member
        links += [{'rel': 'service', 'type': GEOJSON, 'title': 'A service publishing it',
                   'href': item_url(base, 'all', s)} for s in record.slots.get('service', [])]
        links += [{'rel': 'item', 'type': GEOJSON, 'title': 'Its Datastream or offering',
                   'href': item_url(base, 'all', a.target)}
                  for a in record.associations if a.type == HAS_MEMBER]
    return links


def _stored_links(text: Optional[str]) -> list[dict]:
    """pycsw's ``links`` column (``name,description,protocol,url^...``) as links."""
    links = []
    for item in (text or '').split('^'):
        parts = item.split(',')
        if len(parts) >= 4 and parts[-1]:
            links.append({'rel': 'related', 'href': ','.join(parts[3:]),
                          'title': parts[0] or parts[2]})
    return links


def _geometry(bbox, wkt: Optional[str]) -> Optional[dict]:
    """A Point (a degenerate box) or a Polygon, from the record's box or pycsw's WKT."""
    if bbox is None and wkt:
        from shapely import wkt as shapely_wkt
        try:
            bbox = shapely_wkt.loads(wkt).bounds
        except Exception:  # noqa: BLE001 - a record with bad WKT has no geometry
            return None
    return bbox_geometry(bbox)


def bbox_geometry(bbox) -> Optional[dict]:
    """A GeoJSON Point (a degenerate box) or Polygon of ``(minx, miny, maxx, maxy)``."""
    if bbox is None:
        return None
    minx, miny, maxx, maxy = bbox
    if minx == maxx and miny == maxy:
        return {'type': 'Point', 'coordinates': [minx, miny]}
    return {'type': 'Polygon', 'coordinates': [[[minx, miny], [maxx, miny], [maxx, maxy],
                                                 [minx, maxy], [minx, miny]]]}


def _timestamp(text: Optional[str]) -> Optional[str]:
    """An RFC 3339 UTC timestamp (``...Z``), None when there is none."""
    return iso(parse_time(text))


def _time(begin: Optional[str], end: Optional[str]) -> Optional[dict]:
    if not begin and not end:
        return None
    return {'interval': [_timestamp(begin) or '..', _timestamp(end) or '..']}
