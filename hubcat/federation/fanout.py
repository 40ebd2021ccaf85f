"""Federated search: fan one CSW query out to every peer at once, then merge (pure).

* :func:`fan_out` runs one call per peer in threads and waits for each at most
  its own timeout (a wall-clock deadline; a straggler is abandoned and reported
  ``timeout``), so the search costs the slowest *answering* peer, not the sum.
* :func:`merge` is a pure function of the answers: duplicates (by identifier)
  removed and counted, the request's SortBy applied across peers, then
  startPosition/maxRecords applied to the merged list.
* :func:`federate` and :func:`distributed_search` add loop protection: the
  hopCount is decremented on every hop and a request id seen before is not
  propagated again (:class:`SeenRequests`).
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Optional

from hubcat.federation.csw_request import DEFAULT_HOP_COUNT, CswRequest, new_request_id
from hubcat.federation.peer_client import (OK, TIMEOUT, PeerAnswer, Transport, fetch_record,
                                http_transport, query_peer)
from hubcat.federation.peers import LOCAL, Peer
from hubcat.federation.record_values import value_of

LOGGER = logging.getLogger(__name__)

SKIPPED = 'skipped'


@dataclass
class MergedResult:
    """The merged answer of all peers.

    :param records: the page of records (PeerRecord, each knows its peer)
    :param matched: sum of the answering peers' matches minus the duplicates found
    :param returned: len(records)
    :param next_record: CSW nextRecord (0: no more)
    :param duplicates: records dropped because an earlier one had the same identifier
    """
    records: list = field(default_factory=list)
    matched: int = 0
    returned: int = 0
    next_record: int = 0
    duplicates: int = 0


def merge(answers: list, sort_by: list, start_position: int, max_records: int) -> MergedResult:
    """Merge peers' answers into one page (pure: the answers are not changed).

    Records keep peer order (the order of ``answers``, then each peer's own
    order) unless ``sort_by`` is given; then they are sorted by those
    properties across peers (stable; a record lacking a value sorts last).
    The first record of each identifier is kept.

    :param answers: PeerAnswer objects; only those with status ``ok`` count
    :param sort_by: ``[(property, descending), ...]`` as in the request's SortBy
    :param start_position: 1-based position of the first record to return
    :param max_records: how many records to return at most (0: count only)

    ``nextRecord`` is 0 when the page is short (the peers had no more, or a peer
    stopped paging at its deadline), so a client never loops on a position.
    """
    ok = [a for a in answers if a.status == OK]
    pool = [record for answer in ok for record in answer.records]
    if sort_by:
        pool = _sorted(pool, sort_by)
    seen, unique, duplicates = set(), [], 0
    for record in pool:
        if record.identifier is not None:
            if record.identifier in seen:
                duplicates += 1
                continue
            seen.add(record.identifier)
        unique.append(record)
    matched = max(sum(a.matched for a in ok) - duplicates, len(unique))
    page = unique[start_position - 1:start_position - 1 + max_records] if max_records else []
    returned = len(page)
    full_page = max_records > 0 and returned == max_records
    next_record = start_position + returned if full_page and start_position + returned <= matched \
        else 0
    return MergedResult(page, matched, returned, next_record, duplicates)


def _sorted(pool: list, sort_by: list) -> list:
    values = {id(r): [value_of(r.element, prop) for prop, _ in sort_by] for r in pool}

    def compare(a, b) -> int:
        for i, (_, descending) in enumerate(sort_by):
            va, vb = values[id(a)][i], values[id(b)][i]
            if va == vb:
                continue
            if va is None:
                return 1
            if vb is None:
                return -1
            order = _compare_values(va, vb)
            if order:
                return -order if descending else order
        return 0

    return sorted(pool, key=functools.cmp_to_key(compare))


def _compare_values(a: str, b: str) -> int:
    try:
        fa, fb = float(a), float(b)
        return (fa > fb) - (fa < fb)
    except ValueError:
        pass
    ka, kb = (a.casefold(), a), (b.casefold(), b)
    return (ka > kb) - (ka < kb)


def fan_out(peers: list, call: Callable[[Peer, float], PeerAnswer]) -> list:
    """Run ``call(peer, deadline)`` for every peer at once; answers in peer order.

    ``deadline`` is a ``time.monotonic()`` value: now + the peer's timeout.  A
    peer still running at its deadline is abandoned (its thread ends on its
    own socket timeout) and answered with status ``timeout``.
    """
    if not peers:
        return []
    started = time.monotonic()
    deadlines = [started + peer.timeout for peer in peers]
    pool = ThreadPoolExecutor(max_workers=len(peers), thread_name_prefix='hubcat-peer')
    futures = {pool.submit(call, peer, deadline): i
               for i, (peer, deadline) in enumerate(zip(peers, deadlines))}
    answers: list = [None] * len(peers)
    pending = set(futures)
    try:
        while pending:
            now = time.monotonic()
            for future in [f for f in pending if deadlines[futures[f]] <= now]:
                pending.discard(future)
                peer = peers[futures[future]]
                if future.done():
                    answers[futures[future]] = future.result()
                else:
                    LOGGER.warning('peer %s abandoned after %g s', peer.name, peer.timeout)
                    answers[futures[future]] = PeerAnswer(
                        peer, TIMEOUT, f'no answer within {peer.timeout:g} s',
                        elapsed=now - started)
            if not pending:
                break
            next_deadline = min(deadlines[futures[f]] for f in pending)
            done, pending = wait(pending, timeout=max(next_deadline - time.monotonic(), 0),
                                 return_when=FIRST_COMPLETED)
            for future in done:
                answers[futures[future]] = future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return answers


def federated_search(peers: list, req: CswRequest, hop_count: Optional[int], request_id: str,
                     transport: Transport = http_transport) -> tuple[MergedResult, list]:
    """Ask every peer for ``req`` at once and merge; returns (merged result, peer answers).

    Each peer is asked for ``startPosition + maxRecords - 1`` records from
    position 1 (paging through capped servers), so the merged page is right
    whatever the peers' order.  Peers of origin ``local`` are asked without a
    hop count (they answer from their own holdings).
    """
    hits_only = req.result_type == 'hits' or req.max_records == 0
    wanted = 0 if hits_only else req.start_position + req.max_records - 1

    def call(peer: Peer, deadline: float) -> PeerAnswer:
        hop = None if peer.origin == LOCAL else hop_count
        return query_peer(peer, req, wanted, deadline, hop, request_id, transport)

    answers = fan_out(peers, call)
    merged = merge(answers, req.sort_by, req.start_position, 0 if hits_only else req.max_records)
    return merged, answers


def find_record(peers: list, req: CswRequest, hop_count: Optional[int], request_id: str,
                transport: Transport = http_transport) -> tuple[Optional[object], list]:
    """GetRecordById over all peers at once: (the first record found, peer answers).

    Returns as soon as one peer has the record; peers still working then are
    reported ``skipped``; peers that found nothing are ``ok`` with 0 matched.
    Peers of origin ``local`` are asked without a hop count.
    """
    if not peers:
        return None, []
    started = time.monotonic()
    deadlines = [started + peer.timeout for peer in peers]
    pool = ThreadPoolExecutor(max_workers=len(peers), thread_name_prefix='hubcat-peer')
    futures = {pool.submit(fetch_record, peer, req, deadline,
                           None if peer.origin == LOCAL else hop_count, request_id, transport): i
               for i, (peer, deadline) in enumerate(zip(peers, deadlines))}
    answers: list = [None] * len(peers)
    found = None
    pending = set(futures)
    try:
        while pending and found is None:
            remaining = max(deadlines[futures[f]] for f in pending) - time.monotonic()
            done, pending = wait(pending, timeout=max(remaining, 0), return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in sorted(done, key=futures.get):
                answer = answers[futures[future]] = future.result()
                if found is None and answer.status == OK and answer.records:
                    found = answer.records[0]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    now = time.monotonic()
    for future in pending:
        peer = peers[futures[future]]
        status, reason = ((SKIPPED, 'record found elsewhere first') if found is not None
                          else (TIMEOUT, f'no answer within {peer.timeout:g} s'))
        answers[futures[future]] = PeerAnswer(peer, status, reason, elapsed=now - started)
    return found, answers


class SeenRequests:
    """Request ids seen recently (a TTL cache): a request seen again is not propagated.

    :param ttl: seconds an id is remembered
    :param max_size: ids kept at most (the oldest are forgotten first)
    """

    def __init__(self, ttl: float = 300.0, max_size: int = 10000):
        self.ttl, self.max_size = ttl, max_size
        self._seen: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def check_and_add(self, request_id: str) -> bool:
        """True if ``request_id`` was seen within the TTL; remembers it either way."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self.ttl
                                  or len(self._seen) > self.max_size):
                self._seen.popitem(last=False)
            seen = request_id in self._seen
            self._seen[request_id] = now
            self._seen.move_to_end(request_id)
            return seen


