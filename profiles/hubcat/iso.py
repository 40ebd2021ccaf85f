"""ISO 19139 (gmd:MD_Metadata) rendering of HubCat records.

Services are ``srv:SV_ServiceIdentification`` with ``srv:operatesOn``; Things
and procedures have hierarchyLevel ``collectionHardware``; Datastreams and
offerings ``dataset``.  Status is a keyword of the thesaurus "HubCat status"
(``online`` or ``offline:<reason>``); observed properties are keywords of the
thesaurus "HubCat observed properties".
"""
from __future__ import annotations

import hashlib

from lxml import etree

from hubcat.dublincore import MEASUREMENT_SCHEME, vocabulary_of
from hubcat.records import DATASET, OFFERING, DATASTREAM, SERVICE
from profiles.hubcat.rows import RowView

NSMAP = {
    'gmd': 'http://www.isotc211.org/2005/gmd',
    'gco': 'http://www.isotc211.org/2005/gco',
    'srv': 'http://www.isotc211.org/2005/srv',
    'gml': 'http://www.opengis.net/gml',
    'xlink': 'http://www.w3.org/1999/xlink',
}
CODELIST = 'http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml'
STATUS_THESAURUS = 'HubCat status'
PROPERTY_THESAURUS = 'HubCat observed properties'
MEASUREMENT_THESAURUS = 'HubCat observed properties with units'
#: thesaurus titles of the vocabularies canonical properties come from (URI prefix, title)
VOCABULARY_TITLES = (
    ('http://vocab.nerc.ac.uk/standard_name/', 'CF Standard Names'),
    ('http://vocab.nerc.ac.uk/collection/P07/', 'NERC P07 (CF Standard Names)'),
    ('http://vocab.nerc.ac.uk/collection/P01/', 'NERC P01 (BODC Parameter Usage Vocabulary)'),
    ('http://qudt.org/vocab/quantitykind/', 'QUDT Quantity Kinds'),
    ('http://loinc.org/', 'LOINC'),
    ('http://codes.wmo.int/', 'WMO codes registry'),
)
SCOPE = {SERVICE: 'service', DATASTREAM: 'dataset', OFFERING: 'dataset', DATASET: 'dataset',
         'external': 'dataset'}


def _q(tag: str) -> str:
    prefix, local = tag.split(':')
    return f'{{{NSMAP[prefix]}}}{local}'


def _sub(parent, path: str, text=None, **attrs):
    """Create the chain of elements ``a/b/c`` under parent; set text on the last."""
    node = parent
    for tag in path.split('/'):
        node = etree.SubElement(node, _q(tag))
    for key, value in attrs.items():
        node.set(_q(key) if ':' in key else key, value)
    if text is not None:
        node.text = str(text)
    return node


def _string(parent, path: str, text) -> None:
    _sub(parent, path + '/gco:CharacterString', text or '')


def _code(parent, path: str, codelist: str, value: str) -> None:
    _sub(parent, path, value, codeList=f'{CODELIST}#{codelist}', codeListValue=value)


def _date(value: str) -> str:
    """An xs:dateTime (UTC, no zone letter) for gco:DateTime, from any ISO 8601 date or time."""
    from hubcat.times import iso, parse_time
    parsed = parse_time(value or '')
    return (iso(parsed) if parsed else '1970-01-01T00:00:00Z').replace('Z', '')


def _keywords(parent, words, thesaurus: str = '', thesaurus_uri: str = '') -> None:
    words = [w for w in words if w]
    if not words:
        return
    mdk = _sub(parent, 'gmd:descriptiveKeywords/gmd:MD_Keywords')
    for word in words:
        _string(mdk, 'gmd:keyword', word)
    _code(mdk, 'gmd:type/gmd:MD_KeywordTypeCode', 'MD_KeywordTypeCode', 'theme')
    if thesaurus:
        cit = _sub(mdk, 'gmd:thesaurusName/gmd:CI_Citation')
        _string(cit, 'gmd:title', thesaurus)
        cdate = _sub(cit, 'gmd:date/gmd:CI_Date')
        _sub(cdate, 'gmd:date/gco:Date', '2024-01-01')
        _code(cdate, 'gmd:dateType/gmd:CI_DateTypeCode', 'CI_DateTypeCode', 'publication')
        if thesaurus_uri:
            _string(cit, 'gmd:identifier/gmd:MD_Identifier/gmd:code', thesaurus_uri)


