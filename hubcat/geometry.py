"""Geometry helpers: bounding boxes to the WKT pycsw stores, and back."""
from __future__ import annotations

from typing import Optional

Box = tuple[float, float, float, float]


def bbox_to_wkt(bbox: Optional[Box]) -> Optional[str]:
    """WKT for a (minx, miny, maxx, maxy) box in lon/lat: a POINT when it has no extent.

    Full precision (pycsw's own bbox2wktpolygon rounds to 0.01 degree).
    """
    if bbox is None:
        return None
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if minx == maxx and miny == maxy:
        return f'POINT({_num(minx)} {_num(miny)})'
    return ('POLYGON((' + ', '.join(f'{_num(x)} {_num(y)}' for x, y in (
        (minx, miny), (minx, maxy), (maxx, maxy), (maxx, miny), (minx, miny))) + '))')


def _num(value: float) -> str:
    """A coordinate to 7 decimals (about 1 cm), without trailing zeros."""
    text = f'{value:.7f}'.rstrip('0').rstrip('.')
    return '0' if text == '-0' else text
