"""system__activity / query_metrics: the Query Performance Metrics explore."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator
from looker_simulator.activity import QueryMetrics
from looker_simulator.dataset import requested_sizes
from looker_simulator.query import truth

SA, QM = "system__activity", "query_metrics"
ALL_TIME = "365 days"  # a filter of the query's own on created_time replaces the always_filter


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    # The Looker UI name works as an alias of the explore's name.
    with make_sim(
        rows=20, seed=11, explores={"query_performance_metrics": 1500}, record_api_queries=False
    ) as s:
        yield s


@pytest.fixture
def api(sim: LookerSimulator) -> Api:
    return Api(sim.base_url)


def rows(api: Api, **body: Any) -> list[dict[str, Any]]:
    return api.rows({"model": SA, "view": QM, "limit": "-1", **body})


def test_alias_and_all_request_the_explore() -> None:
    assert QM in requested_sizes("all")
    assert requested_sizes("query_performance_metrics") == {QM: None, "content_usage": None}


def test_metadata_lists_the_fields_with_their_types(api: Api) -> None:
    meta = api.get(f"/lookml_models/{SA}/explores/{QM}").json()
    assert (meta["view_name"], meta["label"]) == (QM, "Query Performance Metrics")
    dims = {d["name"]: d for d in meta["fields"]["dimensions"]}
    assert dims["query_metrics.id"]["primary_key"]
    assert dims["query_metrics.id"]["type"] == "number"
    assert dims["query_metrics.created_time"]["type"] == "date_time"
    assert dims["query_metrics.created_date"]["type"] == "date_date"
    assert dims["query_metrics.query_task_id"]["type"] == "string"
    for name in QueryMetrics.TIMINGS:
        assert dims[f"query_metrics.{name}"]["type"] == "number", name
    assert len(dims) == 4 + len(QueryMetrics.TIMINGS)
    assert [m["name"] for m in meta["fields"]["measures"]] == ["query_metrics.count"]
    assert meta["always_filter"] == [{"name": "query_metrics.created_time", "value": "7 days"}]


def test_timings_are_realistic(sim: LookerSimulator) -> None:
    data = truth(sim.dataset, QM)
    assert len(data) == 1500
    hits = [r for r in data if r["cache_load"] is not None]
    runs = [r for r in data if r["cache_load"] is None]
    assert 0.2 < len(hits) / len(data) < 0.4
    # A cache hit skips the connection and the main query.
    assert all(r["execute_main_query"] is None and r["connection_held"] is None for r in hits)
    assert all(r["execute_main_query"] is not None for r in runs)
    # Cached or computed: one of each pair is NULL.
    assert all((r["model_init_cache"] is None) != (r["model_init_computed"] is None) for r in data)
    assert all((r["marshalled_cache_load"] is None) != (r["explore_init"] is None) for r in data)
    total = sorted(r["async_processing"] for r in data if r["async_processing"] is not None)
    assert 0.8 < len(total) / len(data) < 0.97, "some tasks ran without the async worker"
    assert total[len(total) // 2] < 3, "the median task is fast"
    assert sum(t < 10 for t in total) / len(total) > 0.85
    assert total[-1] > 60, "a long tail"
    hit_total = sorted(r["async_processing"] for r in hits if r["async_processing"] is not None)
    assert hit_total[len(hit_total) // 2] < 1
    assert sum(r["queued"] is not None for r in data) < len(data) / 4
    assert len({r["query_task_id"] for r in data}) == len(data)


def test_always_filter_defaults_to_the_last_7_days(sim: LookerSimulator, api: Api) -> None:
    data = truth(sim.dataset, QM)
    now = sim.dataset.now
    recent = rows(api, fields=["query_metrics.id", "query_metrics.created_time"])
    assert 0 < len(recent) < len(data)
    # The query's own filter on the field replaces the default, wider or narrower.
    everything = rows(
        api, fields=["query_metrics.id"], filters={"query_metrics.created_time": ALL_TIME}
    )
    assert len(everything) == len(data)
    today = rows(api, fields=["query_metrics.id"], filters={"query_metrics.created_time": "today"})
    assert len(today) < len(recent)
    # A filter on another field (even created_date) keeps the default on created_time.
    dated = rows(
        api, fields=["query_metrics.id"], filters={"query_metrics.created_date": "365 days"}
    )
    assert len(dated) == len(recent)
    assert sim.dataset.now == now


def test_keyset_paging_by_time_and_id(sim: LookerSimulator, api: Api) -> None:
    data = truth(sim.dataset, QM)
    start = sorted(r["created_time"] for r in data)[len(data) // 3]
    expected = sorted(
        ((r["created_time"], r["id"]) for r in data if r["created_time"] >= start),
    )
    fields = ["query_metrics.id", "query_metrics.created_time"]
    sorts = ["query_metrics.created_time", "query_metrics.id"]
    out: list[tuple[str, int]] = []
    while True:
        body: dict[str, Any] = {
            "fields": fields,
            "sorts": sorts,
            "filters": {"query_metrics.created_time": f"after {start}"},
        }
        if out:
            t, i = out[-1]
            lit = "date_time({}, {}, {}, {}, {}, {})".format(
                *(int(x) for x in t.replace("-", " ").replace(":", " ").split())
            )
            body["filter_expression"] = (
                f"${{query_metrics.created_time}} > {lit} OR "
                f"(${{query_metrics.created_time}} = {lit} AND ${{query_metrics.id}} > {i})"
            )
        page = rows(api, **{**body, "limit": "200"})
        out += [(r["query_metrics.created_time"], r["query_metrics.id"]) for r in page]
        if len(page) < 200:
            break
    assert out == expected


def test_count_measure(sim: LookerSimulator, api: Api) -> None:
    data = truth(sim.dataset, QM)
    counted = rows(
        api, fields=["query_metrics.count"], filters={"query_metrics.created_time": ALL_TIME}
    )
    assert counted == [{"query_metrics.count": len(data)}]


def test_advance_appends_new_rows() -> None:
    with make_sim(rows=5, seed=4, explores={QM: 200}, record_api_queries=False) as sim:
        before = truth(sim.dataset, QM)
        old_now = sim.dataset.now
        sim.dataset.advance(600, new_rows=30)
        after = truth(sim.dataset, QM)
        assert after[: len(before)] == before, "old rows never change"
        new = after[len(before) :]
        assert len(new) == 30
        assert min(r["id"] for r in new) > max(r["id"] for r in before)
        stamps = {r["created_time"] for r in new}
        assert all(s > _render(old_now) for s in stamps)
        api = Api(sim.base_url)
        recent = rows(
            api, fields=["query_metrics.id"], filters={"query_metrics.created_time": "15 minutes"}
        )
        assert {r["id"] for r in new} <= {r["query_metrics.id"] for r in recent}


def _render(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
