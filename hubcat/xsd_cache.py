"""pycsw's XML Schema validation of POST requests, each schema compiled once per thread.

pycsw 2.6.2 validates every POST request against ``CSW-discovery.xsd`` (CSW 2.0.2 and
3.0 alike) and compiles that schema, with the GML, Filter and OWS schemas it imports,
from files again for each request: ``etree.XMLSchema(file=...)`` is about 30 ms of a
GetRecords that otherwise takes 10-20 ms at 100,000 records (cProfile of one request,
docs/performance.md).  :func:`install` gives pycsw's CSW modules an ``etree`` whose
``XMLSchema(file=...)`` returns a schema compiled earlier by the same thread.  The
schema files do not change while the server runs, and validation (what is accepted,
what is refused and its message) is unchanged.  The cache is per thread: a compiled
schema is not shared between threads (waitress serves with a fixed pool of threads).
"""
from __future__ import annotations

import threading

from lxml import etree

_LOCAL = threading.local()


def compiled_schema(etree_=None, file=None, **kwargs):
    """``etree.XMLSchema(...)``; a schema named by ``file`` alone comes from this thread's cache."""
    if etree_ is not None or file is None or kwargs:
        return etree.XMLSchema(etree_, file=file, **kwargs)
    cache = getattr(_LOCAL, 'schemas', None)
    if cache is None:
        cache = _LOCAL.schemas = {}
    if file not in cache:
        cache[file] = etree.XMLSchema(file=file)
    return cache[file]


class _CachingEtree:
    """lxml.etree with :func:`compiled_schema` as ``XMLSchema``."""

    XMLSchema = staticmethod(compiled_schema)

    def __getattr__(self, name):
        return getattr(etree, name)


def install() -> None:
    """Let pycsw's CSW 2.0.2 and 3.0 modules compile each request schema once per thread."""
    from pycsw.ogc.csw import csw2, csw3
    for module in (csw2, csw3):
        if not isinstance(module.etree, _CachingEtree):
            module.etree = _CachingEtree()
