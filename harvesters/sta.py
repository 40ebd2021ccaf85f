"""The SensorThings API (STA 1.0/1.1) harvester: walks a service and maps it to records.

Requests, for a server that behaves (and what it falls back to when it does not):

1. the service root (with a trailing slash first, then as given);
2. pages of ``Things?$top=N&$count=true&$expand=Locations($top=1),
   Datastreams/Observations($orderby=phenomenonTime desc;$top=1)``:
   every Thing with its newest Location, its Datastreams and each one's newest
   Observation. The first page detects, once, what the server accepts: a smaller
   ``$top`` (HTTP 422/400 above its cap), ``resultTime`` instead of
   ``phenomenonTime`` ordering, or no Observations expansion (then one small
   request per Datastream that needs it). A server that ignores ``$expand`` on
   Things (sensorAtlas-like) is read through the collections instead: pages of
   ``Datastreams?$expand=Thing,Sensor,ObservedProperty`` (the expanded Thing
   checked on two Datastreams against their navigation links) and of
   ``Locations?$expand=Things``; only what those do not give is asked Thing by Thing;
3. pages of ``ObservedProperties?$expand=Datastreams($top=N)`` and the
   same for Sensors: which ObservedProperty and Sensor each Datastream has. This
   inverse direction is used because some servers expand to-one relations of a
   collection wrongly (every Datastream of a page gets the same one); a Datastream
   it leaves out is asked for through its navigation link.

Every nextLink (outer and inside expansions) is followed by
:class:`harvesters.sta_paging.PageWalker`. Any failed request that is not one of
the optional probes above raises :class:`HarvestError`: nothing partial is returned.
"""
from __future__ import annotations

import logging
import re
from typing import Callable, Iterator, Optional

from harvesters.base import BaseHarvester, HarvestError, HarvestResult
from harvesters.sta_mapping import (collection_items, datastream_record, dedupe, entity_sets,
                                    iot_id, is_service_root, multidatastream_record,
                                    navigation_link, normalise_root, root_with_slash,
                                    ServiceSummary, service_record, thing_record)
from harvesters.sta_paging import PageWalker, StaFormatError, StaHttpError

LOGGER = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
#: statuses after which an optional query form is given up for a simpler one
PROBE_STATUSES = (400, 404, 405, 422, 500, 501)
ORDERINGS = ('phenomenonTime', 'resultTime')
STREAM_SETS = {'Datastreams': False, 'MultiDatastreams': True}   # entity set -> is multi
#: Things without expanded members from which the collections are read instead of each Thing
COLLECTION_MIN = 3
#: the cap a server names when it refuses a $top ("less than or equal to 100", "max 100")
_CAP = re.compile(r'(?:less than or equal to|<=|max)\D{0,20}?(\d+)', re.IGNORECASE)


