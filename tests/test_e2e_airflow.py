"""`airflow dags test` of the generated BigQuery DAG, end to end on the local stack.

Airflow (the Meltano utility's venv) runs the DAG generated from meltano.yml's schedule; its
task runs `meltano run tap-looker-activity target-bigquery` against the Looker simulator and
the GCS and BigQuery emulators. Assertions are on the rows in BigQuery.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.harness import EmulatorStack
from tests.pipeline import assert_equals_truth, bigquery_snapshot, new_destination, pipeline_env
from tests.test_airflow_dags import run_dags_test

DAG_ID = "daily-looker-to-bigquery"


def test_bigquery_dag_loads_then_runs_incrementally(
    make_simulator, emulator_stack: EmulatorStack, tmp_path: Path
) -> None:
    sim = make_simulator(rows=2_500, seed=202)
    dataset, bucket = new_destination(emulator_stack)
    env = pipeline_env(
        sim,
        emulator_stack,
        dataset,
        bucket,
        MELTANO_ENVIRONMENT="local-gcp",
        MELTANO_STATE_BACKEND_URI=(tmp_path / "state").as_uri(),
    )

    first = run_dags_test(REPO_ROOT, DAG_ID, env)
    assert first.returncode == 0, (first.stdout + first.stderr)[-5000:]
    assert_equals_truth(bigquery_snapshot(sim, emulator_stack, dataset, bucket))

    sim.advance(seconds=86_400, new_rows=200, touched_rows=150)
    sim.reset_stats()
    second = run_dags_test(REPO_ROOT, DAG_ID, env)
    assert second.returncode == 0, (second.stdout + second.stderr)[-5000:]
    assert_equals_truth(bigquery_snapshot(sim, emulator_stack, dataset, bucket))
    # Incremental: the second run started from the stored bookmark, not from scratch.
    queries = sim.stats()["queries"]
    assert queries[0]["body"]["filters"]["content_usage.last_accessed_time"].startswith("after ")
    assert sum(q["rows"] or 0 for q in queries) < 2_500
