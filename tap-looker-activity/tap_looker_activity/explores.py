"""Explores as streams: which explore, which keys, which fields, and their JSON Schema.

An ``ExploreDefinition`` is everything the tap knows about one stream before it talks to
Looker: bundled System Activity streams declare theirs in ``streams.py`` (fields bundled in
``explore_fields/<stream>.json`` as the fallback when Looker's metadata is unavailable), and
each item of the ``explores`` setting becomes one with ``from_setting``. Live LookML metadata,
when read, turns into ``Dimension`` objects through ``dimensions_from_metadata``.
"""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass, replace
from importlib import resources

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SYSTEM_ACTIVITY = "system__activity"

# The key of streams whose rows have no unique id: see ``records.surrogate_key``.
SURROGATE_KEY = "_sdc_surrogate_key"

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
# Measure types whose value is a number whatever the field aggregated (min/max of a date are
# dates: not here, so they stay strings).
NUMERIC_MEASURE_TYPES = frozenset(
    {"count", "count_distinct", "sum", "sum_distinct", "average", "average_distinct", "median"}
)
BOOLEAN_TYPES = frozenset({"yesno"})

# What a replication key may be: a value that moves forward and that Looker can page on.
REPLICATION_KEY_JSON_TYPES = frozenset({"date-time"})

_INVALID_COLUMN_CHARS = re.compile(r"[^A-Za-z0-9_]")

# Dimensions that are not extracted unless a configured explore lists them in ``fields``:
# - relative to "now" (``days_since_last_accessed`` and its tiers): they change every day
#   without their row's replication key moving, so no incremental load keeps them right
#   (derive them in the warehouse, e.g. DATE_DIFF(CURRENT_DATE(), last_accessed_date, DAY));
# - ``most_recent_*`` (history): correlated subqueries over the whole history table on every
#   row (query timeouts on big instances) whose value changes when *other* rows arrive.
UNSTABLE_DIMENSION = re.compile(
    r"^((seconds|minutes|hours|days|weeks|months|years)_since_|most_recent_)"
)


def is_unstable(name: str) -> bool:
    """True for dimensions whose value moves without their row's replication key moving."""
    return bool(UNSTABLE_DIMENSION.match(name))


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
    if (
        looker_type in NUMBER_TYPES
        or looker_type in NUMERIC_MEASURE_TYPES
        or looker_type.startswith("duration")
    ):
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


def joined_column_name(looker_name: str) -> str:
    """A joined view's field as a property: ``event.created_time`` -> ``event_created_time``."""
    return column_name(looker_name.replace(".", "_", 1))


def schema_for(dimensions: Iterable[Dimension], required: Iterable[str] = ()) -> dict[str, t.Any]:
    """A stream schema; key properties are not nullable."""
    required_set = set(required)
    properties = {d.name: d.json_schema(nullable=d.name not in required_set) for d in dimensions}
    if SURROGATE_KEY in required_set:
        properties[SURROGATE_KEY] = {"type": ["string"]}
    return {"type": "object", "properties": properties, "required": sorted(required_set)}


def _dimension_from_spec(looker_name: str, name: str, spec: Mapping[str, t.Any]) -> Dimension:
    return Dimension(
        looker_name=looker_name,
        name=name,
        looker_type=spec["type"],
        json_type=spec.get("json_type") or json_type_for(spec["type"]),
    )


@dataclass(frozen=True)
class BundledFields:
    """``explore_fields/<file>.json``: an explore's fields as Looker last described them."""

    view: str
    dimensions: tuple[Dimension, ...]
    joined_fields: tuple[tuple[str, str], ...]  # (Looker name, property)
    measure_fields: tuple[str, ...] = ()  # properties Looker may declare as measures

    @classmethod
    def load(cls, file_stem: str) -> BundledFields:
        """Read one bundled field list shipped with the tap."""
        raw = json.loads(
            resources.files("tap_looker_activity.explore_fields")
            .joinpath(f"{file_stem}.json")
            .read_text(encoding="utf-8")
        )
        view = raw["view"]
        dims = [
            _dimension_from_spec(f"{view}.{d['name']}", column_name(d["name"]), d)
            for d in raw["dimensions"]
        ]
        joined: list[tuple[str, str]] = []
        for spec in raw.get("joined_fields", []):
            joined.append((spec["field"], spec.get("name") or joined_column_name(spec["field"])))
            dims.append(_dimension_from_spec(*joined[-1], spec))
        measures = [
            _dimension_from_spec(f"{view}.{m['name']}", column_name(m["name"]), m)
            for m in raw.get("measures", [])
        ]
        dims.extend(measures)
        return cls(
            view=view,
            dimensions=tuple(dims),
            joined_fields=tuple(joined),
            measure_fields=tuple(m.name for m in measures),
        )


