"""Paging through SensorThings API collections: ``@iot.nextLink`` outside and inside ``$expand``.

One :class:`PageWalker` per harvest. It fetches JSON pages, follows the
collection's ``@iot.nextLink`` and the nextLinks of expanded collections
(``Datastreams@iot.nextLink``), de-duplicates expanded entities by ``@iot.id``
(some servers repeat one at a page boundary), stops at a nextLink it has seen
before (a loop) and at a page cap. Either stop marks the walk incomplete.

Servers answer an inner nextLink in one of two ways, and both are handled:

* the spec's way: a plain collection of the child entities of one parent;
* an "echo": the outer collection again, each parent carrying its next page of
  children (django-ogc-sensorthings does this; one request then serves every
  parent of the page).
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Iterable, Iterator, Optional

from harvesters.base import HarvestError
from harvesters.sta_mapping import collection_items, dedupe, iot_id

LOGGER = logging.getLogger(__name__)

#: empty pages in a row, each with a nextLink, after which a collection is given up
MAX_EMPTY_PAGES = 3


class StaHttpError(HarvestError):
    """An STA request answered with an HTTP error status.

    :param status: the HTTP status code
    :param body: the start of the answer's text (for page-size detection)
    """

    def __init__(self, message: str, status: int, body: str = ''):
        super().__init__(message)
        self.status = status
        self.body = body


class StaFormatError(HarvestError):
    """An STA request answered with something that is not a JSON object."""


class PageWalker:
    """Fetches STA JSON pages and follows their nextLinks, with a loop guard and a page cap.

    :param client: a :class:`harvesters.http.HttpClient`
    :param max_pages: the most pages (requests) one harvest may make through this walker
    """

    def __init__(self, client, max_pages: int = 10000):
        self.client = client
        self.max_pages = max_pages
        self.pages = 0
        self.complete = True
        self.warnings: list[str] = []
        self.notices: list[str] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def warn(self, message: str, incomplete: bool = False) -> None:
        """Record a non-fatal problem; ``incomplete`` marks the harvest as partial."""
        LOGGER.warning(message)
        with self._lock:
            self.warnings.append(message)
            if incomplete:
                self.complete = False

    def notice(self, message: str) -> None:
        """Record a fallback that still read everything (not an error)."""
        LOGGER.info(message)
        with self._lock:
            self.notices.append(message)

    def fetch(self, url: str, params: Optional[dict] = None) -> dict:
        """GET one JSON object.

        :raises StaHttpError: on an HTTP error status
        :raises StaFormatError: on an answer that is not a JSON object
        :raises HarvestError: on connection failure or timeout
        """
        with self._lock:
            self.pages += 1
        resp = self.client.get(url, params=params, accept='application/json')
        if resp.status_code >= 400:
            raise StaHttpError(f'{_short(resp.url)}: HTTP {resp.status_code}', resp.status_code,
                               resp.text[:2000])
        try:
            doc = json.loads(resp.content)
        except ValueError:
            raise StaFormatError(f'{_short(resp.url)}: the answer is not JSON') from None
        if not isinstance(doc, dict):
            raise StaFormatError(f'{_short(resp.url)}: the answer is not a JSON object')
        return doc

    def admit(self, url: str) -> bool:
        """True when ``url`` may be fetched: not seen before and under the page cap."""
        with self._lock:
            if url in self._seen:
                loop = True
            elif self.pages >= self.max_pages:
                loop = None
            else:
                self._seen.add(url)
                return True
        if loop:
            self.warn(f'nextLink loop at {_short(url)}: stopped following it', incomplete=True)
        else:
            self.warn(f'page cap of {self.max_pages} reached at {_short(url)}', incomplete=True)
        return False

    def pages_from(self, doc: dict, expanded: Iterable[str] = (),
                   keep: Optional[Callable[[dict], dict]] = None) -> Iterator[list[dict]]:
        """Yield the entities of ``doc`` and of every page after it, each page's expanded
        collections named in ``expanded`` completed first (``keep``: what of each expanded
        child to hold, see :meth:`complete_expansion`).

        Stops (the walk is then incomplete) after :data:`MAX_EMPTY_PAGES` empty pages in a
        row that still carry a nextLink: a server paging on for ever.
        """
        expanded = tuple(expanded)
        empty = 0
        while True:
            items = collection_items(doc)
            for key in expanded:
                self.complete_expansion(items, key, keep)
            yield items
            link = doc.get('@iot.nextLink')
            empty = 0 if items else empty + 1
            if not isinstance(link, str) or not link or self._endless(empty, link) \
                    or not self.admit(link):
                return
            doc = self.fetch(link)

    def _endless(self, empty: int, link: str) -> bool:
        """True (and an error recorded) once ``empty`` empty pages in a row had a nextLink."""
        if empty < MAX_EMPTY_PAGES:
            return False
        self.warn(f'{empty} empty pages in a row still had a nextLink; stopped at '
                  f'{_short(link)}', incomplete=True)
        return True

    def walk(self, url: str, params: Optional[dict] = None,
             expanded: Iterable[str] = ()) -> Iterator[list[dict]]:
        """Yield every page of the collection at ``url`` (see :meth:`pages_from`)."""
        yield from self.pages_from(self.fetch(url, params), expanded)

    def complete_expansion(self, parents: list[dict], key: str,
                           keep: Optional[Callable[[dict], dict]] = None) -> None:
        """Follow ``<key>@iot.nextLink`` of every parent until each has all its ``key`` children.

        Children are de-duplicated by ``@iot.id``; the nextLink keys are removed once followed.

        :param keep: what of each child to hold (e.g. only its id, for a parent with
            thousands of children); default the whole child
        """
        link_key = f'{key}@iot.nextLink'
        pending: dict[str, list[dict]] = {}
        empty_run: dict[str, int] = {}          # nextLink -> empty child pages before it
        held = (lambda children: [keep(c) for c in children if isinstance(c, dict)]) if keep \
            else list
        for parent in parents:
            if isinstance(parent.get(key), list):
                parent[key] = dedupe(held(parent[key]))
            link = parent.pop(link_key, None)
            if isinstance(link, str) and link:
                pending.setdefault(link, []).append(parent)
        while pending:
            url = next(iter(pending))
            waiting = pending.pop(url)
            if not self.admit(url):
                continue
            doc = self.fetch(url)
            entries = collection_items(doc)
            if any(key in e or link_key in e for e in entries):   # the outer collection, echoed
                by_id = {iot_id(p): p for p in waiting}
                for entry in entries:
                    parent = by_id.get(iot_id(entry))
                    if parent is None:
                        continue
                    parent[key] = dedupe(list(parent.get(key) or []) + held(entry.get(key) or []))
                    link = entry.get(link_key)
                    if isinstance(link, str) and link:
                        pending.setdefault(link, []).append(parent)
            else:                                                   # a plain page of children
                children = held(entries)
                for parent in waiting:
                    parent[key] = dedupe(list(parent.get(key) or []) + children)
                link = doc.get('@iot.nextLink')
                before = empty_run.pop(url, 0)
                run = 0 if entries else before + 1
                if isinstance(link, str) and link and not self._endless(run, link):
                    empty_run[link] = run
                    pending.setdefault(link, []).extend(waiting)


def _short(url: str, limit: int = 200) -> str:
    """A URL cut to one readable line for messages."""
    url = str(url).replace('\n', ' ')
    return url if len(url) <= limit else url[:limit - 3] + '...'
