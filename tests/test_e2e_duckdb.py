"""`meltano run looker-to-duckdb` in `dev`, the embedded default: rows counted in DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.meltano_cli import MeltanoProject


def _table(path: Path) -> dict[int, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select id, other_count, api_count, last_accessed_time "
            "from looker_activity.content_usage"
        ).fetchall()
    assert len(rows) == len({r[0] for r in rows}), "duplicate ids in DuckDB"
    return {r[0]: r for r in rows}


def _env(base_url: str, database: Path, **extra: str) -> dict[str, str]:
    """The dev job pointed at a simulator and a DuckDB file of the test's own."""
    return {
        "TAP_LOOKER_ACTIVITY_BASE_URL": base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_PAGE_SIZE": "1000",
        "TARGET_DUCKDB_FILEPATH": str(database),
        **extra,
    }


def test_duckdb_path_lands_every_row_and_upserts(
    make_simulator, meltano_project: MeltanoProject, tmp_path: Path
) -> None:
    # More rows than one target-duckdb batch, so a lost first row per batch would show.
    sim = make_simulator(rows=4_321, seed=55)
    database = tmp_path / "warehouse.duckdb"
    env = _env(sim.base_url, database, TARGET_DUCKDB_BATCH_SIZE_ROWS="1000")

    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)
    first = _table(database)
    assert len(first) == sim.row_count() == 4_321
    assert set(first) == {r["id"] for r in sim.truth()}

    sim.advance(seconds=7_200, new_rows=300, touched_rows=120)
    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)
    second = _table(database)
    truth = {r["id"]: r for r in sim.truth()}
    assert len(second) == len(truth) == 4_621
    assert {i: (r[1], r[2]) for i, r in second.items()} == {
        i: (r["other_count"], r["api_count"]) for i, r in truth.items()
    }


def test_every_run_audits_itself_in_the_warehouse(
    make_simulator, meltano_project: MeltanoProject, tmp_path: Path
) -> None:
    """sync_audit lands through the same target; extraction_audit shows one row per stream
    and run, each proven by Looker's own count of the run's window."""
    sim = make_simulator(rows=2_345, seed=56)
    database = tmp_path / "warehouse.duckdb"
    env = _env(sim.base_url, database)

    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)
    sim.advance(seconds=3_600, new_rows=50, touched_rows=70)
    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)

    with duckdb.connect(str(database), read_only=True) as con:
        audit = con.execute(
            "select stream, rows_read, looker_count, status, is_proven, window_to "
            "from looker_activity_analytics.extraction_audit order by run_started_at"
        ).fetchall()
    assert [row[0] for row in audit] == ["content_usage", "content_usage"]
    first, second = audit
    assert first[1:5] == (2_345, 2_345, "complete", True)
    assert second[1] == second[2] >= 120  # the look-back's rows and the changed ones
    assert second[3:5] == ("complete", True)
    assert second[5] > first[5]
