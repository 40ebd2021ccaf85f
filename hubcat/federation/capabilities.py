"""The federating endpoint's Capabilities document, CSW 2.0.2 or 3.0.0.

It advertises GetCapabilities, GetRecords and GetRecordById, the output
schemas the peers are expected to answer in (DC, ISO 19139, ebRIM: requests
are forwarded, so the peers decide), and the peers themselves in the
``FederatedCatalogues`` constraint (as pycsw does).  Service metadata comes
from ``[metadata:main]`` of the configuration.  CSW 2.0.2 uses OWS 1.0 and
OGC Filter 1.1; CSW 3.0.0 uses OWS 2.0 and FES 2.0.
"""
from __future__ import annotations

import logging

from lxml import etree

from hubcat.config import Config
from hubcat.federation.csw_request import CSW, CSW30, FES, GMD, NAMESPACES, OGC, RIM

LOGGER = logging.getLogger(__name__)

OWS10 = 'http://www.opengis.net/ows'
OWS20 = 'http://www.opengis.net/ows/2.0'
OWS11 = 'http://www.opengis.net/ows/1.1'  # FES 2.0 conformance values
XLINK = 'http://www.w3.org/1999/xlink'
_COMMON = {'xlink': XLINK, 'gml': NAMESPACES['gml'], 'xsi': NAMESPACES['xsi'],
           'dc': NAMESPACES['dc'], 'dct': NAMESPACES['dct'], 'gmd': GMD, 'rim': RIM}
#: per CSW version: namespaces of the document (prefixes csw, ows and filter)
_VERSIONS = {
    '2.0.2': dict(_COMMON, csw=CSW, ows=OWS10, filter=OGC),
    '3.0.0': dict(_COMMON, csw=CSW30, ows=OWS20, filter=FES, ows11=OWS11),
}
TYPE_NAMES = ('csw:Record', 'gmd:MD_Metadata', 'rim:RegistryObject')
SPATIAL_OPERATORS = ('BBOX', 'Beyond', 'Contains', 'Crosses', 'Disjoint', 'DWithin', 'Equals',
                     'Intersects', 'Overlaps', 'Touches', 'Within')
COMPARISON_OPERATORS = ('Between', 'EqualTo', 'GreaterThan', 'GreaterThanEqualTo', 'LessThan',
                        'LessThanEqualTo', 'Like', 'NotEqualTo', 'NullCheck')


class _Writer:
    """Adds elements by ``prefix:name`` in one version's namespaces."""

    def __init__(self, version: str):
        self.version = version
        self.ns = _VERSIONS[version]
        self.v3 = version == '3.0.0'

    def sub(self, parent, tag: str, text=None, **attrs) -> etree._Element:
        """A child element ``tag`` with text and attributes (``xlink_href`` -> ``xlink:href``)."""
        prefix, local = tag.split(':')
        el = etree.SubElement(parent, f'{{{self.ns[prefix]}}}{local}',
                              {(f'{{{XLINK}}}{k[6:]}' if k.startswith('xlink_') else k): v
                               for k, v in attrs.items()})
        if text is not None:
            el.text = str(text)
        return el

    def values(self, parent, values) -> None:
        """``ows:Value`` children (inside ``ows:AllowedValues`` in OWS 2.0)."""
        holder = self.sub(parent, 'ows:AllowedValues') if self.v3 else parent
        for value in values:
            self.sub(holder, 'ows:Value', value)