class SensorThingsHarvester(BaseHarvester):
    """Harvests an OGC SensorThings API service root into SERVICE, THING and DATASTREAM records.

    Options: ``page_size`` (first ``$top`` tried, default 100), ``max_pages`` (cap on
    requests through the pager, default 10000), ``title`` (service title),
    ``source_name`` (set by :func:`hubcat.harvest.run_harvest`: the generated service
    title names the source),
    ``workers`` (more than 1: requests at once, bounded by the client's ``max_workers``;
    default 1, since the measured test server, one process, got slower in parallel;
    raise it for servers that serve in parallel), ``select_ids`` (ask
    for ``$select=id`` in the ObservedProperties/Sensors walk: smaller answers, but
    django-ogc-sensorthings takes twice as long with it, so off by default),
    plus the ``timeout``/``retries`` of :class:`BaseHarvester`.
    """

    source_type = 'sta'

    @classmethod
    def normalise_url(cls, url: str) -> str:
        """The canonical service root: no trailing slash, query or fragment."""
        return normalise_root(url)

    def harvest(self) -> HarvestResult:
        """Walk the service; every record it holds now (the service first), or HarvestError."""
        records: list = []
        result = self.harvest_to(records.extend)
        result.records = records[-1:] + records[:-1]      # the service record comes last
        return result

    def harvest_to(self, sink: Callable[[list], None]) -> HarvestResult:
        """Walk the service, handing the records to ``sink`` as pages arrive: each page's
        Things with their Datastreams together, the service record last (it needs them
        all). Holds one page of Things at a time, plus which ObservedProperty and Sensor
        each Datastream has. HarvestError on failure (pages sunk before it stay sunk).

        :returns: the result, without records
        """
        started = self.client.requests
        walker = PageWalker(self.client, int(self.options.get('max_pages', 10000)))
        root, root_json = self._service_root(walker)
        sets = [name for name in STREAM_SETS if name in entity_sets(root_json)] or ['Datastreams']
        walk = _Walk(walker, root, sets, int(self.options.get('page_size', DEFAULT_PAGE_SIZE)),
                     self.progress, select_ids=bool(self.options.get('select_ids', False)),
                     workers=int(self.options.get('workers', 1)))
        first = walk.first_things_page()          # detects $top and the $expand form
        self.progress(None, None, 'reading ObservedProperties and Sensors')
        props, sensors = walk.map(lambda job: job(), [
            lambda: walk.related('ObservedProperties'),
            lambda: walk.related('Sensors')])
        summary = ServiceSummary()
        for things in walk.thing_batches(first):
            walk.newest_observations(things)
            walk.fill_related('ObservedProperties', things, props)
            walk.fill_related('Sensors', things, sensors)
            batch = member_records(root, things, props, sensors)
            summary.add(batch)
            sink(batch)
        walk.flush_notices()
        sink([service_record(root, root_json, summary, title=self.options.get('title'),
                             source_name=self.options.get('source_name'))])
        LOGGER.info('%s: %d records in %d requests', root,
                    1 + len(summary.things) + summary.datastreams, self.client.requests - started)
        return HarvestResult(requests=self.client.requests - started,
                             warnings=list(walker.warnings), notices=list(walker.notices),
                             complete=walker.complete)

    def _service_root(self, walker: PageWalker) -> tuple[str, dict]:
        """Find and check the service root; HarvestError if the URL is not one."""
        root = normalise_root(self.url)
        if not root.startswith(('http://', 'https://')):
            raise HarvestError(f'{self.url!r} is not an http(s) URL')
        problem = ''
        for candidate in dict.fromkeys((root_with_slash(root), self.url.strip(), root)):
            try:
                doc = walker.fetch(candidate)
            except StaHttpError as err:
                problem = f'HTTP {err.status}'
                continue
            except StaFormatError:
                problem = 'the answer is not a JSON object'
                continue
            if is_service_root(doc):
                return root, doc
            problem = 'the JSON lists no Things entity set'
        raise HarvestError(f'{root}: not a SensorThings API service root ({problem})')


