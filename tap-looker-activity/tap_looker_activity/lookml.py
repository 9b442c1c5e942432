"""From LookML explore metadata to stream schemas and record converters.

Looker returns every value of a ``json`` query as Looker formats it for its type; the
converters here turn those into JSON Schema typed values once per row, precompiled per field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import typing as t
import zoneinfo
from dataclasses import dataclass, field, replace
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


# The key of streams whose rows have no unique id (pdt_event_log): see ``surrogate_key``.
SURROGATE_KEY = "_sdc_surrogate_key"


def joined_column_name(looker_name: str) -> str:
    """A joined view's field as a property: ``event.created_time`` -> ``event_created_time``."""
    return column_name(looker_name.replace(".", "_", 1))


def _dimension_from_spec(looker_name: str, name: str, spec: Mapping[str, t.Any]) -> Dimension:
    return Dimension(
        looker_name=looker_name,
        name=name,
        looker_type=spec["type"],
        json_type=spec.get("json_type") or json_type_for(spec["type"]),
    )


@dataclass(frozen=True)
class ExploreDefinition:
    """An explore as a stream: where it is, its keys, its fields, and fallback fields.

    Properties are the base view's dimensions by bare name (``history.id`` -> ``id``) plus
    declared fields of joined views (``joined_fields``: Looker name -> property, e.g.
    ``event.created_time`` -> ``event_created_time``). Keys name properties. A stream whose
    rows have no unique id has ``primary_keys == (SURROGATE_KEY,)`` and names the fields the
    key is computed from in ``surrogate_key_fields``.
    """

    stream_name: str
    model: str
    explore: str
    view: str
    primary_keys: tuple[str, ...]
    replication_key: str | None
    fallback_dimensions: tuple[Dimension, ...] = field(default=())
    joined_fields: tuple[tuple[str, str], ...] = field(default=())  # (Looker name, property)
    fields: tuple[str, ...] | None = None  # properties to extract; None: the whole base view
    surrogate_key_fields: tuple[str, ...] = field(default=())
    configured: bool = False  # from the `explores` setting: no bundled fallback

    @property
    def key_fields(self) -> tuple[str, ...]:
        """Properties every query selects and sorts by: replication key, then the keys."""
        keys = self.surrogate_key_fields or self.primary_keys
        return tuple(dict.fromkeys(k for k in (self.replication_key, *keys) if k))

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Properties the explore must have.

        The replication and primary keys, and every listed field. A bundled surrogate-key
        field Looker lacks only counts as null.
        """
        keys = [k for k in (self.replication_key, *self.primary_keys) if k and k != SURROGATE_KEY]
        return tuple(dict.fromkeys((*keys, *(self.fields or ()))))

    @classmethod
    def from_bundled(cls, stream_name: str) -> ExploreDefinition:
        """Load ``schemas/<stream_name>.json`` shipped with the tap."""
        raw = json.loads(
            resources.files("tap_looker_activity.schemas")
            .joinpath(f"{stream_name}.json")
            .read_text(encoding="utf-8")
        )
        view = raw.get("view", raw["explore"])
        dims = [
            _dimension_from_spec(f"{view}.{d['name']}", column_name(d["name"]), d)
            for d in raw["dimensions"]
        ]
        joined: list[tuple[str, str]] = []
        for j in raw.get("joined_fields", []):
            joined.append((j["field"], j.get("name") or joined_column_name(j["field"])))
            dims.append(_dimension_from_spec(*joined[-1], j))
        surrogate = tuple(raw.get("surrogate_key_fields", ()))
        return cls(
            stream_name=stream_name,
            model=raw["model"],
            explore=raw["explore"],
            view=view,
            primary_keys=tuple(raw.get("primary_keys") or [SURROGATE_KEY]),
            replication_key=raw.get("replication_key"),
            fallback_dimensions=tuple(dims),
            joined_fields=tuple(joined),
            surrogate_key_fields=surrogate,
        )

    @classmethod
    def from_setting(cls, entry: Mapping[str, t.Any]) -> ExploreDefinition:
        """One item of the ``explores`` setting; raises ValueError when it is unusable.

        Fields are written as Looker names (``order_items.status``, ``users.state``) or bare
        base-view names (``status``); a field of another view than the base view is a joined
        field, extracted as ``<view>_<field>``. Keys may be written either way too.
        """
        name, model, explore = (
            str(entry.get(k) or "").strip() for k in ("name", "model", "explore")
        )
        if not (name and model and explore):
            msg = "needs a name, a model and an explore"
            raise ValueError(msg)
        view = str(entry.get("view") or explore)
        joined: dict[str, str] = {}

        def prop(spec: object) -> str:
            text = str(spec).strip()
            prefix, dot, bare = text.partition(".")
            if not dot:
                return column_name(text)
            if prefix == view:
                return column_name(bare)
            joined[text] = joined_column_name(text)
            return joined[text]

        raw_fields = entry.get("fields")
        listed: tuple[str, ...] | None = None
        if isinstance(raw_fields, str):
            if raw_fields.strip() != "*":
                msg = f'fields must be a list of field names or "*", got {raw_fields!r}'
                raise ValueError(msg)
        elif raw_fields and list(raw_fields) != ["*"]:
            listed = tuple(prop(f) for f in raw_fields)
        surrogate = tuple(prop(f) for f in entry.get("surrogate_key_fields") or ())
        primary_keys = tuple(prop(k) for k in entry.get("primary_keys") or ())
        if not primary_keys and not surrogate:
            msg = "needs primary_keys (or surrogate_key_fields when rows have no unique id)"
            raise ValueError(msg)
        replication_key = prop(entry["replication_key"]) if entry.get("replication_key") else None
        definition = cls(
            stream_name=name,
            model=model,
            explore=explore,
            view=view,
            primary_keys=primary_keys or (SURROGATE_KEY,),
            replication_key=replication_key,
            joined_fields=tuple(joined.items()),
            surrogate_key_fields=surrogate,
            configured=True,
        )
        if listed is None:
            return definition
        return replace(definition, fields=tuple(dict.fromkeys((*listed, *definition.key_fields))))

    def dimensions_from_metadata(
        self, raw_dimensions: Iterable[Mapping[str, t.Any]]
    ) -> list[Dimension]:
        """The stream's dimensions from live LookML metadata.

        The explore's base view, plus only the declared fields of joined views: other joined
        dimensions would change the grain. Dimensions relative to "now" are left out (see
        ``RELATIVE_TO_NOW``) unless listed in ``fields``. With ``fields``, only those.
        Where the bundled definition knows a field more precisely (an integer ``number``),
        that knowledge wins; a field the bundle does not know keeps the generic mapping.
        """
        known = {d.looker_name: d for d in self.fallback_dimensions}
        joined = dict(self.joined_fields)
        wanted = None if self.fields is None else set(self.fields)
        dims: list[Dimension] = []
        for raw in raw_dimensions:
            looker_name = str(raw.get("name") or "")
            if looker_name in joined:
                name = joined[looker_name]
            elif raw.get("view") in {None, self.view} and looker_name.startswith(f"{self.view}."):
                name = column_name(looker_name)
                if wanted is None and is_relative_to_now(name):
                    continue
            else:
                continue
            if wanted is not None and name not in wanted:
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
                    name=name,
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
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if not math.isfinite(value):
            return None  # what singer-sdk's conformance makes of NaN/inf
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value  # left for schema validation to reject loudly


def _number_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if isinstance(value, float) and not math.isfinite(value):
        return None  # what singer-sdk's conformance makes of NaN/inf
    return value


def _string_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value is None or isinstance(value, str):
        return value
    return str(value)


_CONVERTERS: dict[str, Converter] = {
    "date": _date_converter,
    "boolean": _yesno_converter,
    "integer": _integer_converter,
    "number": _number_converter,
    "string": _string_converter,
}


def converter_for(dim: Dimension, tz: dt.tzinfo) -> Converter | None:
    """How to turn Looker's value of ``dim`` into the schema's type; None: as it is."""
    if dim.json_type == "date-time":
        return _datetime_converter(tz)
    return _CONVERTERS.get(dim.json_type)


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


def conformance_is_redundant(
    stream_schema: Mapping[str, t.Any], schema: Mapping[str, t.Any]
) -> bool:
    """True when singer-sdk's per-record type conformance cannot change one of our records.

    Our records hold properties of ``stream_schema`` only, valued by ``row_converter`` as
    str, int, bool, None or finite floats of each property's type. singer-sdk's conformance
    (``TYPE_CONFORMANCE_LEVEL``) against ``schema`` (the input catalog's, if any) drops
    properties missing from it, turns NaN/inf into None (our converters already do) and
    coerces values of boolean-only properties with ``!= 0`` (the identity on our bools). So
    when every property of ``stream_schema`` is in ``schema`` with the same type(s) and
    format, conformance is a per-record no-op; otherwise (a catalog that dropped or retyped
    a property) it must still run.
    """
    properties = schema.get("properties") or {}
    for name, ours in (stream_schema.get("properties") or {}).items():
        prop = properties.get(name)
        if (
            not isinstance(prop, dict)
            or set(prop) - {"type", "format"}
            or set(ours) - {"type", "format"}
        ):
            return False
        if _types(prop) != _types(ours) or prop.get("format") != ours.get("format"):
            return False
    return True


def _types(prop: Mapping[str, t.Any]) -> set[str]:
    types = prop.get("type")
    return ({types} if isinstance(types, str) else set(types or ())) - {"null"}
