"""The explore model: fields, columns, the (time, pk) index and explore metadata.

Rows live in columns indexed by a row number; the
primary key grows with the row number (rows are only appended), so "sorted by pk" is storage
order. When the explore has a time field, `order` additionally keeps the row numbers sorted by
(time, pk): keyset pages on (time, pk) are then a bisect plus a short scan.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from bisect import bisect_left
from collections.abc import Callable, Container, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .expr import Box
from .values import (
    LOOKER_TYPES,
    UTC,
    expr_type,
    local_clock,
    normalize,
    renderer,
)

Getter = Callable[[int], Any]
SYSTEM_ACTIVITY = "system__activity"
NULL_TIME = -(1 << 62)  # sentinel for NULL in int64 time arrays; sorts below every real time
_MIN = -(1 << 64)
_MAX = 1 << 64


@dataclass(frozen=True)
class QueryContext:
    """How one query sees time.

    `tz` renders and reads times (the query time zone). `wall` is set for explores stored in
    a non-UTC system time zone: their time columns then hold wall-clock values (an instant's
    local time in `wall`, as epoch seconds of that naive time read as UTC), `tz` is UTC and
    `now` is the wall-clock now. Comparisons, sorts and renders then work on wall clock, as
    the database's DATETIME columns do (the hour repeated at a DST fall-back interleaves).
    """

    tz: dt.tzinfo
    now: int  # simulated clock, epoch seconds (wall clock when `wall` is set)
    wall: dt.tzinfo | None = None

    @classmethod
    def for_explore(
        cls, model: str, query_tz: dt.tzinfo, system_tz: dt.tzinfo, now: int
    ) -> QueryContext:
        """System Activity is stored in the system time zone and ignores query_timezone;
        other models' times are converted to the query time zone."""
        if model != SYSTEM_ACTIVITY:
            return cls(query_tz, now)
        if system_tz is UTC:
            return cls(UTC, now)
        return cls(UTC, now + local_clock(system_tz).offset(now), system_tz)


@dataclass
class FieldDef:
    """One LookML field of an explore (a dimension or a measure)."""

    name: str  # bare name, e.g. "last_accessed_time"
    looker_type: str
    label_short: str
    category: str = "dimension"
    description: str | None = None
    primary_key: bool = False
    hidden: bool = False
    dimension_group: str | None = None
    measure_of: str | None = None  # for sum/min/max measures: the dimension aggregated
    # A field of a joined view: `name` is then the full "view.field" name (e.g.
    # "event.created_time" in the event_attribute explore); None: the explore's base view.
    view: str | None = None
    tags: tuple[str, ...] = ()  # LookML `tags` (LookmlModelExploreField.tags)


class StoredColumn:
    """Values held in a list, or an int64 array with a NULL sentinel."""

    def __init__(self, values: MutableSequence[Any], null: Any = None) -> None:
        self.values = values
        self.null = null

    def getter(self, ctx: QueryContext) -> Getter:
        vals, null = self.values, self.null
        if null is None:
            return vals.__getitem__
        return lambda i: None if (v := vals[i]) == null else v

    def append(self, raw: Any) -> None:
        self.values.append(self.null if raw is None and self.null is not None else raw)


class ComputedColumn:
    """A value derived at query time (from the clock or the query time zone)."""

    def __init__(self, make: Callable[[QueryContext], Getter]) -> None:
        self.make = make

    def getter(self, ctx: QueryContext) -> Getter:
        return self.make(ctx)


Column = StoredColumn | ComputedColumn


@dataclass
class DataConfig:
    rows: int
    seed: int
    now: int  # epoch seconds
    tie_group: int = 3
    big_tie: int | None = None


