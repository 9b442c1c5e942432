"""Validate and run a WriteQuery against an explore, as POST /queries/run/{format} does."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from .dataset import Dataset
from .errors import (
    QUERY_TIMEOUT_MESSAGE,
    LookerApiError,
    LookerQueryError,
    not_found,
    validation_error,
)
from .explore import Explore, FieldDef, QueryContext, ViewTable
from .expr import (
    Box,
    Const,
    ExprError,
    Node,
    and_,
    box_bounds,
    compile_predicate,
    parse_expression,
    referenced_fields,
)
from .filters import parse_filter
from .values import expr_type, renderer, sort_key, zone

UNSORTED = "__UNSORTED__"


@dataclass
class QueryOptions:
    default_row_cap: int = 5000  # rows returned when a query carries no limit at all
    # Silent cap on every query's rows (None: none); a list varies it per query, in turn
    # (an admin setting changed mid-run, a proxy with its own limit): caps of any size.
    max_row_limit: int | list[int] | None = None
    default_timezone: str = "UTC"  # query_timezone when a query sends none
    system_timezone: str = "UTC"  # where System Activity times are stored (and shown)
    # Correlated-subquery dimensions (history.most_recent_*) time out above this many rows.
    subquery_timeout_rows: int | None = 50_000
    edition: str = "elite"  # "standard": forced 12 h cache and a queue on System Activity
    cache_seconds: int = 3600  # result cache window (simulated seconds) unless cache=false
    max_concurrent_queries: int | None = None  # queries beyond it wait (None: no limit)
    record_api_queries: bool = True  # API queries add history and query rows
    query_delay: float = 0.0  # seconds every run_inline_query takes (database latency)
    row_delay: float = 0.0  # extra seconds per returned row (transfer and rendering)

    capped: int = 0  # answers capped so far (the turn of a varying cap)

    def next_cap(self) -> int | None:
        """The cap on the next answer (rows of a query or of a REST search)."""
        cap = self.max_row_limit
        if isinstance(cap, list):
            self.capped += 1
            return cap[(self.capped - 1) % len(cap)]
        return cap


@dataclass
class QueryResult:
    fields: list[str]
    rows: list[dict[str, Any]]


def run_query(
    ds: Dataset,
    body: Any,
    limit_param: str | None = None,
    options: QueryOptions | None = None,
    bare_keys: bool = False,
    always_filter: bool = True,
) -> QueryResult:
    """Run a WriteQuery body; rows are keyed by full field name (bare name if bare_keys).

    The explore's `always_filter` defaults apply to the fields the body does not filter
    (always_filter=False: not at all, for the truth() oracle)."""
    opts = options or QueryOptions()
    if not isinstance(body, dict):
        raise LookerApiError(400, "Request body must be a JSON object (WriteQuery)")
    model, view = body.get("model"), body.get("view")
    if not model or not isinstance(model, str):
        raise validation_error("model", "Model is required", code="missing")
    if not view or not isinstance(view, str):
        raise validation_error("view", "View (explore name) is required", code="missing")
    explore = ds.get(model, view)
    if explore is None:
        raise not_found()
    tz = _timezone(body.get("query_timezone"), opts)  # validated even where it is ignored
    ctx = QueryContext.for_explore(explore.model, tz, zone(opts.system_timezone), ds.now)
    explore = _route(explore, body)
    selected = _fields(explore, body.get("fields"))
    if always_filter and explore.always_filter:
        body = {**body, "filters": _with_always_filter(explore, body.get("filters"))}
    predicate = _predicate(explore, body, ctx)
    sorts = _sorts(explore, body.get("sorts"), selected)
    limit = _limit(body.get("limit"), limit_param, opts)
    _check_cost(explore, selected, sorts, predicate, opts)
    grouped = isinstance(explore, ViewTable) and explore.pk_field not in {f.name for f in selected}
    if grouped or any(f.category == "measure" for f in selected):
        values = _aggregate(explore, selected, predicate, sorts, limit, ctx)
    else:
        values = _select(explore, selected, predicate, sorts, limit, ctx)
    full = [explore.full(f.name) for f in selected]
    keys = [f.name for f in selected] if bare_keys else full
    return QueryResult(full, [dict(zip(keys, row, strict=True)) for row in values])


# --- routing: a joined view's own table ------------------------------------------------------

_FIELD_REF = re.compile(r"\$\{\s*([^}\s]+)\s*\}")


def _referenced(body: dict[str, Any]) -> list[str]:
    """Every field name the query uses: fields, filters, filter_expression and sorts (what is
    malformed is left to validation)."""
    names: list[str] = []
    fields, filters, sorts = body.get("fields"), body.get("filters"), body.get("sorts")
    if isinstance(fields, list):
        names += [f for f in fields if isinstance(f, str)]
    if isinstance(filters, dict):
        names += [str(k) for k in filters]
    text = body.get("filter_expression")
    if isinstance(text, str):
        names += _FIELD_REF.findall(text)
    if isinstance(sorts, list):
        names += [s.split()[0] for s in sorts if isinstance(s, str) and s.split() and s != UNSORTED]
    return names


def _route(explore: Explore, body: dict[str, Any]) -> Explore:
    """The rows a query runs on: a joined view's own table (`explore.tables`) when every field
    it selects, filters and sorts on belongs to that view, else the base rows.

    Looker GROUPs BY the selected dimensions, so selecting one joined view's fields alone
    answers that view's rows (one per scheduled plan, one per dashboard tile), not the base
    view's. A query MIXING such a view's fields with other views' fields runs on the base
    rows as before (one row per base row, e.g. per scheduled job with its plan's id, name
    and crontab); it FAILS LOUDLY (422, naming the fields) when it uses a field that only the
    view's table holds (`explore.view_only`: e.g. scheduled_plan.look_id beside a job field,
    any dashboard_element field beside a dashboard field): the simulator does not join.
    """
    names = _referenced(body)
    views = {name.partition(".")[0] for name in names}
    if len(views) == 1 and all(explore.field(name) is not None for name in names):
        table = explore.tables.get(views.pop())
        if table is not None:
            return table
    alone = sorted(dict.fromkeys(n for n in names if explore.full(n) in explore.view_only))
    if alone:
        views_named = ", ".join(sorted({n.partition(".")[0] for n in alone}))
        raise validation_error(
            "fields",
            f"looker-simulator: {', '.join(alone)} can only be queried with fields of the "
            f"{views_named} view alone (fields, filters and sorts); mixing them with other "
            "views' fields is not modelled",
            code="not_modelled",
        )
    return explore


# --- validation ------------------------------------------------------------------------------


def _timezone(name: Any, opts: QueryOptions) -> dt.tzinfo:
    if name in (None, ""):
        return zone(opts.default_timezone)
    try:
        if not isinstance(name, str):
            raise ValueError(name)
        return zone(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise validation_error("query_timezone", f"Unknown time zone {name!r}") from exc


def _fields(explore: Explore, fields: Any) -> list[FieldDef]:
    if not fields:
        raise validation_error("fields", "A query must select at least one field", "missing")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise validation_error("fields", "fields must be a list of field names")
    out: list[FieldDef] = []
    unknown: list[str] = []
    for name in dict.fromkeys(fields):  # Looker ignores repeated fields
        f = explore.field(name)
        if f is None:
            unknown.append(name)
        else:
            out.append(f)
    if unknown:
        raise LookerApiError(
            422,
            "Validation Failed",
            errors=[
                {"field": "fields", "code": "invalid", "message": f"Unknown field {name}"}
                for name in unknown
            ],
        )
    return out


def _dimension(explore: Explore, name: str, prop: str) -> FieldDef:
    f = explore.field(name)
    if f is None:
        raise validation_error(prop, f"Unknown field {name}")
    if f.category == "measure":
        # Looker would turn this into HAVING; the simulator only filters rows.
        raise validation_error(prop, f"Filtering on measure {name} is not supported")
    return f


def _with_always_filter(explore: Explore, filters: Any) -> Any:
    """The body's filters plus each always_filter default on a field it does not filter."""
    if filters is not None and not isinstance(filters, dict):
        return filters  # _predicate rejects it
    merged = dict(filters or {})
    for name, value in explore.always_filter:
        merged.setdefault(explore.full(name), value)
    return merged


