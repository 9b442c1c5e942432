"""HTTP layer: Looker API 4.0 routes, fault application, and the /_simulator control plane."""

from __future__ import annotations

import email.utils
import http
import json
import re
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import LookerApiError, not_found
from .faults import LOOKER_ERROR_MESSAGES, Fault
from .responses import Response, json_response

if TYPE_CHECKING:
    from .simulator import LookerSimulator

API = "/api/4.0"
_EXPLORE_RE = re.compile(rf"{API}/lookml_models/([^/]+)/explores/([^/]+)")
_MODEL_RE = re.compile(rf"{API}/lookml_models/([^/]+)")
_RUN_RE = re.compile(rf"{API}/queries/run/([^/]+)")
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in - Corporate SSO</title></head>"
    b"<body><h1>Sign in</h1><form method='post' action='/sso/login'>"
    b"<input name='username'><input name='password' type='password'>"
    b"<button>Sign in</button></form></body></html>"
)
_NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>Looker Not Found (404)</title></head>"
    b"<body><h1>Looker Not Found (404)</h1>"
    b"<p>The page you requested could not be found.</p></body></html>"
)
_MALFORMED = b'[{"content_usage.id": 1, "content_usage.content_title": "Sales Ov'


RouteHandler = Callable[[dict[str, str], bytes, str], "Response"]


def path_kind(method: str, path: str) -> str:
    """Which counter and fault matcher a request belongs to."""
    if path == f"{API}/login":
        return "login"
    if path in {f"{API}/logout", "/api/logout"}:
        return "logout"
    if path.startswith(f"{API}/lookml_models"):
        return "explore"
    if path.startswith(f"{API}/queries/run/"):
        return "query"
    return "other"


