"""The federating endpoint's CSW 2.0.2 Capabilities document.

It advertises GetCapabilities, GetRecords and GetRecordById, the output
schemas the peers are expected to answer in (DC, ISO 19139, ebRIM: requests
are forwarded, so the peers decide), and the peers themselves in the
``FederatedCatalogues`` constraint (as pycsw does).  Service metadata comes
from ``[metadata:main]`` of the configuration.
"""
from __future__ import annotations

import logging

from lxml import etree

from hubcat.config import Config
from hubcat.csw_request import CSW, GMD, NAMESPACES, OGC, RIM

LOGGER = logging.getLogger(__name__)

OWS = 'http://www.opengis.net/ows'
XLINK = 'http://www.w3.org/1999/xlink'
NSMAP = {'csw': CSW, 'ows': OWS, 'ogc': OGC, 'xlink': XLINK, 'gml': NAMESPACES['gml'],
         'xsi': NAMESPACES['xsi'], 'dc': NAMESPACES['dc'], 'dct': NAMESPACES['dct'],
         'gmd': GMD, 'rim': RIM}
OUTPUT_SCHEMAS = (CSW, GMD, RIM)
TYPE_NAMES = ('csw:Record', 'gmd:MD_Metadata', 'rim:RegistryObject')
SPATIAL_OPERATORS = ('BBOX', 'Beyond', 'Contains', 'Crosses', 'Disjoint', 'DWithin', 'Equals',
                     'Intersects', 'Overlaps', 'Touches', 'Within')
COMPARISON_OPERATORS = ('Between', 'EqualTo', 'GreaterThan', 'GreaterThanEqualTo', 'LessThan',
                        'LessThanEqualTo', 'Like', 'NotEqualTo', 'NullCheck')


def _sub(parent, tag: str, text=None, **attrs) -> etree._Element:
    prefix, local = tag.split(':')
    el = etree.SubElement(parent, f'{{{NSMAP[prefix]}}}{local}',
                          {(f'{{{XLINK}}}{k[6:]}' if k.startswith('xlink_') else k): v
                           for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def capabilities(config: Config, url: str, peers: list) -> bytes:
    """The Capabilities document of the federating endpoint served at ``url``."""
    meta = config.section('metadata:main')
    root = etree.Element(f'{{{CSW}}}Capabilities', nsmap=NSMAP, version='2.0.2')
    ident = _sub(root, 'ows:ServiceIdentification')
    _sub(ident, 'ows:Title', f'{meta.get("identification_title", "HubCat")} (federated search)')
    _sub(ident, 'ows:Abstract', 'Federated search: every query is sent to all peer catalogues '
         'at once and their answers are merged. ' + meta.get('identification_abstract', ''))
    keywords = _sub(ident, 'ows:Keywords')
    for word in meta.get('identification_keywords', '').split(','):
        if word.strip():
            _sub(keywords, 'ows:Keyword', word.strip())
    _sub(ident, 'ows:ServiceType', 'CSW', codeSpace='OGC')
    _sub(ident, 'ows:ServiceTypeVersion', '2.0.2')
    _sub(ident, 'ows:ServiceTypeVersion', '3.0.0')
    _sub(ident, 'ows:Fees', meta.get('identification_fees', 'None'))
    _sub(ident, 'ows:AccessConstraints', meta.get('identification_accessconstraints', 'None'))
    _provider(root, meta)
    ops = _sub(root, 'ows:OperationsMetadata')
    _operation(ops, 'GetCapabilities', url, {'sections': ('OperationsMetadata',
                                                          'ServiceIdentification',
                                                          'ServiceProvider',
                                                          'Filter_Capabilities')})
    _operation(ops, 'GetRecords', url, {
        'resultType': ('hits', 'results'), 'ElementSetName': ('brief', 'summary', 'full'),
        'outputSchema': OUTPUT_SCHEMAS, 'typeNames': TYPE_NAMES,
        'CONSTRAINTLANGUAGE': ('FILTER', 'CQL_TEXT'), 'outputFormat': ('application/xml',)})
    _operation(ops, 'GetRecordById', url, {
        'ElementSetName': ('brief', 'summary', 'full'), 'outputSchema': OUTPUT_SCHEMAS,
        'outputFormat': ('application/xml',)})
    for name, values in (('PostEncoding', ('XML',)),
                         ('FederatedCatalogues', [p.url for p in peers] or ['none'])):
        constraint = _sub(ops, 'ows:Constraint', name=name)
        for value in values:
            _sub(constraint, 'ows:Value', value)
    _filter_capabilities(root)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def _provider(root, meta: dict) -> None:
    provider = _sub(root, 'ows:ServiceProvider')
    _sub(provider, 'ows:ProviderName', meta.get('provider_name', 'HubCat'))
    _sub(provider, 'ows:ProviderSite', xlink_type='simple',
         xlink_href=meta.get('provider_url', ''))
    contact = _sub(provider, 'ows:ServiceContact')
    _sub(contact, 'ows:IndividualName', meta.get('contact_name', ''))
    _sub(contact, 'ows:PositionName', meta.get('contact_position', ''))
    info = _sub(contact, 'ows:ContactInfo')
    address = _sub(info, 'ows:Address')
    _sub(address, 'ows:ElectronicMailAddress', meta.get('contact_email', ''))
    _sub(info, 'ows:OnlineResource', xlink_type='simple', xlink_href=meta.get('contact_url', ''))
    _sub(contact, 'ows:Role', meta.get('contact_role', 'pointOfContact'),
         codeSpace='ISOTC211/19115')


def _operation(ops, name: str, url: str, parameters: dict) -> None:
    op = _sub(ops, 'ows:Operation', name=name)
    http = _sub(_sub(op, 'ows:DCP'), 'ows:HTTP')
    _sub(http, 'ows:Get', xlink_type='simple', xlink_href=url)
    _sub(http, 'ows:Post', xlink_type='simple', xlink_href=url)
    for pname, values in parameters.items():
        param = _sub(op, 'ows:Parameter', name=pname)
        for value in values:
            _sub(param, 'ows:Value', value)


def _filter_capabilities(root) -> None:
    fc = _sub(root, 'ogc:Filter_Capabilities')
    spatial = _sub(fc, 'ogc:Spatial_Capabilities')
    operands = _sub(spatial, 'ogc:GeometryOperands')
    for operand in ('gml:Point', 'gml:LineString', 'gml:Polygon', 'gml:Envelope'):
        _sub(operands, 'ogc:GeometryOperand', operand)
    operators = _sub(spatial, 'ogc:SpatialOperators')
    for name in SPATIAL_OPERATORS:
        _sub(operators, 'ogc:SpatialOperator', name=name)
    scalar = _sub(fc, 'ogc:Scalar_Capabilities')
    _sub(scalar, 'ogc:LogicalOperators')
    comparison = _sub(scalar, 'ogc:ComparisonOperators')
    for name in COMPARISON_OPERATORS:
        _sub(comparison, 'ogc:ComparisonOperator', name)
    ids = _sub(fc, 'ogc:Id_Capabilities')
    _sub(ids, 'ogc:EID')
    _sub(ids, 'ogc:FID')