def _predicate(explore: Explore, body: dict[str, Any], ctx: QueryContext) -> Node:
    parts: list[Node] = []
    filters = body.get("filters") or {}
    if not isinstance(filters, dict):
        raise validation_error("filters", "filters must be an object of field: expression")
    for name, text in filters.items():
        f = _dimension(explore, name, "filters")
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise validation_error("filters", f"Filter for {name} must be a string")
        try:
            parts.append(parse_filter(name, f.looker_type, text, ctx.tz, ctx.now))
        except ExprError as exc:
            raise validation_error("filters", f"Invalid filter for {name}: {exc}") from exc
    text = body.get("filter_expression")
    if text:
        if not isinstance(text, str):
            raise validation_error("filter_expression", "filter_expression must be a string")

        def field_type(name: str) -> str:
            return _dimension(explore, name, "filter_expression").looker_type

        try:
            node = parse_expression(text, ctx.tz, field_type, ctx.now)
        except ExprError as exc:
            raise validation_error("filter_expression", f"Invalid expression: {exc}") from exc
        for name in referenced_fields(node):
            _dimension(explore, name, "filter_expression")
        parts.append(node)
    node = and_(*parts) if parts else Const(True)
    try:  # type-check now so a bad expression fails even when no row reaches it
        compile_predicate(node, _resolver(explore, ctx), ctx.tz)
    except ExprError as exc:
        prop = "filter_expression" if text else "filters"
        raise validation_error(prop, f"Invalid expression: {exc}") from exc
    return node


