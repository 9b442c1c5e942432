"""Keyset pagination over (last_accessed_time, id), the way the tap pages past the row cap."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from simtest_helpers import Api, f, make_sim

from looker_simulator import LookerSimulator

T, ID = f("last_accessed_time"), f("id")


def keyset(last_time: str, last_id: int) -> str:
    d, t = last_time.split(" ")
    y, mo, da = (int(x) for x in d.split("-"))
    h, mi, s = (int(x) for x in t.split(":"))
    lit = f"date_time({y}, {mo}, {da}, {h}, {mi}, {s})"
    return f"${{{T}}} > {lit} OR (${{{T}}} = {lit} AND ${{{ID}}} > {last_id})"


def walk(
    api: Api, page: int, tz: str = "UTC", extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        body: dict[str, Any] = {
            "fields": [ID, T, f("other_count")],
            "sorts": [T, ID],
            "limit": str(page),
            "query_timezone": tz,
            **(extra or {}),
        }
        if out:
            body["filter_expression"] = keyset(out[-1][T], out[-1][ID])
        rows = api.rows(body)
        out.extend(rows)
        if len(rows) < page:
            return out


@pytest.fixture(scope="module")
def tied() -> Any:
    # A tie group of 1,500 rows spans three pages of 500.
    with make_sim(rows=12_000, seed=11, tie_group=8, big_tie=1500) as sim:
        yield sim


def test_big_tie_groups_exist(tied: LookerSimulator) -> None:
    counts = Counter(r["last_accessed_time"] for r in tied.truth())
    assert counts.most_common(1)[0][1] >= 1500
    assert sum(1 for c in counts.values() if c >= 8) > 100


@pytest.mark.parametrize("page", [500, 997, 1499, 5000])
def test_keyset_walk_returns_every_row_once_in_order(tied: LookerSimulator, page: int) -> None:
    api = Api(tied.base_url)
    rows = walk(api, page)
    truth = sorted(tied.truth(), key=lambda r: (r["last_accessed_time"], r["id"]))
    assert [r[ID] for r in rows] == [r["id"] for r in truth]
    assert len({r[ID] for r in rows}) == 12_000


def test_keyset_walk_in_a_non_utc_zone(tied: LookerSimulator) -> None:
    # System Activity ignores query_timezone: the walk is complete whatever it says.
    rows = walk(Api(tied.base_url), 2000, tz="America/Sao_Paulo")
    assert sorted(r[ID] for r in rows) == sorted(r["id"] for r in tied.truth())


def test_keyset_walk_with_a_filter_window(tied: LookerSimulator) -> None:
    window = {"filters": {T: "after 2024/01/01"}}
    rows = walk(Api(tied.base_url), 700, extra=window)
    expected = [
        r["id"]
        for r in sorted(tied.truth(), key=lambda r: (r["last_accessed_time"], r["id"]))
        if r["last_accessed_time"] >= "2024-01-01"
    ]
    assert [r[ID] for r in rows] == expected


def test_fast_path_agrees_with_generic_path(tied: LookerSimulator) -> None:
    # Same predicate, one sort served by the (time, id) index and one by a full scan + sort.
    api = Api(tied.base_url)
    truth = sorted(tied.truth(), key=lambda r: (r["last_accessed_time"], r["id"]))
    pivot = truth[6000]
    expr = keyset(pivot["last_accessed_time"], pivot["id"])
    fast = api.rows({"fields": [ID], "sorts": [T, ID], "filter_expression": expr, "limit": "-1"})
    slow = api.rows(
        {"fields": [ID], "sorts": [f("other_count"), ID], "filter_expression": expr, "limit": "-1"}
    )
    assert len(fast) == len(truth) - 6001
    assert sorted(r[ID] for r in fast) == sorted(r[ID] for r in slow)
    desc = api.rows(
        {"fields": [ID], "sorts": [T + " desc", ID + " desc"], "filter_expression": expr,
         "limit": "-1"}
    )  # fmt: skip
    assert [r[ID] for r in desc] == [r[ID] for r in reversed(fast)]
