"""Issue 9 point 5: GetCapabilities returns every section it is asked for.

pycsw 2.6.2: CSW 3.0 ``sections=Filter_Capabilities`` is an empty document, and CSW 2.0.2
``sections=All`` holds Filter_Capabilities alone."""
from __future__ import annotations

import pytest
from lxml import etree

from cite_fixtures import cite_client, cite_config  # noqa: F401 (fixtures)

ALL_30 = ['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'Languages',
          'Filter_Capabilities']
ALL_202 = ['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'Filter_Capabilities']


def _sections(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    assert etree.QName(root).localname == 'Capabilities', data[:400]
    return [etree.QName(child).localname for child in root if isinstance(child.tag, str)]


def _kvp(client, version, sections):
    query = {'service': 'CSW', 'request': 'GetCapabilities', 'sections': sections}
    query['acceptversions' if version == '3.0.0' else 'version'] = version
    return client.get('/csw', query_string=query).data


@pytest.mark.parametrize('version, sections, expected', [
    ('3.0.0', 'Filter_Capabilities', ['Filter_Capabilities']),
    ('3.0.0', 'ServiceIdentification,Filter_Capabilities', ['ServiceIdentification', 'Filter_Capabilities']),
    ('3.0.0', 'Languages', ['Languages']),
    ('3.0.0', 'OperationsMetadata', ['OperationsMetadata']),
    ('3.0.0', 'All', ALL_30),
    ('2.0.2', 'All', ALL_202),
    ('2.0.2', 'ServiceProvider', ['ServiceProvider', 'Filter_Capabilities']),
])
def test_kvp_sections(cite_client, version, sections, expected):
    assert _sections(_kvp(cite_client, version, sections)) == expected


def test_filter_capabilities_section_lists_the_operators(cite_client):
    root = etree.fromstring(_kvp(cite_client, '3.0.0', 'Filter_Capabilities'))
    operators = root.xpath('//*[local-name()="ComparisonOperator"]/@name')
    assert {'PropertyIsNull', 'PropertyIsNotEqualTo', 'PropertyIsLike'} <= set(operators)
    assert 'BBOX' in root.xpath('//*[local-name()="SpatialOperator"]/@name')
    assert root.xpath('//*[local-name()="Conformance"]/*')


def test_post_sections(cite_client):
    body = b'''<csw:GetCapabilities xmlns:csw="http://www.opengis.net/cat/csw/3.0"
      xmlns:ows="http://www.opengis.net/ows/2.0" service="CSW">
      <ows:AcceptVersions><ows:Version>3.0.0</ows:Version></ows:AcceptVersions>
      <ows:Sections><ows:Section>Filter_Capabilities</ows:Section></ows:Sections>
    </csw:GetCapabilities>'''
    resp = cite_client.post('/csw', data=body, content_type='application/xml')
    assert _sections(resp.data) == ['Filter_Capabilities']
