"""Query filters: CQL text and OGC Filter / FES documents to SQL, with HubCat's fixes over pycsw.

Public surface: :func:`cql_to_filter`, :func:`filter_to_sql`, :class:`FilterError`,
:class:`CqlError`, and :func:`install` (puts them under pycsw's CSW 2.0.2 and 3.0.0 handlers).
"""
from hubcat.filters.cql import CqlError, cql_to_filter
from hubcat.filters.pycsw_bridge import install, last_error, reset_error
from hubcat.filters.sql import FilterError, filter_to_sql

__all__ = ['CqlError', 'FilterError', 'cql_to_filter', 'filter_to_sql', 'install', 'last_error',
           'reset_error']
