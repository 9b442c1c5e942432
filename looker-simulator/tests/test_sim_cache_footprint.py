"""Query cache (cache=false, Standard's forced 12 h cache, concurrency queue) and the API's
own footprint in history and query."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from simtest_helpers import Api, f, make_sim

BODY: dict[str, Any] = {"fields": [f("id")], "sorts": [f("id")], "limit": "-1"}
ORDERS = {"model": "thelook", "view": "order_items", "fields": ["order_items.id"], "limit": "-1"}


def test_identical_queries_are_cached_until_the_window_ends_unless_cache_false() -> None:
    with make_sim(rows=100, seed=1) as sim:
        api = Api(sim.base_url)
        first = api.rows(BODY)
        sim.advance(seconds=600, new_rows=5)
        assert api.rows(BODY) == first  # stale: answered from the cache
        assert len(api.rows(BODY, cache="false")) == 105
        assert len(api.rows(BODY, cache="true")) == 105  # cache=false refreshed it
        sim.advance(seconds=3600, new_rows=5)  # past cache_seconds (3600)
        assert len(api.rows(BODY)) == 110
        assert [q["cached"] for q in sim.stats()["queries"]] == [False, True, False, True, False]
        sim.configure(cache_seconds=0)
        sim.advance(seconds=1, new_rows=1)
        assert len(api.rows(BODY)) == 111
        assert sim.health()["settings"]["cache_seconds"] == 0


def test_standard_edition_forces_a_12_hour_cache_on_system_activity() -> None:
    with make_sim(rows=100, seed=2, edition="standard", explores=["order_items"]) as sim:
        api = Api(sim.base_url)
        orders = len(api.rows(ORDERS, cache="false"))
        assert len(api.rows(BODY, cache="false")) == 100
        sim.advance(seconds=11 * 3600, new_rows=10)
        assert len(api.rows(BODY, cache="false")) == 100  # forced cache, even with cache=false
        assert len(api.rows(ORDERS, cache="false")) > orders  # other models are not forced
        sim.advance(seconds=3600)
        assert len(api.rows(BODY, cache="false")) == 110
        sim.configure(edition="elite")
        sim.advance(seconds=60, new_rows=1)
        assert len(api.rows(BODY, cache="false")) == 111
    with pytest.raises(ValueError, match="edition"):
        make_sim(rows=1, edition="enterprise")


@pytest.mark.parametrize(("settings", "waves"), [({"edition": "standard"}, 2),
                                                 ({"max_concurrent_queries": 2}, 4)])  # fmt: skip
def test_concurrent_queries_beyond_the_limit_wait(settings: dict[str, Any], waves: int) -> None:
    with make_sim(rows=50, seed=3, query_delay=0.3, **settings) as sim:
        api = Api(sim.base_url)
        api.login()

        def one(i: int) -> int:
            session = Api(sim.base_url)
            session.token = api.token
            return len(session.rows({"fields": [f("id")], "limit": str(i + 1)}))  # distinct

        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            assert sorted(pool.map(one, range(8))) == list(range(1, 9))
        elapsed = time.perf_counter() - start
        assert waves * 0.3 <= elapsed < waves * 0.3 + 1.2, elapsed


def test_api_queries_leave_history_and_query_rows() -> None:
    with make_sim(rows=30, seed=4, explores=["history", "query"], subquery_timeout_rows=50) as s:
        api = Api(s.base_url)
        me = api.get("/user").json()["id"]
        assert me == "1001"
        # Served rows (truth) and stored rows (row_count) differ: retention hides old ones.
        stored0, history0 = s.row_count("history"), len(s.truth("history"))
        queries0 = s.row_count("query")
        api.rows(BODY)
        api.rows(BODY, cache="false")  # same body: same query id, a new history row
        api.rows(BODY)  # from the cache: still a history row
        api.rows({**BODY, "limit": "5"})  # another body: a new query row
        timeout = api.query(
            {
                "model": "system__activity",
                "view": "history",
                "fields": ["history.most_recent_length"],
            }
        ).json()
        assert "looker_error" in timeout[0]
        history = s.truth("history")[history0:]
        queries = s.truth("query")[queries0:]
        assert len(queries) == 3
        assert len(history) == 5
        # Stamped on the server's running clock: after every row stored before (<= now).
        now = s.now.strftime("%Y-%m-%d %H:%M:%S")
        for h in history:
            assert h["user_id"] == int(me)
            assert h["source"] == "api"
            assert h["completed_time"] > now
        assert history[0]["query_id"] == history[1]["query_id"] == history[2]["query_id"]
        assert [h["cache"] for h in history[:3]] == ["No", "No", "Yes"]
        assert history[2]["result_source"] == "cache"
        assert history[4]["status"] == "error"
        assert "interrupted" in history[4]["message"]
        assert queries[0]["id"] == history[0]["query_id"]
        assert queries[0]["model"] == "system__activity"
        assert queries[0]["view"] == "content_usage"
        assert queries[0]["fields"] == '["content_usage.id"]'
        assert queries[0]["limit"] == -1
        assert queries[1]["limit"] == 5
        s.configure(record_api_queries=False)
        api.rows(BODY, cache="false")
        assert s.row_count("history") == stored0 + 5


def test_without_history_and_query_explores_nothing_is_recorded() -> None:
    with make_sim(rows=30, seed=4) as s:
        api = Api(s.base_url)
        api.rows(BODY)
        assert s.row_count() == 30


def test_the_date_header_is_the_servers_running_clock() -> None:
    """Date: past every stored row and the clock the API's own footprints are stamped on."""
    with make_sim(rows=20, seed=3, explores="all") as s:
        api = Api(s.base_url)
        date = email.utils.parsedate_to_datetime(api.login().headers["Date"])
        assert s.now < date <= s.now + dt.timedelta(seconds=30)
        api.rows({**BODY})  # a footprint: stamped at or after the Date seen before it
        newest = max(r["completed_time"] for r in s.truth("history") if r["completed_time"])
        assert newest >= date.strftime("%Y-%m-%d %H:%M:%S")
        s.advance(seconds=86_400)
        later = email.utils.parsedate_to_datetime(api.login().headers["Date"])
        assert later - date >= dt.timedelta(days=1)
