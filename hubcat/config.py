"""The one place HubCat reads configuration from.

Configuration is ``pycsw.cfg`` (INI): pycsw's own sections plus HubCat's
``[hubcat]``, ``[hubcat:harvest]``, ``[hubcat:scheduler]`` and ``[hubcat:federation]``
sections.  The
file is ``$HUBCAT_CONFIG`` if set, else ``./pycsw.cfg`` if it exists, else the
built-in defaults below.  ``HUBCAT_DATABASE_URL`` overrides ``[repository]
database``; ``HUBCAT_ADMIN_TOKEN`` overrides ``[hubcat] admin_token``.
"""
from __future__ import annotations

import configparser
import copy
import os
from typing import Optional

DEFAULTS = {
    'server': {
        'url': '',  # empty: derived from each request's host
        'mimetype': 'application/xml; charset=UTF-8',
        'encoding': 'UTF-8',
        'language': 'en-US',
        'maxrecords': '100',
        'loglevel': 'WARNING',
        'pretty_print': 'true',
        'gzip_compresslevel': '0',
        'domainquerytype': 'list',
        'domaincounts': 'true',
        'profiles': 'hubcat',
    },
    'manager': {
        'transactions': 'true',
        'allowed_ips': '*',
        'csw_harvest_pagesize': '10',
    },
    'metadata:main': {
        'identification_title': 'HubCat sensor catalogue',
        'identification_abstract': 'A CSW catalogue of sensors and sensor services '
                                   '(OGC SensorThings API and Sensor Observation Service)',
        'identification_keywords': 'sensors,SensorThings,SOS,catalogue,discovery',
        'identification_keywords_type': 'theme',
        'identification_fees': 'None',
        'identification_accessconstraints': 'None',
        'provider_name': 'HubCat',
        'provider_url': 'https://github.com/hubcat/hubcat',
        'contact_name': 'HubCat operator',
        'contact_position': 'Operator',
        'contact_address': '-',
        'contact_city': '-',
        'contact_stateorprovince': '-',
        'contact_postalcode': '-',
        'contact_country': '-',
        'contact_phone': '-',
        'contact_fax': '-',
        'contact_email': 'operator@example.org',
        'contact_url': 'https://github.com/hubcat/hubcat',
        'contact_hours': '-',
        'contact_instructions': '-',
        'contact_role': 'pointOfContact',
    },
    'metadata:inspire': {'enabled': 'false'},
    'repository': {
        'database': 'sqlite:///hubcat.db',
        'table': 'records',
    },
    'hubcat': {
        'admin_token': '',
        'host': '127.0.0.1',
        'port': '8000',
        'threads': '8',   # hubcat serve: requests answered at once (waitress threads)
        'max_request_bytes': '5M',
        'default_maxrecords': '10',
        'allow_responsehandler': 'false',
        # harvest URL policy (hubcat.url_policy): private networks allowed (local testing,
        # the demo); link-local ranges (cloud metadata services) always refused
        'harvest_private_networks': 'true',
        'harvest_deny': '169.254.0.0/16, fe80::/10',
        # the task queue (hubcat.queue): empty runs harvests in-process; with a broker
        # (redis://..., amqp://...) the scheduler enqueues them and `hubcat worker` runs them
        'broker_url': '',
        'queue': 'hubcat',
        'result_backend': '',
    },
    'hubcat:harvest': {
        'timeout': '30',
        'retries': '2',
        'max_workers': '4',
        'stale_after': '24h',
        'lease': '2m',
    },
    'hubcat:scheduler': {
        'reconcile_interval': '30s',
        'max_workers': '10',
        'misfire_grace_time': '1h',
        'min_interval': '1m',   # the shortest harvest interval a source may have
    },
    'hubcat:federation': {
        'include_local': 'false',
        'default_timeout': '5',
        'peers': '',
    },
}

#: Set on every pycsw configuration HubCat hands to pycsw: HubCat's repository and profile.
FORCED = {
    'repository': {'source': 'hubcat.repository.HubCatRepository'},
}


class ConfigError(Exception):
    """The configuration file is missing, unreadable or inconsistent."""


