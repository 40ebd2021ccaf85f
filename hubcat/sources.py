"""The source registry: the STA and SOS services HubCat harvests."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import urlparse

from sqlalchemy import delete, insert, select, update

from hubcat.config import parse_duration
from hubcat.schedules import ScheduleError, normalise_schedule
from hubcat.db import get_engine
from hubcat.models import sources as sources_table
from hubcat.times import iso
from hubcat.url_policy import UrlPolicy, UrlRefused, check_scheme
from hubcat.urls import endpoint_key, redact_url, split_credentials


class SourceError(ValueError):
    """A source request is invalid (bad URL, unknown type, duplicate, not found)."""


class SourceNotFound(SourceError):
    """No source has that id or name."""


class SourceExists(SourceError):
    """Another source has that name, or harvests the same endpoint."""


class SourceRefused(SourceError):
    """The URL is not allowed by the harvest URL policy (scheme, deny-list, private network)."""


@dataclass
class Source:
    """One registered source."""
    id: int
    name: str
    url: str
    type: str
    options: dict = field(default_factory=dict)
    schedule: Optional[str] = None
    stale_after: Optional[int] = None  # None: the configured default
    reachable: Optional[bool] = None
    last_harvest: Optional[datetime] = None
    last_success: Optional[datetime] = None

    @property
    def display_url(self) -> str:
        """The URL as shown anywhere (API, CLI, logs): credentials replaced by ``***``."""
        return redact_url(self.url)

    def as_dict(self) -> dict:
        """JSON-ready representation (credentials in the URL are never shown)."""
        return {
            'id': self.id, 'name': self.name, 'url': self.display_url, 'type': self.type,
            'options': self.options, 'schedule': self.schedule, 'stale_after': self.stale_after,
            'reachable': self.reachable,
            'last_harvest': iso(self.last_harvest), 'last_success': iso(self.last_success),
        }


def validate_url(url: str, policy: Optional[UrlPolicy] = None) -> str:
    """The URL, stripped (otherwise exactly as given), if it is an absolute http(s) URL
    the policy allows; SourceRefused otherwise."""
    url = (url or '').strip()
    try:
        if policy is None:
            check_scheme(url)
        else:
            policy.check(url)
    except UrlRefused as err:
        raise SourceRefused(str(err)) from None
    return url


def default_name(url: str) -> str:
    """A readable name from a URL: host and path (never its credentials), punctuation folded."""
    parsed = urlparse(split_credentials(url)[0])
    text = (parsed.netloc + parsed.path).strip('/')
    return re.sub(r'[^A-Za-z0-9._-]+', '-', text).strip('-')[:200] or 'source'


def _from_row(row) -> Source:
    return Source(id=row.id, name=row.name, url=row.url, type=row.type,
                  options=json.loads(row.options or '{}'), schedule=row.schedule,
                  stale_after=row.stale_after,
                  reachable=None if row.reachable is None else bool(row.reachable),
                  last_harvest=row.last_harvest, last_success=row.last_success)


class SourceRegistry:
    """CRUD on ``hubcat_sources``.

    :param database_url: the catalogue database
    :param policy: the harvest URL policy new and changed URLs must pass (None: http(s) only)
    :param min_interval: the shortest harvest interval allowed, seconds (None: no minimum)
    """

    def __init__(self, database_url: str, policy: Optional[UrlPolicy] = None,
                 min_interval: Optional[int] = None):
        self.engine = get_engine(database_url)
        self.policy = policy
        self.min_interval = min_interval

    @classmethod
    def for_config(cls, config) -> 'SourceRegistry':
        """The registry of a configuration, with its harvest URL policy and minimum interval."""
        return cls(config.database_url, UrlPolicy.from_config(config),
                   config.scheduler_options()['min_interval'])

    def schedule(self, text: str, kind: Optional[str] = None) -> str:
        """The stored form of a schedule (``every:<s>`` / ``cron:<expr>``); SourceError when it
        is unusable or shorter than the minimum interval.

        :param kind: ``'every'`` or ``'cron'`` when the user said which; None guesses
        """
        try:
            return normalise_schedule(text, self.min_interval, kind)
        except ScheduleError as err:
            raise SourceError(str(err)) from None

    def same_endpoint(self, url: str, type: str, exclude_id: Optional[int] = None):
        """The source that harvests the same endpoint as ``url`` (compared by
        :func:`hubcat.urls.endpoint_key`), or None."""
        key = endpoint_key(url, type)
        for source in self.list():
            if source.id != exclude_id and source.type == type and \
                    endpoint_key(source.url, source.type) == key:
                return source
        return None

    def duplicates(self) -> list[list[Source]]:
        """Groups of registered sources that harvest the same endpoint (registered before
        HubCat refused that), each group in id order."""
        groups: dict[tuple, list[Source]] = {}
        for source in self.list():
            groups.setdefault((source.type, endpoint_key(source.url, source.type)), []).append(source)
        return [group for group in groups.values() if len(group) > 1]

    def _refuse_duplicate(self, url: str, type: str, exclude_id: Optional[int] = None) -> None:
        other = self.same_endpoint(url, type, exclude_id)
        if other is not None:
            raise SourceExists(f'source {other.name!r} (id {other.id}) already harvests this '
                               f'endpoint: {other.display_url}')

    def add(self, url: str, type: str, name: Optional[str] = None, schedule: Optional[str] = None,
            stale_after=None, options: Optional[dict] = None) -> Source:
        """Register a source; SourceError when the URL, type or schedule is bad or taken."""
        from harvesters.registry import UnknownSourceType, get_harvester_class
        url = validate_url(url, self.policy)
        type = (type or '').lower()
        try:
            get_harvester_class(type)
        except UnknownSourceType as err:
            raise SourceError(str(err)) from None
        name = (default_name(url) if name is None else str(name)).strip()
        stale = parse_duration(stale_after) if stale_after is not None else None
        if not name:
            raise SourceError('a source name must not be empty')
        if schedule is not None:
            schedule = self.schedule(schedule)
        self._refuse_duplicate(url, type)
        with self.engine.begin() as conn:
            clash = conn.execute(select(sources_table.c.id).where(
                sources_table.c.name == name)).first()
            if clash:
                raise SourceExists(f'a source named {name!r} exists already (id {clash.id})')
            new_id = conn.execute(insert(sources_table).values(
                name=name, url=url, type=type, options=json.dumps(options or {}),
                schedule=schedule, stale_after=stale,
                created=datetime.now(timezone.utc))).inserted_primary_key[0]
        return self.get(new_id)

    def get(self, key) -> Source:
        """A source by id (int or digits) or by name; SourceNotFound otherwise."""
        col = sources_table.c.id if str(key).isdigit() else sources_table.c.name
        value = int(key) if str(key).isdigit() else str(key)
        with self.engine.connect() as conn:
            row = conn.execute(select(sources_table).where(col == value)).first()
        if row is None:
            raise SourceNotFound(f'no source {key!r}')
        return _from_row(row)

    def list(self) -> list[Source]:
        """Every source, by id."""
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(
                select(sources_table).order_by(sources_table.c.id))]

    def update(self, key, **changes) -> Source:
        """Change name, url, schedule, stale_after or options of a source."""
        source = self.get(key)
        values = {}
        if 'name' in changes and changes['name'] is not None:
            values['name'] = str(changes['name']).strip()
            if not values['name']:
                raise SourceError('a source name must not be empty')
        if 'url' in changes and changes['url']:
            values['url'] = validate_url(changes['url'], self.policy)
            self._refuse_duplicate(values['url'], source.type, exclude_id=source.id)
        if 'schedule' in changes:
            values['schedule'] = self.schedule(changes['schedule']) \
                if changes['schedule'] else None
        if 'stale_after' in changes and changes['stale_after'] is not None:
            values['stale_after'] = parse_duration(changes['stale_after'])
        if 'options' in changes and changes['options'] is not None:
            if not isinstance(changes['options'], dict):
                raise SourceError('options must be an object')
            values['options'] = json.dumps(changes['options'])
        unknown = set(changes) - {'name', 'url', 'schedule', 'stale_after', 'options'}
        if unknown:
            raise SourceError(f'cannot change: {", ".join(sorted(unknown))}')
        if values:
            with self.engine.begin() as conn:
                conn.execute(update(sources_table).where(sources_table.c.id == source.id)
                             .values(**values))
        return self.get(source.id)

    def remove(self, key) -> Source:
        """Unregister a source (its records stay unless the caller deletes them)."""
        source = self.get(key)
        with self.engine.begin() as conn:
            conn.execute(delete(sources_table).where(sources_table.c.id == source.id))
        return source

    def record_outcome(self, source_id: int, reachable: bool, success: bool,
                       when: datetime) -> None:
        """Note the outcome of a harvest on the source."""
        values = {'reachable': int(reachable), 'last_harvest': when}
        if success:
            values['last_success'] = when
        with self.engine.begin() as conn:
            conn.execute(update(sources_table).where(sources_table.c.id == source_id)
                         .values(**values))

