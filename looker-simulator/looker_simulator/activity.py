"""The other System Activity explores, plus one explore of another model, built on request.

A default simulator serves `content_usage` alone, as it always has. `LookerSimulator(
explores="all")`, `explores=["history", "event"]` or `explores={"history": 6000, "user": None}`
(None: the default size) adds explores from `dataset.EXPLORES`. Each is deterministic from
(seed, its size, the sequence of `advance()` calls), has the nulls and ties Looker has, and
moves with `advance()`:

- append-only logs (query, event, event_attribute, pdt_event_log, query_metrics, order_items)
  get new rows;
- history and scheduled jobs also have rows still running (completed/finalized time NULL) that
  complete inside the advanced window, so their time moves forward;
- entity tables (user, dashboard, look) get new rows and change rows in place (no time moves).

`advance(seconds, new_rows, touched_rows)` scales `new_rows` / `touched_rows` per explore by
`new_share` / `touch_share` (at least one row when the request is not zero).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import string
from collections.abc import Callable, Mapping
from typing import Any

from .content_usage import ContentCatalog, ContentUsage
from .explore import (
    NULL_TIME,
    ComputedColumn,
    DataConfig,
    Explore,
    FieldDef,
    Getter,
    QueryContext,
    StoredColumn,
    ViewTable,
    dim,
    timeframes,
)
from .values import local_clock

DAY = 86400
Row = dict[str, Any]


def _pick(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _share(requested: int, share: float) -> int:
    if requested <= 0 or share <= 0:
        return 0
    return max(1, round(requested * share))


class GeneratedExplore(Explore):
    """An explore generated row by row; subclasses declare fields and make rows."""

    model = "system__activity"
    new_share = 1.0  # rows appended per advance(new_rows=N): N * new_share
    touch_share = 0.0  # rows changed in place per advance(touched_rows=N)
    span_days = 90  # the oldest row
    mean_age_days = 20.0  # ages are exponential: recent activity is the most common

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        super().__init__(config, rows, deps)
        self.stored: dict[str, StoredColumn] = {}
        computed = self.computed_columns()
        for f in self.dimensions():
            if f.name in self.view_only:
                continue  # held by its view's own table (self.tables) only
            if f.name in computed:
                self.columns[f.name] = computed[f.name]
            elif f.name == self.time_field:
                self.columns[f.name] = StoredColumn(self.times, null=NULL_TIME)
            elif f.looker_type == "date_date" and f.name[:-5] + "_time" in self.fields:
                self.columns[f.name] = ComputedColumn(self._date_of(f.name[:-5] + "_time"))
            else:
                column = StoredColumn([])
                self.stored[f.name] = column
                self.columns[f.name] = column
        rng = random.Random(f"looker-simulator:{self.model}:{self.name}:{config.seed}")
        self.generate(self.default_rows if rows is None else max(0, rows), rng)
        if self.time_field:
            self.rebuild_order()

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        """One new row whose activity happened at `stamp`."""
        raise NotImplementedError

    def computed_columns(self) -> dict[str, ComputedColumn]:
        """Dimensions computed at query time instead of stored (so are the `_date` ones of a
        group with a `_time`; a `_date` without one is a stored calendar date)."""
        return {}

    # -- storage -------------------------------------------------------------------------

    def _date_of(self, time_name: str) -> Any:
        def make(ctx: QueryContext) -> Getter:
            get = self.getter(time_name, ctx)
            to_date = local_clock(ctx.tz).date
            return lambda i: None if (t := get(i)) is None else to_date(t)

        return make

    def append(self, row: Row) -> None:
        for name, column in self.stored.items():
            column.values.append(row.get(name))
        if self.time_field:
            stamp = row.get(self.time_field)
            self.times.append(NULL_TIME if stamp is None else stamp)
        has_pk = self.pk_field in self.fields
        self.pk.append(row[self.pk_field] if has_pk else self.n + 1)
        self.n += 1

    def value(self, i: int, name: str) -> Any:
        if name == self.time_field:
            stamp = self.times[i]
            return None if stamp == NULL_TIME else stamp
        return self.stored[name].values[i]

    def set(self, i: int, name: str, value: Any) -> None:
        if name == self.time_field:
            self.times[i] = NULL_TIME if value is None else value
        else:
            self.stored[name].values[i] = value

    def next_id(self, rng: random.Random) -> int:
        """Ids grow with gaps (deleted rows)."""
        last = self.pk[-1] if self.n else 0
        return last + (1 if rng.random() < 0.9 else rng.randint(2, 6))

    # -- time stamps ---------------------------------------------------------------------

    def _distinct(self, n: int) -> int:
        group = self.config.tie_group
        return max(1, n // group if group else n)

    def _spread(self, rng: random.Random, pool: list[int], n: int) -> list[int]:
        if self.config.tie_group:
            return sorted(pool[int(rng.random() * len(pool))] for _ in range(n))
        return sorted(pool[:n])

    def build_stamps(self, rng: random.Random, n: int) -> list[int]:
        """n activity times before now, ascending; about tie_group rows share each second."""
        now, span, scale = self.config.now, self.span_days * DAY, self.mean_age_days * DAY
        rand = rng.random
        # Ages beyond the span wrap around rather than pile up on the oldest second.
        pool = [now - int(-math.log(1.0 - rand()) * scale) % span for _ in range(self._distinct(n))]
        return self._spread(rng, pool, n)

    def window_stamps(self, rng: random.Random, n: int, old_now: int, new_now: int) -> list[int]:
        """n times in the advanced window (old_now, new_now], ascending, with ties."""
        lo = old_now + 1 if new_now > old_now else new_now
        pool = [rng.randint(lo, new_now) for _ in range(self._distinct(n))]
        return self._spread(rng, pool, n)

    # -- lifecycle -----------------------------------------------------------------------

    def generate(self, n: int, rng: random.Random) -> None:
        now = self.config.now
        for stamp in self.build_stamps(rng, n):
            self.append(self.new_row(rng, stamp, now))

    def append_new(self, rng: random.Random, k: int, old_now: int, new_now: int) -> None:
        for stamp in self.window_stamps(rng, k, old_now, new_now):
            self.append(self.new_row(rng, stamp, new_now))

    def append_late(self, rng: random.Random, k: int, lo: int, hi: int) -> None:
        for stamp in sorted(rng.randint(lo, hi) for _ in range(k)):
            self.append(self.new_row(rng, stamp, hi))

    def progress(self, rng: random.Random, old_now: int, new_now: int) -> list[int]:
        """Rows whose own activity moves on by itself (running -> complete); their rows."""
        return []

    def touch(self, rng: random.Random, k: int, old_now: int, new_now: int) -> list[int]:
        """Change k rows in place; rows whose time field moved."""
        return []

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        start = self.n
        moved = self.progress(rng, old_now, new_now)
        moved += self.touch(rng, _share(touched_rows, self.touch_share), old_now, new_now)
        self.append_new(rng, _share(new_rows, self.new_share), old_now, new_now)
        self.fill_added(start)
        if self.time_field:
            self.resort_moved(sorted(set(moved)) + list(range(start, self.n)))


# --- reference data ----------------------------------------------------------------------------

_FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
          "Kai", "Lena", "Marco", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
          "Uma", "Vera")  # fmt: skip
_LAST = ("Garcia", "Smith", "Okafor", "Müller", "Tanaka", "Rossi", "Novak", "Silva", "Khan",
         "O'Brien", "Dubois", "Kowalski", "Nguyen", "Larsen", "Haddad", "Costa")  # fmt: skip
_TOPICS = ("Sales", "Marketing", "Finance", "Ops", "Customer", "Product", "Support", "Growth",
           "Retention", "Inventory", "Executive", "Regional")  # fmt: skip
_KINDS = ("Overview", "KPIs", "Pipeline", "Funnel", "Scorecard", "Deep Dive", "Report", "Tracker")
_EXPLORE_FIELDS = (
    ("thelook", "order_items", ("order_items.id", "order_items.sale_price", "users.state",
                                "order_items.created_date", "products.brand", "order_items.count")),
    ("thelook", "users", ("users.id", "users.age", "users.country", "users.created_month")),
    ("ecommerce", "sessions", ("sessions.id", "sessions.duration", "sessions.landing_page")),
    ("system__activity", "history", ("history.id", "history.runtime", "user.name")),
)  # fmt: skip
_CONNECTIONS = ("thelook", "bigquery_prod", "snowflake_analytics", "looker__internal__analytics")
_PDTS = (
    ("thelook", "user_order_facts", "thelook"),
    ("thelook", "order_items_rollup", "thelook"),
    ("ecommerce", "session_facts", "bigquery_prod"),
    ("ecommerce", "daily_revenue", "bigquery_prod"),
    ("finance", "gl_balances", "snowflake_analytics"),
)


def _user_id(rng: random.Random, users: int = 60) -> int:
    """Activity is concentrated on a few heavy users."""
    return 1 + int(users * rng.random() ** 2)


_LOOKML_DASHBOARD_IDS = (
    "system__activity::instance_performance",
    "system__activity::content_activity",
    "thelook::sales_overview",
    "thelook::business_pulse",
)


def _dashboard_ref(rng: random.Random) -> str:
    """history.dashboard_id: a user-defined dashboard id, or a LookML dashboard's model::name."""
    if rng.random() < 0.15:
        return rng.choice(_LOOKML_DASHBOARD_IDS)
    return str(rng.randint(1, 120))


