"""CQL2 text (``filter-lang=cql2-text``) -> the syntax tree of :mod:`hubcat.cql2.nodes`.

A recursive-descent reader of the CQL2 1.0 BNF, for the parts HubCat runs::

    expr       := term (OR term)*                      AND binds tighter than OR
    term       := factor (AND factor)*
    factor     := NOT factor | '(' expr ')' | TRUE | FALSE | spatial | predicate
    spatial    := S_INTERSECTS|S_EQUALS|S_DISJOINT|S_TOUCHES|S_WITHIN|S_OVERLAPS|S_CROSSES
                  |S_CONTAINS '(' operand ',' operand ')'
    predicate  := scalar (= | <> | < | > | <= | >=) scalar
                | scalar [NOT] LIKE scalar
                | scalar [NOT] BETWEEN scalar AND scalar
                | scalar [NOT] IN '(' scalar (',' scalar)* ')'
                | scalar IS [NOT] NULL
    scalar     := 'string' | number | TRUE | FALSE | TIMESTAMP('...') | DATE('...')
                | property | "quoted property" | CASEI '(' scalar ')'
    operand    := property | POINT | LINESTRING | POLYGON | MULTIPOINT | MULTILINESTRING
                | MULTIPOLYGON | GEOMETRYCOLLECTION (WKT, optional Z) | BBOX(n, n, n, n[, n, n])

Keywords are case-insensitive; a quote inside a string is ``''`` (or ``\\'``).  Temporal
(``T_*``), array (``A_*``) functions, ``INTERVAL`` and arithmetic are refused by name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from hubcat.cql2 import nodes as n
from hubcat.cql2.nodes import Cql2Error

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^'\\]|''|\\.)*')
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op><=|>=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<quoted>"(?:[^"]|"")+")
  | (?P<word>(?:[^\W\d]|:)[\w.:]*)
)""", re.X)
_RESERVED = {'AND', 'OR', 'NOT', 'LIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE'}
_WKT = {'POINT': 'Point', 'LINESTRING': 'LineString', 'POLYGON': 'Polygon',
        'MULTIPOINT': 'MultiPoint', 'MULTILINESTRING': 'MultiLineString',
        'MULTIPOLYGON': 'MultiPolygon', 'GEOMETRYCOLLECTION': 'GeometryCollection'}
#: nesting (parentheses, NOT, geometry collections) deeper than this is refused
MAX_DEPTH = 64
_UNSUPPORTED = {'T_': 'temporal functions (T_...) are not supported',
                'A_': 'array functions (A_...) are not supported'}


@dataclass
class _Token:
    kind: str       # string, number, op, punct, quoted, word, end
    text: str
    pos: int

    def word(self, *words: str) -> bool:
        return self.kind == 'word' and self.text.upper() in words

    def punct(self, char: str) -> bool:
        return self.kind == 'punct' and self.text == char


def tokenize(text: str) -> list[_Token]:
    """The tokens of a CQL2 text, ending with an ``end`` token.

    :raises Cql2Error: at the first character that starts no token
    """
    tokens, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            pos += len(text[pos:]) - len(text[pos:].lstrip())
            raise Cql2Error(f'unexpected character {text[pos]!r} at position {pos}')
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Token('end', '', len(text)))
    return tokens


def _describe(token: _Token) -> str:
    return 'the end of the filter' if token.kind == 'end' else \
        f'{token.text!r} at position {token.pos}'


