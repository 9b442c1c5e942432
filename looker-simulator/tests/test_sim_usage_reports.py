"""Usage-report explores: field_usage, api_usage, and user_facts' last logins on user."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator
from looker_simulator.dataset import EXPLORES

SA = "system__activity"


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    # Every explore, 400 users; no footprint: these tests compare answers with truth().
    explores = dict.fromkeys(EXPLORES) | {"user": 400}
    with make_sim(rows=40, seed=13, explores=explores, record_api_queries=False) as s:
        yield s


@pytest.fixture
def api(sim: LookerSimulator) -> Api:
    return Api(sim.base_url)


def rows(api: Api, explore: str, model: str = SA, **body: Any) -> list[dict[str, Any]]:
    return api.rows({"model": model, "view": explore, "limit": "-1", **body})


def catalog(api: Api) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(model, explore, field) -> field metadata, for every served explore's LookML."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for model in api.get("/lookml_models", params={"include_internal": "true"}).json():
        for explore in model["explores"]:
            meta = api.get(f"/lookml_models/{model['name']}/explores/{explore['name']}").json()
            for f in meta["fields"]["dimensions"] + meta["fields"]["measures"]:
                out[(model["name"], explore["name"], f["name"])] = f
    return out


# --- field_usage -------------------------------------------------------------------------------

FIELD_USAGE = [f"field_usage.{n}" for n in ("id", "model", "explore", "base_view", "field")]


def test_field_usage_names_real_fields_and_leaves_some_unused(api: Api) -> None:
    fields = catalog(api)
    used = rows(api, "field_usage", fields=[*FIELD_USAGE, "field_usage.times_used_dim"])
    keys = [
        (r["field_usage.model"], r["field_usage.explore"], r["field_usage.field"]) for r in used
    ]
    assert len(set(keys)) == len(keys), "one row per (model, explore, field)"
    assert set(keys) <= set(fields), "only fields the LookML has"
    assert all(r["field_usage.base_view"] == r["field_usage.explore"] for r in used)
    assert {k[0] for k in keys} == {SA, "thelook"}
    unused = set(fields) - set(keys)
    assert 0.2 < len(unused) / len(fields) < 0.5, "about a third is never used"
    assert any(fields[k]["hidden"] for k in unused), "hidden fields are among the unused"
    # A lifetime counter, skewed: many fields used a handful of times, a few very often.
    times = sorted(r["field_usage.times_used_dim"] for r in used)
    assert times[0] >= 1
    assert sum(t <= 5 for t in times) > len(times) / 10
    assert times[-1] > 500  # seed-dependent: 816 here since query_metrics joined the catalog
    assert times[-1] > 50 * times[len(times) // 2]


def test_field_usage_metadata_times_used_match_the_counters(sim: LookerSimulator, api: Api) -> None:
    counts = {
        (r["model"], r["explore"], r["field"]): r["times_used_dim"]
        for r in sim.truth("field_usage")
    }
    for key, meta in catalog(api).items():
        assert meta["times_used"] == counts.get(key, 0), key


def test_field_usage_sum_measure_grouped_by_id(sim: LookerSimulator, api: Api) -> None:
    meta = api.get(f"/lookml_models/{SA}/explores/field_usage").json()
    dims = {d["name"]: d for d in meta["fields"]["dimensions"]}
    measures = {m["name"]: m for m in meta["fields"]["measures"]}
    names = ("id", "model", "explore", "base_view", "field", "times_used_dim")
    assert set(dims) == {f"field_usage.{n}" for n in names}
    assert [n for n, d in dims.items() if d["hidden"]] == [
        "field_usage.base_view",
        "field_usage.times_used_dim",
    ]
    assert dims["field_usage.id"]["primary_key"]
    assert {n: m["type"] for n, m in measures.items()} == {
        "field_usage.count": "count",
        "field_usage.times_used": "sum",
    }
    expected = [(r["id"], r["times_used_dim"]) for r in sim.truth("field_usage")]
    # Keyset pages on id, as a full-table reader walks them: one row per id, its own value.
    seen: list[tuple[int, int]] = []
    while True:
        body: dict[str, Any] = {
            "fields": ["field_usage.id", "field_usage.times_used"],
            "sorts": ["field_usage.id"],
            "limit": "25",
        }
        if seen:
            body["filter_expression"] = f"${{field_usage.id}} > {seen[-1][0]}"
        page = api.rows({"model": SA, "view": "field_usage", **body})
        seen += [(r["field_usage.id"], r["field_usage.times_used"]) for r in page]
        if len(page) < 25:
            break
    assert seen == expected
    [total] = rows(api, "field_usage", fields=["field_usage.count", "field_usage.times_used"])
    assert total == {
        "field_usage.count": len(expected),
        "field_usage.times_used": sum(t for _, t in expected),
    }


def test_field_usage_counters_only_grow_and_new_fields_get_new_ids() -> None:
    # seed 4: the catalog grew to 188 fields (scheduled_plan.count, dashboard_element.count),
    # which changed the draws; seed 3 now leaves one heavy field taking most uses.
    with make_sim(rows=5, seed=4, explores=["field_usage"]) as s:
        before = {r["id"]: r for r in s.truth("field_usage")}
        grown = 0
        for _ in range(3):
            s.advance(seconds=3600, new_rows=40, touched_rows=40)
            after = {r["id"]: r for r in s.truth("field_usage")}
            for i, row in before.items():
                assert after[i]["times_used_dim"] >= row["times_used_dim"], "never shrinks"
                assert {k: v for k, v in after[i].items() if k != "times_used_dim"} == {
                    k: v for k, v in row.items() if k != "times_used_dim"
                }
                grown += after[i]["times_used_dim"] > row["times_used_dim"]
            new = set(after) - set(before)
            assert len(new) == 2  # new_share 0.05 of 40: first uses are occasional
            assert min(new) > max(before)
            fields = [(r["model"], r["explore"], r["field"]) for r in after.values()]
            assert len(set(fields)) == len(fields)
            before = after
        assert grown > 20
        s.advance(seconds=3600)  # no use requested: nothing changes
        assert {r["id"]: r for r in s.truth("field_usage")} == before


# --- api_usage ---------------------------------------------------------------------------------


def test_api_usage_is_one_row_per_day_and_endpoint_with_a_date_only_created(
    sim: LookerSimulator, api: Api
) -> None:
    meta = api.get(f"/lookml_models/{SA}/explores/api_usage").json()
    dims = {d["name"]: d for d in meta["fields"]["dimensions"]}
    assert set(dims) == {
        "api_usage.id",
        "api_usage.endpoint",
        "api_usage.created_date",
        "api_usage.usage_count",
    }
    assert dims["api_usage.created_date"]["type"] == "date_date"
    assert dims["api_usage.created_date"]["dimension_group"] == "created"
    assert dims["api_usage.usage_count"]["hidden"]
    assert [m["name"] for m in meta["fields"]["measures"]] == [
        "api_usage.count",
        "api_usage.total_usage",
    ]
    data = rows(api, "api_usage", fields=list(dims), sorts=["api_usage.id"])
    assert len(data) == sim.explore("api_usage").default_rows
    cells = [(r["api_usage.created_date"], r["api_usage.endpoint"]) for r in data]
    assert len(set(cells)) == len(cells)
    today = sim.now.date()
    days = {dt.date.fromisoformat(d) for d, _ in cells}
    assert min(days) >= today - dt.timedelta(days=89)
    assert max(days) <= today
    assert len(days) >= 85
    assert all(r["api_usage.usage_count"] >= 1 for r in data)
    # Realistic skew: inline queries and logins dominate an API-driven instance.
    totals = rows(
        api,
        "api_usage",
        fields=["api_usage.endpoint", "api_usage.total_usage"],
        sorts=["api_usage.total_usage desc"],
    )
    assert [t["api_usage.endpoint"] for t in totals[:2]] == ["run_inline_query", "login"]
    busy = Counter(e for _, e in cells)
    assert busy["run_inline_query"] == len(days)
    assert min(busy.values()) < len(days) / 2, "rare endpoints are not called every day"
    by_id = rows(
        api,
        "api_usage",
        fields=["api_usage.id", "api_usage.total_usage"],
        sorts=["api_usage.id"],
        limit="100",
    )
    assert [(r["api_usage.id"], r["api_usage.total_usage"]) for r in by_id] == [
        (r["api_usage.id"], r["api_usage.usage_count"]) for r in data[:100]
    ]


def test_api_usage_grows_with_time() -> None:
    with make_sim(rows=5, seed=4, explores=["api_usage"], now="2024-02-01T10:00:00Z") as s:
        before = {r["id"]: r for r in s.truth("api_usage")}
        today = "2024-02-01"
        assert any(r["created_date"] == today for r in before.values())
        s.advance(seconds=2 * 86400)
        after = {r["id"]: r for r in s.truth("api_usage")}
        grew = False
        for i, row in before.items():
            if row["created_date"] == today:
                assert after[i]["usage_count"] >= row["usage_count"]
                grew |= after[i]["usage_count"] > row["usage_count"]
            else:
                assert after[i] == row
        assert grew
        new = [after[i] for i in set(after) - set(before)]
        assert {r["created_date"] for r in new} >= {"2024-02-02", "2024-02-03"}
        cells = [(r["created_date"], r["endpoint"]) for r in after.values()]
        assert len(set(cells)) == len(cells)


def test_api_usage_counts_the_calls_the_simulator_serves() -> None:
    for record in (True, False):
        with make_sim(rows=5, seed=5, explores=["api_usage"], record_api_queries=record) as s:
            api = Api(s.base_url)
            before = s.truth("api_usage")
            api.get("/lookml_models")
            rows(api, "content_usage", fields=["content_usage.id"])
            rows(api, "content_usage", fields=["content_usage.id"])
            today = dt.datetime.fromtimestamp(s.clock(), dt.UTC).date().isoformat()
            mine = {
                (r["endpoint"]): r["usage_count"]
                for r in s.truth("api_usage")
                if r["created_date"] == today
            }
            if record:
                assert mine == {"login": 1, "all_lookml_models": 1, "run_inline_query": 2}
            else:
                assert s.truth("api_usage") == before


# --- user_facts on user -----------------------------------------------------------------------

LOGINS = ["user_facts.last_ui_login_date", "user_facts.last_api_login_date"]


def test_user_facts_last_login_dates_are_consistent(sim: LookerSimulator, api: Api) -> None:
    meta = api.get(f"/lookml_models/{SA}/explores/user").json()
    dims = {d["name"]: d for d in meta["fields"]["dimensions"]}
    for name in LOGINS:
        assert dims[name]["type"] == "date_date"
        assert dims[name]["view"] == "user_facts"
    assert not [n for n in dims if n.startswith("user_facts.") and n.endswith("_time")]
    assert "user_facts" in {j["name"] for j in meta["joins"]}
    users = rows(
        api,
        "user",
        fields=["user.id", "user.created_date", "user.is_disabled", "user.email", *LOGINS],
        sorts=["user.id"],
    )
    assert len(users) == 400
    truth = sim.truth("user")
    assert [(u["user.id"], *(u[n] for n in LOGINS)) for u in users] == [
        (t["id"], *(t[n] for n in LOGINS)) for t in truth
    ]
    today = sim.now.date().isoformat()
    idle_before = (sim.now.date() - dt.timedelta(days=90)).isoformat()
    enabled = idle = disabled = disabled_idle = 0
    for u in users:
        ui, api_login = (u[n] for n in LOGINS)
        for login in (ui, api_login):
            assert login is None or u["user.created_date"] <= login <= today
        if u["user.email"] is None:  # embed users
            assert ui is None
            assert api_login is None
            continue
        long_idle = ui is None or ui < idle_before
        if u["user.is_disabled"] == "Yes":
            disabled += 1
            disabled_idle += long_idle
        else:
            enabled += 1
            idle += long_idle
    assert 0.1 < idle / enabled < 0.35, "about a fifth of enabled users are idle > 90 days"
    assert disabled_idle > disabled / 2, "disabled users tend to be long idle"
    assert sum(u["user_facts.last_api_login_date"] is None for u in users) > len(users) / 2
    assert any(u["user_facts.last_api_login_date"] is not None for u in users)
    assert any(u["user_facts.last_ui_login_date"] is None and u["user.email"] for u in users)


def test_user_facts_logins_move_forward_and_leave_the_other_fields_alone() -> None:
    with make_sim(rows=5, seed=6, explores={"user": 200}) as s:
        before = {u["id"]: u for u in s.truth("user")}
        s.advance(seconds=5 * 86400, new_rows=40, touched_rows=20)
        after = {u["id"]: u for u in s.truth("user")}
        moved = 0
        for i, u in before.items():
            for name in LOGINS:
                if u[name] is None:
                    assert after[i][name] is None or u["is_disabled"] == "No"
                else:
                    assert after[i][name] >= u[name]
                    moved += after[i][name] > u[name]
        assert moved > 20
        today = s.now.date().isoformat()
        for u in after.values():
            for name in LOGINS:
                assert u[name] is None or u["created_date"] <= u[name] <= today
    # The user fields other than user_facts are drawn exactly as before user_facts existed.
    with make_sim(rows=5, seed=6, explores={"user": 200}) as a:
        first = a.truth("user")[0]
    assert (first["first_name"], first["is_disabled"], first["created_time"]) == (FIRST_USER_SEED_6)


# user 1 of seed 6 as it was before user_facts was added.
FIRST_USER_SEED_6 = ("Sam", "No", "2021-03-11 00:16:12")


# --- LookML metadata ---------------------------------------------------------------------------


def test_lookml_models_list_every_served_explore(sim: LookerSimulator, api: Api) -> None:
    def listed(**params: str) -> dict[str, list[str]]:
        resp = api.get("/lookml_models", params=params)
        assert resp.status_code == 200, resp.text
        return {m["name"]: [e["name"] for e in m["explores"]] for m in resp.json()}

    models = listed(include_internal="true")
    assert sorted(models) == sorted({m for m, _ in sim.dataset.explores}) == [SA, "thelook"]
    assert {"field_usage", "api_usage", "user"} <= set(models[SA])
    assert models["thelook"] == ["order_items"]
    assert sum(map(len, models.values())) == len(sim.dataset.explores)
    # OAS all_lookml_models: built-in models (System Activity) only with include_internal.
    assert listed() == {"thelook": ["order_items"]}
    assert listed(include_internal="false") == listed()
    # offset/limit pages (models by name) and fields, as a paging reader sends them.
    pages = [listed(include_internal="true", limit="1", offset=str(k)) for k in range(3)]
    assert pages == [{SA: models[SA]}, {"thelook": ["order_items"]}, {}]
    resp = api.get("/lookml_models", params={"fields": "name,explores(name)", "limit": "5"})
    assert resp.json() == [{"name": "thelook", "explores": [{"name": "order_items"}]}]
    assert api.get("/lookml_models", params={"limit": "-1"}).status_code == 400
    assert api.get("/lookml_models", params={"include_internal": "maybe"}).status_code == 400


def test_field_metadata_carries_tags_hidden_and_labels(api: Api) -> None:
    meta = api.get("/lookml_models/thelook/explores/order_items").json()
    fields = {f["name"]: f for f in meta["fields"]["dimensions"] + meta["fields"]["measures"]}
    for f in fields.values():
        assert isinstance(f["tags"], list)
        assert all(isinstance(t, str) for t in f["tags"])
        assert isinstance(f["hidden"], bool)
        assert f["label"]
        assert f["type"]
        assert f["view"] == f["name"].split(".")[0]
        assert f["category"] in {"dimension", "measure"}
        assert "description" in f
    assert fields["users.email"]["tags"] == ["email", "pii"]
    assert fields["order_items.sale_price"]["tags"] == ["revenue"]
    assert {n for n, f in fields.items() if f["hidden"]} == {
        "order_items.inventory_item_id",
        "products.sku",
    }
    assert {j["name"] for j in meta["joins"]} == {"users", "products"}
    assert fields["order_items.count"]["category"] == "measure"


def test_new_order_items_fields_leave_the_old_ones_unchanged() -> None:
    with make_sim(rows=5, seed=42, explores=["order_items"]) as s:
        first = s.truth("order_items")[0]
    assert first == {
        **ORDER_ITEM_1,
        "inventory_item_id": 40001,
        "users.age": first["users.age"],
        "users.email": f"user{ORDER_ITEM_1['user_id']}@example.com",
        "products.brand": first["products.brand"],
        "products.category": first["products.category"],
        "products.sku": first["products.sku"],
    }


# order_items row 1 of seed 42 as it was before the products/users fields were added.
ORDER_ITEM_1 = {
    "id": 1,
    "order_id": 1,
    "user_id": 1133,
    "status": "Complete",
    "sale_price": 332.23,
    "created_time": "2023-04-01 06:17:40",
    "created_date": "2023-04-01",
    "returned_time": None,
    "users.state": "Texas",
    "users.country": "USA",
}
