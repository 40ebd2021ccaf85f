"""HubCat's OpenSearch description document (``/csw?mode=opensearch&request=GetCapabilities``).

pycsw 2.6.2 publishes an Earth-observation description (``eo:*`` parameters HubCat's
records cannot answer; filled with empty values as OpenSearch prescribes, every search
failed with "Invalid PropertyName: apiso:Platform") whose Atom template type was
``application/atom%%2Bxml``.  HubCat's names its own parameters: ``q`` (searchTerms),
``bbox`` (geo:box, west,south,east,north), ``start``/``stop`` (time:start, time:end),
``status``, ``observedProperty`` and ``type`` (HubCat's), ``startPosition``/``maxRecords``
(startIndex, count).  Empty values mean no constraint (:mod:`hubcat.csw_search`).
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

from hubcat.config import Config

OS = 'http://a9.com/-/spec/opensearch/1.1/'
NSMAP = {None: OS, 'geo': 'http://a9.com/-/opensearch/extensions/geo/1.0/',
         'time': 'http://a9.com/-/opensearch/extensions/time/1.0/',
         'param': 'http://a9.com/-/spec/opensearch/extensions/parameters/1.0/',
         'hubcat': 'urn:hubcat:def:opensearch'}
CONTENT_TYPE = 'application/opensearchdescription+xml'
#: KVP name -> OpenSearch template parameter
SEARCH_TEMPLATE = (('q', 'searchTerms'), ('bbox', 'geo:box'), ('start', 'time:start'),
                   ('stop', 'time:end'), ('status', 'hubcat:status'),
                   ('observedProperty', 'hubcat:observedProperty'), ('type', 'hubcat:type'),
                   ('startPosition', 'startIndex'), ('maxRecords', 'count'))
#: the values of HubCat's enumerated parameters
OPTIONS = {'hubcat:status': ('online', 'offline'),
           'hubcat:type': ('service', 'thing', 'datastream', 'offering', 'procedure')}


def template(base_url: str, output_format: str, extra: str = '') -> str:
    """A GetRecords URL template of ``base_url`` answering in ``output_format``."""
    fixed = ('service=CSW&version=3.0.0&request=GetRecords&typenames=csw:Record'
             '&elementsetname=full&outputformat=' + output_format.replace('/', '%2F').replace('+', '%2B'))
    params = '&'.join(f'{name}={{{value}?}}' for name, value in SEARCH_TEMPLATE)
    return f'{base_url}?{extra}{fixed}&{params}'


def description(config: Config, base_url: str) -> bytes:
    """The OpenSearch 1.1 description document of the catalogue at ``base_url``."""
    def sub(parent, tag, text=None, **attrs):
        prefix, _, local = tag.rpartition(':')
        node = etree.SubElement(parent, f'{{{NSMAP[prefix or None]}}}{local}', **attrs)
        if text is not None:
            node.text = text
        return node
    title = config.get('metadata:main', 'identification_title') or 'HubCat'
    root = etree.Element(f'{{{OS}}}OpenSearchDescription', nsmap=NSMAP)
    sub(root, 'ShortName', 'HubCat')
    sub(root, 'LongName', title[:48])
    sub(root, 'Description', (config.get('metadata:main', 'identification_abstract') or title)[:1024])
    sub(root, 'Tags', 'sensors SensorThings SOS catalogue')
    sub(root, 'Contact', config.get('metadata:main', 'contact_email') or '')
    for output_format, extra in (('application/atom+xml', 'mode=opensearch&'), ('application/xml', '')):
        url = sub(root, 'Url', type=output_format, rel='results', indexOffset='1', pageOffset='1',
                  template=template(base_url, output_format, extra))
        for name, value in SEARCH_TEMPLATE:
            param = sub(url, 'param:Parameter', name=name, value=f'{{{value}}}', minimum='0')
            for option in OPTIONS.get(value, ()):
                sub(param, 'param:Option', value=option, label=option)
    sub(root, 'Url', type=CONTENT_TYPE, rel='self',
        template=f'{base_url}?mode=opensearch&service=CSW&version=3.0.0&request=GetCapabilities')
    sub(root, 'Query', role='example', searchTerms='temperature')
    sub(root, 'Attribution', config.get('metadata:main', 'provider_name') or 'HubCat')
    sub(root, 'Language', 'en')
    sub(root, 'OutputEncoding', 'UTF-8')
    sub(root, 'InputEncoding', 'UTF-8')
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def opensearch_description_hook(config, csw_request, flask_request) -> Optional[tuple]:
    """Answer ``mode=opensearch`` without a search (GetCapabilities or no request) with
    HubCat's description document."""
    kvp = csw_request.kvp
    if csw_request.method != 'GET' or kvp.get('mode') != 'opensearch':
        return None
    if kvp.get('request', 'GetCapabilities') not in ('GetCapabilities', ''):
        return None
    base = config.get('server', 'url') or flask_request.base_url
    return 200, CONTENT_TYPE, description(config, base)
