"""`make demo-gcp` (scripts/demo_gcp.py) end to end, and the TAP_LOOKER_ACTIVITY_* overrides.

The demo runs as a real process, as `make demo-gcp` runs it: it starts the Looker simulator
and the emulators itself, runs `meltano run looker-to-bigquery` in `local-gcp` and must stop
everything it started.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import typing as t
import uuid

import pytest

from tests.conftest import REPO_ROOT
from tests.harness import free_port
from tests.meltano_cli import MeltanoProject

DEMO = REPO_ROOT / "scripts" / "demo_gcp.py"
ROWS = 2_500


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def demo_run() -> tuple[subprocess.CompletedProcess[str], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MELTANO_STATE_BACKEND")}
    proc = subprocess.run(
        [sys.executable, str(DEMO), "--port", str(port), "--rows", str(ROWS), "--seed", "9"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, port


def test_demo_gcp_loads_bigquery_and_prints_the_bookmark(
    demo_run: tuple[subprocess.CompletedProcess[str], int],
) -> None:
    proc, port = demo_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert f"{ROWS:,} rows in BigQuery table test-project.looker_activity.content_usage" in out
    assert f"({ROWS:,} distinct ids)" in out
    match = re.search(r"content_usage: last_accessed_time = (\S+)", out)
    assert match, out
    newest = re.search(r"newest last_accessed_time in BigQuery: (\S+) (\S+)", out)
    assert newest, out
    # the stored bookmark is the newest row that landed
    assert match.group(1).startswith(f"{newest.group(1)}T{newest.group(2)[:8]}")
    assert "stopped the simulator and the emulators" in out
    assert not _listening(port), "the Looker simulator is still listening"


def test_demo_gcp_run_shows_no_target_library_warnings(
    demo_run: tuple[subprocess.CompletedProcess[str], int],
) -> None:
    """Deprecation/resource warnings of the target's libraries are silenced (meltano.yml env)."""
    proc, _ = demo_run
    target_lines = [line for line in proc.stderr.splitlines() if "target-bigquery" in line]
    assert target_lines, "no target output at all"
    noisy = [line for line in target_lines if "Warning" in line]
    assert not noisy, "\n".join(noisy)


def _processes_with(marker: str) -> list[str]:
    """Command lines of live processes whose environment holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if marker.encode() not in environ.read():
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                found.append(cmdline.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def test_demo_gcp_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, str(DEMO), "--port", str(port), "--rows", "10"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("demo-gcp: ")
    assert "Address already in use" in proc.stderr


def test_demo_gcp_ctrl_c_mid_run_stops_everything_it_started() -> None:
    """SIGINT while `meltano run` loads: simulator, emulators, meltano, tap, target all gone."""
    marker = f"demo-gcp-test-{uuid.uuid4().hex}"
    env = {**os.environ, "DEMO_GCP_TEST_MARKER": marker}
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--port", str(free_port()), "--rows", "2000"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "run looker-to-bigquery" in line:
                break
        deadline = time.monotonic() + 240  # generous: meltano starts slowly on a busy machine
        # wait until the target is running under meltano
        while not any("target-bigquery" in c for c in _processes_with(marker)):
            assert time.monotonic() < deadline, "the target never started"
            time.sleep(0.2)
        assert len(_processes_with(marker)) >= 5  # demo, 3 emulators, meltano, tap, target
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert err.strip().splitlines()[-1].startswith("demo-gcp: interrupted (SIGINT)")
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_with(marker)


@pytest.mark.parametrize("environment", ["dev", "local-gcp"])
def test_looker_connection_is_overridden_by_environment_variables(
    environment: str, tmp_path: t.Any
) -> None:
    """TAP_LOOKER_ACTIVITY_* beat the environment's `config:` in meltano.yml (no file edit)."""
    project = MeltanoProject(REPO_ROOT, tmp_path / "state")
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": "https://other.looker.example:19999",
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": "other-client-id",
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": "other-client-secret-8c1f",
    }
    out = project.run(
        f"--environment={environment}",
        "config",
        "list",
        "tap-looker-activity",
        environment=environment,
        env=env,
    ).stdout
    lines = {line.split(" ", 1)[0]: line for line in out.splitlines() if "current value" in line}
    for setting in ("base_url", "client_id", "client_secret"):
        variable = f"TAP_LOOKER_ACTIVITY_{setting.upper()}"
        assert f"(from the {variable} variable in the environment)" in lines[setting], out
    assert "'https://other.looker.example:19999'" in lines["base_url"]
    assert "'other-client-id'" in lines["client_id"]
    assert "other-client-secret-8c1f" not in out

    # without the variables, the environment's own values apply
    default = project.run(
        f"--environment={environment}",
        "config",
        "list",
        "tap-looker-activity",
        environment=environment,
    ).stdout
    assert "'http://127.0.0.1:8765' (from the active environment in `meltano.yml`)" in default