class Explore:
    """Base explore: fields, columns, sorted index, schema drift. Subclasses generate data."""

    model = ""
    name = ""
    label = ""
    description = ""
    time_field: str | None = None
    pk_field = "id"
    view = ""  # base view of the explore; "" means the explore's own name
    # Dimensions computed by correlated subqueries over the whole table (costly, time out).
    correlated: frozenset[str] = frozenset()
    default_rows = 500  # size when none is requested
    requires: tuple[str, ...] = ()  # explores this one reads (built first, advanced first)
    # Joined-view fields the base rows have no column for: they live only in that view's own
    # table (`tables`), so only a query of that view's fields alone reaches them.
    view_only: frozenset[str] = frozenset()
    # LookML `always_filter`: (bare field, default expression) pairs. Looker adds each to a
    # query that has no filter of its own on that field; a query's filter on it replaces it.
    always_filter: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        """Subclasses generate `rows` rows (None: `default_rows`) after calling this."""
        self.config = config
        self.deps = dict(deps or {})
        self.view = type(self).view or self.name
        self.fields: dict[str, FieldDef] = {
            f.name: f for f in [*self.define_fields(), *self.define_measures()]
        }
        self.columns: dict[str, Column] = {}
        # Drift-added dimensions: name -> fills a new row from its UTC row dict.
        self.fillers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.n = 0
        self.pk: array[int] = array("q")
        self.times: array[int] = array("q")
        self.order: array[int] = array("q")
        # Joined views with a table of their own (view name -> its rows): see ViewTable.
        self.tables: dict[str, ViewTable] = {}

    # -- schema --------------------------------------------------------------------------

    def define_fields(self) -> list[FieldDef]:
        """The explore's dimensions (joined-view fields named `view.field`)."""
        raise NotImplementedError

    def define_measures(self) -> list[FieldDef]:
        return [FieldDef("count", "count", "Count", "measure")]

    @classmethod
    def lookml(cls) -> list[tuple[str, FieldDef]]:
        """(full name, field) of every dimension and measure the explore's LookML declares,
        without building any data (drift-added dimensions are not LookML)."""
        shell = cls.__new__(cls)
        shell.view = cls.view or cls.name
        return [(shell.full(f.name), f) for f in [*shell.define_fields(), *shell.define_measures()]]

    def full(self, bare: str) -> str:
        """Field key -> full name; keys of joined-view fields are already full names."""
        return bare if "." in bare else f"{self.view}.{bare}"

    def field(self, full_name: str) -> FieldDef | None:
        view, _, bare = full_name.partition(".")
        if view == self.view:
            return self.fields.get(bare)
        joined = self.fields.get(full_name)
        return joined if joined is not None and joined.view == view else None

    def joined_views(self) -> list[str]:
        return list(dict.fromkeys(f.view for f in self.fields.values() if f.view))

    def dimensions(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.category == "dimension"]

    def visible(self, ctx: QueryContext) -> Callable[[int], bool] | None:
        """Rows the explore's grain shows (None: all). The dashboard explore, whose base view
        is dashboard_layout_component, has no row for a dashboard without tiles."""
        return None

    def getter(self, bare: str, ctx: QueryContext) -> Getter:
        get = self.columns[bare].getter(ctx)
        f = self.fields.get(bare)
        if ctx.wall is None or f is None or f.looker_type != "date_time":
            return get
        offset = local_clock(ctx.wall).offset
        return lambda i: None if (v := get(i)) is None else v + offset(v)

    def add_dimension(
        self,
        name: str,
        looker_type: str,
        value_fn: Callable[[dict[str, Any]], Any] | None = None,
        default: Any = None,
        label: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Add a dimension (schema drift); value_fn receives each row as truth() shows it."""
        if looker_type not in LOOKER_TYPES:
            raise ValueError(f"unsupported Looker type {looker_type!r}")
        if name in self.fields:
            raise ValueError(f"{self.full(name)} already exists")
        fixed = normalize(looker_type, default)

        def fill(row: dict[str, Any]) -> Any:
            return fixed if value_fn is None else normalize(looker_type, value_fn(row))

        ctx = QueryContext(UTC, self.config.now)
        values = [fill(row) for row in self.row_dicts(range(self.n), ctx, skip=self.fillers)]
        self.columns[name] = StoredColumn(values)
        self.fillers[name] = fill
        self.fields[name] = FieldDef(
            name, looker_type, label or name.replace("_", " ").title(), hidden=hidden
        )

    def remove_dimension(self, name: str) -> None:
        """Hide a field, as an older Looker lacking it would (its data is kept internally)."""
        if name not in self.fields:
            raise KeyError(f"{self.full(name)} does not exist")
        del self.fields[name]
        self.fillers.pop(name, None)

    def row_dicts(
        self, rows: Sequence[int], ctx: QueryContext, skip: Container[str] = ()
    ) -> list[dict[str, Any]]:
        """Rows keyed by bare dimension name, rendered as the json API shows them.

        `skip` leaves out drift-added dimensions (they may not have a value for a row yet).
        """
        names: list[str] = []
        columns: list[list[Any]] = []
        for f in self.dimensions():
            if f.name in self.columns and f.name not in skip:
                values = map(self.getter(f.name, ctx), rows)
                render = renderer(f.looker_type, ctx.tz)
                columns.append(list(values if render is None else map(render, values)))
                names.append(f.name)
        if not columns:
            return [{} for _ in rows]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*columns, strict=True)]

    def fill_added(self, start: int) -> None:
        """Give rows appended from `start` on a value in every drift-added column."""
        if not self.fillers:
            return
        ctx = QueryContext(UTC, self.config.now)
        for row in self.row_dicts(range(start, self.n), ctx, skip=self.fillers):
            for name, fill in self.fillers.items():
                col = self.columns[name]
                assert isinstance(col, StoredColumn)
                col.append(fill(row))

    # -- sorted index --------------------------------------------------------------------

    def rebuild_order(self) -> None:
        t = self.times
        # (time << 32) | row sorts like (time, pk) because pk grows with the row number.
        keys = sorted([(t[i] << 32) | i for i in range(self.n)])
        self.order = array("q", [k & 0xFFFFFFFF for k in keys])

    def resort_moved(self, moved: list[int]) -> None:
        """Re-sort after rows in `moved` (touched or appended) got times >= all others."""
        if not moved:
            return
        moved_set = set(moved)
        keep = array("q", (r for r in self.order if r not in moved_set))
        t = self.times
        tail = sorted(moved_set, key=lambda r: (t[r], r))
        if keep and tail and (t[keep[-1]], keep[-1]) > (t[tail[0]], tail[0]):
            self.rebuild_order()  # moved rows are not all later: fall back to a full sort
            return
        keep.extend(tail)
        self.order = keep

    def _order_key(self) -> Callable[[int], tuple[int, int]]:
        t, pk = self.times, self.pk
        return lambda r: (t[r], pk[r])

    def time_positions(self, boxes: list[Box] | None) -> tuple[int, int]:
        """Positions [lo, hi) in `order` that can hold rows accepted by `boxes`."""
        if boxes is None:
            return 0, len(self.order)
        if not boxes:
            return 0, 0
        los, his = [], []
        for tlo, thi, ilo, ihi in boxes:
            los.append(_MIN_KEY if tlo is None else (tlo, _MIN if ilo is None else ilo))
            if thi is None:
                his.append(_MAX_KEY)
            else:
                his.append((thi, _MIN) if ihi is None else (thi - 1, ihi))
        key = self._order_key()
        lo = bisect_left(self.order, min(los), key=key)
        hi = bisect_left(self.order, max(his), key=key)
        return lo, max(lo, hi)

    def pk_rows(self, boxes: list[Box] | None) -> tuple[int, int]:
        """Row numbers [lo, hi) that can hold rows accepted by `boxes` (pk range)."""
        if boxes is None:
            return 0, self.n
        if not boxes:
            return 0, 0
        los = [_MIN if b[2] is None else b[2] for b in boxes]
        his = [_MAX if b[3] is None else b[3] for b in boxes]
        lo = bisect_left(self.pk, min(los))
        return lo, max(lo, bisect_left(self.pk, max(his)))

    # -- lifecycle -----------------------------------------------------------------------

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        """Move data forward in time; explores without activity ignore it."""

    def late_window(self, late_by: int) -> tuple[int, int] | None:
        """[lo, hi] for rows stamped within late_by seconds before the current maximum of the
        time field (None: no time field or no stamped row yet)."""
        if not self.time_field or not self.order:
            return None
        top = self.times[self.order[-1]]
        if top == NULL_TIME:
            return None
        return top - max(1, late_by), top - 1

    def append_late(self, rng: random.Random, k: int, lo: int, hi: int) -> None:
        """Append k rows stamped in [lo, hi] (explores with a time field implement it)."""

    def late(self, rng: random.Random, k: int, late_by: int) -> None:
        """k rows stamped before the current maximum become visible only now (copied in a
        later batch, or written out of timestamp order); they get new, higher ids."""
        window = self.late_window(late_by)
        if k <= 0 or window is None:
            return
        start = self.n
        self.append_late(rng, k, *window)
        self.fill_added(start)
        self.rebuild_order()

    # -- metadata ------------------------------------------------------------------------

    def field_meta(self, f: FieldDef) -> dict[str, Any]:
        """A LookmlModelExploreField as the API returns it."""
        view = f.view or self.view
        view_label = self.label if f.view is None else f.view.replace("_", " ").title()
        is_time = f.looker_type in {"date_time", "date_date"}
        interval = None
        if f.looker_type == "date_time":
            interval = {"name": "second", "count": 1}
        elif f.looker_type == "date_date":
            interval = {"name": "day", "count": 1}
        return {
            "align": "right" if f.looker_type == "number" or f.category == "measure" else "left",
            "can_filter": True,
            "category": f.category,
            "default_filter_value": None,
            "description": f.description,
            "dimension_group": f.dimension_group,
            "enumerations": None,
            "error": None,
            "field_group_label": None,
            "field_group_variant": None,
            "fill_style": None,
            "fiscal_month_offset": 0,
            "has_allowed_values": False,
            "has_drills_metadata": False,
            "hidden": f.hidden,
            "is_filter": False,
            "is_fiscal": False,
            "is_numeric": expr_type(f.looker_type) == "number",
            "is_timeframe": is_time,
            "can_time_filter": is_time,
            "time_interval": interval,
            "label": f"{view_label} {f.label_short}",
            "label_from_parameter": None,
            "label_short": f.label_short,
            "lookml_link": None,
            "links": [],
            "map_layer": None,
            "measure": f.category == "measure",
            "name": self.full(f.name),
            "strict_value_format": False,
            "parameter": False,
            "permanent": None,
            "primary_key": f.primary_key,
            "project_name": self.model,
            "requires_refresh_on_sort": False,
            "scope": view,
            "sortable": True,
            "source_file": f"{self.model}/views/{view}.view.lkml",
            "source_file_path": f"{self.model}/views/{view}.view.lkml",
            "sql": None,
            "sql_case": None,
            "filters": None,
            "suggest_dimension": self.full(f.name),
            "suggest_explore": self.name,
            "suggestable": f.looker_type in {"string", "tier"},
            "suggestions": None,
            "synonyms": [],
            "tags": list(f.tags),
            "type": f.looker_type,
            "user_attribute_filter_types": ["advanced_filter_string", "string"],
            "value_format": None,
            "view": view,
            "view_label": view_label,
            "dynamic": False,
            "week_start_day": "monday",
            "times_used": 0,
            "original_view": view,
            "datatype": "timestamp" if f.looker_type == "date_time" else None,
            # System Activity times are not converted to the query time zone.
            "convert_tz": f.looker_type == "date_time" and self.model != SYSTEM_ACTIVITY,
        }

    def meta(self) -> dict[str, Any]:
        """A LookmlModelExplore as GET /lookml_models/{model}/explores/{explore} returns it."""
        fields = list(self.fields.values())
        return {
            "id": f"{self.model}::{self.name}",
            "name": self.name,
            "description": self.description,
            "label": self.label,
            "title": self.label,
            "scopes": [self.view, *self.joined_views()],
            "can_total": True,
            "can_develop": False,
            "can_see_lookml": False,
            "lookml_link": None,
            "can_save": False,
            "can_explain": False,
            "can_pivot_in_db": True,
            "can_subtotal": True,
            "has_timezone_support": True,
            "supports_cost_estimate": False,
            "connection_name": "looker__internal__analytics",
            "dialect_name": "mysql",
            "null_sort_treatment": "low",
            "files": [f"{self.model}/{self.model}.model.lkml"],
            "source_file": f"{self.model}/{self.model}.model.lkml",
            "project_name": self.model,
            "model_name": self.model,
            "view_name": self.view,
            "hidden": False,
            "sql_table_name": self.view,
            "access_filter_fields": [],
            "access_filters": [],
            "aliases": [],
            "always_filter": [
                {"name": self.full(name), "value": value} for name, value in self.always_filter
            ],
            "conditionally_filter": [],
            "index_fields": [self.full(f.name) for f in fields if f.primary_key],
            "sets": [],
            "tags": [],
            "errors": [],
            "fields": {
                "dimensions": [self.field_meta(f) for f in fields if f.category == "dimension"],
                "measures": [self.field_meta(f) for f in fields if f.category == "measure"],
                "filters": [],
                "parameters": [],
            },
            "joins": [
                {
                    "name": v,
                    "dependent_fields": [],
                    "fields": [self.full(f.name) for f in fields if f.view == v],
                    "foreign_key": None,
                    "from": None,
                    "outer_only": False,
                    "relationship": "many_to_one",
                    "required_joins": [],
                    "sql_foreign_key": None,
                    "sql_on": f"${{{self.view}.{v}_id}} = ${{{v}.id}}",
                    "sql_table_name": None,
                    "type": "left_outer",
                    "view_label": v.replace("_", " ").title(),
                }
                for v in self.joined_views()
            ],
            "group_label": "System Activity",
            "supported_measure_types": [],
            "always_join": [],
        }


_MIN_KEY = (_MIN, _MIN)
_MAX_KEY = (_MAX, _MAX)


class ViewTable(Explore):
    """The rows of one joined view of an explore, for queries of that view's fields alone.

    Looker GROUPs BY the selected dimensions, so a query selecting only the fields of one
    joined view, that view's primary key among them, answers one row per row of that view
    the explore reaches, whatever the base view's grain (one row per scheduled plan in the
    scheduled_plan explore, one per tile in the dashboard explore). An explore owning such a
    table lists it in `tables`; `query.run_query` runs a query whose fields, filters and
    sorts all belong to that view on it (grouped by the selected dimensions when the
    primary key is not among them), anything else on the base rows as before.

    Its fields are the owner's `view.field` dimensions and measures (the view's `count`:
    LookML's `measure: count { type: count }`, listed in the owner's metadata with `view`
    set), named bare here: a query of the view's count alone answers one row, the number of
    its rows the filters keep. The owner appends rows (ids
    ascending with the row number) and changes them in place; `visible` hides the rows the
    explore does not reach. A `_date` field with a `_time` beside it is derived from it.
    """

    def __init__(
        self, owner: Explore, view: str, visible: Callable[[int], bool] | None = None
    ) -> None:
        own = [
            replace(f, name=f.name.partition(".")[2], view=None)
            for f in owner.fields.values()
            if f.view == view
        ]
        self._defs = [f for f in own if f.category == "dimension"]
        self._measures = [f for f in own if f.category == "measure"]
        super().__init__(owner.config)
        self.model, self.name, self.view, self.label = owner.model, owner.name, view, owner.label
        self.pk_field = next(f.name for f in self._defs if f.primary_key)
        self._visible = visible
        self.stored: dict[str, StoredColumn] = {}
        for f in self.dimensions():
            time_name = f.name.removesuffix("_date") + "_time"
            if f.looker_type == "date_date" and time_name in self.fields:
                self.columns[f.name] = ComputedColumn(self._date_of(time_name))
            else:
                column = StoredColumn([])
                self.stored[f.name] = column
                self.columns[f.name] = column

    def define_fields(self) -> list[FieldDef]:
        return self._defs

    def define_measures(self) -> list[FieldDef]:
        return self._measures

    def _date_of(self, time_name: str) -> Callable[[QueryContext], Getter]:
        def make(ctx: QueryContext) -> Getter:
            get = self.getter(time_name, ctx)
            to_date = local_clock(ctx.tz).date
            return lambda i: None if (t := get(i)) is None else to_date(t)

        return make

    def visible(self, ctx: QueryContext) -> Callable[[int], bool] | None:
        return self._visible

    def append(self, row: Mapping[str, Any]) -> int:
        """Add a row (keyed by bare field name; its id above every other); its row number."""
        for name, column in self.stored.items():
            column.values.append(row.get(name))
        self.pk.append(row[self.pk_field])
        self.n += 1
        return self.n - 1

    def value(self, i: int, name: str) -> Any:
        return self.stored[name].values[i]

    def set(self, i: int, name: str, value: Any) -> None:
        self.stored[name].values[i] = value


def dim(
    name: str,
    looker_type: str,
    label: str | None = None,
    *,
    pk: bool = False,
    group: str | None = None,
    view: str | None = None,
    hidden: bool = False,
    tags: tuple[str, ...] = (),
    description: str | None = None,
) -> FieldDef:
    """A dimension; `name` is bare for the base view, `view.field` for a joined view."""
    bare = name.rsplit(".", 1)[-1]
    return FieldDef(
        name,
        looker_type,
        label or bare.replace("_", " ").title(),
        description=description,
        primary_key=pk,
        dimension_group=group,
        view=view,
        hidden=hidden,
        tags=tags,
    )


_TIMEFRAME_TYPES = {"time": "date_time", "date": "date_date"}


def timeframes(
    prefix: str, view: str | None = None, frames: tuple[str, ...] = ("time", "date")
) -> list[FieldDef]:
    """A dimension_group: `<prefix>_time` and `<prefix>_date` (or the `frames` given).

    A group without `time` (frames=("date",)) is a stored calendar date: explores store its
    `_date` values instead of deriving them from a time."""
    base = f"{view}.{prefix}" if view else prefix
    return [
        dim(f"{base}_{frame}", _TIMEFRAME_TYPES[frame], group=prefix, view=view) for frame in frames
    ]