def _vocabulary_keywords(parent, rec) -> None:
    """Canonical observed properties as keywords of their vocabulary's thesaurus (CF
    standard names, QUDT, ...), and 'Air temperature, °F' in HubCat's own."""
    by_vocabulary: dict[str, list[str]] = {}
    for item in rec.mediation:
        if item.label and item.uri:
            by_vocabulary.setdefault(vocabulary_of(item.uri), []).append(item.label)
    for vocabulary, labels in by_vocabulary.items():
        title = next((name for prefix, name in VOCABULARY_TITLES if vocabulary.startswith(prefix)),
                     vocabulary)
        _keywords(parent, list(dict.fromkeys(labels)), title, vocabulary)
    if any(m.label and m.unit_label for m in rec.mediation):
        _keywords(parent, rec.property_displays(), MEASUREMENT_THESAURUS, MEASUREMENT_SCHEME)


def _contact(parent, path: str, organisation: str) -> None:
    party = _sub(parent, path + '/gmd:CI_ResponsibleParty')
    _string(party, 'gmd:organisationName', organisation or 'unknown')
    _code(party, 'gmd:role/gmd:CI_RoleCode', 'CI_RoleCode', 'pointOfContact')


def _extent(parent, path: str, rec) -> None:
    if rec.bbox is None and not (rec.time_begin or rec.time_end):
        return
    ext = _sub(parent, path + '/gmd:EX_Extent')
    if rec.bbox is not None:
        box = _sub(ext, 'gmd:geographicElement/gmd:EX_GeographicBoundingBox')
        minx, miny, maxx, maxy = rec.bbox
        for tag, value in (('westBoundLongitude', minx), ('eastBoundLongitude', maxx),
                           ('southBoundLatitude', miny), ('northBoundLatitude', maxy)):
            _sub(box, f'gmd:{tag}/gco:Decimal', value)
    if rec.time_begin or rec.time_end:
        period = _sub(ext, 'gmd:temporalElement/gmd:EX_TemporalExtent/gmd:extent/gml:TimePeriod')
        # xs:ID: unique per document, so derived from the whole identifier
        period.set(_q('gml:id'), 'T' + hashlib.sha1(rec.identifier.encode()).hexdigest()[:16])
        if rec.time_begin:
            _sub(period, 'gml:beginPosition', rec.time_begin)
        else:
            _sub(period, 'gml:beginPosition', indeterminatePosition='unknown')
        if rec.time_end:
            _sub(period, 'gml:endPosition', rec.time_end)
        else:
            _sub(period, 'gml:endPosition', indeterminatePosition='now')


def render(view: RowView, esn: str = 'full') -> etree._Element:
    """The gmd:MD_Metadata element of one row."""
    rec = view.record
    node = etree.Element(_q('gmd:MD_Metadata'), nsmap=NSMAP)
    _string(node, 'gmd:fileIdentifier', view.identifier)
    if rec is None:
        return _association(node, view)
    _string(node, 'gmd:language', 'eng')
    if rec.parent_id:
        _string(node, 'gmd:parentIdentifier', rec.parent_id)
    _code(node, 'gmd:hierarchyLevel/gmd:MD_ScopeCode', 'MD_ScopeCode',
          SCOPE.get(rec.kind, 'collectionHardware'))
    _contact(node, 'gmd:contact', rec.organization or 'HubCat')
    _sub(node, 'gmd:dateStamp/gco:DateTime', _date(view.modified))
    if esn != 'brief':
        _string(node, 'gmd:metadataStandardName', 'ISO 19115:2003/19139')
        _string(node, 'gmd:metadataStandardVersion', '1.0')
    _identification(node, rec, view, brief=esn == 'brief')
    if rec.links and esn != 'brief':
        dto = _sub(node, 'gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/'
                         'gmd:MD_DigitalTransferOptions')
        for link in rec.links:
            res = _sub(dto, 'gmd:onLine/gmd:CI_OnlineResource')
            _sub(res, 'gmd:linkage/gmd:URL', link.url)
            _string(res, 'gmd:protocol', link.protocol)
            if link.name:
                _string(res, 'gmd:name', link.name)
            if link.description:
                _string(res, 'gmd:description', link.description)
            if link.is_data:
                _code(res, 'gmd:function/gmd:CI_OnLineFunctionCode', 'CI_OnLineFunctionCode',
                      'download')
    return node


