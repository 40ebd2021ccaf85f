"""What the profile's writers need from one repository row, independent of pycsw's row type."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from hubcat.dublincore import status_text
from hubcat.records import CatalogRecord


@dataclass
class RowView:
    """A catalogue row as the writers see it: the record plus its catalogue state."""
    identifier: str
    record: Optional[CatalogRecord]
    status: str = 'online'
    reason: str = ''
    last_seen: str = ''
    status_changed: str = ''
    modified: str = ''
    kind: str = ''
    assoc_type: str = ''
    assoc_source: str = ''
    assoc_target: str = ''
    operateson: str = ''

    def datasets(self, own: list[str]) -> list[str]:
        """The dataset records a service row operates on beyond its own targets
        (:mod:`hubcat.datasets` adds them to the ``operateson`` column)."""
        from hubcat.datasets import dataset_operates_on
        return dataset_operates_on(self.operateson, own)

    @property
    def status_text(self) -> str:
        """'online' or 'offline:<reason>', as every output schema shows it."""
        return status_text(self.status, self.reason)

    @classmethod
    def from_row(cls, row) -> 'RowView':
        """Build from a pycsw result row (any object with the records table's attributes)."""
        def get(name):
            return getattr(row, name, None) or ''
        text = getattr(row, 'hc_record', None)
        record = CatalogRecord.from_json(text) if text else None
        if record is None and get('hc_kind') != 'association':
            record = _record_from_columns(row)
        return cls(identifier=get('identifier'), record=record,
                   status=get('hc_status') or 'online', reason=get('hc_status_reason'),
                   last_seen=get('hc_last_seen'), status_changed=get('hc_status_changed'),
                   modified=get('date_modified') or get('insert_date'), kind=get('hc_kind'),
                   assoc_type=get('hc_assoc_type'), assoc_source=get('hc_assoc_source'),
                   assoc_target=get('hc_assoc_target'), operateson=get('operateson'))


def _record_from_columns(row) -> CatalogRecord:
    """A record for a row HubCat did not harvest (e.g. inserted by CSW-T), from pycsw's columns."""
    from hubcat.records import OT_DATASET
    bbox = None
    wkt = getattr(row, 'wkt_geometry', None)
    if wkt:
        try:
            from pycsw.core.util import wkt2geom
            bbox = tuple(wkt2geom(wkt))
        except Exception:  # noqa: BLE001 - an unreadable geometry is left out
            bbox = None
    keywords = getattr(row, 'keywords', None) or ''
    return CatalogRecord(identifier=row.identifier, kind='external', object_type=OT_DATASET,
                         title=getattr(row, 'title', None) or row.identifier,
                         abstract=getattr(row, 'abstract', None) or '',
                         keywords=[k for k in keywords.split(',') if k], bbox=bbox,
                         parent_id=getattr(row, 'parentidentifier', None),
                         time_begin=getattr(row, 'time_begin', None),
                         time_end=getattr(row, 'time_end', None))
