"""`meltano run looker-to-bigquery` in `local-gcp`: Looker simulator -> GCS -> BigQuery.

Real processes only: the Looker simulator, gcp-storage-emulator and bqemulator on loopback,
and `meltano run` as a subprocess. Assertions are on the rows in BigQuery.
"""

from __future__ import annotations

import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.meltano_cli import MeltanoProject
from tests.pipeline import (
    Snapshot,
    assert_equals_truth,
    bigquery_snapshot,
    new_destination,
    pipeline_env,
)

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

ROWS = 3_000


@pytest.fixture(scope="module")
def runs(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Snapshot]:
    """Initial load, a load after Looker moved on, and a rerun with nothing new."""
    project = MeltanoProject(REPO_ROOT, tmp_path_factory.mktemp("state"))
    dataset, bucket = new_destination(emulator_stack)

    sim = LookerSimulator(rows=ROWS, seed=101, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sim.start()
    try:
        env = pipeline_env(sim, emulator_stack, dataset, bucket)
        snapshots = {}
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["initial"] = bigquery_snapshot(sim, emulator_stack, dataset, bucket)

        sim.advance(seconds=6 * 3_600, new_rows=400, touched_rows=250)
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["advanced"] = bigquery_snapshot(sim, emulator_stack, dataset, bucket)

        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["unchanged"] = bigquery_snapshot(sim, emulator_stack, dataset, bucket)
        return snapshots
    finally:
        sim.stop()


def test_initial_load_equals_truth_with_types(runs: dict[str, Snapshot]) -> None:
    snap = runs["initial"]
    assert_equals_truth(snap)
    assert len(snap.rows) == ROWS
    types = snap.column_types
    assert types["id"] in {"INTEGER", "INT64"}
    assert types["api_count"] in {"INTEGER", "INT64"}
    assert types["other_count"] in {"INTEGER", "INT64"}
    assert types["content_id"] == "STRING"
    assert "content_title" not in types  # changes without last_accessed_time moving: left out
    assert types["last_accessed_time"] == "TIMESTAMP"
    assert types["last_accessed_date"] == "DATE"
    staged = [o for o in snap.staged_objects if o.endswith(".jsonl.gz")]
    assert staged, f"nothing staged in GCS: {snap.staged_objects}"
    # The data and the run's own audit, both staged through GCS like any stream.
    assert {"content_usage", "sync_audit"} == {
        stream for o in staged for stream in ("content_usage", "sync_audit") if f"/{stream}" in o
    }
    assert all("/content_usage" in o or "/sync_audit" in o for o in staged)


def test_rerun_after_looker_moved_on_converges(runs: dict[str, Snapshot]) -> None:
    snap = runs["advanced"]
    assert_equals_truth(snap)
    assert len(snap.rows) == ROWS + 400
    changed = {
        i for i, row in snap.truth.items() if runs["initial"].truth.get(i) not in (None, row)
    }
    assert len(changed) >= 200, "the simulator should have grown counters on existing rows"


def test_rerun_with_nothing_new_leaves_the_table_unchanged(runs: dict[str, Snapshot]) -> None:
    before, after = runs["advanced"], runs["unchanged"]
    assert_equals_truth(after)
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(after.rows, key=key) == sorted(before.rows, key=key)
