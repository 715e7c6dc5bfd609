"""A real HTTP/1.1 server on a loopback address for the downloader's tests, its answers scripted
per path, keeping its own log: every request's path, start and end, status, bytes sent, and the
most requests it had in flight at once (what the client's per-host limit is checked against).

Each server is one host (its own 127.0.25.x address, i25's range, so parallel branches never
meet); behaviours are small functions of the request handler.
"""
from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit


@dataclass
class Request:
    path: str
    start: float
    end: float = 0.0
    status: int = 0
    sent: int = 0
    complete: bool = False
    agent: str = ""


class Gauge:
    """Requests in flight across several servers (all hosts together), and the most at once."""

    def __init__(self):
        self.active = self.max_active = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


class ScriptedServer:
    def __init__(self, host: str = "127.0.25.1", routes: dict | None = None, default=None, gauge: Gauge | None = None):
        self.host, self.gauge = host, gauge
        self.routes = dict(routes or {})
        self.default = default or status(404)
        self.log: list[Request] = []
        self.active = self.max_active = 0
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> "ScriptedServer":
        server = self

        class Handler(_Handler):
            owner = server

        self.httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The URL of a path as a user would write it (non-ASCII characters left as they are)."""
        return self.origin + path

    def requests(self, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.log if path is None or r.path == path]

    def nth(self, path: str) -> int:
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: ScriptedServer

    def log_message(self, *args) -> None:  # the server keeps its own log
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # a client that reset the connection (a timeout it gave up on): nothing to say
            pass

    def do_GET(self) -> None:
        owner = self.owner
        split = urlsplit(self.path)
        path = unquote(split.path) + (f"?{split.query}" if split.query else "")
        record = Request(path, time.monotonic(), agent=self.headers.get("User-Agent", ""))
        with owner.lock:
            owner.log.append(record)
            owner.active += 1
            owner.max_active = max(owner.max_active, owner.active)
        if owner.gauge:
            owner.gauge.enter()
        self.record = record
        try:
            (owner.routes.get(path) or owner.default)(self)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            record.end = time.monotonic()
            with owner.lock:
                owner.active -= 1
            if owner.gauge:
                owner.gauge.leave()

    # helpers the behaviours use
    def head(self, code: int, headers: dict) -> None:
        self.record.status = code
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def body(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.record.sent += len(data)


# -- behaviours ------------------------------------------------------------------------------
def serve(data: bytes, content_type: str = "application/pdf", headers: dict | None = None, delay: float = 0.0):
    def answer(h: _Handler) -> None:
        if delay:
            time.sleep(delay)
        h.head(200, {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})})
        h.body(data)
        h.record.complete = True
    return answer


def serve_unsized(data: bytes, content_type: str = "application/pdf"):
    """A body without Content-Length: its end is the connection's close."""
    def answer(h: _Handler) -> None:
        h.head(200, {"Content-Type": content_type, "Connection": "close"})
        h.close_connection = True
        for i in range(0, len(data), 1 << 16):
            h.body(data[i:i + (1 << 16)])
        h.record.complete = True
    return answer


def status(code: int, headers: dict | None = None, body: bytes = b""):
    def answer(h: _Handler) -> None:
        h.head(code, {"Content-Length": str(len(body)), "Content-Type": "text/plain", **(headers or {})})
        if body:
            h.body(body)
        h.record.complete = True
    return answer


def in_turn(*behaviours):
    """The first request gets the first behaviour, and so on; the last one repeats."""
    def answer(h: _Handler) -> None:
        n = h.owner.nth(h.record.path)
        behaviours[min(n, len(behaviours)) - 1](h)
    return answer


def redirect(location: str, code: int = 302):
    return status(code, {"Location": quote(location, safe="/:?=&%")})


def reset_mid_body(data: bytes):
    """Headers promise the whole body; half is sent, then the connection is reset (RST)."""
    def answer(h: _Handler) -> None:
        h.head(200, {"Content-Type": "application/pdf", "Content-Length": str(len(data))})
        h.body(data[: len(data) // 2])
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True
    return answer


def drip(data: bytes, pieces: int, pause: float):
    """The body in pieces with a pause between them: slower than a read timeout shorter than the pause."""
    def answer(h: _Handler) -> None:
        h.head(200, {"Content-Type": "application/pdf", "Content-Length": str(len(data))})
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            h.body(data[i:i + step])
            time.sleep(pause)
        h.record.complete = True
    return answer


def gzipped(data: bytes, content_type: str = "application/pdf"):
    packed = gzip.compress(data)
    return serve(packed, content_type, {"Content-Encoding": "gzip"})
