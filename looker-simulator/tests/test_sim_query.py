from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from simtest_helpers import DIMENSIONS, Api, f, make_sim

from looker_simulator import LookerSimulator

ALL = [f(n) for n in DIMENSIONS]


def test_rows_keyed_by_full_field_name_with_looker_value_formats(
    api: Api, truth: list[dict[str, Any]]
) -> None:
    rows = api.rows({"fields": ALL, "sorts": [f("id")], "limit": "50"})
    assert len(rows) == 50
    first = rows[0]
    assert list(first) == ALL
    assert isinstance(first[f("id")], int)
    assert isinstance(first[f("other_count")], int)
    assert isinstance(first[f("content_id")], str)
    dt.datetime.strptime(first[f("last_accessed_time")], "%Y-%m-%d %H:%M:%S")
    dt.date.fromisoformat(first[f("last_accessed_date")])
    assert rows == [{f(k): v for k, v in t.items()} for t in truth[:50]]


def test_truth_has_nulls_lookml_ids_and_shared_content_ids(truth: list[dict[str, Any]]) -> None:
    assert len(truth) == 12_000
    assert len({r["id"] for r in truth}) == 12_000
    # content_title is COALESCE(look.title, dashboard.title, content_id): never NULL.
    assert all(r["content_title"] for r in truth)
    assert any(r["content_title"] == r["content_id"] and r["content_id"].isdigit() for r in truth)
    assert any(r["content_title"] == r["content_id"] and "::" in r["content_id"] for r in truth)
    assert any("::" in r["content_id"] for r in truth)
    assert {r["content_type"] for r in truth} >= {"dashboard", "look", "explore", "pdt"}
    pairs = {(r["content_id"], r["content_type"]) for r in truth}
    numeric = {cid for cid, _ in pairs if cid.isdigit()}
    assert any((cid, "look") in pairs and (cid, "dashboard") in pairs for cid in numeric)


def test_ties_are_common_with_one_group_over_60(truth: list[dict[str, Any]]) -> None:
    from collections import Counter

    counts = Counter(r["last_accessed_time"] for r in truth)
    assert max(counts.values()) > 60
    assert sum(c for c in counts.values() if c > 1) > len(truth) / 2


def test_unknown_fields_filters_and_sorts_are_422_naming_the_field(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"fields": [f("nope")]}, "fields", "content_usage.nope"),
        ({"fields": [f("id")], "filters": {f("nope"): "1"}}, "filters", "content_usage.nope"),
        ({"fields": [f("id")], "sorts": [f("nope") + " desc"]}, "sorts", "content_usage.nope"),
        ({"fields": [f("id")], "filters": {f("id"): ">>x"}}, "filters", "content_usage.id"),
        (
            {"fields": [f("id")], "filter_expression": "${content_usage.nope} > 1"},
            "filter_expression",
            "content_usage.nope",
        ),
        (
            {"fields": [f("id")], "filter_expression": "${content_usage.id} >"},
            "filter_expression",
            "",
        ),
        (
            {"fields": [f("id")], "filter_expression": '${content_usage.id} > "abc"'},
            "filter_expression",
            "",
        ),
        ({"fields": [f("id")], "query_timezone": "Mars/Olympus"}, "query_timezone", ""),
    ]
    for body, prop, mention in cases:
        resp = api.query(body)
        assert resp.status_code == 422, (body, resp.text)
        err = resp.json()
        assert err["message"] == "Validation Failed"
        assert err["documentation_url"].startswith("http://127.0.0.1/")
        assert err["errors"][0]["field"] == prop
        assert err["errors"][0]["code"] == "invalid"
        assert mention in err["errors"][0]["message"]
        assert err["errors"][0]["documentation_url"]


def test_unknown_model_or_view_is_404(api: Api) -> None:
    assert api.query({"model": "nope", "fields": [f("id")]}).status_code == 404
    assert api.query({"view": "nope", "fields": [f("id")]}).status_code == 404


def test_result_formats(api: Api) -> None:
    body = {"fields": [f("id"), f("content_title")], "sorts": [f("id")], "limit": "3"}
    csv = api.query(body, fmt="csv")
    assert csv.status_code == 200
    assert csv.text.splitlines()[0] == "content_usage.id,content_usage.content_title"
    for fmt in ("json_bi", "png", "bogus"):
        resp = api.query(body, fmt=fmt)
        assert resp.status_code == 400
        assert "result_format" in resp.json()["message"]


def test_no_limit_is_silently_capped_at_5000(api: Api) -> None:
    rows = api.rows({"fields": [f("id")], "sorts": [f("id")]})
    assert len(rows) == 5000


