"""Axis order of the geometries in a query filter: one rule per CRS form.

What CSW clients send (OWSLib 0.28 ``fes.BBox``, QGIS MetaSearch) decides the rule:

==============================================  ====================  =========================
srsName                                         coordinates read as   who sends it
==============================================  ====================  =========================
(none)                                          longitude, latitude   OWSLib ``BBox(bbox)``
``EPSG:4326``                                   longitude, latitude   OWSLib ``BBox(bbox, crs='EPSG:4326')``
``http://www.opengis.net/gml/srs/epsg.xml#4326``  longitude, latitude   legacy GML 2 form
``urn:ogc:def:crs:OGC:1.3:CRS84``               longitude, latitude   CRS84 is lon/lat by definition
``urn:ogc:def:crs:EPSG::4326``                  latitude, longitude   QGIS MetaSearch, OGC CITE
``urn:x-ogc:def:crs:EPSG:6.11:4326``            latitude, longitude   OGC URN (EPSG axis order)
``http://www.opengis.net/def/crs/EPSG/0/4326``  latitude, longitude   OGC HTTP URI (EPSG axis order)
==============================================  ====================  =========================

pycsw reads every EPSG:4326 form, and the absence of one, latitude first, so an
OWSLib box ``[minlon, minlat, maxlon, maxlat]`` searched the wrong place.  The
SOS harvester follows the same forms (``harvesters/gml.py``), except that an
SOS envelope without srsName is latitude first, as SOS mandates.

:func:`normalise_geometries` rewrites the coordinates of every GML geometry of
EPSG:4326 (or no CRS) to longitude/latitude under ``urn:ogc:def:crs:OGC:1.3:CRS84``,
which pycsw reads as given; other CRSes are left to pycsw (it transforms them).
"""
from __future__ import annotations

from typing import Optional

from harvesters.gml import parse_srs

CRS84 = 'urn:ogc:def:crs:OGC:1.3:CRS84'
_COORDINATE_TAGS = ('lowerCorner', 'upperCorner', 'pos', 'posList')


def latitude_first(srs_name: Optional[str]) -> Optional[bool]:
    """True when a query geometry in ``srs_name`` lists latitude first, False when
    longitude first, None for a CRS other than WGS 84 (left to reprojection)."""
    text = (srs_name or '').strip()
    if not text:
        return False
    code, authority_order = parse_srs(text)
    if code is None:
        return None if authority_order else False     # unknown / CRS84
    if code != '4326':
        return None
    return authority_order


def _swap(text: str) -> str:
    numbers = text.split()
    if len(numbers) % 2:
        raise ValueError(f'odd number of coordinates: {text!r}')
    swapped = []
    for i in range(0, len(numbers), 2):
        swapped += [numbers[i + 1], numbers[i]]
    return ' '.join(swapped)


def normalise_geometries(element) -> None:
    """Rewrite (in place) each GML geometry under ``element`` to lon/lat CRS84 where
    the rule of the module docstring says it is EPSG:4326 or has no CRS."""
    for geometry in element.iter('{http://www.opengis.net/gml}*', '{http://www.opengis.net/gml/3.2}*'):
        if geometry.getparent() is not None and geometry.getparent().tag.startswith('{http://www.opengis.net/gml'):
            continue  # only top-level geometries carry the CRS
        order = latitude_first(geometry.get('srsName'))
        if order is None:
            continue
        if order:
            for node in geometry.iter():
                if node.tag.rsplit('}', 1)[-1] in _COORDINATE_TAGS and node.text:
                    node.text = _swap(node.text)
        geometry.set('srsName', CRS84)
