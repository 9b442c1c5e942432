"""LookML metadata -> schema, Looker values -> record values, keyset expressions."""

from __future__ import annotations

import zoneinfo

import pytest

from tap_looker_activity.explores import Dimension, column_name, json_type_for
from tap_looker_activity.paging import after_expression, datetime_literal
from tap_looker_activity.records import row_converter
from tap_looker_activity.streams import SYSTEM_ACTIVITY_STREAMS

CONTENT_USAGE = next(d for d in SYSTEM_ACTIVITY_STREAMS if d.name == "content_usage")
UTC = zoneinfo.ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("looker_type", "json_type"),
    [
        ("number", "number"),
        ("string", "string"),
        ("tier", "string"),
        ("yesno", "boolean"),
        ("date_time", "date-time"),
        ("date_date", "date"),
        ("date_month", "string"),
        ("date_year", "integer"),
        ("duration_day", "number"),
        ("zipcode", "string"),
    ],
)
def test_looker_types_map_to_json_types(looker_type: str, json_type: str) -> None:
    assert json_type_for(looker_type) == json_type


def test_column_names_are_valid_bigquery_names() -> None:
    assert column_name("content_usage.last_accessed_time") == "last_accessed_time"
    assert column_name("history.1st-run") == "_1st_run"


def test_metadata_keeps_the_base_view_and_refines_known_integers() -> None:
    dims = CONTENT_USAGE.dimensions_from_metadata(
        [
            {"name": "content_usage.id", "type": "number", "view": "content_usage"},
            {"name": "content_usage.brand_new", "type": "number", "view": "content_usage"},
            {"name": "user.id", "type": "number", "view": "user"},
            {"name": "content_usage.days_since_last_accessed", "type": "number"},
        ]
    )
    assert [(d.name, d.json_type) for d in dims] == [("id", "integer"), ("brand_new", "number")]


def test_row_conversion_in_utc_and_other_zones() -> None:
    dims = [
        Dimension("v.t", "t", "date_time", "date-time"),
        Dimension("v.d", "d", "date_date", "date"),
        Dimension("v.y", "y", "yesno", "boolean"),
        Dimension("v.n", "n", "number", "integer"),
    ]
    row = {"v.t": "2024-07-01 08:30:00", "v.d": "2024-07-01", "v.y": "Yes", "v.n": 3.0}
    utc = row_converter(dims, zoneinfo.ZoneInfo("UTC"))(row)
    assert utc == {"t": "2024-07-01T08:30:00+00:00", "d": "2024-07-01", "y": True, "n": 3}
    ny = row_converter(dims, zoneinfo.ZoneInfo("America/New_York"))(row)
    assert ny["t"] == "2024-07-01T12:30:00+00:00"
    assert row_converter(dims, zoneinfo.ZoneInfo("UTC"))({})["t"] is None


def test_keyset_expression_is_strictly_after_the_cursor() -> None:
    rk = Dimension(
        "content_usage.last_accessed_time", "last_accessed_time", "date_time", "date-time"
    )
    pk = Dimension("content_usage.id", "id", "number", "integer")
    assert datetime_literal("2024-01-31 10:00:05", UTC) == "date_time(2024, 1, 31, 10, 0, 5)"
    assert after_expression([rk, pk], ("2024-01-31 10:00:05", 366), UTC) == (
        "${content_usage.last_accessed_time} > date_time(2024, 1, 31, 10, 0, 5) OR "
        "(${content_usage.last_accessed_time} = date_time(2024, 1, 31, 10, 0, 5) AND "
        "${content_usage.id} > 366)"
    )
