"""Run an OGC API - Records items query through HubCat's CSW, in-process.

The query becomes a CSW 2.0.2 GetRecords (filters of :mod:`hubcat.ogc_filter`, so every
user value is a bound literal) answered by the same pycsw/HubCat repository as ``/csw``;
the matching identifiers then select the stored rows, which :mod:`hubcat.oarec.geojson`
renders.  One query engine: OGC API and CSW cannot disagree on what matches.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select

from hubcat import ogc_filter
from hubcat.config import Config
from hubcat.csw import run_pycsw
from hubcat.db import get_engine, records_table
from hubcat.federation.csw_request import CSW, NAMESPACES
from hubcat.oarec.params import EXTERNAL_ID, DATE_TIME_QUERYABLES, ItemsQuery, time_forms
from hubcat.ows import OWS_NS

DC = NAMESPACES['dc']
SENSOR_KINDS = ('thing', 'datastream', 'offering', 'procedure', 'dataset')
#: collection id -> (title, description, entity types it holds; empty: every record)
COLLECTIONS = {
    'all': ('All records', 'Every record of the catalogue: services, sensors, datasets.', ()),
    'sensors': ('Sensors', 'SensorThings Things and Datastreams, SOS offerings and '
                'procedures, and datasets published by several services, with their '
                'online/offline status.', SENSOR_KINDS),
    'services': ('Sensor services', 'The SensorThings API and SOS services harvested.',
                 ('service',)),
}


class SearchFailed(Exception):
    """The catalogue refused the query (its ExceptionReport text)."""


@dataclass
class Page:
    """One page of results: stored rows in result order, and the number that matched."""
    matched: int
    rows: list
    limit: int


def search(config: Config, environ: dict, base_url: str, collection: str,
           query: ItemsQuery) -> Page:
    """The page of ``collection`` that ``query`` selects."""
    limit = min(query.limit, config.parser.getint('server', 'maxrecords', fallback=100))
    body = getrecords(collection, query, limit)
    env = dict(environ, REQUEST_METHOD='POST', QUERY_STRING='', CONTENT_TYPE='application/xml')
    _status, _type, content = run_pycsw(config, env, body, base_url.rstrip('/') + '/csw')
    root = etree.fromstring(content)
    if etree.QName(root).localname == 'ExceptionReport':
        texts = root.xpath('//ows:ExceptionText/text()', namespaces={'ows': OWS_NS['2.0.2']})
        raise SearchFailed(' '.join(texts) or 'the catalogue refused the query')
    results = root.find(f'{{{CSW}}}SearchResults')
    ids = [e.text for e in results.iter(f'{{{DC}}}identifier')]
    return Page(matched=int(results.get('numberOfRecordsMatched', '0')),
                rows=rows_by_identifier(config, ids), limit=limit)


def rows_by_identifier(config: Config, ids: list[str]) -> list:
    """The stored rows of ``ids``, in that order (missing ones left out)."""
    if not ids:
        return []
    table = records_table(config.database_url, config.table)
    with get_engine(config.database_url).connect() as conn:
        found = {row.identifier: row for row in
                 conn.execute(select(table).where(table.c.identifier.in_(ids)))}
    return [found[i] for i in ids if i in found]


def getrecords(collection: str, query: ItemsQuery, limit: int,
               element_set: str = 'brief') -> bytes:
    """The CSW 2.0.2 GetRecords request (DC records of ``element_set``) for an items query."""
    nsmap = {'csw': CSW, 'ogc': ogc_filter.OGC, 'gml': ogc_filter.GML}
    root = etree.Element(f'{{{CSW}}}GetRecords', nsmap=nsmap, service='CSW', version='2.0.2',
                         resultType='results', outputSchema=CSW,
                         startPosition=str(query.offset + 1), maxRecords=str(limit))
    csw_query = etree.SubElement(root, f'{{{CSW}}}Query', typeNames='csw:Record')
    etree.SubElement(csw_query, f'{{{CSW}}}ElementSetName').text = element_set
    condition = ogc_filter.combine('And', conditions(collection, query))
    if condition is not None:
        constraint = etree.SubElement(csw_query, f'{{{CSW}}}Constraint', version='1.1.0')
        etree.SubElement(constraint, f'{{{ogc_filter.OGC}}}Filter').append(condition)
    sort = etree.SubElement(csw_query, f'{{{ogc_filter.OGC}}}SortBy') if query.sortby else None
    for prop, ascending in query.sortby:   # the repository adds the identifier last
        prop_el = etree.SubElement(sort, f'{{{ogc_filter.OGC}}}SortProperty')
        etree.SubElement(prop_el, f'{{{ogc_filter.OGC}}}PropertyName').text = prop
        etree.SubElement(prop_el, f'{{{ogc_filter.OGC}}}SortOrder').text = \
            'ASC' if ascending else 'DESC'
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')


def conditions(collection: str, query: ItemsQuery) -> list:
    """The filter conditions (ANDed) of a collection and an items query."""
    f = ogc_filter
    found = []
    kinds = COLLECTIONS[collection][2]
    if kinds == SENSOR_KINDS:   # one comparison, not an Or of five
        found.append(f.compare('PropertyIsNotEqualTo', 'hubcat:EntityType', 'service'))
    elif kinds:
        found.append(f.combine('Or', [f.equal('hubcat:EntityType', k) for k in kinds]))
    if query.terms:
        found.append(f.combine('Or', [f.like('csw:AnyText', f'%{t}%') for t in query.terms]))
    if query.types:
        found.append(f.combine('Or', [c for t in query.types
                                      for c in (f.equal('hubcat:EntityType', t),
                                                f.equal('dc:type', t))]))
    if query.ids:
        found.append(f.combine('Or', [f.equal('dc:identifier', i) for i in query.ids]))
    if query.external_ids:   # exact per value (hubcat.multivalue, hubcat.external_ids)
        found.append(f.combine('Or', [f.equal(EXTERNAL_ID, i) for i in query.external_ids]))
    for prop, value in query.properties.items():
        values = time_forms(value) if prop in DATE_TIME_QUERYABLES else [value]
        found.append(f.combine('Or', [f.equal(prop, v) for v in values]))
    if query.bbox:
        found.append(f.bbox(query.bbox))
    if query.filter is not None:
        found.append(copy.deepcopy(query.filter))
    if query.interval:
        start, end = query.interval
        if start:
            found.append(f.compare('PropertyIsGreaterThanOrEqualTo',
                                   'hubcat:PhenomenonTimeEnd', start))
        if end:
            found.append(f.compare('PropertyIsLessThanOrEqualTo',
                                   'hubcat:PhenomenonTimeBegin', _end_of(end)))
    return found


def _end_of(instant: str) -> str:
    """The last moment of a date (an end given as a date includes that whole day)."""
    return instant + 'T23:59:59.999999' if len(instant) == 10 else instant
