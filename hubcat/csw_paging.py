"""Paging of GetRecords: ``maxRecords`` and ``startPosition`` checked and made explicit.

- ``maxRecords`` is a non-negative integer (CSW 3.0.0 KVP also ``unlimited``);
  ``startPosition`` a positive integer; anything else is an InvalidParameterValue
  (HTTP 400).  An empty value means "not given" (OpenSearch sends empty optional
  parameters).
- A request that names no ``maxRecords`` gets ``[hubcat] default_maxrecords``
  (10, as CSW says); ``[server] maxrecords`` is only the cap (pycsw would use
  it as the default).  HubCat writes the value it decided into the request pycsw gets.
- When no record is returned because none was asked for (``resultType=hits``, or
  ``maxRecords=0``), the answer says ``numberOfRecordsReturned="0"`` and
  ``nextRecord`` is the record to ask for next (``startPosition``, or 0 when there
  is none): :func:`fix_hits`.
- GetCapabilities advertises ``default_maxrecords`` as ``MaxRecordDefault`` (pycsw
  advertises its cap there): :func:`fix_capabilities`.
"""
from __future__ import annotations

import re
from typing import Optional

from lxml import etree

from hubcat.config import Config
from hubcat.csw_request import CswRequest, CswRequestError

DEFAULT_MAXRECORDS = 10
_INTEGER = re.compile(r'^\s*[+]?\d{1,18}\s*$')
_CSW = ('http://www.opengis.net/cat/csw/2.0.2', 'http://www.opengis.net/cat/csw/3.0')


def max_records_cap(config: Config) -> int:
    """``[server] maxrecords``: the most records one answer holds (100 by default)."""
    return _config_int(config, 'server', 'maxrecords', 100)


def default_max_records(config: Config) -> int:
    """``[hubcat] default_maxrecords`` (10), never above the cap."""
    return min(_config_int(config, 'hubcat', 'default_maxrecords', DEFAULT_MAXRECORDS),
               max_records_cap(config))


def _config_int(config: Config, section: str, key: str, default: int) -> int:
    text = (config.get(section, key, str(default)) or str(default)).strip()
    return int(text) if text.isdigit() else default


def check_max_records(text: Optional[str], version: str, cap: int, default: int,
                      name: str = 'maxRecords') -> int:
    """The maxRecords to use for a request's value (None or '' = not given).

    :raises CswRequestError: InvalidParameterValue for a negative or non-integer value
    """
    if text is None or not text.strip():
        return default
    if version == '3.0.0' and text.strip().lower() == 'unlimited':
        return cap
    if not _INTEGER.match(text):
        raise CswRequestError('InvalidParameterValue', name,
                              f'{name} must be a non-negative integer (at most {cap} '
                              f'records are returned), not {text[:40]!r}')
    return min(int(text), cap)


def check_start_position(text: Optional[str], name: str = 'startPosition') -> Optional[int]:
    """The startPosition of a request's value (None when not given).

    :raises CswRequestError: InvalidParameterValue unless a positive integer
    """
    if text is None or not text.strip():
        return None
    if not _INTEGER.match(text) or int(text) < 1:
        raise CswRequestError('InvalidParameterValue', name,
                              f'{name} must be a positive integer (the first record '
                              f'is 1), not {text[:40]!r}')
    return int(text)


def normalise_paging(config: Config, csw_request: CswRequest) -> None:
    """Check a GetRecords' paging and write the maxRecords HubCat decided into it.

    :raises CswRequestError: see :func:`check_max_records`, :func:`check_start_position`
    """
    cap, default = max_records_cap(config), default_max_records(config)
    if csw_request.method == 'GET' and csw_request.kvp.get('mode') in ('sru', 'oaipmh'):
        _normalise_mode_paging(csw_request.kvp, cap, default)
        return
    if csw_request.operation != 'GetRecords':
        return
    if csw_request.method == 'GET':
        kvp = csw_request.kvp
        start = check_start_position(kvp.get('startposition'))
        kvp['maxrecords'] = str(check_max_records(kvp.get('maxrecords'), csw_request.version,
                                                  cap, default))
        if start is not None:
            kvp['startposition'] = str(start)
        return
    root = csw_request.xml_root
    start = check_start_position(root.get('startPosition'))
    root.set('maxRecords', str(check_max_records(root.get('maxRecords'), csw_request.version,
                                                 cap, default)))
    if start is not None:
        root.set('startPosition', str(start))
    csw_request.refresh_body()


