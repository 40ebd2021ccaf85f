"""Source URLs: credentials kept apart and never shown, one comparison key per endpoint.

A source URL may carry credentials (``http://user:secret@host/...``).  The
registry stores the URL exactly as given; everything shown (API, CLI, logs, run
errors, records) goes through :func:`redact_url` / :func:`redact_text`, and the
harvester is handed the URL without its userinfo plus the credentials apart
(:func:`split_credentials`), which it sends as HTTP Basic authentication to the
source's own origin only.
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

#: what replaces the userinfo of a URL that is shown
REDACTED = '***'
DEFAULT_PORTS = {'http': 80, 'https': 443}
# scheme://userinfo@ (userinfo ends at the last '@' before the path, query or fragment)
_USERINFO = re.compile(r'(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s?#@]*(?:@[^/\s?#@]*)*@')
_STA_VERSION = re.compile(r'/v\d+\.\d+$')


def _host_port(parts) -> str:
    """``host[:port]`` of split URL parts, as written (case kept), without userinfo."""
    return parts.netloc.rpartition('@')[2]


def has_credentials(url: str) -> bool:
    """True when the URL names a user (and maybe a password)."""
    return '@' in urlsplit((url or '').strip()).netloc


def redact_url(url: str) -> str:
    """The URL with its userinfo replaced by ``***`` (unchanged when it has none)."""
    if not url or not has_credentials(url):
        return url
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, f'{REDACTED}@{_host_port(parts)}', parts.path,
                       parts.query, parts.fragment))


def redact_text(text: str) -> str:
    """Free text (an error, a log line) with the userinfo of every URL in it replaced."""
    return _USERINFO.sub(lambda m: m.group(1) + REDACTED + '@', text) if text else text


def split_credentials(url: str) -> tuple[str, Optional[tuple[str, str]]]:
    """(the URL without userinfo, (user, password) or None); both exactly as given."""
    url = (url or '').strip()
    parts = urlsplit(url)
    if '@' not in parts.netloc:
        return url, None
    userinfo = parts.netloc.rpartition('@')[0]
    user, _, password = userinfo.partition(':')
    bare = urlunsplit((parts.scheme, _host_port(parts), parts.path, parts.query, parts.fragment))
    return bare, (unquote(user), unquote(password))


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, lower-cased, default port filled in."""
    parts = urlsplit((url or '').strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or '').lower(), port or DEFAULT_PORTS.get(scheme, 0)


def endpoint_key(url: str, source_type: str) -> str:
    """The comparison key of a service endpoint: two URLs of one service give one key.

    Scheme and host are lower-cased, default ports and userinfo dropped, the path
    loses trailing slashes; STA roots lose a trailing version segment (``/v1.1``);
    SOS URLs lose their protocol parameters (service, request, version, ...) and
    keep the others sorted by lower-cased name.  Only for comparison: the stored
    URL stays as given.
    """
    scheme, host, port = origin(url)
    parts = urlsplit((url or '').strip())
    netloc = host if port == DEFAULT_PORTS.get(scheme) else f'{host}:{port}'
    path = re.sub('/+', '/', parts.path).rstrip('/')
    query = ''
    if (source_type or '').lower() == 'sta':
        path = _STA_VERSION.sub('', path)
    elif (source_type or '').lower() == 'sos':
        from harvesters.sos_capabilities import PROTOCOL_PARAMS
        pairs = [(k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k.lower() not in PROTOCOL_PARAMS]
        query = urlencode(sorted(pairs))
    else:
        query = parts.query
    return urlunsplit((scheme, netloc, path, query, ''))
