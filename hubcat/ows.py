"""OWS ExceptionReports that HubCat itself answers with (auth, HubCat's own operations)."""
from __future__ import annotations

from lxml import etree

OWS_NS = {'2.0.2': 'http://www.opengis.net/ows', '3.0.0': 'http://www.opengis.net/ows/2.0'}
REPORT_VERSION = {'2.0.2': '1.2.0', '3.0.0': '2.0.0'}


def exception_report(code: str, locator: str, text: str, version: str = '2.0.2',
                     comment: etree._Comment = None) -> bytes:
    """An ``ows:ExceptionReport`` document (OWS 1.0 for CSW 2.0.2, OWS 2.0 for CSW 3.0.0).

    :param comment: an XML comment to put first inside the report (e.g. the
        federated search's peer report)
    """
    version = version if version in OWS_NS else '2.0.2'
    ns = OWS_NS[version]
    root = etree.Element(f'{{{ns}}}ExceptionReport', nsmap={'ows': ns},
                         version=REPORT_VERSION[version], language='en')
    if comment is not None:
        root.append(comment)
    exc = etree.SubElement(root, f'{{{ns}}}Exception', exceptionCode=code, locator=locator)
    etree.SubElement(exc, f'{{{ns}}}ExceptionText').text = text
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def exception_status(status: int, content: bytes) -> int:
    """The HTTP status of a CSW answer: an ExceptionReport pycsw sent with 200 (CSW 2.0.2,
    whose OWS 1.0 names no status) gets 400, as CSW 3.0.0 (OWS 2.0) answers it."""
    if status != 200 or b'ExceptionReport' not in content[:1000]:
        return status
    from harvesters.http import safe_xml_parser
    try:
        root = etree.fromstring(content, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return status
    return 400 if etree.QName(root).localname == 'ExceptionReport' else status
