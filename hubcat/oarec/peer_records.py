"""Records of other catalogues (found by the federated search) as GeoJSON records (pure).

A peer answers CSW records: Dublin Core (the federated JSON search asks for it), ISO
19139 or ebRIM.  :func:`peer_feature` reads their core properties through
:mod:`hubcat.federation.record_values` and links each record to the catalogue it came
from: ``via`` is the record at that catalogue (a CSW GetRecordById there), ``related``
its ``dct:references``.  ``federatedCatalogId`` names the catalogue (pycsw's name for
the property when it merges a distributed search).
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlencode

from lxml import etree

from hubcat.federation.record_values import DC, DCT, bbox_of, schema_of, value_of
from hubcat.oarec.geojson import bbox_geometry
from hubcat.times import iso, parse_time
from hubcat.urls import redact_url

#: the property naming the catalogue a record came from
CATALOGUE_PROPERTY = 'federatedCatalogId'
RECORD_CORE = 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core'
DC_SCHEMA = 'http://www.opengis.net/cat/csw/2.0.2'


def peer_feature(element: etree._Element, identifier: Optional[str], catalogue: str,
                 catalogue_url: str) -> dict:
    """One record of catalogue ``catalogue`` (CSW endpoint ``catalogue_url``) as GeoJSON.

    :param element: the record as the catalogue returned it
    :param identifier: its identifier (None when it has none: the feature gets none either)
    :returns: a ``recordGeoJSON`` feature
    """
    properties = {
        'type': value_of(element, 'type'),
        'title': value_of(element, 'title') or identifier,
        'description': value_of(element, 'abstract'),
        'keywords': _subjects(element),
        'updated': iso(parse_time(value_of(element, 'modified'))),
        CATALOGUE_PROPERTY: catalogue,
    }
    links = []
    if identifier:
        links.append({'rel': 'via', 'type': 'application/xml',
                      'title': f'This record at catalogue {catalogue} (CSW, Dublin Core)',
                      'href': record_url(catalogue_url, identifier)})
    links += [{'rel': 'related', 'href': href} for href in _references(element)]
    return {
        'id': identifier or '',
        'type': 'Feature',
        'conformsTo': [RECORD_CORE],
        'geometry': bbox_geometry(bbox_of(element)),
        'properties': {k: v for k, v in properties.items() if v not in (None, '', [])},
        'links': links,
    }


def record_url(catalogue_url: str, identifier: str) -> str:
    """A CSW 2.0.2 GetRecordById of one record at a catalogue (credentials redacted)."""
    query = urlencode({'service': 'CSW', 'version': '2.0.2', 'request': 'GetRecordById',
                       'id': identifier, 'elementSetName': 'full',
                       'outputSchema': DC_SCHEMA})
    url = redact_url(catalogue_url)
    return url + ('&' if '?' in url else '?') + query


def _subjects(element: etree._Element) -> list[str]:
    """Every ``dc:subject`` of a Dublin Core record (others: none)."""
    if schema_of(element) != 'dc':
        return []
    return [e.text.strip() for e in element.iter(f'{{{DC}}}subject')
            if e.text and e.text.strip()]


def _references(element: etree._Element) -> list[str]:
    """The http(s) ``dct:references`` of a Dublin Core record."""
    if schema_of(element) != 'dc':
        return []
    return [e.text.strip() for e in element.iter(f'{{{DCT}}}references')
            if e.text and e.text.strip().startswith(('http://', 'https://'))]
