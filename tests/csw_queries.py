"""CSW 2.0.2 requests the search tests send by hand (OWSLib cannot set matchCase)."""
from __future__ import annotations

import requests
from lxml import etree

CSW2 = 'http://www.opengis.net/cat/csw/2.0.2'
DC = 'http://purl.org/dc/elements/1.1/'


def filter_post(csw_url: str, predicate: str) -> set:
    """Identifiers a GetRecords POST with this ogc:Filter predicate answers (the ogc and
    gml namespaces are declared); asserts the answer is SearchResults."""
    body = f'''<csw:GetRecords xmlns:csw="{CSW2}" xmlns:ogc="http://www.opengis.net/ogc"
        xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2"
        resultType="results" maxRecords="50">
      <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
        <csw:Constraint version="1.1.0"><ogc:Filter>{predicate}</ogc:Filter></csw:Constraint>
      </csw:Query></csw:GetRecords>'''
    response = requests.post(csw_url, data=body.encode('utf-8'), timeout=30,
                             headers={'Content-Type': 'application/xml'})
    doc = etree.fromstring(response.content)
    assert doc.find(f'{{{CSW2}}}SearchResults') is not None, response.text
    return {e.text for e in doc.iter(f'{{{DC}}}identifier')}
