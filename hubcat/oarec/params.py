"""Query parameters of ``/records/collections/{id}/items``: parsed and validated once.

Each parameter has one strict parse; a bad value raises :class:`ParameterError`
naming the parameter (HTTP 400 with a JSON body).  Property filters use the names of
:func:`queryables` (``status=offline``, ``observedProperty=Air temperature``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Optional

from hubcat.sorting import MAX_KEYS
from hubcat.times import iso, parse_time
from profiles.hubcat.queryables import MULTI_VALUED_COLUMNS, SENSOR_QUERYABLES

#: OGC API names of the core queryables -> CSW queryable names
CORE_QUERYABLES = {
    'title': 'dc:title',
    'description': 'dct:abstract',
    'keywords': 'dc:subject',
    'updated': 'dct:modified',
}
#: the CSW queryable ``externalIds`` searches
EXTERNAL_ID = 'hubcat:ExternalId'
#: CSW names of the queryables holding a date-time
DATE_TIME_QUERYABLES = ('dct:modified', 'hubcat:LastSeen', 'hubcat:StatusChanged',
                        'hubcat:PhenomenonTimeBegin', 'hubcat:PhenomenonTimeEnd')
#: parameters that are not property filters
RESERVED = ('bbox', 'datetime', 'limit', 'offset', 'q', 'type', 'ids', 'externalIds',
            'sortby', 'f', 'bbox-crs', 'filter', 'filter-lang', 'filter-crs')
DEFAULT_LIMIT = 10
_CONTROL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
_OPEN = ('', '..')


class ParameterError(ValueError):
    """A bad query parameter; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def queryables() -> dict:
    """OGC API queryable name -> CSW queryable name, HubCat's sensor queryables included.

    ``hubcat:ObservedProperty`` is ``observedProperty``: the local name, first letter
    lower-cased, so queryables added to the profile appear here by themselves.
    ``hubcat:ExternalId`` is the ``externalIds`` parameter instead (a list).
    """
    names = dict(CORE_QUERYABLES)
    for name in SENSOR_QUERYABLES:
        if name == EXTERNAL_ID:
            continue
        local = name.split(':', 1)[1]
        names[local[0].lower() + local[1:]] = name
    return names


@dataclass
class ItemsQuery:
    """One validated items request."""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: Optional[tuple[float, float, float, float]] = None
    interval: Optional[tuple[Optional[str], Optional[str]]] = None
    terms: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)   # values or scheme:value
    properties: dict[str, str] = field(default_factory=dict)
    sortby: list[tuple[str, bool]] = field(default_factory=list)   # (queryable, ascending)
    filter: object = None       # the OGC Filter predicate of a CQL2 filter (hubcat.oarec.cql2)


def parse_items_query(args, also: tuple = ()) -> ItemsQuery:
    """An :class:`ItemsQuery` from request arguments (a Flask ``MultiDict``).

    :param also: more parameter names the caller reads itself (accepted, not parsed here)

    :raises ParameterError: on a repeated, unknown or malformed parameter
    """
    from hubcat.oarec.cql2 import items_filter   # it reads this module's queryables
    known = queryables()
    for name in args:
        if len(args.getlist(name)) > 1:
            raise ParameterError(name, f'parameter {name!r} is given more than once')
        value = args.get(name)
        if _CONTROL.search(value):
            raise ParameterError(name, f'parameter {name!r} holds a control character')
        if name not in RESERVED and name not in known and name not in also:
            raise ParameterError(name, f'unknown parameter {name!r}; queryables: '
                                 + ', '.join(sorted(known)))
    return ItemsQuery(
        limit=_integer(args, 'limit', DEFAULT_LIMIT, 1, 10 ** 9),   # capped by the server
        offset=_integer(args, 'offset', 0, 0, 10 ** 9),
        bbox=_bbox(args.get('bbox'), args.get('bbox-crs')),
        interval=_interval(args.get('datetime')),
        terms=_list(args.get('q')),
        types=_list(args.get('type')),
        ids=_list(args.get('ids')),
        external_ids=_list(args.get('externalIds')),
        properties={known[n]: _property(n, known[n], args.get(n)) for n in args if n in known},
        sortby=_sortby(args.get('sortby')),
        filter=items_filter(args),
    )


def _property(name: str, csw_name: str, value: str) -> str:
    """A property filter's value; a date-time one must read as a date or date-time."""
    if csw_name in DATE_TIME_QUERYABLES and parse_time(value) is None:
        raise ParameterError(name, f'{name} must be an RFC 3339 date or date-time, '
                             f'got {value!r}')
    return value


