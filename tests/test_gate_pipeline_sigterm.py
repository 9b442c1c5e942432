"""`meltano run looker-to-bigquery` stopped with SIGTERM (Airflow stopping a task, `docker
stop`, a pod eviction): nothing may be stored that BigQuery does not hold.

Meltano 4.4.1 cancels the job on SIGTERM and sends SIGTERM to the tap and to the gate. The
tap (singer-sdk) prints its state as it was and exits (0 until the tap reports it); the gate
forwards the signal to the target and, after any forwarded signal, writes no STATE whatever
the target's exit code (z3-target-bigquery 0.7.2 dies of it; singer-sdk >= 0.47 targets
would exit 0 with a STATE). Stopped after a batch was staged to GCS, before any load.
"""

from __future__ import annotations

import os
import signal
import time
import typing as t

from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.pipeline import new_destination, pipeline_env
from tests.reliability_helpers import (
    IsolatedMeltano,
    group_alive,
    kill_group,
    loaded_rows,
    output_lines,
    wait_for,
)

if t.TYPE_CHECKING:
    import pytest

    from tests.harness import EmulatorStack


def test_sigterm_to_meltano_run_stores_nothing_and_ends_with_the_gate_line(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack = emulator_stack
    base = tmp_path_factory.mktemp("sigterm")
    project = IsolatedMeltano.create(base)
    with LookerSimulator(
        rows=3_000, seed=1302, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        sim.inject("slow", match="query", skip=1, seconds=60)  # page 2 hangs: run in flight
        dataset, bucket = new_destination(stack)
        env = pipeline_env(sim, stack, dataset, bucket)
        log = base / "run.log"
        proc = project.start(
            "run", "tap-looker-activity", "target-bigquery", environment="local-gcp",
            env=env, log=log,
        )  # fmt: skip
        try:
            wait_for(
                lambda: stack.gcs.list_objects(bucket), timeout=180,
                what="a staged batch", proc=proc, log=log,
            )  # fmt: skip
            os.kill(proc.pid, signal.SIGTERM)  # meltano only, as a supervisor does
            returncode = proc.wait(timeout=120)
            wait_for(lambda: not group_alive(proc.pid), timeout=30, what="every plugin to exit")
        finally:
            if proc.poll() is None or group_alive(proc.pid):
                kill_group(proc)
    lines = output_lines(log)
    assert returncode != 0, "\n".join(lines[-30:])
    assert project.stored_state() is None, "no STATE may be stored after a SIGTERM"
    assert loaded_rows(stack, dataset) == {}
    last = "\n".join(lines[-15:])
    assert "singer-state-gate: error: target target-bigquery " in last, last
    assert "after the gate forwarded SIGTERM" in last, last
    assert "the bookmark is not advanced" in last


def test_target_failing_while_the_tap_streams_ends_the_run_promptly_with_the_cause_last(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The staging bucket is missing: the target fails at its first batch while the tap still
    has ~60 s of pages to send. Meltano must stop the tap, print no BrokenPipeError traceback
    (meltano/meltano#7047), and end with the gate's line naming the cause."""
    stack = emulator_stack
    base = tmp_path_factory.mktemp("target-fails")
    project = IsolatedMeltano.create(base)
    with LookerSimulator(
        rows=30_000, seed=1303, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, query_delay=2.0
    ) as sim:
        dataset, _ = new_destination(stack)
        env = pipeline_env(sim, stack, dataset, "no-such-bucket-1303")
        log = base / "run.log"
        started = time.monotonic()
        proc = project.start(
            "run", "tap-looker-activity", "target-bigquery", environment="local-gcp",
            env=env, log=log,
        )  # fmt: skip
        try:
            returncode = proc.wait(timeout=300)
            took = time.monotonic() - started
            wait_for(lambda: not group_alive(proc.pid), timeout=30, what="every plugin to exit")
        finally:
            if proc.poll() is None or group_alive(proc.pid):
                kill_group(proc)
        queries = sim.stats()["query"]
    lines = output_lines(log)
    text = "\n".join(lines)
    assert returncode != 0, text[-3000:]
    assert project.stored_state() is None
    gate = [i for i, line in enumerate(lines) if "singer-state-gate: error: target" in line]
    assert len(gate) == 1, text[-3000:]
    assert "no-such-bucket-1303" in lines[gate[0]], lines[gate[0]]
    assert "the bookmark is not advanced" in lines[gate[0]]
    assert len(lines) - gate[0] <= 6, "\n".join(lines[gate[0] :])
    assert "BrokenPipeError" not in text
    assert "Traceback" not in "\n".join(lines[gate[0] :])
    # The tap was stopped, not left to read all 30 pages (~60 s of Looker queries).
    assert queries < 15, queries
    assert took < 120, took
