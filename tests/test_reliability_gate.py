"""singer-state-gate on its own (fast): what it forwards, withholds and signals.

Runs the gate as installed in the target-bigquery plugin venv (``meltano install``) around
a small fake target, so these tests exercise the artifact Meltano runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import typing as t

import pytest

from tests.conftest import REPO_ROOT
from tests.reliability_helpers import TARGET_VENV, wait_for, write_script

if t.TYPE_CHECKING:
    from pathlib import Path

GATE = TARGET_VENV / "bin" / "singer-state-gate"

FAKE_TARGET = f"""#!{sys.executable}
# A Singer target double: echoes the value of each STATE it reads from stdin, writes some
# noise, then does what FAKE_MODE says.
import json, os, signal, sys, time

mode = os.environ.get("FAKE_MODE", "ok")
marker = os.environ.get("FAKE_MARKER")
signal.signal(signal.SIGTERM, lambda *_: (open(marker, "w").write("TERM"), sys.exit(143)))
for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "STATE":
        print(json.dumps(msg["value"]), flush=True)
print("not a state line", flush=True)
print("target log line", file=sys.stderr, flush=True)
if mode == "fail":
    raise ValueError("boom: the load job failed")
if mode == "wait":
    open(marker + ".ready", "w").write("")
    time.sleep(60)
"""


def _state(i: int) -> dict[str, t.Any]:
    return {"bookmarks": {"s": {"replication_key": "id", "replication_key_value": i}}}


def _messages(states: int = 2) -> str:
    lines = []
    for i in range(states):
        lines.append({"type": "RECORD", "stream": "s", "record": {"id": i}})
        lines.append({"type": "STATE", "value": _state(i)})
    return "".join(json.dumps(m) + "\n" for m in lines)


@pytest.fixture
def fake_target(tmp_path: Path) -> Path:
    if not GATE.exists():
        pytest.fail(f"{GATE} missing: run `.venv/bin/meltano install`")
    return write_script(tmp_path / "target-fake", FAKE_TARGET)


def _gate(fake_target: Path, mode: str, marker: Path, **kwargs: t.Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(GATE), str(fake_target), "--config", "x.json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FAKE_MODE": mode, "FAKE_MARKER": str(marker)},
        **kwargs,
    )


def test_exit_0_forwards_only_the_last_state(fake_target: Path, tmp_path: Path) -> None:
    proc = _gate(fake_target, "ok", tmp_path / "m")
    out, err = proc.communicate(_messages(3), timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == [json.dumps(_state(2))]
    assert "singer-state-gate: not a Singer STATE, not forwarded: not a state line" in err, (
        "non-STATE stdout goes to stderr, not to Meltano"
    )
    assert "target log line" in err
    assert "singer-state-gate: error" not in err


def test_failure_forwards_nothing_and_names_the_cause(fake_target: Path, tmp_path: Path) -> None:
    proc = _gate(fake_target, "fail", tmp_path / "m")
    out, err = proc.communicate(_messages(2), timeout=30)
    assert proc.returncode == 1
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("singer-state-gate: error:")]
    assert len(errors) == 1, err
    assert "exited 1 (ValueError: boom: the load job failed)" in errors[0]
    assert "2 STATE message(s) withheld" in errors[0]


def test_sigterm_is_forwarded_and_nothing_is_released(fake_target: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    proc = _gate(fake_target, "wait", marker)
    assert proc.stdin is not None
    proc.stdin.write(_messages(2))
    proc.stdin.close()
    wait_for(lambda: marker.with_suffix(".ready").exists(), timeout=20, what="the fake target")
    proc.send_signal(signal.SIGTERM)
    out = proc.stdout.read() if proc.stdout else ""
    assert proc.wait(timeout=20) == 143
    assert marker.read_text() == "TERM"
    assert out == ""


def test_target_gets_sigterm_when_the_gate_is_killed(fake_target: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    proc = _gate(fake_target, "wait", marker)
    assert proc.stdin is not None
    proc.stdin.write(_messages(1))
    proc.stdin.close()
    wait_for(lambda: marker.with_suffix(".ready").exists(), timeout=20, what="the fake target")
    proc.kill()
    proc.wait(timeout=10)
    wait_for(marker.exists, timeout=10, what="SIGTERM in the orphaned target")


def test_about_runs_the_target_untouched() -> None:
    gated = TARGET_VENV / "bin" / "target-bigquery-gated"
    proc = subprocess.run(
        [str(gated), "--about", "--format=json"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    about = json.loads(proc.stdout)  # multi-line JSON, not swallowed as "STATE"
    assert about["name"] == "target-bigquery"


def test_ddl_types_of_new_columns() -> None:
    from google.cloud.bigquery import SchemaField

    sys.path.insert(0, str(REPO_ROOT / "target-bigquery-fixes"))
    try:
        from target_bigquery_fixes.ddl import ddl_type
    finally:
        sys.path.pop(0)
    assert ddl_type(SchemaField("a", "STRING")) == "STRING"
    assert ddl_type(SchemaField("a", "INTEGER")) == "INT64"
    assert ddl_type(SchemaField("a", "FLOAT", mode="REPEATED")) == "ARRAY<FLOAT64>"
    nested = SchemaField(
        "a",
        "RECORD",
        mode="REPEATED",
        fields=[SchemaField("b", "BOOLEAN"), SchemaField("c", "TIMESTAMP")],
    )
    assert ddl_type(nested) == "ARRAY<STRUCT<`b` BOOL, `c` TIMESTAMP>>"
