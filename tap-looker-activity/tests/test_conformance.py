"""Skipping singer-sdk's per-record type conformance must never change a record.

The stream sets ``TYPE_CONFORMANCE_LEVEL = NONE`` when ``conformance_is_redundant`` says our
converters already produce what conformance would (docs/benchmarks.md: it was the tap's
largest CPU cost). These tests pin that equivalence.
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

from tap_looker_activity.lookml import (
    Dimension,
    ExploreDefinition,
    conformance_is_redundant,
    row_converter,
    schema_for,
)

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
    assert conformance_is_redundant(schema, schema)
    for dim, value in itertools.product(DIMS, VALUES):
        row = {d.looker_name: None for d in DIMS} | {dim.looker_name: value}
        try:
            record = convert(row)
        except ValueError:
            continue  # an unparsable timestamp fails the sync either way
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


def test_bundled_stream_schema_is_redundant_with_itself() -> None:
    definition = ExploreDefinition.from_bundled("content_usage")
    schema = schema_for(definition.fallback_dimensions, required=definition.primary_keys)
    assert conformance_is_redundant(schema, schema)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.pop("flag"),  # a catalog without a property: conformance drops it
        lambda p: p.update(id={"type": ["boolean", "null"]}),  # retyped: coerces != 0
        lambda p: p.update(at={"type": ["string", "null"]}),  # format dropped
        lambda p: p.update(title={"anyOf": [{"type": "string"}, {"type": "null"}]}),
        lambda p: p["amount"].update(maximum=5),  # any keyword we do not reason about
    ],
)
def test_catalog_that_changes_the_schema_keeps_conformance(change: object) -> None:
    ours = schema_for(DIMS, required=["id"])
    catalog = schema_for(DIMS, required=["id"])
    change(catalog["properties"])  # type: ignore[operator]
    assert not conformance_is_redundant(ours, catalog)