def _resolver(
    explore: Explore, ctx: QueryContext
) -> Callable[[str], tuple[Callable[[int], Any], str]]:
    def resolve(name: str) -> tuple[Callable[[int], Any], str]:
        f = explore.field(name)
        if f is None or f.category != "dimension":
            raise ExprError(f"Unknown field {name}")
        return explore.getter(f.name, ctx), expr_type(f.looker_type)

    return resolve


def _sorts(explore: Explore, sorts: Any, selected: list[FieldDef]) -> list[tuple[FieldDef, bool]]:
    """Parse sorts into (field, descending); apply Looker's default sort when none given."""
    if sorts is None or sorts == []:
        # Looker: first date/time field descending, else first measure descending, else the
        # first dimension ascending.
        for f in selected:
            if f.looker_type in {"date_time", "date_date"}:
                return [(f, True)]
        for f in selected:
            if f.category == "measure":
                return [(f, True)]
        return [(selected[0], False)]
    if not isinstance(sorts, list) or not all(isinstance(s, str) for s in sorts):
        raise validation_error("sorts", "sorts must be a list of strings")
    if sorts == [UNSORTED]:
        return []
    out: list[tuple[FieldDef, bool]] = []
    for text in sorts:
        parts = text.split()
        found = explore.field(parts[0]) if parts else None
        if found is None:
            raise validation_error("sorts", f"Unknown sort field {parts[0] if parts else text!r}")
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        f = found
        if direction not in {"asc", "desc"} or len(parts) > 3:
            raise validation_error("sorts", f"Invalid sort {text!r}")
        if f.category == "measure" and f not in selected:
            raise validation_error("sorts", f"Sort field {parts[0]} must be selected in fields")
        out.append((f, direction == "desc"))
    return out


