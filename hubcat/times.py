"""Time helpers: ISO 8601 UTC text, as HubCat stores and shows times."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

ISO_SECONDS = '%Y-%m-%dT%H:%M:%SZ'
ISO_MICROSECONDS = '%Y-%m-%dT%H:%M:%S.%fZ'


def utcnow() -> datetime:
    """Now, in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def _text(value: datetime, fraction: bool = False) -> str:
    """ISO 8601 text of an aware UTC datetime; the year always has four digits (strftime's
    ``%Y`` writes year 12 as ``12``, which no XML Schema date accepts)."""
    text = (f'{value.year:04d}-{value.month:02d}-{value.day:02d}'
            f'T{value.hour:02d}:{value.minute:02d}:{value.second:02d}')
    return text + (f'.{value.microsecond:06d}Z' if fraction else 'Z')


def iso(value: Optional[datetime]) -> Optional[str]:
    """``YYYY-MM-DDTHH:MM:SSZ`` for a datetime (naive ones are taken as UTC); None for None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return _text(value.astimezone(timezone.utc))


def parse_time(text: Optional[str]) -> Optional[datetime]:
    """A UTC-aware datetime from ISO 8601 text (Z or offset); None when absent or unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace('Z', '+00:00'))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def normalise_time(text: Optional[str], keep_fraction: bool = False) -> Optional[str]:
    """ISO 8601 text in UTC with a Z; the text unchanged when unreadable, None when empty.

    :param keep_fraction: keep sub-second digits when there are any
    """
    if not isinstance(text, str) or not text.strip():
        return None
    parsed = parse_time(text)
    if parsed is None:
        return text.strip()
    parsed = parsed.astimezone(timezone.utc)
    return _text(parsed, fraction=keep_fraction and bool(parsed.microsecond))
