"""Many CSW clients at once on one process (``hubcat serve``'s threads): pycsw's schema
validation of POST requests, compiled once per thread (hubcat.xsd_cache), still
answers every valid request and refuses every invalid one, in CSW 2.0.2 and 3.0.0, while
other threads validate at the same moment.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from lxml import etree
from records_factory import station

from hubcat.catalogue import Catalogue

CSW2 = 'http://www.opengis.net/cat/csw/2.0.2'
CSW3 = 'http://www.opengis.net/cat/csw/3.0'
VALID = {
    CSW2: f'<csw:GetRecords xmlns:csw="{CSW2}" service="CSW" version="2.0.2" resultType="hits">'
          '<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
          '</csw:Query></csw:GetRecords>',
    CSW3: f'<csw:GetRecords xmlns:csw="{CSW3}" service="CSW" version="3.0.0">'
          '<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
          '</csw:Query></csw:GetRecords>',
}
#: well-formed, but csw:Bogus is no element of the CSW schemas
INVALID = {ns: body.replace('</csw:Query>', '<csw:Bogus/></csw:Query>')
           for ns, body in VALID.items()}


def _post(url: str, body: str) -> requests.Response:
    return requests.post(url, data=body.encode(), timeout=120,
                         headers={'Content-Type': 'application/xml'})


def test_valid_and_invalid_requests_at_once_are_each_answered_as_alone(served_config):
    records = station(n_things=3, per_thing=2)
    Catalogue(served_config.config.database_url).sync(1, records)
    url = served_config.url + '/csw'
    plan = [(ns, valid) for _ in range(6) for ns in (CSW2, CSW3) for valid in (True, False)]

    def ask(item):
        ns, valid = item
        return item, _post(url, (VALID if valid else INVALID)[ns])

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(ask, plan))

    for (ns, valid), resp in answers:
        root = etree.fromstring(resp.content)
        if valid:
            assert resp.status_code == 200, resp.text[:300]
            results = root.find(f'{{{ns}}}SearchResults')
            assert int(results.get('numberOfRecordsMatched')) == len(records)
        else:
            assert resp.status_code == 400
            assert etree.QName(root).localname == 'ExceptionReport'
            assert 'the document is not valid' in resp.text
            assert 'Bogus' in resp.text
