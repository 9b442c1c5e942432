"""Test-only fault injection in front of the GCS and BigQuery emulators.

``FaultProxy(upstream_url)`` is a small HTTP/1.1 reverse proxy on 127.0.0.1. Point a client
at ``proxy.url`` instead of the emulator (``STORAGE_EMULATOR_HOST`` /
``BIGQUERY_EMULATOR_HOST``) and queue faults with :meth:`FaultProxy.inject`: the next
``count`` requests that match (method, path regex, body substring), after ``skip`` matching
requests went through, get ``status`` with a JSON error body shaped like Google's APIs,
instead of reaching the emulator. Everything else is forwarded byte for byte; ``Location``
headers (GCS resumable upload sessions) are rewritten to point back at the proxy.

Real-service behaviour each fault stands for:

- GCS upload refused (``POST /upload/storage/v1/b/<bucket>/o``, 403/404/503): the staging
  bucket was deleted or the service account lost ``storage.objects.create``.
- BigQuery load job refused (``POST /bigquery/v2/projects/<p>/jobs`` whose body holds
  ``"load"``, 400): a load job that BigQuery rejects (bad data, schema mismatch, quota).

Nothing here is used by product code.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import typing as t
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}


@dataclass
class ProxyFault:
    method: str
    path: re.Pattern[str]
    body_contains: bytes | None
    status: int
    message: str
    count: int
    skip: int
    applied: int = 0

    def matches(self, method: str, path: str, body: bytes) -> bool:
        if self.method not in ("*", method):
            return False
        if not self.path.search(path):
            return False
        return self.body_contains is None or self.body_contains in body


@dataclass
class ProxyLog:
    method: str
    path: str
    status: int
    faulted: bool


@dataclass
class _State:
    faults: list[ProxyFault] = field(default_factory=list)
    log: list[ProxyLog] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    """A reverse proxy to ``upstream`` that can fail chosen requests (see module doc)."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        parsed = urllib.parse.urlsplit(self.upstream)
        self._up_host = parsed.hostname or "127.0.0.1"
        self._up_port = parsed.port or 80
        self._state = _State()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(
        self,
        *,
        path: str,
        method: str = "*",
        body_contains: str | None = None,
        status: int = 503,
        message: str = "injected fault",
        count: int = 1,
        skip: int = 0,
    ) -> None:
        """Fail the next ``count`` matching requests (after ``skip`` went through)."""
        fault = ProxyFault(
            method=method.upper(),
            path=re.compile(path),
            body_contains=body_contains.encode() if body_contains else None,
            status=status,
            message=message,
            count=count,
            skip=skip,
        )
        with self._state.lock:
            self._state.faults.append(fault)

    def clear(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    def applied(self) -> int:
        """Requests failed so far."""
        with self._state.lock:
            return sum(1 for entry in self._state.log if entry.faulted)

    def requests(self) -> list[ProxyLog]:
        with self._state.lock:
            return list(self._state.log)

    # -- internals ---------------------------------------------------------------------
    def _take_fault(self, method: str, path: str, body: bytes) -> ProxyFault | None:
        with self._state.lock:
            for fault in self._state.faults:
                if fault.applied >= fault.count or not fault.matches(method, path, body):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.applied += 1
                return fault
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: t.Any) -> None:
                pass  # quiet: the emulators log enough

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _respond(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                body = self._read_body()
                fault = proxy._take_fault(self.command, self.path, body)
                if fault is not None:
                    payload = json.dumps(
                        {
                            "error": {
                                "code": fault.status,
                                "message": fault.message,
                                "errors": [{"message": fault.message, "reason": "injected"}],
                            }
                        }
                    ).encode()
                    self._respond(fault.status, [("Content-Type", "application/json")], payload)
                    with proxy._state.lock:
                        proxy._state.log.append(
                            ProxyLog(self.command, self.path, fault.status, faulted=True)
                        )
                    return
                conn = http.client.HTTPConnection(proxy._up_host, proxy._up_port, timeout=300)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    headers["Host"] = f"{proxy._up_host}:{proxy._up_port}"
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    out = []
                    for name, value in resp.getheaders():
                        if name.lower() in HOP_BY_HOP:
                            continue
                        if name.lower() == "location":
                            value = value.replace(proxy.upstream, proxy.url)
                        out.append((name, value))
                    self._respond(resp.status, out, data)
                    with proxy._state.lock:
                        proxy._state.log.append(
                            ProxyLog(self.command, self.path, resp.status, faulted=False)
                        )
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        return Handler
