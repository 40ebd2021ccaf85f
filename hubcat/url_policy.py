"""Which URLs a harvest may fetch: http(s) only, to hosts the configuration allows.

Settings (``[hubcat]``):

* ``harvest_private_networks`` (default ``true``): when ``false``, a host that
  resolves to a non-public address (loopback, link-local, private, unique-local,
  carrier-grade NAT, unspecified, multicast, reserved) is refused.  The default
  keeps local testing and ``hubcat demo`` working; a catalogue that accepts
  sources from others should set it to ``false``.
* ``harvest_deny`` (default ``169.254.0.0/16, fe80::/10``, the link-local ranges
  where cloud metadata services live): comma-separated IP addresses, networks
  (CIDR) and host names (``.example.org`` or ``*.example.org`` also match
  sub-domains) that are always refused.

The check runs when a source is registered (CLI, ``/api/sources``, CSW-T
Harvest) and again before every request the harvester's HTTP client sends,
redirects included, on the addresses the host resolves to at that moment.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from hubcat.config import DEFAULTS
from hubcat.urls import origin, redact_url

ALLOWED_SCHEMES = ('http', 'https')
DEFAULT_DENY = DEFAULTS['hubcat']['harvest_deny']
_CGNAT = ipaddress.ip_network('100.64.0.0/10')


class UrlRefused(ValueError):
    """HubCat will not fetch this URL (scheme, deny-list or private network)."""


class HostUnresolvable(UrlRefused):
    """The host name does not resolve, so its addresses cannot be checked."""


def _parse_deny(text: str) -> tuple[tuple, tuple]:
    networks, names = [], []
    for entry in (e.strip() for e in (text or '').replace('\n', ',').split(',')):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip('[]'), strict=False))
        except ValueError:
            names.append(entry.lower().lstrip('*').rstrip('.'))
    return tuple(networks), tuple(names)


def _ip(address: str):
    """The IP address of a text (zone id dropped, IPv4-mapped IPv6 as IPv4)."""
    ip = ipaddress.ip_address(address.split('%')[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _literal(host: str) -> bool:
    """True when the host is an IP address, not a name."""
    try:
        ipaddress.ip_address(host.strip('[]').split('%')[0])
    except ValueError:
        return False
    return True


def non_public_kind(address: str) -> Optional[str]:
    """'loopback', 'private', ... for a non-public IP address; None for a public one."""
    ip = _ip(address)
    for kind, test in (('loopback', ip.is_loopback), ('link-local', ip.is_link_local),
                       ('unspecified', ip.is_unspecified), ('multicast', ip.is_multicast),
                       ('private', ip.is_private),
                       ('shared (carrier-grade NAT)', ip in _CGNAT if ip.version == 4 else False),
                       ('reserved', ip.is_reserved or not ip.is_global)):
        if test:
            return kind
    return None


def check_scheme(url: str) -> None:
    """Refuse anything but an absolute http(s) URL (file://, ftp://, gopher://, ...)."""
    parts = urlsplit((url or '').strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = f'{parts.scheme}://' if parts.scheme else repr(redact_url(url))
        raise UrlRefused(f'only http and https sources can be harvested, not {shown} '
                         f'({redact_url(url.strip())})')
    if not parts.hostname:
        raise UrlRefused(f'not an http(s) URL with a host: {redact_url(url.strip())!r}')


@dataclass(frozen=True)
class UrlPolicy:
    """The harvest URL policy.

    :param private_networks: allow hosts that resolve to non-public addresses
    :param deny: the deny-list text (addresses, networks, host names)
    """
    private_networks: bool = True
    deny: str = DEFAULT_DENY

    @classmethod
    def from_config(cls, config) -> 'UrlPolicy':
        """The policy of ``[hubcat] harvest_private_networks`` and ``harvest_deny``."""
        flag = (config.get('hubcat', 'harvest_private_networks', 'true') or 'true').strip().lower()
        if flag not in ('true', 'false', 'yes', 'no', '1', '0', 'on', 'off'):
            raise ValueError(f'[hubcat] harvest_private_networks must be true or false, '
                             f'not {flag!r}')
        return cls(private_networks=flag in ('true', 'yes', '1', 'on'),
                   deny=config.get('hubcat', 'harvest_deny', DEFAULT_DENY) or '')

    def check(self, url: str, resolve: bool = True, strict: bool = False) -> None:
        """Refuse a URL the policy does not allow (:class:`UrlRefused` with the reason).

        :param resolve: also check the addresses the host resolves to
        :param strict: a host that does not resolve is refused (:class:`HostUnresolvable`)
            instead of passing (registration passes it; a request then fails anyway)
        """
        check_scheme(url)
        scheme, host, port = origin(url)
        networks, names = _parse_deny(self.deny)
        for name in names:
            if host == name.lstrip('.') or (name.startswith('.') and host.endswith(name)):
                raise UrlRefused(f'{host} is refused by [hubcat] harvest_deny ({name})')
        for address in self._addresses(host, port, resolve, strict):
            self._check_address(host, address, networks)

    def _addresses(self, host: str, port: int, resolve: bool, strict: bool) -> list[str]:
        if _literal(host):
            return [host.strip('[]')]
        if not resolve:
            return []
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as err:
            if strict:
                raise HostUnresolvable(f'cannot resolve {host} ({err})') from None
            return []
        return sorted({info[4][0] for info in infos})

    def _check_address(self, host: str, address: str, networks: tuple) -> None:
        ip = _ip(address)
        via = '' if _literal(host) else f'{host} resolves to '
        for network in networks:
            if ip.version == network.version and ip in network:
                raise UrlRefused(f'{via}{address} is refused by [hubcat] harvest_deny ({network})')
        if not self.private_networks:
            kind = non_public_kind(address)
            if kind:
                raise UrlRefused(f'{via}{address} ({kind} address): private networks are not '
                                 'harvested ([hubcat] harvest_private_networks = false)')
