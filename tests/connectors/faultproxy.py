"""A reverse proxy on 127.0.0.1 that injects faults between an SDK and a real (local) server.

Rules are matched in order against each request; a matching rule with uses left fires instead of
(or around) forwarding:

* ``status``: answer with that status (429, 500, 503 …) and headers (e.g. ``Retry-After``)
* ``timeout``: hold the request for ``delay`` seconds, then drop the connection
* ``truncate``: forward, then send only the first half of the body (with a matching
  ``Content-Length``, so the client sees cut-off JSON rather than a short read)
* ``delay``: forward after sleeping ``delay`` seconds (to slow a sync down for kill tests)

Every request is recorded in :attr:`FaultProxy.log` as ``(method, path, what happened)``.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "content-length",
}


@dataclass
class Rule:
    kind: str  # status | timeout | truncate | delay
    path: str = ""  # substring of the request path ("" = any)
    method: str | None = None
    times: int | None = 1  # None = forever
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[dict[str, str]], bytes] = (
        b'{"error": "injected"}'  # callable: from request headers
    )
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        return self.path in path


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.up_host = parts.hostname or "127.0.0.1"
        self.up_port = parts.port or 80
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rule = proxy._take(self.command, self.path)
                if rule is not None and rule.kind == "status":
                    proxy._record(self.command, self.path, f"status {rule.status}")
                    self.send_response(rule.status)
                    self.send_header("Content-Type", "application/json")
                    for k, v in rule.headers.items():
                        self.send_header(k, v)
                    payload = rule.body(dict(self.headers)) if callable(rule.body) else rule.body
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if rule is not None and rule.kind == "timeout":
                    proxy._record(self.command, self.path, "timeout")
                    time.sleep(rule.delay)
                    self.close_connection = True
                    return
                if rule is not None and rule.kind == "delay":
                    time.sleep(rule.delay)
                status, headers, payload = proxy._forward(self.command, self.path, dict(self.headers), body)
                if rule is not None and rule.kind == "truncate":
                    payload = payload[: max(1, len(payload) // 2)]
                    proxy._record(self.command, self.path, f"truncated {status}")
                else:
                    proxy._record(self.command, self.path, f"ok {status}")
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, *rules: Rule) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _take(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _record(self, method: str, path: str, what: str) -> None:
        with self._lock:
            self.log.append((method, path, what))

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.up_host, self.up_port, timeout=60)
        try:
            fwd = {k: v for k, v in headers.items() if k.lower() not in HOP and k.lower() != "host"}
            fwd["Host"] = f"{self.up_host}:{self.up_port}"
            if body:
                fwd["Content-Length"] = str(len(body))
            conn.request(method, path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def faults(self) -> list[tuple[str, str, str]]:
        return [e for e in self.log if not e[2].startswith("ok")]
