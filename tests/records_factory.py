"""Small record sets for catalogue tests (the shapes an STA harvest produces)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hubcat.records import (DATASTREAM, HAS_DATASTREAM, OPERATES_ON, OT_MEASUREMENT,
                            OT_STA_SERVICE, OT_THING, SERVICE, THING, Association,
                            CatalogRecord)

URL = 'http://sta.example.org/v1.1'


def iso_ago(**delta) -> str:
    """ISO 8601 UTC text for now minus a timedelta."""
    return (datetime.now(timezone.utc) - timedelta(**delta)).strftime('%Y-%m-%dT%H:%M:%SZ')


def station(n_things: int = 2, per_thing: int = 2, newest: str | None = None) -> list[CatalogRecord]:
    """A service with Things and Datastreams, newest observation ``newest`` (default: 5 min ago)."""
    newest = newest or iso_ago(minutes=5)
    service = CatalogRecord(identifier='urn:test:service', kind=SERVICE, object_type=OT_STA_SERVICE,
                            title='Test STA', service_type='STA', service_url=URL)
    records = [service]
    for t in range(n_things):
        thing = CatalogRecord(identifier=f'urn:test:thing:{t}', kind=THING, object_type=OT_THING,
                              title=f'Station {t}', service_type='STA', service_url=URL,
                              service_id=service.identifier, parent_id=service.identifier,
                              bbox=(7.0 + t, 46.0, 7.0 + t, 46.0), keywords=['weather'])
        service.associations.append(Association(OPERATES_ON, thing.identifier))
        records.append(thing)
        for d in range(per_thing):
            ds = CatalogRecord(identifier=f'urn:test:ds:{t}:{d}', kind=DATASTREAM,
                               object_type=OT_MEASUREMENT, title=f'Station {t} stream {d}',
                               service_type='STA', service_url=URL, service_id=service.identifier,
                               parent_id=thing.identifier, thing_id=thing.identifier,
                               bbox=thing.bbox, observed_properties=['Air temperature'],
                               unit='degC', time_begin=iso_ago(days=1), time_end=newest)
            thing.associations.append(Association(HAS_DATASTREAM, ds.identifier))
            records.append(ds)
    return records
