"""A stream ends on evidence, never on a page that merely looks short.

Through the real tap executable against the simulator with row caps of several sizes (below,
equal to and above page_size, and one that varies per answer) on every kind of stream:
incremental explores, FULL_TABLE explores and the REST dashboard search. Each case fails on a
pager that takes a short page as the end. The audit of each run (``sync_audit``) is checked
against the same truth, and a window Looker's count does not prove fails the run in one line
with the bookmark left where it was.
"""

from __future__ import annotations

import typing as t

import pytest

from tests.conftest import expected_by_id, selecting, tap_config
from tests.singer_run import TapRun, run_tap

PAGE_SIZE = 500
# Below, equal to and above page_size, odd sizes, and caps that vary per answer.
CAPS: list[int | list[int]] = [99, 450, 499, 500, 501, [480, 333, 499, 117]]


def audit_of(run: TapRun, stream: str) -> dict[str, t.Any]:
    (entry,) = [a for a in run.records["sync_audit"] if a["stream"] == stream]
    return entry


def last_line(run: TapRun) -> str:
    return run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("cap", CAPS, ids=str)
def test_an_incremental_stream_pages_past_any_cap(make_simulator, cap: int | list[int]) -> None:
    sim = make_simulator(rows=1_700, seed=71, max_row_limit=cap)
    config = tap_config(sim, page_size=PAGE_SIZE, lookback_minutes=60)

    first = run_tap(config)
    truth = expected_by_id(sim)
    sim.advance(seconds=3_600, new_rows=300, touched_rows=400)
    second = run_tap(config, state=first.final_state)

    assert sorted(first.ids()) == sorted(truth)
    bookmark = first.bookmark()
    assert bookmark is not None
    changed = {i for i, r in expected_by_id(sim).items() if r["last_accessed_time"] > bookmark}
    assert len(changed) >= 600
    assert changed <= set(second.ids())
    for run in (first, second):
        audit = audit_of(run, "content_usage")
        assert audit["status"] == "complete"
        assert audit["rows_read"] == len(run.ids()) == audit["looker_count"]


@pytest.mark.parametrize("cap", CAPS, ids=str)
def test_a_full_table_stream_reads_every_row_under_any_cap(
    make_simulator, discovered, cap: int | list[int]
) -> None:
    sim = make_simulator(rows=10, explores={"user": 1_300}, max_row_limit=cap)

    run = run_tap(tap_config(sim, page_size=PAGE_SIZE), catalog=selecting(discovered, "user"))

    ids = [r["id"] for r in run.records["user"]]
    assert len(ids) == len(set(ids)) == sim.row_count("user") == 1_300
    audit = audit_of(run, "user")
    assert (audit["rows_read"], audit["looker_count"]) == (1_300, 1_300)
    assert audit["status"] == "complete"


