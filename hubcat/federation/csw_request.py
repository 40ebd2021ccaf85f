"""Read a CSW request (KVP GET or XML POST, 2.0.2 or 3.0.0) into what the federation needs.

The federation forwards requests rather than re-encoding queries: an XML POST
is copied with its ``Query`` untouched; a CSW 2.0.2 KVP GetRecords is turned
into the equivalent XML (stock pycsw answers a KVP request that carries
``DistributedSearch`` with HTTP 500); other KVP requests are forwarded as KVP.
Only the paging, result type, hop count and request id are rewritten
(:func:`peer_request`).
"""
from __future__ import annotations

import copy
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Mapping, Optional

from lxml import etree

from harvesters.http import safe_xml_parser

LOGGER = logging.getLogger(__name__)

CSW = 'http://www.opengis.net/cat/csw/2.0.2'
CSW30 = 'http://www.opengis.net/cat/csw/3.0'
OGC = 'http://www.opengis.net/ogc'
FES = 'http://www.opengis.net/fes/2.0'
GMD = 'http://www.isotc211.org/2005/gmd'
RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'

#: prefixes a KVP request may use without declaring them (as pycsw accepts)
NAMESPACES = {
    'csw': CSW, 'csw30': CSW30, 'ogc': OGC, 'fes': FES, 'gmd': GMD, 'rim': RIM,
    'dc': 'http://purl.org/dc/elements/1.1/', 'dct': 'http://purl.org/dc/terms/',
    'ows': 'http://www.opengis.net/ows', 'gml': 'http://www.opengis.net/gml',
    'apiso': 'http://www.opengis.net/cat/csw/apiso/1.0',
    'xsi': 'http://www.w3.org/2001/XMLSchema-instance',
}
VERSIONS = {'2.0.2': CSW, '3.0.0': CSW30}
OPERATIONS = ('GetCapabilities', 'GetRecords', 'GetRecordById')
DEFAULT_HOP_COUNT = 2
#: DistributedSearch clientId HubCat sends (CSW 3.0.0 requires one)
CLIENT_ID = 'urn:hubcat:federation'


class CswError(Exception):
    """A request HubCat cannot answer: becomes an OWS ExceptionReport.

    :param code: OWS exceptionCode (``InvalidParameterValue``, ``MissingParameterValue``,
        ``OperationNotSupported``, ``NoApplicableCode``)
    :param locator: the parameter at fault
    :param status: the HTTP status to answer with
    """

    def __init__(self, code: str, locator: str, text: str, status: int = 400):
        super().__init__(text)
        self.code, self.locator, self.text, self.status = code, locator, text, status


@dataclass
class CswRequest:
    """One parsed CSW request.

    ``document`` is the XML form forwarded to peers (None for KVP pass-through,
    then ``params`` is used).  ``hop_count`` is the DistributedSearch hopCount
    the request arrived with (None: no DistributedSearch).
    """
    operation: str
    version: str = '2.0.2'
    params: dict = field(default_factory=dict)
    document: Optional[etree._Element] = None
    output_schema: str = CSW
    element_set: str = 'summary'
    result_type: str = 'hits'
    start_position: int = 1
    max_records: int = 10
    sort_by: list = field(default_factory=list)
    hop_count: Optional[int] = None
    request_id: Optional[str] = None
    ids: list = field(default_factory=list)

    @property
    def csw_ns(self) -> str:
        """The CSW namespace of the request's version."""
        return VERSIONS[self.version]


def parse_request(method: str, args: Mapping[str, str], body: bytes) -> CswRequest:
    """Parse a CSW request from its query arguments (GET) or XML body (POST).

    :raises CswError: on a malformed or unsupported request
    """
    if method == 'POST' and body.strip():
        return parse_xml(body)
    return parse_kvp(args)


def parse_kvp(args: Mapping[str, str]) -> CswRequest:
    """Parse a KVP request (keys case-insensitive)."""
    params = {k.lower(): v for k, v in args.items()}
    operation = _operation(params.get('request'))
    version = params.get('version') or _accepted_version(params.get('acceptversions'))
    if operation == 'GetCapabilities':
        return CswRequest(operation, version=version if version in VERSIONS else '2.0.2',
                          params=params)
    version = _version(version)
    req = CswRequest(operation, version=version, params=params)
    req.output_schema = params.get('outputschema') or _default_schema(version)
    req.element_set = params.get('elementsetname', 'full' if operation == 'GetRecordById'
                                 else 'summary')
    req.request_id = params.get('requestid')
    if operation == 'GetRecordById':
        req.ids = [i for i in re.split(r'\s*,\s*', params.get('id', '')) if i]
        if not req.ids:
            raise CswError('MissingParameterValue', 'id', 'Missing id parameter')
        return req
    _set_paging(req, params.get('resulttype'), params.get('startposition'),
                params.get('maxrecords'))
    req.sort_by = parse_kvp_sortby(params.get('sortby', ''))
    if params.get('distributedsearch', '').lower() == 'true':
        req.hop_count = _positive_int(params.get('hopcount', str(DEFAULT_HOP_COUNT)),
                                      'hopCount', 0)
    if version == '2.0.2':
        req.document = kvp_to_xml(params)
    return req


