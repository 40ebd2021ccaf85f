"""Put HubCat's filter translation under pycsw's CSW handlers (no pycsw file is edited).

pycsw's ``ogc/csw/csw2.py`` and ``csw3.py`` call the module-level names ``fes1.parse``,
``fes2.parse`` and ``cql2fes``.  :func:`install` rebinds those names *in those two
modules only* to stand-ins that run :func:`hubcat.filters.filter_to_sql` and
:func:`hubcat.filters.cql_to_filter`; pycsw's ``fes1``/``fes2`` modules themselves
(their MODEL, used for the capabilities) stay as they are.

pycsw turns any exception of a filter into a message with ``locator="service"``
(POST) or ``"bbox"`` (KVP Filter); the error is remembered here
(:func:`last_error`) so that :mod:`hubcat.csw` can answer with the offending
element as locator.
"""
from __future__ import annotations

import contextvars
import threading
from typing import Optional

from hubcat.filters.cql import CqlError, cql_to_filter
from hubcat.filters.sql import FilterError, filter_to_sql

_LAST_ERROR: contextvars.ContextVar = contextvars.ContextVar('hubcat_filter_error', default=None)
_LOCK = threading.Lock()
_INSTALLED = False


def reset_error() -> None:
    """Forget the filter error of a previous request (call before each pycsw dispatch)."""
    _LAST_ERROR.set(None)


def last_error() -> Optional[Exception]:
    """The FilterError / CqlError of the current request, if its filter failed."""
    return _LAST_ERROR.get()


def _parse(element, queryables, dbtype, nsmap, orm='sqlalchemy', language='english', fts=False):
    """pycsw's ``fes1.parse`` / ``fes2.parse`` signature: HubCat's translation, and
    :func:`hubcat.filter_guard.check_filter` (issue 8.3: values that must never reach SQL)
    before the result is handed back (the translation's errors name the element)."""
    from hubcat.filter_guard import FilterRefused, check_filter
    try:
        result = filter_to_sql(element, queryables, dbtype, fts=fts, language=language)
        check_filter(element)
        return result
    except FilterRefused as err:
        error = FilterError(str(err), 'Filter')
        _LAST_ERROR.set(error)
        raise error from None
    except FilterError as err:
        _LAST_ERROR.set(err)
        raise


def _cql2fes(cql, namespaces=None, fes_version='1.0'):
    """pycsw's ``cql2fes`` signature: CQL text -> ogc:Filter (read by :func:`_parse` in any version)."""
    try:
        return cql_to_filter(cql)
    except CqlError as err:
        _LAST_ERROR.set(err)
        raise


class _FesStandIn:
    """Stands in for pycsw's ``fes1`` / ``fes2`` module: HubCat's ``parse``, pycsw's everything else."""

    def __init__(self, module):
        self._module = module

    parse = staticmethod(_parse)

    def __getattr__(self, name):
        return getattr(self._module, name)


def install() -> None:
    """Rebind ``fes1``, ``fes2`` and ``cql2fes`` in pycsw's csw2/csw3 modules (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        from pycsw.ogc.csw import csw2, csw3
        from pycsw.ogc.fes import fes1, fes2
        for module in (csw2, csw3):
            if hasattr(module, 'fes1'):
                module.fes1 = _FesStandIn(fes1)
            if hasattr(module, 'fes2'):
                module.fes2 = _FesStandIn(fes2)
            module.cql2fes = _cql2fes
        _INSTALLED = True
