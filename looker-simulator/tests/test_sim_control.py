"""The /_simulator control plane via SimulatorClient, and the CLI as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from simtest_helpers import CLIENT_ID, CLIENT_SECRET, Api, f

from looker_simulator import SimulatorClient, SimulatorError


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    port_file = tmp_path / "port"
    env = {**os.environ, "LOOKER_SIMULATOR_CLIENT_SECRET": CLIENT_SECRET}
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "looker_simulator", "--port", "0", "--port-file",
            str(port_file), "--rows", "2000", "--seed", "3", "--client-id", CLIENT_ID,
            "--verbose",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not port_file.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "simulator did not start"
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
    try:
        yield proc, base_url, port_file
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_serves_until_sigterm_and_never_logs_secrets(
    cli: tuple[subprocess.Popen[str], str, Path],
) -> None:
    proc, base_url, port_file = cli
    client = SimulatorClient(base_url)
    health = client.wait_ready()
    assert health["row_counts"] == {"content_usage": 2000}
    api = Api(base_url)
    assert len(api.rows({"fields": [f("id")], "limit": "5"})) == 5
    token = api.token
    assert token

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out.strip() == f"looker-simulator listening on {base_url}"
    assert "POST /api/4.0/login -> 200" in err  # --verbose logs one line per request
    for secret in (CLIENT_SECRET, token):
        assert secret not in out + err
    assert not port_file.exists()


def test_sigint_also_exits_cleanly(cli: tuple[subprocess.Popen[str], str, Path]) -> None:
    proc, base_url, _ = cli
    SimulatorClient(base_url).wait_ready()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_control_plane_round_trip(cli: tuple[subprocess.Popen[str], str, Path]) -> None:
    _, base_url, _ = cli
    client = SimulatorClient(base_url)
    client.wait_ready()
    api = Api(base_url)

    truth = client.truth()
    assert len(truth) == client.row_count() == 2000
    client.advance(seconds=3600, new_rows=5, touched_rows=7)
    assert client.row_count() == 2005
    assert client.health()["now"] == "2024-02-01T01:00:00Z"

    client.add_dimension("kind_and_id", "string", template="{content_type}:{content_id}")
    client.add_dimension("is_archived", "yesno", default=False)
    rows = api.rows({"fields": [f("id"), f("kind_and_id"), f("is_archived")], "limit": "3"})
    assert all(":" in r[f("kind_and_id")] and r[f("is_archived")] == "No" for r in rows)
    client.remove_dimension("is_archived")
    assert api.query({"fields": [f("is_archived")]}).status_code == 422

    client.configure(default_row_cap=100)
    assert len(api.rows({"fields": [f("id")]})) == 100
    client.configure(expire_token_after=1)
    api.login()
    assert api.get("/user").status_code == 200
    assert api.get("/user").status_code == 401
    client.configure(expire_token_after=None)
    api.login()
    client.expire_tokens()
    assert api.get("/user").status_code == 401

    stats = client.stats()
    assert stats["login"] >= 2
    assert stats["query"] >= 3
    client.reset_stats()
    assert client.stats()["total"] == 0
    with pytest.raises(SimulatorError):
        client.add_dimension("bad", "no_such_type")
    with pytest.raises(SimulatorError):
        client.inject("explode")


def test_cli_flags_for_real_looker_behaviours(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "looker_simulator", "--port", "0", "--port-file",
            str(port_file), "--rows", "50", "--query-delay", "0.05", "--row-delay", "0.001",
            "--system-timezone", "America/New_York", "--edition", "standard",
            "--cache-seconds", "60", "--max-concurrent-queries", "3",
            "--no-record-api-queries", "--api-user-id", "77", "--max-row-limit", "100",
            "--subquery-timeout-rows", "10", "--client-id", CLIENT_ID,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LOOKER_SIMULATOR_CLIENT_SECRET": CLIENT_SECRET},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        settings = SimulatorClient(base_url).wait_ready()["settings"]
        assert (
            settings
            | {
                "query_delay": 0.05,
                "row_delay": 0.001,
                "system_timezone": "America/New_York",
                "edition": "standard",
                "cache_seconds": 60,
                "max_concurrent_queries": 3,
                "record_api_queries": False,
                "api_user_id": 77,
                "max_row_limit": 100,
                "subquery_timeout_rows": 10,
            }
            == settings
        )
        assert Api(base_url).get("/user").json()["id"] == "77"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