def parse_xml(body: bytes) -> CswRequest:
    """Parse an XML POST request (GetCapabilities, GetRecords, GetRecordById)."""
    try:
        root = etree.fromstring(body, safe_xml_parser())
    except etree.XMLSyntaxError as err:
        raise CswError('NoApplicableCode', 'request', f'the request is not XML: {err}') from None
    for _ in root.iter(etree.Entity):  # never relay entity references to peers
        raise CswError('NoApplicableCode', 'request', 'XML entities are not accepted')
    ns, local = _split(root.tag)
    operation = _operation(local)
    if operation == 'GetCapabilities':
        version = '3.0.0' if ns == CSW30 else '2.0.2'
        return CswRequest(operation, version=version, document=root)
    if ns not in (CSW, CSW30):
        raise CswError('InvalidParameterValue', 'request', f'unknown namespace {ns}')
    version = '3.0.0' if ns == CSW30 else '2.0.2'
    req = CswRequest(operation, version=version, document=root)
    req.output_schema = root.get('outputSchema') or _default_schema(version)
    req.request_id = root.get('requestId')
    if operation == 'GetRecordById':
        req.ids = [el.text.strip() for el in root.findall(f'{{{ns}}}Id') if el.text]
        esn = root.find(f'{{{ns}}}ElementSetName')
        req.element_set = esn.text.strip() if esn is not None and esn.text else 'full'
        if not req.ids:
            raise CswError('MissingParameterValue', 'id', 'Missing Id element')
        return req
    _set_paging(req, root.get('resultType'), root.get('startPosition'), root.get('maxRecords'))
    query = root.find(f'{{{ns}}}Query')
    if query is None:
        raise CswError('MissingParameterValue', 'Query', 'GetRecords needs a Query element')
    esn = query.find(f'{{{ns}}}ElementSetName')
    req.element_set = esn.text.strip() if esn is not None and esn.text else 'summary'
    req.sort_by = parse_xml_sortby(query)
    dist = root.find(f'{{{ns}}}DistributedSearch')
    if dist is not None:
        req.hop_count = _positive_int(dist.get('hopCount', str(DEFAULT_HOP_COUNT)),
                                      'hopCount', 0)
        req.request_id = req.request_id or dist.get('distributedSearchId')
    return req


def _set_paging(req: CswRequest, result_type: Optional[str], start: Optional[str],
                max_records: Optional[str]) -> None:
    """resultType (CSW 2.0.2 default hits), startPosition (>= 1, default 1), maxRecords
    (>= 0, default 10) from the request's text values."""
    req.result_type = result_type or ('hits' if req.version == '2.0.2' else 'results')
    req.start_position = _positive_int(start or '1', 'startPosition', 1)
    req.max_records = _positive_int(max_records or '10', 'maxRecords', 0)


def parse_kvp_sortby(text: str) -> list[tuple[str, bool]]:
    """``dc:title:A,dct:modified:D`` -> ``[('dc:title', False), ('dct:modified', True)]``."""
    result = []
    for item in filter(None, (t.strip() for t in text.split(','))):
        name, _, order = item.rpartition(':')
        if order.upper() in ('A', 'D', 'ASC', 'DESC') and name:
            result.append((name, order.upper().startswith('D')))
        else:
            result.append((item, False))
    return result


def parse_xml_sortby(query: etree._Element) -> list[tuple[str, bool]]:
    """The (property, descending) pairs of a Query's ogc:SortBy or fes:SortBy."""
    result = []
    for prop in query.iter(f'{{{OGC}}}SortProperty', f'{{{FES}}}SortProperty'):
        name = prop.find(f'{{{OGC}}}PropertyName')
        if name is None:
            name = prop.find(f'{{{FES}}}ValueReference')
        order = prop.find(f'{{{OGC}}}SortOrder')
        if order is None:
            order = prop.find(f'{{{FES}}}SortOrder')
        if name is not None and name.text:
            desc = order is not None and (order.text or '').strip().upper().startswith('D')
            result.append((name.text.strip(), desc))
    return result


def kvp_to_xml(params: Mapping[str, str]) -> etree._Element:
    """The CSW 2.0.2 XML GetRecords equivalent to a KVP GetRecords."""
    nsmap = dict(NAMESPACES)
    for prefix, uri in re.findall(r'xmlns\((\w+)=([^)]+)\)', params.get('namespace', '')):
        nsmap[prefix] = uri
    root = etree.Element(f'{{{CSW}}}GetRecords', nsmap=nsmap, service='CSW', version='2.0.2')
    for key, attr in (('resulttype', 'resultType'), ('outputschema', 'outputSchema'),
                      ('outputformat', 'outputFormat'), ('startposition', 'startPosition'),
                      ('maxrecords', 'maxRecords'), ('requestid', 'requestId')):
        if params.get(key):
            root.set(attr, params[key])
    typenames = params.get('typenames') or 'csw:Record'
    query = etree.SubElement(root, f'{{{CSW}}}Query', typeNames=typenames.replace(',', ' '))
    if params.get('elementname'):
        for name in params['elementname'].split(','):
            etree.SubElement(query, f'{{{CSW}}}ElementName').text = name.strip()
    else:
        etree.SubElement(query, f'{{{CSW}}}ElementSetName').text = \
            params.get('elementsetname', 'summary')
    if params.get('constraint'):
        query.append(_kvp_constraint(params))
    if params.get('sortby'):
        sortby = etree.SubElement(query, f'{{{OGC}}}SortBy')
        for name, desc in parse_kvp_sortby(params['sortby']):
            prop = etree.SubElement(sortby, f'{{{OGC}}}SortProperty')
            etree.SubElement(prop, f'{{{OGC}}}PropertyName').text = name
            etree.SubElement(prop, f'{{{OGC}}}SortOrder').text = 'DESC' if desc else 'ASC'
    return root


