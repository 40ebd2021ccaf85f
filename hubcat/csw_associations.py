"""``rim:Association`` in every advertised output schema, and in DescribeRecord.

pycsw 2.6.2 serialises a non-``csw:Record`` typename into Dublin Core only through a
profile whose own typename is the one requested; ``rim:Association`` has none, so
``typeNames=rim:Association`` in Dublin Core failed ("Record serialization failed"),
and DescribeRecord ``typeName=rim:Association`` returned no schema.  HubCat:

* GetRecords ``typeNames=rim:Association`` with a Dublin Core output schema (CSW 2.0.2
  or 3.0, or none named): pycsw is asked for ``csw:Record`` while the repository is
  told (:func:`associations_only`) to return association rows only, so each
  association is written as a Dublin Core record (``dc:type`` Association, title
  "SOURCE TYPE TARGET"); ISO and ebRIM go through the profiles as before;
* DescribeRecord ``typeName=rim:Association`` answers the CSW-ebRIM schema (the one
  of ``rim:RegistryObject``, which defines ``rim:Association``).
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Optional

ASSOCIATION = 'rim:Association'
DC_SCHEMAS = ('', 'http://www.opengis.net/cat/csw/2.0.2', 'http://www.opengis.net/cat/csw/3.0')
_ASSOCIATIONS_ONLY: contextvars.ContextVar = contextvars.ContextVar('hubcat_associations_only',
                                                                   default=False)


def associations_only() -> bool:
    """True while pycsw answers a Dublin Core GetRecords of ``rim:Association`` (see module)."""
    return _ASSOCIATIONS_ONLY.get()


@contextlib.contextmanager
def associations_scope(csw_request):
    """:func:`associations_only` is True inside when the hook marked ``csw_request`` so."""
    token = _ASSOCIATIONS_ONLY.set(bool(csw_request.flags.get('associations_only')))
    try:
        yield
    finally:
        _ASSOCIATIONS_ONLY.reset(token)


def _typenames(value: str) -> list[str]:
    return [t for t in value.replace(' ', ',').split(',') if t]


def _getrecords_kvp(csw_request) -> bool:
    kvp = csw_request.kvp
    if _typenames(kvp.get('typenames', '')) != [ASSOCIATION]:
        return False
    if kvp.get('outputschema', '') not in DC_SCHEMAS:
        return False
    kvp['typenames'] = 'csw:Record'
    return True


def _getrecords_post(csw_request) -> bool:
    root = csw_request.xml_root
    queries = [q for q in root.iter('{*}Query')]
    if len(queries) != 1 or _typenames(queries[0].get('typeNames', '')) != [ASSOCIATION]:
        return False
    if root.get('outputSchema', '') not in DC_SCHEMAS:
        return False
    queries[0].set('typeNames', 'csw:Record')
    csw_request.refresh_body()
    return True


def _describe_record(csw_request) -> None:
    if csw_request.method == 'GET':
        names = _typenames(csw_request.kvp.get('typename', ''))
        if ASSOCIATION in names:
            names = list(dict.fromkeys('rim:RegistryObject' if n == ASSOCIATION else n
                                       for n in names))
            csw_request.kvp['typename'] = ','.join(names)
            csw_request.rewritten = True
        return
    root = csw_request.xml_root
    changed = False
    for node in root.iter('{*}TypeName'):
        if (node.text or '').strip() == ASSOCIATION:
            node.text = 'rim:RegistryObject'
            changed = True
    if changed:
        csw_request.refresh_body()


def associations_hook(config, csw_request, flask_request) -> Optional[tuple]:
    """Rewrite the requests of the module docstring (marking ``csw_request.flags``); never
    answers by itself."""
    operation = csw_request.operation
    if csw_request.method == 'POST' and csw_request.xml_root is None:
        return None
    if operation == 'GetRecords':
        if csw_request.method == 'GET':
            hit = _getrecords_kvp(csw_request)
        else:
            hit = _getrecords_post(csw_request)
        csw_request.flags['associations_only'] = hit
    elif operation == 'DescribeRecord':
        _describe_record(csw_request)
    return None
