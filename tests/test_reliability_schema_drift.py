"""Schema drift: a new dimension appears in the Content Usage explore between two runs.

The table must gain the column; rows loaded before keep NULL there (they are not re-read
unless they change); later upserts keep working. z3-target-bigquery 0.7.2 as released
never adds the column (its ``update_schema`` compares the stream schema with itself) and
its MERGE then fails on every run; ``target-bigquery-gated`` adds it (see
``singer-state-gate/singer_state_gate/z3_target_bigquery.py``).

Catalog: discovery describes content_usage from the tap's bundled fields (no API call); at
sync time the tap reads the explore's live metadata and adds fields Looker has gained to the
catalog and the SCHEMA message, so the new dimension is picked up whatever Meltano cached.
Rows re-read by the look-back window (one day before the bookmark) carry it too.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.pipeline import Snapshot, bigquery_snapshot, new_destination, pipeline_env
from tests.reliability_helpers import (
    TARGET_VENV,
    IsolatedMeltano,
    assert_bookmark_not_ahead,
    one_line,
    write_variant_project,
)

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

JOB = "looker-to-bigquery"
ENV = "local-gcp"
NEW = "content_owner"
# The tap's default look-back window: rows that recent are re-read, with the new column.
LOOKBACK = dt.timedelta(days=1)


def owner(row: dict[str, t.Any]) -> str:
    return f"owner-{row['id'] % 7}"


class Drift(t.NamedTuple):
    first_bookmark: t.Any
    released_target_output: str
    released_target_rc: int
    bookmark_after_released_target: t.Any
    fixed_output: str
    after_fix: Snapshot
    second_bookmark: t.Any
    after_more_changes: Snapshot


@pytest.fixture(scope="module")
def drift(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[Drift]:
    stack = emulator_stack
    base = tmp_path_factory.mktemp("drift")
    project = IsolatedMeltano.create(base)
    released = IsolatedMeltano.create(
        base,
        project_dir=write_variant_project(
            base, target_executable=TARGET_VENV / "bin" / "target-bigquery"
        ),
    )
    with LookerSimulator(
        rows=3_000, seed=701, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        dataset, bucket = new_destination(stack)
        env = pipeline_env(sim, stack, dataset, bucket)
        project.run("run", JOB, environment=ENV, env=env)
        first = project.stored_bookmark()

        sim.add_dimension(NEW, "string", value_fn=owner, label="Content Owner")
        sim.advance(seconds=3_600, new_rows=200, touched_rows=150)

        broken = released.run("run", "--no-install", JOB, environment=ENV, env=env, check=False)
        after_broken = project.stored_bookmark()
        assert_bookmark_not_ahead(project, sim, stack, dataset)

        fixed = project.run("run", JOB, environment=ENV, env=env)
        after_fix = bigquery_snapshot(sim, stack, dataset, bucket)
        second = project.stored_bookmark()

        sim.advance(seconds=3_600, new_rows=50, touched_rows=100)
        project.run("run", JOB, environment=ENV, env=env)
        yield Drift(
            first_bookmark=first,
            released_target_output=broken.stdout + broken.stderr,
            released_target_rc=broken.returncode,
            bookmark_after_released_target=after_broken,
            fixed_output=fixed.stdout + fixed.stderr,
            after_fix=after_fix,
            second_bookmark=second,
            after_more_changes=bigquery_snapshot(sim, stack, dataset, bucket),
        )


def test_upstream_defect_released_target_merge_fails_after_a_new_column(drift: Drift) -> None:
    """DOCUMENTS THE UPSTREAM DEFECT of z3-target-bigquery 0.7.2 (fails when it is fixed)."""
    assert drift.released_target_rc != 0
    one_line(drift.released_target_output, "does not have a column", NEW)
    assert drift.bookmark_after_released_target == drift.first_bookmark


def _expected(snap: Snapshot, re_read_since: t.Any) -> dict[int, dict[str, t.Any]]:
    """The source, except that rows not re-read since the column appeared hold NULL."""
    expected = {}
    for i, row in snap.truth.items():
        row = dict(row)
        if row["last_accessed_time"] < re_read_since:
            row[NEW] = None
        expected[i] = row
    return expected


def _assert_rows(snap: Snapshot, expected: dict[int, dict[str, t.Any]]) -> None:
    ids = [r["id"] for r in snap.rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    landed = {r["id"]: r for r in snap.rows}
    assert set(landed) == set(expected)
    wrong = [i for i in expected if landed[i] != expected[i]]
    assert not wrong, f"{len(wrong)} rows differ, e.g. {landed[wrong[0]]} != {expected[wrong[0]]}"


def test_table_gains_the_column_older_rows_hold_null(drift: Drift) -> None:
    one_line(drift.fixed_output, "Added column(s)", NEW)
    snap = drift.after_fix
    expected = _expected(snap, re_read_since=drift.first_bookmark - LOOKBACK)
    _assert_rows(snap, expected)
    filled = [r for r in snap.rows if r[NEW] is not None]
    nulls = [r for r in snap.rows if r[NEW] is None]
    assert len(filled) >= 350, "new and touched rows carry the new dimension"
    assert len(nulls) >= 2_500, "rows loaded before the column appeared stay NULL"


def test_upserts_keep_working_after_the_column_was_added(drift: Drift) -> None:
    snap = drift.after_more_changes
    _assert_rows(snap, _expected(snap, re_read_since=drift.first_bookmark - LOOKBACK))
    assert len(snap.rows) == 3_250
    changed = [
        i
        for i, row in snap.truth.items()
        if i in drift.after_fix.truth and row != drift.after_fix.truth[i]
    ]
    assert len(changed) >= 50, "the second advance changed rows that the MERGE updated"