class _Walk:
    """The requests of one harvest, with what the first page taught about the server."""

    def __init__(self, walker: PageWalker, root: str, stream_sets: list[str], page_size: int,
                 progress: Callable, select_ids: bool = False, workers: int = 1):
        self.walker = walker
        self.root = root_with_slash(root)
        self.stream_sets = stream_sets
        self.top = max(1, min(page_size, 10000))
        self.progress = progress
        self.select_ids = select_ids
        self.workers = workers
        self._tallies: dict[str, int] = {}

    def tally(self, template: str, count: int) -> None:
        """Count a fallback taken page after page; :meth:`flush_notices` reports the total
        once (``template`` has ``{n}`` for the count)."""
        self._tallies[template] = self._tallies.get(template, 0) + count

    def flush_notices(self) -> None:
        """One notice per fallback tallied, with its total count."""
        for template, count in self._tallies.items():
            self.walker.notice(template.format(n=count))
        self._tallies.clear()

    def map(self, func: Callable, items: list) -> list:
        """``func`` over ``items`` in order: one at a time, or with the client's bounded
        concurrency (``max_workers``) when the ``workers`` option asks for more than one."""
        if self.workers <= 1:
            return [func(item) for item in items]
        return self.walker.client.map(func, items)

    # ---- Things ----------------------------------------------------------------
    def _things_expand(self, ordering: Optional[str], nested: bool) -> str:
        """The Things ``$expand``: the path form ``Datastreams/Observations(...)`` (STA 1.0
        and 1.1) or the nested form ``Datastreams($top=N;$expand=Observations(...))`` (1.1)."""
        parts = ['Locations($top=1)']
        for name in self.stream_sets:
            newest = f'Observations($orderby={ordering} desc;$top=1)' if ordering else ''
            if not newest:
                parts.append(f'{name}($top={self.top})')
            elif nested:
                parts.append(f'{name}($top={self.top};$expand={newest})')
            else:
                parts.append(f'{name}/{newest}')
        return ','.join(parts)

    def things(self, first: dict) -> list[dict]:
        """Every Thing from the first page on, with its newest Location and its
        (Multi)Datastreams, de-duplicated."""
        total = first.get('@iot.count') if isinstance(first.get('@iot.count'), int) else None
        things: list[dict] = []
        seen: set = set()
        for page in self.walker.pages_from(first, expanded=self.stream_sets):
            for thing in page:        # a Thing repeated on the next page is kept once
                if iot_id(thing) not in seen:
                    seen.add(iot_id(thing))
                    things.append(thing)
            self.progress(len(things), total, f'{len(things)} Things fetched')
        self._fill_missing(things)
        return things

    def thing_batches(self, first: dict) -> Iterator[list[dict]]:
        """The Things page by page, each de-duplicated and with its members complete.

        A server that left most Things of the first page without their expanded members
        (one that ignores ``$expand`` on Things) is read whole first, through the
        collections (:meth:`things`), then handed out in pages; otherwise each page is
        handed out as it arrives, the few Things it lacks members of completed through
        their navigation links.
        """
        items = collection_items(first)
        bare = sum(1 for thing in items if not self._expanded(thing))
        if bare >= COLLECTION_MIN and 2 * bare >= len(items):
            things = self.things(first)
            for start in range(0, len(things), self.top):
                yield things[start:start + self.top]
            return
        total = first.get('@iot.count') if isinstance(first.get('@iot.count'), int) else None
        seen: set = set()
        for page in self.walker.pages_from(first, expanded=self.stream_sets):
            fresh = []
            for thing in page:        # a Thing repeated on the next page is kept once
                if iot_id(thing) not in seen:
                    seen.add(iot_id(thing))
                    fresh.append(thing)
            self._fill_from_navigation(fresh)
            self.progress(len(seen), total, f'{len(seen)} Things fetched')
            yield fresh

    def first_things_page(self) -> dict:
        """The first Things page, trying the richest query form first (detected once)."""
        last: Optional[StaHttpError] = None
        variants = [(o, nested) for nested in (False, True) for o in ORDERINGS] + [(None, False)]
        for ordering, nested in variants:
            try:
                doc = self._with_page_size(lambda: self.walker.fetch(
                    self.root + 'Things', {'$top': str(self.top), '$count': 'true',
                                           '$expand': self._things_expand(ordering, nested)}))
            except StaHttpError as err:
                if err.status not in PROBE_STATUSES:
                    raise
                LOGGER.info('%sThings: the server refused an $expand form (HTTP %s)',
                            self.root, err.status)
                last = err
                continue
            return doc
        try:   # a server without $expand: plain pages, navigation links later
            return self._with_page_size(lambda: self.walker.fetch(
                self.root + 'Things', {'$top': str(self.top)}))
        except StaHttpError as err:
            raise HarvestError(f'{err} (also {last.status} with $expand)' if last else str(err)) \
                from None

    def _with_page_size(self, fetch: Callable[[], dict]) -> dict:
        """Run ``fetch``; lower ``$top`` to the cap the server names when it refuses one
        (HTTP 400/422 saying e.g. "less than or equal to 100")."""
        while True:
            try:
                return fetch()
            except StaHttpError as err:
                cap = _CAP.search(err.body) if err.status in (400, 422) else None
                new = int(cap.group(1)) if cap and 'top' in err.body.lower() else 0
                if not 1 <= new < self.top:
                    raise
                LOGGER.info('%s: $top=%d refused, using %d', self.root, self.top, new)
                self.top = new

    def _fill_missing(self, things: list[dict]) -> None:
        """Complete Things a server left without expanded members: through the collections
        (a few pages of ``Datastreams?$expand=Thing,...`` and ``Locations?$expand=Things``)
        when most Things lack them (a server that ignores ``$expand`` on Things), then
        through each Thing's navigation links for whatever is still missing."""
        missing = [t for t in things if not self._expanded(t)]
        if len(missing) >= COLLECTION_MIN and 2 * len(missing) >= len(things):
            self._fill_from_collections(missing)
        self._fill_from_navigation([t for t in missing if not self._expanded(t)])

    def _expanded(self, thing: dict) -> bool:
        return all(isinstance(thing.get(k), list) for k in ('Locations', *self.stream_sets))

    def _fill_from_collections(self, things: list[dict]) -> None:
        """Give Things their (Multi)Datastreams and newest Location from the collections,
        each read once with the inverse expansion; a form the server refuses or ignores
        leaves the Things for :meth:`_fill_from_navigation`."""
        filled = []
        for name in self.stream_sets:
            grouped = self._streams_by_thing(name)
            if grouped is not None:
                filled.append(name)
                for thing in things:
                    if not isinstance(thing.get(name), list):
                        thing[name] = dedupe(grouped.get(iot_id(thing), []))
        located = self._locations_by_thing()
        if located is not None:
            filled.append('Locations')
            for thing in things:
                if not isinstance(thing.get('Locations'), list):
                    thing['Locations'] = located.get(iot_id(thing), [])[:1]
        if filled:
            self.walker.notice(f'{len(things)} Things without expanded members: read through '
                               f'the {", ".join(filled)} collections')

    def _first_expanded_page(self, entity_set: str, expand: str, key: str, kind: type):
        """The first page of ``entity_set?$expand=expand``, or None when the server refuses
        the form or ignores it (an entity without ``key`` of type ``kind``)."""
        try:
            first = self.walker.fetch(self.root + entity_set,
                                      {'$top': str(self.top), '$expand': expand})
        except StaHttpError as err:
            if err.status not in PROBE_STATUSES:
                raise
            return None
        items = collection_items(first)
        if not all(isinstance(item.get(key), kind) for item in items):
            return None
        return first

    def _streams_by_thing(self, name: str) -> Optional[dict[str, list[dict]]]:
        """Thing id -> its streams of set ``name``, from ``<name>?$expand=Thing,Sensor,
        ObservedProperty`` (the streams keep their expanded Sensor and ObservedProperty);
        None when the server will not tell (see :meth:`_thing_expansion_is_right`)."""
        props = 'ObservedProperties' if STREAM_SETS[name] else 'ObservedProperty'
        first = self._first_expanded_page(name, f'Thing,Sensor,{props}', 'Thing', dict)
        if first is None or not self._thing_expansion_is_right(name, collection_items(first)):
            return None
        grouped: dict[str, list[dict]] = {}
        expanded = (props,) if STREAM_SETS[name] else ()
        for page in self.walker.pages_from(first, expanded=expanded):
            for stream in page:
                thing = stream.pop('Thing', None)
                if not isinstance(thing, dict):
                    return None          # a later page without the expansion: walk each Thing
                grouped.setdefault(iot_id(thing), []).append(stream)
        return grouped

    def _thing_expansion_is_right(self, name: str, streams: list[dict]) -> bool:
        """Some servers expand a to-one relation of a collection wrongly (every entity of a
        page gets the same one): check the first and last stream of the page against
        their ``Thing`` navigation links (two requests)."""
        for index in dict.fromkeys((0, len(streams) - 1)) if streams else ():
            entity = streams[index]
            doc = self.walker.fetch(navigation_link(self.root, entity, 'Thing', name))
            if iot_id(doc) != iot_id(entity['Thing']):
                LOGGER.info('%s%s: $expand=Thing names the wrong Thing; not used',
                            self.root, name)
                return False
        return True

    def _locations_by_thing(self) -> Optional[dict[str, list[dict]]]:
        """Thing id -> its Locations, from ``Locations?$expand=Things``; None when the server
        refuses or ignores that form."""
        first = self._first_expanded_page('Locations', 'Things', 'Things', list)
        if first is None:
            return None
        located: dict[str, list[dict]] = {}
        for page in self.walker.pages_from(first, expanded=('Things',)):
            for location in page:
                bare = {k: v for k, v in location.items() if not k.startswith('Things')}
                for thing in location.get('Things') or []:
                    located.setdefault(iot_id(thing), []).append(bare)
        return located

    def _fill_from_navigation(self, things: list[dict]) -> None:
        """Fetch through navigation links what a server left out of the expansion."""
        def fill(thing: dict) -> None:
            if not isinstance(thing.get('Locations'), list):
                link = navigation_link(self.root, thing, 'Locations', 'Things')
                doc = self.walker.fetch(link, {'$top': '1'})
                thing['Locations'] = collection_items(doc)
            for name in self.stream_sets:
                if not isinstance(thing.get(name), list):
                    link = navigation_link(self.root, thing, name, 'Things')
                    pages = self.walker.walk(link, {'$top': str(self.top)})
                    thing[name] = dedupe(e for page in pages for e in page)
        missing = [t for t in things if not self._expanded(t)]
        if missing:
            self.tally('{n} Things without expanded members: fetched through navigation links',
                       len(missing))
            self.map(fill, missing)

    # ---- newest observation ------------------------------------------------------
    def newest_observations(self, things: list[dict]) -> None:
        """Ask for the newest Observation of each stream the Things expansion left without one."""
        todo = [(name, s) for t in things for name in self.stream_sets for s in t.get(name) or []
                if not isinstance(s.get('Observations'), list) and not s.get('phenomenonTime')]
        if not todo:
            return
        orderings = list(ORDERINGS)

        def newest(item) -> None:
            name, stream = item
            link = navigation_link(self.root, stream, 'Observations', name)
            while True:
                try:
                    doc = self.walker.fetch(link, {'$orderby': f'{orderings[0]} desc', '$top': '1'})
                except StaHttpError as err:
                    if err.status in PROBE_STATUSES and len(orderings) > 1:
                        orderings.pop(0)      # detected on the first stream, then used by all
                        continue
                    raise
                stream['Observations'] = collection_items(doc)
                return
        newest(todo[0])
        self.map(newest, todo[1:])

    # ---- ObservedProperties and Sensors ------------------------------------------
    def related(self, entity_set: str) -> dict[tuple[str, str], list[dict]]:
        """(stream set, stream id) -> its ObservedProperty(ies) or Sensor, through the inverse
        direction ``<entity_set>?$expand=Datastreams($top=N)``."""
        found: dict[tuple[str, str], list[dict]] = {}
        select = '$select=id;' if self.select_ids else ''
        expand = ','.join(f'{name}({select}$top={self.top})' for name in self.stream_sets)
        try:    # only the first page may be refused: a later failure is a failed harvest
            first = self.walker.fetch(self.root + entity_set,
                                      {'$top': str(self.top), '$expand': expand})
        except StaHttpError as err:
            if err.status not in PROBE_STATUSES:
                raise
            self.walker.notice(f'{entity_set} with $expand refused (HTTP {err.status}): '
                             'asking each Datastream')
            return found
        for page in self.walker.pages_from(first, expanded=self.stream_sets, keep=_id_only):
            for entity in page:
                bare = {k: v for k, v in entity.items()
                        if not k.startswith(tuple(self.stream_sets))}
                for name in self.stream_sets:
                    for stream in entity.get(name) or []:
                        found.setdefault((name, iot_id(stream)), []).append(bare)
        return found

    def fill_related(self, entity_set: str, things: list[dict], found: dict) -> None:
        """Ask each stream the inverse walk left out for its ObservedProperty or Sensor."""
        target = {'ObservedProperties': {'Datastreams': 'ObservedProperty',
                                         'MultiDatastreams': 'ObservedProperties'},
                  'Sensors': {'Datastreams': 'Sensor', 'MultiDatastreams': 'Sensor'}}[entity_set]
        missing = [(name, s) for t in things for name in self.stream_sets for s in t.get(name) or []
                   if (name, iot_id(s)) not in found
                   and not isinstance(s.get(target[name]), (dict, list))]   # expanded already
        if not missing:
            return
        self.tally(f'{{n}} streams not listed under {entity_set}: asked one by one',
                   len(missing))

        def ask(item) -> None:
            name, stream = item
            nav = target[name]
            link = navigation_link(self.root, stream, nav, name)
            try:
                doc = self.walker.fetch(link)
            except StaHttpError as err:
                if err.status == 404:     # a stream without one
                    return
                raise
            found[(name, iot_id(stream))] = collection_items(doc) if 'value' in doc else [doc]
        self.map(ask, missing)


