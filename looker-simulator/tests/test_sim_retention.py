"""Retention and grain of System Activity rows Looker deletes.

- history: rows with ``source = 'scheduled_task'`` are deleted after 7 days, the rest after
  90 (Looker docs, "Usage reports with System Activity explores");
- scheduled_plan: the explore's base view is ``scheduled_plan`` (``scheduled_job`` LEFT
  JOINed), so the jobs of a deleted plan have no row (System Activity LookML).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator
from looker_simulator.activity import ScheduledJob

DAY = 86_400
FMT = "%Y-%m-%d %H:%M:%S"
HISTORY = {"model": "system__activity", "view": "history", "limit": "-1"}
PLANS = {"model": "system__activity", "view": "scheduled_plan", "limit": "-1"}


def _ago(sim: LookerSimulator, days: float) -> str:
    return (sim.now - dt.timedelta(days=days)).strftime(FMT)


@pytest.fixture
def history_sim() -> Iterator[LookerSimulator]:
    with make_sim(rows=10, seed=3, explores={"history": 3000}, record_api_queries=False) as s:
        yield s


def test_scheduled_task_history_is_served_for_7_days_other_history_for_90(
    history_sim: LookerSimulator,
) -> None:
    sim = history_sim
    rows = sim.truth("history")
    tasks = [r for r in rows if r["source"] == "scheduled_task"]
    others = [r for r in rows if r["source"] != "scheduled_task"]
    assert tasks, "scheduled tasks of the last 7 days are served"
    assert min(r["created_time"] for r in tasks) >= _ago(sim, 7)
    assert min(r["created_time"] for r in others) < _ago(sim, 30)  # kept up to 90 days
    assert len(rows) < sim.row_count("history")  # older scheduled tasks are stored, not served

    # The API answers the same: a filter on the source, and the count measure.
    api = Api(sim.base_url)
    old_tasks = api.rows(
        {
            **HISTORY,
            "fields": ["history.id"],
            "filters": {
                "history.source": "scheduled_task",
                "history.created_time": "before 7 days ago",
            },
        }
    )
    assert old_tasks == []
    [count] = api.rows({**HISTORY, "fields": ["history.count"]})
    assert count["history.count"] == len(rows)


def test_scheduled_task_history_ages_out_as_time_moves_on(history_sim: LookerSimulator) -> None:
    sim = history_sim
    before = {r["id"]: r for r in sim.truth("history")}
    sim.advance(seconds=3 * DAY)
    after = {r["id"]: r for r in sim.truth("history")}
    cutoff = _ago(sim, 7)
    gone = {i for i in before if i not in after}
    assert gone, "three days later, the oldest scheduled tasks are deleted"
    assert all(before[i]["source"] == "scheduled_task" for i in gone)
    assert all(before[i]["created_time"] < cutoff for i in gone)
    kept_tasks = [r for r in after.values() if r["source"] == "scheduled_task"]
    assert all(r["created_time"] >= cutoff for r in kept_tasks)
    # Other sources keep their rows (none of them is 90 days old yet).
    assert {i for i, r in before.items() if r["source"] != "scheduled_task"} <= set(after)

    sim.advance(seconds=80 * DAY)  # now the 90-day limit deletes the oldest of them
    late = sim.truth("history")
    assert len(late) < len(after)
    assert min(r["created_time"] for r in late) >= _ago(sim, 90)


def _plan_ids(rows: list[dict[str, Any]]) -> set[int]:
    return {int(r["scheduled_plan_id"]) for r in rows}


def test_jobs_of_deleted_plans_are_not_in_the_scheduled_plan_explore() -> None:
    with make_sim(
        rows=10, seed=4, explores={"scheduled_plan": 400}, record_api_queries=False
    ) as sim:
        explore = sim.explore("scheduled_plan")
        assert isinstance(explore, ScheduledJob)
        stored = set(explore.stored["scheduled_plan_id"].values)
        deleted = explore.deleted_plans
        served = _plan_ids(sim.truth("scheduled_plan"))
        assert deleted & stored, "plans deleted before the data was built had jobs"
        assert not served & deleted
        assert served == stored - deleted

        # A plan deleted now: its past jobs leave the explore, on the API too.
        api = Api(sim.base_url)
        plan = min(served)
        body = {**PLANS, "fields": ["scheduled_job.id"]}
        assert api.rows({**body, "filters": {"scheduled_job.scheduled_plan_id": str(plan)}})
        sim.delete_scheduled_plan(plan)
        assert plan not in _plan_ids(sim.truth("scheduled_plan"))
        one_plan = {**body, "filters": {"scheduled_job.scheduled_plan_id": str(plan)}}
        assert api.rows(one_plan, cache="false") == []  # the earlier answer is cached
        [count] = api.rows({**PLANS, "fields": ["scheduled_job.count"]})
        assert count["scheduled_job.count"] == len(sim.truth("scheduled_plan"))

        # A deleted plan runs no more: every new job belongs to a live plan.
        ids = {r["id"] for r in sim.truth("scheduled_plan")}
        stored_before = sim.row_count("scheduled_plan")
        sim.advance(seconds=DAY, new_rows=400)
        new = [r for r in sim.truth("scheduled_plan") if r["id"] not in ids]
        assert len(new) == sim.row_count("scheduled_plan") - stored_before == 100
        with pytest.raises(KeyError):
            sim.delete_scheduled_plan(plan)  # already deleted
