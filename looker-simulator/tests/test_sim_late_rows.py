"""Late-visible rows: advance(late_rows=k, late_by=s) adds rows stamped before the maximum."""

from __future__ import annotations

import datetime as dt

import pytest
from simtest_helpers import make_sim

from looker_simulator import SimulatorClient

# explore -> its time field as truth() names it
TIMED = {
    "content_usage": "last_accessed_time",
    "history": "completed_time",
    "query": "created_time",
    "event": "created_time",
    "event_attribute": "event.created_time",
    "scheduled_plan": "finalized_time",
    "pdt_event_log": "created_time",
    "order_items": "created_time",
}


def test_late_rows_appear_before_the_maximum_in_every_timed_explore() -> None:
    with make_sim(rows=300, seed=9, explores="all") as sim:
        before = {name: sim.truth(name) for name in TIMED}
        tops = {
            name: max(r[field] for r in rows if r[field] is not None)
            for (name, field), rows in zip(TIMED.items(), before.values(), strict=True)
        }
        SimulatorClient(sim.base_url).advance(seconds=0, late_rows=4, late_by=600)
        for name, field in TIMED.items():
            old = {r["id"] for r in before[name]}
            after = sim.truth(name)
            new = [r for r in after if r["id"] not in old]
            if name == "event_attribute":
                assert new, "the late events' attributes arrive"
            else:
                assert len(new) == 4, name
            assert min(r["id"] for r in new) > max(old), name  # new, higher ids
            for r in new:
                assert r[field] is not None
                assert r[field] < tops[name], (name, r[field], tops[name])
            # Within late_by of the maximum (600 s here; pdt rows of one transaction and
            # event attributes share their anchor's second).
            assert all(r[field] >= _minus(tops[name], 600) for r in new), name
            # Rows seen before are unchanged in every explore but the correlated history ones.
            if name not in {"history", "content_usage"}:
                assert [r for r in after if r["id"] in old] == before[name], name


def _minus(stamp: str, seconds: int) -> str:
    t = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S") - dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def test_late_rows_zero_leaves_the_data_as_before() -> None:
    with (
        make_sim(rows=200, seed=2, explores=["history"]) as a,
        make_sim(rows=200, seed=2, explores=["history"]) as b,
    ):
        a.advance(seconds=600, new_rows=5, touched_rows=3)
        b.advance(seconds=600, new_rows=5, touched_rows=3, late_rows=0)
        assert a.truth() == b.truth()
        assert a.truth("history") == b.truth("history")


def test_bad_late_arguments_are_rejected() -> None:
    with make_sim(rows=10, seed=1) as sim:
        with pytest.raises(ValueError, match="late_rows"):
            sim.advance(late_rows=-1)
        with pytest.raises(ValueError, match="late_by"):
            sim.advance(late_rows=1, late_by=0)
