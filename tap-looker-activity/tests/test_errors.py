"""Bad input: one clear line naming the problem, a non-zero exit, never the secret."""

from __future__ import annotations

import base64
import http.server
import json
import socket
import threading
import typing as t
import urllib.parse
import uuid

import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET, tap_config
from tests.singer_run import run_tap


def _assert_one_line_error(run, *fragments: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert CLIENT_SECRET not in run.stderr + run.stdout
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-looker-activity: error: "), last
    for fragment in fragments:
        assert fragment in last, last
    # No data; a stream that failed reading still leaves its audit record.
    assert set(run.records) <= {"sync_audit"}
    assert all(a["status"] == "failed" for a in run.records.get("sync_audit", []))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wrong_credentials(make_simulator) -> None:
    sim = make_simulator(rows=10, seed=1)
    config = tap_config(sim, client_secret="wrong-secret-value")
    run = run_tap(config, check=False)
    _assert_one_line_error(run, "rejected the API credentials")
    assert "wrong-secret-value" not in run.stderr


def test_unreachable_host() -> None:
    config = {
        "base_url": f"http://127.0.0.1:{_free_port()}",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "max_retries": 1,
        "backoff_factor": 0.01,
    }
    run = run_tap(config, check=False)
    _assert_one_line_error(run, "/api/4.0/login", "could not connect")


def test_missing_settings(monkeypatch) -> None:
    for var in ("LOOKERSDK_BASE_URL", "LOOKERSDK_CLIENT_ID", "LOOKERSDK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    run = run_tap({"client_id": CLIENT_ID}, check=False)
    _assert_one_line_error(run, "missing Looker setting(s): base_url, client_secret")


def _lookersdk_env(sim) -> dict[str, str]:
    return {
        "LOOKERSDK_BASE_URL": sim.base_url,
        "LOOKERSDK_CLIENT_ID": CLIENT_ID,
        "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
    }


def test_settings_fall_back_to_lookersdk_env_vars_only_when_told(make_simulator) -> None:
    sim = make_simulator(rows=25, seed=2)
    run = run_tap({"lookersdk_fallback": True}, env=_lookersdk_env(sim))
    assert len(run.ids()) == 25


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({}, "base_url, client_id, client_secret"),
        # Another instance's base_url with the credentials of the Looker in LOOKERSDK_*.
        ({"base_url": "http://127.0.0.1:9", "client_id": CLIENT_ID}, "client_secret"),
        ({"lookersdk_fallback": False}, "base_url, client_id, client_secret"),
    ],
)
def test_lookersdk_env_vars_of_another_looker_are_not_read(
    make_simulator, config: dict[str, t.Any], missing: str
) -> None:
    """An instance without its own credentials refuses to run: exit 2, one line."""
    sim = make_simulator(rows=25, seed=2)
    run = run_tap(config, env=_lookersdk_env(sim), check=False)
    assert run.returncode == 2, run.stderr[-3000:]
    _assert_one_line_error(run, f"missing Looker setting(s): {missing}", "lookersdk_fallback")
    assert sim.stats()["login"] == 0


def test_timeout_and_verify_ssl_from_lookersdk_env_vars_are_not_overridden(make_simulator) -> None:
    sim = make_simulator(rows=25, seed=2)
    sim.inject("slow", count=1, match="query", seconds=3)
    config = {k: v for k, v in tap_config(sim).items() if k != "timeout"}
    env = {"LOOKERSDK_TIMEOUT": "1", "LOOKERSDK_VERIFY_SSL": "false"}
    run = run_tap(config, env=env)
    assert "timed out after 1s" in run.stderr  # LOOKERSDK_TIMEOUT, not the tap's 120 s
    bad = run_tap(config, env={"LOOKERSDK_VERIFY_SSL": "banana"}, check=False)
    _assert_one_line_error(bad, "verify_ssl")


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"base_url": "company.looker.com"}, "base_url must be an http(s) URL"),
        ({"start_date": "yesterday"}, "start_date 'yesterday' is not an ISO 8601"),
        ({"query_timezone": "Mars/Olympus"}, "query_timezone 'Mars/Olympus'"),
        ({"page_size": 0}, "page_size"),
        ({"backoff_factor": "soon"}, "backoff_factor"),
    ],
)
def test_invalid_settings(make_simulator, override: dict[str, t.Any], fragment: str) -> None:
    sim = make_simulator(rows=5, seed=1)
    run = run_tap(tap_config(sim, **override), check=False)
    _assert_one_line_error(run, fragment)


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    def _html(self) -> None:
        body = b"<html><body>Please sign in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _html  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def test_a_non_looker_server_answering_html() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = {
            "base_url": f"http://127.0.0.1:{server.server_port}",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "max_retries": 0,
        }
        run = run_tap(config, check=False)
    finally:
        server.shutdown()
    _assert_one_line_error(run, "not")


