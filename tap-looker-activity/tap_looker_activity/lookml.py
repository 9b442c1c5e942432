"""From LookML explore metadata to stream schemas and record converters.

Looker returns every value of a ``json`` query as Looker formats it for its type; the
converters here turn those into JSON Schema typed values once per row, precompiled per field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
import zoneinfo
from dataclasses import dataclass, field
from importlib import resources

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

# Looker dimension types (including dimension_group timeframes) -> JSON Schema type.
DATETIME_TYPES = frozenset(
    {"date_time", "date_raw", "date_second", "date_millisecond", "date_microsecond", "time"}
)
DATE_TYPES = frozenset({"date_date", "date", "date_week"})
INTEGER_TYPES = frozenset(
    {
        "date_year",
        "date_month_num",
        "date_day_of_month",
        "date_day_of_year",
        "date_hour_of_day",
        "date_week_of_year",
        "date_day_of_week_index",
        "date_fiscal_year",
        "date_fiscal_month_num",
        "date_fiscal_quarter_of_year",
    }
)
NUMBER_TYPES = frozenset({"number", "distance", "average_distance"})
BOOLEAN_TYPES = frozenset({"yesno"})

_INVALID_COLUMN_CHARS = re.compile(r"[^A-Za-z0-9_]")

# Dimensions computed relative to "now" (content_usage.days_since_last_accessed and its tiers)
# change every day without their row's replication key moving, so incremental replication
# cannot keep them correct: they are left out, and derived in the warehouse instead
# (e.g. DATE_DIFF(CURRENT_DATE(), last_accessed_date, DAY)).
RELATIVE_TO_NOW = re.compile(r"^(seconds|minutes|hours|days|weeks|months|years)_since_")


def is_relative_to_now(name: str) -> bool:
    """True for dimensions whose value depends on when the query runs."""
    return bool(RELATIVE_TO_NOW.match(name))


@dataclass(frozen=True)
class Dimension:
    """One Looker dimension, as the tap needs it."""

    looker_name: str  # "content_usage.last_accessed_time": what the API keys rows by
    name: str  # "last_accessed_time": the stream property (a valid BigQuery column)
    looker_type: str
    json_type: str  # integer | number | string | boolean | date-time | date

    def json_schema(self, *, nullable: bool = True) -> dict[str, t.Any]:
        """This dimension's JSON Schema."""
        types: list[str]
        fmt: str | None = None
        if self.json_type in {"date-time", "date"}:
            types, fmt = ["string"], self.json_type
        else:
            types = [self.json_type]
        if nullable:
            types.append("null")
        schema: dict[str, t.Any] = {"type": types}
        if fmt:
            schema["format"] = fmt
        return schema


def json_type_for(looker_type: str) -> str:
    """The JSON type Looker's values of this dimension type convert to."""
    if looker_type in DATETIME_TYPES:
        return "date-time"
    if looker_type in DATE_TYPES:
        return "date"
    if looker_type in INTEGER_TYPES:
        return "integer"
    if looker_type in NUMBER_TYPES or looker_type.startswith("duration"):
        return "number"
    if looker_type in BOOLEAN_TYPES:
        return "boolean"
    return "string"


def column_name(looker_name: str) -> str:
    """``view.field_name`` -> ``field_name``, made a valid BigQuery column name."""
    bare = looker_name.split(".", 1)[-1]
    bare = _INVALID_COLUMN_CHARS.sub("_", bare)
    if not bare or bare[0].isdigit():
        bare = f"_{bare}"
    return bare