def test_limits(api: Api) -> None:
    body: dict[str, Any] = {"fields": [f("id")], "sorts": [f("id")]}
    assert len(api.rows({**body, "limit": "-1"})) == 12_000
    assert len(api.rows({**body, "limit": "7000"})) == 7000
    assert len(api.rows({**body, "limit": "10"})) == 10
    assert len(api.rows({**body, "limit": "10"}, limit=20)) == 20  # query param wins
    assert len(api.rows(body, limit=-1)) == 12_000


def test_default_row_cap_is_configurable() -> None:
    with make_sim(rows=100, default_row_cap=30) as sim:
        assert len(Api(sim.base_url).rows({"fields": [f("id")]})) == 30


def _sorted(rows: list[dict[str, Any]], *keys: tuple[str, bool]) -> list[dict[str, Any]]:
    out = list(rows)
    for name, desc in reversed(keys):
        out.sort(key=lambda r: (r[name] is not None, r[name] or 0), reverse=desc)
    return out


@pytest.mark.parametrize(
    "sorts",
    [
        [("last_accessed_time", False), ("id", False)],
        [("last_accessed_time", True), ("id", True)],
        [("id", True)],
        [("content_type", False), ("other_count", True), ("id", False)],
        [("content_title", False), ("id", False)],  # NULL titles first when ascending
        [("content_title", True), ("id", False)],  # ... and last when descending
    ],
)
def test_sorts_multiple_keys(
    api: Api, truth: list[dict[str, Any]], sorts: list[tuple[str, bool]]
) -> None:
    spec = [f(n) + (" desc" if d else "") for n, d in sorts]
    rows = api.rows({"fields": [f("id")], "sorts": spec, "limit": "-1"})
    expected = _sorted(truth, *sorts)
    assert [r[f("id")] for r in rows] == [r["id"] for r in expected]


def test_tier_sorts_by_bucket_not_alphabetically(api: Api) -> None:
    rows = api.rows(
        {
            "fields": [f("days_since_last_access_tiers"), f("count")],
            "sorts": [f("days_since_last_access_tiers")],
            "limit": "-1",
        }
    )
    tiers = [r[f("days_since_last_access_tiers")] for r in rows]
    assert tiers[:3] == ["0 to 6", "7 to 13", "14 to 29"]
    assert sum(r[f("count")] for r in rows) == 12_000


def test_default_sort_is_time_descending_like_looker(api: Api) -> None:
    rows = api.rows({"fields": [f("id"), f("last_accessed_time")], "limit": "100"})
    times = [r[f("last_accessed_time")] for r in rows]
    assert times == sorted(times, reverse=True)


def test_measures_are_aggregated(api: Api, truth: list[dict[str, Any]]) -> None:
    rows = api.rows(
        {"fields": [f("content_type"), f("api_total"), f("count")], "sorts": [f("content_type")]}
    )
    by_type: dict[str, list[int]] = {}
    for r in truth:
        by_type.setdefault(r["content_type"], []).append(r["api_count"])
    assert rows == [
        {f("content_type"): t, f("api_total"): sum(v), f("count"): len(v)}
        for t, v in sorted(by_type.items())
    ]


@pytest.mark.parametrize("tz_name", ["America/Los_Angeles", "Asia/Kolkata", "UTC"])
def test_query_timezone_does_not_convert_system_activity(
    api: Api, truth: list[dict[str, Any]], tz_name: str
) -> None:
    rows = api.rows(
        {
            "fields": [f("id"), f("last_accessed_time"), f("last_accessed_date")],
            "sorts": [f("id")],
            "limit": "200",
            "query_timezone": tz_name,
        }
    )
    assert len(rows) == 200
    for row, t in zip(rows, truth, strict=False):
        assert row[f("last_accessed_time")] == t["last_accessed_time"]
        assert row[f("last_accessed_date")] == t["last_accessed_date"]


def test_days_since_last_accessed_follows_the_clock() -> None:
    with make_sim(rows=20, now="2024-03-01T12:00:00Z") as sim:
        for r in sim.truth():
            last = dt.date.fromisoformat(r["last_accessed_date"])
            assert r["days_since_last_accessed"] == (dt.date(2024, 3, 1) - last).days
        before = sim.truth()[0]["days_since_last_accessed"]
        sim.advance(seconds=2 * 86400)
        assert sim.truth()[0]["days_since_last_accessed"] == before + 2