def _kvp_constraint(params: Mapping[str, str]) -> etree._Element:
    constraint = etree.Element(f'{{{CSW}}}Constraint',
                               version=params.get('constraint_language_version', '1.1.0'))
    language = params.get('constraintlanguage', 'CQL_TEXT').upper()
    if language == 'FILTER':
        try:
            constraint.append(etree.fromstring(params['constraint'].encode('utf-8'),
                                               safe_xml_parser()))
        except etree.XMLSyntaxError as err:
            raise CswError('InvalidParameterValue', 'constraint',
                           f'the FILTER constraint is not XML: {err}') from None
    elif language == 'CQL_TEXT':
        etree.SubElement(constraint, f'{{{CSW}}}CqlText').text = params['constraint']
    else:
        raise CswError('InvalidParameterValue', 'constraintlanguage',
                       f'unknown constraint language {language}')
    return constraint


def peer_request(req: CswRequest, start_position: int, max_records: int,
                 hop_count: Optional[int], request_id: Optional[str]) -> tuple[str, object]:
    """What to send a peer: ``('xml', bytes)`` or ``('kvp', dict)``.

    :param start_position: startPosition to ask for
    :param max_records: maxRecords to ask for (0 for hits only)
    :param hop_count: DistributedSearch hopCount to send (None or < 1: no DistributedSearch)
    :param request_id: requestId to send
    """
    if req.document is None:  # KVP pass-through (GetRecordById, CSW 3.0.0 KVP)
        params = {k: v for k, v in req.params.items()
                  if k not in ('distributedsearch', 'hopcount', 'requestid')}
        if req.operation == 'GetRecords':
            params.update(startposition=str(start_position), maxrecords=str(max_records),
                          resulttype='hits' if max_records == 0 else 'results')
        return 'kvp', params
    doc = copy.deepcopy(req.document)
    if req.operation == 'GetRecords':
        ns = req.csw_ns
        doc.set('startPosition', str(start_position))
        doc.set('maxRecords', str(max_records))
        if req.version == '2.0.2':  # CSW 3.0.0 has no resultType: maxRecords=0 asks for hits
            doc.set('resultType', 'hits' if max_records == 0 else 'results')
        if request_id:
            doc.set('requestId', request_id)
        for old in doc.findall(f'{{{ns}}}DistributedSearch'):
            doc.remove(old)
        if hop_count is not None and hop_count >= 1:
            dist = etree.Element(f'{{{ns}}}DistributedSearch', hopCount=str(hop_count))
            if req.version == '3.0.0':  # required there; the id is the request id
                dist.set('clientId', CLIENT_ID)
                dist.set('distributedSearchId', request_id or new_request_id())
            doc.insert(0, dist)
    return 'xml', etree.tostring(doc, xml_declaration=True, encoding='UTF-8')


def new_request_id() -> str:
    """A fresh request id (``urn:uuid:...``)."""
    return f'urn:uuid:{uuid.uuid4()}'


def _operation(name: Optional[str]) -> str:
    for op in OPERATIONS:
        if (name or '').lower() == op.lower():
            return op
    if not name:
        raise CswError('MissingParameterValue', 'request', 'Missing request parameter')
    raise CswError('OperationNotSupported', 'request',
                   f'{name} is not supported by the federated catalogue '
                   f'(it answers {", ".join(OPERATIONS)})')


def _version(version: Optional[str]) -> str:
    if not version:
        raise CswError('MissingParameterValue', 'version', 'Missing version parameter')
    if version not in VERSIONS:
        raise CswError('InvalidParameterValue', 'version',
                       f'version {version} is not supported (2.0.2 or 3.0.0)')
    return version


def _accepted_version(text: Optional[str]) -> Optional[str]:
    for version in (text or '').split(','):
        if version.strip() in VERSIONS:
            return version.strip()
    return None


def _default_schema(version: str) -> str:
    return VERSIONS[version]


def _positive_int(text: str, name: str, minimum: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise CswError('InvalidParameterValue', name, f'{name} must be an integer') from None
    if value < minimum:
        raise CswError('InvalidParameterValue', name, f'{name} must be at least {minimum}')
    return value


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith('{'):
        ns, local = tag[1:].split('}', 1)
        return ns, local
    return '', tag
