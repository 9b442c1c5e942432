"""singer-state-gate forwards only Singer STATE lines, and does not wait for stdout forever.

Meltano stores every non-empty JSON line of the target's stdout verbatim as the complete state
(``meltano.core.plugin.singer.target.BookmarkWriter``). A target that prints a log object or
a summary there after its STATE would have that stored as the bookmark, and the next run
would reload everything. The gate forwards only what a target prints as a state: the tap's
state value, a JSON object of ``bookmarks`` (and ``currently_syncing``); anything else goes to
stderr with a note.

A target that exits 0 but leaves a process holding its stdout (``sleep 600 &``) must not
stall the run: the gate reads for ``SINGER_STATE_GATE_EXIT_GRACE_SECONDS`` (default 5) after
the target exited, then decides from what it read.

The gate here is the one installed in the target-bigquery plugin venv (the executable Meltano
runs); the targets are small doubles.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import typing as t

import pytest

from tests.reliability_helpers import TARGET_VENV, write_script

if t.TYPE_CHECKING:
    from pathlib import Path

GATE = TARGET_VENV / "bin" / "singer-state-gate"
NOTE = "singer-state-gate: not a Singer STATE, not forwarded: "

# Echoes the value of each STATE it reads, then prints each line of $AFTER on stdout. With
# $SLEEPER_PID set it first starts a `sleep 600` that inherits its stdout and stderr (and
# writes its pid there); with $NOISE_LINES it prints that many log lines before the echo.
TARGET = f"""#!{sys.executable}
import json, os, subprocess, sys
if "SLEEPER_PID" in os.environ:
    sleeper = subprocess.Popen(["sleep", "600"])
    open(os.environ["SLEEPER_PID"], "w").write(str(sleeper.pid))
for i in range(int(os.environ.get("NOISE_LINES", "0"))):
    print("log line", i, "x" * 200)
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "STATE":
        print(json.dumps(message["value"]))
for line in os.environ.get("AFTER", "").splitlines():
    print(line)
"""

BOOKMARK = {"bookmarks": {"content_usage": {"replication_key_value": "2024-01-10T00:00:00Z"}}}
NEWER = {"bookmarks": {"content_usage": {"replication_key_value": "2024-02-01T00:00:00Z"}}}


def _run(
    tmp_path: Path, states: list[dict[str, t.Any]], after: list[t.Any], **env: str
) -> subprocess.CompletedProcess[str]:
    if not GATE.exists():
        pytest.fail(f"{GATE} missing: run `.venv/bin/meltano install`")
    target = write_script(tmp_path / "target-double", TARGET)
    lines = "".join(json.dumps({"type": "STATE", "value": s}) + "\n" for s in states)
    return subprocess.run(
        [str(GATE), str(target)],
        input=lines,
        capture_output=True,
        text=True,
        env={**os.environ, "AFTER": "\n".join(json.dumps(a) for a in after), **env},
        timeout=60,
    )


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("singer-state-gate: error:")]


@pytest.mark.parametrize(
    "other",
    [
        {"level": "info", "message": "target finished", "timestamp": "2024-02-01T00:00:00Z"},
        {"records_written": 3, "streams": ["content_usage"]},
        # a log of the state the target *received*: not yet durable, even if it looks like one
        {"level": "debug", "event": "state received", **NEWER},
        {"singer_state": NEWER},  # Meltano would store it wrapped twice: no bookmarks
    ],
    ids=["log", "summary", "log-with-bookmarks", "singer_state-wrapping"],
)
def test_json_after_the_state_is_not_the_bookmark(tmp_path: Path, other: dict[str, t.Any]) -> None:
    proc = _run(tmp_path, [BOOKMARK], [other])
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [BOOKMARK]
    assert NOTE + json.dumps(other) in proc.stderr.splitlines(), "passed on, not hidden"
    assert _errors(proc.stderr) == []


def test_only_non_state_json_forwards_nothing(tmp_path: Path) -> None:
    summary = {"level": "info", "message": "loaded 0 rows"}
    proc = _run(tmp_path, [], [summary])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "", "a summary is no bookmark"
    assert NOTE + json.dumps(summary) in proc.stderr.splitlines()


def test_currently_syncing_is_a_state_key(tmp_path: Path) -> None:
    state = {**NEWER, "currently_syncing": "content_usage"}
    proc = _run(tmp_path, [BOOKMARK, state], [])
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [state]


def test_currently_syncing_without_bookmarks_is_going_backwards(tmp_path: Path) -> None:
    proc = _run(tmp_path, [BOOKMARK, {"bookmarks": {}, "currently_syncing": "content_usage"}], [])
    assert proc.stdout == "", "it would erase the stored bookmarks"
    assert proc.returncode == 1
    [error] = _errors(proc.stderr)
    assert "last STATE holds no bookmark after STATE messages that did" in error


@pytest.mark.parametrize(
    ("grace", "noise_lines"),
    [(None, 0), ("1", 2000)],
    ids=["default-grace", "1s-grace-after-400KB-of-logs"],
)
def test_a_child_holding_stdout_does_not_stall_the_gate(
    tmp_path: Path, grace: str | None, noise_lines: int
) -> None:
    pid_file = tmp_path / "sleeper.pid"
    env = {"SLEEPER_PID": str(pid_file), "NOISE_LINES": str(noise_lines)}
    if grace is not None:
        env["SINGER_STATE_GATE_EXIT_GRACE_SECONDS"] = grace
    started = time.monotonic()
    try:
        proc = _run(tmp_path, [BOOKMARK, NEWER], [], **env)
    finally:
        if pid_file.exists():  # the sleeper outlives the target (and the gate): end it
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
    took = time.monotonic() - started
    bound = float(grace or 5)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [NEWER]
    assert bound - 0.5 < took < bound + 7, (took, proc.stderr[-2000:])
    assert (
        f"singer-state-gate: the target exited, but its stdout was still open {bound:g} s later"
        in proc.stderr
    )
    assert proc.stderr.count(NOTE + "log line ") == noise_lines, "no line of the target lost"


def test_a_bad_exit_grace_is_refused_in_one_line(tmp_path: Path) -> None:
    proc = _run(tmp_path, [BOOKMARK], [], SINGER_STATE_GATE_EXIT_GRACE_SECONDS="soon")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "singer-state-gate: error: SINGER_STATE_GATE_EXIT_GRACE_SECONDS must be a number of "
        "seconds between 0 and 86400, not 'soon'"
    ]
