"""A minimal ``$filter`` for the demo STA server.

Supported: comparisons ``eq ne gt ge lt le`` between property paths
(``name``, ``id``, ``properties/network``, ``unitOfMeasurement/symbol``) and
literals (``'text'``, numbers, ``true``, ``false``, ``null``, unquoted ISO
times such as ``2024-06-01T12:00:00Z``); ``and``, ``or``, ``not`` and
parentheses; the functions ``substringof``, ``contains``, ``startswith``,
``endswith``, ``tolower``, ``toupper``. Time values are compared as times; a
time interval ``start/end`` compares by its end for ``gt``/``ge`` and by its
start otherwise. Navigation paths, arithmetic and spatial functions raise
:class:`~hubcat.demo.sta_query.QueryError`.
"""
from __future__ import annotations

import functools
import logging
import re
from datetime import datetime, timezone
from typing import Callable

from hubcat.demo.sta_query import QueryError

LOGGER = logging.getLogger(__name__)

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<time>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[@A-Za-z_][@A-Za-z0-9_.]*(?:/[@A-Za-z_][@A-Za-z0-9_.]*)*)
  | (?P<punct>[(),])
)""", re.VERBOSE)

_COMPARISONS = {
    'eq': lambda a, b: a == b, 'ne': lambda a, b: a != b,
    'gt': lambda a, b: a > b, 'ge': lambda a, b: a >= b,
    'lt': lambda a, b: a < b, 'le': lambda a, b: a <= b,
}
_FUNCTIONS = {
    'substringof': (2, lambda a, b: _strings(a, b) and a in b),
    'contains': (2, lambda a, b: _strings(a, b) and b in a),
    'startswith': (2, lambda a, b: _strings(a, b) and a.startswith(b)),
    'endswith': (2, lambda a, b: _strings(a, b) and a.endswith(b)),
    'tolower': (1, lambda a: a.lower() if isinstance(a, str) else a),
    'toupper': (1, lambda a: a.upper() if isinstance(a, str) else a),
}
_CONSTANTS = {'true': True, 'false': False, 'null': None}


def _strings(*values) -> bool:
    return all(isinstance(v, str) for v in values)


@functools.lru_cache(maxsize=256)
def compile_filter(text: str, entity_set: str) -> Callable[[dict], bool]:
    """Compile a ``$filter`` expression into a predicate on entity dicts.

    :param text: the expression
    :param entity_set: the entity set it applies to (checks property names)
    :raises QueryError: for syntax the demo server does not support
    """
    from hubcat.demo.sta_store import SCHEMA
    parser = _Parser(_tokenize(text), set(SCHEMA[entity_set].properties))
    expression = parser.expression()
    if parser.pos != len(parser.tokens):
        raise QueryError(f'unexpected {parser.tokens[parser.pos][1]!r} in $filter')
    return lambda entity: expression(entity) is True


def _tokenize(text: str) -> list:
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f'cannot read $filter at {text[pos:pos + 20].strip()!r}')
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; each method returns ``entity -> value``."""

    def __init__(self, tokens: list, properties: set):
        self.tokens = tokens
        self.properties = properties
        self.pos = 0

    def _peek(self, value=None):
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if value is None or token[1] == value:
                return token
        return None

    def _take(self, value=None):
        token = self._peek(value)
        if token is None:
            found = self.tokens[self.pos][1] if self.pos < len(self.tokens) else 'the end'
            raise QueryError(f'$filter expected {value or "a value"}, found {found!r}')
        self.pos += 1
        return token

    def expression(self):
        left = self._and()
        while self._peek('or'):
            self._take()
            left = _either(left, self._and())
        return left

    def _and(self):
        left = self._not()
        while self._peek('and'):
            self._take()
            left = _both(left, self._not())
        return left

    def _not(self):
        if self._peek('not'):
            self._take()
            inner = self._not()
            return lambda e: not inner(e)
        return self._comparison()

    def _comparison(self):
        left = self._operand()
        token = self._peek()
        if token and token[0] == 'name' and token[1] in _COMPARISONS:
            self._take()
            return _compare(_COMPARISONS[token[1]], token[1], left, self._operand())
        if token and token[0] == 'name' and token[1] in ('add', 'sub', 'mul', 'div', 'mod'):
            raise QueryError(f'arithmetic ({token[1]}) is not supported in $filter')
        return left

    def _operand(self):
        kind, value = self._take()
        if value == '(':
            inner = self.expression()
            self._take(')')
            return inner
        if kind == 'string':
            text = value[1:-1].replace("''", "'")
            return lambda e: text
        if kind == 'number':
            number = float(value) if any(c in value for c in '.eE') else int(value)
            return lambda e: number
        if kind == 'time':
            moment = _parse_time(value)
            return lambda e: moment
        if kind == 'name' and self._peek('('):
            return self._function(value)
        if kind == 'name' and value in _CONSTANTS:
            constant = _CONSTANTS[value]
            return lambda e: constant
        if kind == 'name':
            return self._path(value)
        raise QueryError(f'unexpected {value!r} in $filter')

    def _function(self, name: str):
        if name not in _FUNCTIONS:
            raise QueryError(f'function {name}() is not supported in $filter')
        arity, function = _FUNCTIONS[name]
        self._take('(')
        args = [self.expression()]
        while self._peek(','):
            self._take()
            args.append(self.expression())
        self._take(')')
        if len(args) != arity:
            raise QueryError(f'{name}() takes {arity} argument(s)')
        return lambda e: function(*(a(e) for a in args))

    def _path(self, path: str):
        segments = path.split('/')
        first = '@iot.id' if segments[0] in ('id', '@iot.id') else segments[0]
        if first != '@iot.id' and first not in self.properties:
            raise QueryError(f'$filter on {path!r} is not supported')

        def value(entity):
            current = entity.get(first)
            for segment in segments[1:]:
                current = current.get(segment) if isinstance(current, dict) else None
            return current
        return value


def _either(left, right):
    return lambda e: left(e) is True or right(e) is True


def _both(left, right):
    return lambda e: left(e) is True and right(e) is True


def _compare(function, name: str, left, right):
    def compare(entity):
        a, b = left(entity), right(entity)
        if isinstance(a, datetime) or isinstance(b, datetime):
            a, b = _as_time(a, name), _as_time(b, name)
        if a is None or b is None:
            return (a is b) if name == 'eq' else (a is not b) if name == 'ne' else False
        if isinstance(a, str) != isinstance(b, str):
            return name == 'ne'
        try:
            return function(a, b)
        except TypeError:
            return False
    return compare


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError as error:
        raise QueryError(f'{text!r} is not a time') from error
    if moment.tzinfo is None and len(text) == 10:   # a date: midnight UTC
        moment = moment.replace(tzinfo=timezone.utc)
    if moment.tzinfo is None:
        raise QueryError(f'time {text!r} needs a time zone (Z or an offset)')
    return moment


def _as_time(value, operator: str):
    if isinstance(value, datetime) or value is None:
        return value
    if not isinstance(value, str):
        return None
    if '/' in value:
        start, end = value.split('/', 1)
        value = end if operator in ('gt', 'ge') else start
    try:
        return _parse_time(value)
    except QueryError:
        return None
