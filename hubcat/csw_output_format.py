"""Refuse an unsupported ``outputFormat`` before pycsw answers with it as Content-Type.

pycsw echoes any requested ``outputFormat`` (e.g. ``text/sgml``) as the response's
Content-Type; CSW says an unsupported value is an ``InvalidParameterValue``
exception, served as ``application/xml`` like every other exception.
"""
from __future__ import annotations

from typing import Optional

from hubcat.ows import exception_report

#: the output formats HubCat answers in
SUPPORTED_OUTPUT_FORMATS = ('application/xml', 'application/json', 'application/atom+xml')


def requested_output_format(csw_request) -> str:
    """The ``outputFormat`` a request names (KVP or XML POST attribute), '' when none."""
    if csw_request.method == 'GET':
        return csw_request.kvp.get('outputformat', '')
    root = csw_request.xml_root
    return root.get('outputFormat', '') if root is not None else ''


def output_format_hook(config, csw_request, flask_request) -> Optional[tuple]:
    """An InvalidParameterValue ExceptionReport for an unsupported outputFormat, else None."""
    value = requested_output_format(csw_request)
    if not value or value.split(';')[0].strip().lower() in SUPPORTED_OUTPUT_FORMATS:
        return None
    text = (f'Invalid outputFormat: {value} (supported: '
            f'{", ".join(SUPPORTED_OUTPUT_FORMATS)})')
    return 200, 'application/xml; charset=UTF-8', exception_report(
        'InvalidParameterValue', 'outputFormat', text, csw_request.version)