def capabilities(config: Config, url: str, peers: list, version: str = '2.0.2') -> bytes:
    """The Capabilities document of the federating endpoint served at ``url``."""
    w = _Writer(version if version in _VERSIONS else '2.0.2')
    csw_ns = w.ns['csw']
    meta = config.section('metadata:main')
    nsmap = {('csw30' if k == 'csw' and w.v3 else 'fes' if k == 'filter' and w.v3
              else 'ogc' if k == 'filter' else k): v for k, v in w.ns.items()}
    root = etree.Element(f'{{{csw_ns}}}Capabilities', nsmap=nsmap, version=w.version)
    ident = w.sub(root, 'ows:ServiceIdentification')
    w.sub(ident, 'ows:Title', f'{meta.get("identification_title", "HubCat")} (federated search)')
    w.sub(ident, 'ows:Abstract', 'Federated search: every query is sent to all peer catalogues '
          'at once and their answers are merged. ' + meta.get('identification_abstract', ''))
    keywords = w.sub(ident, 'ows:Keywords')
    for word in meta.get('identification_keywords', '').split(','):
        if word.strip():
            w.sub(keywords, 'ows:Keyword', word.strip())
    w.sub(ident, 'ows:ServiceType', 'CSW', codeSpace='OGC')
    w.sub(ident, 'ows:ServiceTypeVersion', '2.0.2')
    w.sub(ident, 'ows:ServiceTypeVersion', '3.0.0')
    w.sub(ident, 'ows:Fees', meta.get('identification_fees', 'None'))
    w.sub(ident, 'ows:AccessConstraints', meta.get('identification_accessconstraints', 'None'))
    _provider(w, root, meta)
    ops = w.sub(root, 'ows:OperationsMetadata')
    schemas = (CSW30 if w.v3 else CSW, GMD, RIM)
    _operation(w, ops, 'GetCapabilities', url, {'sections': (
        'OperationsMetadata', 'ServiceIdentification', 'ServiceProvider', 'Filter_Capabilities')})
    _operation(w, ops, 'GetRecords', url, {
        'resultType': ('hits', 'results'), 'ElementSetName': ('brief', 'summary', 'full'),
        'outputSchema': schemas, 'typeNames': TYPE_NAMES,
        'CONSTRAINTLANGUAGE': ('FILTER', 'CQL_TEXT'), 'outputFormat': ('application/xml',)})
    _operation(w, ops, 'GetRecordById', url, {
        'ElementSetName': ('brief', 'summary', 'full'), 'outputSchema': schemas,
        'outputFormat': ('application/xml',)})
    for name, values in (('PostEncoding', ('XML',)),
                         ('FederatedCatalogues', [p.url for p in peers] or ['none'])):
        w.values(w.sub(ops, 'ows:Constraint', name=name), values)
    (_fes20 if w.v3 else _filter11)(w, root)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def _provider(w: _Writer, root, meta: dict) -> None:
    provider = w.sub(root, 'ows:ServiceProvider')
    w.sub(provider, 'ows:ProviderName', meta.get('provider_name', 'HubCat'))
    w.sub(provider, 'ows:ProviderSite', xlink_type='simple',
          xlink_href=meta.get('provider_url', ''))
    contact = w.sub(provider, 'ows:ServiceContact')
    w.sub(contact, 'ows:IndividualName', meta.get('contact_name', ''))
    w.sub(contact, 'ows:PositionName', meta.get('contact_position', ''))
    info = w.sub(contact, 'ows:ContactInfo')
    address = w.sub(info, 'ows:Address')
    w.sub(address, 'ows:ElectronicMailAddress', meta.get('contact_email', ''))
    w.sub(info, 'ows:OnlineResource', xlink_type='simple', xlink_href=meta.get('contact_url', ''))
    w.sub(contact, 'ows:Role', meta.get('contact_role', 'pointOfContact'),
          codeSpace='ISOTC211/19115')


def _operation(w: _Writer, ops, name: str, url: str, parameters: dict) -> None:
    op = w.sub(ops, 'ows:Operation', name=name)
    http = w.sub(w.sub(op, 'ows:DCP'), 'ows:HTTP')
    w.sub(http, 'ows:Get', xlink_type='simple', xlink_href=url)
    w.sub(http, 'ows:Post', xlink_type='simple', xlink_href=url)
    for pname, values in parameters.items():
        w.values(w.sub(op, 'ows:Parameter', name=pname), values)


def _filter11(w: _Writer, root) -> None:
    fc = w.sub(root, 'filter:Filter_Capabilities')
    spatial = w.sub(fc, 'filter:Spatial_Capabilities')
    operands = w.sub(spatial, 'filter:GeometryOperands')
    for operand in ('gml:Point', 'gml:LineString', 'gml:Polygon', 'gml:Envelope'):
        w.sub(operands, 'filter:GeometryOperand', operand)
    operators = w.sub(spatial, 'filter:SpatialOperators')
    for name in SPATIAL_OPERATORS:
        w.sub(operators, 'filter:SpatialOperator', name=name)
    scalar = w.sub(fc, 'filter:Scalar_Capabilities')
    w.sub(scalar, 'filter:LogicalOperators')
    comparison = w.sub(scalar, 'filter:ComparisonOperators')
    for name in COMPARISON_OPERATORS:
        w.sub(comparison, 'filter:ComparisonOperator', name)
    ids = w.sub(fc, 'filter:Id_Capabilities')
    w.sub(ids, 'filter:EID')
    w.sub(ids, 'filter:FID')


def _fes20(w: _Writer, root) -> None:
    fc = w.sub(root, 'filter:Filter_Capabilities')
    conformance = w.sub(fc, 'filter:Conformance')
    for name in ('ImplementsQuery', 'ImplementsAdHocQuery', 'ImplementsResourceId',
                 'ImplementsMinStandardFilter', 'ImplementsStandardFilter',
                 'ImplementsMinSpatialFilter', 'ImplementsSorting'):
        constraint = w.sub(conformance, 'filter:Constraint', name=name)
        w.sub(constraint, 'ows11:NoValues')
        w.sub(constraint, 'ows11:DefaultValue', 'TRUE')
    ids = w.sub(fc, 'filter:Id_Capabilities')
    w.sub(ids, 'filter:ResourceIdentifier', name='csw30:Record')
    scalar = w.sub(fc, 'filter:Scalar_Capabilities')
    w.sub(scalar, 'filter:LogicalOperators')
    comparison = w.sub(scalar, 'filter:ComparisonOperators')
    for name in COMPARISON_OPERATORS:
        w.sub(comparison, 'filter:ComparisonOperator', name=f'PropertyIs{name}')
    spatial = w.sub(fc, 'filter:Spatial_Capabilities')
    operands = w.sub(spatial, 'filter:GeometryOperands')
    for operand in ('gml:Point', 'gml:LineString', 'gml:Polygon', 'gml:Envelope'):
        w.sub(operands, 'filter:GeometryOperand', name=operand)
    operators = w.sub(spatial, 'filter:SpatialOperators')
    for name in SPATIAL_OPERATORS:
        w.sub(operators, 'filter:SpatialOperator', name=name)