@pytest.mark.parametrize("cap", [*CAPS, PAGE_SIZE + 1], ids=str)
def test_the_dashboard_search_reads_every_dashboard_under_any_cap(
    make_simulator, discovered, cap: int | list[int]
) -> None:
    sim = make_simulator(rows=10, explores={"dashboard": 1_200}, max_row_limit=cap)
    want = {d["id"] for d in sim.dashboards()}

    run = run_tap(tap_config(sim, page_size=PAGE_SIZE), catalog=selecting(discovered, "dashboard"))

    ids = [r["id"] for r in run.records["dashboard"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {str(i) for i in want}
    assert audit_of(run, "dashboard")["rows_read"] == len(want)


def test_one_answer_cut_short_once_is_paged_past(make_simulator) -> None:
    sim = make_simulator(rows=1_400, seed=72)
    sim.inject("short", count=1, match="query", rows=123)

    run = run_tap(tap_config(sim, page_size=PAGE_SIZE))

    assert sorted(run.ids()) == sorted(expected_by_id(sim))
    assert "Looker returned 123 rows to a query with limit 500" in run.stderr


def test_the_tap_own_history_rows_never_end_history_early(make_simulator, discovered) -> None:
    """Pages made only of the tap's own queries (left out) do not end the stream."""
    sim = make_simulator(rows=10, seed=73, explores={"history": 12, "query": 12})
    selected = selecting(discovered, "history")
    config = tap_config(sim, page_size=5)
    for _ in range(4):  # earlier runs: their queries are history rows by the API user
        run_tap(config, catalog=selected)
    done = [r for r in sim.truth("history") if r["completed_time"] is not None]
    mine = {r["id"] for r in done if str(r["user_id"]) == str(sim.api_user_id)}

    run = run_tap(config, catalog=selected)

    assert len(mine) >= 2 * 5  # whole pages made only of the tap's own rows
    got = {r["id"] for r in run.records["history"]}
    assert got == {r["id"] for r in done} - mine
    audit = audit_of(run, "history")
    assert audit["rows_read"] == audit["looker_count"] == len(done)
    assert audit["records"] == len(got)


def test_a_quiet_run_costs_one_data_query_and_one_count(make_simulator) -> None:
    sim = make_simulator(rows=3_000, seed=74)
    config = tap_config(sim, page_size=5_000)
    first = run_tap(config)
    sim.reset_stats()

    second = run_tap(config, state=first.final_state)

    stats = sim.stats()
    assert (stats["login"], stats["explore"], stats["query"]) == (1, 1, 2)
    count_query = stats["queries"][-1]["body"]
    assert count_query["fields"] == ["content_usage.count"]
    assert audit_of(second, "content_usage")["looker_queries"] == 2


def test_a_count_above_the_rows_read_fails_and_keeps_the_bookmark(make_simulator) -> None:
    """Rows that appear behind the cursor (late, or skipped by a server) are not proven."""
    sim = make_simulator(rows=2_000, seed=75)
    config = tap_config(sim, page_size=400)
    first = run_tap(config)
    sim.advance(seconds=600, touched_rows=900)
    # The next run's first page is cut to 10 rows; Looker's count (the next query) is right;
    # the page after it comes back empty, as from a server that skips rows.
    sim.inject("short", count=1, match="query", rows=10)
    sim.inject("short", count=1, match="query", skip=1, rows=0)

    second = run_tap(config, state=first.final_state, check=False)

    assert second.returncode == 1
    audit = audit_of(second, "content_usage")
    assert audit["status"] == "incomplete"
    assert audit["rows_read"] == 10
    assert audit["looker_count"] >= 900
    line = last_line(second)
    assert line.startswith("tap-looker-activity: error: stream content_usage"), line
    assert f"Looker counts {audit['looker_count']} rows in the window but the tap read 10" in line
    assert "Traceback" not in second.stderr
    assert second.bookmark() == first.bookmark()


def test_a_bookmark_after_lookers_clock_fails_in_one_line(make_simulator) -> None:
    sim = make_simulator(rows=200, seed=76)
    state = {
        "bookmarks": {
            "content_usage": {
                "replication_key": "last_accessed_time",
                "replication_key_value": "2031-01-01T00:00:00+00:00",
            }
        }
    }

    run = run_tap(tap_config(sim), state=state, check=False)

    assert run.returncode != 0
    line = last_line(run)
    assert "later than Looker's clock" in line, line
    assert "system_timezone" in line
    assert "Traceback" not in run.stderr


def test_leaving_out_own_queries_never_turns_itself_off(make_simulator, discovered) -> None:
    """user_id deselected, or an API user without id: one line, not the tap's own queries
    loaded as usage."""
    sim = make_simulator(rows=10, seed=77, explores={"history": 30})
    selected = selecting(discovered, "history")
    for entry in selected["streams"]:
        if entry["tap_stream_id"] == "history":
            for md in entry["metadata"]:
                if md["breadcrumb"] == ["properties", "user_id"]:
                    md["metadata"]["selected"] = False

    run = run_tap(tap_config(sim), catalog=selected, check=False)

    assert run.returncode == 2
    line = last_line(run)
    assert "exclude_own_activity needs history.user_id" in line, line
    assert "history" not in run.records


@pytest.mark.parametrize("user_id", [None, ""])
def test_an_api_user_without_an_id_stops_the_stream(
    make_simulator, discovered, monkeypatch: pytest.MonkeyPatch, user_id: str | None
) -> None:
    """A hostile GET /user (no usable id): the tap cannot tell its own queries apart, so it
    stops in one line rather than load them as usage."""
    sim = make_simulator(rows=10, seed=78, explores={"history": 30})
    me = {**sim.me(), "id": user_id}
    monkeypatch.setattr(sim, "me", lambda: me)

    run = run_tap(tap_config(sim), catalog=selecting(discovered, "history"), check=False)

    assert run.returncode != 0
    line = last_line(run)
    assert "GET /user gave no id for the API user" in line, line
    assert "set exclude_own_activity to false" in line
    assert "Traceback" not in run.stderr
    assert "history" not in run.records
