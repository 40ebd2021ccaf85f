"""OGC Filter 1.1 / FES 2.0 -> SQL ``where`` text with bound parameters (``:pvalueN``).

HubCat's replacement for pycsw 2.6.2's ``fes1.parse`` / ``fes2.parse`` (same
signature and result: ``(where, values)``), which:

* turned ``PropertyIsNotEqualTo matchCase="false"`` into ``like`` (equality);
* crashed on ``PropertyIsNull`` (it looks for a Literal);
* read only one level of nested And/Or and lost the rows without a value under Not;
* pasted ``ogc:Distance`` into SQL text;
* read EPSG:4326 boxes latitude first whatever their srsName form.

Here every predicate nests, ``matchCase="false"`` compares ``lower()`` of both
sides, ``Not`` is two-valued (a record without the property matches ``Not(=)``),
Like patterns are translated with their own wildCard/singleChar/escapeChar
(SQL ``%``/``_`` in a pattern are literal), values always go through bound
parameters, distances must be numbers, and geometries follow
:mod:`hubcat.filters.axis`.  Spatial SQL is pycsw's (so the SQLite R*Tree
pre-filter and the PostgreSQL functions keep working).  Errors are
:class:`FilterError` carrying the offending element as locator.
"""
from __future__ import annotations

import copy
from typing import Optional

from lxml import etree

from hubcat.filters.axis import normalise_geometries
from hubcat.filters.gml_carrier import geometry_for

FES20 = 'http://www.opengis.net/fes/2.0'
#: the escape character of every SQL LIKE pattern HubCat writes (bound, never in the SQL text)
ESCAPE = '\\'
_COMPARISON = {
    'PropertyIsEqualTo': '=', 'PropertyIsNotEqualTo': '!=',
    'PropertyIsLessThan': '<', 'PropertyIsGreaterThan': '>',
    'PropertyIsLessThanOrEqualTo': '<=', 'PropertyIsGreaterThanOrEqualTo': '>=',
}
_FLIPPED = {'=': '=', '!=': '!=', '<': '>', '>': '<', '<=': '>=', '>=': '<='}
_SPATIAL = ('BBOX', 'Beyond', 'Contains', 'Crosses', 'Disjoint', 'DWithin', 'Equals',
            'Intersects', 'Overlaps', 'Touches', 'Within')
_FUNCTIONS = ('length', 'lower', 'ltrim', 'rtrim', 'trim', 'upper')
_IDS = ('FeatureId', 'GmlObjectId', 'ResourceId')


class FilterError(ValueError):
    """A filter HubCat cannot run; ``locator`` names the offending element."""

    def __init__(self, message: str, locator: str):
        super().__init__(message)
        self.locator = locator


def _local(node) -> str:
    return etree.QName(node).localname


def _children(node) -> list:
    return [c for c in node if isinstance(c.tag, str)]


