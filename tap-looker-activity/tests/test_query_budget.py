"""max_queries_per_run: a run stops cleanly when its query budget is spent, and the next goes on.

Through the real tap executable against the simulator, which counts the query calls it
answered. A stopped run exits 0, keeps every page it delivered, leaves each bookmark at its
last complete page (later streams' bookmarks untouched) and says so in one line; runs under
the same budget, one after another, read the whole window without losing a row.
"""

from __future__ import annotations

import typing as t

from tests.conftest import expected_by_id, selecting, tap_config
from tests.singer_run import TapRun, run_tap

PAGE_SIZE = 200
BUDGET_LINE = "max_queries_per_run ({budget}) reached in stream {stream}: the run stops cleanly"


def audit_of(run: TapRun, stream: str) -> dict[str, t.Any]:
    (entry,) = [a for a in run.records["sync_audit"] if a["stream"] == stream]
    return entry


def test_a_spent_budget_stops_at_a_page_and_the_next_runs_go_on(make_simulator) -> None:
    sim = make_simulator(rows=1_234, seed=19)
    truth = expected_by_id(sim)
    config = tap_config(sim, page_size=PAGE_SIZE, max_queries_per_run=3)

    first = run_tap(config)
    assert first.returncode == 0
    assert sim.stats()["query"] == 3
    # Three whole pages, in keyset order; the bookmark is the last row delivered.
    assert len(first.ids()) == 3 * PAGE_SIZE
    assert first.bookmark() == first.records["content_usage"][-1]["last_accessed_time"]
    audit = audit_of(first, "content_usage")
    assert (audit["status"], audit["rows_read"], audit["query_calls"]) == ("budget", 600, 3)
    lines = [line for line in first.stderr.splitlines() if "max_queries_per_run" in line]
    assert len(lines) == 1, lines
    assert BUDGET_LINE.format(budget=3, stream="content_usage") in lines[0]

    runs, state, read = [first], first.final_state, set(first.ids())
    while audit_of(runs[-1], "content_usage")["status"] != "complete":
        assert len(runs) < 6, "the runs do not get through the window"
        sim.reset_stats()
        runs.append(run_tap(config, state=state))
        assert sim.stats()["query"] <= 3
        state = runs[-1].final_state
        read |= set(runs[-1].ids())
    assert read == set(truth)
    assert runs[-1].bookmark() == max(r["last_accessed_time"] for r in truth.values())
    assert "max_queries_per_run" not in runs[-1].stderr


def test_the_rows_of_a_short_page_are_delivered_when_its_count_is_over_budget(
    make_simulator,
) -> None:
    # One page holds every row; proving it takes Looker's count, a second query call.
    sim = make_simulator(rows=150, seed=23)
    run = run_tap(tap_config(sim, page_size=PAGE_SIZE, max_queries_per_run=1))

    assert sim.stats()["query"] == 1
    assert sorted(run.ids()) == sorted(expected_by_id(sim))
    assert audit_of(run, "content_usage")["status"] == "budget"


def test_streams_after_the_budget_keep_their_bookmarks(make_simulator, discovered) -> None:
    sim = make_simulator(rows=900, seed=29, explores={"history": 700})
    catalog = selecting(discovered, "content_usage", "history")
    config = tap_config(sim, page_size=PAGE_SIZE)
    first = run_tap(config, catalog=catalog)
    history_before = first.bookmark("history")
    assert history_before is not None

    sim.advance(seconds=3_600, new_rows=500, touched_rows=300)
    sim.reset_stats()
    budgeted = {**config, "max_queries_per_run": 2}
    stopped = run_tap(budgeted, catalog=catalog, state=first.final_state)

    assert stopped.returncode == 0
    assert sim.stats()["query"] == 2
    # Streams sync in name order: content_usage spends the budget, history is not read.
    assert audit_of(stopped, "content_usage")["status"] == "budget"
    history = audit_of(stopped, "history")
    assert (history["status"], history["rows_read"], history["query_calls"]) == ("budget", 0, 0)
    assert "history" not in stopped.records
    assert stopped.bookmark("history") == history_before
    assert stopped.bookmark() > first.bookmark()

    rest = run_tap(config, catalog=catalog, state=stopped.final_state)
    assert {audit_of(rest, s)["status"] for s in ("content_usage", "history")} == {"complete"}
    assert set(first.ids()) | set(stopped.ids()) | set(rest.ids()) == set(expected_by_id(sim))


def test_the_budget_must_be_a_positive_whole_number(make_simulator) -> None:
    sim = make_simulator(rows=10, seed=3)
    for bad in (0, -5, "many", 2.5):
        run = run_tap(tap_config(sim, max_queries_per_run=bad), check=False)
        assert run.returncode == 2, (bad, run.stderr[-500:])
        assert "max_queries_per_run" in run.stderr.strip().splitlines()[-1]
        assert "Traceback" not in run.stderr
    assert sim.stats()["query"] == 0
