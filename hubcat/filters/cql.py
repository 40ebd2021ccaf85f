"""OGC CQL text -> OGC Filter 1.1 (``ogc:Filter``), for CSW ``CQL_TEXT`` constraints.

pycsw 2.6.2 splits CQL text on `` and ``/`` or `` and on whitespace, so keywords
must be lower case (``LIKE`` is "Invalid Filter syntax"), ``=`` needs spaces
around it, and NOT, BETWEEN, IS NULL and parentheses do not work.  This parser
follows the OGC CQL grammar (OGC 07-006r1 annex, case-insensitive keywords)::

    expr      := and_expr (OR and_expr)*
    and_expr  := not_expr (AND not_expr)*
    not_expr  := NOT not_expr | '(' expr ')' | predicate
    predicate := property op literal              op: = <> != < > <= >=
               | property [NOT] (LIKE | ILIKE) literal
               | property [NOT] BETWEEN literal AND literal
               | property IS [NOT] NULL
               | property [NOT] IN '(' literal (',' literal)* ')'
               | BBOX '(' property ',' n ',' n ',' n ',' n [',' 'crs'] ')'

Literals are single-quoted strings (``''`` is a quote), numbers, or bare words
such as ``2024-01-01``.  BBOX coordinates are (minx, miny, maxx, maxy) in the
order of the named CRS (longitude first without one, see :mod:`hubcat.filters.axis`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

OGC = 'http://www.opengis.net/ogc'
GML = 'http://www.opengis.net/gml'
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[^\s(),'=<>!]+)
)""", re.X)
_COMPARISON = {'=': 'PropertyIsEqualTo', '<>': 'PropertyIsNotEqualTo', '!=': 'PropertyIsNotEqualTo',
               '<': 'PropertyIsLessThan', '>': 'PropertyIsGreaterThan',
               '<=': 'PropertyIsLessThanOrEqualTo', '>=': 'PropertyIsGreaterThanOrEqualTo'}
