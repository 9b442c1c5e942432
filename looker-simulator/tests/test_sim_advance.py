"""advance(): the clock moves, items are touched in place, new items appear."""

from __future__ import annotations

from typing import Any

import pytest
from simtest_helpers import Api, f, make_sim

COMPUTED = {"days_since_last_accessed", "days_since_last_access_tiers"}
COUNTERS = ["api_count", "embed_count", "public_count", "schedule_count", "other_count"]


def _by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["id"]: {k: v for k, v in r.items() if k not in COMPUTED} for r in rows}


def test_advance_touches_rows_in_place_and_appends_new_ones() -> None:
    with make_sim(rows=1000, seed=5) as sim:
        before = _by_id(sim.truth())
        old_now = sim.now
        sim.advance(seconds=3600, new_rows=10, touched_rows=25)
        assert sim.now.timestamp() == old_now.timestamp() + 3600
        after = _by_id(sim.truth())
        assert sim.row_count() == 1010
        lo = old_now.strftime("%Y-%m-%d %H:%M:%S")
        hi = sim.now.strftime("%Y-%m-%d %H:%M:%S")

        new_ids = sorted(set(after) - set(before))
        assert len(new_ids) == 10
        assert min(new_ids) > max(before)
        for i in new_ids:
            assert lo < after[i]["last_accessed_time"] <= hi

        moved = [
            i for i in before if before[i]["last_accessed_time"] != after[i]["last_accessed_time"]
        ]
        assert len(moved) == 25
        # Renames (content_title) and favorites change without last_accessed_time moving.
        in_place = {
            k for i in set(before) - set(moved) for k in before[i] if before[i][k] != after[i][k]
        }
        assert in_place == {"content_title", "favorite_count"}
        for i in moved:
            assert lo < after[i]["last_accessed_time"] <= hi
            assert after[i]["other_count"] > before[i]["other_count"]
            for c in COUNTERS:
                assert after[i][c] >= before[i][c]
            for k in ("content_id", "content_type"):
                assert after[i][k] == before[i][k]


def test_advance_is_deterministic() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        sim = make_sim(rows=500, seed=seed)
        sim.advance(seconds=600, new_rows=5, touched_rows=50)
        sim.advance(seconds=86400, new_rows=7, touched_rows=3)
        return sim.truth()

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_same_seed_same_data_different_seed_different_data() -> None:
    assert make_sim(rows=300, seed=9).truth() == make_sim(rows=300, seed=9).truth()
    assert make_sim(rows=300, seed=9).truth() != make_sim(rows=300, seed=10).truth()


def test_advance_without_time_puts_touched_rows_at_now() -> None:
    sim = make_sim(rows=100, seed=1)
    sim.advance(touched_rows=3)
    now = sim.now.strftime("%Y-%m-%d %H:%M:%S")
    assert sum(r["last_accessed_time"] == now for r in sim.truth()) >= 3


def test_advance_rejects_negative_values() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        make_sim(rows=10).advance(seconds=-1)


def test_incremental_keyset_from_a_bookmark_sees_exactly_the_changes() -> None:
    with make_sim(rows=3000, seed=2, tie_group=4) as sim:
        api = Api(sim.base_url)
        t, i = f("last_accessed_time"), f("id")
        newest = api.rows({"fields": [i, t], "sorts": [t + " desc", i + " desc"], "limit": "1"})
        bookmark = newest[0]
        before = {r["id"] for r in sim.truth()}
        sim.advance(seconds=7200, new_rows=40, touched_rows=60)
        d, hms = bookmark[t].split(" ")
        lit = f"date_time({d.replace('-', ', ')}, {hms.replace(':', ', ')})"
        expr = f"${{{t}}} > {lit} OR (${{{t}}} = {lit} AND ${{{i}}} > {bookmark[i]})"
        rows = api.rows({"fields": [i, t], "sorts": [t, i], "filter_expression": expr})
        ids = [r[i] for r in rows]
        assert len(ids) == 100
        assert len(set(ids) - before) == 40


def test_tie_group_zero_and_no_big_tie_gives_unique_timestamps() -> None:
    sim = make_sim(rows=3000, seed=4, tie_group=0, big_tie=0)
    sim.advance(seconds=3600, new_rows=50, touched_rows=100)
    times = [r["last_accessed_time"] for r in sim.truth()]
    assert len(set(times)) == len(times) == 3050