def _normalise_mode_paging(kvp: dict, cap: int, default: int) -> None:
    """pycsw's SRU (``startRecord``, ``maximumRecords``) and OAI-PMH (``resumptionToken``, a
    start position) paging, checked and capped like CSW's before pycsw maps them."""
    if kvp['mode'] == 'sru':
        check_start_position(kvp.get('startrecord'), 'startRecord')
        if (kvp.get('maximumrecords') or '').strip():
            kvp['maximumrecords'] = str(check_max_records(kvp['maximumrecords'], '2.0.2',
                                                          cap, default, 'maximumRecords'))
    elif check_start_position(kvp.get('resumptiontoken'), 'resumptionToken') is None:
        kvp.pop('resumptiontoken', None)


def asks_for_hits(csw_request: CswRequest) -> bool:
    """True for a GetRecords whose answer holds no record by request (hits or maxRecords=0)."""
    if csw_request.operation != 'GetRecords':
        return False
    if csw_request.method == 'GET':
        result_type, max_records = (csw_request.kvp.get('resulttype'),
                                    csw_request.kvp.get('maxrecords'))
    else:
        root = csw_request.xml_root
        result_type, max_records = root.get('resultType'), root.get('maxRecords')
    if csw_request.version == '2.0.2' and (result_type or 'hits') == 'hits':
        return True
    return (max_records or '').strip() == '0'


def start_position(csw_request: CswRequest) -> int:
    """The request's startPosition (1 when not given)."""
    text = (csw_request.kvp.get('startposition') if csw_request.method == 'GET'
            else csw_request.xml_root.get('startPosition'))
    return int(text) if text and text.strip() else 1


def fix_hits(csw_request: CswRequest, answer: tuple) -> tuple:
    """The answer with ``numberOfRecordsReturned="0"`` and a standard ``nextRecord`` when
    the request asked for no records (pycsw reports the page it did not send)."""
    status, content_type, content, *rest = answer
    if not asks_for_hits(csw_request) or 'xml' not in (content_type or ''):
        return answer
    from harvesters.http import safe_xml_parser
    try:
        doc = etree.fromstring(content, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return answer
    results = [el for ns in _CSW for el in doc.findall(f'{{{ns}}}SearchResults')]
    if not results or len(results[0]):   # records were sent after all: pycsw's numbers hold
        return answer
    matched = int(results[0].get('numberOfRecordsMatched', '0') or 0)
    start = start_position(csw_request)
    results[0].set('numberOfRecordsReturned', '0')
    results[0].set('nextRecord', str(start) if start <= matched else '0')
    body = etree.tostring(doc, xml_declaration=True, encoding='UTF-8', pretty_print=True)
    return (status, content_type, body, *rest)


def fix_capabilities(config: Config, answer: tuple) -> tuple:
    """The answer with ``MaxRecordDefault`` = ``[hubcat] default_maxrecords`` when it is a
    Capabilities document (pycsw writes its cap, ``[server] maxrecords``, there)."""
    status, content_type, content, *rest = answer
    if b'MaxRecordDefault' not in content or 'xml' not in (content_type or ''):
        return answer
    from harvesters.http import safe_xml_parser
    try:
        doc = etree.fromstring(content, safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return answer
    if etree.QName(doc).localname != 'Capabilities':
        return answer
    for constraint in doc.iter('{*}Constraint'):
        if constraint.get('name') == 'MaxRecordDefault':
            for value in constraint.iter('{*}Value', '{*}DefaultValue'):
                value.text = str(default_max_records(config))
    body = etree.tostring(doc, xml_declaration=True, encoding='UTF-8', pretty_print=True)
    return (status, content_type, body, *rest)
