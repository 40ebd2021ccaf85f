"""Peer catalogues of the federated search: where they are configured, added and removed.

A peer is any CSW 2.0.2 or 3.0.0 endpoint with a name, a URL and a timeout
(seconds).  Peers come from two places:

* the configuration file (read-only at run time)::

      [hubcat:peers]
      # name = url [timeout]
      pycsw-demo = https://demo.pycsw.org/cite/csw 5
      gn = https://example.org/geonetwork/srv/eng/csw

  and, for compatibility with pycsw's ``federatedcatalogues``, a comma- or
  newline-separated URL list in ``[hubcat:federation] peers`` (each named
  after its host and port);
* the ``hubcat_peers`` table, written by ``hubcat peer add`` and the admin API.

Names are unique across both.  The plain functions here are what the CLI and
the API call.
"""
from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Optional
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select

from hubcat.config import Config
from hubcat.db import get_engine
from hubcat.models import peers as peers_table

LOGGER = logging.getLogger(__name__)

CONFIG_SECTION = 'hubcat:peers'
CONFIG, DATABASE, LOCAL = 'config', 'database', 'local'
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
MAX_TIMEOUT = 300.0


class PeerError(ValueError):
    """A peer cannot be added, parsed or removed; the message is one line."""


class PeerConflict(PeerError):
    """The name is taken, or the peer is set in the configuration file (read-only)."""


class PeerNotFound(PeerError):
    """No peer has that name."""


@dataclass(frozen=True)
class Peer:
    """One peer catalogue.

    :param name: unique short name (letters, digits, ``.``, ``_``, ``-``)
    :param url: the CSW endpoint URL
    :param timeout: the longest the federated search waits for it, in seconds
    :param origin: ``config``, ``database`` or ``local`` (this HubCat's own ``/csw``)
    """
    name: str
    url: str
    timeout: float
    origin: str = CONFIG

    def as_dict(self) -> dict:
        """The peer as a JSON-ready dict."""
        return asdict(self)


def validate_url(url: str) -> str:
    """The URL, stripped, if it is an absolute http(s) URL with a host.

    :raises PeerError: naming what is wrong
    """
    text = (url or '').strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as err:
        raise PeerError(f'malformed peer URL {text!r}: {err}') from None
    if parts.scheme not in ('http', 'https'):
        raise PeerError(f'malformed peer URL {text!r}: it must start with http:// or https://')
    if not parts.hostname or ' ' in text:
        raise PeerError(f'malformed peer URL {text!r}: no host name')
    if port == 0:
        raise PeerError(f'malformed peer URL {text!r}: port 0')
    return text


def validate_name(name: str) -> str:
    """The name if it is a valid peer name.

    :raises PeerError: when it is empty or has other characters than letters,
        digits, ``.``, ``_`` and ``-``
    """
    if not NAME_RE.match(name or ''):
        raise PeerError(f'invalid peer name {name!r}: use letters, digits, ".", "_" or "-" '
                        '(at most 64 characters)')
    return name


def validate_timeout(timeout) -> float:
    """The timeout as a float in (0, 300] seconds.

    :raises PeerError: when it is not a positive number of seconds
    """
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise PeerError(f'invalid peer timeout {timeout!r}: a number of seconds') from None
    if not 0 < value <= MAX_TIMEOUT:
        raise PeerError(f'invalid peer timeout {timeout!r}: between 0 and {MAX_TIMEOUT:g} s')
    return value


def name_from_url(url: str) -> str:
    """A default peer name derived from a URL's host and port (``host-port``)."""
    parts = urlsplit(url)
    name = parts.hostname or 'peer'
    if parts.port:
        name = f'{name}-{parts.port}'
    return re.sub(r'[^A-Za-z0-9._-]', '-', name)[:64]


def default_timeout(config: Config) -> float:
    """``[hubcat:federation] default_timeout`` in seconds."""
    return validate_timeout(config.get('hubcat:federation', 'default_timeout', '5'))


def parse_peer_line(name: str, value: str, timeout: float) -> Peer:
    """A config-file peer from ``name = url [timeout]``.

    :param timeout: the default when the line names none
    :raises PeerError: on a bad name, URL or timeout
    """
    fields = (value or '').split()
    if not fields or len(fields) > 2:
        raise PeerError(f'peer {name!r}: expected "url [timeout]", got {value!r}')
    if len(fields) == 2:
        timeout = validate_timeout(fields[1])
    return Peer(validate_name(name), validate_url(fields[0]), timeout, CONFIG)


