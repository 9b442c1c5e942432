"""Fan-out on Airflow: the ten streams in four groups (orchestrate/fanout.meltano.yml), each an
inherited tap with its own `select` and state, as parallel tasks of the generated DAG.

1. `airflow dags test looker-fanout-to-bigquery` (local-gcp: simulator -> GCS -> BigQuery
   emulators): every table equals the simulator's truth (into empty tables with `upsert` off,
   as in test_e2e_streams.py: the target sleeps seconds per table and upsert).
2. `dags test` runs tasks one at a time, so, after Looker moved on, the DAG's four group task
   commands (its exact `bash_command` and environment, the loader swapped for target-jsonl,
   which does not sleep) run at the same time, as parallel workers would: one project, one
   system db, one target run directory, four `meltano run`s. Each lands every row of its
   streams, with its own state.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import typing as t
from pathlib import Path

import pytest
import yaml
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.pipeline import new_destination, pipeline_env
from tests.test_airflow_dags import (
    _missing,
    clean_env,
    find_airflow_python,
    find_meltano,
    load_dagbag,
    run_dags_test,
)
from tests.test_e2e_streams import DEFINITIONS, SIZES, assert_equals_truth, snapshot, truth_rows

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

DAG_ID = "looker-fanout-to-bigquery"
FANOUT_YML = REPO_ROOT / "orchestrate" / "fanout.meltano.yml"
GROUPS = {
    "tap-looker-activity--history",
    "tap-looker-activity--query",
    "tap-looker-activity--event",
    "tap-looker-activity--content",
}
# Small: the point is every stream through every group, not volume.
ROWS = {name: max(40, size // 4) for name, size in SIZES.items()}


def read_jsonl(path: Path) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def group_selects() -> dict[str, list[str]]:
    spec = yaml.safe_load(FANOUT_YML.read_text())
    return {p["name"]: p["select"] for p in spec["plugins"]["extractors"]}


def test_every_stream_is_in_exactly_one_group() -> None:
    """A stream added to the tap but to no group would silently never load on the fan-out."""
    selects = group_selects()
    assert set(selects) == GROUPS
    streams = [pattern.removesuffix(".*") for patterns in selects.values() for pattern in patterns]
    assert len(streams) == len(set(streams)), "a stream in two groups"
    assert set(DEFINITIONS) <= set(streams)


@pytest.fixture(scope="module")
def fanout(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[dict[str, t.Any]]:
    airflow_python = find_airflow_python()
    if airflow_python is None:
        _missing("Airflow utility venv (.meltano/utilities/airflow/venv) or $AIRFLOW_PYTHON")
    assert airflow_python is not None
    work = tmp_path_factory.mktemp("fanout")
    dataset, bucket = new_destination(emulator_stack)
    sim = LookerSimulator(
        rows=120,
        seed=404,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        explores=ROWS,
        # Off: each query of a later group would add a history/query row after those groups
        # were extracted (the next run picks them up); the truth must hold still for the check.
        record_api_queries=False,
    )
    sim.start()
    try:
        state = work / "state"
        env = pipeline_env(
            sim,
            emulator_stack,
            dataset,
            bucket,
            MELTANO_ENVIRONMENT="local-gcp",
            MELTANO_STATE_BACKEND_URI=state.as_uri(),
        )
        # Not what this test is about (test_e2e_bigquery covers it through Meltano).
        env.pop("TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR", None)
        t0 = time.monotonic()
        first = run_dags_test(REPO_ROOT, DAG_ID, {**env, "TARGET_BIGQUERY_UPSERT": "false"})
        output = first.stdout + first.stderr
        assert first.returncode == 0, "\n".join(
            line for line in output.splitlines() if "rror" in line or "meltano" in line
        )[-8000:]
        initial = snapshot(sim, emulator_stack, dataset)
        print(f"fan-out: airflow dags test {time.monotonic() - t0:.0f} s")

        sim.advance(seconds=6 * 3_600, new_rows=60, touched_rows=40)
        bag, logs = load_dagbag(
            airflow_python,
            work,
            {
                "MELTANO_PROJECT_ROOT": str(REPO_ROOT),
                "MELTANO_SCHEDULES_CACHE": str(work / "schedules.cache.json"),
                "MELTANO_BIN": str(find_meltano()),
                "MELTANO_SCHEDULES_TIMEOUT": "120",
            },
        )
        dag = bag["dags"][DAG_ID]
        tasks = [task for task in dag["tasks"] if task["task_id"].split("_")[0] in GROUPS]
        assert len(tasks) == len(GROUPS), logs[-3000:]
        jsonl = work / "jsonl"
        jsonl.mkdir()
        parallel_env = {**env, "TARGET_JSONL_DESTINATION_PATH": str(jsonl)}
        started, procs = time.monotonic(), []
        for task in tasks:
            log_path = work / f"{task['task_id']}.log"
            command = task["bash_command"].replace(" target-bigquery", " target-jsonl")
            with log_path.open("w") as log:
                proc = subprocess.Popen(
                    ["bash", "-c", command],
                    cwd=task["cwd"],
                    env={**clean_env(**parallel_env), **task["env"]},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            procs.append((task["task_id"], proc, log_path))
        spans = {}
        for task_id, proc, log_path in procs:
            code = proc.wait(timeout=600)
            spans[task_id] = time.monotonic() - started
            assert code == 0, f"{task_id} exited {code}:\n{log_path.read_text()[-5000:]}"
        print(f"fan-out: parallel runs {time.monotonic() - started:.0f} s")
        yield {
            "dag": dag,
            "output": output,
            "initial": initial,
            "jsonl": {stream: read_jsonl(jsonl / f"{stream}.jsonl") for stream in DEFINITIONS},
            "truth": {stream: truth_rows(sim, stream) for stream in DEFINITIONS},
            "state_ids": sorted(p.name for p in state.iterdir()),
        }
    finally:
        sim.stop()


def test_dag_shape(fanout: dict[str, t.Any]) -> None:
    dag = fanout["dag"]
    assert dag["max_active_tasks"] == 4
    groups = [task for task in dag["tasks"] if task["task_id"].split("_")[0] in GROUPS]
    assert all(task["upstream"] == [] for task in groups), "the groups run side by side"
    # Airflow ran each group as its own `meltano run` of its inherited tap.
    for group in GROUPS:
        assert f"run {group} target-bigquery" in fanout["output"]


@pytest.mark.parametrize("stream", list(DEFINITIONS))
def test_dags_test_loads_every_table_equal_to_the_truth(
    fanout: dict[str, t.Any], stream: str
) -> None:
    assert_equals_truth(fanout["initial"], stream)


@pytest.mark.parametrize("stream", list(DEFINITIONS))
def test_concurrent_group_runs_each_land_every_row(fanout: dict[str, t.Any], stream: str) -> None:
    """The four groups at once in one project (one system db, one target run directory)."""
    ids = [record["id"] for record in fanout["jsonl"][stream]]
    assert len(ids) == len(set(ids)), f"{stream}: duplicate ids"
    assert {(i,) for i in ids} == set(fanout["truth"][stream])
    assert len(fanout["truth"][stream]) > len(fanout["initial"].truth[stream]), "Looker moved on"


def test_each_group_has_its_own_state(fanout: dict[str, t.Any]) -> None:
    assert fanout["state_ids"] == sorted(
        f"local-gcp:{g}-to-{target}"
        for g in GROUPS
        for target in ("target-bigquery", "target-jsonl")
    )


def test_private_runner_left_no_plugin_configuration(fanout: dict[str, t.Any]) -> None:
    """Every run ended: Meltano deleted its config files, none is left readable."""
    del fanout
    run = Path(os.environ.get("MELTANO_SYS_DIR_ROOT") or REPO_ROOT / ".meltano") / "run"
    assert run.stat().st_mode & 0o077 == 0, "the run directory is private"
    for group in GROUPS:
        assert not list((run / group).glob("*.config.json"))
