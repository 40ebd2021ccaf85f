"""pycsw's XML Schema validation without re-reading the schemas on every request.

pycsw validates every POST request (and CSW 3.0 KVP filters) against the CSW and
Filter schemas, and builds the validator with ``etree.XMLSchema(file=...)`` each
time: reading CSW-discovery.xsd and the schemas it imports takes about 20 ms of CPU,
half of a whole GetRecords at 100,000 records (docs/performance.md, "Throughput").
:func:`install` hands pycsw's CSW 2.0.2 and 3.0.0 modules an ``etree`` whose
``XMLSchema(file=path)`` is read once per thread and path; validation itself is
unchanged (a new parser with that schema per request, the same errors).  One
validator per thread, because lxml does not promise that one may be shared by
threads that validate at the same time.
"""
from __future__ import annotations

import threading

from lxml import etree as _lxml_etree

_LOCAL = threading.local()


class _SchemaCachingEtree:
    """``lxml.etree`` as pycsw's CSW modules see it, with schema files read once per thread."""

    def __getattr__(self, name):
        return getattr(_lxml_etree, name)

    @staticmethod
    def XMLSchema(etree=None, file=None, **kwargs):  # noqa: N802 - lxml's name
        """``lxml.etree.XMLSchema``; a schema given by file name only is read once per thread."""
        if etree is not None or file is None or kwargs or not isinstance(file, str):
            return _lxml_etree.XMLSchema(etree, file=file, **kwargs)
        cache = getattr(_LOCAL, 'schemas', None)
        if cache is None:
            cache = _LOCAL.schemas = {}
        schema = cache.get(file)
        if schema is None:
            schema = cache[file] = _lxml_etree.XMLSchema(file=file)
        return schema


_CACHING_ETREE = _SchemaCachingEtree()


def install() -> None:
    """Give pycsw's CSW 2.0.2 and 3.0.0 request handlers the caching ``etree`` (idempotent)."""
    from pycsw.ogc.csw import csw2, csw3
    csw2.etree = _CACHING_ETREE
    csw3.etree = _CACHING_ETREE