class Config:
    """HubCat's configuration: a parsed ``pycsw.cfg`` with HubCat's overrides applied.

    :param path: config file; None means ``$HUBCAT_CONFIG``, then ``./pycsw.cfg``
    :param overrides: ``{section: {key: value}}`` applied last (tests, the demo)
    """

    def __init__(self, path: Optional[str] = None, overrides: Optional[dict] = None,
                 environ: Optional[dict] = None):
        env = os.environ if environ is None else environ
        self.path = path or env.get('HUBCAT_CONFIG') or (
            'pycsw.cfg' if os.path.exists('pycsw.cfg') else None)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(DEFAULTS)
        if self.path:
            if not os.path.exists(self.path):
                raise ConfigError(f'config file not found: {self.path}')
            try:
                with open(self.path, encoding='utf-8') as handle:
                    parser.read_file(handle)
            except (OSError, configparser.Error) as err:
                raise ConfigError(f'cannot read {self.path}: {err}') from None
        if env.get('HUBCAT_DATABASE_URL'):
            parser.set('repository', 'database', env['HUBCAT_DATABASE_URL'])
        if env.get('HUBCAT_ADMIN_TOKEN'):
            parser.set('hubcat', 'admin_token', env['HUBCAT_ADMIN_TOKEN'])
        for section, values in (overrides or {}).items():
            if not parser.has_section(section):
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, str(value))
        self.parser = parser
        self.base_dir = os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def get(self, section: str, key: str, fallback: Optional[str] = None) -> Optional[str]:
        """A raw value, or ``fallback``."""
        return self.parser.get(section, key, fallback=fallback)

    def section(self, name: str) -> dict:
        """All keys of one section as a dict (empty if the section is absent)."""
        return dict(self.parser.items(name)) if self.parser.has_section(name) else {}

    @property
    def database_url(self) -> str:
        """The catalogue database URL; relative SQLite paths resolve against the config file."""
        url = self.parser.get('repository', 'database')
        if url.startswith('sqlite:///') and not url.startswith('sqlite:////'):
            path = url[len('sqlite:///'):]
            if path and path != ':memory:':
                url = 'sqlite:///' + os.path.join(self.base_dir, path)
        return url

    @property
    def database_display(self) -> str:
        """The database URL with its password hidden (for messages and logs)."""
        from sqlalchemy.engine import make_url
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def table(self) -> str:
        """pycsw's records table name."""
        return self.parser.get('repository', 'table')

    @property
    def admin_token(self) -> str:
        """The administrator token; empty means writes are refused."""
        return (self.parser.get('hubcat', 'admin_token', fallback='') or '').strip()

    @property
    def log_level(self) -> str:
        """Logging level name from ``[server] loglevel`` (default WARNING)."""
        return (self.parser.get('server', 'loglevel', fallback='WARNING') or 'WARNING').upper()

    def harvest_options(self) -> dict:
        """Default harvest options (timeout, retries, max_workers, stale_after seconds)."""
        opts = self.section('hubcat:harvest')
        return {
            'timeout': float(opts.get('timeout', 30)),
            'retries': int(opts.get('retries', 2)),
            'max_workers': int(opts.get('max_workers', 4)),
            'stale_after': parse_duration(opts.get('stale_after', '24h')),
        }

    @property
    def lease_seconds(self) -> int:
        """``[hubcat:harvest] lease``: a harvest's source lease, renewed every quarter of it;
        a crashed harvest frees its source this long after its last heartbeat."""
        return parse_duration(self.get('hubcat:harvest', 'lease', '2m'))

    def scheduler_options(self) -> dict:
        """Scheduler settings: reconcile_interval, min_interval and misfire_grace_time (seconds;
        the grace time is None when set to 'none', i.e. a missed run always runs once),
        max_workers."""
        opts = self.section('hubcat:scheduler')
        grace = str(opts.get('misfire_grace_time', '1h')).strip().lower()
        return {
            'reconcile_interval': parse_duration(opts.get('reconcile_interval', '30s')),
            'max_workers': int(opts.get('max_workers', 10)),
            'misfire_grace_time': None if grace in ('none', '') else parse_duration(grace),
            'min_interval': parse_duration(opts.get('min_interval', '1m')),
        }

    def pycsw_config(self, url: str) -> configparser.ConfigParser:
        """A fresh pycsw ConfigParser for one request served at ``url``."""
        cfg = configparser.ConfigParser(interpolation=None)
        for section in self.parser.sections():
            if section.startswith('hubcat'):
                continue
            cfg.add_section(section)
            for key, value in self.parser.items(section):
                cfg.set(section, key, value)
        # HubCat sets up logging once per process (pycsw would add handlers per request)
        cfg.remove_option('server', 'loglevel')
        cfg.remove_option('server', 'logfile')
        cfg.set('server', 'url', self.parser.get('server', 'url') or url)
        cfg.set('repository', 'database', self.database_url)
        for section, values in FORCED.items():
            for key, value in values.items():
                cfg.set(section, key, value)
        return cfg

    def copy(self, overrides: Optional[dict] = None) -> 'Config':
        """A copy with more overrides applied."""
        clone = copy.copy(self)
        clone.parser = configparser.ConfigParser(interpolation=None)
        clone.parser.read_dict({s: dict(self.parser.items(s)) for s in self.parser.sections()})
        for section, values in (overrides or {}).items():
            if not clone.parser.has_section(section):
                clone.parser.add_section(section)
            for key, value in values.items():
                clone.parser.set(section, key, str(value))
        return clone


_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def parse_duration(text) -> int:
    """Seconds from '90', '90s', '15m', '1h', '2d', '1w'.

    :raises ValueError: with a message naming the bad value
    """
    value = str(text).strip().lower()
    try:
        if value and value[-1] in _UNITS:
            seconds = float(value[:-1]) * _UNITS[value[-1]]
        else:
            seconds = float(value)
    except ValueError:
        raise ValueError(f'not a duration: {text!r} (use e.g. 90s, 15m, 1h, 2d)') from None
    if seconds <= 0:
        raise ValueError(f'a duration must be positive: {text!r}')
    return int(seconds)