#: the process-wide cache used by the CSW endpoints
SEEN_REQUESTS = SeenRequests()


@dataclass
class Plan:
    """Which peers a federating endpoint asks, with what hop count and request id."""
    peers: list
    hop_count: Optional[int]
    request_id: str
    note: str = ''


def plan(req: CswRequest, peers: list, local: Optional[Peer],
         seen: SeenRequests = SEEN_REQUESTS, header_hop: Optional[int] = None,
         header_request_id: Optional[str] = None) -> Plan:
    """Decide whom to ask for a request that arrived at a federating endpoint.

    The hop count is the request's DistributedSearch hopCount, else the
    ``X-HubCat-Hop-Count`` header, else 2 (CSW's default).  A hop count of 1,
    or a request id seen before (a loop), is answered from the local
    catalogue only (``local``, or nothing); otherwise the local catalogue
    (first, so its copy of a duplicate wins) and every peer are asked, the
    peers with the hop count decremented and the same request id.
    """
    hop = req.hop_count if req.hop_count is not None else header_hop
    hop = DEFAULT_HOP_COUNT if hop is None else hop
    request_id = req.request_id or header_request_id or new_request_id()
    local_only = [local] if local is not None else []
    if hop <= 1:
        return Plan(local_only, None, request_id, 'hopCount 1: not propagated')
    if seen.check_and_add(request_id):
        LOGGER.info('request %s seen before: not propagated (loop)', request_id)
        return Plan(local_only, None, request_id, 'request id seen before: not propagated')
    return Plan(local_only + list(peers), hop - 1, request_id)


