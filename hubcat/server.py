"""Serving the app with waitress (a production WSGI server), stopping cleanly on Ctrl-C."""
from __future__ import annotations

import logging
import signal
from typing import Optional

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)


def make_server(config: Config, host: str, port: int, app=None):
    """A waitress server for the HubCat app (``server.run()`` serves, :func:`stop_server` stops).

    Waitress refuses a body larger than ``[hubcat] max_request_bytes`` with 413 before
    reading it (waitress refuses at its limit, hence the + 1).
    """
    from waitress.server import create_server

    from hubcat.app import create_app
    from hubcat.web.limits import max_request_bytes
    return create_server(app or create_app(config), host=host, port=port, threads=8,
                         ident='HubCat', max_request_body_size=max_request_bytes(config) + 1)


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
                  on_ready: Optional[callable] = None, announce: bool = True) -> None:
    """Serve until SIGINT/SIGTERM; runs the harvest scheduler too unless told not to."""
    server = make_server(config, host, port)
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