@dataclass(frozen=True)
class ExploreDefinition:
    """A System Activity explore as a stream: keys, and the bundled fallback fields."""

    stream_name: str
    model: str
    explore: str
    view: str
    primary_keys: tuple[str, ...]
    replication_key: str | None
    fallback_dimensions: tuple[Dimension, ...] = field(default=())

    @classmethod
    def from_bundled(cls, stream_name: str) -> ExploreDefinition:
        """Load ``schemas/<stream_name>.json`` shipped with the tap."""
        raw = json.loads(
            resources.files("tap_looker_activity.schemas")
            .joinpath(f"{stream_name}.json")
            .read_text(encoding="utf-8")
        )
        view = raw.get("view", raw["explore"])
        dims = tuple(
            Dimension(
                looker_name=f"{view}.{d['name']}",
                name=column_name(d["name"]),
                looker_type=d["type"],
                json_type=d.get("json_type") or json_type_for(d["type"]),
            )
            for d in raw["dimensions"]
        )
        return cls(
            stream_name=stream_name,
            model=raw["model"],
            explore=raw["explore"],
            view=view,
            primary_keys=tuple(raw["primary_keys"]),
            replication_key=raw.get("replication_key"),
            fallback_dimensions=dims,
        )

    def dimensions_from_metadata(
        self, raw_dimensions: Iterable[Mapping[str, t.Any]]
    ) -> list[Dimension]:
        """The explore's own dimensions from live LookML metadata.

        Only the explore's base view: dimensions of joined views would change the grain.
        Dimensions relative to "now" are left out (see ``RELATIVE_TO_NOW``).
        Where the bundled definition knows a field more precisely (an integer ``number``),
        that knowledge wins; a field the bundle does not know keeps the generic mapping.
        """
        known = {d.looker_name: d for d in self.fallback_dimensions}
        dims: list[Dimension] = []
        for raw in raw_dimensions:
            looker_name = str(raw.get("name") or "")
            if raw.get("view") not in {None, self.view} or not looker_name.startswith(
                f"{self.view}."
            ):
                continue
            if is_relative_to_now(column_name(looker_name)):
                continue
            looker_type = str(raw.get("type") or "string")
            generic = json_type_for(looker_type)
            bundled = known.get(looker_name)
            json_type = (
                bundled.json_type
                if bundled and _compatible(bundled.json_type, generic)
                else generic
            )
            dims.append(
                Dimension(
                    looker_name=looker_name,
                    name=column_name(looker_name),
                    looker_type=looker_type,
                    json_type=json_type,
                )
            )
        return dims


def _compatible(bundled: str, generic: str) -> bool:
    return bundled == generic or (bundled == "integer" and generic == "number")


def schema_for(dimensions: Iterable[Dimension], required: Iterable[str] = ()) -> dict[str, t.Any]:
    """A stream schema; key properties are not nullable."""
    required_set = set(required)
    return {
        "type": "object",
        "properties": {
            d.name: d.json_schema(nullable=d.name not in required_set) for d in dimensions
        },
        "required": sorted(required_set),
    }


# --- value conversion -----------------------------------------------------------------

Converter = t.Callable[[t.Any], t.Any]


def _datetime_converter(tz: dt.tzinfo) -> Converter:
    is_utc = tz in {dt.UTC, zoneinfo.ZoneInfo("UTC")}

    def convert(value: t.Any) -> t.Any:  # noqa: ANN401
        if value is None or value == "":
            return None
        text = str(value)
        # Fast path for Looker's usual "YYYY-MM-DD HH:MM:SS" in UTC.
        if is_utc and len(text) == 19 and text[10] == " ":  # noqa: PLR2004
            return f"{text[:10]}T{text[11:]}+00:00"
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz)
        return parsed.astimezone(dt.UTC).isoformat()

    return convert


def _date_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value is None or value == "":
        return None
    return str(value)[:10]


def _yesno_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "true", "1"}:
        return True
    if text in {"no", "false", "0"}:
        return False
    return None


def _integer_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value  # left for schema validation to reject loudly


def _string_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value is None or isinstance(value, str):
        return value
    return str(value)


def converter_for(dim: Dimension, tz: dt.tzinfo) -> Converter | None:
    """How to turn Looker's value of ``dim`` into the schema's type; None: as it is."""
    if dim.json_type == "date-time":
        return _datetime_converter(tz)
    if dim.json_type == "date":
        return _date_converter
    if dim.json_type == "boolean":
        return _yesno_converter
    if dim.json_type == "integer":
        return _integer_converter
    if dim.json_type == "string":
        return _string_converter
    return None


def row_converter(
    dimensions: Iterable[Dimension], tz: dt.tzinfo
) -> Callable[[Mapping[str, t.Any]], dict[str, t.Any]]:
    """A function turning one Looker row into one stream record."""
    plan = [(d.looker_name, d.name, converter_for(d, tz)) for d in dimensions]

    def convert(row: Mapping[str, t.Any]) -> dict[str, t.Any]:
        record: dict[str, t.Any] = {}
        for looker_name, name, fn in plan:
            value = row.get(looker_name)
            record[name] = value if fn is None or value is None else fn(value)
        return record

    return convert
