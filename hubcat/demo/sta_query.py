"""A small parser of OData / SensorThings query options, and its inverse.

Understands ``$top``, ``$skip``, ``$count``, ``$select``, ``$orderby``,
``$filter`` (kept as text; :mod:`hubcat.demo.sta_filter` parses it) and
``$expand`` with nested options in parentheses separated by semicolons::

    $expand=Locations($top=1),Datastreams($expand=ObservedProperty,Sensor;$select=id,name)
    $expand=Datastreams/ObservedProperty

A path ``A/B(opts)`` is normalised to ``A($expand=B(opts))``; two expansions
of the same navigation property are merged. Anything it does not understand
raises :class:`QueryError` (the server answers HTTP 400).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Iterable, Optional

LOGGER = logging.getLogger(__name__)

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_SELECTABLE = re.compile(r'^(@iot\.id|@iot\.selfLink|[A-Za-z_][A-Za-z0-9_]*)$')
_INTEGER = re.compile(r'^[0-9]+$')
KNOWN_OPTIONS = ('$top', '$skip', '$count', '$select', '$expand', '$orderby', '$filter')


class QueryError(ValueError):
    """A query option is malformed or not supported."""


@dataclass(frozen=True)
class OrderBy:
    """One ``$orderby`` key: a property name and its direction."""
    prop: str
    descending: bool = False


@dataclass(frozen=True)
class Expand:
    """One expanded navigation property with the options that apply to it."""
    name: str
    options: 'QueryOptions'


@dataclass(frozen=True)
class QueryOptions:
    """The query options of one request or of one expanded navigation property.

    ``top`` is None when the client gave none; ``select`` is None for "all".
    """
    top: Optional[int] = None
    skip: int = 0
    count: bool = False
    select: Optional[tuple] = None
    expand: tuple = ()
    orderby: tuple = ()
    filter: Optional[str] = None


def parse_query(pairs: Iterable[tuple]) -> QueryOptions:
    """Parse the ``$``-options of a request's query string.

    :param pairs: (name, value) pairs, e.g. ``request.args.items(multi=True)``;
        names without a leading ``$`` are ignored
    :returns: the parsed :class:`QueryOptions`
    :raises QueryError: for an unknown, repeated or malformed option
    """
    return _parse_options((k, v) for k, v in pairs if k.startswith('$'))


def split_top_level(text: str, separator: str) -> list:
    """Split ``text`` at ``separator`` where it is outside parentheses and quotes.

    :raises QueryError: for unbalanced parentheses or an unterminated string
    """
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
            if depth < 0:
                raise QueryError(f"unbalanced ')' in {text!r}")
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if quoted:
        raise QueryError(f'unterminated string in {text!r}')
    if depth:
        raise QueryError(f"unbalanced '(' in {text!r}")
    parts.append(text[start:])
    return parts


def _parse_options(pairs: Iterable[tuple]) -> QueryOptions:
    values = {}
    for name, value in pairs:
        name = name.strip()
        if name not in KNOWN_OPTIONS:
            raise QueryError(f'query option {name} is not supported')
        if name in values:
            raise QueryError(f'query option {name} given twice')
        values[name] = value.strip()
    return QueryOptions(
        top=_parse_int('$top', values['$top']) if '$top' in values else None,
        skip=_parse_int('$skip', values['$skip']) if '$skip' in values else 0,
        count=_parse_bool('$count', values['$count']) if '$count' in values else False,
        select=_parse_select(values['$select']) if '$select' in values else None,
        expand=parse_expand(values['$expand']) if '$expand' in values else (),
        orderby=_parse_orderby(values['$orderby']) if '$orderby' in values else (),
        filter=_parse_filter_text(values['$filter']) if '$filter' in values else None)


def _parse_int(name: str, text: str) -> int:
    if not _INTEGER.match(text):
        raise QueryError(f'{name} must be a non-negative integer, not {text!r}')
    return int(text)


def _parse_bool(name: str, text: str) -> bool:
    if text.lower() not in ('true', 'false'):
        raise QueryError(f'{name} must be true or false, not {text!r}')
    return text.lower() == 'true'


def _parse_filter_text(text: str) -> str:
    if not text:
        raise QueryError('$filter is empty')
    split_top_level(text, ',')   # checks parentheses and quotes
    return text


def _parse_select(text: str) -> tuple:
    names = []
    for part in split_top_level(text, ','):
        part = part.strip()
        if not _SELECTABLE.match(part):
            raise QueryError(f'cannot $select {part!r}')
        if part not in names:
            names.append(part)
    return tuple(names)


def _parse_orderby(text: str) -> tuple:
    keys = []
    for part in split_top_level(text, ','):
        words = part.split()
        if not words or len(words) > 2 or not _SELECTABLE.match(words[0]):
            raise QueryError(f'cannot $orderby {part.strip()!r}')
        direction = words[1].lower() if len(words) == 2 else 'asc'
        if direction not in ('asc', 'desc'):
            raise QueryError(f'$orderby direction must be asc or desc, not {words[1]!r}')
        keys.append(OrderBy(words[0], direction == 'desc'))
    return tuple(keys)


def parse_expand(text: str) -> tuple:
    """Parse the value of an ``$expand`` option into :class:`Expand` items.

    :raises QueryError: when it is malformed
    """
    items = []
    for part in split_top_level(text, ','):
        part = part.strip()
        options = QueryOptions()
        if '(' in part:
            path, inner = part.split('(', 1)
            if not inner.endswith(')'):
                raise QueryError(f'options must close the expansion {part!r}')
            options = _parse_nested(inner[:-1])
        else:
            path = part
        segments = [s.strip() for s in path.split('/')]
        if not all(_NAME.match(s) for s in segments):
            raise QueryError(f'cannot $expand {part!r}')
        item = Expand(segments[-1], options)
        for segment in reversed(segments[:-1]):
            item = Expand(segment, QueryOptions(expand=(item,)))
        items.append(item)
    return _merge(items)


def _parse_nested(text: str) -> QueryOptions:
    pairs = []
    for option in split_top_level(text, ';'):
        if not option.strip():
            continue
        if '=' not in option:
            raise QueryError(f'nested option {option!r} has no value')
        name, value = option.split('=', 1)
        pairs.append((name, value))
    return _parse_options(pairs)


def _merge(items: list) -> tuple:
    """Merge expansions of the same navigation property (``A/B,A/C`` -> ``A($expand=B,C)``)."""
    merged = {}
    for item in items:
        previous = merged.get(item.name)
        if previous is None:
            merged[item.name] = item
            continue
        mine, theirs = (replace(e.options, expand=()) for e in (previous, item))
        if mine != theirs and QueryOptions() not in (mine, theirs):
            raise QueryError(f'{item.name} is expanded twice with different options')
        base = mine if mine != QueryOptions() else theirs
        nested = _merge(list(previous.options.expand) + list(item.options.expand))
        merged[item.name] = Expand(item.name, replace(base, expand=nested))
    return tuple(merged.values())


def format_options(options: QueryOptions) -> list:
    """The options as ``(name, value)`` pairs again: the inverse of :func:`parse_query`."""
    pairs = []
    if options.filter is not None:
        pairs.append(('$filter', options.filter))
    if options.select is not None:
        pairs.append(('$select', ','.join(options.select)))
    if options.expand:
        pairs.append(('$expand', ','.join(_format_expand(e) for e in options.expand)))
    if options.orderby:
        pairs.append(('$orderby', ','.join(
            o.prop + (' desc' if o.descending else ' asc') for o in options.orderby)))
    if options.count:
        pairs.append(('$count', 'true'))
    if options.top is not None:
        pairs.append(('$top', str(options.top)))
    if options.skip:
        pairs.append(('$skip', str(options.skip)))
    return pairs


def _format_expand(item: Expand) -> str:
    nested = format_options(item.options)
    if not nested:
        return item.name
    return item.name + '(' + ';'.join(f'{k}={v}' for k, v in nested) + ')'