def test_html_query_result_from_a_proxy(make_simulator) -> None:
    sim = make_simulator(rows=30, seed=1)
    sim.inject("html", count=1, match="query")
    run = run_tap(tap_config(sim), check=False)
    _assert_one_line_error(run, "HTML", "base_url")


def test_unknown_explore_is_named(make_simulator) -> None:
    sim = make_simulator(rows=5, seed=1)
    sim.remove_explore("content_usage")
    run = run_tap(tap_config(sim), check=False)
    _assert_one_line_error(run, "content_usage", "404")


# A secret with every character an encoding changes: percent-encoding, JSON escapes, '+'.
ODD_SECRET = 'Zq8"x/y+z=&w\\v %ü-' + uuid.uuid4().hex[:10]
PADDING = "x" * 290  # puts the echo across the 300-character cut of Looker's messages


def _needles(tokens: list[str]) -> dict[str, str]:
    basic = f"{CLIENT_ID}:{ODD_SECRET}".encode()
    needles = {
        "secret": ODD_SECRET,
        "secret, percent-encoded": urllib.parse.quote(ODD_SECRET, safe=""),
        "secret, form-encoded": urllib.parse.quote_plus(ODD_SECRET),
        "secret, JSON-escaped": json.dumps(ODD_SECRET)[1:-1],
        "secret, first 12 characters": ODD_SECRET[:12],
        "id:secret, base64 (HTTP Basic)": base64.b64encode(basic).decode().rstrip("="),
    }
    for i, token in enumerate(tokens):
        needles[f"token {i}"] = token
        needles[f"token {i}, first 12 characters"] = token[:12]
    return needles


@pytest.mark.parametrize(
    ("kind", "match", "count", "message"),
    [
        # A 401 quoting the token the request carried: twice, so the re-login fails too.
        ("401", "query", 2, "Invalid token {token} (header {authorization})"),
        ("403", "query", 1, "Client secret {client_secret} ({basic_auth}) may not see this"),
        ("sql_error", "query", 1, "SQL Error near {client_secret_json}: {login_form}"),
        pytest.param("sql_error", "query", 1, PADDING + "{client_secret}", id="cut-secret"),
        pytest.param("sql_error", "query", 1, PADDING + "{token}", id="cut-token"),
        pytest.param("403", "query", 1, PADDING + "{token}", id="cut-403-token"),
        # Transient: logged at every retry, then in the final error.
        ("query_timeout", "query", 3, "statement timeout; session {token} {client_secret}"),
    ],
)
def test_a_server_echoing_the_secret_or_token_is_redacted_everywhere(
    make_simulator, kind: str, match: str, count: int, message: str
) -> None:
    """A hostile or odd server (looker-simulator's echo placeholders) quotes the credentials."""
    sim = make_simulator(rows=10, seed=1, client_secret=ODD_SECRET)
    tokens: list[str] = []
    login = sim.auth.login

    def recording_login(*args: t.Any, **kwargs: t.Any) -> dict[str, t.Any] | None:
        issued = login(*args, **kwargs)
        if issued:
            tokens.append(issued["access_token"])
        return issued

    sim.auth.login = recording_login  # type: ignore[method-assign]
    sim.inject(kind, count=count, match=match, message=message)
    config = tap_config(sim, client_secret=ODD_SECRET, max_retries=2, backoff_factor=0.01)
    run = run_tap(config, env={"LOGLEVEL": "DEBUG"}, check=False)
    assert tokens, "the tap logged in"
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-looker-activity: error: "), last
    assert "[redacted]" in last, f"the echo must reach the error line, redacted: {last}"
    output = run.stdout + run.stderr
    leaks = {
        name: next(line for line in output.splitlines() if value in line)[:400]
        for name, value in _needles(tokens).items()
        if value in output
    }
    assert not leaks, leaks
