"""Faults at Looker, GCS and BigQuery during `meltano run looker-to-bigquery`.

Each run either succeeds through retries or fails loudly (non-zero exit, one line naming
the cause) without advancing the bookmark past BigQuery; the next run converges to the
source. Looker faults come from the simulator; GCS and BigQuery faults from
``tests/harness/faults.py`` (a proxy in front of the emulator).
"""

from __future__ import annotations

import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.harness.faults import FaultProxy
from tests.pipeline import assert_equals_truth, bigquery_snapshot, new_destination, pipeline_env
from tests.reliability_helpers import (
    IsolatedMeltano,
    assert_bookmark_not_ahead,
    loaded_rows,
    one_line,
)

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

JOB = "looker-to-bigquery"
ENV = "local-gcp"


@pytest.fixture
def project(tmp_path_factory: pytest.TempPathFactory) -> IsolatedMeltano:
    return IsolatedMeltano.create(tmp_path_factory.mktemp("faults"))


@pytest.fixture
def sim() -> t.Iterator[LookerSimulator]:
    with LookerSimulator(
        rows=3_000, seed=601, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as simulator:
        yield simulator


# Query requests, in order, with at most two consecutive failures per API call
# (max_retries is 5). (index of the query request, fault kind, params)
QUERY_FAULTS: list[tuple[int, str, dict[str, t.Any]]] = [
    (0, "429", {"retry_after": 1}),  # page 1: rate limited twice, then a server error
    (1, "429", {"retry_after": 1}),
    (2, "500", {}),
    (4, "503", {}),  # page 2
    (5, "truncated", {}),  # a connection dropped mid-body
    (7, "slow", {"seconds": 6}),  # page 3: longer than the tap's timeout (3 s)
    (8, "disconnect", {}),  # connection closed, no response
    (10, "expire_token", {}),  # page 4 (empty): token expired -> one new login
    (11, "malformed", {}),
]


def test_transient_looker_faults_are_retried_and_the_table_equals_the_source(
    project: IsolatedMeltano, sim: LookerSimulator, emulator_stack: EmulatorStack
) -> None:
    for k, (index, kind, params) in enumerate(QUERY_FAULTS):
        # A fault's `skip` counts the matching requests that no earlier fault took.
        sim.inject(kind, match="query", skip=index - k, **params)
    sim.inject("503", match="login")
    dataset, bucket = new_destination(emulator_stack)
    env = pipeline_env(sim, emulator_stack, dataset, bucket, TAP_LOOKER_ACTIVITY_TIMEOUT="3")

    proc = project.run("run", JOB, environment=ENV, env=env, check=False)

    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    stats = sim.stats()
    applied = [f["kind"] for f in stats["faults_applied"]]
    assert sorted(applied) == sorted([kind for _i, kind, _p in QUERY_FAULTS] + ["503"]), applied
    assert stats["login"] >= 3, "discovery login, sync login, and a new one after expiry"
    assert not sim.faults.pending(), f"faults never reached: {sim.faults.pending()}"
    assert_equals_truth(bigquery_snapshot(sim, emulator_stack, dataset, bucket))


def test_looker_failing_mid_run_fails_loudly_and_the_rerun_converges(
    tmp_path_factory: pytest.TempPathFactory, emulator_stack: EmulatorStack
) -> None:
    """Looker keeps answering 503 after the tap's mid-run STATE (10,000 records).

    The tap exits 1 with one line; Meltano closes the target's input, the target loads
    what it received and (through the gate) hands over the tap's last STATE, which covers
    exactly the rows sent before it. Stored bookmark <= BigQuery, rerun converges.
    """
    project = IsolatedMeltano.create(tmp_path_factory.mktemp("midrun-503"))
    with LookerSimulator(
        rows=10_500, seed=602, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        sim.inject("503", match="query", skip=10, count=1_000)
        dataset, bucket = new_destination(emulator_stack)
        env = pipeline_env(
            sim, emulator_stack, dataset, bucket, TAP_LOOKER_ACTIVITY_MAX_RETRIES="1"
        )

        failed = project.run("run", JOB, environment=ENV, env=env, check=False)

        output = failed.stdout + failed.stderr
        assert failed.returncode != 0
        line = one_line(output, "tap-looker-activity: error:", "HTTP 503")
        assert "failed after 1 retries" in line
        assert_bookmark_not_ahead(project, sim, emulator_stack, dataset)
        assert project.stored_bookmark() is not None, "the tap's 10,000-record STATE"
        assert len(loaded_rows(emulator_stack, dataset)) >= 10_000

        sim.clear_faults()
        project.run("run", JOB, environment=ENV, env=env)
        assert_equals_truth(bigquery_snapshot(sim, emulator_stack, dataset, bucket))


def test_failed_gcs_upload_then_failed_load_job_then_rerun(
    project: IsolatedMeltano, sim: LookerSimulator, emulator_stack: EmulatorStack
) -> None:
    """GCS refuses the last uploads; then BigQuery rejects the load job; then all is well.

    The first case is where the released target silently lost rows (exit 0, STATE at the
    newest row, 2 of 3 batches loaded); ``target-bigquery-gated`` fixes it.
    """
    stack = emulator_stack
    dataset, bucket = new_destination(stack)
    upload = r"^/upload/storage/v1/b/[^/]+/o\b"

    with FaultProxy(stack.gcs.url) as gcs:
        # 3,000 rows in batches of 1,000: let two uploads through, refuse every later one.
        gcs.inject(method="POST", path=upload, status=403, count=100, skip=2,
                   message="Permission 'storage.objects.create' denied")  # fmt: skip
        env = pipeline_env(sim, stack, dataset, bucket, STORAGE_EMULATOR_HOST=gcs.url)
        failed_upload = project.run("run", JOB, environment=ENV, env=env, check=False)
        assert gcs.applied() >= 1
    output = failed_upload.stdout + failed_upload.stderr
    assert failed_upload.returncode != 0, output[-5000:]
    one_line(output, "singer-state-gate: error: target target-bigquery exited 1")
    # When a later stream's batch (the run's sync_audit) finds the failed upload worker
    # before the end of input, z3's own fail-fast path stops the run, and its message is the
    # worker's traceback header, not the fixes' "were not staged" line (known gap: the cause
    # is not yet named in that path). What matters holds: nothing loaded, no STATE.
    assert project.stored_state() is None
    assert loaded_rows(stack, dataset) == {}

    with FaultProxy(stack.bigquery.url) as bq:
        bq.inject(method="POST", path=r"/bigquery/v2/projects/[^/]+/jobs\b",
                  body_contains='"load"', status=400,
                  message="Error while reading data: injected load failure")  # fmt: skip
        env = pipeline_env(sim, stack, dataset, bucket, BIGQUERY_EMULATOR_HOST=bq.url)
        failed_load = project.run("run", JOB, environment=ENV, env=env, check=False)
        assert bq.applied() == 1
    output = failed_load.stdout + failed_load.stderr
    assert failed_load.returncode != 0, output[-5000:]
    one_line(output, "singer-state-gate: error:", "injected load failure")
    assert project.stored_state() is None
    assert loaded_rows(stack, dataset) == {}

    env = pipeline_env(sim, stack, dataset, bucket)
    project.run("run", JOB, environment=ENV, env=env)
    assert_equals_truth(bigquery_snapshot(sim, stack, dataset, bucket))
    assert project.stored_bookmark() is not None
