"""singer-state-gate withholds STATE after any signal it forwarded, whatever the exit code.

singer-sdk targets from 0.47 catch SIGTERM/SIGINT, drain their sinks, print STATE and exit
0; a signal that lands during a drain can leave that STATE ahead of what was committed
(meltano/sdk issue 3775). So the gate cannot trust a STATE printed after it forwarded a
signal: it writes none and exits 128 + N with one line. Here the target is a real singer-sdk
target (the dev venv's singer-sdk 0.54.9) under the gate installed in the target-bigquery
plugin venv, i.e. the executable Meltano runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import typing as t

import pytest

from tests.reliability_helpers import TARGET_VENV, wait_for, write_script

if t.TYPE_CHECKING:
    from pathlib import Path

GATE = TARGET_VENV / "bin" / "singer-state-gate"

# A minimal singer-sdk target: records are "committed" by process_batch; every record it
# reads is also appended to $SEEN, so the test knows how far the target got.
SDK_TARGET = f"""#!{sys.executable}
import json, os
from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink

class Sink(BatchSink):
    def process_record(self, record, context):
        with open(os.environ["SEEN"], "a") as seen:
            seen.write(json.dumps(record) + "\\n")

    def process_batch(self, context):
        pass

class SdkTarget(Target):
    name = "target-sdk-double"
    config_jsonschema = th.PropertiesList().to_dict()
    default_sink_class = Sink

SdkTarget.cli()
"""

SCHEMA = {
    "type": "SCHEMA",
    "stream": "s",
    "schema": {"properties": {"id": {"type": "integer"}}},
    "key_properties": ["id"],
}


def _line(message: dict[str, t.Any]) -> str:
    return json.dumps(message) + "\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sdk_target_exiting_0_after_a_forwarded_signal_gets_no_state_released(
    tmp_path: Path, signum: signal.Signals
) -> None:
    if not GATE.exists():
        pytest.fail(f"{GATE} missing: run `.venv/bin/meltano install`")
    target = write_script(tmp_path / "target-sdk-double", SDK_TARGET)
    config = tmp_path / "config.json"
    config.write_text("{}")
    seen = tmp_path / "seen"
    proc = subprocess.Popen(
        [str(GATE), str(target), "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SEEN": str(seen), "SINGER_STATE_GATE_STOP_SECONDS": "10"},
    )
    assert proc.stdin is not None
    proc.stdin.write(_line(SCHEMA))
    proc.stdin.write(_line({"type": "RECORD", "stream": "s", "record": {"id": 1}}))
    proc.stdin.write(_line({"type": "STATE", "value": {"bookmarks": {"s": {"id": 1}}}}))
    proc.stdin.write(_line({"type": "RECORD", "stream": "s", "record": {"id": 2}}))
    proc.stdin.flush()  # the tap is still running: stdin stays open

    def read_both() -> bool:
        return seen.exists() and len(seen.read_text().splitlines()) == 2

    try:
        wait_for(read_both, timeout=30, what="the target to read the STATE and record 2")
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out == "", "no STATE may reach Meltano after a forwarded signal"
    assert proc.returncode == 128 + signum
    errors = [line for line in err.splitlines() if line.startswith("singer-state-gate: error:")]
    assert len(errors) == 1, err[-3000:]
    # Usually the target drains, prints STATE and exits 0. Now and then singer-sdk's handler
    # deadlocks (its drain threads log while the interrupted main thread holds the logging
    # lock) and the gate kills it after SINGER_STATE_GATE_STOP_SECONDS: both end the same way.
    if "and was killed" in errors[0]:  # deadlocked before it printed its STATE
        assert f"after the gate forwarded {signum.name} and was killed; " in errors[0]
        assert "STATE message(s) withheld, the bookmark is not advanced" in errors[0]
    else:
        assert f"exited 0 after the gate forwarded {signum.name}" in errors[0], errors[0]
        assert "1 STATE message(s) withheld, the bookmark is not advanced" in errors[0]
    assert "Traceback" not in err


# A target that ignores SIGTERM and keeps reading: what a deadlocked target looks like.
STUCK_TARGET = f"""#!{sys.executable}
import signal, sys, json
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for line in sys.stdin:
    if json.loads(line)["type"] == "STATE":
        print(json.dumps(json.loads(line)["value"]), flush=True)
    print("read", file=sys.stderr, flush=True)
"""


def test_target_that_does_not_stop_after_a_forwarded_signal_is_killed(tmp_path: Path) -> None:
    if not GATE.exists():
        pytest.fail(f"{GATE} missing: run `.venv/bin/meltano install`")
    target = write_script(tmp_path / "target-stuck", STUCK_TARGET)
    proc = subprocess.Popen(
        [str(GATE), str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SINGER_STATE_GATE_STOP_SECONDS": "2"},
    )
    assert proc.stdin is not None
    proc.stdin.write(_line({"type": "STATE", "value": {"bookmarks": {"s": {"id": 1}}}}))
    proc.stdin.flush()  # stdin stays open: the target would read forever
    try:
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=30)  # stdin stays open, as the tap's stream would
        took = time.monotonic() - started
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out == ""
    assert proc.returncode == 128 + signal.SIGTERM
    assert 1.5 < took < 15, (took, err)
    errors = [line for line in err.splitlines() if line.startswith("singer-state-gate: error:")]
    assert errors == [
        "singer-state-gate: error: target target-stuck did not stop within 2 s after the gate "
        "forwarded SIGTERM and was killed; 1 STATE message(s) withheld, the bookmark is not "
        "advanced"
    ], err[-2000:]


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_a_bad_stop_timeout_is_refused_in_one_line(tmp_path: Path, value: str) -> None:
    target = write_script(tmp_path / "target-stuck", STUCK_TARGET)
    proc = subprocess.run(
        [str(GATE), str(target)],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "SINGER_STATE_GATE_STOP_SECONDS": value},
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "singer-state-gate: error: SINGER_STATE_GATE_STOP_SECONDS must be a number of seconds "
        f"between 0 and 86400, not {value!r}"
    ]
