"""Answering a CSW request that came in a SOAP 1.1 or 1.2 envelope.

HubCat unwraps the request (:func:`hubcat.csw_request.soap_operation`), decides on
and runs the operation it found, and wraps the answer here: a result goes into
the Body; an ``ows:ExceptionReport`` becomes a SOAP Fault carrying the report in
its Detail (CSW 2.0.2 clause 10.3.3).  Faults keep HubCat's HTTP status (401,
403, 413, ...); a pycsw exception answered with 200 becomes a 400 Sender fault,
as the SOAP HTTP binding says.
"""
from __future__ import annotations

from lxml import etree

SOAP12 = 'http://www.w3.org/2003/05/soap-envelope'
SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/'
NAMESPACE = {'1.2': SOAP12, '1.1': SOAP11}
CONTENT_TYPE = {'1.2': 'application/soap+xml; charset=UTF-8', '1.1': 'text/xml; charset=UTF-8'}


def wrap(version: str, status: int, content_type: str, content: bytes,
         headers: dict = None) -> tuple[int, str, bytes, dict]:
    """The SOAP ``version`` ('1.1' or '1.2') form of one CSW answer."""
    from harvesters.http import safe_xml_parser
    ns = NAMESPACE[version]
    try:
        payload = etree.fromstring(content, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        payload = None
    envelope = etree.Element(f'{{{ns}}}Envelope', nsmap={'soap': ns})
    body = etree.SubElement(envelope, f'{{{ns}}}Body')
    if payload is None:   # e.g. outputFormat=application/json: not something a Body holds
        status = 400
        body.append(_fault(ns, version, False, 'a SOAP request must ask for an XML answer', None))
    elif etree.QName(payload).localname == 'ExceptionReport':
        status = 400 if status < 400 else status
        body.append(_fault(ns, version, status >= 500, _report_text(payload), payload))
    else:
        body.append(payload)
    return status, CONTENT_TYPE[version], etree.tostring(
        envelope, xml_declaration=True, encoding='UTF-8', pretty_print=True), dict(headers or {})


def _report_text(report: etree._Element) -> str:
    texts = [t.text.strip() for t in report.iter('{*}ExceptionText') if t.text]
    return '; '.join(texts) or 'the request failed'


def _fault(ns: str, version: str, server: bool, text: str, report) -> etree._Element:
    fault = etree.Element(f'{{{ns}}}Fault')
    if version == '1.2':
        code = etree.SubElement(fault, f'{{{ns}}}Code')
        etree.SubElement(code, f'{{{ns}}}Value').text = 'soap:Receiver' if server else 'soap:Sender'
        reason = etree.SubElement(fault, f'{{{ns}}}Reason')
        etree.SubElement(reason, f'{{{ns}}}Text',
                         {'{http://www.w3.org/XML/1998/namespace}lang': 'en'}).text = text
        detail_tag = f'{{{ns}}}Detail'
    else:
        etree.SubElement(fault, 'faultcode').text = 'soap:Server' if server else 'soap:Client'
        etree.SubElement(fault, 'faultstring').text = text
        detail_tag = 'detail'
    if report is not None:
        etree.SubElement(fault, detail_tag).append(report)
    return fault
