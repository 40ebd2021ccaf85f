"""Matching raw observed properties to canonical ones, with documented precedence.

Of all entries that match a raw name or URI (and whose scope fits the record), the
best wins by, in this order (docs/dictionaries.md, "Precedence"):

1. source-specific over global;
2. scoped to a Thing/procedure name pattern over unscoped;
3. exact name over exact URI over URI by last path segment over regular expression;
4. a later-loaded dictionary over an earlier one, and within one file a later entry
   over an earlier one.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Iterable, Optional

from hubcat.dictionaries.model import (NAME, PATTERN, URI, CanonicalProperty, Dictionary, Entry,
                                       is_uri, last_segment, normalise_name, normalise_uri)
from hubcat.dictionaries.units import Unit, fold_aliases, parse_unit

#: kind ranks of a match (higher wins)
EXACT_NAME, EXACT_URI, URI_SEGMENT, REGEX = 3, 2, 1, 0


@dataclass(frozen=True)
class Match:
    """The winning entry for one raw value, and why it won."""
    prop: CanonicalProperty
    entry: Entry
    dictionary: str
    raw: str
    rank: tuple

    @property
    def how(self) -> str:
        """How it matched: name, uri, uri-segment or pattern."""
        return {EXACT_NAME: 'name', EXACT_URI: 'uri', URI_SEGMENT: 'uri-segment',
                REGEX: 'pattern'}[self.rank[2]]


@dataclass(frozen=True)
class _Candidate:
    entry: Entry
    dictionary: str
    order: tuple   # (dictionary position, entry position)


class Matcher:
    """Compiled dictionaries, in load order (the first is the oldest).

    :param dictionaries: dictionaries oldest first (the built-in default first)
    """

    def __init__(self, dictionaries: Iterable[Dictionary]):
        self.dictionaries = list(dictionaries)
        self.names: dict[str, list[_Candidate]] = {}
        self.uris: dict[str, list[_Candidate]] = {}
        self.segments: dict[str, list[_Candidate]] = {}
        self.patterns: list[tuple[re.Pattern, _Candidate]] = []
        self.units: dict[str, str] = {}
        for d_pos, dictionary in enumerate(self.dictionaries):
            self.units.update(dictionary.units)
            for e_pos, entry in enumerate(dictionary.entries):
                cand = _Candidate(entry, dictionary.name, (d_pos, e_pos))
                if entry.kind == NAME:
                    self.names.setdefault(normalise_name(entry.value), []).append(cand)
                elif entry.kind == URI:
                    self.uris.setdefault(normalise_uri(entry.value), []).append(cand)
                    segment = last_segment(entry.value)
                    if segment:
                        self.segments.setdefault(normalise_name(segment), []).append(cand)
                elif entry.kind == PATTERN:
                    self.patterns.append((re.compile(entry.value, re.IGNORECASE), cand))
        self.folded_units = fold_aliases(self.units)
        self._unit_cache: dict[tuple, Optional[Unit]] = {}

    def unit(self, texts: Iterable[Optional[str]]) -> Optional[Unit]:
        """The first of ``texts`` that parses as a unit (with these dictionaries'
        spellings), remembered: a harvest meets the same few units again and again."""
        key = tuple(texts)
        if key not in self._unit_cache:
            self._unit_cache[key] = parse_unit(key, self.folded_units)
        return self._unit_cache[key]

    def _found(self, raw: str) -> list[tuple[int, _Candidate]]:
        found = [(EXACT_NAME, c) for c in self.names.get(normalise_name(raw), [])]
        if is_uri(raw):
            found += [(EXACT_URI, c) for c in self.uris.get(normalise_uri(raw), [])]
            segment = last_segment(raw)
            if segment:
                key = normalise_name(segment)
                found += [(URI_SEGMENT, c) for c in self.segments.get(key, [])]
                found += [(URI_SEGMENT, c) for c in self.names.get(key, [])]
        found += [(REGEX, c) for pattern, c in self.patterns if pattern.search(raw)]
        return found

    def match(self, raws: Iterable[Optional[str]], source_keys: Iterable[str] = (),
              thing_names: Iterable[str] = ()) -> Optional[Match]:
        """The best entry for any of ``raws`` (a property's name and definition URI).

        :param source_keys: the record's source name and id (an entry scoped to a
            source applies when its source is one of them, case-insensitive)
        :param thing_names: the record's Thing or procedure names (for ``things`` globs)
        """
        keys = {str(k).casefold() for k in source_keys if k is not None}
        things = [t for t in thing_names if t]
        best: Optional[Match] = None
        for raw in raws:
            if not raw or not str(raw).strip():
                continue
            raw = str(raw).strip()
            for kind_rank, cand in self._found(raw):
                entry = cand.entry
                if entry.source and entry.source.casefold() not in keys:
                    continue
                if entry.things and not any(fnmatch.fnmatchcase(t.casefold(),
                                                                entry.things.casefold())
                                            for t in things):
                    continue
                rank = (bool(entry.source), bool(entry.things), kind_rank, *cand.order)
                if best is None or rank > best.rank:
                    best = Match(entry.prop, entry, cand.dictionary, raw, rank)
        return best
