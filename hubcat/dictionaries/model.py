"""The dictionary model: canonical properties, the entries that map raw names to them,
and the dictionaries that hold both.

A :class:`Dictionary` is what one file (YAML, CSV or SSSOM) loads into: a name, an
optional source scope, unit spellings (raw spelling -> UCUM code) and :class:`Entry`
objects, each mapping one raw name, URI or regular expression to a
:class:`CanonicalProperty`.  Everything here is plain data with JSON round trips, so the
store keeps a dictionary as one JSON document.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Optional

NAME, URI, PATTERN = 'name', 'uri', 'pattern'
ENTRY_KINDS = (NAME, URI, PATTERN)

_IGNORED = re.compile(r'[\s_\-]+')
_URI_LIKE = re.compile(r'^(?:[a-z][a-z0-9+.\-]*://|urn:)', re.IGNORECASE)


class DictionaryError(ValueError):
    """A dictionary that cannot be read or used (bad file, bad entry, unknown name)."""


def normalise_name(raw: str) -> str:
    """The key a raw name is compared by: case-folded, without spaces, ``_`` or ``-``.

    ``'Air Temperature'``, ``'air_temperature'`` and ``'AirTemperature'`` give one key.
    """
    return _IGNORED.sub('', str(raw).casefold())


def is_uri(raw: str) -> bool:
    """True for ``scheme://...`` URLs and ``urn:`` URNs."""
    return bool(_URI_LIKE.match(str(raw).strip()))


def normalise_uri(raw: str) -> str:
    """The key a URI is compared by exactly: http/https alike, no trailing ``/`` or ``#``,
    case-folded scheme and host (the path is kept as it is, but case-folded for URNs)."""
    text = str(raw).strip().rstrip('/#')
    if text.lower().startswith('urn:'):
        return text.casefold()
    text = re.sub(r'^https?://', 'http://', text, flags=re.IGNORECASE)
    head, sep, rest = text.partition('://')
    host, slash, path = rest.partition('/')
    return f'{head.lower()}{sep}{host.lower()}{slash}{path}'


def last_segment(raw: str) -> str:
    """The last path segment of a URI (after ``/``, ``#`` or, for URNs, ``:``); '' if none."""
    text = str(raw).strip().rstrip('/#')
    if not is_uri(text):
        return ''
    if text.lower().startswith('urn:'):
        return text.rsplit(':', 1)[-1]
    head, _, rest = text.partition('://')
    if '/' not in rest and '#' not in rest:
        return ''
    return re.split(r'[/#]', rest)[-1]


@dataclass(frozen=True)
class CanonicalProperty:
    """What a raw observed property means.

    :param key: short id within its dictionary (``air_temperature``)
    :param label: the canonical label users search for (``Air temperature``)
    :param uri: a CF standard name, NERC P01/P07 or QUDT quantity kind URI
    :param unit: the canonical unit as a UCUM code (``Cel``); its dimension is what
        a record's unit must have
    :param also_units: further UCUM codes of other dimensions that are fine too
        (a gas in ``[ppm]`` or in ``mg/m3``)
    :param synonyms: other words for it; matched as names and added to free text
    """
    key: str
    label: str
    uri: str = ''
    description: str = ''
    unit: str = ''
    also_units: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        data = asdict(self)
        data['also_units'] = list(self.also_units)
        data['synonyms'] = list(self.synonyms)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> 'CanonicalProperty':
        """Rebuild from :meth:`to_dict` output."""
        return cls(key=data['key'], label=data['label'], uri=data.get('uri') or '',
                   description=data.get('description') or '', unit=data.get('unit') or '',
                   also_units=tuple(data.get('also_units') or ()),
                   synonyms=tuple(data.get('synonyms') or ()))


@dataclass(frozen=True)
class Entry:
    """One raw name, URI or regular expression mapped to a canonical property.

    :param kind: ``name`` (exact, case- and space-insensitive), ``uri`` (exact, or by
        last path segment) or ``pattern`` (a Python regular expression, searched,
        case-insensitive)
    :param source: only for the source of this name (or id); None: every source
    :param things: only for records whose Thing/procedure name matches this glob
        (``WS-*``, case-insensitive); None: every record
    :param source_unit: the unit the source means (a UCUM code or a spelling);
        replaces the unit the source states
    """
    kind: str
    value: str
    prop: CanonicalProperty
    source: Optional[str] = None
    things: Optional[str] = None
    source_unit: Optional[str] = None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {'kind': self.kind, 'value': self.value, 'property': self.prop.to_dict(),
                'source': self.source, 'things': self.things, 'source_unit': self.source_unit}

    @classmethod
    def from_dict(cls, data: dict) -> 'Entry':
        """Rebuild from :meth:`to_dict` output."""
        return cls(kind=data['kind'], value=data['value'],
                   prop=CanonicalProperty.from_dict(data['property']),
                   source=data.get('source'), things=data.get('things'),
                   source_unit=data.get('source_unit'))


@dataclass
class Dictionary:
    """A named set of entries, global or scoped to one source.

    :param source: the source (name or id) every entry of this dictionary is for;
        None: global (an entry may still name its own source)
    :param units: unit spellings -> UCUM code (``{'degC': 'Cel', '°F': '[degF]'}``)
    :param fmt: the format it was read from (yaml, csv, sssom, builtin)
    """
    name: str
    entries: list[Entry] = field(default_factory=list)
    description: str = ''
    source: Optional[str] = None
    units: dict[str, str] = field(default_factory=dict)
    fmt: str = 'yaml'

    @property
    def properties(self) -> list[CanonicalProperty]:
        """The distinct canonical properties its entries map to, in order."""
        seen: dict[tuple, CanonicalProperty] = {}
        for entry in self.entries:
            seen.setdefault((entry.prop.label, entry.prop.uri), entry.prop)
        return list(seen.values())

    def scoped(self, source: Optional[str]) -> 'Dictionary':
        """This dictionary with every entry scoped to ``source`` (None: unchanged)."""
        if not source:
            return self
        entries = [Entry(e.kind, e.value, e.prop, source, e.things, e.source_unit)
                   for e in self.entries]
        return Dictionary(self.name, entries, self.description, source, dict(self.units), self.fmt)

    def to_dict(self) -> dict:
        """JSON-ready dict (what the store keeps)."""
        return {'name': self.name, 'description': self.description, 'source': self.source,
                'units': dict(self.units), 'format': self.fmt,
                'entries': [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, data: dict) -> 'Dictionary':
        """Rebuild from :meth:`to_dict` output."""
        return cls(name=data['name'], description=data.get('description') or '',
                   source=data.get('source'), units=dict(data.get('units') or {}),
                   fmt=data.get('format') or 'yaml',
                   entries=[Entry.from_dict(e) for e in data.get('entries') or []])
