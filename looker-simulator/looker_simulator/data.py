"""Deterministic System Activity data, stored by column, plus the explore registry.

Each explore is one view (no joins). Rows live in columns indexed by a row number; the
primary key grows with the row number (rows are only appended), so "sorted by pk" is storage
order. When the explore has a time field, `order` additionally keeps the row numbers sorted by
(time, pk): keyset pages on (time, pk) are then a bisect plus a short scan.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from array import array
from bisect import bisect_left
from collections.abc import Callable, Container, Iterable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
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

    def __init__(self, config: DataConfig) -> None:
        self.config = config
        self.view = type(self).view or self.name
        self.fields: dict[str, FieldDef] = {}
        self.columns: dict[str, Column] = {}
        # Drift-added dimensions: name -> fills a new row from its UTC row dict.
        self.fillers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.n = 0
        self.pk: array[int] = array("q")
        self.times: array[int] = array("q")
        self.order: array[int] = array("q")

    # -- schema --------------------------------------------------------------------------

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
            "tags": [],
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
            "always_filter": [],
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


# --- content_usage ---------------------------------------------------------------------------

_CONTENT_TYPES = (("dashboard", 40), ("look", 35), ("explore", 15), ("pdt", 10))
_LOOKML_DASHBOARDS = (
    ("system__activity::instance_performance", "Instance Performance"),
    ("system__activity::content_activity", "Content Activity"),
    ("system__activity::user_activity", "User Activity"),
    ("system__activity::query_performance_recommendations", "Query Performance Recommendations"),
    ("system__activity::pdt_overview", "PDT Overview"),
    ("thelook::sales_overview", "Sales Overview"),
    ("thelook::business_pulse", "Business Pulse"),
    ("thelook::brand_lookup", "Brand Lookup"),
    ("ecommerce::customer_lifetime_value", "Customer Lifetime Value"),
)
_EXPLORES = (
    ("thelook::order_items", "Order Items"),
    ("thelook::users", "Users"),
    ("thelook::inventory_items", "Inventory Items"),
    ("thelook::events", "Web Events"),
    ("ecommerce::sessions", "Sessions"),
    ("system__activity::history", "History"),
    ("system__activity::content_usage", "Content Usage"),
)
_PDTS = (
    ("thelook::user_order_facts", "User Order Facts"),
    ("thelook::order_items_rollup", "Order Items Rollup"),
    ("ecommerce::session_facts", "Session Facts"),
    ("ecommerce::daily_revenue", "Daily Revenue"),
)
_ADJ = (
    "Weekly", "Monthly", "Daily", "Quarterly", "Executive", "Regional", "Marketing", "Sales",
    "Finance", "Ops", "Customer", "Product", "Support", "Growth", "Retention", "Inventory",
)  # fmt: skip
_NOUN = (
    "Overview", "KPIs", "Pipeline", "Funnel", "Scorecard", "Deep Dive", "Summary", "Report",
    "Tracker", "Health", "Revenue", "Churn", "Cohorts", "Forecast", "Exceptions", "Trends",
)  # fmt: skip
_SUFFIX = ("", "", "", "", " (copy)", " v2", " - EMEA", " - NA", " - APAC", " [WIP]", " (old)")
_TITLES = tuple(f"{a} {n}{s}" for a in _ADJ for n in _NOUN for s in _SUFFIX)
_TIERS = ((0, 7), (7, 14), (14, 30), (30, 60), (60, 90), (90, 180), (180, 365))
_COUNTERS = (
    "api_count",
    "embed_count",
    "public_count",
    "schedule_count",
    "other_count",
    "favorite_count",
)
_DESCRIPTIVE = ("content_id", "content_type")
NUMBERED = ("dashboard", "look")  # content with numeric ids, titled in the ContentCatalog
_HISTORY_SECONDS = 3 * 365 * 86400  # last access at most three years back
_AGE_SCALE = 45 * 86400  # recent access is much more common than stale access


def _tier_label(days: int) -> str:
    if days < 0:
        return "Below 0"
    for lo, hi in _TIERS:
        if days < hi:
            return f"{lo} to {hi - 1}"
    return "365 or Above"


def _skewed_table(rng: random.Random, zero_share: float, mu: float, sigma: float) -> list[int]:
    """65,536 counter values: a lookup table turns two random bytes into a skewed count."""
    return [
        0 if rng.random() < zero_share else max(1, int(math.exp(rng.gauss(mu, sigma))))
        for _ in range(65536)
    ]


class ContentCatalog:
    """User-defined dashboards and Looks by id: one id counter per type and their titles.

    Shared by content_usage (which computes content_title from it, like Looker's
    COALESCE(look.title, dashboard.title, content_id)) and the dashboard and look explores,
    so a rename shows everywhere and content_id joins to dashboard.id / look.id.
    """

    def __init__(self) -> None:
        self.titles: dict[str, dict[int, str | None]] = {t: {} for t in NUMBERED}
        self.next_id = dict.fromkeys(NUMBERED, 1)
        # Every id handed out, in order: (id, accessed). Unaccessed ids were skipped by
        # content_usage: dashboards/Looks nobody has opened yet.
        self.log: dict[str, list[tuple[int, bool]]] = {t: [] for t in NUMBERED}

    def allocate(self, ctype: str, accessed: bool) -> int:
        num = self.next_id[ctype]
        self.next_id[ctype] = num + 1
        self.log[ctype].append((num, accessed))
        return num

    def title(self, ctype: str, num: int) -> str | None:
        return self.titles[ctype].get(num)


class ContentUsage(Explore):
    """system__activity / content_usage: one row per content item with cumulative counters."""

    model = "system__activity"
    name = "content_usage"
    label = "Content Usage"
    description = "Usage counts and last access time of dashboards, Looks and other content"
    time_field = "last_accessed_time"
    pk_field = "id"

    def __init__(self, config: DataConfig) -> None:
        super().__init__(config)
        rng = random.Random(f"looker-simulator:content_usage:{config.seed}")
        self.tie_group = max(0, config.tie_group)
        self.counter_tables = {
            "api_count": _skewed_table(rng, 0.70, 2.0, 1.5),
            "embed_count": _skewed_table(rng, 0.90, 2.5, 1.5),
            "public_count": _skewed_table(rng, 0.97, 1.0, 1.0),
            "schedule_count": _skewed_table(rng, 0.78, 3.0, 1.2),
            "other_count": _skewed_table(rng, 0.10, 3.0, 1.6),
            "favorite_count": _skewed_table(rng, 0.85, 0.5, 0.8),
        }
        self.type_table = [t for t, w in _CONTENT_TYPES for _ in range(round(256 * w / 100))][:256]
        self.catalog = ContentCatalog()
        self.ref: array[int] = array("q")  # numeric dashboard/look id, 0 for other content
        self.advances = 0
        self._define_fields()
        self._generate(config.rows, rng)

    def _define_fields(self) -> None:
        dims = [
            FieldDef("id", "number", "ID", primary_key=True),
            FieldDef("content_id", "string", "Content ID"),
            FieldDef("content_title", "string", "Content Title"),
            FieldDef("content_type", "string", "Content Type"),
            FieldDef("api_count", "number", "API Count"),
            FieldDef("embed_count", "number", "Embed Count"),
            FieldDef("public_count", "number", "Public Count"),
            FieldDef("schedule_count", "number", "Schedule Count"),
            FieldDef("other_count", "number", "View Count"),
            FieldDef("favorite_count", "number", "Favorite Count"),
            FieldDef("days_since_last_accessed", "number", "Days Since Last Accessed"),
            FieldDef("days_since_last_access_tiers", "tier", "Days Since Last Access Tiers"),
            FieldDef(
                "last_accessed_time", "date_time", "Last Accessed Time",
                dimension_group="last_accessed",
            ),
            FieldDef(
                "last_accessed_date", "date_date", "Last Accessed Date",
                dimension_group="last_accessed",
            ),
        ]  # fmt: skip
        measures = [
            FieldDef("api_total", "sum", "API Total", "measure", measure_of="api_count"),
            FieldDef("embed_total", "sum", "Embed Total", "measure", measure_of="embed_count"),
            FieldDef("public_total", "sum", "Public Total", "measure", measure_of="public_count"),
            FieldDef(
                "schedule_total", "sum", "Schedule Total", "measure", measure_of="schedule_count"
            ),
            FieldDef("other_total", "sum", "View Total", "measure", measure_of="other_count"),
            FieldDef("count", "count", "Count", "measure"),
        ]
        self.fields = {f.name: f for f in dims + measures}

    def _generate(self, n: int, rng: random.Random) -> None:
        now = self.config.now
        # Primary keys have gaps (deleted content): mostly +1, sometimes more.
        gaps = [1] * 230 + [2] * 10 + [3] * 6 + [4] * 4 + [5, 5, 7, 9, 12, 20]
        self.pk = array("q", itertools.accumulate(map(gaps.__getitem__, rng.randbytes(n))))
        types = [self.type_table[b] for b in rng.randbytes(n)]
        picks = memoryview(rng.randbytes(2 * n)).cast("H")
        cids: list[str] = []
        for t, r in zip(types, picks, strict=True):
            cid, ref = self._content(t, r)
            cids.append(cid)
            self.ref.append(ref)
        # Stored columns advance() mutates in place (also reachable through self.columns).
        self.stored: dict[str, StoredColumn] = {
            "content_id": StoredColumn(cids),
            "content_type": StoredColumn(types),
        }
        for name in _COUNTERS:
            table = self.counter_tables[name]
            values = memoryview(rng.randbytes(2 * n)).cast("H")
            self.stored[name] = StoredColumn(array("q", map(table.__getitem__, values)))
        self.columns.update(self.stored)

        # Ties: about tie_group rows share each distinct second (Poisson), plus one big group
        # (a scheduled job touching many items in the same second) when n >= 1000.
        # tie_group=0 gives every row its own second (then only big_tie makes ties).
        k = max(1, n // self.tie_group if self.tie_group else n)
        rand = rng.random
        pool = [
            now - min(_HISTORY_SECONDS, int(-math.log(1.0 - rand()) * _AGE_SCALE)) for _ in range(k)
        ]
        if self.tie_group:
            self.times = array("q", [pool[int(rand() * k)] for _ in range(n)])
        else:
            self.times = array("q", pool[:n])
            self._make_unique()
        big = self.config.big_tie
        if big is None:
            big = max(64, n // 100) if n >= 1000 else 0
        big = min(big, n)
        if big:
            burst = now - (2 * 86400 + 3 * 3600)  # 02:00 two days ago, nightly schedules
            for i in rng.sample(range(n), big):
                self.times[i] = burst
        self.n = n
        self._add_stored_and_computed()
        self.rebuild_order()

    def _make_unique(self) -> None:
        """Nudge colliding seconds back in time until every row has its own second."""
        t = self.times
        prev: int | None = None
        for i in sorted(range(len(t)), key=t.__getitem__, reverse=True):
            if prev is not None and t[i] >= prev:
                t[i] = prev - 1
            prev = t[i]

    def _content(self, ctype: str, r: int) -> tuple[str, int]:
        """content_id and numeric id (0: not a dashboard/Look) for one item; r is a random
        16-bit number. Dashboards and Looks get catalog ids and titles."""
        if ctype == "dashboard" and r % 8 == 0:
            return _LOOKML_DASHBOARDS[(r >> 3) % len(_LOOKML_DASHBOARDS)][0], 0
        if ctype in NUMBERED:
            # Looks and dashboards number independently: content_id alone is not unique.
            num = self.catalog.allocate(ctype, accessed=True)
            if r % 7 == 0:
                self.catalog.allocate(ctype, accessed=False)  # a never-opened one
            # Deleted for good (r % 33 == 1): the usage row stays, the title is gone.
            title = None if r % 33 == 1 else _TITLES[(r >> 3) % len(_TITLES)]
            self.catalog.titles[ctype][num] = title
            return str(num), num
        pool = _EXPLORES if ctype == "explore" else _PDTS
        return pool[(r >> 3) % len(pool)][0], 0

    def _add_stored_and_computed(self) -> None:
        self.columns["id"] = StoredColumn(self.pk)
        self.columns["last_accessed_time"] = StoredColumn(self.times, null=NULL_TIME)

        def content_title(ctx: QueryContext) -> Getter:
            """COALESCE(look.title, dashboard.title, content_id), joined at query time."""
            types, cids = self.stored["content_type"].values, self.stored["content_id"].values
            titles, ref = self.catalog.titles, self.ref

            def get(i: int) -> Any:
                by_id = titles.get(types[i])
                title = None if by_id is None else by_id.get(ref[i])
                return cids[i] if title is None else title

            return get

        self.columns["content_title"] = ComputedColumn(content_title)

        def local_date(ctx: QueryContext) -> Getter:
            to_date, get = local_clock(ctx.tz).date, self.getter("last_accessed_time", ctx)
            return lambda i: None if (t := get(i)) is None else to_date(t)

        def days_since(ctx: QueryContext) -> Getter:
            day, get = local_clock(ctx.tz).day, self.getter("last_accessed_time", ctx)
            today = day(ctx.now)
            return lambda i: None if (t := get(i)) is None else today - day(t)

        def tiers(ctx: QueryContext) -> Getter:
            days = days_since(ctx)
            return lambda i: None if (d := days(i)) is None else _tier_label(d)

        self.columns["last_accessed_date"] = ComputedColumn(local_date)
        self.columns["days_since_last_accessed"] = ComputedColumn(days_since)
        self.columns["days_since_last_access_tiers"] = ComputedColumn(tiers)

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        """Touch existing items (counters grow, last access moves into the window) and append
        new items, all accessed in (old_now, new_now]."""
        touched = rng.sample(range(self.n), min(touched_rows, self.n))
        total = len(touched) + new_rows
        if total == 0:
            return
        span = range(old_now + 1 if new_now > old_now else new_now, new_now + 1)
        if self.tie_group:
            pool = [rng.choice(span) for _ in range(max(1, total // self.tie_group))]
            stamps = [rng.choice(pool) for _ in range(total)]
        elif total <= len(span):
            stamps = rng.sample(span, total)  # no ties wanted: distinct seconds
        else:
            stamps = [rng.choice(span) for _ in range(total)]
        col = self.stored
        for i, stamp in zip(touched, stamps, strict=False):
            self.times[i] = stamp
            col["other_count"].values[i] += rng.randint(1, 5)
            for name in ("api_count", "schedule_count", "embed_count"):
                if rng.random() < 0.3:
                    col[name].values[i] += rng.randint(1, 3)
        start = self.n
        for stamp in stamps[len(touched) :]:
            self._append_item(rng, stamp)
        self._side_effects(touched_rows)
        self.fill_added(start)
        self.resort_moved(touched + list(range(start, self.n)))

    def _side_effects(self, touched_rows: int) -> None:
        """Changes that do not move last_accessed_time: dashboards and Looks renamed (so
        content_title changes) and favorites added or removed (favorite_count)."""
        self.advances += 1
        k = touched_rows // 5 + (touched_rows > 0)
        if not k or not self.n:
            return
        rng = random.Random(
            f"looker-simulator:content_usage:side:{self.config.seed}:{self.advances}"
        )
        numbered = [i for i in rng.sample(range(self.n), min(4 * k, self.n)) if self.ref[i]]
        types = self.stored["content_type"].values
        for i in numbered[:k]:
            by_id = self.catalog.titles[types[i]]
            if by_id.get(self.ref[i]) is not None:
                by_id[self.ref[i]] = _TITLES[rng.randrange(len(_TITLES))]
        favorites = self.stored["favorite_count"].values
        for i in rng.sample(range(self.n), min(k, self.n)):
            favorites[i] = max(0, favorites[i] + rng.choice((-1, 1, 1)))

    def _append_item(self, rng: random.Random, stamp: int) -> None:
        """A content item seen for the first time, accessed once at `stamp`."""
        ctype = self.type_table[rng.randrange(256)]
        cid, ref = self._content(ctype, rng.randrange(65536))
        self.pk.append(self.pk[-1] + 1 if self.n else 1)
        self.times.append(stamp)
        self.ref.append(ref)
        col = self.stored
        for name, value in zip(_DESCRIPTIVE, (cid, ctype), strict=True):
            col[name].append(value)
        for name in _COUNTERS:
            col[name].append(1 if name == "other_count" else 0)
        self.n += 1

    def append_late(self, rng: random.Random, k: int, lo: int, hi: int) -> None:
        for stamp in sorted(rng.randint(lo, hi) for _ in range(k)):
            self._append_item(rng, stamp)


# Explores every simulator serves, by model then explore name. The other System Activity
# explores (history, query, event, ...) are built only on request: see `activity.py` and
# `LookerSimulator(explores=...)`.
EXPLORES: dict[str, dict[str, type[Explore]]] = {
    "system__activity": {"content_usage": ContentUsage},
}

# explores=... of LookerSimulator: "all", names, or {name: rows or None for the default size}.
ExploreRequest = str | Iterable[str] | Mapping[str, int | None] | None


@dataclass
class Dataset:
    """All explores of one simulator instance plus the simulated clock."""

    config: DataConfig
    explores: dict[tuple[str, str], Explore] = field(default_factory=dict)
    advances: int = 0
    # Every explore advance() moves, dependencies first: the served ones plus any built only
    # to back another (event_attribute reads its events from an event explore).
    moving: list[Explore] = field(default_factory=list)

    @classmethod
    def build(cls, config: DataConfig, extra: ExploreRequest = None) -> Dataset:
        ds = cls(config)
        for model, explores in EXPLORES.items():
            for name, kind in explores.items():
                ds.explores[(model, name)] = kind(config)
        ds.moving.extend(ds.explores.values())
        if extra:
            from .activity import build_explores  # here: activity imports this module

            served, moving = build_explores(config, extra, dict(ds.explores))
            for ex in served:
                ds.explores[(ex.model, ex.name)] = ex
            ds.moving.extend(moving)
        return ds

    @property
    def now(self) -> int:
        return self.config.now

    def models(self) -> set[str]:
        return {m for m, _ in self.explores}

    def get(self, model: str, explore: str) -> Explore | None:
        return self.explores.get((model, explore))

    def find(self, explore: str) -> Explore:
        for (_, name), ex in self.explores.items():
            if name == explore:
                return ex
        raise KeyError(f"unknown explore {explore!r}")

    def advance(
        self,
        seconds: int,
        new_rows: int = 0,
        touched_rows: int = 0,
        late_rows: int = 0,
        late_by: int = 3600,
    ) -> None:
        if min(seconds, new_rows, touched_rows, late_rows) < 0 or late_by < 1:
            raise ValueError(
                "advance() takes non-negative seconds, new_rows, touched_rows and late_rows, "
                "and late_by >= 1"
            )
        self.advances += 1
        old_now = self.config.now
        self.config.now = old_now + seconds
        for ex in self.moving:
            key = f"{self.config.seed}:{ex.model}:{ex.name}:{self.advances}"
            if late_rows:  # its own random stream: late_rows=0 leaves the data as it was
                ex.late(random.Random(f"looker-simulator:late:{key}"), late_rows, late_by)
            rng = random.Random(f"looker-simulator:advance:{key}")
            ex.advance(old_now, self.config.now, new_rows, touched_rows, rng)
