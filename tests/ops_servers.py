"""Small real network helpers for the operations tests: a TCP proxy that can be closed
and reopened on the same port, a server that accepts connections and never answers,
and polling with a generous deadline (tests assert on outcomes, never on timings)."""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Optional


def poll(check: Callable[[], object], deadline: float = 120.0, every: float = 0.1,
         message: str = 'condition'):
    """Call ``check`` until it returns something truthy; that value, or AssertionError."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f'{message} not reached within {deadline:g} s (last: {value!r})')
        time.sleep(every)


def _listener(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', port))
    sock.listen(64)
    return sock


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target port; :meth:`close` makes the port refuse
    connections (and cuts open ones), :meth:`open` listens on the same port again."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._sock: Optional[socket.socket] = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.open()

    def url(self, path: str = '') -> str:
        """``http://127.0.0.1:<proxy port><path>``."""
        return f'http://127.0.0.1:{self.port}{path}'

    def open(self) -> None:
        """Listen (on the port used before, if any) and forward every connection."""
        self._sock = _listener(self.port)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._sock,), daemon=True).start()

    def close(self) -> None:
        """Stop listening and cut every open connection."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)   # wakes the accept() blocked in its thread
            except OSError:
                pass
            sock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(('127.0.0.1', self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self):
        self._sock = _listener(0)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = '/sensorthings/v1.1') -> str:
        """A service URL on this server."""
        return f'http://127.0.0.1:{self.port}{path}'

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        """Stop accepting and drop every held connection."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        for conn in self._held:
            conn.close()
