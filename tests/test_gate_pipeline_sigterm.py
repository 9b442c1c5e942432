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