_KEYWORDS = {'AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'BETWEEN', 'IS', 'NULL', 'IN'}


class CqlError(ValueError):
    """CQL text that does not follow the grammar (the message says where)."""
    locator = 'CqlText'


@dataclass
class _Token:
    kind: str      # string, op, punct, word
    text: str
    pos: int

    def keyword(self, *words: str) -> bool:
        return self.kind == 'word' and self.text.upper() in words


def tokenize(text: str) -> list[_Token]:
    """The tokens of a CQL text; :class:`CqlError` at the first character that is none."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CqlError(f'unexpected character {text[pos]!r} at position {pos}')
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def _el(tag: str, parent=None, text=None, **attrs):
    qname = f'{{{GML if tag.startswith("gml:") else OGC}}}{tag.split(":")[-1]}'
    node = etree.Element(qname, **attrs) if parent is None else etree.SubElement(parent, qname, **attrs)
    if text is not None:
        node.text = text
    return node


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise CqlError('unexpected end of the constraint')
        self.i += 1
        return token

    def expect_punct(self, char: str) -> None:
        token = self.take()
        if token.kind != 'punct' or token.text != char:
            raise CqlError(f'expected {char!r} at position {token.pos}, found {token.text!r}')

    def expr(self):
        parts = [self.and_expr()]
        while self.peek() is not None and self.peek().keyword('OR'):
            self.take()
            parts.append(self.and_expr())
        return self._combine('Or', parts)

    def and_expr(self):
        parts = [self.not_expr()]
        while self.peek() is not None and self.peek().keyword('AND'):
            self.take()
            parts.append(self.not_expr())
        return self._combine('And', parts)

    @staticmethod
    def _combine(tag: str, parts: list):
        if len(parts) == 1:
            return parts[0]
        node = _el(tag)
        node.extend(parts)
        return node

    def not_expr(self):
        token = self.peek()
        if token is None:
            raise CqlError('unexpected end of the constraint')
        if token.keyword('NOT'):
            self.take()
            node = _el('Not')
            node.append(self.not_expr())
            return node
        if token.kind == 'punct' and token.text == '(':
            self.take()
            node = self.expr()
            self.expect_punct(')')
            return node
        if token.keyword('BBOX'):
            return self.bbox()
        return self.predicate()

    def literal(self) -> str:
        token = self.take()
        if token.kind == 'string':
            return token.text[1:-1].replace("''", "'")
        if token.kind == 'word' and token.text.upper() not in _KEYWORDS:
            return token.text
        raise CqlError(f'expected a value at position {token.pos}, found {token.text!r}')

    def property_name(self) -> str:
        token = self.take()
        if token.kind != 'word' or token.text.upper() in _KEYWORDS:
            raise CqlError(f'expected a property name at position {token.pos}, found {token.text!r}')
        return token.text

    def predicate(self):
        name = self.property_name()
        token = self.take()
        if token.kind == 'op':
            node = _el(_COMPARISON[token.text])
            _el('PropertyName', node, name)
            _el('Literal', node, self.literal())
            return node
        negate = token.keyword('NOT')
        if negate:
            token = self.take()
        if token.keyword('LIKE', 'ILIKE'):
            node = _el('PropertyIsLike', wildCard='%', singleChar='_', escapeChar='\\')
            if token.keyword('ILIKE'):
                node.set('matchCase', 'false')
            _el('PropertyName', node, name)
            _el('Literal', node, self.literal())
        elif token.keyword('BETWEEN'):
            node = _el('PropertyIsBetween')
            _el('PropertyName', node, name)
            _el('Literal', _el('LowerBoundary', node), self.literal())
            if not self.take().keyword('AND'):
                raise CqlError(f'BETWEEN needs AND after its lower value ({name})')
            _el('Literal', _el('UpperBoundary', node), self.literal())
        elif token.keyword('IN'):
            node = self.in_list(name)
        elif token.keyword('IS') and not negate:
            if self.peek() is not None and self.peek().keyword('NOT'):
                self.take()
                negate = True
            if not self.take().keyword('NULL'):
                raise CqlError(f'expected NULL after IS ({name})')
            node = _el('PropertyIsNull')
            _el('PropertyName', node, name)
        else:
            raise CqlError(f'expected an operator after {name} at position {token.pos}, '
                           f'found {token.text!r}')
        if negate:
            outer = _el('Not')
            outer.append(node)
            return outer
        return node

    def in_list(self, name: str):
        self.expect_punct('(')
        values = [self.literal()]
        while self.peek() is not None and self.peek().text == ',':
            self.take()
            values.append(self.literal())
        self.expect_punct(')')
        parts = []
        for value in values:
            node = _el('PropertyIsEqualTo')
            _el('PropertyName', node, name)
            _el('Literal', node, value)
            parts.append(node)
        return self._combine('Or', parts)

    def bbox(self):
        self.take()
        self.expect_punct('(')
        name = self.property_name()
        numbers = []
        for _ in range(4):
            self.expect_punct(',')
            value = self.literal()
            try:
                float(value)
            except ValueError:
                raise CqlError(f'BBOX coordinates must be numbers, not {value!r}') from None
            numbers.append(value)
        crs = ''
        if self.peek() is not None and self.peek().text == ',':
            self.take()
            crs = self.literal()
        self.expect_punct(')')
        node = _el('BBOX')
        _el('PropertyName', node, name)
        env = _el('gml:Envelope', node, **({'srsName': crs} if crs else {}))
        _el('gml:lowerCorner', env, f'{numbers[0]} {numbers[1]}')
        _el('gml:upperCorner', env, f'{numbers[2]} {numbers[3]}')
        return node


def cql_to_filter(text: str) -> etree._Element:
    """The ``ogc:Filter`` element of a CQL text.

    :raises CqlError: the text does not follow the grammar (module docstring)
    """
    if not (text or '').strip():
        raise CqlError('empty constraint')
    parser = _Parser(text)
    predicate = parser.expr()
    if parser.peek() is not None:
        token = parser.peek()
        raise CqlError(f'unexpected {token.text!r} at position {token.pos}')
    root = etree.Element(f'{{{OGC}}}Filter', nsmap={'ogc': OGC, 'gml': GML})
    root.append(predicate)
    return root
