"""The other System Activity explores (and thelook's order_items), built on request."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator
from looker_simulator.cli import _explores
from looker_simulator.dataset import EXPLORES, requested_sizes

# explore -> (model, base view, time field, pk or None)
SHAPES: dict[str, tuple[str, str, str | None, str | None]] = {
    "history": ("system__activity", "history", "completed_time", "id"),
    "query": ("system__activity", "query", "created_time", "id"),
    "event": ("system__activity", "event", "created_time", "id"),
    "event_attribute": ("system__activity", "event_attribute", "event.created_time", "id"),
    "scheduled_plan": ("system__activity", "scheduled_job", "finalized_time", "id"),
    "pdt_event_log": ("system__activity", "pdt_event_log", "created_time", "id"),
    "query_metrics": ("system__activity", "query_metrics", "created_time", "id"),
    "user": ("system__activity", "user", None, "id"),
    # Base view dashboard_layout_component: the dashboard.* fields come from a join.
    "dashboard": ("system__activity", "dashboard_layout_component", None, "dashboard.id"),
    "look": ("system__activity", "look", None, "id"),
    "order_items": ("thelook", "order_items", "created_time", "id"),
    "field_usage": ("system__activity", "field_usage", None, "id"),
    "api_usage": ("system__activity", "api_usage", None, "id"),
}
# Sum measures besides the count measure every explore has.
SUM_MEASURES = {"field_usage": ["times_used"], "api_usage": ["total_usage"]}
# Count measures of joined views with a table of their own (test_joined_view_grains.py).
VIEW_COUNTS = {"scheduled_plan": ["scheduled_plan.count"], "dashboard": ["dashboard_element.count"]}
INCREMENTAL = [name for name, shape in SHAPES.items() if shape[2]]


def full(explore: str, field: str) -> str:
    return field if "." in field else f"{SHAPES[explore][1]}.{field}"


def query(api: Api, explore: str, **body: Any) -> list[dict[str, Any]]:
    model = SHAPES[explore][0]
    return api.rows({"model": model, "view": explore, **body})


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    # No footprint: these tests compare query answers with truth() afterwards.
    with make_sim(rows=50, seed=7, explores="all", record_api_queries=False) as s:
        yield s


@pytest.fixture
def api(sim: LookerSimulator) -> Api:
    return Api(sim.base_url)


def test_a_default_simulator_serves_content_usage_only() -> None:
    with make_sim(rows=10, seed=1) as s:
        assert s.health()["row_counts"] == {"content_usage": 10}
        assert (
            Api(s.base_url).get("/lookml_models/system__activity/explores/history").status_code
            == 404
        )


def test_all_explores_are_served_with_their_default_sizes(sim: LookerSimulator, api: Api) -> None:
    counts = sim.health()["row_counts"]
    assert counts["content_usage"] == 50
    for name, kind in EXPLORES.items():
        if name != "content_usage":
            assert counts[name] == kind.default_rows
    listed = [e["name"] for e in api.get("/lookml_models/system__activity").json()["explores"]]
    assert set(listed) == {"content_usage", *SHAPES} - {"order_items"}
    assert [e["name"] for e in api.get("/lookml_models/thelook").json()["explores"]] == [
        "order_items"
    ]


@pytest.mark.parametrize("explore", list(SHAPES))
def test_metadata_names_fields_by_their_view(api: Api, explore: str) -> None:
    model, view, time_field, pk = SHAPES[explore]
    meta = api.get(f"/lookml_models/{model}/explores/{explore}").json()
    assert meta["view_name"] == view
    dims = {d["name"]: d for d in meta["fields"]["dimensions"]}
    for name, dim in dims.items():
        assert dim["view"] == name.split(".")[0]
    if time_field:
        assert dims[full(explore, time_field)]["type"] == "date_time"
    if pk:
        assert dims[full(explore, pk)]["primary_key"]
    else:
        assert not any(d["primary_key"] for d in dims.values())
    joined = {d["view"] for d in dims.values()} - {view}
    assert {j["name"] for j in meta["joins"]} == joined
    measures = [f"{view}.{m}" for m in ["count", *SUM_MEASURES.get(explore, [])]]
    measures += VIEW_COUNTS.get(explore, [])
    assert [m["name"] for m in meta["fields"]["measures"]] == measures


def test_joined_fields_are_queried_filtered_and_sorted_like_the_base_view(
    sim: LookerSimulator, api: Api
) -> None:
    rows = query(
        api,
        "event_attribute",
        fields=["event_attribute.id", "event.created_time", "event.name"],
        filters={"event.name": "login"},
        sorts=["event.created_time desc", "event_attribute.id desc"],
        limit="20",
    )
    assert len(rows) == 20
    assert {r["event.name"] for r in rows} == {"login"}
    keys = [(r["event.created_time"], r["event_attribute.id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    events = {e["id"]: e for e in sim.truth("event")}
    for attr in sim.truth("event_attribute"):
        event = events[attr["event_id"]]
        assert attr["event.id"] == event["id"]
        assert attr["event.created_time"] == event["created_time"]
        assert attr["event.name"] == event["name"]


def _literal(value: Any, is_time: bool) -> str:
    if is_time:
        parts = value.replace("-", " ").replace(":", " ").split()
        return f"date_time({', '.join(str(int(p)) for p in parts)})"
    return json.dumps(value)


def _after(keys: list[str], cursor: tuple[Any, ...]) -> str:
    """Rows strictly after `cursor` in the lexicographic order of `keys` (time first)."""
    expression = ""
    for position, (key, value) in reversed(list(enumerate(zip(keys, cursor, strict=True)))):
        lit = _literal(value, position == 0)
        greater, equal = f"${{{key}}} > {lit}", f"${{{key}}} = {lit}"
        expression = greater if not expression else f"{greater} OR ({equal} AND ({expression}))"
    return expression


@pytest.mark.parametrize("explore", INCREMENTAL)
def test_keyset_pages_visit_every_row_once_in_order(
    sim: LookerSimulator, api: Api, explore: str
) -> None:
    _, _, time_field, pk = SHAPES[explore]
    assert time_field is not None
    order = [time_field, pk] if pk else [time_field, "tid", "sequence"]
    keys = [full(explore, k) for k in order]
    seen: list[tuple[Any, ...]] = []
    while True:
        body: dict[str, Any] = {
            "fields": keys,
            "sorts": keys,
            "limit": "97",
            "filters": {keys[0]: "NOT NULL"},
        }
        if seen:
            body["filter_expression"] = _after(keys, seen[-1])
        rows = query(api, explore, **body)
        seen += [tuple(r[k] for k in keys) for r in rows]
        if len(rows) < 97:
            break
    expected = sorted(
        tuple(r[k] for k in order) for r in sim.truth(explore) if r[time_field] is not None
    )
    assert seen == expected
    assert len(set(seen)) == len(seen)


def test_history_runs_complete_in_place_when_time_moves_on() -> None:
    with make_sim(rows=10, seed=3, explores={"history": 800}) as s:
        before = {r["id"]: r for r in s.truth("history")}
        running = {i for i, r in before.items() if r["completed_time"] is None}
        assert running, "some queries are still running at `now`"
        for i in running:
            assert before[i]["status"] == "running"
            assert before[i]["runtime"] is None
            assert before[i]["result_source"] is None
        lo = s.now.strftime("%Y-%m-%d %H:%M:%S")
        s.advance(seconds=1800, new_rows=100)
        hi = s.now.strftime("%Y-%m-%d %H:%M:%S")
        after = {r["id"]: r for r in s.truth("history")}

        # The correlated most_recent_* dimensions change on rows that did not move.
        volatile = {"most_recent_length", "most_recent_run_at_time", "most_recent_run_at_date"}

        def stable(row: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in row.items() if k not in volatile}

        changed = {i for i in before if stable(after[i]) != stable(before[i])}
        assert changed == running
        assert any(after[i] != before[i] for i in set(before) - running)
        for i in running:
            row = after[i]
            assert lo < row["completed_time"] <= hi
            assert row["created_time"] <= row["completed_time"]
            assert row["status"] in {"complete", "error", "killed"}
        new = set(after) - set(before)
        assert len(new) == 100
        assert min(new) > max(before)
        for i in new:
            assert lo < after[i]["created_time"] <= hi
            done = after[i]["completed_time"]
            assert done is None or after[i]["created_time"] <= done <= hi
        # Query ids repeat across runs: popular queries run again and again.
        assert Counter(r["query_id"] for r in after.values()).most_common(1)[0][1] > 5


def test_scheduled_jobs_finalize_in_place() -> None:
    with make_sim(rows=10, seed=4, explores=["scheduled_plan"]) as s:
        before = {r["id"]: r for r in s.truth("scheduled_plan")}
        pending = {i for i, r in before.items() if r["finalized_time"] is None}
        assert pending
        s.advance(seconds=3600, new_rows=40)
        after = {r["id"]: r for r in s.truth("scheduled_plan")}
        assert {i for i in before if after[i] != before[i]} == pending
        assert {after[i]["status"] for i in pending} <= {"success", "failure", "skipped"}
        assert len(after) == len(before) + 10  # new_share 0.25
        statuses = Counter(r["status"] for r in after.values())
        assert statuses["success"] > statuses["failure"] > 0


@pytest.mark.parametrize("explore", ["query", "event", "event_attribute", "pdt_event_log"])
def test_logs_only_grow(explore: str) -> None:
    with make_sim(rows=10, seed=5, explores=[explore]) as s:
        before = s.truth(explore)
        lo = s.now.strftime("%Y-%m-%d %H:%M:%S")
        s.advance(seconds=600, new_rows=50, touched_rows=50)
        after = s.truth(explore)
        by_id = {r["id"]: r for r in after}
        assert all(by_id[r["id"]] == r for r in before)
        added = len(by_id) - len(before)
        assert added > 0
        time_field = SHAPES[explore][2]
        assert time_field is not None
        assert sum(r[time_field] > lo for r in after) == added


def test_event_attributes_follow_new_events() -> None:
    with make_sim(rows=10, seed=6, explores=["event", "event_attribute"]) as s:
        events_before = {e["id"] for e in s.truth("event")}
        attrs_before = {a["id"] for a in s.truth("event_attribute")}
        s.advance(seconds=600, new_rows=80)
        events = {e["id"]: e for e in s.truth("event")}
        new_attrs = [a for a in s.truth("event_attribute") if a["id"] not in attrs_before]
        assert len(events) == len(events_before) + 80
        assert new_attrs
        assert {a["event_id"] for a in new_attrs} <= set(events) - events_before
        for attr in new_attrs:
            assert attr["event.created_time"] == events[attr["event_id"]]["created_time"]


@pytest.mark.parametrize("explore", ["user", "dashboard", "look"])
def test_entities_change_in_place(explore: str) -> None:
    # Every dashboard (the explore hides those without tiles): the REST records.
    def rows(s: LookerSimulator) -> list[dict[str, Any]]:
        return s.dashboards(deleted=None) if explore == "dashboard" else s.truth(explore)

    with make_sim(rows=10, seed=8, explores=[explore]) as s:
        before = {int(r["id"]): r for r in rows(s)}
        s.advance(seconds=600, new_rows=100, touched_rows=100)
        after = {int(r["id"]): r for r in rows(s)}
        changed = [i for i in before if i in after and after[i] != before[i]]
        assert changed
        assert len(after) > len(before)
        assert min(set(after) - set(before)) > max(before)


def test_nulls_where_looker_has_them(sim: LookerSimulator) -> None:
    users = sim.truth("user")
    assert any(u["email"] is None and u["name"].startswith("Embed User") for u in users)
    dashboards = sim.truth("dashboard")
    assert any(d["dashboard.description"] is None for d in dashboards)
    assert any(d["dashboard.deleted_time"] is not None for d in dashboards)
    assert all(
        (d["dashboard.deleted_time"] is None) == (d["dashboard.deleted_date"] is None)
        for d in dashboards
    )
    history = sim.truth("history")
    assert any(h["user_id"] is None for h in history)
    assert any(h["look_id"] is None for h in history)
    assert all(h["runtime"] is None or h["runtime"] >= 0 for h in history)


def test_pdt_event_log_has_duplicate_looking_rows_and_ties(sim: LookerSimulator) -> None:
    rows = sim.truth("pdt_event_log")
    assert len({r["id"] for r in rows}) == len(rows), "a real unique id"
    assert all("tablename" not in r for r in rows)
    assert any(r["table_name"] for r in rows)
    natural = [tuple(sorted((k, v) for k, v in r.items() if k != "id")) for r in rows]
    assert len(set(natural)) == len(rows), "every row differs in some column"
    alike = Counter(
        tuple((k, v) for k, v in sorted(r.items()) if k not in {"sequence", "id"}) for r in rows
    )
    assert max(alike.values()) > 1, "rows differing only in sequence"
    assert max(Counter(r["created_time"] for r in rows).values()) > 3


def test_data_is_deterministic_and_independent_of_other_explores() -> None:
    with (
        make_sim(rows=30, seed=9, explores="all") as a,
        make_sim(rows=30, seed=9, explores={"history": None, "user": None}) as b,
    ):
        assert a.truth("history") == b.truth("history")
        assert a.truth("user") == b.truth("user")
        assert a.truth() == b.truth()
        for s in (a, b):
            s.advance(seconds=900, new_rows=20, touched_rows=20)
        assert a.truth("history") == b.truth("history")
        # content_usage shares dashboard/Look ids and titles with the dashboard and look
        # explores (renamed there, new ones numbered from one counter): only those differ.
        assert _untitled(a.truth()) == _untitled(b.truth())


def _untitled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in {"content_title", "content_id"}} for r in rows]


def test_content_usage_is_unchanged_by_extra_explores() -> None:
    with make_sim(rows=300, seed=10) as a, make_sim(rows=300, seed=10, explores="all") as b:
        a.advance(seconds=60, new_rows=5, touched_rows=5)
        b.advance(seconds=60, new_rows=5, touched_rows=5)
        assert _untitled(a.truth()) == _untitled(b.truth())


def test_row_cap_applies_to_every_explore() -> None:
    with make_sim(rows=10, seed=11, explores={"event": 6000}) as s:
        api = Api(s.base_url)
        assert len(query(api, "event", fields=["event.id"])) == 5000
        assert len(query(api, "event", fields=["event.id"], limit="-1")) == 6000


def test_explores_requests() -> None:
    assert requested_sizes("all") == dict.fromkeys(EXPLORES)
    assert requested_sizes(None) == {"content_usage": None}  # always served, sized by rows
    assert requested_sizes("history, user") == {
        "history": None,
        "user": None,
        "content_usage": None,
    }
    assert requested_sizes({"content_usage": 5, "event": 3}) == {"event": 3, "content_usage": None}
    with pytest.raises(ValueError, match="unknown explore"):
        requested_sizes(["histroy"])
    assert _explores("history=500,user") == {"history": 500, "user": None}
    assert _explores("all") == "all"
    assert _explores(None) is None


def test_control_plane_reads_other_explores(sim: LookerSimulator) -> None:
    resp = requests.get(f"{sim.base_url}/_simulator/truth", params={"explore": "look"}, timeout=10)
    assert resp.status_code == 200
    assert len(resp.json()) == sim.row_count("look")
