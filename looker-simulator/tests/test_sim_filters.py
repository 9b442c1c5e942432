"""Every filter syntax, checked against a brute-force evaluation of truth()."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from simtest_helpers import Api, f, make_sim

Row = dict[str, Any]
NOW = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)  # the default simulated clock


def _ts(row: Row) -> dt.datetime:
    return dt.datetime.strptime(row["last_accessed_time"], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=dt.UTC
    )


def _at(text: str, tz: str = "UTC") -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def _ids(api: Api, filters: dict[str, str], tz: str = "UTC") -> set[int]:
    rows = api.rows({"fields": [f("id")], "filters": filters, "limit": "-1", "query_timezone": tz})
    return {r[f("id")] for r in rows}


def _expect(truth: list[Row], pred: Callable[[Row], bool]) -> set[int]:
    return {r["id"] for r in truth if pred(r)}


def _like(pattern: str) -> Callable[[str | None], bool]:
    rx = re.compile("^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$")
    return lambda v: v is not None and rx.match(v) is not None


NUMBER_CASES: list[tuple[str, Callable[[int], bool]]] = [
    ("5", lambda v: v == 5),
    ("= 5", lambda v: v == 5),
    (">= 50", lambda v: v >= 50),
    (">50", lambda v: v > 50),
    ("<5", lambda v: v < 5),
    ("<=5", lambda v: v <= 5),
    ("!=0", lambda v: v != 0),
    ("<>0", lambda v: v != 0),
    ("NOT 0", lambda v: v != 0),
    (">5 AND <=10", lambda v: 5 < v <= 10),
    (">100 OR <2", lambda v: v > 100 or v < 2),
    ("[5, 10]", lambda v: 5 <= v <= 10),
    ("(5, 10]", lambda v: 5 < v <= 10),
    ("[5, 10)", lambda v: 5 <= v < 10),
    ("(5, inf)", lambda v: v > 5),
    ("1,2,3", lambda v: v in {1, 2, 3}),
    ("1, 2, >100", lambda v: v in {1, 2} or v > 100),
    ("NOT 1, 2", lambda v: v not in {1, 2}),
    ("NULL", lambda v: False),
    ("NOT NULL", lambda v: True),
]


@pytest.mark.parametrize(("expr", "pred"), NUMBER_CASES)
def test_number_filters(api: Api, truth: list[Row], expr: str, pred: Callable[[int], bool]) -> None:
    expected = _expect(truth, lambda r: pred(r["other_count"]))
    assert _ids(api, {f("other_count"): expr}) == expected


def test_number_filter_on_primary_key_range(api: Api, truth: list[Row]) -> None:
    assert _ids(api, {f("id"): "[100, 200)"}) == _expect(truth, lambda r: 100 <= r["id"] < 200)


STRING_CASES: list[tuple[str, Callable[[str | None], bool]]] = [
    ("look", lambda v: v == "look"),
    ("look,pdt", lambda v: v in {"look", "pdt"}),
    ("-look", lambda v: v != "look"),
    ("-look, -pdt", lambda v: v not in {"look", "pdt"}),
    ("%oo%", _like("%oo%")),
    ("da%", _like("da%")),
    ("-%oo%", lambda v: not _like("%oo%")(v)),
    ("l__k", _like("l__k")),
]


@pytest.mark.parametrize(("expr", "pred"), STRING_CASES)
def test_string_filters(
    api: Api, truth: list[Row], expr: str, pred: Callable[[str | None], bool]
) -> None:
    assert _ids(api, {f("content_type"): expr}) == _expect(truth, lambda r: pred(r["content_type"]))


TITLE_CASES: list[tuple[str, Callable[[str | None], bool]]] = [
    # Negations keep NULL rows, as Looker's "x <> 'a' OR x IS NULL".
    ("-Sales Overview", lambda v: v != "Sales Overview"),
    ("Sales%, -Sales Overview", lambda v: _like("Sales%")(v) and v != "Sales Overview"),
    ("Weekly Overview ^(copy^)", lambda v: v == "Weekly Overview (copy)"),
    ("%^[WIP]", lambda v: v is not None and v.endswith("[WIP]")),
]


@pytest.mark.parametrize(("expr", "pred"), TITLE_CASES)
def test_string_null_empty_and_escapes(
    api: Api, truth: list[Row], expr: str, pred: Callable[[str | None], bool]
) -> None:
    expected = _expect(truth, lambda r: pred(r["content_title"]))
    assert expected, "case should select something"
    assert _ids(api, {f("content_title"): expr}) == expected


@pytest.mark.parametrize(
    ("expr", "pred"),
    [
        ("NULL", lambda v: v is None),
        ("-NULL", lambda v: v is not None),
        ("EMPTY", lambda v: v in (None, "")),
        ("-EMPTY", lambda v: v not in (None, "")),
        ("-x", lambda v: v != "x"),  # negations keep NULL rows
    ],
)
def test_string_null_and_empty(expr: str, pred: Callable[[str | None], bool]) -> None:
    # content_title is never NULL (COALESCE(..., content_id)): use a nullable drift column.
    with make_sim(rows=60, seed=4) as sim:
        sim.add_dimension(
            "note", "string", lambda r: [None, "", "x", "y"][r["id"] % 4], explore="content_usage"
        )
        expected = _expect(sim.truth(), lambda r: pred(r["note"]))
        assert expected, "case should select something"
        assert _ids(Api(sim.base_url), {f("note"): expr}) == expected


def test_string_filter_with_escaped_comma_and_lookml_ids(api: Api, truth: list[Row]) -> None:
    expected = _expect(truth, lambda r: r["content_id"] == "system__activity::user_activity")
    assert expected
    got = _ids(api, {f("content_id"): "system^_^_activity::user^_activity"})
    assert got == expected
    assert _ids(api, {f("content_title"): "a^,b"}) == set()


DATE_CASES: list[tuple[str, Callable[[dt.datetime], bool]]] = [
    ("after 2024/01/31 10:00:00", lambda t: t >= _at("2024-01-31 10:00:00")),
    ("after 2024-01-31 10:00:00", lambda t: t >= _at("2024-01-31 10:00:00")),
    ("before 2024/01/01", lambda t: t < _at("2024-01-01")),
    ("2024/01/10 to 2024/01/20", lambda t: _at("2024-01-10") <= t < _at("2024-01-20")),
    ("2024/01/15", lambda t: _at("2024-01-15") <= t < _at("2024-01-16")),
    ("2024-01-15", lambda t: _at("2024-01-15") <= t < _at("2024-01-16")),
    ("2023/12", lambda t: _at("2023-12-01") <= t < _at("2024-01-01")),
    ("2023", lambda t: t.year == 2023),
    ("2024/01/15 10:30", lambda t: _at("2024-01-15 10:30") <= t < _at("2024-01-15 10:31")),
    ("yesterday", lambda t: _at("2024-01-31") <= t < _at("2024-02-01")),
    ("1 day ago", lambda t: _at("2024-01-31") <= t < _at("2024-02-01")),
    ("7 days", lambda t: _at("2024-01-26") <= t < _at("2024-02-02")),
    ("last 7 days", lambda t: _at("2024-01-26") <= t < _at("2024-02-02")),
    ("last week", lambda t: _at("2024-01-22") <= t < _at("2024-01-29")),
    ("after 3 days ago", lambda t: t >= _at("2024-01-29")),
    ("2024/01/10 for 2 days", lambda t: _at("2024-01-10") <= t < _at("2024-01-12")),
    ("NOT NULL", lambda t: True),
    ("NULL", lambda t: False),
    ("-NULL", lambda t: True),
]


@pytest.mark.parametrize(("expr", "pred"), DATE_CASES)
def test_time_filters(
    api: Api, truth: list[Row], expr: str, pred: Callable[[dt.datetime], bool]
) -> None:
    assert _ids(api, {f("last_accessed_time"): expr}) == _expect(truth, lambda r: pred(_ts(r)))


def test_date_dimension_filters(api: Api, truth: list[Row]) -> None:
    got = _ids(api, {f("last_accessed_date"): "2024/01/10 to 2024/01/20"})
    expected = _expect(truth, lambda r: "2024-01-10" <= r["last_accessed_date"] < "2024-01-20")
    assert got == expected


def test_system_activity_time_filters_ignore_the_query_timezone(api: Api, truth: list[Row]) -> None:
    # System Activity is stored in the system time zone (UTC here); query_timezone does not
    # convert it, so filter values are read in the system time zone too.
    tz = "America/New_York"
    got = _ids(api, {f("last_accessed_time"): "after 2024/01/31 10:00:00"}, tz=tz)
    assert got == _expect(truth, lambda r: _ts(r) >= _at("2024-01-31 10:00:00"))
    got = _ids(api, {f("last_accessed_date"): "2024/01/15"}, tz=tz)
    start, end = _at("2024-01-15"), _at("2024-01-16")
    assert got == _expect(truth, lambda r: start <= _ts(r) < end)


def test_tier_and_yesno_filters(api: Api, truth: list[Row]) -> None:
    got = _ids(api, {f("days_since_last_access_tiers"): "0 to 6,7 to 13"})
    assert got == _expect(truth, lambda r: r["days_since_last_accessed"] < 14)


def test_several_filters_are_anded(api: Api, truth: list[Row]) -> None:
    got = _ids(api, {f("content_type"): "look", f("other_count"): ">20"})
    assert got == _expect(truth, lambda r: r["content_type"] == "look" and r["other_count"] > 20)


def test_empty_filter_value_matches_everything(api: Api) -> None:
    assert len(_ids(api, {f("content_type"): ""})) == 12_000


@pytest.mark.parametrize(
    ("field", "expr"),
    [
        ("other_count", "abc"),
        ("other_count", ">"),
        ("other_count", "[1, 2"),
        ("last_accessed_time", "after blah"),
        ("last_accessed_time", "2024/13/40"),
        ("last_accessed_date", "next fortnight"),
    ],
)
def test_unparseable_filters_are_422_naming_the_field(api: Api, field: str, expr: str) -> None:
    resp = api.query({"fields": [f("id")], "filters": {f(field): expr}})
    assert resp.status_code == 422
    err = resp.json()["errors"][0]
    assert err["field"] == "filters"
    assert f(field) in err["message"]


# --- filter_expression -----------------------------------------------------------------------

EXPRESSIONS: list[tuple[str, Callable[[Row], bool]]] = [
    ("${content_usage.id} > 11000", lambda r: r["id"] > 11000),
    ("${content_usage.id} >= 11000 AND ${content_usage.id} <= 11100",
     lambda r: 11000 <= r["id"] <= 11100),
    ("${content_usage.other_count} = 0 OR ${content_usage.api_count} > 100",
     lambda r: r["other_count"] == 0 or r["api_count"] > 100),
    ("NOT (${content_usage.id} < 6000)", lambda r: not r["id"] < 6000),
    ('${content_usage.content_type} = "look"', lambda r: r["content_type"] == "look"),
    ('${content_usage.content_type} != "look"', lambda r: r["content_type"] != "look"),
    ("is_null(${content_usage.content_title})", lambda r: r["content_title"] is None),
    ("NOT is_null(${content_usage.content_title})", lambda r: r["content_title"] is not None),
    # SQL semantics: comparisons with NULL are never true, in either polarity.
    ('${content_usage.content_title} = "x" OR NOT (${content_usage.content_title} = "x")',
     lambda r: r["content_title"] is not None),
    ("${content_usage.content_title} = null", lambda r: False),
    ("${content_usage.last_accessed_time} >= date_time(2024, 1, 31, 10, 0, 0)",
     lambda r: _ts(r) >= _at("2024-01-31 10:00:00")),
    ("${content_usage.last_accessed_time} < date(2024, 1, 1)",
     lambda r: _ts(r) < _at("2024-01-01")),
    ("${content_usage.last_accessed_date} = date(2024, 1, 15)",
     lambda r: r["last_accessed_date"] == "2024-01-15"),
    ("${content_usage.other_count} * 2 + 1 > 41", lambda r: r["other_count"] * 2 + 1 > 41),
    ("${content_usage.other_count} > 1.5 and ${content_usage.id} < 100",
     lambda r: r["other_count"] > 1.5 and r["id"] < 100),
    ("matches_filter(${content_usage.last_accessed_time}, `7 days`)",
     lambda r: _ts(r) >= _at("2024-01-26")),
]  # fmt: skip


@pytest.mark.parametrize(("expr", "pred"), EXPRESSIONS)
def test_filter_expression(
    api: Api, truth: list[Row], expr: str, pred: Callable[[Row], bool]
) -> None:
    rows = api.rows({"fields": [f("id")], "filter_expression": expr, "limit": "-1"})
    assert {r[f("id")] for r in rows} == _expect(truth, pred)


def test_date_time_literals_are_in_the_system_timezone(api: Api, truth: list[Row]) -> None:
    expr = "${content_usage.last_accessed_time} >= date_time(2024, 1, 31, 10, 0, 0)"
    rows = api.rows(
        {
            "fields": [f("id")],
            "filter_expression": expr,
            "limit": "-1",
            "query_timezone": "Asia/Tokyo",
        }
    )
    cut = _at("2024-01-31 10:00:00")  # query_timezone Asia/Tokyo does not apply
    assert {r[f("id")] for r in rows} == _expect(truth, lambda r: _ts(r) >= cut)


@pytest.mark.parametrize(
    "expr",
    [
        "${content_usage.id} >",
        "${content_usage.id} > 5)",
        "(${content_usage.id} > 5",
        "${content_usage.id} ~ 5",
        "date_time(2024, 13, 1, 0, 0, 0) < ${content_usage.last_accessed_time}",
        "frobnicate(${content_usage.id})",
        "${content_usage.id}",
        '${content_usage.id} = "5"',
    ],
)
def test_bad_filter_expressions_are_422(api: Api, expr: str) -> None:
    resp = api.query({"fields": [f("id")], "filter_expression": expr})
    assert resp.status_code == 422, resp.text
    err = resp.json()["errors"][0]
    assert err["field"] == "filter_expression"
    assert err["message"]