class _Translator:
    def __init__(self, queryables: dict, dbtype: str, fts: bool, language: str):
        self.queryables = queryables
        self.dbtype = dbtype
        self.is_pg = dbtype.startswith('postgresql')
        self.fts = fts
        self.language = language
        self.values: list = []
        self.anytext = self._column_of('csw:AnyText', required=False)

    # -- values and names ---------------------------------------------------------------
    def param(self, value) -> str:
        self.values.append(value)
        return f':pvalue{len(self.values) - 1}'

    def _column_of(self, name: str, required: bool = True) -> Optional[str]:
        entry = self.queryables.get(name)
        if entry is None:
            if required:
                raise FilterError(f'Invalid PropertyName: {name} is not a queryable', 'PropertyName')
            return None
        return entry['dbcol'] if isinstance(entry, dict) else entry

    def column(self, node) -> str:
        name = (node.text or '').strip()
        if not name:
            raise FilterError(f'empty {_local(node)}', _local(node))
        return self._column_of(name)

    def expression(self, node) -> tuple[str, str]:
        """(kind, sql) of an expression element: kind 'column', 'literal' or 'function'."""
        tag = _local(node)
        if tag in ('PropertyName', 'ValueReference'):
            return 'column', self.column(node)
        if tag == 'Literal':
            return 'literal', self.param(node.text or '')
        if tag == 'Function':
            name = (node.get('name') or '').lower()
            if name not in _FUNCTIONS:
                raise FilterError(f'Invalid Function: {node.get("name")} (supported: '
                                  f'{", ".join(_FUNCTIONS)})', 'Function')
            args = _children(node)
            if len(args) != 1:
                raise FilterError(f'Function {name} takes one argument', 'Function')
            kind, sql = self.expression(args[0])
            return ('function' if kind == 'column' else kind), f'{name}({sql})'
        raise FilterError(f'unexpected {tag} in a comparison', tag)

    # -- predicates ---------------------------------------------------------------------
    def predicate(self, node) -> str:
        tag = _local(node)
        if tag in ('And', 'Or'):
            parts = [self.predicate(c) for c in _children(node)]
            if not parts:
                raise FilterError(f'{tag} without operands', tag)
            return '(' + f' {tag.lower()} '.join(parts) + ')'
        if tag == 'Not':
            parts = _children(node)
            if len(parts) != 1:
                raise FilterError('Not takes exactly one operand', tag)
            return f'(({self.predicate(parts[0])}) is not true)'
        if tag in _COMPARISON:
            return self.comparison(node, _COMPARISON[tag])
        if tag == 'PropertyIsLike':
            return self.like(node)
        if tag in ('PropertyIsNull', 'PropertyIsNil'):
            return self.null(node)
        if tag == 'PropertyIsBetween':
            return self.between(node)
        if tag in _SPATIAL:
            return self.spatial(node)
        if tag in _IDS:
            return self.ids([node])
        raise FilterError(f'unsupported filter operator {tag}', tag)

    def _operands(self, node, count: int = 2) -> list:
        operands = _children(node)
        if len(operands) != count:
            raise FilterError(f'{_local(node)} takes {count} operands, not {len(operands)}',
                              _local(node))
        return operands

    def comparison(self, node, op: str) -> str:
        left, right = self._operands(node)
        if _local(left) == 'Literal' and _local(right) != 'Literal':
            left, right, op = right, left, _FLIPPED[op]
        lkind, lsql = self.expression(left)
        if lkind == 'column' and lsql == self.anytext and op in ('=', '!=') \
                and _local(right) == 'Literal':
            found = self._anytext(right.text or '')
            return found if op == '=' else f'(({found}) is not true)'
        rkind, rsql = self.expression(right)
        if node.get('matchCase', 'true').lower() == 'false':
            lsql, rsql = f'lower({lsql})', f'lower({rsql})'
        return f'{lsql} {op} {rsql}'

    def _anytext(self, text: str, pattern: Optional[str] = None) -> str:
        """Full-text style match on csw:AnyText (pycsw's semantics: contains the words)."""
        if self.is_pg and self.fts:
            return f"plainto_tsquery('{self.language}', {self.param(text)}) @@ anytext_tsvector"
        like = 'ilike' if self.is_pg else 'like'
        if pattern is None:
            pattern = '%' + _escape_like(text) + '%'
        return f"{self.anytext} {like} {self.param(pattern)} escape {self.param(ESCAPE)}"

    def like(self, node) -> str:
        prop, literal = self._operands(node)
        if _local(literal) != 'Literal':
            raise FilterError('PropertyIsLike needs a Literal pattern', 'PropertyIsLike')
        kind, sql = self.expression(prop)
        wildcard = node.get('wildCard', '*' if node.tag.startswith(f'{{{FES20}') else '%')
        single = node.get('singleChar', '_')
        escape = node.get('escapeChar', node.get('escape', '\\'))
        pattern = like_pattern(literal.text or '', wildcard, single, escape)
        if kind == 'column' and sql == self.anytext:
            if not pattern.startswith('%'):
                pattern = '%' + pattern
            if not pattern.endswith('%') or pattern.endswith('\\%'):
                pattern += '%'
            return self._anytext(literal.text or '', pattern)
        caseless = node.get('matchCase', 'true').lower() == 'false'
        operator = 'ilike' if (caseless and self.is_pg) else 'like'
        return f"{sql} {operator} {self.param(pattern)} escape {self.param(ESCAPE)}"

    def null(self, node) -> str:
        (prop,) = self._operands(node, 1)
        _, sql = self.expression(prop)
        return f"({sql} is null or cast({sql} as text) = {self.param('')})"

    def between(self, node) -> str:
        operands = _children(node)
        if len(operands) != 3:
            raise FilterError('PropertyIsBetween takes an expression, LowerBoundary and '
                              'UpperBoundary', 'PropertyIsBetween')
        _, sql = self.expression(operands[0])
        bounds = []
        for boundary in operands[1:]:
            inner = _children(boundary)
            if len(inner) != 1:
                raise FilterError(f'{_local(boundary)} takes one expression', _local(boundary))
            bounds.append(self.expression(inner[0])[1])
        return f'{sql} between {bounds[0]} and {bounds[1]}'

    def ids(self, nodes) -> str:
        column = self._column_of('pycsw:Identifier')
        names = []
        for node in nodes:
            value = (node.get('fid') or node.get('rid')
                     or node.get('{http://www.opengis.net/gml}id') or '')
            if not value:
                raise FilterError(f'{_local(node)} without an identifier', _local(node))
            names.append(self.param(value))
        return f'{column} in ({", ".join(names)})'

    def spatial(self, node) -> str:
        from pycsw.ogc.fes import fes1, fes2
        node = copy.deepcopy(node)
        for child in _children(node):   # a geometry lifted past pycsw's schema check
            geometry = geometry_for(child)
            if geometry is not None:
                node.replace(child, geometry)
        distance = next((c for c in _children(node) if _local(c) == 'Distance'), None)
        if distance is not None:
            try:
                value = float((distance.text or '').strip())
            except ValueError:
                raise FilterError(f'Distance must be a number, not {distance.text!r}',
                                  'Distance') from None
            if value != value or value in (float('inf'), float('-inf')):
                raise FilterError('Distance must be a finite number', 'Distance')
            distance.text = repr(value)
        try:
            normalise_geometries(node)
        except ValueError as err:
            raise FilterError(f'invalid geometry: {err}', _local(node)) from None
        fes20 = node.tag.startswith(f'{{{FES20}')
        nsmap = {'ogc': 'http://www.opengis.net/ogc', 'fes20': FES20,
                 'gml': 'http://www.opengis.net/gml'}
        module = fes2 if fes20 else fes1
        try:
            sql = module._get_spatial_operator(self._column_of('pycsw:BoundingBox'), node,
                                               self.dbtype, nsmap)
        except (RuntimeError, IndexError, ValueError, AttributeError, TypeError) as err:
            raise FilterError(f'invalid {_local(node)}: {err}', _local(node)) from None
        return f"{sql} = 'true'"