def time_forms(value: str) -> list[str]:
    """The stored texts a date-time filter value equals: as given, HubCat's
    ``YYYY-MM-DDTHH:MM:SSZ``, and the bare date for midnight (how loaded Dublin Core and
    ISO records keep ``dct:modified``), so ``updated=`` finds what a record shows."""
    instant = parse_time(value).astimezone(timezone.utc)
    forms = [value, iso(instant)]
    if instant.time() == time.min:
        forms.append(instant.date().isoformat())
    return list(dict.fromkeys(forms))


def _list(value: Optional[str]) -> list[str]:
    """A comma-separated list (explode=false), empty items dropped."""
    return [item.strip() for item in (value or '').split(',') if item.strip()]


def _integer(args, name: str, default: int, low: int, high: int) -> int:
    value = args.get(name)
    if value in (None, ''):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ParameterError(name, f'{name} must be an integer, got {value!r}') from None
    if not low <= number <= high:
        raise ParameterError(name, f'{name} must be between {low} and {high}, got {number}')
    return number


def _bbox(value: Optional[str], crs: Optional[str]):
    if not value:
        return None
    if crs not in (None, '', 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'):
        raise ParameterError('bbox-crs', f'bbox-crs {crs!r} is not supported (only CRS84)')
    try:
        numbers = [float(v) for v in value.split(',')]
    except ValueError:
        raise ParameterError('bbox', f'bbox must be numbers, got {value!r}') from None
    if len(numbers) == 6:   # minx, miny, minz, maxx, maxy, maxz: heights ignored
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise ParameterError('bbox', 'bbox must have 4 (or 6) numbers')
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ParameterError('bbox', f'bbox out of range (lon -180..180, lat -90..90): {value!r}')
    if minx > maxx:
        raise ParameterError('bbox', 'bbox crossing the antimeridian is not supported')
    return minx, miny, maxx, maxy


def _instant(text: str) -> Optional[str]:
    """An RFC 3339 date or date-time (normalised to ISO 8601), None for an open end."""
    if text in _OPEN:
        return None
    try:
        if len(text) == 10:
            return datetime.strptime(text, '%Y-%m-%d').date().isoformat()
        return datetime.fromisoformat(text.replace('Z', '+00:00')).isoformat()
    except ValueError:
        raise ParameterError('datetime', f'not an RFC 3339 date or date-time: {text!r}') from None


def _interval(value: Optional[str]):
    """``datetime``: an instant (start = end) or ``start/end`` with ``..`` for an open end."""
    if not value:
        return None
    parts = value.split('/')
    if len(parts) == 1:
        instant = _instant(parts[0])
        if instant is None:
            raise ParameterError('datetime', 'an instant cannot be open (..)')
        return instant, instant
    if len(parts) != 2:
        raise ParameterError('datetime', f'datetime must be an instant or start/end: {value!r}')
    start, end = _instant(parts[0]), _instant(parts[1])
    if start is None and end is None:
        raise ParameterError('datetime', 'both ends of the interval are open')
    if start and end and start > end:
        raise ParameterError('datetime', 'the interval starts after it ends')
    return start, end


def sortables() -> dict:
    """OGC API sortable name -> CSW queryable name: ``id`` and every single-valued
    queryable (a list such as observedProperty or keywords has no one value to sort by)."""
    names = {'id': 'dc:identifier'}
    names.update((name, csw) for name, csw in queryables().items()
                 if _column(csw) not in MULTI_VALUED_COLUMNS)
    return names


def _column(csw_name: str) -> str:
    return SENSOR_QUERYABLES.get(csw_name, {'dc:subject': 'keywords'}.get(csw_name, ''))


def _sortby(value: Optional[str]) -> list[tuple[str, bool]]:
    """``sortby``: ``+name``/``name`` ascending, ``-name`` descending, comma-separated, at
    most :data:`hubcat.sorting.MAX_KEYS` keys, each once."""
    known, keys = sortables(), []
    items = _list(value)
    if len(items) > MAX_KEYS:
        raise ParameterError('sortby', f'sortby takes at most {MAX_KEYS} keys, got {len(items)}')
    for item in items:
        ascending = not item.startswith('-')
        name = item[1:] if item[:1] in '+-' else item
        if name not in known:
            raise ParameterError('sortby', f'cannot sort by {name!r}; sortables: '
                                 + ', '.join(sorted(known)))
        if any(known[name] == prop for prop, _ in keys):
            raise ParameterError('sortby', f'sortby names {name!r} twice')
        keys.append((known[name], ascending))
    return keys