def config_peers(config: Config) -> list[Peer]:
    """The peers named in the configuration file, in file order.

    :raises PeerError: on a malformed entry (the configuration is wrong)
    """
    timeout = default_timeout(config)
    found = [parse_peer_line(name, value, timeout)
             for name, value in config.section(CONFIG_SECTION).items()]
    listed = config.get('hubcat:federation', 'peers', '') or ''
    for url in re.split(r'[,\s]+', listed.strip()):
        if url:
            found.append(Peer(name_from_url(url), validate_url(url), timeout, CONFIG))
    _check_unique(found)
    return found


def _check_unique(found: list[Peer]) -> None:
    seen = set()
    for peer in found:
        if peer.name in seen:
            raise PeerError(f'peer name {peer.name!r} is used twice')
        seen.add(peer.name)


_PEER_TABLE_READY: set[str] = set()


def _engine(config: Config):
    """The engine, with the peers table created (checked once per database and process)."""
    engine = get_engine(config.database_url)
    if config.database_url not in _PEER_TABLE_READY:
        peers_table.create(engine, checkfirst=True)
        _PEER_TABLE_READY.add(config.database_url)
    return engine


def database_peers(config: Config) -> list[Peer]:
    """The peers added at run time (``hubcat_peers`` table), by name."""
    with _engine(config).connect() as conn:
        rows = conn.execute(select(peers_table.c.name, peers_table.c.url, peers_table.c.timeout)
                            .order_by(peers_table.c.name)).all()
    return [Peer(name, url, float(timeout), DATABASE) for name, url, timeout in rows]


def list_peers(config: Config) -> list[Peer]:
    """Every peer: the configuration file's first, then the database's."""
    return config_peers(config) + database_peers(config)


def add_peer(config: Config, url: str, name: Optional[str] = None,
             timeout: Optional[float] = None, probe: bool = True) -> tuple[Peer, list[str]]:
    """Store a new peer; returns it and warnings (e.g. it does not answer now).

    An unreachable peer is accepted (peers come and go); a malformed URL, a bad
    name or timeout, or a name already in use is refused.

    :param probe: ask the peer for its capabilities and warn if that fails
    :raises PeerError: with a one-line reason
    """
    url = validate_url(url)
    name = validate_name(name or name_from_url(url))
    timeout = default_timeout(config) if timeout is None else validate_timeout(timeout)
    if any(p.name == name for p in list_peers(config)):
        raise PeerConflict(f'a peer called {name!r} exists already')
    with _engine(config).begin() as conn:
        conn.execute(insert(peers_table).values(name=name, url=url, timeout=timeout))
    peer = Peer(name, url, timeout, DATABASE)
    warnings = []
    if probe:
        problem = probe_peer(peer)
        if problem:
            warnings.append(f'peer {name!r} added, but it does not answer as a CSW now: {problem}')
    LOGGER.info('peer added: %s %s (timeout %g s)', name, url, timeout)
    return peer, warnings


def remove_peer(config: Config, name: str) -> Peer:
    """Delete a run-time peer; returns it.

    :raises PeerError: when no such peer exists or it is set in the configuration file
    """
    for peer in config_peers(config):
        if peer.name == name:
            raise PeerConflict(f'peer {name!r} is set in the configuration file; '
                            'remove it there')
    with _engine(config).begin() as conn:
        row = conn.execute(select(peers_table.c.url, peers_table.c.timeout)
                           .where(peers_table.c.name == name)).first()
        if row is None:
            raise PeerNotFound(f'no peer called {name!r}')
        conn.execute(delete(peers_table).where(peers_table.c.name == name))
    LOGGER.info('peer removed: %s', name)
    return Peer(name, row.url, float(row.timeout), DATABASE)


def probe_peer(peer: Peer) -> Optional[str]:
    """Why the peer does not answer a CSW GetCapabilities now, or None if it does."""
    from hubcat.federation.peer_client import probe_capabilities
    return probe_capabilities(peer.url, min(peer.timeout, 5.0))