def _escape_like(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def like_pattern(text: str, wildcard: str, single: str, escape: str) -> str:
    """An SQL LIKE pattern (escape character ``\\``) from an OGC Like literal."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if escape and text.startswith(escape, i) and i + len(escape) < len(text):
            i += len(escape)
            out.append(_escape_like(text[i]))
            i += 1
            continue
        if wildcard and text.startswith(wildcard, i):
            out.append('%')
            i += len(wildcard)
            continue
        if single and text.startswith(single, i):
            out.append('_')
            i += len(single)
            continue
        out.append(_escape_like(char))
        i += 1
    return ''.join(out)


def filter_to_sql(element, queryables: dict, dbtype: str, fts: bool = False,
                  language: str = 'english') -> tuple[str, list]:
    """``(where, values)`` of an ``ogc:Filter`` / ``fes:Filter`` element (or one predicate).

    :param queryables: name -> ``{'dbcol': column}`` (or column), pycsw's ``queryables['_all']``
    :param dbtype: the repository's dbtype (``sqlite``, ``postgresql``, ``postgresql+postgis+...``)
    :raises FilterError: with the offending element as ``locator``
    """
    translator = _Translator(queryables, dbtype, fts, language)
    if _local(element) == 'Filter':
        children = _children(element)
        if not children:
            raise FilterError('empty Filter', 'Filter')
        if all(_local(c) in _IDS for c in children):
            return translator.ids(children), translator.values
        if len(children) != 1:
            raise FilterError('a Filter holds one predicate (combine them with And/Or)', 'Filter')
        element = children[0]
    return translator.predicate(element), translator.values
