"""GML geometries in CSW 3.0 XML filters, past pycsw's schema check.

pycsw 2.6.2 validates a CSW 3.0 POST against its CSW 3.0 schemas, which load no GML:
the geometry of every FES 2.0 spatial operator (``fes:BBOX``, ``fes:Intersects``, ...)
fails as "no matching global element declaration", whichever GML it is (3.2 as FES 2.0
says, or 3.1.1 as OWSLib writes), so no CSW 3.0 XML spatial query could run.  Before
pycsw sees the request, :func:`lift_geometries` replaces each geometry by a
``dc:identifier`` placeholder (``urn:hubcat:geometry:N``, valid there) and keeps the
geometry; while pycsw runs (:func:`geometries_scope`), the filter translation puts it
back (:func:`geometry_for`), in the GML 3.1.1 namespace pycsw's geometry reader knows.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
from typing import Optional

from lxml import etree

FES20 = 'http://www.opengis.net/fes/2.0'
GML_NAMESPACES = ('http://www.opengis.net/gml', 'http://www.opengis.net/gml/3.2')
GML311 = 'http://www.opengis.net/gml'
DC_IDENTIFIER = '{http://purl.org/dc/elements/1.1/}identifier'
PLACEHOLDER = 'urn:hubcat:geometry:'
SPATIAL = ('BBOX', 'Beyond', 'Contains', 'Crosses', 'Disjoint', 'DWithin', 'Equals',
           'Intersects', 'Overlaps', 'Touches', 'Within')
_GEOMETRIES: contextvars.ContextVar = contextvars.ContextVar('hubcat_geometries', default=())


def lift_geometries(root: etree._Element) -> list:
    """Replace (in place) each GML geometry of a FES 2.0 spatial operator under ``root`` by a
    placeholder; returns the geometries, in placeholder order."""
    lifted = []
    for name in SPATIAL:
        for operator in root.iter(f'{{{FES20}}}{name}'):
            for child in list(operator):
                if isinstance(child.tag, str) and etree.QName(child).namespace in GML_NAMESPACES:
                    placeholder = etree.Element(DC_IDENTIFIER)
                    placeholder.text = f'{PLACEHOLDER}{len(lifted)}'
                    placeholder.tail = child.tail
                    operator.replace(child, placeholder)
                    lifted.append(_as_gml311(child))
    return lifted


def _as_gml311(geometry: etree._Element) -> etree._Element:
    geometry = copy.deepcopy(geometry)
    for node in geometry.iter():
        if isinstance(node.tag, str) and etree.QName(node).namespace in GML_NAMESPACES:
            node.tag = f'{{{GML311}}}{etree.QName(node).localname}'
        for key in list(node.attrib):
            if key.startswith('{http://www.opengis.net/gml/3.2}'):
                node.attrib[f'{{{GML311}}}{etree.QName(key).localname}'] = node.attrib.pop(key)
    return geometry


def geometry_for(placeholder: etree._Element) -> Optional[etree._Element]:
    """The geometry a placeholder element stands for (a copy), None if it is none."""
    if placeholder.tag != DC_IDENTIFIER or not (placeholder.text or '').startswith(PLACEHOLDER):
        return None
    geometries = _GEOMETRIES.get()
    try:
        return copy.deepcopy(geometries[int(placeholder.text[len(PLACEHOLDER):])])
    except (ValueError, IndexError):
        return None


@contextlib.contextmanager
def geometries_scope(csw_request):
    """The geometries lifted from ``csw_request`` are available to the filter translation inside."""
    token = _GEOMETRIES.set(tuple(csw_request.flags.get('geometries', ())))
    try:
        yield
    finally:
        _GEOMETRIES.reset(token)


def fes_geometry_hook(config, csw_request, flask_request) -> None:
    """Lift the geometries of a CSW 3.0 XML request (see the module docstring).

    :raises CswRequestError: a geometry with values that must not reach SQL (filter_guard)
    """
    if csw_request.method != 'POST' or csw_request.version != '3.0.0':
        return None
    root = csw_request.xml_root
    if root is None:
        return None
    lifted = lift_geometries(root)
    from hubcat.csw_request import CswRequestError
    from hubcat.filter_guard import FilterRefused, check_filter
    for geometry in lifted:   # the checks pycsw's translation would have run on them
        try:
            check_filter(geometry)
        except FilterRefused as err:
            raise CswRequestError('InvalidParameterValue', etree.QName(geometry).localname,
                                  f'Invalid geometry: {err}') from None
    if lifted:
        csw_request.flags['geometries'] = lifted
        csw_request.refresh_body()
    return None
