"""System time zone: System Activity is stored and shown in it and ignores query_timezone;
other models honour query_timezone. DST in a non-UTC system zone is wall clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator

NY = ZoneInfo("America/New_York")
FMT = "%Y-%m-%d %H:%M:%S"
EXPLORES = {"history": 3000, "order_items": None}
# The clock sits 6 hours after the 2023 fall-back (01:00-02:00 happened twice in New York).
NOW = "2023-11-05T12:00:00Z"
HIST = {"model": "system__activity", "view": "history", "limit": "-1"}
T, ID = "history.completed_time", "history.id"


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[LookerSimulator, LookerSimulator]]:
    with (
        make_sim(
            rows=50, seed=5, now=NOW, explores=EXPLORES, tie_group=0, record_api_queries=False,
        ) as utc,
        make_sim(
            rows=50, seed=5, now=NOW, explores=EXPLORES, tie_group=0, record_api_queries=False,
            system_timezone="America/New_York",
        ) as ny,
    ):  # fmt: skip
        yield utc, ny


def to_ny(text: str | None) -> str | None:
    if text is None:
        return None
    instant = dt.datetime.strptime(text, FMT).replace(tzinfo=dt.UTC)
    return instant.astimezone(NY).strftime(FMT)


def test_system_activity_is_stored_in_the_system_timezone(
    pair: tuple[LookerSimulator, LookerSimulator],
) -> None:
    utc, ny = pair
    assert ny.health()["settings"]["system_timezone"] == "America/New_York"
    by_id = {r["id"]: r for r in utc.truth("history")}
    ny_rows = ny.truth("history")
    assert len(ny_rows) == len(by_id) > 2500  # of 3000 stored: retention hides old ones
    assert ny.row_count("history") == utc.row_count("history") == 3000
    for row in ny_rows:
        assert row["completed_time"] == to_ny(by_id[row["id"]]["completed_time"])
        assert row["created_time"] == to_ny(by_id[row["id"]]["created_time"])
    # The repeated hour: rows from two different UTC hours show the same wall clock.
    ambiguous = [r for r in ny_rows if (r["completed_time"] or "").startswith("2023-11-05 01:")]
    hours = {by_id[r["id"]]["completed_time"][11:13] for r in ambiguous}
    assert hours == {"05", "06"}
    # query_timezone does not convert System Activity, whatever it says.
    api = Api(ny.base_url)
    body = {**HIST, "fields": [ID, T], "sorts": [ID], "query_timezone": "Asia/Tokyo"}
    assert [r[T] for r in api.rows(body)] == [r["completed_time"] for r in ny_rows]


def test_filters_sorts_and_keysets_use_the_wall_clock(
    pair: tuple[LookerSimulator, LookerSimulator],
) -> None:
    _, ny = pair
    truth = ny.truth("history")
    api = Api(ny.base_url)
    hour = api.rows(
        {**HIST, "fields": [ID], "filters": {T: "2023/11/05 01:00 to 2023/11/05 02:00"}}
    )
    expected = {r["id"] for r in truth if (r["completed_time"] or "").startswith("2023-11-05 01")}
    assert {r[ID] for r in hour} == expected
    lit = "date_time(2023, 11, 5, 1, 30, 0)"
    later = api.rows({**HIST, "fields": [ID], "filter_expression": f"${{{T}}} >= {lit}"})
    expected = {r["id"] for r in truth if (r["completed_time"] or "") >= "2023-11-05 01:30:00"}
    assert {r[ID] for r in later} == expected
    ordered = api.rows({**HIST, "fields": [ID, T], "sorts": [T, ID], "query_timezone": "UTC"})
    keys = [(r[T] or "", r[ID]) for r in ordered]
    assert keys == sorted(keys)
    # A keyset walk on (wall-clock time, id) visits every completed run once.
    seen: list[int] = []
    last: dict[str, Any] | None = None
    while True:
        body: dict[str, Any] = {**HIST, "fields": [ID, T], "sorts": [T, ID], "limit": "250"}
        body["filters"] = {T: "NOT NULL"}
        if last is not None:
            d, t = last[T].split(" ")
            parts = [int(x) for x in d.split("-") + t.split(":")]
            lit = f"date_time({', '.join(map(str, parts))})"
            body["filter_expression"] = (
                f"${{{T}}} > {lit} OR (${{{T}}} = {lit} AND ${{{ID}}} > {last[ID]})"
            )
        page = api.rows(body)
        seen += [r[ID] for r in page]
        if len(page) < 250:
            break
        last = page[-1]
    assert sorted(seen) == sorted(r["id"] for r in truth if r["completed_time"] is not None)


def test_other_models_honour_query_timezone(
    pair: tuple[LookerSimulator, LookerSimulator],
) -> None:
    _, ny = pair  # the system time zone does not matter for thelook
    truth = ny.truth("order_items")  # query_timezone UTC
    api = Api(ny.base_url)
    base = {"model": "thelook", "view": "order_items", "limit": "-1"}
    fields = ["order_items.id", "order_items.created_time", "order_items.created_date"]
    tokyo = ZoneInfo("Asia/Tokyo")
    rows = api.rows({**base, "fields": fields, "sorts": ["order_items.id"],
                     "query_timezone": "Asia/Tokyo"})  # fmt: skip
    assert len(rows) == len(truth)
    for row, t in zip(rows, truth, strict=True):
        local = (
            dt.datetime.strptime(t["created_time"], FMT).replace(tzinfo=dt.UTC).astimezone(tokyo)
        )
        assert row["order_items.created_time"] == local.strftime(FMT)
        assert row["order_items.created_date"] == local.date().isoformat()
    cut = dt.datetime(2023, 10, 1, tzinfo=tokyo)
    got = api.rows({**base, "fields": ["order_items.id"], "query_timezone": "Asia/Tokyo",
                    "filters": {"order_items.created_time": "after 2023/10/01"}})  # fmt: skip
    expected = {
        r["id"]
        for r in truth
        if dt.datetime.strptime(r["created_time"], FMT).replace(tzinfo=dt.UTC) >= cut
    }
    assert {r["order_items.id"] for r in got} == expected


def test_unknown_system_timezone_is_rejected() -> None:
    with pytest.raises(ValueError, match="system_timezone 'Mars/Olympus'"):
        make_sim(rows=1, system_timezone="Mars/Olympus")
