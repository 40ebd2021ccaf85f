"""Running pycsw for one HTTP request, with HubCat's profile, repository and fixes."""
from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl, urlencode

from lxml import etree
from pycsw.server import Csw

import profiles
from hubcat import filters
from hubcat.config import Config
from hubcat.ows import exception_report

LOGGER = logging.getLogger(__name__)
WRITE_OPERATIONS = ('Transaction', 'Harvest')


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


@dataclass
class CswRequest:
    """What HubCat needs to know about a CSW request before pycsw sees it.

    ``kvp`` holds the query parameters with lower-cased names (CSW KVP names are
    case-insensitive); the POST body is parsed once, on first use.
    """
    method: str
    body: bytes = b''
    kvp: dict = field(default_factory=dict)
    #: set by a hook that changed ``kvp``: pycsw then gets :meth:`query_string`
    rewritten: bool = False

    def query_string(self) -> str:
        """The (possibly rewritten) KVP parameters as a query string."""
        return urlencode(self.kvp)

    @property
    def operation(self) -> str:
        """The request name (GetRecords, Harvest, ...), '' when unknown."""
        if self.method == 'GET':
            return self.kvp.get('request', '')
        root = self.xml_root
        return etree.QName(root).localname if root is not None else ''

    @property
    def version(self) -> str:
        """'2.0.2' or '3.0.0' (what the request names; 3.0.0 by default, as pycsw)."""
        if self.method == 'GET':
            text = self.kvp.get('version', '') or self.kvp.get('acceptversions', '')
            return '2.0.2' if '2.0.2' in text else '3.0.0'
        return '2.0.2' if b'cat/csw/2.0.2' in self.body else '3.0.0'

    @functools.cached_property
    def xml_root(self) -> Optional[etree._Element]:
        """The parsed POST body (safe parser), None if it is not XML."""
        from harvesters.http import safe_xml_parser
        try:
            return etree.fromstring(self.body, safe_xml_parser())
        except (etree.XMLSyntaxError, ValueError):
            return None


def bearer_token(headers) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, '' if none."""
    value = headers.get('Authorization', '')
    return value[7:].strip() if value.lower().startswith('bearer ') else ''


def authorised(config: Config, headers) -> bool:
    """True when the request carries the administrator token (and one is configured)."""
    import hmac
    token = config.admin_token
    return bool(token) and hmac.compare_digest(bearer_token(headers).encode(), token.encode())


def run_pycsw(config: Config, environ: dict, body: bytes, url: str) -> tuple[int, str, bytes]:
    """Hand one request to pycsw; returns (HTTP status, content type, body)."""
    profiles.register()
    filters.install()
    filters.reset_error()
    env = dict(environ)
    env['wsgi.input'] = io.BytesIO(body)
    env['CONTENT_LENGTH'] = str(len(body))
    pycsw_config = config.pycsw_config(url)
    request = parse_request(environ.get('REQUEST_METHOD', 'GET'),
                            environ.get('QUERY_STRING', ''), body)
    if request.version == '2.0.2':
        # CSW 2.0.2 has no place for a count: pycsw would write 'value (n)', which is not a
        # value a client can feed back into a filter (CSW 3.0 has a count attribute)
        pycsw_config.set('server', 'domaincounts', 'false')
    csw = HubCatCsw(pycsw_config, env)
    status_text, content = csw.dispatch_wsgi()
    content_type = getattr(csw, 'contenttype', 'application/xml; charset=UTF-8')
    error = filters.last_error()
    if error is not None:
        content = locate_filter_error(content, error, env.get('REQUEST_METHOD', 'GET') != 'POST')
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


def refuse_write(request: CswRequest) -> tuple[int, str, bytes]:
    """The ExceptionReport for a Transaction or Harvest without the administrator token."""
    text = (f'{request.operation} needs the administrator token '
            '(Authorization: Bearer <token>); no token configured means no writes')
    return 200, 'application/xml; charset=UTF-8', exception_report(
        'NoApplicableCode', request.operation, text, request.version)


def parse_request(method: str, query_string: str, body: bytes) -> CswRequest:
    """A :class:`CswRequest` from the HTTP method, query string and body."""
    return CswRequest(method=method.upper(), body=body,
                      kvp={k.lower(): v for k, v in parse_qsl(query_string, keep_blank_values=True)})