class _Reader:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Cql2Error(f'the filter nests deeper than {MAX_DEPTH} levels')

    # -- tokens ----------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        if token.kind == 'end':
            raise Cql2Error('unexpected end of the filter')
        self.i += 1
        return token

    def expect(self, char: str) -> None:
        token = self.peek()
        if not token.punct(char):
            raise Cql2Error(f'expected {char!r}, found {_describe(token)}')
        self.i += 1

    def keyword(self, word: str) -> bool:
        if self.peek().word(word):
            self.i += 1
            return True
        return False

    # -- boolean structure -----------------------------------------------------------------
    def expr(self):
        parts = [self.term()]
        while self.keyword('OR'):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else n.Or(tuple(parts))

    def term(self):
        parts = [self.factor()]
        while self.keyword('AND'):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else n.And(tuple(parts))

    def factor(self):
        token = self.peek()
        if token.word('NOT') or token.punct('('):
            self.deeper()
            self.take()
            if token.punct('('):
                inner = self.expr()
                self.expect(')')
            else:
                inner = n.Not(self.factor())
            self.depth -= 1
            return inner
        if token.word('TRUE', 'FALSE') and (self.peek(1).kind == 'end' or self.peek(1).punct(')')
                                            or self.peek(1).word('AND', 'OR')):
            self.take()
            return n.BooleanLiteral(token.text.upper() == 'TRUE')
        if token.kind == 'word' and self.peek(1).punct('('):
            name = token.text.lower()
            if name in n.SPATIAL_FUNCTIONS:
                return self.spatial()
            problem = _UNSUPPORTED.get(token.text[:2].upper())
            if problem:
                raise Cql2Error(f'{token.text}: {problem}')
        return self.predicate()

    def spatial(self):
        name = self.take().text.lower()
        self.expect('(')
        left = self.operand()
        self.expect(',')
        right = self.operand()
        self.expect(')')
        return n.Spatial(name, left, right)

    def operand(self):
        token = self.peek()
        if token.kind == 'word' and (token.text.upper() in _WKT or token.text.upper() == 'BBOX'):
            return self.geometry()
        return self.scalar()

    # -- predicates ------------------------------------------------------------------------
    def predicate(self):
        left = self.scalar()
        token = self.take()
        if token.kind == 'op':
            return n.Comparison('<>' if token.text == '<>' else token.text, left, self.scalar())
        if token.word('IS'):
            negate = self.keyword('NOT')
            if not self.keyword('NULL'):
                raise Cql2Error(f'expected NULL after IS, found {_describe(self.peek())}')
            found = n.IsNull(left)
            return n.Not(found) if negate else found
        negate = token.word('NOT')
        if negate:
            token = self.take()
        if token.word('LIKE'):
            found = n.Like(left, self.scalar())
        elif token.word('BETWEEN'):
            low = self.scalar()
            if not self.keyword('AND'):
                raise Cql2Error(f'BETWEEN needs AND after its lower bound, found '
                                f'{_describe(self.peek())}')
            found = n.Between(left, low, self.scalar())
        elif token.word('IN'):
            self.expect('(')
            items = [self.scalar()]
            while self.peek().punct(','):
                self.take()
                items.append(self.scalar())
            self.expect(')')
            found = n.In(left, tuple(items))
        else:
            raise Cql2Error(f'expected a comparison operator, LIKE, BETWEEN, IN or IS, found '
                            f'{_describe(token)}')
        return n.Not(found) if negate else found

    # -- scalars ---------------------------------------------------------------------------
    def scalar(self):
        token = self.take()
        if token.kind == 'string':
            body = token.text[1:-1]
            return n.Literal(re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", body), 'string')
        if token.kind == 'number':
            value = float(token.text)
            return n.Literal(int(value) if value.is_integer() and re.fullmatch(
                r'[+-]?\d+', token.text) else value, 'number')
        if token.kind == 'quoted':
            return n.Property(token.text[1:-1].replace('""', '"'))
        if token.kind != 'word':
            raise Cql2Error(f'expected a value or a property, found {_describe(token)}')
        upper = token.text.upper()
        if upper in ('TRUE', 'FALSE'):
            return n.Literal(upper == 'TRUE', 'boolean')
        if upper in _RESERVED:
            raise Cql2Error(f'expected a value or a property, found {_describe(token)}')
        if not self.peek().punct('('):
            return n.Property(token.text)
        if upper in ('TIMESTAMP', 'DATE'):
            self.expect('(')
            text = self.take()
            if text.kind != 'string':
                raise Cql2Error(f'{upper} takes a quoted text, found {_describe(text)}')
            self.expect(')')
            value = text.text[1:-1]
            return n.timestamp(value) if upper == 'TIMESTAMP' else n.day(value)
        if upper == 'INTERVAL':
            raise Cql2Error('INTERVAL: temporal functions and intervals are not supported')
        if upper in _WKT or upper == 'BBOX':
            raise Cql2Error(f'a geometry ({upper}) is only an argument of a spatial function')
        return n.Function(token.text.lower(), tuple(self.listed(self.scalar)))

    # -- geometries ------------------------------------------------------------------------
    def coordinate(self) -> float:
        token = self.take()
        if token.kind != 'number':
            raise Cql2Error(f'expected a coordinate, found {_describe(token)}')
        return n.number(float(token.text))

    def position(self) -> tuple:
        found = [self.coordinate(), self.coordinate()]
        if self.peek().kind == 'number':
            found.append(self.coordinate())
        return tuple(found)

    def listed(self, read) -> list:
        """``'(' item (',' item)* ')'``."""
        self.deeper()
        self.expect('(')
        items = [read()]
        while self.peek().punct(','):
            self.take()
            items.append(read())
        self.expect(')')
        self.depth -= 1
        return items

    def geometry(self):
        token = self.take()
        upper = token.text.upper()
        if upper == 'BBOX':
            return n.envelope(self.listed(self.coordinate))
        kind = _WKT.get(upper)
        if kind is None:
            raise Cql2Error(f'expected a geometry, found {_describe(token)}')
        self.keyword('Z')
        if kind == 'GeometryCollection':
            return n.geometry(kind, parts=self.listed(self.geometry))
        return n.geometry(kind, self.body(kind))

    def body(self, kind: str):
        if kind == 'Point':
            points = self.listed(self.position)
            if len(points) != 1:
                raise Cql2Error("a POINT holds one position")
            return points[0]
        if kind == 'LineString':
            return self.listed(self.position)
        if kind == 'Polygon':
            return self.listed(lambda: self.listed(self.position))
        if kind == 'MultiPoint':   # MULTIPOINT((1 2), (3 4)) or MULTIPOINT(1 2, 3 4)
            return self.listed(lambda: self.listed(self.position)[0]
                               if self.peek().punct('(') else self.position())
        if kind == 'MultiLineString':
            return self.listed(lambda: self.listed(self.position))
        return self.listed(lambda: self.listed(lambda: self.listed(self.position)))


def parse_text(text: Optional[str]):
    """The syntax tree of a CQL2 text filter.

    :raises Cql2Error: the text does not follow the grammar (module docstring)
    """
    if not (text or '').strip():
        raise Cql2Error('the filter is empty')
    reader = _Reader(text)
    tree = reader.expr()
    if reader.peek().kind != 'end':
        raise Cql2Error(f'unexpected {_describe(reader.peek())}')
    return tree
