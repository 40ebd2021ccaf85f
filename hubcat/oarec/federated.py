"""A federated search as OGC API - Records Part 4 (Federated Search, draft) JSON (pure).

The draft (``opengeospatial/ogcapi-records``, ``extensions/federated-search``) adds the
query parameter ``distributedSearch=true`` to an items search and answers, besides the
records, ``federatedSearchResults``: an object with ``"type": "FederatedSearchResults"``
and one member per catalogue, keyed by its id, that is either the catalogue's
FeatureCollection with ``elapsedTime`` or its ``exceptionReport``.  HubCat answers:

* ``features``, ``numberMatched``, ``numberReturned``: the merged page (duplicates by
  identifier removed, the first kept; as the federated CSW endpoint merges);
* ``federatedSearchResults.<catalogue>``: ``id``, ``title``, ``catalogURL`` (credentials
  redacted), ``status`` (``success`` or ``exception``), ``elapsedTime`` (milliseconds),
  and either ``numberMatched``/``numberReturned``/``features`` (the catalogue's own page at
  the same offset) or ``exceptionReport`` (``type``, ``title``, ``status``, ``detail``: the
  OGC API exception of the draft's schema).
"""
from __future__ import annotations

from typing import Callable, Optional

from hubcat.federation.peer_client import OK, TIMEOUT
from hubcat.oarec.params import ParameterError
from hubcat.times import iso, utcnow
from hubcat.urls import redact_text, redact_url

SUCCESS, EXCEPTION = 'success', 'exception'
#: the query parameters of the draft that HubCat reads
PARAMETERS = ('distributedSearch', 'federatedCatalogs')
#: the exceptionReport ``type`` of a catalogue that failed, by HubCat's peer status
EXCEPTION_TYPE = 'urn:hubcat:def:peer-status:'
_EXCEPTIONS = {TIMEOUT: ('The catalogue did not answer in time', 504)}
_FAILED = ('The catalogue failed', 502)


def distributed(args) -> bool:
    """The ``distributedSearch`` parameter: ``true`` or ``false`` (any case), default false.

    :raises ParameterError: for any other value
    """
    given = _arg(args, 'distributedSearch')
    value = (given or 'false').strip().lower()
    if value not in ('true', 'false'):
        raise ParameterError('distributedSearch',
                             f'distributedSearch must be true or false, got {given!r}')
    return value == 'true'


def chosen_peers(args, peers: list) -> list:
    """The peers ``federatedCatalogs`` (comma-separated peer names) names; all when absent.

    :raises ParameterError: naming a catalogue that is not a peer
    """
    text = _arg(args, 'federatedCatalogs') or ''
    names = [n.strip() for n in text.split(',') if n.strip()]
    if not names:
        return list(peers)
    known = {p.name for p in peers}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError('federatedCatalogs', f'no peer catalogue {", ".join(unknown)}; '
                             f'peers: {", ".join(sorted(known)) or "none"}')
    return [p for p in peers if p.name in names]


def _arg(args, name: str) -> Optional[str]:
    """A parameter by its name, or by its lower-cased name (``/api/search`` lower-cases)."""
    value = args.get(name)
    return args.get(name.lower()) if value is None else value


def elapsed_ms(answer) -> int:
    """The catalogue's time in whole milliseconds."""
    return max(int(round(answer.elapsed * 1000)), 0)


def exception_report(answer) -> dict:
    """The OGC API exception of a catalogue that failed or timed out (no credentials)."""
    title, status = _EXCEPTIONS.get(answer.status, _FAILED)
    return {'type': EXCEPTION_TYPE + answer.status, 'title': title, 'status': status,
            'detail': redact_text(answer.reason) or answer.status}


def catalogue_result(answer, title: str, page: list) -> dict:
    """One member of ``federatedSearchResults``: the catalogue's page, or its exception.

    :param page: the features of the catalogue's own page (its records at the offset)
    """
    entry = {'id': answer.peer.name, 'title': title,
             'catalogURL': redact_url(answer.peer.url)}
    if answer.status != OK:
        return dict(entry, status=EXCEPTION, elapsedTime=elapsed_ms(answer),
                    exceptionReport=exception_report(answer))
    return dict(entry, type='FeatureCollection', status=SUCCESS,
                elapsedTime=elapsed_ms(answer), numberMatched=answer.matched,
                numberReturned=len(page), features=page)


def federated_document(merged, answers: list, feature: Callable[[object], dict],
                       titles: dict, offset: int, limit: int,
                       links: Optional[list] = None) -> dict:
    """The items response of a distributed search.

    :param merged: the merged page (:class:`hubcat.federation.fanout.MergedResult`)
    :param answers: every catalogue's :class:`~hubcat.federation.peer_client.PeerAnswer`
    :param feature: PeerRecord -> GeoJSON feature (called once per record)
    :param titles: catalogue id -> title (the id when missing)
    :param offset: the page's offset (each catalogue's own page starts there too)
    :param limit: the page size
    """
    rendered: dict = {}

    def as_feature(record) -> dict:
        if id(record) not in rendered:
            rendered[id(record)] = feature(record)
        return rendered[id(record)]

    features = [as_feature(r) for r in merged.records]
    results: dict = {'type': 'FederatedSearchResults'}
    for answer in answers:
        results[answer.peer.name] = catalogue_result(
            answer, titles.get(answer.peer.name, answer.peer.name),
            [as_feature(r) for r in answer.records[offset:offset + limit]])
    return {
        'type': 'FeatureCollection',
        'numberMatched': merged.matched,
        'numberReturned': len(features),
        'duplicates': merged.duplicates,
        'timeStamp': iso(utcnow()),
        'features': features,
        'links': links or [],
        'federatedSearchResults': results,
    }