def sdk_method(method: str, path: str) -> str | None:
    """The looker-sdk method a request calls, as API Usage names its endpoints (None: not
    an API method the simulator serves)."""
    if method == "POST" and path == f"{API}/login":
        return "login"
    if method == "DELETE" and path in {f"{API}/logout", "/api/logout"}:
        return "logout"
    if method == "POST" and _RUN_RE.fullmatch(path):
        return "run_inline_query"
    if method != "GET":
        return None
    if path in {"/versions", "/api/versions", f"{API}/versions"}:
        return "versions"
    fixed = {
        f"{API}/user": "me",
        f"{API}/dashboards/search": "search_dashboards",
        f"{API}/lookml_models": "all_lookml_models",
    }
    if path in fixed:
        return fixed[path]
    if _EXPLORE_RE.fullmatch(path):
        return "lookml_model_explore"
    if _MODEL_RE.fullmatch(path):
        return "lookml_model"
    return None


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a client that hangs up mid "slow" fault must not block stop()
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: LookerSimulator) -> None:
        super().__init__(address, Handler)
        self.sim = sim

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, fault tests) are routine: keep stderr quiet.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Looker behind its load balancer
    server_version = "looker-simulator"
    server: SimulatorHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's per-request stderr lines (see _log for --verbose)."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- plumbing ------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header: the simulated Looker's running clock, not the host's."""
        clock = self.server.sim.clock() if timestamp is None else timestamp
        return email.utils.formatdate(clock, usegmt=True)

    def _send(self, resp: Response, truncate: bool = False) -> None:
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            for name, value in resp.headers.items():
                self.send_header(name, value)
            if resp.status != 204:
                self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if resp.status != 204:
                self.wfile.write(resp.body[: len(resp.body) // 2] if truncate else resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if truncate:
            self.close_connection = True  # the promised bytes never come

    def _log(self, method: str, path: str, status: int | str) -> None:
        # The path only: login may carry credentials in its query string (deprecated form).
        if self.server.sim.verbose:
            sys.stderr.write(f"looker-simulator: {method} {path} -> {status}\n")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(json_response(400, {"message": "Bad request body"}))
            return
        if path == "/_simulator" or path.startswith("/_simulator/"):
            resp = control(self.server.sim, method, path, query, body)
            self._log(method, path, resp.status)
            self._send(resp)
            return
        self._api(method, path, query, body)

    # -- Looker API ----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        sim = self.server.sim
        kind = path_kind(method, path)
        sim.stats_recorder.request(kind)
        fault = sim.faults.take(kind)
        entry: dict[str, Any] | None = None
        if kind == "query":
            entry = {
                "result_format": path.rsplit("/", 1)[-1],
                "params": dict(query),
                "body": _json_or_text(body),
                "status": None,
                "rows": None,
                "cached": False,
                "fault": fault.kind if fault else None,
            }
            sim.stats_recorder.query(entry)
        resp: Response | None = None
        if fault is not None:
            sim.stats_recorder.fault(fault, kind)
            if fault.kind == "disconnect":
                self.close_connection = True
                self._log(method, path, "disconnect")
                return
            resp = self._fault_response(fault, method, path)
        if resp is None:
            resp = self._route(method, path, query, body)
            endpoint = sdk_method(method, path)
            if endpoint is not None and 200 <= resp.status < 300:
                sim.record_api_call(endpoint)  # the API's own footprint in api_usage
        if fault is not None and fault.kind == "short":
            resp = _shortened(resp, fault.params.get("rows"))
        if entry is not None:
            entry["status"], entry["rows"] = resp.status, resp.rows
            entry["cached"] = resp.cached
        sim.stats_recorder.status(resp.status)
        self._log(method, path, resp.status)
        self._send(resp, truncate=fault is not None and fault.kind == "truncated")

    def _fault_response(self, fault: Fault, method: str, path: str) -> Response | None:
        """A canned response for the fault, or None to go on and answer normally."""
        sim = self.server.sim
        if fault.kind.isdigit():
            status = int(fault.kind)
            try:
                phrase = http.HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            headers: dict[str, str] = {}
            retry_after = fault.params.get("retry_after", 1 if status in {429, 503} else None)
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            message = self._echo(fault.params.get("message", phrase))
            err = LookerApiError(status, message, headers=headers)
            return json_response(status, err.body(method, path), **headers)
        if fault.kind == "slow":
            # Interruptible, so stop() is not held up by a sleeping handler.
            sim.stopping.wait(float(fault.params.get("seconds", 5)))
        elif fault.kind == "expire_token":
            sim.auth.expire_all()
        elif fault.kind == "malformed":
            return Response(200, _MALFORMED)
        elif fault.kind == "html":
            return Response(200, _HTML_PAGE, content_type="text/html; charset=utf-8")
        elif fault.kind in LOOKER_ERROR_MESSAGES:
            message = fault.params.get("message", LOOKER_ERROR_MESSAGES[fault.kind])
            return json_response(200, [{"looker_error": self._echo(message)}])
        return None

    def _echo(self, message: str) -> str:
        """A fault message with its echo placeholders filled in (faults.ECHO_PLACEHOLDERS)."""
        return self.server.sim.auth.echo(str(message), self.headers.get("Authorization", ""))

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        sim = self.server.sim
        try:
            if path in {"/versions", "/api/versions", f"{API}/versions"} and method == "GET":
                return json_response(200, sim.versions())  # no authentication
            if _outside_api(path):
                # The web tier, not the API, answers a wrong base path (e.g. base_url ending
                # in /api/4.0, so the client calls /api/4.0/api/4.0/login): an HTML page.
                return Response(404, _NOT_FOUND_PAGE, content_type="text/html; charset=utf-8")
            if path == f"{API}/login" and method == "POST":
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                issued = sim.auth.login(
                    form.get("client_id", query.get("client_id")),
                    form.get("client_secret", query.get("client_secret")),
                )
                if issued is None:
                    raise not_found()  # what Looker answers for bad credentials
                return json_response(200, issued)
            handler = self._handler_for(method, path)
            if handler is None:
                raise not_found()
            token = self._token()
            if not sim.auth.check(token):
                raise LookerApiError(401, "Requires authentication.")
            return handler(query, body, token or "")
        except LookerApiError as exc:
            return json_response(exc.status, exc.body(method, path), **exc.headers)
        except Exception as exc:  # a simulator bug: answer 500 rather than drop the socket
            err = LookerApiError(500, f"looker-simulator internal error: {exc!r}")
            return json_response(500, err.body(method, path))

    def _token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() in {"token", "bearer"} and value.strip():
            return value.strip()
        return None

    def _handler_for(self, method: str, path: str) -> RouteHandler | None:
        sim = self.server.sim
        if method == "DELETE" and path in {f"{API}/logout", "/api/logout"}:

            def logout(_q: dict[str, str], _b: bytes, token: str) -> Response:
                sim.auth.logout(token)
                return Response(204)

            return logout
        if method == "GET" and path == f"{API}/user":
            return lambda _q, _b, _t: json_response(200, sim.me())
        if method == "GET" and path == f"{API}/dashboards/search":
            return lambda q, _b, _t: json_response(200, sim.search_dashboards(q))
        if method == "GET" and path == f"{API}/lookml_models":
            return lambda q, _b, _t: json_response(200, sim.models_meta(q))
        if method == "GET" and (m := _EXPLORE_RE.fullmatch(path)):
            model, explore = unquote(m.group(1)), unquote(m.group(2))
            return lambda _q, _b, _t: json_response(200, sim.explore_meta(model, explore))
        if method == "GET" and (m := _MODEL_RE.fullmatch(path)):
            model = unquote(m.group(1))
            return lambda _q, _b, _t: json_response(200, sim.model_meta(model))
        if method == "POST" and (m := _RUN_RE.fullmatch(path)):
            fmt = unquote(m.group(1))
            return lambda q, b, _t: sim.inline.run(fmt, q, b)
        return None


def _outside_api(path: str) -> bool:
    """Not an API path: outside /api/, or an API prefix doubled (/api/4.0/api/4.0/...)."""
    if path == "/api/logout":  # looker-sdk's logout path
        return False
    if not path.startswith(f"{API}/") and path != API:
        return True
    return path[len(API) :].startswith("/api/")


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")


# --- control plane ---------------------------------------------------------------------------


def control(
    sim: LookerSimulator, method: str, path: str, query: dict[str, str], body: bytes
) -> Response:
    """Test-only endpoints under /_simulator (no auth; never counted in stats)."""
    try:
        data = json.loads(body) if body else {}
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        route = path[len("/_simulator") :] or "/"
        explore = str(query.get("explore") or data.get("explore") or "content_usage")
        if method == "GET" and route in {"/", "/health"}:
            return json_response(200, sim.health())
        if method == "POST" and route == "/advance":
            sim.advance(
                seconds=int(data.get("seconds", 0)),
                new_rows=int(data.get("new_rows", 0)),
                touched_rows=int(data.get("touched_rows", 0)),
                late_rows=int(data.get("late_rows", 0)),
                late_by=int(data.get("late_by", 3600)),
            )
            return json_response(200, sim.health())
        if route == "/faults":
            if method == "GET":
                return json_response(200, {"faults": sim.faults.pending()})
            if method == "DELETE":
                sim.clear_faults()
                return json_response(200, {"faults": []})
            if method == "POST":
                specs = data.get("faults", [data])
                for spec in specs:
                    spec = dict(spec)
                    sim.inject(spec.pop("kind"), **spec)
                return json_response(200, {"faults": sim.faults.pending()})
        if method == "GET" and route == "/truth":
            view = query.get("view")
            return json_response(200, sim.truth_view(explore, view) if view else sim.truth(explore))
        if method == "GET" and route == "/dashboards":
            deleted = {"true": True, "false": False}.get(str(query.get("deleted", "")).lower())
            return json_response(200, sim.dashboards(deleted=deleted))
        if method == "GET" and route == "/row_count":
            return json_response(200, {"explore": explore, "row_count": sim.row_count(explore)})
        if method == "GET" and route == "/stats":
            return json_response(200, sim.stats())
        if method == "POST" and route == "/reset_stats":
            sim.reset_stats()
            return json_response(200, sim.stats())
        if method == "POST" and route == "/dimensions":
            template = data.get("template")
            sim.add_dimension(
                str(data["name"]),
                str(data.get("type", "string")),
                value_fn=(lambda row: str(template).format(**row)) if template else None,
                default=data.get("default"),
                explore=explore,
                label=data.get("label"),
                hidden=bool(data.get("hidden", False)),
            )
            return json_response(200, sim.explore_meta_for(explore))
        if method == "DELETE" and route.startswith("/explores/"):
            sim.remove_explore(unquote(route[len("/explores/") :]))
            return json_response(200, sim.health())
        if method == "DELETE" and route.startswith("/dimensions/"):
            sim.remove_dimension(unquote(route[len("/dimensions/") :]), explore=explore)
            return json_response(200, sim.explore_meta_for(explore))
        if method == "POST" and route == "/config":
            sim.configure(**data)
            return json_response(200, sim.health())
        if method == "POST" and route == "/expire_tokens":
            sim.expire_tokens()
            return json_response(200, sim.health())
        return json_response(404, {"message": f"Unknown control route {method} {path}"})
    except (KeyError, ValueError, TypeError) as exc:
        return json_response(400, {"message": f"{type(exc).__name__}: {exc}"})


def _shortened(resp: Response, rows: Any) -> Response:
    """A JSON array answer cut to its first ``rows`` rows (default: half), still 200."""
    if resp.status != 200 or not resp.content_type.startswith("application/json"):
        return resp
    data = json.loads(resp.body)
    if not isinstance(data, list):
        return resp
    keep = len(data) // 2 if rows is None else int(rows)
    short = data[:keep]
    return Response(200, json.dumps(short).encode(), rows=len(short), cached=resp.cached)
