"""Strict checks of every OGC filter before pycsw turns it into SQL (issue 8 point 3).

pycsw 2.6.2 (``pycsw/ogc/fes/fes1.py`` and ``fes2.py``) binds comparison literals
as parameters but writes two values of a spatial filter into the SQL text: the
``Distance`` and the WKT it builds from the GML coordinates.  pycsw's XML Schema
check does not protect them: it is skipped for any document that holds a
``csw:Insert`` or a ``csw:Update`` child, so a GetRecords with a stray
``<csw:Insert/>`` and ``<ogc:Distance>1') = 'true' OR 1=1 OR ('a'='a</ogc:Distance>``
matched every record.

:func:`install` wraps ``fes1.parse`` and ``fes2.parse`` (at run time; pycsw's files
stay as installed), so every filter pycsw translates -- GetRecords XML and KVP
(``FILTER`` and ``CQL_TEXT``), OpenSearch, Transaction Update/Delete, CSW 2.0.2
and 3.0.0 -- passes :func:`check_filter` first, on the very element pycsw then
reads.  A refused filter raises :class:`FilterRefused`, which pycsw answers with
an ``InvalidParameterValue`` ExceptionReport.  :mod:`hubcat.sql_guard` is the
second line: it binds what pycsw still writes into the text.
"""
from __future__ import annotations

import functools
import math
import re

from lxml import etree

#: ogc:Function names pycsw implements (fes1/fes2 MODEL['Functions'])
FUNCTIONS = frozenset(('length', 'lower', 'ltrim', 'rtrim', 'trim', 'upper'))
#: spatial operators that need a Distance
DISTANCE_OPERATORS = frozenset(('DWithin', 'Beyond'))
#: GML elements holding coordinates (whitespace-separated numbers; gml:coordinates also commas)
COORDINATE_ELEMENTS = frozenset(('pos', 'posList', 'lowerCorner', 'upperCorner', 'coordinates'))
#: attributes of PropertyIsLike that must be one character
ONE_CHARACTER_ATTRIBUTES = ('wildCard', 'singleChar', 'escapeChar', 'escape')
_NUMBER = re.compile(r'[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?\Z')
_SRS = re.compile(r'[A-Za-z0-9:/._#-]{1,200}\Z')
_FILTER_NAMESPACES = ('http://www.opengis.net/ogc', 'http://www.opengis.net/fes/2.0')


class FilterRefused(ValueError):
    """A filter value that must not reach SQL (pycsw reports it as InvalidParameterValue)."""


def strict_number(text, what: str) -> float:
    """``text`` as a finite float, or :class:`FilterRefused` (no NaN, inf, hex, blanks inside)."""
    value = (text or '').strip()
    if not _NUMBER.match(value):
        raise FilterRefused(f'{what} must be a number')
    number = float(value)
    if not math.isfinite(number):
        raise FilterRefused(f'{what} must be a finite number')
    return number


def check_filter(element: etree._Element) -> None:
    """Refuse a filter (ogc:Filter or fes:Filter element) with a value pycsw would put in SQL text.

    * ``Distance``: a finite number >= 0; DWithin and Beyond must have one;
    * GML coordinates (pos, posList, lowerCorner, upperCorner, coordinates): finite numbers;
    * ``srsName``: a CRS name or URI (letters, digits, ``:/._#-``);
    * PropertyIsLike ``wildCard``/``singleChar``/``escapeChar``: one character each, distinct;
      ``matchCase``: true or false;
    * ``Function`` names: those pycsw implements.

    :raises FilterRefused: naming the offending value
    """
    for node in element.iter(etree.Element):
        name = etree.QName(node).localname
        if name in COORDINATE_ELEMENTS:
            _check_coordinates(node, name)
        elif name == 'Distance':
            if strict_number(node.text, 'Distance') < 0:
                raise FilterRefused('Distance must not be negative')
        elif name in DISTANCE_OPERATORS and etree.QName(node).namespace in _FILTER_NAMESPACES:
            if not any(etree.QName(c).localname == 'Distance' for c in node.iterchildren(etree.Element)):
                raise FilterRefused(f'{name} needs a Distance')
        elif name == 'Function' and node.get('name') not in FUNCTIONS:
            raise FilterRefused('Function must be one of ' + ', '.join(sorted(FUNCTIONS)))
        _check_attributes(node)


def _check_coordinates(node: etree._Element, name: str) -> None:
    tokens = re.split(r'[\s,]+', (node.text or '').strip())
    if tokens == ['']:
        raise FilterRefused(f'{name} holds no coordinates')
    for token in tokens:
        strict_number(token, f'a coordinate of {name}')


def _check_attributes(node: etree._Element) -> None:
    srs = node.get('srsName')
    if srs is not None and not _SRS.match(srs):
        raise FilterRefused('srsName must be a CRS name or URI')
    chars = [node.get(a) for a in ONE_CHARACTER_ATTRIBUTES if node.get(a) is not None]
    if any(len(c) != 1 for c in chars) or len(set(chars)) != len(chars):
        raise FilterRefused('wildCard, singleChar and escapeChar must be distinct single characters')
    match_case = node.get('matchCase')
    if match_case is not None and match_case.strip().lower() not in ('true', 'false', '1', '0'):
        raise FilterRefused('matchCase must be true or false')


def guarded(parse):
    """``parse`` (pycsw's fes1/fes2 ``parse``) behind :func:`check_filter`."""
    @functools.wraps(parse)
    def guarded_parse(element, *args, **kwargs):
        check_filter(element)
        return parse(element, *args, **kwargs)
    guarded_parse.hubcat_guarded = True
    return guarded_parse


def install() -> None:
    """Put :func:`check_filter` in front of pycsw's fes1 and fes2 translation (idempotent)."""
    from pycsw.ogc.fes import fes1, fes2
    for module in (fes1, fes2):
        if not getattr(module.parse, 'hubcat_guarded', False):
            module.parse = guarded(module.parse)
