"""system__activity / content_usage, and the dashboard/Look catalog it shares.

Built column by column (not row by row) so a 1,000,000-row instance builds in seconds.
"""

from __future__ import annotations

import itertools
import math
import random
from array import array
from collections.abc import Mapping
from typing import Any

from .explore import (
    NULL_TIME,
    ComputedColumn,
    DataConfig,
    Explore,
    FieldDef,
    Getter,
    QueryContext,
    StoredColumn,
    dim,
    timeframes,
)
from .values import local_clock

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

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        """`rows` defaults to the simulator's `rows` (config.rows)."""
        super().__init__(config, rows, deps)
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
        self._generate(config.rows if rows is None else max(0, rows), rng)

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("content_id", "string", "Content ID"),
            dim("content_title", "string"),
            dim("content_type", "string"),
            dim("api_count", "number", "API Count"),
            dim("embed_count", "number"),
            dim("public_count", "number"),
            dim("schedule_count", "number"),
            dim("other_count", "number", "View Count"),
            dim("favorite_count", "number"),
            dim("days_since_last_accessed", "number"),
            dim("days_since_last_access_tiers", "tier"),
            *timeframes("last_accessed"),
        ]

    def define_measures(self) -> list[FieldDef]:
        return [
            FieldDef("api_total", "sum", "API Total", "measure", measure_of="api_count"),
            FieldDef("embed_total", "sum", "Embed Total", "measure", measure_of="embed_count"),
            FieldDef("public_total", "sum", "Public Total", "measure", measure_of="public_count"),
            FieldDef(
                "schedule_total", "sum", "Schedule Total", "measure", measure_of="schedule_count"
            ),
            FieldDef("other_total", "sum", "View Total", "measure", measure_of="other_count"),
            *super().define_measures(),
        ]

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
            # catalog.allocate(), inlined: a million calls add up at build time.
            catalog = self.catalog
            num = catalog.next_id[ctype]
            log = catalog.log[ctype]
            log.append((num, True))
            if r % 7 == 0:
                log.append((num + 1, False))  # a never-opened one
            catalog.next_id[ctype] = num + 1 + (r % 7 == 0)
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
