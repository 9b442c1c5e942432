"""Skipping singer-sdk's per-record type conformance must never change a record.

The streams set ``TYPE_CONFORMANCE_LEVEL = NONE`` (decided once, checked against singer-sdk
0.54.9) because our converters already produce, in the effective schema's types, what
conformance would (docs/benchmarks.md: it was the tap's largest CPU cost). These tests pin
that equivalence: they fail if a singer-sdk upgrade makes conformance change our records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import zoneinfo

import pytest
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_looker_activity.errors import LookerResponseError
from tap_looker_activity.explores import Dimension, schema_for
from tap_looker_activity.records import row_converter
from tap_looker_activity.streams import SYSTEM_ACTIVITY_STREAMS, ExploreStream, _json_type

DIMS = [
    Dimension("v.id", "id", "number", "integer"),
    Dimension("v.amount", "amount", "number", "number"),
    Dimension("v.title", "title", "string", "string"),
    Dimension("v.flag", "flag", "yesno", "boolean"),
    Dimension("v.at", "at", "date_time", "date-time"),
    Dimension("v.day", "day", "date_date", "date"),
]
# What a Looker json body can decode to, including the odd cases.
VALUES = [
    None,
    "",
    0,
    1,
    -7,
    2.0,
    1.5,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "12",
    "-3",
    "abc",
    "Yes",
    "no",
    "2024-01-31 10:00:00",
    "2024-01-31",
    [1, 2],
    {"a": 1},
]


def _conformed(record: dict, schema: dict) -> dict:
    return conform_record_data_types(
        "s", dict(record), schema, TypeConformanceLevel.RECURSIVE, logging.getLogger("t")
    )


@pytest.mark.parametrize("tz_name", ["UTC", "Europe/Paris"])
def test_conformance_never_changes_a_converted_record(tz_name: str) -> None:
    tz = zoneinfo.ZoneInfo(tz_name)
    convert = row_converter(DIMS, tz)
    schema = schema_for(DIMS, required=["id"])
    for dim, value in itertools.product(DIMS, VALUES):
        row = {d.looker_name: None for d in DIMS} | {dim.looker_name: value}
        try:
            record = convert(row)
        except LookerResponseError:
            continue  # a value its type cannot hold fails the sync with one line
        conformed = _conformed(record, schema)
        assert list(conformed) == list(record)
        for key in record:
            a, b = record[key], conformed[key]
            assert type(a) is type(b), (dim.name, value, a, b)
            assert a == b or (a != a and b != b), (dim.name, value, a, b)  # noqa: PLR0124


def test_nan_and_inf_become_null_like_conformance_did() -> None:
    convert = row_converter(DIMS, dt.UTC)
    for value in (math.nan, math.inf, -math.inf):
        record = convert({"v.id": value, "v.amount": value})
        assert record["id"] is None
        assert record["amount"] is None


def test_streams_skip_conformance() -> None:
    assert ExploreStream.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE


@pytest.mark.parametrize("definition", SYSTEM_ACTIVITY_STREAMS, ids=lambda d: d.name)
def test_bundled_fields_convert_to_their_own_schema_types(definition) -> None:
    schema = schema_for(definition.fallback_dimensions, required=definition.primary_keys)
    for dim in definition.fallback_dimensions:
        assert _json_type(schema["properties"][dim.name]) == dim.json_type


@pytest.mark.parametrize(
    ("catalog_property", "value", "expected"),
    [
        ({"type": ["string", "null"]}, 5, "5"),  # a catalog that retypes an integer as string
        ({"type": ["number", "null"]}, "2.5", 2.5),
        (
            {"type": ["string", "null"], "format": "date-time"},
            "2024-01-31 10:00:00",
            "2024-01-31T10:00:00+00:00",
        ),
    ],
)
def test_a_catalog_type_is_what_the_converter_produces(catalog_property, value, expected) -> None:
    dim = Dimension("v.x", "x", "number", "integer")
    retyped = Dimension("v.x", "x", "number", _json_type(catalog_property))
    record = row_converter([retyped], dt.UTC)({"v.x": value})
    assert record == {"x": expected}
    schema = {"type": "object", "properties": {"x": catalog_property}}
    assert _conformed(record, schema) == record
    assert dim.json_type != retyped.json_type or catalog_property["type"][0] == "integer"
