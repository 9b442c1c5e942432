"""`meltano run looker-to-bigquery` in `local-gcp`: Looker simulator -> GCS -> BigQuery.

Real processes only: the Looker simulator, gcp-storage-emulator and bqemulator on loopback,
and `meltano run` as a subprocess. Assertions are on the rows in BigQuery.
"""

from __future__ import annotations

import collections
import typing as t

import pytest

from tests.bq_truth import landed_rows, truth_rows
from tests.conftest import CLIENT_ID, CLIENT_SECRET

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

    from tests.harness import EmulatorStack
    from tests.meltano_cli import MeltanoProject

ROWS = 3_000
PAGE_SIZE = 1_000


def pipeline_env(sim: LookerSimulator, stack: EmulatorStack, dataset: str, bucket: str) -> dict:
    return stack.subprocess_env(
        TAP_LOOKER_ACTIVITY_BASE_URL=sim.base_url,
        TAP_LOOKER_ACTIVITY_CLIENT_ID=CLIENT_ID,
        TAP_LOOKER_ACTIVITY_CLIENT_SECRET=CLIENT_SECRET,
        TAP_LOOKER_ACTIVITY_PAGE_SIZE=str(PAGE_SIZE),
        TARGET_BIGQUERY_PROJECT=stack.project,
        TARGET_BIGQUERY_DATASET=dataset,
        TARGET_BIGQUERY_BUCKET=bucket,
        # Several batches per run, so staging and loading happen more than once.
        TARGET_BIGQUERY_BATCH_SIZE="1000",
    )


class Snapshot(t.NamedTuple):
    rows: list[dict[str, t.Any]]
    truth: dict[int, dict[str, t.Any]]
    column_types: dict[str, str]
    staged_objects: list[str]


def snapshot(sim: LookerSimulator, stack: EmulatorStack, dataset: str, bucket: str) -> Snapshot:
    client = stack.bigquery.client()
    table = client.get_table(f"{stack.project}.{dataset}.content_usage")
    types = {f.name: f.field_type for f in table.schema}
    truth = truth_rows(sim)
    columns = next(iter(truth.values())).keys()
    result = client.query(f"SELECT * FROM `{stack.project}.{dataset}.content_usage`").result()
    return Snapshot(
        rows=landed_rows((dict(r.items()) for r in result), columns),
        truth=truth,
        column_types=types,
        staged_objects=stack.gcs.list_objects(bucket),
    )


@pytest.fixture(scope="module")
def runs(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Snapshot]:
    """Initial load, a load after Looker moved on, and a rerun with nothing new."""
    from looker_simulator import LookerSimulator

    from tests.conftest import REPO_ROOT
    from tests.meltano_cli import MeltanoProject

    project: MeltanoProject = MeltanoProject(REPO_ROOT, tmp_path_factory.mktemp("state"))
    dataset = emulator_stack.new_name("looker_activity")
    bucket = emulator_stack.new_name("staging").replace("_", "-")
    emulator_stack.bigquery.create_dataset(dataset, location="US")
    emulator_stack.gcs.create_bucket(bucket, location="US")

    sim = LookerSimulator(rows=ROWS, seed=101, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sim.start()
    try:
        env = pipeline_env(sim, emulator_stack, dataset, bucket)
        snapshots = {}
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["initial"] = snapshot(sim, emulator_stack, dataset, bucket)

        sim.advance(seconds=6 * 3_600, new_rows=400, touched_rows=250)
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["advanced"] = snapshot(sim, emulator_stack, dataset, bucket)

        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        snapshots["unchanged"] = snapshot(sim, emulator_stack, dataset, bucket)
        return snapshots
    finally:
        sim.stop()


def _assert_equals_truth(snap: Snapshot) -> None:
    ids = [r["id"] for r in snap.rows]
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate ids in BigQuery: {duplicates[:10]}"
    assert {r["id"]: r for r in snap.rows} == snap.truth


def test_initial_load_equals_truth_with_types(runs: dict[str, Snapshot]) -> None:
    snap = runs["initial"]
    _assert_equals_truth(snap)
    assert len(snap.rows) == ROWS
    types = snap.column_types
    assert types["id"] in {"INTEGER", "INT64"}
    assert types["api_count"] in {"INTEGER", "INT64"}
    assert types["other_count"] in {"INTEGER", "INT64"}
    assert types["content_id"] == "STRING"
    assert types["content_title"] == "STRING"
    assert types["last_accessed_time"] == "TIMESTAMP"
    assert types["last_accessed_date"] == "DATE"
    staged = [o for o in snap.staged_objects if o.endswith(".jsonl.gz")]
    assert staged, f"nothing staged in GCS: {snap.staged_objects}"
    assert all("/content_usage" in o for o in staged)


def test_rerun_after_looker_moved_on_converges(runs: dict[str, Snapshot]) -> None:
    snap = runs["advanced"]
    _assert_equals_truth(snap)
    assert len(snap.rows) == ROWS + 400
    changed = {
        i for i, row in snap.truth.items() if runs["initial"].truth.get(i) not in (None, row)
    }
    assert len(changed) >= 200, "the simulator should have grown counters on existing rows"


def test_rerun_with_nothing_new_leaves_the_table_unchanged(runs: dict[str, Snapshot]) -> None:
    before, after = runs["advanced"], runs["unchanged"]
    _assert_equals_truth(after)
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(after.rows, key=key) == sorted(before.rows, key=key)