def test_queries_are_logged_in_stats(api: Api, clean: LookerSimulator) -> None:
    api.rows({"fields": [f("id")], "limit": "5"}, limit=4, apply_formatting="false")
    stats = clean.stats()
    assert stats["login"] == 1
    assert stats["query"] == 1
    assert stats["total"] == 2
    entry = stats["queries"][0]
    assert entry["body"]["limit"] == "5"
    assert entry["params"] == {"limit": "4", "apply_formatting": "false"}
    assert (entry["status"], entry["rows"]) == (200, 4)
    clean.reset_stats()
    assert clean.stats()["total"] == 0


def test_unsorted_is_id_order_and_max_row_limit_caps_explicit_limits() -> None:
    with make_sim(rows=300, max_row_limit=100) as sim:
        api = Api(sim.base_url)
        rows = api.rows({"fields": [f("id")], "sorts": ["__UNSORTED__"], "limit": "-1"})
        ids = [r[f("id")] for r in rows]
        assert len(ids) == 100
        assert ids == sorted(ids)
        assert len(api.rows({"fields": [f("id")], "limit": "250"})) == 100
        assert len(api.rows({"fields": [f("id")], "limit": "40"})) == 40


def test_max_row_limit_is_a_silent_cap_on_every_query() -> None:
    with make_sim(rows=6000, explores={"history": 300}, record_api_queries=False) as sim:
        api = Api(sim.base_url)
        body = {"fields": [f("id")], "sorts": [f("id")]}
        assert len(api.rows(body)) == 5000  # no limit: Looker's default cap
        assert len(api.rows({**body, "limit": "5500"})) == 5500  # explicit limits honoured
        sim.configure(max_row_limit=1000)
        assert sim.health()["settings"]["max_row_limit"] == 1000
        assert len(api.rows(body)) == 1000  # below the default cap too
        assert len(api.rows({**body, "limit": "5500"})) == 1000
        assert len(api.rows({**body, "limit": "-1"})) == 1000
        assert len(api.rows(body, limit=3000)) == 1000
        history = {"model": "system__activity", "view": "history", "fields": ["history.id"]}
        sim.configure(max_row_limit=120)
        assert len(api.rows({**history, "limit": "-1"})) == 120
        served = len(sim.truth("history"))  # retention hides some of the 300 stored rows
        assert 120 < served <= sim.row_count("history") == 300  # the oracle is never capped
        sim.configure(max_row_limit=None)
        assert len(api.rows({**body, "limit": "-1"})) == 6000
        assert len(api.rows({**history, "limit": "-1"})) == served


def test_a_varying_cap_and_one_short_answer_model_hostile_proxies() -> None:
    """Hostile cases for a client's completeness proof: caps of any size, varying per
    answer, on queries and the dashboard search alike, and one answer cut short once."""
    with make_sim(rows=3000, explores="all", record_api_queries=False) as sim:
        api = Api(sim.base_url)
        body = {"fields": [f("id")], "sorts": [f("id")]}
        sim.configure(max_row_limit=[499, 950, 7])
        got = [len(api.rows({**body, "limit": str(2000 + i)})) for i in range(4)]
        assert got == [499, 950, 7, 499]
        searched = api.get("/dashboards/search", params={"limit": "1000", "fields": "id"})
        assert len(searched.json()) == 950  # the cap's next turn
        sim.configure(max_row_limit=None)
        sim.inject("short", count=1, match="query", rows=123)
        assert [len(api.rows({**body, "limit": str(2010 + i)})) for i in range(2)] == [123, 2011]
        with pytest.raises(ValueError, match="max_row_limit"):
            sim.configure(max_row_limit=[])


def test_yesno_dimension_filters_and_expressions() -> None:
    with make_sim(rows=200, seed=8) as sim:
        sim.add_dimension("is_look", "yesno", lambda r: r["content_type"] == "look")
        api = Api(sim.base_url)
        looks = {r["id"] for r in sim.truth() if r["content_type"] == "look"}

        def ids(body: dict[str, Any]) -> set[int]:
            return {r[f("id")] for r in api.rows({"fields": [f("id")], "limit": "-1", **body})}

        assert ids({"filters": {f("is_look"): "Yes"}}) == looks
        assert len(ids({"filters": {f("is_look"): "no"}})) == 200 - len(looks)
        assert ids({"filter_expression": "${content_usage.is_look} = yes"}) == looks
        assert ids({"filter_expression": "${content_usage.is_look}"}) == looks
        rows = api.rows({"fields": [f("is_look")], "sorts": [f("is_look")], "limit": "-1"})
        assert {r[f("is_look")] for r in rows} == {"Yes", "No"}


def test_versions_and_user_endpoints(api: Api) -> None:
    versions = api.session.get(f"{api.base_url}/versions", timeout=5).json()
    assert versions["current_version"]["version"] == "4.0"
    assert api.get("/user").json()["id"] == "1001"  # the API user (api_user_id)
