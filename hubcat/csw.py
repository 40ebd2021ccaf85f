"""Running pycsw for one HTTP request, with HubCat's profile, repository and fixes."""
from __future__ import annotations

import io
import logging
import re

from lxml import etree
from pycsw.server import Csw

import profiles
from hubcat import filters, sorting, xsd_cache
from hubcat.auth import authorised, bearer_token  # noqa: F401 (re-exported)
from hubcat.config import Config
from hubcat.csw_request import (WRITE_OPERATIONS, CswRequest, CswRequestError,  # noqa: F401
                                parse_request, requested_version)
from hubcat.ows import exception_report

LOGGER = logging.getLogger(__name__)


class HubCatCsw(Csw):
    """pycsw's server with a correct CQL property-name substitution.

    pycsw replaces queryable names in CQL text with plain ``str.replace``, so a
    name that is a prefix of another (``hubcat:Status`` / ``hubcat:StatusReason``)
    corrupts the query.  Names are replaced whole here, longest first.
    """

    def _cql_update_queryables_mappings(self, cql, mappings):
        if cql is None:
            return None
        names = sorted(mappings, key=len, reverse=True)
        if not names:
            return cql

        def column(name):
            value = mappings[name]
            return value['dbcol'] if isinstance(value, dict) else value
        pattern = re.compile(r'(?<![\w:])(%s)(?![\w:])' % '|'.join(re.escape(n) for n in names))
        return pattern.sub(lambda m: column(m.group(1)), cql)


def run_pycsw(config: Config, environ: dict, csw_request,
              url: str) -> tuple[int, str, bytes]:
    """Hand pycsw exactly the request HubCat parsed and decided on: the normalised query
    string (GET) or the re-serialised operation element (POST); returns (HTTP status,
    content type, body).  A pycsw failure is logged and answered with an ExceptionReport.

    :param csw_request: the :class:`CswRequest` (or, for requests HubCat builds itself, an
        XML body, parsed here the same way)
    """
    if isinstance(csw_request, bytes):
        try:
            csw_request = parse_request('POST', '', csw_request)
        except CswRequestError as err:
            return err.answer(requested_version(b'', csw_request))[:3]
    profiles.register()
    filters.install()
    xsd_cache.install()
    filters.reset_error()
    try:
        sort_keys = sorting.requested_keys(csw_request)
    except sorting.SortError as err:
        return 400, 'application/xml; charset=UTF-8', exception_report(
            'InvalidParameterValue', 'sortby', f'Invalid SortBy: {err}', csw_request.version)
    env = dict(environ)
    env['QUERY_STRING'] = csw_request.query_string if csw_request.method == 'GET' else ''
    env['wsgi.input'] = io.BytesIO(csw_request.body)
    env['CONTENT_LENGTH'] = str(len(csw_request.body))
    pycsw_config = config.pycsw_config(url)
    if csw_request.version == '2.0.2':
        # CSW 2.0.2 has no place for a count: pycsw would write 'value (n)', which is not a
        # value a client can feed back into a filter (CSW 3.0 has a count attribute)
        pycsw_config.set('server', 'domaincounts', 'false')
    try:
        csw = HubCatCsw(pycsw_config, env)
        with sorting.sort_scope(sort_keys):
            status_text, content = csw.dispatch_wsgi()
    except Exception as err:  # noqa: BLE001 - answered as an ExceptionReport, logged
        LOGGER.error('pycsw failed on a %s %s request: %s', csw_request.method,
                     csw_request.operation[:40], error_summary(err))
        LOGGER.debug('pycsw failure', exc_info=True)
        return 500, 'application/xml; charset=UTF-8', exception_report(
            'NoApplicableCode', 'request', 'internal error (see the server log)',
            csw_request.version)
    content_type = getattr(csw, 'contenttype', 'application/xml; charset=UTF-8')
    error = filters.last_error()
    if error is not None:
        content = locate_filter_error(content, error, csw_request.method == 'GET')
    return int(str(status_text).split()[0]), content_type, content


def locate_filter_error(content: bytes, error: Exception, kvp: bool) -> bytes:
    """The ExceptionReport pycsw wrote for a failed filter, with a precise locator and text.

    pycsw says ``locator="service"`` (POST) or ``"bbox"`` (KVP Filter) and a generic
    text; the locator becomes the ``constraint`` parameter (KVP) or the offending
    element (POST), the text HubCat's message.
    """
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return content
    if etree.QName(root).localname != 'ExceptionReport':
        return content
    for exc in root:
        if not isinstance(exc.tag, str) or etree.QName(exc).localname != 'Exception':
            continue
        exc.set('exceptionCode', 'InvalidParameterValue')
        exc.set('locator', 'constraint' if kvp else getattr(error, 'locator', 'Constraint'))
        for text in exc:
            if isinstance(text.tag, str) and etree.QName(text).localname == 'ExceptionText':
                text.text = f'Invalid constraint: {error}'
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def error_summary(err: Exception) -> str:
    """One line naming an error without the SQL and values a database error carries."""
    from sqlalchemy.exc import StatementError
    cause = err.orig if isinstance(err, StatementError) and err.orig is not None else err
    text = (str(cause).splitlines() or [''])[0][:200]
    return f'{type(cause).__name__}: {text}'