@dataclass(frozen=True)
class ExploreDefinition:
    """An explore as a stream: where it is, its keys, its fields.

    Properties are the base view's dimensions by bare name (``history.id`` -> ``id``) plus
    declared fields of joined views (``joined_fields``: Looker name -> property, e.g.
    ``event.created_time`` -> ``event_created_time``). Keys name properties. A stream whose
    rows have no unique id has ``primary_keys == (SURROGATE_KEY,)`` and names the fields the
    key is computed from in ``surrogate_key_fields``.
    """

    name: str
    model: str
    explore: str
    view: str
    primary_keys: tuple[str, ...]
    replication_key: str | None
    description: str = ""
    selected_by_default: bool = False
    fallback_dimensions: tuple[Dimension, ...] = ()
    joined_fields: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] | None = None  # properties to extract; None: the whole base view
    surrogate_key_fields: tuple[str, ...] = ()
    # Fields left out although the view has them (they change without the replication key
    # moving); see docs in the tap README.
    excluded_fields: tuple[str, ...] = ()
    # The field naming the Looker user behind a row, where the tap's own API queries show up
    # (history): rows of the tap's API user are the export itself, not usage.
    actor_field: str | None = None
    configured: bool = False  # from the `explores` setting: no bundled fallback
    # Properties a row carries as a measure in some LookML versions (field_usage.times_used:
    # a dimension in older copies, a sum measure over a hidden dimension in newer ones).
    # Grouped by the primary key, a measure is the row's own value; a dimension of the same
    # name wins when Looker has one.
    measure_fields: tuple[str, ...] = ()
    # A property stamped with Looker's clock when the run read the row, for explores whose
    # values are "as of now" with no time of their own (field_usage's lifetime counters):
    # downstream differences between runs then have a time on Looker's clock.
    read_time_property: str | None = None
    # Filters every query of the stream carries (Looker field -> filter expression): a
    # stream of the rows that matter (content_favorite: favorite_count > 0), read whole.
    filters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def bundled(  # noqa: PLR0913 - a declaration: every argument is named at the call site
        cls,
        name: str,
        *,
        explore: str,
        primary_keys: tuple[str, ...],
        replication_key: str | None,
        description: str,
        selected_by_default: bool = False,
        excluded_fields: tuple[str, ...] = (),
        actor_field: str | None = None,
        read_time_property: str | None = None,
        fields: tuple[str, ...] | None = None,
        filters: tuple[tuple[str, str], ...] = (),
    ) -> ExploreDefinition:
        """A System Activity stream shipped with the tap (fields in explore_fields/)."""
        bundled = BundledFields.load(name)
        return cls(
            name=name,
            model=SYSTEM_ACTIVITY,
            explore=explore,
            view=bundled.view,
            primary_keys=primary_keys,
            replication_key=replication_key,
            description=description,
            selected_by_default=selected_by_default,
            fallback_dimensions=tuple(
                d for d in bundled.dimensions if d.name not in excluded_fields
            ),
            joined_fields=bundled.joined_fields,
            excluded_fields=excluded_fields,
            actor_field=actor_field,
            measure_fields=bundled.measure_fields,
            read_time_property=read_time_property,
            fields=fields,
            filters=filters,
        )

    @property
    def is_system_activity(self) -> bool:
        """System Activity times are in Looker's system time zone, whatever query_timezone."""
        return self.model == SYSTEM_ACTIVITY

    @property
    def key_fields(self) -> tuple[str, ...]:
        """Properties every query selects and sorts by: replication key, then the keys."""
        keys = self.surrogate_key_fields or self.primary_keys
        return tuple(dict.fromkeys(k for k in (self.replication_key, *keys) if k))

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Properties the explore must have: the keys and every listed field."""
        keys = [k for k in (self.replication_key, *self.primary_keys) if k and k != SURROGATE_KEY]
        return tuple(dict.fromkeys((*keys, *self.surrogate_key_fields, *(self.fields or ()))))

    def placeholder_dimensions(self) -> list[Dimension]:
        """Dimensions before Looker was asked: the bundled ones, or the keys as strings."""
        if self.fallback_dimensions:
            return list(self.fallback_dimensions)
        return [
            Dimension(looker_name=name, name=name, looker_type="string", json_type="string")
            for name in self.required_fields
        ]

    @classmethod
    def from_setting(cls, entry: Mapping[str, t.Any]) -> ExploreDefinition:
        """One item of the ``explores`` setting (its JSON shape validated by the config schema).

        Fields are written as Looker names (``order_items.status``, ``users.state``) or bare
        base-view names (``status``); a field of another view than the base view is a joined
        field, extracted as ``<view>_<field>``. Keys may be written either way too. Raises
        ValueError when the entry cannot describe a stream.
        """
        name, model, explore = (
            str(entry.get(k) or "").strip() for k in ("name", "model", "explore")
        )
        view = str(entry.get("view") or explore)
        joined: dict[str, str] = {}

        def prop(spec: str) -> str:
            text = spec.strip()
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
        if primary_keys and surrogate:
            msg = "give primary_keys or surrogate_key_fields, not both"
            raise ValueError(msg)
        replication_key = prop(entry["replication_key"]) if entry.get("replication_key") else None
        definition = cls(
            name=name,
            model=model,
            explore=explore,
            view=view,
            primary_keys=primary_keys or (SURROGATE_KEY,),
            replication_key=replication_key,
            description=f"{model}/{explore} from the explores setting.",
            selected_by_default=True,
            joined_fields=tuple(joined.items()),
            surrogate_key_fields=surrogate,
            configured=True,
        )
        if listed is None:
            return definition
        return replace(definition, fields=tuple(dict.fromkeys((*listed, *definition.key_fields))))

    def row_fields(
        self,
        raw_dimensions: Iterable[Mapping[str, t.Any]],
        raw_measures: Iterable[Mapping[str, t.Any]],
    ) -> list[Mapping[str, t.Any]]:
        """Looker's dimensions, plus the ``measure_fields`` Looker declares as measures.

        A measure is taken only from the base view and only where no dimension has its name.
        """
        fields = list(raw_dimensions)
        named = {column_name(str(raw.get("name") or "")) for raw in fields}
        fields += [
            raw
            for raw in raw_measures
            if (name := column_name(str(raw.get("name") or ""))) in self.measure_fields
            and name not in named
            and str(raw.get("name") or "").startswith(f"{self.view}.")
        ]
        return fields

    def dimensions_from_metadata(
        self, raw_dimensions: Iterable[Mapping[str, t.Any]]
    ) -> list[Dimension]:
        """The stream's dimensions from live LookML metadata.

        The explore's base view, plus only the declared fields of joined views: other joined
        dimensions would change the grain. Unstable dimensions (``is_unstable``) and the
        definition's ``excluded_fields`` are left out unless listed in ``fields``. With
        ``fields``, only those. Where the bundled definition knows a field more precisely (an
        integer ``number``), that knowledge wins. Measures come in through ``row_fields``.
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
                if wanted is None and (is_unstable(name) or name in self.excluded_fields):
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
            dims.append(Dimension(looker_name, name, looker_type, json_type))
        return dims

    def type_changes(self, raw_dimensions: Iterable[Mapping[str, t.Any]]) -> list[str]:
        """Known fields Looker now describes with another kind of type (schema drift).

        Converting their values by either type would load wrong values (a count read as a
        time, a time as a count), so the stream stops instead; names which, then and now.
        """
        known = {d.looker_name: d for d in self.fallback_dimensions}
        changes = []
        for raw in raw_dimensions:
            bundled = known.get(str(raw.get("name") or ""))
            looker_type = str(raw.get("type") or "string")
            if bundled and not _compatible(bundled.json_type, json_type_for(looker_type)):
                changes.append(
                    f"{bundled.looker_name} is now a {looker_type} (was {bundled.looker_type})"
                )
        return changes


def _compatible(bundled: str, generic: str) -> bool:
    return bundled == generic or (bundled == "integer" and generic == "number")
