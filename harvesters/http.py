"""Shared HTTP client code for harvesters: timeouts, bounded retries, safe XML, counts."""
from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Optional, TypeVar

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from urllib3.util.retry import Retry

from harvesters.base import HarvestError, SourceUnreachable
from hubcat.url_policy import HostUnresolvable, UrlPolicy, UrlRefused
from hubcat.urls import origin, redact_text

LOGGER = logging.getLogger(__name__)
USER_AGENT = 'HubCat/0.1 (+https://github.com/hubcat)'

T = TypeVar('T')
R = TypeVar('R')


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, never touches the network
    and refuses huge trees (entity-expansion bombs)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_blank_text=False)


def parse_xml(content: bytes, url: str = '') -> etree._Element:
    """Parse an XML document safely; HarvestError with a one-line message if it is not XML."""
    try:
        root = etree.fromstring(content, safe_xml_parser())
    except etree.XMLSyntaxError as err:
        raise HarvestError(f'{url or "document"}: not well-formed XML ({err})') from None
    if root is None:
        raise HarvestError(f'{url or "document"}: empty XML document')
    for entity in root.iter(etree.Entity):  # an unresolved entity reference survived
        raise HarvestError(f'{url or "document"}: XML entities are not accepted ({entity.text})')
    return root


class OriginBasicAuth(AuthBase):
    """HTTP Basic credentials sent only to one origin (scheme, host, port), never elsewhere."""

    def __init__(self, url: str, user: str, password: str):
        self.origin = origin(url)
        self.basic = HTTPBasicAuth(user, password)

    def __call__(self, request):
        return self.basic(request) if origin(request.url) == self.origin else request


class PolicyAdapter(HTTPAdapter):
    """An HTTPAdapter that checks every request (redirects too) against a
    :class:`UrlPolicy` before it connects."""

    def __init__(self, policy: Optional[UrlPolicy] = None, **kwargs):
        self.policy = policy
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if self.policy is not None:
            self.policy.check(request.url, strict=True)
        return super().send(request, **kwargs)


class HttpClient:
    """A requests session with timeouts, bounded retries and a request counter.

    :param timeout: seconds for connect and for each read
    :param retries: retries of idempotent requests on connection errors and 502/503/504
    :param max_workers: bound of :meth:`map` concurrency
    :param policy: the URL policy every request (and redirect) must pass; None: no check
    :param auth: credentials sent to their own origin only (:class:`OriginBasicAuth`)
    """

    def __init__(self, timeout: float = 30.0, retries: int = 2, max_workers: int = 4,
                 headers: Optional[dict] = None, policy: Optional[UrlPolicy] = None,
                 auth: Optional[AuthBase] = None):
        self.timeout = timeout
        self.retries = retries
        self.max_workers = max_workers
        self.session = requests.Session()
        self.session.auth = auth
        retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                      backoff_factor=0.2, status_forcelist=(502, 503, 504),
                      allowed_methods=frozenset({'GET', 'HEAD'}), raise_on_status=False)
        adapter = PolicyAdapter(policy, max_retries=retry, pool_connections=max_workers,
                                pool_maxsize=max_workers)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.headers.update(headers or {})
        self._lock = threading.Lock()
        self.requests = 0

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def get(self, url: str, params: Optional[dict] = None, accept: str = '*/*') -> requests.Response:
        """GET a URL; HarvestError (one line) on connection failure or timeout.

        HTTP error statuses are returned, not raised: callers decide.
        """
        self._count()
        started = time.monotonic()
        try:
            return self.session.get(url, params=params, timeout=self.timeout,
                                    headers={'Accept': accept})
        except HostUnresolvable as err:
            raise SourceUnreachable(f'{url}: cannot connect ({err})') from None
        except UrlRefused as err:
            raise HarvestError(f'{url}: refused by the harvest policy: {err}') from None
        except requests.exceptions.Timeout:
            raise SourceUnreachable(self._no_answer(url, started)) from None
        except requests.exceptions.ConnectionError as err:
            if 'timed out' in str(err).lower():  # a read timeout the retry layer wrapped
                raise SourceUnreachable(self._no_answer(url, started)) from None
            raise SourceUnreachable(f'{url}: cannot connect ({_reason(err)})') from None
        except requests.exceptions.RequestException as err:
            raise HarvestError(f'{url}: request failed ({_reason(err)})') from None

    def _no_answer(self, url: str, started: float) -> str:
        """The timeout message: the total wait when retries made it longer than one timeout."""
        if not self.retries:
            return f'{url}: no answer within {self.timeout:g} s'
        waited = time.monotonic() - started
        total = f'{waited:.1f}' if waited < 10 else f'{waited:.0f}'
        return (f'{url}: no answer; waited {total} s in all '
                f'({self.timeout:g} s per attempt, {self.retries} retries)')

    def map(self, func: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``func`` to every item with at most ``max_workers`` at once, in order."""
        items = list(items)
        if self.max_workers <= 1 or len(items) <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            return list(pool.map(func, items))

    def close(self) -> None:
        """Close the underlying connections."""
        self.session.close()


def client_from_options(options: dict, policy: Optional[UrlPolicy] = None,
                        auth: Optional[AuthBase] = None) -> HttpClient:
    """An :class:`HttpClient` from harvest options (``timeout``, ``retries``, ``max_workers``)."""
    return HttpClient(timeout=float(options.get('timeout', 30)),
                      retries=int(options.get('retries', 2)),
                      max_workers=int(options.get('max_workers', 4)), policy=policy, auth=auth)


# urllib3's wording around the reason: "HTTPConnection(host='h', port=1): Failed to
# establish a new connection: [Errno 111] Connection refused" -> "Connection refused"
_URLLIB3_NOISE = re.compile(r"\w*HTTPS?Connection(?:Pool)?\([^)]*\):\s*|<[^>]*>:\s*|"
                            r"Failed to establish a new connection:\s*|\[Errno -?\d+\]\s*")


def _reason(err: Exception) -> str:
    text = str(err.args[0] if err.args else err)
    reason = getattr(err.args[0], 'reason', None) if err.args else None
    if reason is not None:
        text = str(reason)
    text = _URLLIB3_NOISE.sub('', text.split('\n')[0]).strip() or text
    return redact_text(text[:200])
