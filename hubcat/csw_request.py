"""The one parse of a ``/csw`` request: HubCat decides on it, pycsw gets exactly it.

A request is parsed once, here: the KVP query string (parameter names are
case-insensitive in OGC KVP, and a name given twice, in any case, is refused) or
the XML POST body (safe parser, no DTD; a SOAP 1.1/1.2 envelope is unwrapped to
the one operation element of its Body).  Everything HubCat checks (operation,
token, parameters) is read from this :class:`CswRequest`, and pycsw is handed its
normalised form (:meth:`CswRequest.query_string`, :attr:`CswRequest.body`), so
HubCat and pycsw never read different values.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl, urlencode

from lxml import etree

from hubcat.ows import exception_report

#: SOAP envelope namespace -> SOAP version
SOAP_VERSIONS = {'http://www.w3.org/2003/05/soap-envelope': '1.2',
                 'http://schemas.xmlsoap.org/soap/envelope/': '1.1'}
#: operations that change the catalogue (administrator token only)
WRITE_OPERATIONS = ('Transaction', 'Harvest')
#: characters XML 1.0 cannot carry (a value with one can never be answered)
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
XML_TYPE = 'application/xml; charset=UTF-8'


class CswRequestError(Exception):
    """A request HubCat refuses before pycsw sees it; answered as an OWS ExceptionReport.

    :param code: OWS exceptionCode
    :param locator: the parameter (or element) at fault
    :param status: HTTP status (400 bad request, 401/403 no write access, 413 too big)
    :param headers: extra response headers (``WWW-Authenticate``)
    """

    def __init__(self, code: str, locator: str, text: str, status: int = 400,
                 headers: Optional[dict] = None):
        super().__init__(text)
        self.code, self.locator, self.text = code, locator, text
        self.status, self.headers = status, headers or {}
        self.soap = ''   # set when the request came in a SOAP envelope

    def answer(self, version: str = '2.0.2') -> tuple[int, str, bytes, dict]:
        """(status, content type, ExceptionReport, headers)."""
        return self.status, XML_TYPE, exception_report(
            self.code, self.locator, self.text, version), dict(self.headers)


@dataclass
class CswRequest:
    """One parsed CSW request.

    ``kvp``: the query parameters, names lower-cased, each exactly once (GET).
    ``body``: the XML operation HubCat hands pycsw (POST): re-serialised from the
    parsed tree, the Body's operation when the request came in a SOAP envelope.
    ``soap``: the SOAP version ('1.1', '1.2') of a wrapped request, '' otherwise.
    """
    method: str
    body: bytes = b''
    kvp: dict = field(default_factory=dict)
    soap: str = ''
    #: set by a hook that changed ``kvp`` (pycsw always gets the current ``kvp``)
    rewritten: bool = False
    #: what hooks found out for the steps after them (e.g. ``associations_only``)
    flags: dict = field(default_factory=dict)

    @property
    def operation(self) -> str:
        """The request name (GetRecords, Harvest, ...), '' when unknown."""
        if self.method == 'GET':
            return self.kvp.get('request', '')
        root = self.xml_root
        return etree.QName(root).localname if root is not None else ''

    @property
    def is_write(self) -> bool:
        """True for Transaction and Harvest (in any case: never let a spelling slip past)."""
        return self.operation.lower() in (op.lower() for op in WRITE_OPERATIONS)

    @property
    def version(self) -> str:
        """'2.0.2' or '3.0.0' (what the request names; 3.0.0 by default, as pycsw)."""
        if self.method == 'GET':
            text = self.kvp.get('version', '') or self.kvp.get('acceptversions', '')
            return '2.0.2' if '2.0.2' in text else '3.0.0'
        return '2.0.2' if b'cat/csw/2.0.2' in self.body else '3.0.0'

    @functools.cached_property
    def xml_root(self) -> Optional[etree._Element]:
        """The parsed operation element of a POST (safe parser), None if it is not XML."""
        from harvesters.http import safe_xml_parser
        try:
            return etree.fromstring(self.body, safe_xml_parser())
        except (etree.XMLSyntaxError, ValueError):
            return None

    def refresh_body(self) -> None:
        """Re-serialise :attr:`body` after HubCat changed the parsed operation element."""
        self.body = etree.tostring(self.xml_root, xml_declaration=True, encoding='UTF-8')

    @property
    def query_string(self) -> str:
        """The normalised query string handed to pycsw (lower-case names, one value each)."""
        return urlencode(self.kvp)


def parse_request(method: str, query_string: str, body: bytes) -> CswRequest:
    """The :class:`CswRequest` of one HTTP request.

    :raises CswRequestError: a repeated KVP parameter, a value XML cannot carry, a body
        that is not well-formed XML or has a DTD, a malformed SOAP envelope
    """
    method = method.upper()
    if method != 'POST':
        return CswRequest(method='GET', kvp=parse_kvp(query_string))
    root, soap = parse_xml(body)
    request = CswRequest(method='POST', soap=soap,
                         body=etree.tostring(root, xml_declaration=True, encoding='UTF-8'))
    request.__dict__['xml_root'] = root   # the cached_property: parsed once, here
    return request


def requested_version(query_string: bytes, body: bytes) -> str:
    """The CSW version a request names, before (or without) parsing it: for answering a
    request that could not be parsed in the report version the client expects."""
    return '2.0.2' if b'2.0.2' in query_string or b'cat/csw/2.0.2' in body else '3.0.0'


def parse_kvp(query_string: str) -> dict:
    """Query parameters as ``{lower-case name: value}``.

    :raises CswRequestError: InvalidParameterValue when a name appears twice (in any
        case) or a name or value holds a character XML cannot carry
    """
    kvp: dict = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        key = name.lower()
        if not key:
            continue
        if _NOT_XML.search(key) or _NOT_XML.search(value):
            shown = _NOT_XML.sub('?', key[:40])
            raise CswRequestError('InvalidParameterValue', shown,
                                  f'parameter {shown} holds a control character')
        if key in kvp:
            raise CswRequestError('InvalidParameterValue', key,
                                  f'parameter {key} is given more than once (names are '
                                  'case-insensitive); give each parameter once')
        kvp[key] = value
    return kvp


def parse_xml(body: bytes) -> tuple[etree._Element, str]:
    """(operation element, SOAP version or '') of an XML POST body.

    :raises CswRequestError: empty or not well-formed, a DTD, a malformed SOAP envelope
    """
    from harvesters.http import safe_xml_parser
    if not body.strip():
        raise CswRequestError('MissingParameterValue', 'request',
                              'the POST body is empty: send a CSW request as XML')
    try:
        root = etree.fromstring(body, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError) as err:
        raise CswRequestError('NoApplicableCode', 'request',
                              f'the request is not well-formed XML: {err}') from None
    if root.getroottree().docinfo.doctype:
        raise CswRequestError('NoApplicableCode', 'request',
                              'DOCTYPE declarations are not accepted in CSW requests')
    qname = etree.QName(root)
    soap = SOAP_VERSIONS.get(qname.namespace) if qname.localname == 'Envelope' else None
    if soap is None:
        return root, ''
    try:
        operation = soap_operation(root)
        if etree.QName(operation).namespace in SOAP_VERSIONS:
            raise CswRequestError('NoApplicableCode', 'Body',
                                  'the SOAP Body must hold a CSW request, not another envelope')
    except CswRequestError as err:
        err.soap = soap
        raise
    return operation, soap


def soap_operation(envelope: etree._Element) -> etree._Element:
    """The one operation element in the Body of a SOAP envelope.

    :raises CswRequestError: no Body, more than one, a Body without exactly one
        element, or a Header block the client says must be understood
    """
    ns = etree.QName(envelope).namespace
    children = [el for el in envelope if isinstance(el.tag, str)]
    bodies = [el for el in children if el.tag == f'{{{ns}}}Body']
    others = [el for el in children if el.tag not in (f'{{{ns}}}Body', f'{{{ns}}}Header')]
    if len(bodies) != 1 or others:
        raise CswRequestError('NoApplicableCode', 'Envelope',
                              'a SOAP envelope needs exactly one Body (and at most a Header)')
    for header in envelope.iter(f'{{{ns}}}Header'):
        for block in header:
            if isinstance(block.tag, str) and \
                    block.get(f'{{{ns}}}mustUnderstand', '').strip() in ('1', 'true'):
                raise CswRequestError('NoApplicableCode', 'Header',
                                      f'SOAP header {block.tag} is not understood')
    operations = [el for el in bodies[0] if isinstance(el.tag, str)]
    if len(operations) != 1 or (bodies[0].text or '').strip():
        raise CswRequestError('NoApplicableCode', 'Body',
                              'the SOAP Body must hold exactly one CSW request')
    return operations[0]