def _limit(body_limit: Any, param: str | None, opts: QueryOptions) -> int | None:
    """Row limit: None means unlimited. No limit anywhere -> silent default cap."""
    raw: Any = param if param not in (None, "") else body_limit
    cap = opts.next_cap()  # an admin/proxy cap: applies to every query, silently
    if raw in (None, ""):
        return opts.default_row_cap if cap is None else min(opts.default_row_cap, cap)
    try:
        value = int(str(raw).strip())
    except ValueError as exc:
        if param not in (None, ""):
            raise LookerApiError(400, f"Invalid limit {raw!r}") from exc
        raise validation_error("limit", f"Invalid limit {raw!r}") from exc
    if value < 0:
        return cap
    if value == 0:
        return opts.default_row_cap if cap is None else min(opts.default_row_cap, cap)
    return value if cap is None else min(value, cap)


def _check_cost(
    explore: Explore,
    selected: list[FieldDef],
    sorts: list[tuple[FieldDef, bool]],
    predicate: Node,
    opts: QueryOptions,
) -> None:
    """Correlated subqueries over a big table time out, as they do on the database."""
    if not explore.correlated or opts.subquery_timeout_rows is None:
        return
    used = {f.name for f in selected} | {f.name for f, _ in sorts}
    used |= {name.partition(".")[2] for name in referenced_fields(predicate)}
    if used & explore.correlated and explore.n > opts.subquery_timeout_rows:
        raise LookerQueryError(QUERY_TIMEOUT_MESSAGE)


# --- execution -------------------------------------------------------------------------------


def _candidates(
    explore: Explore,
    sorts: list[tuple[FieldDef, bool]],
    boxes: list[Box] | None,
    ctx: QueryContext,
) -> tuple[Iterable[int], bool]:
    """Row numbers to test and whether they already come in the requested order.

    The (time, pk) index and storage (pk) order serve keyset-style sorts; anything else
    scans the narrowest range the bounds allow and is sorted afterwards.
    """
    keys = [(f.name, desc) for f, desc in sorts]
    time_f, pk_f = explore.time_field, explore.pk_field
    # The (time, pk) index orders instants; wall-clock times (a non-UTC system time zone)
    # order differently across a DST fall-back, so they are scanned and sorted instead.
    tf_visible = time_f is not None and time_f in explore.fields and ctx.wall is None
    if tf_visible and keys and keys[0][0] == time_f:
        desc = keys[0][1]
        if len(keys) == 1 or keys[1] == (pk_f, desc):
            lo, hi = explore.time_positions(boxes)
            order = explore.order
            positions = range(hi - 1, lo - 1, -1) if desc else range(lo, hi)
            return (order[p] for p in positions), True
    if keys and keys[0][0] == pk_f:
        lo, hi = explore.pk_rows(boxes)
        return (range(hi - 1, lo - 1, -1) if keys[0][1] else range(lo, hi)), True
    if not keys:
        lo, hi = explore.pk_rows(boxes)
        return range(lo, hi), True
    if tf_visible:
        tlo, thi = explore.time_positions(boxes)
        plo, phi = explore.pk_rows(boxes)
        if thi - tlo < phi - plo:
            order = explore.order
            return sorted(order[p] for p in range(tlo, thi)), False
        return range(plo, phi), False
    lo, hi = explore.pk_rows(boxes)
    return range(lo, hi), False


def _keep(explore: Explore, node: Node, ctx: QueryContext) -> Callable[[int], bool]:
    keep = compile_predicate(node, _resolver(explore, ctx), ctx.tz)
    visible = explore.visible(ctx)
    if visible is None:
        return keep
    return lambda i: visible(i) and keep(i)


