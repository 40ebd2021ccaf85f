"""Serving the app with waitress (a production WSGI server), stopping cleanly on Ctrl-C."""
from __future__ import annotations

import errno
import logging
import signal
import socket
from typing import Optional

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
#: waitress threads of ``hubcat serve`` unless ``[hubcat] threads`` or ``--threads`` says
DEFAULT_THREADS = 8


class PortUnavailable(OSError):
    """The port cannot be listened on (in use, or not allowed); the message names it."""


def _unavailable(host: str, port: int, err: OSError) -> PortUnavailable:
    if err.errno == errno.EADDRINUSE:
        return PortUnavailable(f'port {port} on {host} is in use; stop what listens there or '
                               'choose another port with --port')
    return PortUnavailable(f'cannot listen on {host}:{port} ({err.strerror or err}); '
                           'choose another host or port with --host/--port')


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortUnavailable` unless ``host:port`` can be listened on right now
    (binds and closes a socket the way waitress will)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise PortUnavailable(f'cannot listen on {host}:{port} ({err.strerror})') from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            raise _unavailable(host, port, err) from None


def serve_threads(config: Config) -> int:
    """``[hubcat] threads``: requests ``hubcat serve`` answers at once (default
    :data:`DEFAULT_THREADS`).

    :raises ValueError: when it is not a whole number from 1 to 256
    """
    text = str(config.get('hubcat', 'threads', str(DEFAULT_THREADS)) or '').strip()
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise ValueError(f'[hubcat] threads must be a number from 1 to 256, not {text!r}')
    return int(text)


def make_server(config: Config, host: str, port: int, app=None, threads: Optional[int] = None):
    """A waitress server for the HubCat app (``server.run()`` serves, :func:`stop_server` stops).

    ``threads`` (default ``[hubcat] threads``) requests are answered at once; more wait in
    waitress's queue.

    Waitress refuses a body larger than ``[hubcat] max_request_bytes`` with 413 before
    reading it (waitress refuses at its limit, hence the + 1).

    :raises PortUnavailable: when the port is in use (the message names it and ``--port``)
    """
    from waitress.server import create_server

    from hubcat.app import create_app
    from hubcat.web.limits import max_request_bytes
    threads = threads or serve_threads(config)
    if port:
        check_port(host, port)   # before the app (and its database) is set up
    app = app or create_app(config)
    try:
        return create_server(app, host=host, port=port, threads=threads, ident='HubCat',
                             max_request_body_size=max_request_bytes(config) + 1)
    except OSError as err:
        raise _unavailable(host, port, err) from None


def stop_server(server) -> None:
    """Stop a waitress server: finish its worker threads, then close every socket.

    The sockets are closed by the server's own loop (through its trigger), so the
    loop never selects on a closed descriptor; when the loop has ended already,
    they are closed here.  Calling it twice is harmless.
    """
    from waitress import wasyncore
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
    if not server._map:
        return
    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except (OSError, ValueError):  # the trigger is closed: the loop is not running
        wasyncore.close_all(server._map)


def serve_forever(config: Config, host: str, port: int, scheduler: bool = True,
                  on_ready: Optional[callable] = None, announce: bool = True,
                  threads: Optional[int] = None) -> None:
    """Serve until SIGINT/SIGTERM; runs the harvest scheduler too unless told not to."""
    server = make_server(config, host, port, threads=threads)
    sched = None
    if scheduler:
        from hubcat.scheduler import start_background_scheduler
        sched = start_background_scheduler(config)

    def shutdown(*_args):
        stop_server(server)

    signal.signal(signal.SIGTERM, shutdown)
    if announce:
        print(f'HubCat serving http://{host}:{server.effective_port}/csw  (Ctrl-C stops)', flush=True)
    if on_ready:
        on_ready(server)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop_server(server)
        if sched is not None:
            sched.shutdown(wait=False)