def federate(req: CswRequest, peers: list, local: Optional[Peer] = None,
             transport: Transport = http_transport, seen: SeenRequests = SEEN_REQUESTS,
             header_hop: Optional[int] = None,
             header_request_id: Optional[str] = None) -> tuple[MergedResult, list, Plan]:
    """Run a GetRecords at a federating endpoint: (merged result, peer answers, plan)."""
    chosen = plan(req, peers, local, seen, header_hop, header_request_id)
    merged, answers = federated_search(chosen.peers, req, chosen.hop_count, chosen.request_id,
                                       transport)
    return merged, answers, chosen


def lookup(req: CswRequest, peers: list, local: Optional[Peer] = None,
           transport: Transport = http_transport, seen: SeenRequests = SEEN_REQUESTS,
           header_hop: Optional[int] = None,
           header_request_id: Optional[str] = None) -> tuple[Optional[object], list, Plan]:
    """Run a GetRecordById at a federating endpoint: (record or None, peer answers, plan).

    The same loop protection as :func:`federate`, by the hop count and request
    id headers (GetRecordById carries no DistributedSearch).
    """
    chosen = plan(req, peers, local, seen, header_hop, header_request_id)
    record, answers = find_record(chosen.peers, req, chosen.hop_count, chosen.request_id,
                                  transport)
    return record, answers, chosen


def distributed_search(req: CswRequest, peers: list, local: Optional[Peer],
                       transport: Transport = http_transport,
                       seen: SeenRequests = SEEN_REQUESTS
                       ) -> Optional[tuple[MergedResult, list, Plan]]:
    """CSW DistributedSearch at the local ``/csw``; None when the local catalogue answers alone.

    Runs the federated search (peers plus ``local``, the catalogue's own
    holdings asked without DistributedSearch) only for a GetRecords whose
    DistributedSearch hopCount is above 1 and whose request id has not been
    seen; peers get hopCount - 1 and the same request id.
    """
    if req.operation != 'GetRecords' or req.hop_count is None or req.hop_count <= 1:
        return None
    chosen = plan(req, peers, local, seen)
    if chosen.hop_count is None:
        return None
    merged, answers = federated_search(chosen.peers, req, chosen.hop_count, chosen.request_id,
                                       transport)
    return merged, answers, chosen
