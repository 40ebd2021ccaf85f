"""Harvest schedules as users write them (``15m``, ``*/10 * * * *``) and as HubCat stores
them (``every:<seconds>``, ``cron:<expr>``), with errors that say what is wrong."""
from __future__ import annotations

import re
from typing import Optional

from hubcat.config import parse_duration

#: APScheduler's CronTrigger argument, the name users know, the values it takes
CRON_FIELDS = (('minute', 'minute', '0-59'), ('hour', 'hour', '0-23'),
               ('day', 'day-of-month', '1-31'), ('month', 'month', '1-12 or jan-dec'),
               ('day_of_week', 'day-of-week', '0-6 or mon-sun'))
_INTERVAL = re.compile(r'^\d+(?:\.\d+)?\s*[smhdw]$', re.IGNORECASE)
_NUMBER = re.compile(r'^\d+(?:\.\d+)?$')
_APS_PREFIX = re.compile(r"^Error validating expression '[^']*': ")


class ScheduleError(ValueError):
    """A schedule HubCat cannot use; the message says why and what to write instead."""


def describe_seconds(seconds: int) -> str:
    """``90`` -> ``'90s'``, ``60`` -> ``'1m'``, ``7200`` -> ``'2h'`` (the largest whole unit)."""
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds % size == 0:
            return f'{seconds // size}{unit}'
    return f'{seconds}s'


def parse_interval(text: str) -> int:
    """Seconds of an interval with its unit (``90s``, ``15m``, ``1h``, ``2d``, ``1w``).

    :raises ScheduleError: without a unit (``15`` could be seconds or minutes) or unreadable
    """
    value = str(text).strip()
    if _NUMBER.match(value):
        raise ScheduleError(f'a harvest interval needs a unit: {value!r} (write {value}m for '
                            f'minutes, {value}s, {value}h or {value}d)')
    if not _INTERVAL.match(value):
        raise ScheduleError(f'not a duration: {value!r} (use e.g. 90s, 15m, 1h, 2d)')
    try:
        return parse_duration(value)
    except ValueError as err:
        raise ScheduleError(str(err)) from None


def parse_cron(expr: str) -> str:
    """The cron expression (5 fields: minute hour day-of-month month day-of-week, UTC), checked.

    :raises ScheduleError: naming the field that is wrong and the values it takes
    """
    from apscheduler.triggers.cron import CronTrigger
    expr = ' '.join(str(expr).split())
    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(f'not a cron expression: {expr!r} has {len(fields)} field'
                            f'{"s" if len(fields) != 1 else ""}; cron needs 5: minute hour '
                            'day-of-month month day-of-week (e.g. "*/10 * * * *")')
    for value, (key, label, allowed) in zip(fields, CRON_FIELDS):
        try:
            CronTrigger(timezone='UTC', **{key: value})
        except ValueError as err:
            reason = _APS_PREFIX.sub('', str(err))
            raise ScheduleError(f'not a cron expression: {expr!r}: the {label} field {value!r} '
                                f'is wrong ({reason}); it takes {allowed}') from None
    try:
        CronTrigger.from_crontab(expr, timezone='UTC')
    except ValueError as err:
        raise ScheduleError(f'not a cron expression: {expr!r} ({err})') from None
    return expr


def normalise_schedule(text: str, min_interval: Optional[int] = None,
                       kind: Optional[str] = None) -> str:
    """The stored form of a schedule: ``every:<seconds>`` or ``cron:<expr>``.

    :param text: ``15m`` (an interval needs a unit), ``*/10 * * * *``, or a stored form
    :param min_interval: the shortest interval allowed, in seconds (None: no minimum)
    :param kind: ``'every'`` or ``'cron'`` when the user said which (CLI ``--every``,
        ``--cron``); None guesses (a ``*`` or three or more fields mean cron)
    :raises ScheduleError: with what is wrong
    """
    value = str(text).strip()
    if value.startswith('cron:'):
        kind, value = 'cron', value[5:]
    elif value.startswith('every:') and value[6:].strip().isdigit():
        kind, value = 'stored', value[6:].strip()
    elif kind is None:
        kind = 'cron' if '*' in value or len(value.split()) >= 3 else 'every'
    if kind == 'cron':
        return f'cron:{parse_cron(value)}'
    seconds = int(value) if kind == 'stored' else parse_interval(value)
    if min_interval and seconds < min_interval:
        shown = describe_seconds(seconds) if kind == 'stored' else str(text).strip()
        raise ScheduleError(f'a harvest interval must be at least {describe_seconds(min_interval)} '
                            f'([hubcat:scheduler] min_interval): {shown!r}')
    return f'every:{seconds}'
