"""Through `meltano run` (discovery included): a quiet daily run's Looker API budget, and
rows Looker makes visible late reaching the warehouse through the look-back window."""

from __future__ import annotations

import typing as t

import duckdb

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.reliability_helpers import IsolatedMeltano

if t.TYPE_CHECKING:
    from pathlib import Path


def _ids(path: Path) -> set[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select id from looker_activity.content_usage").fetchall()
    return {r[0] for r in rows}


def test_daily_meltano_run_budget_and_late_rows(make_simulator, tmp_path: Path) -> None:
    sim = make_simulator(rows=2_000, seed=61)
    meltano = IsolatedMeltano.create(tmp_path)
    database = tmp_path / "warehouse.duckdb"
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TARGET_DUCKDB_FILEPATH": str(database),
    }

    def run() -> None:
        meltano.run("run", "tap-looker-activity", "target-duckdb", environment="dev", env=env)

    run()
    assert _ids(database) == {r["id"] for r in sim.truth()}

    # A day later: nothing new, but rows stamped hours ago became visible only now.
    sim.advance(seconds=600, late_rows=30, late_by=6 * 3_600)
    late = {r["id"] for r in sim.truth()} - _ids(database)
    assert len(late) == 30
    sim.reset_stats()
    run()

    assert late <= _ids(database)
    assert _ids(database) == {r["id"] for r in sim.truth()}
    stats = sim.stats()
    # Meltano's discovery costs nothing; the sync one login, one metadata call, the page and
    # Looker's count that proves the short page is the end.
    assert (stats["login"], stats["explore"], stats["query"], stats["logout"]) == (1, 1, 2, 0)
    assert stats["total"] == 4


def test_a_spent_query_budget_stops_meltano_run_cleanly_and_the_next_runs_go_on(
    make_simulator, tmp_path: Path
) -> None:
    sim = make_simulator(rows=2_000, seed=67)
    meltano = IsolatedMeltano.create(tmp_path)
    database = tmp_path / "warehouse.duckdb"
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_PAGE_SIZE": "500",
        "TAP_LOOKER_ACTIVITY_MAX_QUERIES_PER_RUN": "2",
        "TARGET_DUCKDB_FILEPATH": str(database),
    }
    state_id = "dev:tap-looker-activity-to-target-duckdb"
    truth = {r["id"]: r for r in sim.truth()}

    def run() -> str:
        sim.reset_stats()
        proc = meltano.run(
            "run", "tap-looker-activity", "target-duckdb", environment="dev", env=env
        )
        assert sim.stats()["query"] <= 2
        return proc.stderr

    log = run()
    # Two whole pages landed; Meltano stored the bookmark of the last of them.
    landed = _ids(database)
    assert len(landed) == 1_000
    assert landed <= set(truth)
    state = meltano.stored_state(state_id)
    assert state is not None
    bookmark = state["completed"]["singer_state"]["bookmarks"]["content_usage"]
    newest_landed = max(truth[i]["last_accessed_time"] for i in landed)
    assert bookmark["replication_key_value"].startswith(newest_landed.replace(" ", "T"))
    assert (
        sum(
            "max_queries_per_run (2) reached in stream content_usage" in x for x in log.splitlines()
        )
        == 1
    )

    for _ in range(3):  # 2,000 rows need four pages and Looker's count: three runs of two
        run()
    assert _ids(database) == set(truth)
