"""Bad input: one clear line naming the problem, a non-zero exit, never the secret."""

from __future__ import annotations

import http.server
import socket
import threading
import typing as t

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
    assert not run.records


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


def test_settings_fall_back_to_lookersdk_env_vars(make_simulator) -> None:
    sim = make_simulator(rows=25, seed=2)
    env = {
        "LOOKERSDK_BASE_URL": sim.base_url,
        "LOOKERSDK_CLIENT_ID": CLIENT_ID,
        "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
    }
    run = run_tap({}, env=env)
    assert len(run.ids()) == 25


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
