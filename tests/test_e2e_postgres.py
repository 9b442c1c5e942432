"""`meltano run tap-looker-activity target-postgres` into a real PostgreSQL server.

The test starts its own server (tests/harness/postgres.py: initdb into a temp dir, a free
loopback port, stopped afterwards) and the Looker simulator; `meltano run` is a real
subprocess. Assertions are on the rows in PostgreSQL, against the simulator's truth.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.harness.postgres import PostgresServer
from tests.meltano_cli import MeltanoProject
from tests.pipeline import DATE_FIELDS, TIME_FIELDS, Snapshot, assert_equals_truth, truth_rows

ROWS = 3_000
NEW_ROWS = 400
TOUCHED_ROWS = 250
TABLE = "looker_activity.content_usage"
STATE_ID = "dev:tap-looker-activity-to-target-postgres"
# The tap leaves these out: they change without last_accessed_time moving (a rename, a new
# favorite), so an incremental load would keep stale values (tap streams.py).
NOT_EXTRACTED_MUTABLE = ("content_title", "favorite_count")


def _typed(row: dict[str, t.Any], columns: t.Iterable[str]) -> dict[str, t.Any]:
    typed = {c: row[c] for c in columns}
    for name in TIME_FIELDS:
        if typed.get(name) is not None:
            value = dt.datetime.fromisoformat(typed[name])
            typed[name] = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    for name in DATE_FIELDS:
        if typed.get(name) is not None:
            typed[name] = dt.date.fromisoformat(typed[name])
    return typed


def postgres_snapshot(sim: LookerSimulator, pg: PostgresServer) -> Snapshot:
    truth = {
        i: {k: v for k, v in row.items() if k not in NOT_EXTRACTED_MUTABLE}
        for i, row in truth_rows(sim).items()
    }
    columns = list(next(iter(truth.values())).keys())
    types = {
        r["column_name"]: r["data_type"]
        for r in pg.query_json(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'looker_activity' AND table_name = 'content_usage'"
        )
    }
    rows = [_typed(r, columns) for r in pg.query_json(f"SELECT * FROM {TABLE}")]
    return Snapshot(rows=rows, truth=truth, column_types=types, staged_objects=[])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    """Initial load, a load after Looker moved on, and a rerun with nothing new."""
    project = MeltanoProject(REPO_ROOT, tmp_path_factory.mktemp("state"))
    with (
        PostgresServer(tmp_path_factory.mktemp("postgres")) as pg,
        LookerSimulator(
            rows=ROWS, seed=202, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as sim,
    ):
        env = {
            "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
            "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
            "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
            "TAP_LOOKER_ACTIVITY_PAGE_SIZE": "1000",
            # several batches per run
            "TARGET_POSTGRES_BATCH_SIZE_ROWS": "1000",
            **pg.target_env(),
        }
        result: dict[str, t.Any] = {}
        cmd = ("run", "tap-looker-activity", "target-postgres")
        result["initial_run"] = project.run(*cmd, environment="dev", env=env)
        result["initial_stats"] = sim.stats()
        result["initial"] = postgres_snapshot(sim, pg)
        result["initial_state"] = project.state(STATE_ID, environment="dev", env=env)

        sim.advance(seconds=6 * 3_600, new_rows=NEW_ROWS, touched_rows=TOUCHED_ROWS)
        sim.reset_stats()
        project.run(*cmd, environment="dev", env=env)
        result["advanced"] = postgres_snapshot(sim, pg)
        result["advanced_stats"] = sim.stats()
        result["advanced_state"] = project.state(STATE_ID, environment="dev", env=env)

        project.run(*cmd, environment="dev", env=env)
        result["unchanged"] = postgres_snapshot(sim, pg)
        result["password"] = pg.password
        return result


def _bookmark(state: dict[str, t.Any]) -> str:
    return str(state["singer_state"]["bookmarks"]["content_usage"]["replication_key_value"])


def test_initial_load_equals_truth_with_types(runs: dict[str, t.Any]) -> None:
    snap: Snapshot = runs["initial"]
    assert_equals_truth(snap)
    assert len(snap.rows) == ROWS
    types = snap.column_types
    assert types["id"] == "bigint"
    assert types["other_count"] == "bigint"
    assert types["content_id"] == "text"
    loaded = {c for c in types if not c.startswith("_sdc_")}
    assert loaded == set(next(iter(snap.truth.values()))), "columns differ from the source"
    assert types["last_accessed_time"].startswith("timestamp")
    assert types["last_accessed_date"] == "date"
    newest = max(r["last_accessed_time"] for r in snap.truth.values())
    assert _bookmark(runs["initial_state"]).startswith(newest.strftime("%Y-%m-%dT%H:%M:%S"))


def test_incremental_run_with_updates_equals_truth(runs: dict[str, t.Any]) -> None:
    before: Snapshot = runs["initial"]
    snap: Snapshot = runs["advanced"]
    assert_equals_truth(snap)
    assert len(snap.rows) == ROWS + NEW_ROWS
    updated = {i for i, row in snap.truth.items() if before.truth.get(i) not in (None, row)}
    assert len(updated) >= TOUCHED_ROWS * 0.8, "the simulator should have updated rows"
    assert _bookmark(runs["advanced_state"]) > _bookmark(runs["initial_state"])
    # incremental: fewer Looker queries than the full load (pages of 1,000 rows)
    assert 0 < runs["advanced_stats"]["query"] < runs["initial_stats"]["query"]


def test_rerun_with_nothing_new_leaves_the_table_unchanged(runs: dict[str, t.Any]) -> None:
    before: Snapshot = runs["advanced"]
    after: Snapshot = runs["unchanged"]
    assert_equals_truth(after)
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(after.rows, key=key) == sorted(before.rows, key=key)


def test_no_secret_in_the_run_output(runs: dict[str, t.Any]) -> None:
    proc = runs["initial_run"]
    output = proc.stdout + proc.stderr
    assert runs["password"] not in output
    assert CLIENT_SECRET not in output
