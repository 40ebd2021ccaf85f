"""Recognising a peer that is this very server (its own ``/csw`` added as a peer).

A federated request that asks its own server over HTTP holds one worker while it
waits for another: with a few concurrent federated clients every worker waits and
the server starves (``/healthz`` included). So the federating endpoint asks a peer
whose URL names this server in-process instead, like the ``local`` peer.

A peer URL names this server when its path is one of this application's CSW
endpoints and its host and port are the ones the client used to reach us, those of
``[server] url``, or a loopback or this host's own name at the port we serve on.
"""
from __future__ import annotations

import socket
from functools import lru_cache
from typing import Callable, Mapping, Optional
from urllib.parse import urlsplit

#: the CSW endpoints of this application a peer URL may name
OWN_PATHS = ('/csw', '/federated/csw')
_LOOPBACK = {'localhost', '127.0.0.1', '::1', '0.0.0.0', 'ip6-localhost'}


@lru_cache(maxsize=1)
def _host_names() -> frozenset:
    """Loopback names and this machine's own names and addresses."""
    names = set(_LOOPBACK)
    for name in {socket.gethostname(), socket.getfqdn()}:
        names.add(name.lower())
        try:
            names.update(info[4][0] for info in socket.getaddrinfo(name, None))
        except OSError:
            pass
    return frozenset(names)


def _host_port(netloc_url: str) -> Optional[tuple[str, int]]:
    """(host, port) of a URL, the port defaulted by its scheme; None when unreadable."""
    try:
        parts = urlsplit(netloc_url)
        port = parts.port or (443 if parts.scheme == 'https' else 80)
    except ValueError:
        return None
    return (parts.hostname or '').lower(), port


def own_url_matcher(host_url: str, environ: Mapping, configured_url: str = ''
                    ) -> Callable[[str], Optional[str]]:
    """A function: peer URL -> the path to call in-process when it names this server, else None.

    :param host_url: the URL the client used to reach us (``request.host_url``)
    :param environ: the WSGI environ (``SERVER_PORT``: the port we serve on)
    :param configured_url: ``[server] url``, when set
    """
    known = {hp for hp in (_host_port(host_url), _host_port(configured_url or '')) if hp}
    try:
        served_port = int(environ.get('SERVER_PORT') or 0)
    except ValueError:
        served_port = 0

    def match(url: str) -> Optional[str]:
        parts = urlsplit(url)
        path = '/' + parts.path.strip('/')
        if path not in OWN_PATHS:
            return None
        target = _host_port(url)
        if target is None:
            return None
        if target in known or (target[1] == served_port and target[0] in _host_names()):
            return path
        return None
    return match
