"""explores.py: LookML metadata -> schema (measures included), Looker values -> record
values, keyset expressions."""

from __future__ import annotations

import zoneinfo

import pytest

from tap_looker_activity.explores import Dimension, column_name, json_type_for
from tap_looker_activity.paging import after_expression, datetime_literal
from tap_looker_activity.records import row_converter
from tap_looker_activity.streams import SYSTEM_ACTIVITY_STREAMS

CONTENT_USAGE = next(d for d in SYSTEM_ACTIVITY_STREAMS if d.name == "content_usage")
FIELD_USAGE = next(d for d in SYSTEM_ACTIVITY_STREAMS if d.name == "field_usage")
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
        ("sum", "number"),
        ("count_distinct", "number"),
        ("max", "string"),  # a max of a date is a date: no numeric guess
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


FIELD_USAGE_DIMENSIONS = [
    {"name": "field_usage.id", "type": "number", "view": "field_usage"},
    {"name": "field_usage.field", "type": "string", "view": "field_usage"},
]


def test_a_declared_measure_is_read_when_looker_has_it_as_a_measure() -> None:
    # Newer System Activity LookML: times_used is a sum over a hidden times_used_dim.
    fields = FIELD_USAGE.row_fields(
        [*FIELD_USAGE_DIMENSIONS, {"name": "field_usage.times_used_dim", "type": "number"}],
        [
            {"name": "field_usage.count", "type": "count", "view": "field_usage"},
            {"name": "field_usage.times_used", "type": "sum", "view": "field_usage"},
            {"name": "user.times_used", "type": "sum", "view": "user"},  # another view
        ],
    )
    dims = FIELD_USAGE.dimensions_from_metadata(fields)
    assert [(d.looker_name, d.json_type) for d in dims] == [
        ("field_usage.id", "integer"),
        ("field_usage.field", "string"),
        ("field_usage.times_used_dim", "number"),
        ("field_usage.times_used", "integer"),  # the bundled integer wins over "number"
    ]
    assert FIELD_USAGE.type_changes(fields) == []


def test_a_dimension_of_the_measure_s_name_wins() -> None:
    # Older LookML: times_used is a dimension; a measure of that name is not read twice.
    fields = FIELD_USAGE.row_fields(
        [*FIELD_USAGE_DIMENSIONS, {"name": "field_usage.times_used", "type": "number"}],
        [{"name": "field_usage.times_used", "type": "sum", "view": "field_usage"}],
    )
    dims = FIELD_USAGE.dimensions_from_metadata(fields)
    assert [(d.name, d.looker_type) for d in dims][-1] == ("times_used", "number")
    assert len(dims) == 3


def test_only_declared_measures_are_read() -> None:
    # A stream without measure_fields takes no measure, whatever Looker has.
    fields = CONTENT_USAGE.row_fields(
        [{"name": "content_usage.id", "type": "number"}],
        [{"name": "content_usage.count", "type": "count", "view": "content_usage"}],
    )
    assert [f["name"] for f in fields] == ["content_usage.id"]


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