def _catalog_ids(deps: Mapping[str, Explore], ctype: str) -> list[int]:
    """Ids of the dashboards or Looks that exist in the ContentCatalog content_usage shares
    (every id handed out, minus content deleted for good); [] without content_usage."""
    usage = deps.get("content_usage")
    if not isinstance(usage, ContentUsage):
        return []
    titles = usage.catalog.titles[ctype]
    return [n for n, accessed in usage.catalog.log[ctype] if not accessed or titles.get(n)]


def _content_ref(rng: random.Random, ids: list[int], plausible: int) -> int:
    """One of `ids`, or a plausible id in 1..plausible when there is none."""
    return rng.choice(ids) if ids else rng.randint(1, plausible)


def _title(rng: random.Random) -> str:
    return f"{rng.choice(_TOPICS)} {rng.choice(_KINDS)}" + rng.choice(
        ("", "", "", " (copy)", " v2")
    )


# --- logs with a running state: history, scheduled jobs -----------------------------------------


class LifecycleExplore(GeneratedExplore):
    """Rows start (`start_field`) and complete later (`time_field`, NULL while running)."""

    start_field = "created_time"
    running_share = 0.1  # of rows created by advance() still running at its end

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        self.running: list[int] = []
        super().__init__(config, rows, deps)

    def duration(self, rng: random.Random) -> int:
        raise NotImplementedError

    def static_values(self, rng: random.Random) -> Row:
        """Values fixed when the row starts."""
        raise NotImplementedError

    def open_values(self) -> Row:
        """Values while running."""
        raise NotImplementedError

    def outcome(self, rng: random.Random, start: int, end: int) -> Row:
        """Values set on completion."""
        raise NotImplementedError

    def _append_all(self, rng: random.Random, rows: list[tuple[int, int | None]]) -> None:
        rows.sort(key=lambda r: r[0])  # ids grow with the start time
        for start, end in rows:
            row: Row = {self.pk_field: self.next_id(rng), self.start_field: start}
            row.update(self.static_values(rng))
            row.update(self.open_values() if end is None else self.outcome(rng, start, end))
            row[self.time_field or ""] = end
            self.append(row)
            if end is None:
                self.running.append(self.n - 1)

    def generate(self, n: int, rng: random.Random) -> None:
        now = self.config.now
        still_running = min(n, max(1, n // 100)) if n else 0
        rows: list[tuple[int, int | None]] = [
            (end - self.duration(rng), end) for end in self.build_stamps(rng, n - still_running)
        ]
        rows += [(now - rng.randint(0, 300), None) for _ in range(still_running)]
        self._append_all(rng, rows)

    def append_new(self, rng: random.Random, k: int, old_now: int, new_now: int) -> None:
        lo = old_now + 1 if new_now > old_now else new_now
        rows: list[tuple[int, int | None]] = []
        for end in self.window_stamps(rng, k, old_now, new_now):
            if rng.random() < self.running_share:
                rows.append((max(lo, new_now - rng.randint(0, 300)), None))
            else:
                rows.append((max(lo, end - self.duration(rng)), end))
        self._append_all(rng, rows)

    def append_late(self, rng: random.Random, k: int, lo: int, hi: int) -> None:
        """Completed runs (their completion time in [lo, hi])."""
        ends = sorted(rng.randint(lo, hi) for _ in range(k))
        self._append_all(rng, [(end - self.duration(rng), end) for end in ends])

    def progress(self, rng: random.Random, old_now: int, new_now: int) -> list[int]:
        """Everything running completes inside the window (its time moves forward)."""
        if new_now <= old_now or not self.running:
            return []
        ends = self.window_stamps(rng, len(self.running), old_now, new_now)
        rng.shuffle(ends)
        done = self.running
        for i, end in zip(done, ends, strict=True):
            start = self.value(i, self.start_field)
            end = max(end, start)
            for name, value in self.outcome(rng, start, end).items():
                self.set(i, name, value)
            self.set(i, self.time_field or "", end)
        self.running = []
        return done


_SOURCES = (("dashboard", 35), ("explore", 20), ("look", 10), ("api4", 15),
            ("scheduled_task", 10), ("sql_runner", 3), ("alerts", 2),
            ("pdt_regenerator", 5))  # fmt: skip
_HISTORY_ERRORS = (
    "Query timed out after 600 seconds",
    "SQL Error: Column 'region' not found",
    "Connection refused: thelook",
    "Query killed by user",
)


# Looker's System Activity retention (docs, "Usage reports with System Activity explores"):
# history rows are deleted after 90 days, those with source = 'scheduled_task' after 7.
HISTORY_RETENTION_DAYS = 90
SCHEDULED_TASK_RETENTION_DAYS = 7


class History(LifecycleExplore):
    """system__activity / history: one row per query run; completed_time NULL while running.

    Retention: a run created more than 90 days before the simulated now is no longer served,
    one with `source = 'scheduled_task'` after 7 days (Looker deletes those rows); `truth()`
    follows. The rows stay stored (`row_count` counts them), as `visible()` hides them.
    """

    name = "history"
    label = "History"
    description = "Query runs: who ran which query, from where, how long it took"
    time_field = "completed_time"
    default_rows = 600
    span_days = HISTORY_RETENTION_DAYS  # Looker prunes history after 90 days
    mean_age_days = 15.0
    queries = 300  # history.query_id values repeat: popular queries run again and again

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            *timeframes("created"),
            *timeframes("completed"),
            dim("query_id", "number", "Query ID"),
            dim("user_id", "number", "User ID"),
            dim("source", "string"),
            dim("status", "string"),
            dim("result_source", "string"),
            dim("cache", "yesno", "Is Cached"),
            dim("runtime", "number", "Runtime in Seconds"),
            dim("dashboard_id", "string", "Dashboard ID"),
            dim("look_id", "number", "Look ID"),
            dim("message", "string"),
            dim("connection_name", "string"),
            # Correlated subqueries over the whole history table, evaluated on every row: they
            # change without the row's completed_time moving, and time out on big tables.
            dim("most_recent_length", "number", "Most Recent Length in Seconds"),
            *timeframes("most_recent_run_at"),
        ]

    correlated = frozenset(
        {"most_recent_length", "most_recent_run_at_time", "most_recent_run_at_date"}
    )

    def computed_columns(self) -> dict[str, ComputedColumn]:
        def latest(ctx: QueryContext) -> Callable[[int], int | None]:
            """Row -> the row of the most recent run (latest created_time) of its query."""
            created = self.stored["created_time"].values
            qids = self.stored["query_id"].values
            kept = self.visible(ctx)  # rows past retention are deleted: not in the subquery
            best: dict[Any, int] = {}
            for i in range(self.n):
                if kept is not None and not kept(i):
                    continue
                q = qids[i]
                b = best.get(q)
                if b is None or (created[i], i) > (created[b], b):
                    best[q] = i
            return lambda i: best.get(qids[i])

        def length(ctx: QueryContext) -> Getter:
            runtime, last = self.stored["runtime"].values, latest(ctx)
            return lambda i: None if (j := last(i)) is None else runtime[j]

        def run_at(ctx: QueryContext) -> Getter:
            created, last = self.stored["created_time"].values, latest(ctx)
            return lambda i: None if (j := last(i)) is None else created[j]

        return {
            "most_recent_length": ComputedColumn(length),
            "most_recent_run_at_time": ComputedColumn(run_at),
        }

    def visible(self, ctx: QueryContext) -> Callable[[int], bool] | None:
        """Runs still within Looker's retention: 90 days, 7 for scheduled_task runs."""
        now = self.config.now
        oldest = now - HISTORY_RETENTION_DAYS * DAY
        oldest_task = now - SCHEDULED_TASK_RETENTION_DAYS * DAY
        created, sources = self.stored["created_time"].values, self.stored["source"].values

        def kept(i: int) -> bool:
            stamp = created[i]
            if stamp is None:
                return True
            if stamp < oldest:
                return False
            return bool(stamp >= oldest_task or sources[i] != "scheduled_task")

        return kept

    def duration(self, rng: random.Random) -> int:
        return rng.randint(60, 1800) if rng.random() < 0.03 else int(rng.expovariate(1 / 3))

    def add_api_run(
        self,
        query_id: int,
        user_id: int,
        now: int,
        *,
        runtime: float,
        cached: bool,
        error: str | None,
        connection: str,
    ) -> None:
        """A query the API just ran (its own footprint), completed at `now`."""
        start = self.n
        self.append(
            {
                "id": (self.pk[-1] if self.n else 0) + 1,
                "created_time": now,
                "completed_time": now,
                "query_id": query_id,
                "user_id": user_id,
                "source": "api",
                "status": "error" if error else "complete",
                "result_source": None if error else "cache" if cached else "query",
                "cache": cached,
                "runtime": runtime,
                "dashboard_id": None,
                "look_id": None,
                "message": error,
                "connection_name": connection,
            }
        )
        self.fill_added(start)
        self.resort_moved([start])

    def static_values(self, rng: random.Random) -> Row:
        source = _pick(rng, _SOURCES)
        dashboard = source == "dashboard" or (source == "scheduled_task" and rng.random() < 0.6)
        return {
            "query_id": 1 + int(self.queries * rng.random() ** 2),
            "user_id": None if rng.random() < 0.03 else _user_id(rng),
            "source": source,
            "dashboard_id": _dashboard_ref(rng) if dashboard else None,
            "look_id": rng.randint(1, 150) if source == "look" else None,
            "connection_name": rng.choice(_CONNECTIONS),
        }

    def open_values(self) -> Row:
        return {
            "status": "running",
            "result_source": None,
            "cache": False,
            "runtime": None,
            "message": None,
        }

    def outcome(self, rng: random.Random, start: int, end: int) -> Row:
        status = _pick(rng, (("complete", 92), ("error", 6), ("killed", 2)))
        source = _pick(rng, (("query", 70), ("cache", 25), ("pdt", 5)))
        return {
            "status": status,
            "result_source": None if status == "killed" else source,
            "cache": status == "complete" and source == "cache",
            "runtime": round(end - start + rng.random(), 3),
            "message": rng.choice(_HISTORY_ERRORS) if status != "complete" else None,
        }


_JOB_FAILURES = (
    "SMTP error: mailbox unavailable",
    "Webhook answered HTTP 500",
    "Query timed out",
    "S3 access denied",
)
_CRONTABS = ("0 6 * * *", "0 7 * * 1", "*/30 * * * *", "0 2 1 * *", None)


class ScheduledJob(LifecycleExplore):
    """system__activity / scheduled_plan: one row per scheduled job (one delivery run).

    Looker's LookML has `scheduled_plan` as the explore's base view with `scheduled_job` LEFT
    JOINed, so a job whose plan was deleted has no row. Modelled: about one plan in ten is
    deleted when the data is built (its past jobs are stored but not served), `delete_plan()`
    deletes one later, and jobs that start afterwards belong to live plans only. The fields
    keep `scheduled_job` as the view they are named by (`id`, `scheduled_plan.name`).

    The plans have a table of their own (`tables["scheduled_plan"]`, see ViewTable): a query
    of `scheduled_plan.*` fields alone answers one row per plan that is not deleted, plans
    that never ran included (Looker's base view is scheduled_plan), with the plan's target
    (exactly one of `dashboard_id`, `look_id`, `lookml_dashboard_id`; the ids of dashboards
    and Looks come from the ContentCatalog content_usage shares), `enabled` (about 85 %),
    `run_once`, `user_id` (the owner, the jobs' user) and `created_time` (before its first
    job). About one plan in seven never ran: created disabled, a run-once plan not run yet,
    or created in the last hours; no job ever names them. Only id, name and crontab are on
    the job rows too (a query mixing the other plan fields with job fields is refused: see
    `query._route`). `scheduled_plan.count` (LookML `measure: count { type: count }` of the
    view) counts the plans a query of that view alone keeps.

    Plans change over time (`advance()`, own random streams, so the jobs stay exactly as
    without it): new plans appear (`new_rows // 10`, at least one; created in the window,
    no job runs for them yet), touched ones (`touched_rows // 10`, at least one) change in
    place (`enabled` toggled, or its name edited, or rarely its target changed), and a few
    plans no job names are deleted. Names are edited and plans deleted only where no job
    row names the plan, so the jobs' rows (which carry the plan's name) stay as they were.
    Not modelled: a plan with jobs renamed or deleted by `advance()` (`delete_plan()` does
    delete one); a disabled plan stopping to run (jobs `advance()` starts may name one);
    new plans running; a plan without jobs in job-level queries.
    """

    name = "scheduled_plan"
    view = "scheduled_job"
    label = "Scheduled Plan"
    description = "Schedule deliveries: each run of each scheduled plan, and its outcome"
    time_field = "finalized_time"
    default_rows = 200
    new_share = 0.25
    span_days = 90
    mean_age_days = 25.0
    requires = ("content_usage",)  # the dashboard and Look ids plans deliver
    view_only = frozenset(
        f"scheduled_plan.{name}"
        for name in (
            "dashboard_id", "look_id", "lookml_dashboard_id", "enabled", "run_once", "user_id",
            "created_time", "created_date", "count",
        )
    )  # fmt: skip

    def define_measures(self) -> list[FieldDef]:
        plan = FieldDef("scheduled_plan.count", "count", "Count", "measure", view="scheduled_plan")
        return [*super().define_measures(), plan]

    def define_fields(self) -> list[FieldDef]:
        plan = "scheduled_plan"
        return [
            dim("id", "number", "ID", pk=True),
            *timeframes("created"),
            *timeframes("finalized"),
            dim("status", "string"),
            dim("status_detail", "string"),
            dim("scheduled_plan_id", "number", "Scheduled Plan ID"),
            dim("user_id", "number", "User ID"),
            dim("scheduled_plan.id", "number", "ID", pk=True, view=plan),
            dim("scheduled_plan.name", "string", "Name", view=plan),
            dim("scheduled_plan.crontab", "string", "Crontab", view=plan),
            dim("scheduled_plan.dashboard_id", "number", "Dashboard ID", view=plan),
            dim("scheduled_plan.look_id", "number", "Look ID", view=plan),
            dim("scheduled_plan.lookml_dashboard_id", "string", "LookML Dashboard ID", view=plan),
            dim("scheduled_plan.enabled", "yesno", "Enabled", view=plan),
            dim("scheduled_plan.run_once", "yesno", "Run Once", view=plan),
            dim("scheduled_plan.user_id", "number", "User ID", view=plan),
            *timeframes("created", view=plan),
        ]

    deleted_share = 0.1  # of plans deleted before the data is built (their jobs hidden)

    def generate(self, n: int, rng: random.Random) -> None:
        self.plans = [
            (plan_id, f"{_title(rng)} ({rng.choice(('daily', 'weekly', 'monthly'))})",
             rng.choice(_CRONTABS), _user_id(rng))
            for plan_id in range(1, max(3, n // 10) + 1)
        ]  # fmt: skip
        # Its own random stream: the jobs are generated exactly as without deleted plans.
        gone = random.Random(f"looker-simulator:deleted-plans:{self.config.seed}")
        ids = [plan[0] for plan in self.plans]
        self.deleted_plans: set[int] = {p for p in ids[1:] if gone.random() < self.deleted_share}
        self.built = False
        super().generate(n, rng)
        self.built = True
        self.plan_steps = 0  # advance() calls so far: the plan changes' random streams
        self._plan_table()

    def _plan_table(self) -> None:
        """The plans' own table, from its own random stream (the jobs stay as they were)."""
        rng = random.Random(f"looker-simulator:scheduled-plans:{self.config.seed}")
        now = self.config.now
        first_run: dict[int, int] = {}
        starts = self.stored["created_time"].values
        for plan_id, start in zip(self.stored["scheduled_plan_id"].values, starts, strict=True):
            first_run[plan_id] = min(start, first_run.get(plan_id, start))
        last = self.plans[-1][0]
        never = [
            (last + k, f"{_title(rng)} ({rng.choice(('daily', 'weekly', 'monthly'))})",
             rng.choice(_CRONTABS), _user_id(rng))
            for k in range(1, max(2, len(self.plans) // 6) + 1)
        ]  # fmt: skip
        self.never_ran = {plan[0] for plan in never}
        gone = self.deleted_plans
        table = ViewTable(self, "scheduled_plan", lambda i: table.pk[i] not in gone)
        self.tables["scheduled_plan"] = table
        dashboards, looks = _catalog_ids(self.deps, "dashboard"), _catalog_ids(self.deps, "look")
        for k, (plan_id, name, crontab, owner) in enumerate([*self.plans, *never]):
            target = _pick(rng, (("dashboard", 50), ("look", 38), ("lookml", 12)))
            run_once, enabled = False, rng.random() < 0.88
            if plan_id in first_run:
                created = first_run[plan_id] - rng.randint(3600, 120 * DAY)
            else:  # never ran: created disabled, run once and not yet run, or just created
                kind = ("disabled", "run_once", "new")[(k - len(self.plans)) % 3]
                enabled, run_once = kind != "disabled", kind == "run_once"
                created = (
                    now
                    - {
                        "disabled": rng.randint(DAY, 365 * DAY),
                        "run_once": rng.randint(60, 3600),
                        "new": rng.randint(600, 12 * 3600),
                    }[kind]
                )
            table.append(
                {
                    "id": plan_id,
                    "name": name,
                    "crontab": crontab,
                    "dashboard_id": _content_ref(rng, dashboards, 120)
                    if target == "dashboard"
                    else None,
                    "look_id": _content_ref(rng, looks, 150) if target == "look" else None,
                    "lookml_dashboard_id": rng.choice(_LOOKML_DASHBOARD_IDS)
                    if target == "lookml"
                    else None,
                    "enabled": enabled,
                    "run_once": run_once,
                    "user_id": owner,
                    "created_time": created,
                }
            )

    @staticmethod
    def _target(rng: random.Random, dashboards: list[int], looks: list[int]) -> Row:
        """What a plan delivers: exactly one of a dashboard, a Look or a LookML dashboard."""
        target = _pick(rng, (("dashboard", 50), ("look", 38), ("lookml", 12)))
        return {
            "dashboard_id": _content_ref(rng, dashboards, 120) if target == "dashboard" else None,
            "look_id": _content_ref(rng, looks, 150) if target == "look" else None,
            "lookml_dashboard_id": rng.choice(_LOOKML_DASHBOARD_IDS)
            if target == "lookml"
            else None,
        }

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        super().advance(old_now, new_now, new_rows, touched_rows, rng)  # the jobs, as before
        self.plan_steps += 1
        seed, step = self.config.seed, self.plan_steps
        self._change_plans(
            random.Random(f"looker-simulator:scheduled-plan-changes:{seed}:{step}"),
            touched_rows,
        )
        self._new_plans(
            random.Random(f"looker-simulator:scheduled-plan-new:{seed}:{step}"),
            new_rows,
            old_now,
            new_now,
        )

    def _new_plans(self, rng: random.Random, new_rows: int, old_now: int, new_now: int) -> None:
        """`new_rows // 10` plans (at least one) created in (old_now, new_now]; no job names
        them yet (they count among `never_ran`)."""
        if new_rows <= 0:
            return
        table = self.tables["scheduled_plan"]
        dashboards, looks = _catalog_ids(self.deps, "dashboard"), _catalog_ids(self.deps, "look")
        lo = old_now + 1 if new_now > old_now else new_now
        for created in sorted(rng.randint(lo, new_now) for _ in range(max(1, new_rows // 10))):
            plan_id = table.pk[-1] + (1 if rng.random() < 0.9 else rng.randint(2, 4))
            table.append(
                {
                    "id": plan_id,
                    "name": f"{_title(rng)} ({rng.choice(('daily', 'weekly', 'monthly'))})",
                    "crontab": rng.choice(_CRONTABS),
                    **self._target(rng, dashboards, looks),
                    "enabled": rng.random() < 0.9,
                    "run_once": rng.random() < 0.05,
                    "user_id": _user_id(rng),
                    "created_time": created,
                }
            )
            self.never_ran.add(plan_id)

    def _change_plans(self, rng: random.Random, touched_rows: int) -> None:
        """`touched_rows // 10` live plans (at least one) change in place: rarely a new
        target, else (for a plan no job names) half the time a new name, else `enabled`
        toggled; about one in five touches also deletes a live plan no job names."""
        if touched_rows <= 0:
            return
        table = self.tables["scheduled_plan"]
        live = [i for i in range(table.n) if table.pk[i] not in self.deleted_plans]
        if not live:
            return
        dashboards, looks = _catalog_ids(self.deps, "dashboard"), _catalog_ids(self.deps, "look")
        k = max(1, touched_rows // 10)
        for i in sorted(rng.sample(live, min(k, len(live)))):
            unnamed = table.pk[i] in self.never_ran  # no job row carries its name
            roll = rng.random()
            if roll < 0.1:
                for name, value in self._target(rng, dashboards, looks).items():
                    table.set(i, name, value)
            elif unnamed and roll < 0.55:
                edited = f"{_title(rng)} ({rng.choice(('daily', 'weekly', 'monthly'))})"
                table.set(i, "name", edited)
            else:
                table.set(i, "enabled", not table.value(i, "enabled"))
        spare = sorted(self.never_ran - self.deleted_plans)
        for plan_id in rng.sample(spare, min(len(spare), k // 5)):
            self.deleted_plans.add(plan_id)

    def delete_plan(self, plan_id: int) -> None:
        """The plan is deleted: its jobs leave the explore; no new job runs for it."""
        running = [p[0] for p in self.plans if p[0] not in self.deleted_plans]
        if plan_id not in running and plan_id not in self.never_ran - self.deleted_plans:
            raise KeyError(f"no live scheduled plan {plan_id}")
        if running == [plan_id]:
            raise ValueError("the last live scheduled plan cannot be deleted")
        self.deleted_plans.add(plan_id)

    def visible(self, ctx: QueryContext) -> Callable[[int], bool] | None:
        if not self.deleted_plans:
            return None
        plan_ids, gone = self.stored["scheduled_plan_id"].values, self.deleted_plans
        return lambda i: plan_ids[i] not in gone

    def duration(self, rng: random.Random) -> int:
        return rng.randint(5, 600)

    def static_values(self, rng: random.Random) -> Row:
        plan = rng.choice(self.plans)
        if self.built and plan[0] in self.deleted_plans:
            # A deleted plan runs no more: the next live plan does (no extra random draw).
            k = self.plans.index(plan)
            ring = self.plans[k:] + self.plans[:k]
            plan = next(p for p in ring if p[0] not in self.deleted_plans)
        plan_id, name, crontab, owner = plan
        return {
            "scheduled_plan_id": plan_id,
            "user_id": owner,
            "scheduled_plan.id": plan_id,
            "scheduled_plan.name": name,
            "scheduled_plan.crontab": crontab,
        }

    def open_values(self) -> Row:
        return {"status": "running", "status_detail": None}

    def outcome(self, rng: random.Random, start: int, end: int) -> Row:
        status = _pick(rng, (("success", 85), ("failure", 10), ("skipped", 5)))
        detail = rng.choice(_JOB_FAILURES) if status == "failure" else None
        return {"status": status, "status_detail": detail}


# --- append-only logs ----------------------------------------------------------------------------


class Query(GeneratedExplore):
    """system__activity / query: query definitions; immutable once created."""

    name = "query"
    label = "Query"
    description = "Query definitions (model, explore, fields, filters) referenced by history"
    time_field = "created_time"
    default_rows = 300
    new_share = 0.5
    span_days = 365
    mean_age_days = 60.0

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            *timeframes("created"),
            dim("model", "string"),
            dim("view", "string", "Explore"),
            dim("fields", "string"),
            dim("filters", "string"),
            dim("sorts", "string"),
            dim("limit", "number"),
            dim("slug", "string"),
            dim("dynamic_fields", "string"),
        ]

    def add_api_query(self, body: dict[str, Any], slug: str, now: int) -> int:
        """A query body the API has not seen before gets a new query row; returns its id."""
        start = self.n
        query_id = (self.pk[-1] if self.n else 0) + 1
        limit = body.get("limit")
        try:
            limit = None if limit in (None, "") else int(str(limit))
        except ValueError:
            limit = None

        def text(value: Any) -> str | None:
            return None if not value else json.dumps(value)

        self.append(
            {
                "id": query_id,
                "created_time": now,
                "model": body.get("model"),
                "view": body.get("view"),
                "fields": text(body.get("fields")),
                "filters": text(body.get("filters")),
                "sorts": text(body.get("sorts")),
                "limit": limit,
                "slug": slug,
                "dynamic_fields": text(body.get("dynamic_fields")),
            }
        )
        self.fill_added(start)
        self.resort_moved([start])
        return query_id

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        model, explore, fields = rng.choice(_EXPLORE_FIELDS)
        chosen = rng.sample(fields, rng.randint(1, len(fields)))
        filters = None if rng.random() < 0.4 else {chosen[0]: rng.choice(("NOT NULL", ">10", "CA"))}
        return {
            "id": self.next_id(rng),
            "created_time": stamp,
            "model": model,
            "view": explore,
            "fields": json.dumps(chosen),
            "filters": None if filters is None else json.dumps(filters),
            "sorts": None if rng.random() < 0.5 else json.dumps([f"{chosen[0]} desc"]),
            "limit": rng.choice((500, 5000, -1, None)),
            "slug": "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22)),
            "dynamic_fields": None if rng.random() < 0.9 else '[{"table_calculation": "pct"}]',
        }


_EVENTS = (
    ("login", "auth", 30), ("logout", "auth", 8), ("login_failed", "auth", 3),
    ("create_dashboard", "content", 4), ("update_dashboard", "content", 10),
    ("delete_dashboard", "content", 1), ("create_look", "content", 3),
    ("update_look", "content", 5), ("delete_look", "content", 1),
    ("create_user", "admin", 2), ("update_user", "admin", 2), ("update_role", "admin", 1),
    ("create_api3_key", "admin", 1), ("update_setting", "admin", 1),
    ("create_scheduled_plan", "schedule", 3), ("run_scheduled_plan", "schedule", 10),
)  # fmt: skip


class Event(GeneratedExplore):
    """system__activity / event: logins, content and admin changes; append-only."""

    name = "event"
    label = "Event"
    description = "User and system events (logins, content changes, admin actions)"
    time_field = "created_time"
    default_rows = 400
    span_days = 180
    mean_age_days = 30.0

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("name", "string"),
            dim("category", "string"),
            *timeframes("created"),
            dim("user_id", "number", "User ID"),
            dim("sudo_user_id", "number", "Sudo User ID"),
            dim("is_admin", "yesno"),
            dim("is_api_call", "yesno", "Is API Call"),
            dim("is_looker_employee", "yesno"),
        ]

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        name, category, _ = rng.choices(_EVENTS, [w for *_, w in _EVENTS])[0]
        system = category == "schedule" and rng.random() < 0.5
        return {
            "id": self.next_id(rng),
            "name": name,
            "category": category,
            "created_time": stamp,
            "user_id": None if system else _user_id(rng),
            "sudo_user_id": _user_id(rng) if rng.random() < 0.03 else None,
            "is_admin": category == "admin" or rng.random() < 0.05,
            "is_api_call": rng.random() < 0.2,
            "is_looker_employee": rng.random() < 0.01,
        }


_ATTRIBUTES = {
    "auth": ("ip_address", "user_agent", "login_type"),
    "content": ("content_id", "title", "folder_id"),
    "admin": ("target_user_id", "role_id", "setting_name", "old_value", "new_value"),
    "schedule": ("scheduled_plan_id", "destination"),
}


class EventAttribute(GeneratedExplore):
    """system__activity / event_attribute: name/value pairs of events; event.* is joined.

    Attributes are written with their event and never change; `event.created_time` (a joined
    field) is this explore's time. A row belongs to its event: same time, ids in event order.
    """

    name = "event_attribute"
    label = "Event Attribute"
    description = "Attributes (name, value) of each event"
    time_field = "event.created_time"
    default_rows = 1000
    requires = ("event",)

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("event_id", "number", "Event ID"),
            dim("name", "string"),
            dim("value", "string"),
            dim("event.id", "number", "ID", view="event"),
            dim("event.name", "string", "Name", view="event"),
            *timeframes("created", view="event"),
        ]

    def late(self, rng: random.Random, k: int, late_by: int) -> None:
        """Nothing of its own: late events bring their attributes in advance()."""

    @property
    def events(self) -> GeneratedExplore:
        events = self.deps["event"]
        assert isinstance(events, GeneratedExplore)
        return events

    def generate(self, n: int, rng: random.Random) -> None:
        events = self.events
        counts = [0] * events.n
        for _ in range(n if events.n else 0):
            counts[rng.randrange(events.n)] += 1
        self.per_event = n / events.n if events.n else 2.5
        for e, count in enumerate(counts):
            self._attributes(rng, e, count)
        self.seen_events = events.n

    def _attributes(self, rng: random.Random, e: int, count: int) -> None:
        events = self.events
        category = events.value(e, "category")
        names = _ATTRIBUTES.get(category, ("detail",))
        for k in range(count):
            name = names[k % len(names)]
            value = None if rng.random() < 0.05 else f"{name}-{rng.randint(1, 9999)}"
            self.append(
                {
                    "id": self.next_id(rng),
                    "event_id": events.pk[e],
                    "name": name,
                    "value": value,
                    "event.id": events.pk[e],
                    "event.name": events.value(e, "name"),
                    "event.created_time": events.value(e, "created_time"),
                }
            )

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        """Attributes for the events added since the last advance (events move first)."""
        start = self.n
        whole, fraction = divmod(self.per_event, 1)
        for e in range(self.seen_events, self.events.n):
            self._attributes(rng, e, int(whole) + (rng.random() < fraction))
        self.seen_events = self.events.n
        self.fill_added(start)
        self.resort_moved(list(range(start, self.n)))


_PDT_CHECK = "trigger datagroup check"


class PdtEventLog(GeneratedExplore):
    """system__activity / pdt_event_log: PDT builds; duplicate-looking rows, ties.

    Rows come in transactions (`tid`) of several actions at the same or nearby seconds.
    Datagroup checks repeat the same action for the same PDT at the same second: such rows
    differ only in `sequence` (their position in the transaction). Append-only.
    """

    name = "pdt_event_log"
    label = "PDT Event Log"
    description = "Persistent derived table events: builds, regenerations, drops, checks"
    time_field = "created_time"
    pk_field = "id"  # a real numeric primary key, increasing with the insert order
    default_rows = 400
    new_share = 0.5
    span_days = 90
    mean_age_days = 20.0

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            *timeframes("created"),
            dim("action", "string"),
            dim("action_data", "string"),
            dim("connection", "string"),
            dim("model_name", "string"),
            dim("view_name", "string"),
            dim("table_name", "string"),
            dim("hash", "string"),
            dim("tid", "string", "Transaction ID"),
            dim("sequence", "number"),
        ]

    def _transaction(self, rng: random.Random, stamp: int, now: int) -> list[Row]:
        model, view, connection = rng.choice(_PDTS)
        tid = _hex(rng, 12)
        kind = _pick(rng, (("check", 40), ("regenerate", 50), ("drop", 10)))
        digest = _hex(rng, 32)
        table = f"LR${digest[:5]}_{view}"
        actions: list[tuple[str, int, str | None, str | None, str | None]]
        if kind == "check":
            actions = [(_PDT_CHECK, 0, None, None, None)] * rng.randint(2, 4)
        elif kind == "drop":
            actions = [("drop", 0, table, digest, '{"reason": "expired"}')]
        else:
            took = rng.randint(1, 120)
            ok = rng.random() < 0.9
            rows = f'{{"rows": {rng.randint(10, 10**6)}}}'
            actions = [
                ("regenerate begin", 0, None, digest, None),
                ("create begin", 0, table, digest, None),
                ("create complete" if ok else "create failed", took, table, digest,
                 rows if ok else '{"error": "SQL Error: disk full"}'),
                ("regenerate end", took, None, digest, None),
            ]  # fmt: skip
        return [
            {
                "created_time": min(stamp + offset, now),
                "action": action,
                "action_data": data,
                "connection": connection,
                "model_name": model,
                "view_name": view,
                "table_name": tablename,
                "hash": digest_value,
                "tid": tid,
                "sequence": seq,
            }
            for seq, (action, offset, tablename, digest_value, data) in enumerate(actions, 1)
        ]

    def _fill(
        self, rng: random.Random, n: int, stamps: Callable[[int], list[int]], now: int
    ) -> None:
        """Append n rows: transactions of about 2.6 rows at times from `stamps(count)`."""
        rows: list[Row] = []
        while len(rows) < n:
            for stamp in stamps(max(1, round((n - len(rows)) / 2.6))):
                rows.extend(self._transaction(rng, stamp, now))
        for row in rows[:n]:
            row["id"] = (self.pk[-1] if self.n else 0) + 1
            self.append(row)

    def generate(self, n: int, rng: random.Random) -> None:
        self._fill(rng, n, lambda k: self.build_stamps(rng, k), self.config.now)

    def append_new(self, rng: random.Random, k: int, old_now: int, new_now: int) -> None:
        self._fill(rng, k, lambda m: self.window_stamps(rng, m, old_now, new_now), new_now)

    def append_late(self, rng: random.Random, k: int, lo: int, hi: int) -> None:
        self._fill(rng, k, lambda m: sorted(rng.randint(lo, hi) for _ in range(m)), hi)


QUERY_METRICS_ALWAYS_FILTER = "7 days"


class QueryMetrics(GeneratedExplore):
    """system__activity / query_metrics ("Query Performance Metrics"): one row per query task,
    the seconds it spent in each phase of Looker's query lifecycle; append-only.

    A phase that did not happen is NULL: a cache hit loads from the result cache
    (`cache_load`) and skips the connection and main query; a cached model or explore leaves
    the `_computed` / `explore_init` timing NULL and fills the cached one; only queries that
    waited have `queued` / `per_user_throttler`. Most tasks finish well under 10 s, a few run
    for minutes (the database, or a PDT build). `query_task_id` joins `history.slug`.

    `always_filter`: `created_time` "7 days", unless the query filters `created_time` itself
    (the public LookML copies disagree; see docs/looker-compatibility.md).
    """

    name = "query_metrics"
    label = "Query Performance Metrics"
    description = "Timings of each phase of every query task (queue, init, connection, SQL)"
    time_field = "created_time"
    default_rows = 500
    span_days = HISTORY_RETENTION_DAYS
    mean_age_days = 15.0
    always_filter = (("created_time", QUERY_METRICS_ALWAYS_FILTER),)
    # Phase timings in seconds, in lifecycle order (async worker, initialization, connection
    # handling, main query, post query).
    TIMINGS = (
        "queued", "async_processing",
        "project_init", "model_init_computed", "model_init_cache", "explore_init",
        "marshalled_cache_load", "prepare",
        "per_user_throttler", "acquire_connection", "connection_held",
        "execute_main_query", "cache_load", "load_main_query_in_memory",
        "load_process_and_stream_main_query", "pdt", "execute_totals_query",
        "execute_row_totals_query", "execute_grand_totals_query",
        "post_processing", "stream_to_cache",
    )  # fmt: skip

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            *timeframes("created"),
            dim("query_task_id", "string", "Query Task ID"),
            *(dim(name, "number") for name in self.TIMINGS),
        ]

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        def secs(value: float) -> float:
            return round(value, 6)

        def maybe(p: float, draw: Callable[[], float]) -> float | None:
            return secs(draw()) if rng.random() < p else None

        t: dict[str, float | None] = dict.fromkeys(self.TIMINGS)
        asynchronous = rng.random() < 0.9  # the rest ran inline (no worker, no stream)
        if asynchronous:
            t["queued"] = maybe(0.15, lambda: rng.expovariate(1 / 1.5))
        t["project_init"] = secs(rng.uniform(0.001, 0.03))
        if rng.random() < 0.85:
            t["model_init_cache"] = secs(rng.uniform(0.001, 0.02))
        else:
            t["model_init_computed"] = secs(rng.lognormvariate(-1.5, 0.8))
        if rng.random() < 0.8:
            t["marshalled_cache_load"] = secs(rng.uniform(0.002, 0.05))
        else:
            t["explore_init"] = secs(rng.lognormvariate(-2.0, 0.9))
        t["prepare"] = secs(rng.lognormvariate(-3.5, 0.7))
        if rng.random() < 0.3:  # result-set cache hit: no connection, no main query
            t["cache_load"] = secs(rng.lognormvariate(-3.5, 0.8))
        else:
            t["per_user_throttler"] = maybe(0.05, lambda: rng.expovariate(1 / 4))
            t["acquire_connection"] = secs(
                rng.expovariate(1 / 0.8) if rng.random() < 0.03 else rng.uniform(0.001, 0.04)
            )
            t["pdt"] = maybe(0.03, lambda: rng.uniform(5, 300))
            slow = rng.random() < 0.04
            main = rng.uniform(30, 600) if slow else rng.lognormvariate(-0.3, 1.0)
            t["execute_main_query"] = secs(min(main, 900.0))
            load = rng.lognormvariate(-3.0, 1.0)
            if asynchronous and rng.random() < 0.2:
                t["load_process_and_stream_main_query"] = secs(load * 3)
            else:
                t["load_main_query_in_memory"] = secs(load)
            if rng.random() < 0.15:
                t["execute_totals_query"] = secs(main * rng.uniform(0.2, 0.9))
                t["execute_row_totals_query"] = maybe(0.3, lambda: main * rng.uniform(0.2, 0.9))
                t["execute_grand_totals_query"] = maybe(0.2, lambda: main * rng.uniform(0.2, 1))
            sql = sum(
                t[k] or 0.0
                for k in (
                    "execute_main_query", "load_main_query_in_memory",
                    "load_process_and_stream_main_query", "execute_totals_query",
                    "execute_row_totals_query", "execute_grand_totals_query",
                )
            )  # fmt: skip
            t["connection_held"] = secs(sql + rng.uniform(0.001, 0.02))
        t["post_processing"] = secs(rng.lognormvariate(-4.0, 1.0))
        if asynchronous:
            t["stream_to_cache"] = secs(rng.lognormvariate(-3.5, 1.0))
            work = sum(v or 0.0 for k, v in t.items() if k not in ("queued", "connection_held"))
            t["async_processing"] = secs(work + rng.uniform(0.001, 0.05))
        return {
            "id": self.next_id(rng),
            "created_time": stamp,
            "query_task_id": _hex(rng, 32),
            **t,
        }


# --- entity tables: full-table streams ---------------------------------------------------------

_UI_LOGIN = "user_facts.last_ui_login_date"
_API_LOGIN = "user_facts.last_api_login_date"


class User(GeneratedExplore):
    """system__activity / user: accounts; edited and disabled in place (no update time)."""

    name = "user"
    label = "User"
    description = "Looker users"
    default_rows = 60
    new_share = 0.05
    touch_share = 0.1
    span_days = 3 * 365
    mean_age_days = 365.0

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        # The instants behind user_facts.last_ui_login_date / last_api_login_date (None:
        # never), one per row; the dates are computed in the system time zone.
        self.logins: dict[str, list[int | None]] = {_UI_LOGIN: [], _API_LOGIN: []}
        super().__init__(config, rows, deps)

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("first_name", "string"),
            dim("last_name", "string"),
            dim("name", "string"),
            dim("email", "string"),
            *timeframes("created"),
            dim("is_disabled", "yesno"),
            dim("home_space_id", "string", "Home Space ID"),
            # Joined view user_facts: the date timeframes only (`_time` ones are unverified).
            dim(_UI_LOGIN, "date_date", "Last UI Login Date", group="last_ui_login",
                view="user_facts"),
            dim(_API_LOGIN, "date_date", "Last API Login Date", group="last_api_login",
                view="user_facts"),
        ]  # fmt: skip

    def computed_columns(self) -> dict[str, ComputedColumn]:
        def date_of(stamps: list[int | None]) -> Callable[[QueryContext], Getter]:
            def make(ctx: QueryContext) -> Getter:
                to_date = local_clock(ctx.wall or ctx.tz).date
                return lambda i: None if (t := stamps[i]) is None else to_date(t)

            return make

        return {name: ComputedColumn(date_of(stamps)) for name, stamps in self.logins.items()}

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        uid = self.next_id(rng)
        embed = rng.random() < 0.1  # embed users: no email, no name of their own
        first, last = (None, None) if embed else (rng.choice(_FIRST), rng.choice(_LAST))
        disabled = rng.random() < 0.08
        row = {
            "id": uid,
            "first_name": first,
            "last_name": last,
            "name": f"Embed User {uid}" if embed else f"{first} {last}",
            "email": None if embed else f"{first}.{last}{uid}@example.com".lower(),
            "created_time": stamp,
            "is_disabled": disabled,
            "home_space_id": None if embed else str(1000 + uid),
        }
        row.update(self._last_logins(uid, stamp, now, embed=embed, disabled=disabled))
        return row

    def _last_logins(
        self, uid: int, created: int, now: int, *, embed: bool, disabled: bool
    ) -> dict[str, int | None]:
        """When the user last logged in through the UI and the API (None: never), between
        its creation and now. Its own random stream per user: the other fields are drawn as
        before these existed."""
        rng = random.Random(f"looker-simulator:user_facts:{self.config.seed}:{uid}")
        life = max(0, now - created)
        idle_after = 91 * DAY  # idle: no UI login in the last 90 days

        def since_creation(latest_share: float) -> int:
            return created + int(life * latest_share * rng.random())

        ui: int | None
        if embed or rng.random() < 0.05:
            ui = None  # embed users sign in through their host application; invited, never came
        elif disabled and life > idle_after:
            ui = created + int((life - idle_after) * rng.random())  # long idle, then disabled
        elif disabled:
            ui = since_creation(0.5)
        elif life > idle_after and rng.random() < 0.25:
            ui = created + int((life - idle_after) * rng.random())  # idle for over 90 days
        else:
            ui = max(created, now - int(rng.expovariate(1 / (4 * DAY))) % idle_after)
        api: int | None = None
        if not embed and rng.random() < 0.25:  # most users never use the API
            api = (
                since_creation(0.6)
                if disabled
                else max(created, now - int(rng.expovariate(1 / (10 * DAY))))
            )
        return {_UI_LOGIN: ui, _API_LOGIN: api}

    def append(self, row: Row) -> None:
        for name, stamps in self.logins.items():
            stamps.append(row.get(name))
        super().append(row)

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        """Accounts change and appear as before; active users log in again meanwhile (their
        own random stream: the rest moves exactly as without user_facts)."""
        start = self.n
        super().advance(old_now, new_now, new_rows, touched_rows, rng)
        if new_now <= old_now:
            return
        logins = random.Random(f"looker-simulator:user_facts:{self.config.seed}:{new_now}")
        window, disabled = new_now - old_now, self.stored["is_disabled"].values
        active_since = old_now - 90 * DAY
        for i in range(start):
            if disabled[i]:
                continue
            for name, mean_gap in ((_UI_LOGIN, 3 * DAY), (_API_LOGIN, 7 * DAY)):
                last = self.logins[name][i]
                if last is None or last < active_since:
                    continue  # never (that way) or idle: stays so
                if logins.random() < 1 - math.exp(-window / mean_gap):
                    self.logins[name][i] = max(last, logins.randint(old_now + 1, new_now))

    def touch(self, rng: random.Random, k: int, old_now: int, new_now: int) -> list[int]:
        for i in rng.sample(range(self.n), min(k, self.n)):
            if rng.random() < 0.5:
                self.set(i, "is_disabled", not self.value(i, "is_disabled"))
            elif self.value(i, "last_name") is not None:
                last = rng.choice(_LAST)
                self.set(i, "last_name", last)
                self.set(i, "name", f"{self.value(i, 'first_name')} {last}")
            else:
                self.set(i, "email", f"user{self.pk[i]}@example.com")
        return []


class _Content(GeneratedExplore):
    """Dashboards and Looks: one row per id of the ContentCatalog shared with content_usage.

    Titles live in the catalog (renames show in content_usage.content_title too). Every id
    content_usage references has a row, except content deleted for good; ids content_usage
    skipped are dashboards/Looks nobody opened. Soft deletes set deleted_time (NULL
    otherwise); restores clear it.
    """

    ctype = ""  # "dashboard" or "look"
    prefix = ""  # field-name prefix: "dashboard." when the fields belong to a joined view
    new_share = 0.1
    touch_share = 0.2
    span_days = 3 * 365
    mean_age_days = 300.0
    requires = ("content_usage",)

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        self.synced = 0  # catalog log entries already turned into rows
        # Values that are not fields of the explore: name -> one value per row.
        self.extra: dict[str, list[Any]] = {"tiles": [], "slug": [], "updated": []}
        super().__init__(config, rows, deps)

    @property
    def catalog(self) -> ContentCatalog:
        usage = self.deps["content_usage"]
        assert isinstance(usage, ContentUsage)
        return usage.catalog

    def f(self, name: str) -> str:
        return self.prefix + name

    def common_fields(self) -> list[FieldDef]:
        view = self.prefix[:-1] or None
        return [
            dim(self.f("id"), "number", "ID", pk=True, view=view),
            dim(self.f("title"), "string", view=view),
            dim(self.f("description"), "string", view=view),
            *timeframes("created", view=view),
            *timeframes("deleted", view=view),
            dim(self.f("user_id"), "number", "User ID", view=view),
            dim(self.f("space_id"), "number", "Space ID", view=view, hidden=True),
        ]

    def computed_columns(self) -> dict[str, ComputedColumn]:
        titles, pk = self.catalog.titles[self.ctype], self.pk

        def title(ctx: QueryContext) -> Getter:
            return lambda i: titles.get(pk[i])

        return {self.f("title"): ComputedColumn(title)}

    def extra_values(self, rng: random.Random, stamp: int, now: int) -> Row:
        """Type-specific field values of a new row."""
        return {}

    def _new_ids(self, extra: int) -> list[int]:
        """Catalog ids without a row yet (minus content deleted for good), plus `extra` new."""
        log, titles = self.catalog.log[self.ctype], self.catalog.titles[self.ctype]
        ids = [num for num, accessed in log[self.synced :] if not accessed or titles.get(num)]
        ids += [self.catalog.allocate(self.ctype, accessed=False) for _ in range(extra)]
        self.synced = len(log)
        return ids

    def _row(self, rng: random.Random, num: int, stamp: int, now: int) -> Row:
        titles = self.catalog.titles[self.ctype]
        if titles.get(num) is None:
            titles[num] = _title(rng)
        deleted = rng.random() < 0.07
        row: Row = {
            self.f("id"): num,
            self.f("description"): None
            if rng.random() < 0.6
            else f"Owned by the {rng.choice(_TOPICS)} team",
            self.f("created_time"): stamp,
            self.f("deleted_time"): rng.randint(stamp, now) if deleted else None,
            self.f("user_id"): None if rng.random() < 0.05 else _user_id(rng),
            self.f("space_id"): rng.randint(1, 40),
            "tiles": 0 if rng.random() < 0.15 else rng.randint(1, 12),
            "slug": "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22)),
            "updated": stamp if rng.random() < 0.5 else rng.randint(stamp, now),
        }
        row.update(self.extra_values(rng, stamp, now))
        return row

    def append(self, row: Row) -> None:
        for name, values in self.extra.items():
            values.append(row.get(name))
        super().append(row)

    def generate(self, n: int, rng: random.Random) -> None:
        ids = self._new_ids(0)
        ids += self._new_ids(max(0, n - len(ids)))
        now = self.config.now
        for num, stamp in zip(ids, self.build_stamps(rng, len(ids)), strict=True):
            self.append(self._row(rng, num, stamp, now))

    def append_new(self, rng: random.Random, k: int, old_now: int, new_now: int) -> None:
        ids = self._new_ids(k)
        for num, stamp in zip(
            ids, self.window_stamps(rng, len(ids), old_now, new_now), strict=True
        ):
            self.append(self._row(rng, num, stamp, new_now))

    def updated(self, i: int, stamp: int) -> None:
        self.extra["updated"][i] = stamp

    def touch(self, rng: random.Random, k: int, old_now: int, new_now: int) -> list[int]:
        lo = old_now + 1 if new_now > old_now else new_now
        deleted_time = self.f("deleted_time")
        titles = self.catalog.titles[self.ctype]
        for i in rng.sample(range(self.n), min(k, self.n)):
            roll, stamp = rng.random(), rng.randint(lo, new_now)
            deleted = self.value(i, deleted_time) is not None
            if roll < 0.2 and not deleted:
                self.set(i, deleted_time, stamp)  # moved to the trash
            elif roll < 0.3 and deleted:
                self.set(i, deleted_time, None)  # restored from the trash
            elif roll < 0.4:
                tiles = self.extra["tiles"]
                tiles[i] = rng.randint(1, 12) if tiles[i] == 0 else rng.choice((0, tiles[i] + 1))
                self.updated(i, stamp)
            elif roll < 0.6:
                self.set(i, self.f("space_id"), rng.randint(1, 40))
                self.updated(i, stamp)
            else:
                titles[self.pk[i]] = _title(rng)
                self.updated(i, stamp)
        return []


_TILE_TYPES = (("vis", 75), ("text", 15), ("data", 10))
_TILE_METRICS = ("Revenue", "Orders", "Active Users", "Conversion", "Churn", "Pipeline",
                 "Margin", "Tickets", "Sessions", "Returns")  # fmt: skip
_TILE_BY = ("by Month", "by Region", "by Week", "Trend", "vs. Target", "Top 10", "")
_ELEMENT = "dashboard_element"


class Dashboard(_Content):
    """system__activity / dashboard: user-defined dashboards, seen through their tiles.

    The explore's base view is dashboard_layout_component (dashboard joined through its
    layouts), so a dashboard without tiles has no row here; GET /dashboards/search lists
    every dashboard.

    The tiles have a table of their own (`tables["dashboard_element"]`, see ViewTable): a
    query of `dashboard_element.*` fields alone answers one row per tile of the dashboards
    the explore shows (tiles > 0). A dashboard with `tiles` T has T live tiles
    (`deleted_time` NULL): type vis (about 75 %), text or data; about a third of the vis
    tiles show a saved Look (`look_id` of a Look of the ContentCatalog, `query_id` NULL), the
    other vis and data tiles their own query (`query_id`), text tiles neither (and no
    `title`). Deleted tiles keep their row (`deleted_time` set): about one dashboard in
    seven has one when the data is built. When `advance()` changes a dashboard's tile count
    (touch), tiles are added (created at its update), half the time replacing one (deleted),
    or all its live tiles are deleted (count 0: the dashboard and its tiles leave the
    explore); new dashboards get their tiles. `dashboard_element.count` (LookML `measure:
    count { type: count }` of the view) counts the tiles a query of that view alone keeps
    (deleted tiles included unless filtered out). Own random streams: the dashboards are as
    before. Not modelled: tiles moved between dashboards or changed in place, merge-query
    tiles, a query mixing tile and dashboard fields (refused: see `query._route`).
    """

    name = "dashboard"
    view = "dashboard_layout_component"
    ctype = "dashboard"
    prefix = "dashboard."
    pk_field = "dashboard.id"
    label = "Dashboard"
    description = "User-defined dashboards"
    default_rows = 120
    view_only = frozenset(
        f"{_ELEMENT}.{name}"
        for name in (
            "id", "dashboard_id", "look_id", "query_id", "type", "title", "created_time",
            "created_date", "deleted_time", "deleted_date", "count",
        )
    )  # fmt: skip

    def define_measures(self) -> list[FieldDef]:
        tiles = FieldDef(f"{_ELEMENT}.count", "count", "Count", "measure", view=_ELEMENT)
        return [*super().define_measures(), tiles]

    def define_fields(self) -> list[FieldDef]:
        tile = _ELEMENT
        return [
            *self.common_fields(),
            dim("dashboard.hidden", "yesno", "Is Hidden", view="dashboard"),
            dim("dashboard.refresh_interval", "string", view="dashboard"),
            dim("dashboard.query_timezone", "string", view="dashboard"),
            dim(f"{tile}.id", "number", "ID", pk=True, view=tile,
                description="The unique numeric identifier for a dashboard tile"),
            dim(f"{tile}.dashboard_id", "number", "Dashboard ID", view=tile, hidden=True),
            dim(f"{tile}.look_id", "number", "Look ID", view=tile, hidden=True),
            dim(f"{tile}.query_id", "number", "Query ID", view=tile, hidden=True),
            dim(f"{tile}.type", "string", view=tile,
                description="The type of dashboard tile: data, visualization, or text"),
            dim(f"{tile}.title", "string", view=tile,
                description="The title of a dashboard tile"),
            *timeframes("created", view=tile),
            *timeframes("deleted", view=tile),
        ]  # fmt: skip

    def extra_values(self, rng: random.Random, stamp: int, now: int) -> Row:
        return {
            "dashboard.hidden": rng.random() < 0.05,
            "dashboard.refresh_interval": None
            if rng.random() < 0.85
            else rng.choice(("15 minutes", "1 hour")),
            "dashboard.query_timezone": None
            if rng.random() < 0.7
            else rng.choice(("UTC", "Europe/Berlin")),
        }

    def visible(self, ctx: QueryContext) -> Callable[[int], bool] | None:
        tiles = self.extra["tiles"]
        return lambda i: tiles[i] > 0

    # -- tiles (dashboard_element) -------------------------------------------------------

    def generate(self, n: int, rng: random.Random) -> None:
        super().generate(n, rng)
        tiles = self.extra["tiles"]
        self.tile_of: list[int] = []  # tile row -> its dashboard's row
        self.live_tiles: list[list[int]] = []  # dashboard row -> its live tile rows
        tile_of = self.tile_of
        self.tables[_ELEMENT] = ViewTable(self, _ELEMENT, lambda j: tiles[tile_of[j]] > 0)
        self._looks: list[int] | None = None
        rng = random.Random(f"looker-simulator:{_ELEMENT}:{self.config.seed}")
        self._sync_tiles(rng, building=True)

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        super().advance(old_now, new_now, new_rows, touched_rows, rng)
        seed, now = self.config.seed, self.config.now
        rng = random.Random(f"looker-simulator:{_ELEMENT}:{seed}:{old_now}:{now}")
        self._looks = None  # Looks added since are candidates too
        self._sync_tiles(rng, building=False)

    def _sync_tiles(self, rng: random.Random, building: bool) -> None:
        """Give every dashboard as many live tiles as its `tiles` count: new ones appended
        (ids in order), surplus ones deleted (their rows stay, deleted_time set). Built with
        the data: tiles date from the dashboard's creation on, and about one dashboard in
        seven also has a tile deleted since. Later, a dashboard whose tile count grows has
        one of its tiles replaced half the time (deleted, and one more added); changes are
        stamped with the dashboard's last update."""
        tiles, now = self.extra["tiles"], self.config.now
        while len(self.live_tiles) < self.n:
            self.live_tiles.append([])
        for i in range(self.n):
            live, want = self.live_tiles[i], tiles[i]
            created = self.value(i, "dashboard.created_time")
            if building and want and rng.random() < 0.15:
                stamp = rng.randint(created, now)
                self._new_tile(rng, i, stamp, deleted=rng.randint(stamp, now))
            if len(live) == want:
                continue
            changed = max(created, self.extra["updated"][i])
            while len(live) > want:
                self._delete_tile(live.pop(), changed)
            if not building and live and len(live) < want and rng.random() < 0.5:
                self._delete_tile(live.pop(rng.randrange(len(live))), changed)  # replaced
            while len(live) < want:
                if not building:
                    stamp = changed  # added when the dashboard was changed
                elif rng.random() < 0.6:
                    stamp = min(now, created + rng.randint(0, 3600))  # built with it
                else:
                    stamp = rng.randint(created, now)
                live.append(self._new_tile(rng, i, stamp))

    def _delete_tile(self, row: int, stamp: int) -> None:
        table = self.tables[_ELEMENT]
        table.set(row, "deleted_time", max(stamp, table.value(row, "created_time")))

    def _new_tile(self, rng: random.Random, i: int, stamp: int, deleted: int | None = None) -> int:
        """A tile of dashboard row i created at `stamp`; its row."""
        table = self.tables[_ELEMENT]
        kind = _pick(rng, _TILE_TYPES)
        on_look = kind == "vis" and rng.random() < 1 / 3
        title = None
        if kind != "text" and rng.random() < 0.92:
            title = f"{rng.choice(_TILE_METRICS)} {rng.choice(_TILE_BY)}".strip()
        look_id = None
        if on_look:
            if self._looks is None:  # the catalog's Looks, read once per sync
                self._looks = _catalog_ids(self.deps, "look")
            look_id = _content_ref(rng, self._looks, 150)
        self.tile_of.append(i)
        return table.append(
            {
                "id": (table.pk[-1] if table.n else 0) + 1,
                "dashboard_id": self.pk[i],
                "look_id": look_id,
                "query_id": rng.randint(1, 300) if kind != "text" and not on_look else None,
                "type": kind,
                "title": title,
                "created_time": stamp,
                "deleted_time": deleted,
            }
        )

    def api_records(self, usage: ContentUsage) -> list[dict[str, Any]]:
        """Every dashboard as API 4.0 `Dashboard` JSON (GET /dashboards/search)."""
        views: dict[int, tuple[int, int, int]] = {}
        types, ref = usage.stored["content_type"].values, usage.ref
        other, fav = usage.stored["other_count"].values, usage.stored["favorite_count"].values
        for i in range(usage.n):
            if types[i] == "dashboard" and ref[i]:
                views[ref[i]] = (other[i], fav[i], usage.times[i])
        titles = self.catalog.titles["dashboard"]
        out: list[dict[str, Any]] = []
        for i in range(self.n):
            num = self.pk[i]
            deleted = self.value(i, "dashboard.deleted_time")
            user = self.value(i, "dashboard.user_id")
            seen = views.get(num)
            out.append(
                {
                    "id": str(num),
                    "title": titles.get(num),
                    "description": self.value(i, "dashboard.description"),
                    "user_id": None if user is None else str(user),
                    "folder_id": str(self.value(i, "dashboard.space_id")),
                    "created_at": _iso(self.value(i, "dashboard.created_time")),
                    "updated_at": _iso(self.extra["updated"][i]),
                    "deleted_at": _iso(deleted),
                    "deleted": deleted is not None,
                    "hidden": bool(self.value(i, "dashboard.hidden")),
                    "slug": self.extra["slug"][i],
                    "query_timezone": self.value(i, "dashboard.query_timezone"),
                    "refresh_interval": self.value(i, "dashboard.refresh_interval"),
                    "readonly": False,
                    "content_metadata_id": str(num + 1000),
                    "view_count": None if seen is None else seen[0],
                    "favorite_count": None if seen is None else seen[1],
                    "last_accessed_at": None if seen is None else _iso(seen[2]),
                    "url": f"/dashboards/{num}",
                    "model": None,
                }
            )
        return out


def _iso(stamp: int | None) -> str | None:
    """Epoch seconds as the REST API shows times: ISO 8601 with milliseconds and offset."""
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


class Look(_Content):
    """system__activity / look: saved Looks, every one (deleted ones flagged)."""

    name = "look"
    ctype = "look"
    label = "Look"
    description = "Saved Looks"
    default_rows = 150

    def define_fields(self) -> list[FieldDef]:
        return [
            *self.common_fields(),
            *timeframes("updated"),
            dim("public", "yesno", "Is Public"),
            dim("query_id", "number", "Query ID"),
        ]

    def extra_values(self, rng: random.Random, stamp: int, now: int) -> Row:
        return {"public": rng.random() < 0.03, "query_id": rng.randint(1, 300)}

    def append(self, row: Row) -> None:
        row["updated_time"] = row["updated"]
        super().append(row)

    def updated(self, i: int, stamp: int) -> None:
        super().updated(i, stamp)
        self.set(i, "updated_time", stamp)  # "when the Look or its underlying query was updated"


# --- another model -------------------------------------------------------------------------------

_BRANDS = ("Levi's", "Calvin Klein", "Carhartt", "Columbia", "Nike", "Hanes", "Champion",
           "Tommy Hilfiger", "Quiksilver", "Allegra K", "Dockers", "Patagonia")  # fmt: skip
_CATEGORIES = ("Jeans", "Tops & Tees", "Outerwear & Coats", "Sweaters", "Active", "Intimates",
               "Swim", "Accessories", "Shorts", "Socks", "Pants", "Dresses")  # fmt: skip


def _mix(n: int) -> int:
    """A well-spread hash of a non-negative id (Knuth's multiplicative hash, 32 bits)."""
    return ((n * 2654435761) & 0xFFFFFFFF) >> 8


_STATES = (("California", 20), ("Texas", 12), ("New York", 10), ("Bavaria", 5), (None, 3))


class OrderItems(GeneratedExplore):
    """thelook / order_items: a business explore (not System Activity), users.* joined."""

    model = "thelook"
    name = "order_items"
    label = "Order Items"
    description = "Order lines of the demo e-commerce model"
    time_field = "created_time"
    default_rows = 300
    new_share = 0.5
    span_days = 365
    mean_age_days = 90.0

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("order_id", "number", "Order ID"),
            dim("user_id", "number", "User ID"),
            dim("status", "string"),
            dim("sale_price", "number", tags=("revenue",)),
            *timeframes("created"),
            dim("returned_time", "date_time", group="returned"),
            dim("users.state", "string", "State", view="users"),
            dim("users.country", "string", "Country", view="users"),
            # Added later: values derived from the row's ids (no random draw), so the fields
            # above keep their values.
            dim("inventory_item_id", "number", "Inventory Item ID", hidden=True),
            dim("users.age", "number", "Age", view="users"),
            dim("users.email", "string", "Email", view="users", tags=("email", "pii")),
            dim("products.brand", "string", "Brand", view="products"),
            dim("products.category", "string", "Category", view="products"),
            dim("products.sku", "string", "SKU", view="products", hidden=True),
        ]

    @staticmethod
    def derived(item_id: int, user_id: int) -> Row:
        """The fields derived from an order line's id and its user's id."""
        product = 1 + _mix(item_id) % 1200
        return {
            "inventory_item_id": 40_000 + item_id,
            "users.age": 18 + _mix(user_id) % 62,
            "users.email": f"user{user_id}@example.com",
            "products.brand": _BRANDS[_mix(product) % len(_BRANDS)],
            "products.category": _CATEGORIES[_mix(product + 7) % len(_CATEGORIES)],
            "products.sku": f"{_mix(product + 13):08X}",
        }

    def new_row(self, rng: random.Random, stamp: int, now: int) -> Row:
        status = _pick(
            rng, (("Complete", 60), ("Shipped", 20), ("Processing", 12), ("Returned", 8))
        )
        state = _pick(rng, _STATES)
        row = {
            "id": self.next_id(rng),
            "order_id": 1 + self.n // 2,
            "user_id": _user_id(rng, 5000),
            "status": status,
            "sale_price": round(rng.uniform(2, 400), 2),
            "created_time": stamp,
            "returned_time": min(now, stamp + rng.randint(DAY, 30 * DAY))
            if status == "Returned"
            else None,
            "users.state": state,
            "users.country": None
            if state is None
            else ("Germany" if state == "Bavaria" else "USA"),
        }
        row.update(self.derived(row["id"], row["user_id"]))
        return row