def _id_only(entity: dict) -> dict:
    """An entity reduced to its id (an ObservedProperty may list thousands of Datastreams)."""
    return {'@iot.id': iot_id(entity)}


def member_records(root: str, things: list[dict], props: dict, sensors: dict) -> list:
    """The records of some Things of a walked service: each Thing, then its streams, in a
    stable order (by ``@iot.id``). The ObservedProperties and Sensors used are dropped
    from ``props`` and ``sensors`` (each stream belongs to one Thing)."""
    members = []
    for thing in sorted(things, key=lambda t: str(iot_id(t))):
        members.append(thing_record(root, thing))
        for name, multi in STREAM_SETS.items():
            for stream in sorted(thing.get(name) or [], key=lambda s: str(iot_id(s))):
                key = (name, iot_id(stream))
                sensor = (sensors.pop(key, None) or [None])[0]
                prop = props.pop(key, None)
                if multi:
                    members.append(multidatastream_record(root, stream, thing, prop, sensor))
                else:
                    members.append(datastream_record(root, stream, thing, (prop or [None])[0],
                                                     sensor))
    return members


def build_records(root: str, root_json: dict, things: list[dict], props: dict, sensors: dict,
                  title: Optional[str] = None, source_name: Optional[str] = None) -> list:
    """All records of a walked service: the service first, then each Thing and its streams,
    in a stable order (by ``@iot.id``); ``source_name`` names the service in its title."""
    members = member_records(root, things, dict(props), dict(sensors))
    return [service_record(root, root_json, members, title=title,
                           source_name=source_name)] + members
