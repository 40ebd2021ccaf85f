"""What HubCat decides on a parsed ``/csw`` request before pycsw sees it.

:func:`check_request` runs every rule on the one :class:`~hubcat.csw_request.CswRequest`
and raises :class:`~hubcat.csw_request.CswRequestError` for the first it breaks:

- Transaction and Harvest need the administrator token (401 none or wrong, 403 none
  configured), the same check as every other write (:mod:`hubcat.auth`);
- ``responsehandler`` (pycsw would send the answer by FTP or e-mail) is refused
  unless ``[hubcat] allow_responsehandler`` is on, and then needs the token too;
- GetRecords paging is checked and made explicit (:mod:`hubcat.csw_paging`);
- the Id of an XML GetRecordById and the PropertyName/ParameterName of an XML
  GetDomain must not be empty (pycsw fails on an empty one);
- a KVP ``namespace`` must be ``xmlns(prefix=uri)`` bindings of namespaces the
  catalogue knows (pycsw fails on anything else).
"""
from __future__ import annotations

import functools
import re

from lxml import etree

from hubcat.auth import admin_refusal
from hubcat.config import Config
from hubcat.csw_paging import normalise_paging
from hubcat.csw_request import CswRequest, CswRequestError

TRUE = ('1', 'true', 'yes', 'on')
_BINDING = re.compile(r'^xmlns\(([A-Za-z_][\w.-]*)=([^(),=\s]+)\)$')


def check_request(config: Config, csw_request: CswRequest, headers) -> None:
    """Raise :class:`CswRequestError` when the request may not go on to be answered."""
    if csw_request.is_write:
        _need_token(config, headers, csw_request.operation, csw_request.operation)
    if names_responsehandler(csw_request):
        if not responsehandler_allowed(config):
            raise CswRequestError(
                'InvalidParameterValue', 'ResponseHandler',
                'ResponseHandler is disabled on this catalogue: ask again without it and '
                'read the answer from the response')
        _need_token(config, headers, 'ResponseHandler', 'ResponseHandler')
    if csw_request.method == 'POST':
        check_required_text(csw_request)
    if csw_request.method == 'GET' and 'namespace' in csw_request.kvp:
        check_namespace(csw_request.kvp['namespace'])
    normalise_paging(config, csw_request)


def _need_token(config: Config, headers, what: str, locator: str) -> None:
    refusal = admin_refusal(config, headers)
    if refusal is not None:
        raise CswRequestError('NoApplicableCode', locator, f'{what} refused: {refusal.message}',
                              refusal.status, refusal.headers)


def names_responsehandler(csw_request: CswRequest) -> bool:
    """True when the request asks pycsw to send its answer elsewhere (KVP or XML)."""
    if csw_request.method == 'GET':
        return 'responsehandler' in csw_request.kvp
    root = csw_request.xml_root
    return root is not None and any(
        isinstance(el.tag, str) and el.tag.rsplit('}', 1)[-1].lower() == 'responsehandler'
        for el in root.iter())


def responsehandler_allowed(config: Config) -> bool:
    """``[hubcat] allow_responsehandler`` (default false)."""
    return (config.get('hubcat', 'allow_responsehandler', 'false') or '').strip().lower() in TRUE


#: operation -> child elements whose text pycsw needs
_REQUIRED_TEXT = {'GetRecordById': ('Id',), 'GetDomain': ('PropertyName', 'ParameterName')}


def check_required_text(csw_request: CswRequest) -> None:
    """MissingParameterValue for an empty Id (GetRecordById) or PropertyName/ParameterName
    (GetDomain) in an XML request."""
    names = _REQUIRED_TEXT.get(csw_request.operation, ())
    for child in csw_request.xml_root:
        if isinstance(child.tag, str) and etree.QName(child).localname in names \
                and not (child.text or '').strip():
            name = etree.QName(child).localname
            raise CswRequestError('MissingParameterValue', name, f'{name} must not be empty')


def check_namespace(value: str) -> None:
    """Raise InvalidParameterValue unless ``value`` is ``xmlns(p=uri),...`` of known namespaces."""
    for binding in filter(None, (b.strip() for b in value.split(','))):
        match = _BINDING.match(binding)
        if not match:
            raise CswRequestError('InvalidParameterValue', 'namespace',
                                  'namespace must be a list of xmlns(prefix=uri) bindings')
        if match.group(2) not in known_namespaces():
            raise CswRequestError('InvalidParameterValue', 'namespace',
                                  f'namespace {match.group(2)} is not known to this catalogue')


@functools.lru_cache(maxsize=1)
def known_namespaces() -> frozenset:
    """Namespace URIs pycsw and HubCat's profile know."""
    from pycsw.core.config import StaticContext

    from profiles.hubcat import ebrim
    from profiles.hubcat.hubcat import HUBCAT_NS
    return frozenset(StaticContext().namespaces.values()) | {ebrim.RIM, ebrim.WRS, HUBCAT_NS}
