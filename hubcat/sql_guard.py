"""The last check before a pycsw filter runs as SQL: every value bound, nothing else quoted.

pycsw's filter translation returns ``(where, values)``: SQL text with ``:pvalueN``
placeholders for comparison literals, but with the WKT and the distance of a
spatial filter written into the text (``query_spatial(col,'WKT','pred','dist')``;
``st_geomfromtext('WKT'...)`` with PostGIS).  :func:`bind_where` moves those two
into bound parameters (the distance after a strict numeric parse) and refuses any
text that still holds a quote other than pycsw's own fixed literals, a statement
separator, a comment or dollar quoting.  :mod:`hubcat.filter_guard` already
refused bad values; this holds even for a path that did not go through it.
"""
from __future__ import annotations

import re

from hubcat.filter_guard import FilterRefused, strict_number

#: spatial predicates pycsw names in query_spatial (fes MODEL['SpatialOperators'], lower case)
PREDICATES = ('bbox', 'beyond', 'contains', 'crosses', 'disjoint', 'dwithin', 'equals',
              'intersects', 'overlaps', 'touches', 'within')
_WKT = r"[A-Za-z]+ ?\(+[-+0-9.eE ,()]*\)"
_QUERY_SPATIAL = re.compile(
    r"query_spatial\((?P<col>\w+),'(?P<wkt>%s)','(?P<pred>%s)','(?P<dist>[-+0-9.eE]*|false)'\)"
    % (_WKT, '|'.join(PREDICATES)))
_GEOMFROMTEXT = re.compile(r"(?P<fn>\b(?:st_)?geomfromtext)\('(?P<wkt>%s)'" % _WKT)
#: literals pycsw writes itself: booleans, spatial predicates, the FTS language
_FIXED_LITERALS = re.compile(
    r"'(?:true|false|%s)'|plainto_tsquery\('[a-z_]{1,40}'," % '|'.join(PREDICATES))
_FORBIDDEN = re.compile(r"['\"`;\\$]|--|/\*|\*/")


class UnsafeSQL(RuntimeError):
    """SQL text from a filter that is not made of bound values and pycsw's fixed parts."""


def bind_where(where: str, values: list) -> tuple[str, list]:
    """``(where, values)`` with spatial WKT and distances bound as ``:pvalueN`` parameters.

    :raises UnsafeSQL: when the text holds anything but pycsw's fixed literals
        once the spatial values are bound
    """
    if not isinstance(where, str) or not isinstance(values, list):
        raise UnsafeSQL('not a translated filter')
    values = list(values)

    def param(value) -> str:
        values.append(value)
        return f':pvalue{len(values) - 1}'

    def spatial(match: re.Match) -> str:
        dist = match['dist']
        if dist != 'false':
            try:
                dist = repr(strict_number(dist, 'Distance'))
            except FilterRefused as err:
                raise UnsafeSQL(str(err)) from None
        return "query_spatial(%s,%s,'%s',%s)" % (match['col'], param(match['wkt']),
                                                 match['pred'], param(dist))

    where = _QUERY_SPATIAL.sub(spatial, where)
    where = _GEOMFROMTEXT.sub(lambda m: f"{m['fn']}({param(m['wkt'])}", where)
    check_text(where)
    return where, values


def check_text(where: str) -> None:
    """Refuse SQL text with a quote (beyond pycsw's fixed literals), ``;``, a comment or ``$``.

    :raises UnsafeSQL: naming no value (the text may hold an attacker's input)
    """
    if _FORBIDDEN.search(_FIXED_LITERALS.sub('', where)):
        raise UnsafeSQL('the filter holds a value that is not a bound parameter')