def _association(node, view: RowView) -> etree._Element:
    """A schema-valid MD_Metadata for an association row: its source and target are
    ``gmd:aggregationInfo`` cross-references, its type a keyword."""
    kind = view.assoc_type.rsplit(':', 1)[-1]
    _string(node, 'gmd:language', 'eng')
    _code(node, 'gmd:hierarchyLevel/gmd:MD_ScopeCode', 'MD_ScopeCode', 'nonGeographicDataset')
    _contact(node, 'gmd:contact', 'HubCat')
    _sub(node, 'gmd:dateStamp/gco:DateTime', _date(view.modified))
    ident = _sub(node, 'gmd:identificationInfo/gmd:MD_DataIdentification')
    cit = _sub(ident, 'gmd:citation/gmd:CI_Citation')
    _string(cit, 'gmd:title', f'{view.assoc_source} {kind} {view.assoc_target}')
    cdate = _sub(cit, 'gmd:date/gmd:CI_Date')
    _sub(cdate, 'gmd:date/gco:DateTime', _date(view.modified))
    _code(cdate, 'gmd:dateType/gmd:CI_DateTypeCode', 'CI_DateTypeCode', 'revision')
    _string(ident, 'gmd:abstract',
            f'ebRIM association {view.assoc_type}: {view.assoc_source} -> {view.assoc_target}')
    _keywords(ident, [view.assoc_type], 'ebRIM association types')
    for target in (view.assoc_source, view.assoc_target):
        agg = _sub(ident, 'gmd:aggregationInfo/gmd:MD_AggregateInformation')
        _string(agg, 'gmd:aggregateDataSetIdentifier/gmd:MD_Identifier/gmd:code', target)
        _code(agg, 'gmd:associationType/gmd:DS_AssociationTypeCode', 'DS_AssociationTypeCode',
              'crossReference')
    _string(ident, 'gmd:language', 'eng')
    return node


def _identification(node, rec, view: RowView, brief: bool):
    is_service = rec.kind == SERVICE
    tag = 'srv:SV_ServiceIdentification' if is_service else 'gmd:MD_DataIdentification'
    ident = _sub(node, 'gmd:identificationInfo/' + tag)
    cit = _sub(ident, 'gmd:citation/gmd:CI_Citation')
    _string(cit, 'gmd:title', rec.title)
    cdate = _sub(cit, 'gmd:date/gmd:CI_Date')
    _sub(cdate, 'gmd:date/gco:DateTime', _date(view.modified))
    _code(cdate, 'gmd:dateType/gmd:CI_DateTypeCode', 'CI_DateTypeCode', 'revision')
    _string(cit, 'gmd:identifier/gmd:MD_Identifier/gmd:code', rec.identifier)
    _string(ident, 'gmd:abstract', rec.abstract or rec.title)
    if not brief:
        _code(ident, 'gmd:status/gmd:MD_ProgressCode', 'MD_ProgressCode',
              'onGoing' if view.status == 'online' else 'obsolete')
        _contact(ident, 'gmd:pointOfContact', rec.organization or rec.service_url or 'unknown')
        _keywords(ident, rec.keywords)
        _keywords(ident, rec.property_labels(), PROPERTY_THESAURUS)
        _vocabulary_keywords(ident, rec)
        _keywords(ident, [view.status_text], STATUS_THESAURUS)
    if is_service:
        _sub(ident, 'srv:serviceType/gco:LocalName',
             {'STA': 'OGC:SensorThings', 'SOS': 'OGC:SOS'}.get(rec.service_type, rec.service_type))
        if rec.slots.get('serviceVersion'):
            _string(ident, 'srv:serviceTypeVersion', rec.slots['serviceVersion'][0])
        _extent(ident, 'srv:extent', rec)
        _code(ident, 'srv:couplingType/srv:SV_CouplingType', 'SV_CouplingType', 'tight')
        op = _sub(ident, 'srv:containsOperations/srv:SV_OperationMetadata')
        _string(op, 'srv:operationName', 'GetCapabilities' if rec.service_type == 'SOS' else 'ServiceRoot')
        _code(op, 'srv:DCP/srv:DCPList', 'DCPList', 'WebServices')
        _sub(op, 'srv:connectPoint/gmd:CI_OnlineResource/gmd:linkage/gmd:URL', rec.service_url)
        own = [assoc.target for assoc in rec.associations]
        for target in own + view.datasets(own):
            on = etree.SubElement(ident, _q('srv:operatesOn'))
            on.set('uuidref', target)
            on.set(_q('xlink:href'), f'#{target}')
    else:
        _string(ident, 'gmd:language', 'eng')
        _extent(ident, 'gmd:extent', rec)
    return ident
