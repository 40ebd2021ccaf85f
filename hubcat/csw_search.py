"""KVP GetRecords: a ``constraint`` and the search parameters (``q``, ``bbox``, ``time``, ...) together.

pycsw 2.6.2 replaces the ``constraint`` with the filter of ``q``/``bbox``/``time``
when both are present (the constraint is silently ignored), fails on empty
optional parameters (``q=&bbox=`` as OpenSearch clients send them), and knows
nothing of HubCat's ``status``, ``observedProperty`` and ``type`` parameters.
This hook rewrites such a request before pycsw sees it: empty optional
parameters are dropped, and the constraint and every search parameter become
one Filter joined by And (``constraintlanguage=FILTER``), with the meanings of
:mod:`hubcat.filters.search_params` (also when there is no constraint, so that
``q``/``bbox``/``time`` mean the same everywhere).
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

from hubcat.filters import CqlError, FilterError, cql_to_filter
from hubcat.filters.search_params import (SEARCH_PARAMETERS, combine, has_search_parameters,
                                          search_predicates)
from hubcat.csw_request import CswRequestError

#: optional KVP parameters whose empty value means "not given"
OPTIONAL_PARAMETERS = SEARCH_PARAMETERS + ('startposition', 'maxrecords', 'constraint',
                                           'constraintlanguage', 'sortby', 'outputformat')


def _applies(csw_request) -> bool:
    kvp = csw_request.kvp
    return csw_request.method == 'GET' and (
        kvp.get('request') == 'GetRecords' or kvp.get('mode') == 'opensearch')


def drop_empty_parameters(kvp: dict) -> bool:
    """Remove optional parameters with an empty value (and OpenSearch ``eo:`` ones); True if any."""
    empty = [k for k, v in kvp.items()
             if not v.strip() and (k in OPTIONAL_PARAMETERS or k.startswith('eo:'))]
    if kvp.get('time', '').strip() == '/':
        empty.append('time')
    for key in empty:
        kvp.pop(key, None)
    return bool(empty)


def constraint_predicates(kvp: dict) -> list:
    """The predicate(s) of the request's ``constraint`` (CQL_TEXT or FILTER), [] when none.

    :raises FilterError: / CqlError: the constraint cannot be read
    """
    text = kvp.get('constraint', '')
    if not text.strip():
        return []
    language = kvp.get('constraintlanguage', '').upper()
    if language == 'CQL_TEXT':
        root = cql_to_filter(text)
    elif language == 'FILTER':
        from harvesters.http import safe_xml_parser
        try:
            root = etree.fromstring(text.encode(), safe_xml_parser())
        except (etree.XMLSyntaxError, ValueError) as err:
            raise FilterError(f'constraint is not well-formed XML: {err}', 'constraint') from None
        if etree.QName(root).localname != 'Filter':
            raise FilterError('a FILTER constraint is an ogc:Filter', 'constraint')
    else:
        raise FilterError('constraintlanguage must be CQL_TEXT or FILTER', 'constraintlanguage')
    return [child for child in root if isinstance(child.tag, str)]


def kvp_search_hook(config, csw_request, flask_request) -> Optional[tuple]:
    """Rewrite a KVP GetRecords as the module docstring says.

    :raises CswRequestError: InvalidParameterValue naming the parameter that is malformed
    """
    if not _applies(csw_request):
        return None
    kvp = csw_request.kvp
    changed = drop_empty_parameters(kvp)
    if has_search_parameters(kvp):
        try:
            predicates = constraint_predicates(kvp) + search_predicates(kvp)
        except (FilterError, CqlError) as err:
            locator = 'constraint' if isinstance(err, CqlError) else err.locator
            locator = locator if locator in kvp or locator == 'constraintlanguage' else 'constraint'
            raise CswRequestError('InvalidParameterValue', locator,
                                  f'Invalid {locator}: {err}') from None
        for name in SEARCH_PARAMETERS:
            kvp.pop(name, None)
        kvp['constraintlanguage'] = 'FILTER'
        kvp['constraint'] = etree.tostring(combine(predicates), encoding='unicode')
        changed = True
    if changed:
        csw_request.rewritten = True
    return None
