"""GML pieces that SOS documents carry: envelopes (with their axis order) and time periods.

Axis order rule (what :func:`envelope_to_lonlat` does with a ``srsName``):

* OGC URN and HTTP URI forms (``urn:ogc:def:crs:EPSG::4326``,
  ``urn:ogc:def:crs:EPSG:6.11:4326``, ``urn:x-ogc:def:crs:EPSG:4326``,
  ``http://www.opengis.net/def/crs/EPSG/0/4326``) follow the axis order of the
  EPSG definition: EPSG:4326 is latitude first, a projected CRS such as
  EPSG:31466 is northing first.
* Legacy forms (``EPSG:4326``, ``http://www.opengis.net/gml/srs/epsg.xml#4326``)
  are read in the traditional GIS order: longitude/easting first.
* No ``srsName``: read as ``urn:ogc:def:crs:EPSG::4326`` (what SOS 1.0 and 2.0 mandate).
* Sanity check: when the order above puts a value outside [-90, 90] in the
  latitude position and the swapped reading is valid, the server wrote the
  axes the other way round (NIWA's hydro SOS does): the swapped box is used and
  a warning says so.
* Other CRSes are transformed to EPSG:4326 with pyproj (a pycsw dependency);
  a CRS pyproj does not know gives no box and a warning.

The result is always ``(minlon, minlat, maxlon, maxlat)``.
"""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Optional

from hubcat.times import normalise_time

LOGGER = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
_PROJ_LOCK = threading.Lock()  # pyproj transformers are shared (cached), not thread-safe

_URN = re.compile(r'^urn:(?:x-)?ogc:(?:def:)?crs:epsg:(?:[0-9.]*:)?(\d+)$', re.I)
_HTTP = re.compile(r'^https?://www\.opengis\.net/def/crs/epsg/[0-9.]+/(\d+)$', re.I)
_LEGACY = re.compile(r'^(?:epsg:(\d+)|https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+))$', re.I)
_CRS84 = re.compile(r'(?:crs:OGC:[0-9.]*:CRS84|def/crs/OGC/[0-9.]+/CRS84)$', re.I)
# geographic CRSes close enough to WGS 84 to be read as such without a datum shift
_LAT_FIRST_GEOGRAPHIC = {'4326', '4258', '4269', '4283', '4167', '4979', '4937'}


def parse_srs(srs_name: Optional[str]) -> tuple[Optional[str], bool]:
    """(EPSG code, authority order?) of a srsName; authority order False means lon/lat (legacy).

    ``(None, False)`` for CRS84; ``(None, True)`` for a name that is not EPSG.
    """
    text = (srs_name or '').strip()
    if not text:
        return '4326', True
    if _CRS84.search(text):
        return None, False
    match = _URN.match(text) or _HTTP.match(text)
    if match:
        return match.group(1), True
    match = _LEGACY.match(text)
    if match:
        return match.group(1) or match.group(2), False
    return None, True


def envelope_to_lonlat(srs_name: Optional[str], lower: tuple[float, ...],
                       upper: tuple[float, ...]) -> tuple[Optional[Box], Optional[str]]:
    """An envelope as (minlon, minlat, maxlon, maxlat), and a warning or None.

    :param srs_name: the envelope's srsName (any form, see the module docstring)
    :param lower: the lowerCorner numbers, in document order
    :param upper: the upperCorner numbers, in document order
    """
    if len(lower) < 2 or len(upper) < 2:
        return None, 'envelope with fewer than two coordinates'
    code, authority_order = parse_srs(srs_name)
    if code is None and not authority_order:  # CRS84
        return _checked((lower[0], lower[1], upper[0], upper[1]), srs_name)
    if code is None:
        return None, f'envelope in an unknown CRS {srs_name!r}: no bounding box'
    if code in _LAT_FIRST_GEOGRAPHIC:
        if authority_order:
            return _checked((lower[1], lower[0], upper[1], upper[0]), srs_name)
        return _checked((lower[0], lower[1], upper[0], upper[1]), srs_name)
    return _transformed(code, authority_order, lower, upper, srs_name)


