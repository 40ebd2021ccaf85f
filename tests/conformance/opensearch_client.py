"""A minimal OpenSearch client as the spec describes one: read the description document, fill
a template (unused optional parameters become empty strings), read the Atom feed."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

OS = 'http://a9.com/-/spec/opensearch/1.1/'
ATOM = 'http://www.w3.org/2005/Atom'


def description(client) -> etree._Element:
    """The description document (its content type checked)."""
    resp = client.get('/csw', query_string={'mode': 'opensearch', 'service': 'CSW',
                                            'version': '3.0.0', 'request': 'GetCapabilities'})
    assert resp.content_type.startswith('application/opensearchdescription+xml'), resp.content_type
    return etree.fromstring(resp.data)


def template(client, mime: str = 'application/atom+xml') -> str:
    """The results template of type ``mime``."""
    urls = [u for u in description(client).findall(f'{{{OS}}}Url') if u.get('type') == mime]
    assert len(urls) == 1, [u.get('type') for u in description(client).findall(f'{{{OS}}}Url')]
    return urls[0].get('template')


def fill(text: str, **values) -> str:
    """The template with ``values`` (OpenSearch names, ``:`` as ``__``); the rest empty."""
    values = {k.replace('__', ':'): v for k, v in values.items()}
    return re.sub(r'\{([^}?]+)\??\}', lambda m: values.get(m.group(1), ''), text)


def search(client, **values) -> etree._Element:
    """The Atom feed of the Atom template filled with ``values``."""
    url = urlsplit(fill(template(client), **values))
    resp = client.get(f'{url.path}?{url.query}')
    assert resp.status_code == 200, resp.data[:400]
    assert resp.content_type.startswith('application/atom+xml'), resp.data[:400]
    return etree.fromstring(resp.data)


def entry_ids(feed) -> set:
    """The identifiers of a feed's entries."""
    return {e.findtext(f'{{{ATOM}}}id') for e in feed.findall(f'{{{ATOM}}}entry')}


def total(feed) -> int:
    """os:totalResults of a feed."""
    return int(feed.findtext(f'{{{OS}}}totalResults'))
