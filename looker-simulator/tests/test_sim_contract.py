"""Field names and grain of the bundled explores as Looker's System Activity LookML has them,
and GET /dashboards/search (every dashboard, with or without tiles)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator, SimulatorClient

ISO = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00\Z")


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    with make_sim(rows=400, seed=21, explores="all") as s:
        yield s


@pytest.fixture
def api(sim: LookerSimulator) -> Api:
    return Api(sim.base_url)


def dims(api: Api, explore: str) -> dict[str, dict[str, Any]]:
    meta = api.get(f"/lookml_models/system__activity/explores/{explore}").json()
    return {d["name"]: d for d in meta["fields"]["dimensions"]}


def test_pdt_event_log_has_an_id_and_table_name(api: Api, sim: LookerSimulator) -> None:
    fields = dims(api, "pdt_event_log")
    assert fields["pdt_event_log.id"]["primary_key"]
    assert fields["pdt_event_log.id"]["type"] == "number"
    assert "pdt_event_log.table_name" in fields
    assert "pdt_event_log.tablename" not in fields
    rows = sim.truth("pdt_event_log")
    assert len({r["id"] for r in rows}) == len(rows)


def test_dashboard_explore_fields_and_grain(api: Api, sim: LookerSimulator) -> None:
    meta = api.get("/lookml_models/system__activity/explores/dashboard").json()
    assert meta["view_name"] == "dashboard_layout_component"
    fields = dims(api, "dashboard")
    names = set(fields)
    assert {
        "dashboard.id", "dashboard.title", "dashboard.description", "dashboard.created_time",
        "dashboard.deleted_time", "dashboard.deleted_date", "dashboard.user_id",
        "dashboard.space_id",
    } <= names  # fmt: skip
    assert not names & {"dashboard.deleted", "dashboard.folder_id"}
    assert fields["dashboard.space_id"]["hidden"]
    assert fields["dashboard.id"]["primary_key"]
    explore_rows = sim.truth("dashboard")
    every = {int(d["id"]): d for d in sim.dashboards()}
    in_explore = {r["dashboard.id"] for r in explore_rows}
    assert in_explore < set(every), "dashboards without tiles have no row in the explore"
    assert len(set(every) - in_explore) >= 5
    for r in explore_rows:
        d = every[r["dashboard.id"]]
        assert r["dashboard.title"] == d["title"]
        assert (r["dashboard.deleted_time"] is None) == (not d["deleted"])
    assert any(r["dashboard.deleted_time"] for r in explore_rows)


def test_look_user_query_history_fields(api: Api, sim: LookerSimulator) -> None:
    look = dims(api, "look")
    assert {"look.deleted_time", "look.deleted_date", "look.updated_time", "look.space_id"} <= set(
        look
    )
    assert not set(look) & {"look.deleted", "look.folder_id"}
    looks = sim.truth("look")
    assert any(r["deleted_time"] for r in looks)  # every Look, deleted ones flagged
    assert all(r["updated_time"] >= r["created_time"] for r in looks)
    user = dims(api, "user")
    assert "user.home_space_id" in user
    assert not set(user) & {"user.locale", "user.home_folder_id"}
    assert dims(api, "query")["query.limit"]["type"] == "number"
    limits = {r["limit"] for r in sim.truth("query")}
    assert limits <= {500, 5000, -1, None}
    history = dims(api, "history")
    assert history["history.dashboard_id"]["type"] == "string"
    refs = [r["dashboard_id"] for r in sim.truth("history") if r["dashboard_id"]]
    assert any("::" in ref for ref in refs)
    assert any(ref.isdigit() for ref in refs)
    assert history["history.most_recent_length"]["type"] == "number"
    assert history["history.most_recent_run_at_time"]["type"] == "date_time"


def test_content_usage_joins_to_dashboards_and_looks(sim: LookerSimulator) -> None:
    dashboards = {d["id"]: d["title"] for d in sim.dashboards()}
    looks = {str(r["id"]): r["title"] for r in sim.truth("look")}
    gone = 0
    for r in sim.truth():
        catalog = {"dashboard": dashboards, "look": looks}.get(r["content_type"])
        if catalog is None or not r["content_id"].isdigit():
            assert r["content_title"] == r["content_id"]  # no look/dashboard title to join
        elif r["content_id"] in catalog:
            assert r["content_title"] == catalog[r["content_id"]]
        else:
            gone += 1  # deleted for good: COALESCE falls back to content_id
            assert r["content_title"] == r["content_id"]
    assert gone < 40


def test_renames_and_favorites_do_not_move_last_accessed_time() -> None:
    with make_sim(rows=300, seed=5, explores=["dashboard", "look"]) as s:
        before = {r["id"]: r for r in s.truth()}
        s.advance(seconds=3600, touched_rows=40)
        after = {r["id"]: r for r in s.truth()}
        t = "last_accessed_time"
        still = [i for i in before if after[i][t] == before[i][t]]
        renamed = [i for i in still if after[i]["content_title"] != before[i]["content_title"]]
        faved = [i for i in still if after[i]["favorite_count"] != before[i]["favorite_count"]]
        assert renamed
        assert faved
        titles = {("dashboard", d["id"]): d["title"] for d in s.dashboards()}
        titles |= {("look", str(r["id"])): r["title"] for r in s.truth("look")}
        for i in renamed:
            key = (after[i]["content_type"], after[i]["content_id"])
            assert after[i]["content_title"] == titles[key]


def test_dashboards_search_endpoint(api: Api, sim: LookerSimulator) -> None:
    sim.reset_stats()
    url = f"{sim.base_url}/api/4.0/dashboards/search"
    assert requests.get(url, timeout=10).status_code == 401
    live = api.get("/dashboards/search").json()
    deleted = api.get("/dashboards/search", params={"deleted": "true"}).json()
    assert live
    assert deleted
    assert not any(d["deleted"] for d in live)
    assert all(d["deleted"] for d in deleted)
    assert len(live) + len(deleted) == len(sim.dashboards())
    assert api.get("/dashboards/search", params={"deleted": "false"}).json() == live
    for d in live + deleted:
        assert isinstance(d["id"], str)
        assert d["id"].isdigit()
        assert isinstance(d["folder_id"], str)
        assert d["user_id"] is None or isinstance(d["user_id"], str)
        assert ISO.match(d["created_at"])
        assert ISO.match(d["updated_at"])
        assert (d["deleted_at"] is None) == (not d["deleted"])
        assert d["deleted_at"] is None or ISO.match(d["deleted_at"])
        assert isinstance(d["hidden"], bool)
        assert d["slug"]
    # Paging with limit/offset and sorts=id, projected with fields.
    pages: list[dict[str, Any]] = []
    while True:
        params = {"fields": "id,title", "limit": "25", "offset": str(len(pages)), "sorts": "id"}
        page = api.get("/dashboards/search", params=params).json()
        pages += page
        if len(page) < 25:
            break
    assert pages == [{"id": d["id"], "title": d["title"]} for d in live]
    assert [int(d["id"]) for d in pages] == sorted(int(d["id"]) for d in live)
    newest = api.get("/dashboards/search", params={"sorts": "id desc", "limit": "1"}).json()
    assert newest[0]["id"] == live[-1]["id"]
    one = api.get("/dashboards/search", params={"id": live[3]["id"]}).json()
    assert [d["id"] for d in one] == [live[3]["id"]]
    assert api.get("/dashboards/search", params={"limit": "x"}).status_code == 400
    stats = sim.stats()
    assert stats["query"] == 0
    assert stats["other"] >= 8  # administrative calls, not queries
    assert SimulatorClient(sim.base_url).dashboards(deleted=True) == deleted


def test_dashboards_search_needs_the_dashboard_data() -> None:
    with make_sim(rows=20, seed=1) as s:
        resp = Api(s.base_url).get("/dashboards/search")
        assert resp.status_code == 404
        assert "dashboard" in resp.json()["message"]
