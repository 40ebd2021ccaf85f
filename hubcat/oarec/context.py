"""OWS Context (OGC 14-055r2, GeoJSON encoding) for a search: one resource per observed
property, each offering every service that serves it.

The IMIS report's model: a responder opens 'Air temperature' once in a client and picks
a service — the SensorThings API (its Datastreams of that property) or the SOS (a
GetObservation of that property from the offerings that have it).  The SOS and STA
offering codes are extension codes (14-055r2 lists none for them); the SOS one is the
code other OWS Context tools already use.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import replace
from typing import Optional
from urllib.parse import urlencode

from hubcat import __version__
from hubcat.config import Config
from hubcat.oarec.geojson import bbox_geometry
from hubcat.oarec.params import ItemsQuery
from hubcat.oarec.search import search
from hubcat.records import SOS, STA, CatalogRecord, union_bbox
from hubcat.times import iso, utcnow

CORE_PROFILE = 'http://www.opengis.net/spec/owc-geojson/1.0/req/core'
SOS_OFFERING = 'http://www.opengis.net/spec/owc-geojson/1.0/req/sos'
STA_OFFERING = 'http://www.opengis.net/spec/owc-geojson/1.0/req/sta'
#: the records a context is built from (Datastreams and SOS offerings carry the data)
DATA_KINDS = ['datastream', 'offering']
MAX_RECORDS = 5000
_SOS_VERSION = re.compile(r'SOS (\d\.\d\.\d)')


def context_document(config: Config, environ: dict, base: str, query: ItemsQuery,
                     self_url: str) -> dict:
    """The OWS Context of every Datastream and SOS offering ``query`` selects."""
    query = replace(query, types=query.types or DATA_KINDS, offset=0, limit=MAX_RECORDS)
    records = [CatalogRecord.from_json(row.hc_record) for row in
               _all_rows(config, environ, base, query) if row.hc_record]
    groups: OrderedDict[str, list[CatalogRecord]] = OrderedDict()
    for record in records:
        for label in record.property_labels():   # canonical where a dictionary maps
            groups.setdefault(label, []).append(record)
    features = [_resource(label, members, base) for label, members in sorted(groups.items())]
    box = union_bbox(r.bbox for r in records if r.bbox)
    document = {
        'type': 'FeatureCollection',
        'id': self_url,
        'properties': {
            'links': {'profiles': [{'href': CORE_PROFILE,
                                    'title': 'This file is compliant with version 1.0 of '
                                             'OGC Context'}],
                      'via': [{'href': self_url.replace('/api/context', '/records/collections/'
                                                        'sensors/items'),
                               'type': 'application/geo+json',
                               'title': 'The same search as OGC API - Records'}]},
            'lang': 'en',
            'title': 'HubCat sensors by observed property',
            'subtitle': f'{len(records)} Datastreams and SOS offerings, '
                        f'{len(features)} observed properties',
            'updated': iso(utcnow()),
            'generator': {'title': 'HubCat', 'version': __version__, 'uri': base + '/records'},
        },
        'features': features,
    }
    if box:
        document['bbox'] = list(box)
    return document


def _all_rows(config: Config, environ: dict, base: str, query: ItemsQuery) -> list:
    """Every row the query selects (pages of the server's cap), at most MAX_RECORDS."""
    rows, offset = [], 0
    while offset < MAX_RECORDS:
        page = search(config, environ, base, 'sensors', replace(query, offset=offset))
        rows += page.rows
        offset += len(page.rows)
        if not page.rows or offset >= page.matched:
            return rows
    return rows


def _is_uri(text: str) -> bool:
    """True for an http(s) URI or a URN (an ObservedProperty definition, not a name)."""
    return text.lower().startswith(('http://', 'https://', 'urn:'))


def _resource(label: str, members: list[CatalogRecord], base: str) -> dict:
    """One observed property: its extent and one offering per service that serves it."""
    by_service: OrderedDict[str, list[CatalogRecord]] = OrderedDict()
    for record in members:
        by_service.setdefault(record.service_id, []).append(record)
    offerings = [offering for records in by_service.values()
                 if (offering := _offering(records)) is not None]
    box = union_bbox(r.bbox for r in members if r.bbox)
    ends = sorted(r.time_end for r in members if r.time_end)
    resource = {
        'type': 'Feature',
        'id': f'{base}/records/collections/sensors/items?' + urlencode(
            {'observedProperty': label}),
        'geometry': bbox_geometry(box),
        'properties': {
            'title': label,
            'abstract': f'{len(members)} sensors of {label} in {len(by_service)} services',
            'updated': iso(utcnow()) if not ends else ends[-1],
            'offerings': offerings,
            'categories': [{'term': label, 'scheme': 'urn:hubcat:observed-property'}],
        },
    }
    return resource


def _offering(records: list[CatalogRecord]) -> Optional[dict]:
    """The offering of one service for one property (STA Datastreams or SOS GetObservation)."""
    first = records[0]
    raw = sorted({p for r in records for p in r.observed_properties})
    if first.service_type == STA:
        names = ' or '.join("ObservedProperty/%s eq '%s'" % (
            'definition' if _is_uri(p) else 'name', p.replace("'", "''")) for p in raw)
        root = first.service_url.rstrip('/')
        return {'code': STA_OFFERING, 'operations': [
            {'code': 'Datastreams', 'method': 'GET', 'type': 'application/json',
             'href': f'{root}/Datastreams?' + urlencode({'$filter': names,
                                                         '$expand': 'Thing,ObservedProperty'})},
            {'code': 'ServiceRoot', 'method': 'GET', 'type': 'application/json',
             'href': root + '/'}]}
    if first.service_type == SOS:
        version = next((m.group(1) for r in records for link in r.links
                        if (m := _SOS_VERSION.search(link.description))), '2.0.0')
        offering_ids = sorted({v for r in records for v in r.slots.get('offering', [])})
        url = first.service_url
        join = '&' if '?' in url else '?'
        return {'code': SOS_OFFERING, 'operations': [
            {'code': 'GetCapabilities', 'method': 'GET', 'type': 'application/xml',
             'href': url + join + urlencode({'service': 'SOS', 'request': 'GetCapabilities'})},
            {'code': 'GetObservation', 'method': 'GET', 'type': 'application/xml',
             'href': url + join + urlencode({
                 'service': 'SOS', 'version': version, 'request': 'GetObservation',
                 'offering': ','.join(offering_ids), 'observedProperty': ','.join(raw)})}]}
    return None

