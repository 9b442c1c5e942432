"""Incremental extraction against the Looker simulator, through the real tap executable."""

from __future__ import annotations

import json
import math
from collections import Counter

from tests.conftest import expected_by_id, tap_config
from tests.singer_run import run_tap


def _query_calls(sim) -> int:
    return sim.stats()["query"]


def test_initial_load_is_complete_typed_and_paged(make_simulator) -> None:
    sim = make_simulator(rows=1_234, seed=11)
    run = run_tap(tap_config(sim, page_size=500))

    expected = expected_by_id(sim)
    ids = run.ids()
    assert len(ids) == len(set(ids)) == len(expected)
    assert {r["id"]: r for r in run.records["content_usage"]} == expected
    # The short last page proves nothing alone (a row cap looks the same): Looker's count.
    assert _query_calls(sim) == math.ceil(1_234 / 500) + 1

    schema = run.schemas["content_usage"]
    props = schema["schema"]["properties"]
    assert schema["key_properties"] == ["id"]
    assert schema["bookmark_properties"] == ["last_accessed_time"]
    assert props["id"]["type"] == ["integer"]
    assert "integer" in props["api_count"]["type"]
    assert props["last_accessed_time"]["format"] == "date-time"
    assert props["last_accessed_date"]["format"] == "date"
    assert not {"api_total", "count", "other_total"} & set(props), "measures leaked in"
    assert "days_since_last_accessed" not in props, "relative-to-now dimensions go stale"
    latest = max(r["last_accessed_time"] for r in expected.values())
    assert run.bookmark() == latest


def test_rerun_without_changes_costs_one_query_and_one_count(make_simulator) -> None:
    sim = make_simulator(rows=1_000, seed=5)
    first = run_tap(tap_config(sim, page_size=300))
    sim.reset_stats()

    second = run_tap(tap_config(sim, page_size=300), state=first.final_state)

    bookmark = first.bookmark()
    # Looker's "after" is inclusive: only the rows at the bookmark come again.
    assert second.records["content_usage"]
    assert {r["last_accessed_time"] for r in second.records["content_usage"]} == {bookmark}
    assert _query_calls(sim) == 2
    assert second.bookmark() == bookmark


def test_new_and_updated_rows_are_emitted_again(make_simulator) -> None:
    sim = make_simulator(rows=2_000, seed=21)
    first = run_tap(tap_config(sim, page_size=400))
    before = expected_by_id(sim)

    sim.advance(seconds=3_600, new_rows=150, touched_rows=90)
    after = expected_by_id(sim)
    changed = {i for i, row in after.items() if before.get(i) != row}
    assert len(changed) >= 150 + 80  # new rows, plus rows whose counters grew

    second = run_tap(tap_config(sim, page_size=400), state=first.final_state)
    emitted = {r["id"]: r for r in second.records["content_usage"]}
    assert changed <= set(emitted)
    for row_id in changed:
        assert emitted[row_id] == after[row_id]

    # Upserting both runs in order converges to the new truth.
    merged = {r["id"]: r for r in first.records["content_usage"]}
    merged.update(emitted)
    assert merged == after


def test_ties_larger_than_a_page_cross_page_boundaries(make_simulator) -> None:
    sim = make_simulator(rows=3_000, seed=3, tie_group=250)
    tie_sizes = Counter(row["last_accessed_time"] for row in sim.truth())
    page_size = 100
    assert max(tie_sizes.values()) > page_size, "the simulator must produce big ties"

    run = run_tap(tap_config(sim, page_size=page_size))

    ids = run.ids()
    assert Counter(ids).most_common(1)[0][1] == 1, "a row came twice in one run"
    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)
    times = [r["last_accessed_time"] for r in run.records["content_usage"]]
    assert times == sorted(times)


def test_exactly_full_last_page_terminates(make_simulator) -> None:
    sim = make_simulator(rows=1_500, seed=8)
    run = run_tap(tap_config(sim, page_size=500))

    assert len(run.ids()) == 1_500
    # Three full pages, then one empty page proves the end; the audit's count follows.
    assert _query_calls(sim) == 1_500 // 500 + 2


def test_empty_result_ends_cleanly(make_simulator) -> None:
    sim = make_simulator(rows=50, seed=2)
    run = run_tap(tap_config(sim, start_date="2999-01-01T00:00:00Z"))

    assert run.records.get("content_usage", []) == []
    assert _query_calls(sim) == 2  # the empty page, and Looker's count for the audit


def test_rows_above_lookers_silent_cap_all_arrive(make_simulator) -> None:
    sim = make_simulator(rows=12_000, seed=12)
    run = run_tap(tap_config(sim, page_size=5_000))

    assert sorted(run.ids()) == sorted(expected_by_id(sim))
    assert _query_calls(sim) == math.ceil(12_000 / 5_000) + 1  # and Looker's count
    # Every page carried an explicit limit: none fell under the silent 5,000-row cap.
    pages = [q for q in sim.stats()["queries"] if q["body"]["fields"] != ["content_usage.count"]]
    assert len(pages) == 3
    assert all(q["body"]["limit"] == "5000" for q in pages)


def test_start_date_is_honoured(make_simulator) -> None:
    sim = make_simulator(rows=2_000, seed=4)
    truth = expected_by_id(sim)
    times = sorted(r["last_accessed_time"] for r in truth.values())
    start = times[len(times) // 2]

    run = run_tap(tap_config(sim, start_date=start))

    wanted = {i for i, r in truth.items() if r["last_accessed_time"] >= start}
    assert set(run.ids()) == wanted


def test_only_dimensions_are_queried(make_simulator) -> None:
    sim = make_simulator(rows=20, seed=1)
    run_tap(tap_config(sim))

    fields = sim.stats()["queries"][0]["body"]["fields"]
    assert "content_usage.id" in fields
    assert all(not f.endswith(("_total", ".count")) for f in fields)


def test_field_missing_in_an_older_looker_is_left_out(make_simulator) -> None:
    sim = make_simulator(rows=100, seed=6)
    catalog = run_tap(tap_config(sim), args=("--discover",)).stdout
    sim.remove_dimension("favorite_count")

    run = run_tap(tap_config(sim), catalog=json.loads(catalog))

    assert len(run.ids()) == 100
    assert "content_usage.favorite_count" not in sim.stats()["queries"][-1]["body"]["fields"]
    assert all(r.get("favorite_count") is None for r in run.records["content_usage"])
