"""looker_error: SQL failures and timeouts answer HTTP 200 [{"looker_error": message}]."""

from __future__ import annotations

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator

BODY = {"fields": ["content_usage.id"], "limit": "5"}
HISTORY = {"model": "system__activity", "view": "history", "limit": "10"}


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("looker_error", "Lost connection"),
        ("query_timeout", "Query execution was interrupted"),
        ("sql_error", "column not found"),
    ],
)
def test_looker_error_fault_kinds(api: Api, clean: LookerSimulator, kind: str, needle: str) -> None:
    api.login()
    clean.inject(kind, match="query")
    resp = api.query(BODY)
    assert resp.status_code == 200
    [row] = resp.json()
    assert list(row) == ["looker_error"]
    assert needle in row["looker_error"]
    assert len(api.rows(BODY)) == 5  # one query only
    clean.inject(kind, match="query", message="SQL Error: custom")
    assert api.query(BODY).json() == [{"looker_error": "SQL Error: custom"}]


def test_correlated_history_dimensions_time_out_on_a_big_history_table() -> None:
    with make_sim(rows=10, seed=3, explores={"history": 400}, subquery_timeout_rows=300) as sim:
        api = Api(sim.base_url)
        plain = api.query({**HISTORY, "fields": ["history.id", "history.runtime"]})
        assert plain.status_code == 200
        assert len(plain.json()) == 10
        for extra in (
            {"fields": ["history.id", "history.most_recent_length"]},
            {"fields": ["history.id", "history.most_recent_run_at_time"]},
            {"fields": ["history.id"], "filters": {"history.most_recent_length": ">1"}},
            {"fields": ["history.id"], "sorts": ["history.most_recent_run_at_date desc"]},
        ):
            resp = api.query({**HISTORY, **extra})
            assert resp.status_code == 200
            [row] = resp.json()
            assert "Query execution was interrupted" in row["looker_error"]
        sim.configure(subquery_timeout_rows=None)  # no timeout: the values are computed
        rows = api.rows(
            {
                **HISTORY,
                "fields": [
                    "history.query_id",
                    "history.created_time",
                    "history.most_recent_run_at_time",
                    "history.most_recent_length",
                ],
                "limit": "-1",
            }
        )
    latest: dict[int, str] = {}
    for row in rows:
        q = row["history.query_id"]
        latest[q] = max(latest.get(q, ""), row["history.created_time"])
    for row in rows:
        assert row["history.most_recent_run_at_time"] == latest[row["history.query_id"]]
