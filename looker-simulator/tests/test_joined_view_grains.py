"""Joined views with a table of their own: Looker GROUPs BY the selected dimensions, so a
query of one joined view's fields alone answers that view's rows.

- scheduled_plan explore: `scheduled_plan.*` alone -> one row per plan that is not deleted,
  plans that never ran included (the LookML's base view is scheduled_plan);
- dashboard explore: `dashboard_element.*` alone -> one row per tile of the dashboards the
  explore shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator, SimulatorClient
from looker_simulator.activity import Dashboard, ScheduledJob

SA = "system__activity"
PLAN_FIELDS = [
    f"scheduled_plan.{n}"
    for n in (
        "id", "name", "crontab", "dashboard_id", "look_id", "lookml_dashboard_id", "enabled",
        "run_once", "user_id", "created_time", "created_date",
    )
]  # fmt: skip
TILE_FIELDS = [
    f"dashboard_element.{n}"
    for n in (
        "id", "dashboard_id", "look_id", "query_id", "type", "title", "created_time",
        "created_date", "deleted_time", "deleted_date",
    )
]  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    # No footprint: these tests compare answers with truth().
    explores = {"scheduled_plan": 400, "dashboard": None, "look": None}
    with make_sim(rows=400, seed=17, explores=explores, record_api_queries=False) as s:
        yield s


@pytest.fixture
def api(sim: LookerSimulator) -> Api:
    return Api(sim.base_url)


def rows(api: Api, explore: str, **body: Any) -> list[dict[str, Any]]:
    return api.rows({"model": SA, "view": explore, "limit": "-1", **body})


def bare(row: dict[str, Any]) -> dict[str, Any]:
    return {k.partition(".")[2]: v for k, v in row.items()}


def jobs_explore(sim: LookerSimulator) -> ScheduledJob:
    ex = sim.explore("scheduled_plan")
    assert isinstance(ex, ScheduledJob)
    return ex


def dashboards_explore(sim: LookerSimulator) -> Dashboard:
    ex = sim.explore("dashboard")
    assert isinstance(ex, Dashboard)
    return ex


# --- scheduled_plan -------------------------------------------------------------------------


def test_a_plan_only_selection_answers_one_row_per_live_plan(
    sim: LookerSimulator, api: Api
) -> None:
    ex = jobs_explore(sim)
    answered = rows(api, "scheduled_plan", fields=PLAN_FIELDS, sorts=["scheduled_plan.id"])
    ids = [r["scheduled_plan.id"] for r in answered]
    every = {p[0] for p in ex.plans} | ex.never_ran
    assert ex.deleted_plans, "some plans are deleted when the data is built"
    assert ids == sorted(every - ex.deleted_plans)
    assert [bare(r) for r in answered] == sim.truth_view("scheduled_plan", "scheduled_plan")
    ran = {r["scheduled_plan_id"] for r in sim.truth("scheduled_plan")}
    never = set(ids) - ran
    assert never, "plans that never ran have a row"
    assert never == ex.never_ran - ex.deleted_plans
    assert len(ids) > len(ran)


def test_deleted_plans_leave_the_plan_grain_too() -> None:
    with make_sim(rows=100, seed=3, explores=["scheduled_plan"], record_api_queries=False) as s:
        ex, api = jobs_explore(s), Api(s.base_url)
        body = {"fields": ["scheduled_plan.id"], "sorts": ["scheduled_plan.id"]}
        before = [r["scheduled_plan.id"] for r in rows(api, "scheduled_plan", **body)]
        ran = min(p[0] for p in ex.plans if p[0] not in ex.deleted_plans)
        never = min(ex.never_ran)
        s.delete_scheduled_plan(ran)
        s.delete_scheduled_plan(never)
        after = [r["scheduled_plan.id"] for r in rows(api, "scheduled_plan", **body, cache="false")]
        assert after == [i for i in before if i not in {ran, never}]
        assert {p["id"] for p in s.truth_view("scheduled_plan", "scheduled_plan")} == set(after)
        with pytest.raises(KeyError):
            s.delete_scheduled_plan(never)  # already deleted


def test_every_plan_targets_one_existing_dashboard_look_or_lookml_dashboard(
    sim: LookerSimulator,
) -> None:
    plans = sim.truth_view("scheduled_plan", "scheduled_plan")
    dashboards = {int(d["id"]) for d in sim.dashboards()}
    looks = {r["id"] for r in sim.truth("look")}
    targets: Counter[str] = Counter()
    for p in plans:
        kinds = [k for k in ("dashboard_id", "look_id", "lookml_dashboard_id") if p[k] is not None]
        assert len(kinds) == 1, p
        targets[kinds[0]] += 1
        if p["dashboard_id"] is not None:
            assert p["dashboard_id"] in dashboards
        if p["look_id"] is not None:
            assert p["look_id"] in looks
        if p["lookml_dashboard_id"] is not None:
            model, _, name = p["lookml_dashboard_id"].partition("::")
            assert model
            assert name
    assert targets["dashboard_id"] > 0
    assert targets["look_id"] > 0
    enabled = Counter(p["enabled"] for p in plans)
    assert 0.7 < enabled["Yes"] / len(plans) < 0.97
    assert 0 < Counter(p["run_once"] for p in plans)["Yes"] < len(plans) / 5


def test_plans_agree_with_their_jobs(sim: LookerSimulator) -> None:
    plans = {p["id"]: p for p in sim.truth_view("scheduled_plan", "scheduled_plan")}
    for job in sim.truth("scheduled_plan"):
        plan = plans[job["scheduled_plan_id"]]
        assert job["scheduled_plan.name"] == plan["name"]
        assert job["scheduled_plan.crontab"] == plan["crontab"]
        assert job["user_id"] == plan["user_id"]
        assert plan["created_time"] <= job["created_time"]
        assert plan["created_date"] == plan["created_time"][:10]


def test_keyset_pages_on_the_plan_id(sim: LookerSimulator, api: Api) -> None:
    expected = [p["id"] for p in sim.truth_view("scheduled_plan", "scheduled_plan")]
    seen: list[int] = []
    while True:
        body: dict[str, Any] = {
            "fields": ["scheduled_plan.id", "scheduled_plan.name", "scheduled_plan.look_id"],
            "sorts": ["scheduled_plan.id"],
            "limit": "7",
        }
        if seen:
            body["filters"] = {"scheduled_plan.id": f">{seen[-1]}"}
        page = api.rows({"model": SA, "view": "scheduled_plan", **body})
        seen += [r["scheduled_plan.id"] for r in page]
        if len(page) < 7:
            break
    assert seen == expected
    # The same walk backwards, with a filter_expression.
    last = expected[len(expected) // 2]
    page = rows(
        api,
        "scheduled_plan",
        fields=["scheduled_plan.id"],
        filter_expression=f"${{scheduled_plan.id}} < {last}",
        sorts=["scheduled_plan.id desc"],
        limit="3",
    )
    assert [r["scheduled_plan.id"] for r in page] == [i for i in expected if i < last][::-1][:3]


def test_a_plan_only_selection_without_the_id_is_grouped(sim: LookerSimulator, api: Api) -> None:
    plans = sim.truth_view("scheduled_plan", "scheduled_plan")
    answered = rows(api, "scheduled_plan", fields=["scheduled_plan.enabled"])
    assert sorted(r["scheduled_plan.enabled"] for r in answered) == sorted(
        {p["enabled"] for p in plans}
    )
    enabled = rows(
        api,
        "scheduled_plan",
        fields=["scheduled_plan.id"],
        filters={"scheduled_plan.enabled": "Yes", "scheduled_plan.look_id": "NOT NULL"},
    )
    assert {r["scheduled_plan.id"] for r in enabled} == {
        p["id"] for p in plans if p["enabled"] == "Yes" and p["look_id"] is not None
    }


def test_mixing_the_plan_view_with_job_fields(sim: LookerSimulator, api: Api) -> None:
    jobs = sim.truth("scheduled_plan")
    # Plan fields the job rows carry: one row per job, as before.
    mixed = rows(
        api,
        "scheduled_plan",
        fields=["scheduled_job.id", "scheduled_plan.id", "scheduled_plan.name"],
        sorts=["scheduled_job.id"],
    )
    assert [(r["scheduled_job.id"], r["scheduled_plan.name"]) for r in mixed] == [
        (j["id"], j["scheduled_plan.name"]) for j in jobs
    ]
    # Fields only the plans' own table holds: refused loudly, not answered wrongly.
    for body in (
        {"fields": ["scheduled_job.id", "scheduled_plan.look_id"]},
        {"fields": ["scheduled_plan.id"], "filters": {"scheduled_job.status": "success",
                                                      "scheduled_plan.enabled": "Yes"}},
        {"fields": ["scheduled_plan.id", "scheduled_plan.user_id", "scheduled_job.count"]},
    ):  # fmt: skip
        resp = api.query({"model": SA, "view": "scheduled_plan", **body})
        assert resp.status_code == 422, resp.text
        assert "not modelled" in resp.json()["errors"][0]["message"]


# --- dashboard_element ----------------------------------------------------------------------


def check_tiles(sim: LookerSimulator, tiles: list[dict[str, Any]]) -> None:
    """The tiles answered are those of the dashboards the explore shows, as many live ones
    as each has tiles; Look tiles name existing Looks."""
    ex = dashboards_explore(sim)
    counts = dict(zip(ex.pk, ex.extra["tiles"], strict=True))
    shown = {r["dashboard.id"] for r in sim.truth("dashboard")}
    assert {t["dashboard_id"] for t in tiles} == shown
    live = Counter(t["dashboard_id"] for t in tiles if t["deleted_time"] is None)
    assert live == {d: counts[d] for d in shown}
    assert sum(live.values()) == sum(counts.values())  # every live tile of every dashboard
    looks = {r["id"] for r in sim.truth("look")}
    ids = [t["id"] for t in tiles]
    assert ids == sorted(set(ids))
    for t in tiles:
        assert t["type"] in {"vis", "text", "data"}
        if t["type"] == "text":
            assert (t["look_id"], t["query_id"], t["title"]) == (None, None, None)
        elif t["look_id"] is not None:
            assert (t["type"], t["query_id"]) == ("vis", None)
            assert t["look_id"] in looks
        else:
            assert t["query_id"] is not None
        assert (t["deleted_time"] is None) == (t["deleted_date"] is None)
        assert t["deleted_time"] is None or t["deleted_time"] >= t["created_time"]


def test_tile_rows_are_the_tiles_of_the_dashboards_shown(sim: LookerSimulator, api: Api) -> None:
    answered = rows(api, "dashboard", fields=TILE_FIELDS, sorts=["dashboard_element.id"])
    tiles = [bare(r) for r in answered]
    assert tiles == sim.truth_view("dashboard", "dashboard_element")
    check_tiles(sim, tiles)
    vis = [t for t in tiles if t["type"] == "vis"]
    assert 0.2 < sum(t["look_id"] is not None for t in vis) / len(vis) < 0.5
    created = {r["dashboard.id"]: r["dashboard.created_time"] for r in sim.truth("dashboard")}
    assert all(t["created_time"] >= created[t["dashboard_id"]] for t in tiles)
    types = rows(api, "dashboard", fields=["dashboard_element.type"])  # grouped
    assert sorted(r["dashboard_element.type"] for r in types) == ["data", "text", "vis"]


def test_tiles_follow_the_tile_counts_as_dashboards_change() -> None:
    with make_sim(rows=300, seed=8, explores=["dashboard", "look"], record_api_queries=False) as s:
        before = {t["id"]: t for t in s.truth_view("dashboard", "dashboard_element")}
        counts_before = list(dashboards_explore(s).extra["tiles"])
        start = s.now.strftime("%Y-%m-%d %H:%M:%S")
        for _ in range(3):
            s.advance(seconds=3600, new_rows=100, touched_rows=100)
        tiles = s.truth_view("dashboard", "dashboard_element")
        check_tiles(s, tiles)
        assert dashboards_explore(s).extra["tiles"] != counts_before
        after = {t["id"]: t for t in tiles}
        assert min(set(after) - set(before)) > max(before), "new tiles get new ids"
        assert any(t["deleted_time"] for t in before.values()), "deleted tiles keep a row"
        since = [t for t in tiles if t["deleted_time"] and t["deleted_time"] > start]
        assert since, "tiles deleted by the changes keep their row"
        gone = {"deleted_time", "deleted_date"}
        for i, old in before.items():
            if i not in after:  # a dashboard without tiles shows none of its tiles
                continue
            assert {k: v for k, v in after[i].items() if k not in gone} == {
                k: v for k, v in old.items() if k not in gone
            }
            if old["deleted_time"] is not None:
                assert after[i]["deleted_time"] == old["deleted_time"]


def test_mixing_tile_and_dashboard_fields_is_refused(api: Api) -> None:
    resp = api.query(
        {"model": SA, "view": "dashboard", "fields": ["dashboard.id", "dashboard_element.id"]}
    )
    assert resp.status_code == 422
    assert "dashboard_element.id" in resp.json()["errors"][0]["message"]


# --- metadata, base grain, truth ------------------------------------------------------------


def test_metadata_lists_the_new_fields_with_view_and_hidden(api: Api) -> None:
    def dims(explore: str) -> dict[str, dict[str, Any]]:
        meta = api.get(f"/lookml_models/{SA}/explores/{explore}").json()
        return {d["name"]: d for d in meta["fields"]["dimensions"]}

    tiles = dims("dashboard")
    hidden = {"dashboard_id", "look_id", "query_id"}
    for name in TILE_FIELDS:
        assert tiles[name]["view"] == "dashboard_element"
        assert tiles[name]["hidden"] == (name.partition(".")[2] in hidden), name
    assert tiles["dashboard_element.id"]["primary_key"]
    assert tiles["dashboard_element.type"]["type"] == "string"
    assert tiles["dashboard_element.created_time"]["type"] == "date_time"
    assert tiles["dashboard_element.deleted_date"]["type"] == "date_date"
    plans = dims("scheduled_plan")
    types = {
        "id": "number", "name": "string", "dashboard_id": "number", "look_id": "number",
        "lookml_dashboard_id": "string", "enabled": "yesno", "run_once": "yesno",
        "user_id": "number", "created_time": "date_time", "created_date": "date_date",
    }  # fmt: skip
    for name, looker_type in types.items():
        field = plans[f"scheduled_plan.{name}"]
        assert (field["view"], field["type"], field["hidden"]) == (
            "scheduled_plan",
            looker_type,
            False,
        )
        assert field["dimension_group"] == ("created" if name.startswith("created") else None)
    assert plans["scheduled_plan.id"]["primary_key"]


def test_dimension_only_selections_of_base_fields_are_not_grouped(
    sim: LookerSimulator, api: Api
) -> None:
    dashboards = sim.truth("dashboard")
    spaces = rows(api, "dashboard", fields=["dashboard.space_id"], sorts=["dashboard.id"])
    expected = [d["dashboard.space_id"] for d in dashboards]
    assert [r["dashboard.space_id"] for r in spaces] == expected
    assert len(spaces) > len(set(expected))
    jobs = sim.truth("scheduled_plan")
    statuses = rows(api, "scheduled_plan", fields=["scheduled_job.status"])
    assert len(statuses) == len(jobs)
    names = rows(api, "scheduled_plan", fields=["scheduled_job.user_id", "scheduled_plan.name"])
    assert len(names) == len(jobs)


def test_truth_of_the_base_rows_keeps_its_keys(sim: LookerSimulator) -> None:
    assert set(sim.truth("scheduled_plan")[0]) == {
        "id", "created_time", "created_date", "finalized_time", "finalized_date", "status",
        "status_detail", "scheduled_plan_id", "user_id", "scheduled_plan.id",
        "scheduled_plan.name", "scheduled_plan.crontab",
    }  # fmt: skip
    assert not any(k.startswith("dashboard_element.") for k in sim.truth("dashboard")[0])
    with pytest.raises(KeyError):
        sim.truth_view("dashboard", "dashboard")  # a view without a table of its own


def test_the_control_plane_serves_the_view_truth(sim: LookerSimulator) -> None:
    client = SimulatorClient(sim.base_url)
    assert client.truth_view("dashboard", "dashboard_element") == sim.truth_view(
        "dashboard", "dashboard_element"
    )
    resp = requests.get(
        f"{sim.base_url}/_simulator/truth",
        params={"explore": "scheduled_plan", "view": "scheduled_plan"},
        timeout=10,
    )
    assert resp.json() == sim.truth_view("scheduled_plan", "scheduled_plan")


def test_favorite_count_takes_a_number_filter(sim: LookerSimulator, api: Api) -> None:
    answered = rows(
        api,
        "content_usage",
        fields=["content_usage.id", "content_usage.favorite_count"],
        filters={"content_usage.favorite_count": ">0"},
    )
    expected = [(r["id"], r["favorite_count"]) for r in sim.truth() if r["favorite_count"] > 0]
    assert sorted((r["content_usage.id"], r["content_usage.favorite_count"]) for r in answered) == (
        expected
    )
    assert 0 < len(answered) < len(sim.truth())


# --- the views' count measures --------------------------------------------------------------


def count(api: Api, explore: str, measure: str, **body: Any) -> int:
    answered = api.rows({"model": SA, "view": explore, "fields": [measure], "limit": "1", **body})
    assert len(answered) == 1, answered
    assert list(answered[0]) == [measure]
    value = answered[0][measure]
    assert isinstance(value, int)
    return value


def test_the_views_count_measures_are_in_the_metadata(api: Api) -> None:
    for explore, view, base in (
        ("scheduled_plan", "scheduled_plan", "scheduled_job"),
        ("dashboard", "dashboard_element", "dashboard_layout_component"),
    ):
        meta = api.get(f"/lookml_models/{SA}/explores/{explore}").json()
        measures = {m["name"]: m for m in meta["fields"]["measures"]}
        assert list(measures) == [f"{base}.count", f"{view}.count"]
        m = measures[f"{view}.count"]
        assert (m["type"], m["view"], m["category"], m["measure"]) == (
            "count",
            view,
            "measure",
            True,
        )
        assert measures[f"{base}.count"]["view"] == base
        join = next(j for j in meta["joins"] if j["name"] == view)
        assert f"{view}.count" in join["fields"]


def test_scheduled_plan_count_counts_the_plan_rows(sim: LookerSimulator, api: Api) -> None:
    plans = sim.truth_view("scheduled_plan", "scheduled_plan")
    measure = "scheduled_plan.count"
    assert count(api, "scheduled_plan", measure) == len(plans)
    paged = rows(api, "scheduled_plan", fields=["scheduled_plan.id"], sorts=["scheduled_plan.id"])
    assert count(api, "scheduled_plan", measure) == len(paged)
    enabled = {"scheduled_plan.enabled": "Yes", "scheduled_plan.look_id": "NOT NULL"}
    kept = [p for p in plans if p["enabled"] == "Yes" and p["look_id"] is not None]
    assert 0 < len(kept) < len(plans)
    assert count(api, "scheduled_plan", measure, filters=enabled) == len(kept)
    pivot = plans[len(plans) // 2]["id"]
    after = [p for p in plans if p["id"] > pivot]
    assert count(api, "scheduled_plan", measure, filters={"scheduled_plan.id": f">{pivot}"}) == (
        len(after)
    )
    expression = f"${{scheduled_plan.id}} > {pivot} AND ${{scheduled_plan.run_once}} = no"
    assert count(api, "scheduled_plan", measure, filter_expression=expression) == len(
        [p for p in after if p["run_once"] == "No"]
    )
    # Grouped by a plan dimension: one count per value, summing to every plan.
    by = rows(api, "scheduled_plan", fields=["scheduled_plan.enabled", measure])
    assert {r["scheduled_plan.enabled"]: r[measure] for r in by} == Counter(
        p["enabled"] for p in plans
    )
    # Beside job fields the plan count is refused, not answered as a count of jobs.
    resp = api.query({"model": SA, "view": "scheduled_plan",
                      "fields": ["scheduled_job.status", measure]})  # fmt: skip
    assert resp.status_code == 422, resp.text
    assert "not modelled" in resp.json()["errors"][0]["message"]


def test_dashboard_element_count_counts_the_tile_rows(sim: LookerSimulator, api: Api) -> None:
    tiles = sim.truth_view("dashboard", "dashboard_element")
    measure = "dashboard_element.count"
    assert count(api, "dashboard", measure) == len(tiles)
    live = [t for t in tiles if t["deleted_time"] is None]
    assert 0 < len(live) < len(tiles)
    assert count(
        api, "dashboard", measure, filters={"dashboard_element.deleted_time": "NULL"}
    ) == len(live)
    assert count(
        api, "dashboard", measure, filter_expression='${dashboard_element.type} = "text"'
    ) == len([t for t in tiles if t["type"] == "text"])
    resp = api.query({"model": SA, "view": "dashboard", "fields": ["dashboard.id", measure]})
    assert resp.status_code == 422, resp.text


# --- plans change over time -----------------------------------------------------------------


def test_plans_are_created_changed_and_deleted_as_time_passes() -> None:
    kw: dict[str, Any] = {"seed": 5, "explores": {"scheduled_plan": 2000}}
    with (
        make_sim(record_api_queries=False, **kw) as s,
        make_sim(record_api_queries=False, **kw) as still,
    ):
        api, ex = Api(s.base_url), jobs_explore(s)
        frozen = jobs_explore(still)  # the same data, its plans never changing
        frozen._change_plans = lambda *args: None  # type: ignore[method-assign]
        frozen._new_plans = lambda *args: None  # type: ignore[method-assign]
        body = {"fields": PLAN_FIELDS, "sorts": ["scheduled_plan.id"], "cache": "false"}
        before = {r["scheduled_plan.id"]: r for r in rows(api, "scheduled_plan", **body)}
        start = s.now.strftime("%Y-%m-%d %H:%M:%S")
        for sim in (s, still):
            sim.advance(seconds=3600, new_rows=150, touched_rows=90)
        assert still.truth_view("scheduled_plan", "scheduled_plan") == [
            bare(r) for r in before.values()
        ]
        after = {r["scheduled_plan.id"]: r for r in rows(api, "scheduled_plan", **body)}
        assert [bare(r) for r in after.values()] == s.truth_view("scheduled_plan", "scheduled_plan")
        new = set(after) - set(before)
        changed = {i for i in set(after) & set(before) if after[i] != before[i]}
        deleted = set(before) - set(after)
        assert len(new) == 15
        assert min(new) > max(before), "new plans get new ids"
        end = s.now.strftime("%Y-%m-%d %H:%M:%S")
        assert all(start < after[i]["scheduled_plan.created_time"] <= end for i in new)
        assert len(changed) >= 5
        assert len(new | changed) >= 5
        assert deleted, "a few plans are deleted"
        assert deleted <= ex.never_ran
        assert new <= ex.never_ran
        moved = {"scheduled_plan.enabled", "scheduled_plan.name", "scheduled_plan.dashboard_id",
                 "scheduled_plan.look_id", "scheduled_plan.lookml_dashboard_id"}  # fmt: skip
        for i in changed:
            assert {k for k in after[i] if after[i][k] != before[i][k]} <= moved
        assert count(api, "scheduled_plan", "scheduled_plan.count", cache="false") == len(after)
        # The jobs are exactly as without the plan changes: the same seed and advances.
        assert s.truth("scheduled_plan") == still.truth("scheduled_plan")
        ran = {j["scheduled_plan_id"] for j in s.truth("scheduled_plan")}
        assert not ran & (new | deleted), "no job names a new or deleted plan"
        renamed = {i for i in changed if after[i]["scheduled_plan.name"] != before[i][
            "scheduled_plan.name"]}  # fmt: skip
        assert not renamed & ran, "plans the job rows name keep their name"
        for _ in range(3):
            for sim in (s, still):
                sim.advance(seconds=3600, new_rows=150, touched_rows=90)
        assert s.truth("scheduled_plan") == still.truth("scheduled_plan")
        test_plans_agree_with_their_jobs(s)
        plans = s.truth_view("scheduled_plan", "scheduled_plan")
        assert count(api, "scheduled_plan", "scheduled_plan.count", cache="false") == len(plans)
        ids = [p["id"] for p in plans]
        assert ids == sorted(set(ids))
        for p in plans:
            kinds = ("dashboard_id", "look_id", "lookml_dashboard_id")
            assert sum(p[k] is not None for k in kinds) == 1, p
