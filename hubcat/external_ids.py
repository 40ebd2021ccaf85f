"""The identifiers a record's source gives it: OGC API - Records ``externalIds``.

Each is a ``(scheme, value)`` pair; the scheme names the service (a URL) that issued the
value, so that the same ``@iot.id`` of two STA servers, or of a Thing and a Datastream of
one server, stay apart:

==================  ==================================  ==================================
record              scheme                              value
==================  ==================================  ==================================
STA service         its root URL                        its root URL
STA Thing           ``{root}/Things``                   its ``@iot.id``
STA Datastream      ``{root}/Datastreams`` (or          its ``@iot.id``
                    ``{root}/MultiDatastreams``)
STA Thing, Datast.  its root URL                        its ``@iot.selfLink``
SOS service         its URL                             its URL
SOS offering        ``{url}#offering``                  the offering identifier
SOS procedure       ``{url}#procedure``                 the procedure identifier (and
                                                        the SensorML uniqueID if another)
ISO 19139 record    :data:`ISO_SCHEME`                  its ``gmd:fileIdentifier``
(loaded or CSW-T)
==================  ==================================  ==================================

A search (``externalIds=a,b``, CSW ``hubcat:ExternalId = 'a'``) matches a record when one
of its values, or one of its ``scheme:value`` strings (:func:`match_keys`), equals a term
exactly: no partial matches, case counts.
"""
from __future__ import annotations

import re
from typing import Mapping

from hubcat.records import OFFERING, PROCEDURE, SERVICE, CatalogRecord

#: the records column (comma-joined values) and ``hubcat_record_values`` field
COLUMN = 'hc_external_ids'
#: scheme of the fileIdentifier of ISO 19139 records HubCat did not harvest
ISO_SCHEME = 'http://www.isotc211.org/2005/gmd#fileIdentifier'
ISO_SCHEMA = 'http://www.isotc211.org/2005/gmd'
_ENTITY_SET = re.compile(r'/([A-Za-z]+)\([^/]*\)$')


def external_ids(record: CatalogRecord) -> list[tuple[str, str]]:
    """(scheme, value) of every identifier the source gives a harvested record (module
    table), in a stable order, each once."""
    url = record.service_url
    pairs: list[tuple[str, str]] = []
    if url and record.kind == SERVICE:
        pairs.append((url, url))
    elif url and record.service_type == 'STA':
        self_link = _first(record.slots.get('@iot.selfLink'))
        iot_id = _first(record.slots.get('@iot.id'))
        found = _ENTITY_SET.search(self_link)
        if iot_id and found:
            pairs.append((f'{url}/{found.group(1)}', iot_id))
        if self_link:
            pairs.append((url, self_link))
    elif url and record.service_type == 'SOS' and record.kind == OFFERING:
        pairs += [(f'{url}#offering', o) for o in record.slots.get('offering', [])[:1]]
    elif url and record.service_type == 'SOS' and record.kind == PROCEDURE:
        pairs += [(f'{url}#procedure', p) for p in record.slots.get('procedure', [])[:1]]
        pairs += [(f'{url}#procedure', p) for p in record.slots.get('uniqueID', [])[:1]]
    return list(dict.fromkeys((s, v) for s, v in pairs if v))


def plain_ids(row: Mapping) -> list[tuple[str, str]]:
    """(scheme, value) of a row HubCat did not harvest: an ISO 19139 record's
    fileIdentifier (its identifier); none for other schemas."""
    if row.get('schema') == ISO_SCHEMA and row.get('identifier'):
        return [(ISO_SCHEME, row['identifier'])]
    return []


def match_keys(pairs: list[tuple[str, str]]) -> list[str]:
    """The strings a search term must equal: each value, and each ``scheme:value``."""
    return list(dict.fromkeys([v for _, v in pairs] + [f'{s}:{v}' for s, v in pairs]))


def column_value(pairs: list[tuple[str, str]]):
    """The records column: the values, comma-joined (None when there are none)."""
    return ','.join(dict.fromkeys(v for _, v in pairs)) or None


def as_json(pairs: list[tuple[str, str]]) -> list[dict]:
    """The GeoJSON ``externalIds`` property."""
    return [{'scheme': s, 'value': v} for s, v in pairs]


def _first(values) -> str:
    return str(values[0]) if values and values[0] is not None else ''