def _select(
    explore: Explore,
    selected: list[FieldDef],
    node: Node,
    sorts: list[tuple[FieldDef, bool]],
    limit: int | None,
    ctx: QueryContext,
) -> list[tuple[Any, ...]]:
    keep = _keep(explore, node, ctx)
    indexed_time = explore.time_field if ctx.wall is None else None
    boxes = box_bounds(
        node,
        explore.full(indexed_time) if indexed_time else None,
        explore.full(explore.pk_field),
        ctx.tz,
    )
    candidates, ordered = _candidates(explore, sorts, boxes, ctx)
    matched: list[int] = []
    for row in candidates:
        if keep(row):
            matched.append(row)
            if ordered and limit is not None and len(matched) >= limit:
                break
    if not ordered:
        for f, desc in reversed(sorts):  # stable multi-key sort, last key first
            get, key = explore.getter(f.name, ctx), sort_key(f.looker_type)
            matched.sort(key=lambda r: key(get(r)), reverse=desc)
        if limit is not None:
            del matched[limit:]
    # Column by column: map() over C-level getters is much faster than per-row dicts.
    columns: list[list[Any]] = []
    for f in selected:
        values = map(explore.getter(f.name, ctx), matched)
        render = renderer(f.looker_type, ctx.tz)
        columns.append(list(values if render is None else map(render, values)))
    return list(zip(*columns, strict=True))


def _aggregate(
    explore: Explore,
    selected: list[FieldDef],
    node: Node,
    sorts: list[tuple[FieldDef, bool]],
    limit: int | None,
    ctx: QueryContext,
) -> list[tuple[Any, ...]]:
    """GROUP BY the selected dimensions and compute the selected measures."""
    keep = _keep(explore, node, ctx)
    dims = [f for f in selected if f.category == "dimension"]
    measures = [f for f in selected if f.category == "measure"]
    dim_get = [explore.getter(f.name, ctx) for f in dims]
    src = [explore.getter(m.measure_of, ctx) if m.measure_of else None for m in measures]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for r in range(explore.n):
        if not keep(r):
            continue
        key = tuple(g(r) for g in dim_get)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = [None] * len(measures)
        for j, (m, get) in enumerate(zip(measures, src, strict=True)):
            if get is None:  # count
                acc[j] = (acc[j] or 0) + 1
                continue
            v = get(r)
            if v is None:
                continue
            if acc[j] is None:
                acc[j] = v
            elif m.looker_type == "sum":
                acc[j] += v
            elif m.looker_type == "max":
                acc[j] = max(acc[j], v)
            elif m.looker_type == "min":
                acc[j] = min(acc[j], v)
    records = [(*k, *v) for k, v in groups.items()]
    position = {f.name: i for i, f in enumerate(dims + measures)}
    for f, desc in reversed(sorts):
        if f.name in position:  # aggregated rows can only sort on selected fields
            pos, by = position[f.name], sort_key(f.looker_type)
            records.sort(key=lambda rec: by(rec[pos]), reverse=desc)
    if limit is not None:
        del records[limit:]
    grouped = dims + measures
    renders = [renderer(f.looker_type, ctx.tz) or _identity for f in grouped]
    order = [grouped.index(f) for f in selected]
    return [tuple(renders[p](rec[p]) for p in order) for rec in records]


def _identity(value: Any) -> Any:
    return value


def truth(
    ds: Dataset,
    explore_name: str = "content_usage",
    options: QueryOptions | None = None,
    view: str | None = None,
) -> list[dict[str, Any]]:
    """Every row by pk, keyed by bare dimension name, as the json API shows it in UTC.

    `view`: the rows of that joined view's own table instead (`Explore.tables`), as a query
    of all its fields alone answers them. Without it, the base rows with every dimension they
    hold (not the `view_only` fields of a joined view's table). Never times out and ignores
    the row cap (an oracle, not a query)."""
    explore = ds.find(explore_name)
    source: Explore = explore
    if view is not None:
        if view not in explore.tables:
            known = ", ".join(sorted(explore.tables)) or "none"
            raise KeyError(f"{explore_name} has no table for view {view!r} (known: {known})")
        source = explore.tables[view]
    fields = [source.full(f.name) for f in source.dimensions() if f.name in source.columns]
    body = {
        "model": explore.model,
        "view": explore.name,
        "fields": fields,
        "sorts": [UNSORTED],  # storage order, which is pk order
        "limit": "-1",
        "query_timezone": "UTC",
    }
    opts = replace(options or QueryOptions(), subquery_timeout_rows=None, max_row_limit=None)
    return run_query(ds, body, options=opts, bare_keys=True, always_filter=False).rows