def _checked(box: Box, srs_name) -> tuple[Optional[Box], Optional[str]]:
    minx, miny, maxx, maxy = box
    box = (min(minx, maxx), min(miny, maxy), max(minx, maxx), max(miny, maxy))
    if _valid(box):
        return box, None
    swapped = (box[1], box[0], box[3], box[2])
    if _valid(swapped):
        return swapped, (f'envelope in {srs_name or "no CRS"} has its axes the other way '
                         'round; read as longitude/latitude')
    return None, f'envelope {box} in {srs_name or "no CRS"} is outside longitude/latitude range'


def _valid(box: Box) -> bool:
    return -180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90


@lru_cache(maxsize=64)
def _transformer(code: str):
    from pyproj import CRS, Transformer
    crs = CRS.from_epsg(int(code))
    north_first = crs.axis_info[0].direction.lower() in ('north', 'south')
    return Transformer.from_crs(crs, 'EPSG:4326', always_xy=True), north_first


def _transformed(code, authority_order, lower, upper, srs_name):
    try:
        transformer, north_first = _transformer(code)
    except Exception:  # pyproj missing or CRS unknown  # noqa: BLE001
        return None, f'envelope in a CRS that cannot be transformed ({srs_name}): no bounding box'
    (ax, ay), (bx, by) = lower[:2], upper[:2]
    if authority_order and north_first:
        ax, ay, bx, by = ay, ax, by, bx
    with _PROJ_LOCK:
        xs, ys = transformer.transform([ax, ax, bx, bx], [ay, by, ay, by])
    box = (min(xs), min(ys), max(xs), max(ys))
    if any(v != v or v in (float('inf'), float('-inf')) for v in box):
        return None, f'envelope in {srs_name} does not transform to longitude/latitude'
    return _checked(box, srs_name)


def read_envelope(element) -> tuple[Optional[str], tuple[float, ...], tuple[float, ...]]:
    """(srsName, lower numbers, upper numbers) of a gml:Envelope element (or its parent)."""
    env = element
    if not env.tag.endswith('}Envelope'):
        env = next((e for e in element.iter('{*}Envelope')), None)
        if env is None:
            return None, (), ()
    lower = upper = ()
    for child in env:
        tag = child.tag.rpartition('}')[2]
        if tag in ('lowerCorner', 'upperCorner'):
            try:
                values = tuple(float(v) for v in (child.text or '').split())
            except ValueError:
                values = ()
            if tag == 'lowerCorner':
                lower = values
            else:
                upper = values
        elif tag == 'coordinates':  # GML 2 style "x,y x,y"
            pairs = [p.split(',') for p in (child.text or '').split()]
            try:
                lower, upper = tuple(map(float, pairs[0])), tuple(map(float, pairs[-1]))
            except (ValueError, IndexError):
                pass
    return env.get('srsName'), lower, upper


def read_time(element) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(begin, end, indeterminate end) of a gml:TimePeriod or gml:TimeInstant (or its parent).

    Times are normalised to UTC ``YYYY-MM-DDTHH:MM:SSZ`` when readable; an end given as
    ``indeterminatePosition="now"`` (or ``unknown``) yields end None and that word.
    """
    begin = end = indeterminate = None
    for node in element.iter():
        tag = node.tag.rpartition('}')[2] if isinstance(node.tag, str) else ''
        if tag == 'beginPosition':
            begin = _time_text(node)[0]
        elif tag == 'endPosition':
            end, indeterminate = _time_text(node)
        elif tag == 'timePosition':
            value, word = _time_text(node)
            begin = begin or value
            end, indeterminate = value, word
    return begin, end, indeterminate


def _time_text(node) -> tuple[Optional[str], Optional[str]]:
    word = node.get('indeterminatePosition')
    text = (node.text or '').strip()
    if word and not text:
        return None, word
    if text.lower() in ('now', 'unknown'):
        return None, text.lower()
    return (normalise_time(text) if text else None), word


