"""Support for the security tests: HubCat served by ``hubcat.server.make_server`` (waitress,
as ``hubcat serve``) on 127.0.0.1, the record count, and a listener that records every
connection made to it (to prove that no request made the server connect out)."""
from __future__ import annotations

import socket
import threading

from lxml import etree
from sqlalchemy import text

OWS_NS = ('http://www.opengis.net/ows', 'http://www.opengis.net/ows/2.0')
SOAP12 = 'http://www.w3.org/2003/05/soap-envelope'
SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/'
CSW_NS = {'2.0.2': 'http://www.opengis.net/cat/csw/2.0.2', '3.0.0': 'http://www.opengis.net/cat/csw/3.0'}
FILTER_NS = {'2.0.2': 'http://www.opengis.net/ogc', '3.0.0': 'http://www.opengis.net/fes/2.0'}


class ServedHubCat:
    """The HubCat app of ``config`` served by waitress (``hubcat serve``'s server) in a thread."""

    def __init__(self, config):
        from hubcat.server import make_server
        self.config = config
        self.server = make_server(config, '127.0.0.1', 0)
        self.url = f'http://127.0.0.1:{self.server.effective_port}'
        self.csw = self.url + '/csw'
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def count(self) -> int:
        """How many rows the records table holds."""
        from hubcat.db import get_engine
        with get_engine(self.config.database_url).connect() as conn:
            return conn.execute(text(f'SELECT count(*) FROM {self.config.table}')).scalar()

    def close(self) -> None:
        """Stop serving."""
        from hubcat.server import stop_server
        stop_server(self.server)
        self.thread.join(timeout=5)


class ConnectionRecorder:
    """A TCP listener on 127.0.0.1 (free port) that records every connection it accepts."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def url(self, scheme: str = 'http', path: str = '/x') -> str:
        """A URL of this listener."""
        return f'{scheme}://127.0.0.1:{self.port}{path}'

    def close(self):
        """Stop listening."""
        self.sock.close()


def exception(content: bytes) -> tuple[str, str, str]:
    """(exceptionCode, locator, text) of an ows:ExceptionReport (also inside a SOAP Fault)."""
    doc = etree.fromstring(content)
    reports = [el for el in doc.iter() if isinstance(el.tag, str)
               and etree.QName(el).localname == 'ExceptionReport']
    assert reports, content[:500]
    exc = reports[0][0] if len(reports[0]) else None
    assert exc is not None and etree.QName(exc).namespace in OWS_NS, content[:500]
    text_el = [t for t in exc if etree.QName(t).localname == 'ExceptionText']
    return exc.get('exceptionCode'), exc.get('locator'), text_el[0].text if text_el else ''


def delete_all(version: str) -> str:
    """A csw:Transaction deleting every record (``dc:identifier LIKE '%'``)."""
    csw, fil = CSW_NS[version], FILTER_NS[version]
    name = 'PropertyName' if version == '2.0.2' else 'ValueReference'
    version_attr = '1.1.0' if version == '2.0.2' else '2.0.0'
    return (f'<csw:Transaction xmlns:csw="{csw}" xmlns:f="{fil}" service="CSW" version="{version}">'
            f'<csw:Delete><csw:Constraint version="{version_attr}"><f:Filter>'
            f'<f:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\">'
            f'<f:{name}>dc:identifier</f:{name}><f:Literal>%</f:Literal></f:PropertyIsLike>'
            f'</f:Filter></csw:Constraint></csw:Delete></csw:Transaction>')


def harvest(version: str, source: str, handler: str = '') -> str:
    """A csw:Harvest of a CSW resource at ``source`` (pycsw's own Harvest path)."""
    csw = CSW_NS[version]
    extra = f'<csw:ResponseHandler>{handler}</csw:ResponseHandler>' if handler else ''
    return (f'<csw:Harvest xmlns:csw="{csw}" service="CSW" version="{version}">'
            f'<csw:Source>{source}</csw:Source>'
            f'<csw:ResourceType>{csw}</csw:ResourceType>'
            f'<csw:ResourceFormat>application/xml</csw:ResourceFormat>{extra}</csw:Harvest>')


def soap(inner: str, namespace: str = SOAP12) -> bytes:
    """``inner`` in a SOAP envelope."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{namespace}">'
            f'<soap:Body>{inner}</soap:Body></soap:Envelope>').encode()
