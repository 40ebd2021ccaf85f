"""Units of measurement: raw unit texts -> a canonical UCUM code, a label and a dimension.

Parsing is done by maintained libraries, not by tables written here: ``ucumvert``
(a UCUM grammar on ``lark``) reads UCUM codes, ``pint`` (which ucumvert builds on)
reads common non-UCUM spellings such as ``degC`` or ``metre``. Dictionaries add
spellings neither knows (``units:`` in a dictionary file: ``°C`` -> ``Cel``).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from hubcat.dictionaries.model import is_uri, last_segment

LOGGER = logging.getLogger(__name__)
_LOCK = threading.Lock()
_REGISTRY = None


@dataclass(frozen=True)
class Unit:
    """A parsed unit.

    :param code: the canonical UCUM code ('' when only pint could read it)
    :param label: what users read (``°C``, ``°F``, ``m/s``, ``µg/m³``)
    :param dimension: pint's dimensionality as text (``[temperature]``)
    """
    code: str
    label: str
    dimension: str


def registry():
    """The process-wide UCUM-aware pint registry (built once; it takes about a second)."""
    global _REGISTRY
    with _LOCK:
        if _REGISTRY is None:
            from ucumvert import PintUcumRegistry
            _REGISTRY = PintUcumRegistry()
        return _REGISTRY


def _label(units, fallback: str) -> str:
    text = f'{units:~P}'
    return fallback if not text or '_' in text else text


@lru_cache(maxsize=4096)
def parse_ucum(code: str) -> Optional[Unit]:
    """A UCUM code -> :class:`Unit`, or None when it is not valid UCUM."""
    code = (code or '').strip()
    if not code:
        return None
    try:
        quantity = registry().from_ucum(code)
    except Exception:  # noqa: BLE001 - ucumvert raises several kinds for invalid codes
        return None
    units = quantity.units
    return Unit(code=code, label=_label(units, code), dimension=str(units.dimensionality))


@lru_cache(maxsize=4096)
def _parse_pint(text: str) -> Optional[Unit]:
    ureg = registry()
    try:
        units = ureg.parse_units(text.strip().replace(' ', '_'))
    except Exception:  # noqa: BLE001 - pint raises several kinds for unknown units
        return None
    compact = f'{units:~C}'.replace('µ', 'u').replace('**', '').replace('*', '.')
    ucum = parse_ucum(compact)
    if ucum is not None and ucum.dimension == str(units.dimensionality):
        return ucum
    return Unit(code='', label=_label(units, text.strip()), dimension=str(units.dimensionality))


def _candidates(raw: str) -> list[str]:
    raw = raw.strip()
    found = [raw]
    if is_uri(raw):
        segment = last_segment(raw)
        if segment:
            found.append(segment)
    return found


class FoldedAliases(dict):
    """Unit spellings, case-folded -> UCUM code (see :func:`fold_aliases`)."""


def fold_aliases(aliases: dict[str, str]) -> FoldedAliases:
    """Dictionary unit spellings made ready for :func:`parse_unit` (fold once, use often)."""
    return FoldedAliases((k.casefold(), v) for k, v in aliases.items())


def parse_unit(texts: Iterable[Optional[str]], aliases: Optional[dict[str, str]] = None
               ) -> Optional[Unit]:
    """The first of ``texts`` (symbol, name, definition URI, ...) that parses.

    Each text is tried as a dictionary spelling (``aliases``, case-insensitive), then
    as UCUM, then as a pint unit; URIs are also tried by their last segment
    (``http://qudt.org/vocab/unit/DEG_C`` -> ``DEG_C``).
    """
    folded = aliases if isinstance(aliases, FoldedAliases) else fold_aliases(aliases or {})
    for text in texts:
        if not text or not str(text).strip():
            continue
        for candidate in _candidates(str(text)):
            alias = folded.get(candidate.casefold())
            unit = parse_ucum(alias) if alias else None
            unit = unit or parse_ucum(candidate) or (None if is_uri(candidate)
                                                     else _parse_pint(candidate))
            if unit is not None:
                return unit
    return None


def dimension_of(code: str) -> Optional[str]:
    """The dimension of a UCUM code, None when it does not parse."""
    unit = parse_ucum(code)
    return unit.dimension if unit else None


def compatible(unit: Unit, codes: Iterable[str]) -> bool:
    """True when ``unit`` has the dimension of one of the UCUM ``codes`` (or none is
    given or parses: nothing to contradict)."""
    dims = {d for d in (dimension_of(c) for c in codes if c) if d is not None}
    return not dims or unit.dimension in dims
