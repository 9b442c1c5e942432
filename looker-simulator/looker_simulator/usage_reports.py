"""system__activity / field_usage and api_usage: the usage-report explores without a time.

- field_usage: one row per (model, explore, field) some query has used, with a lifetime
  counter. The fields are the simulator's own LookML (every explore in `dataset.EXPLORES`,
  whose module sets `FieldUsage.catalog`), so about a third of them have no row: the unused
  fields a catalog report must find. Counters only grow; a field used for the first time
  gets a new row (next id).
- api_usage: one row per (day, endpoint) with calls that day, endpoints named by their
  looker-sdk method; `created_date` is a stored calendar date (no time behind it). Time
  passing adds calls (today's rows grow, a new day gets new rows); with
  `record_api_queries`, the calls the simulator itself serves are counted too.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Mapping

from .activity import DAY, GeneratedExplore, _share
from .explore import DataConfig, Explore, FieldDef, dim, timeframes

# --- field_usage ---------------------------------------------------------------------------------

# (model, explore, full field name, field) of every field of the simulator's LookML.
FieldCatalog = tuple[tuple[str, str, str, FieldDef], ...]


def field_catalog(kinds: Iterable[type[Explore]]) -> FieldCatalog:
    """Every dimension and measure the explores' LookML declares, explore by explore."""
    return tuple((kind.model, kind.name, full, f) for kind in kinds for full, f in kind.lookml())


# How much an explore is queried, relative to a System Activity explore (business models are
# the instance's main use; the usage-report explores are opened now and then by an admin).
_EXPLORE_WEIGHT = {
    "order_items": 12.0,
    "history": 4.0,
    "content_usage": 3.0,
    "user": 2.0,
    "dashboard": 2.0,
    "look": 2.0,
    "query": 1.5,
    "event": 1.5,
    "field_usage": 0.3,
    "api_usage": 0.4,
    "query_metrics": 0.3,
}


def _field_weight(explore: str, f: FieldDef) -> float:
    """How likely a field is used, and how often once it is."""
    weight = _EXPLORE_WEIGHT.get(explore, 1.0)
    if f.hidden:
        weight *= 0.15  # not in the field picker: only LookML references and API queries
    if f.primary_key or f.looker_type in {"count", "date_date"}:
        weight *= 3.0
    elif f.looker_type == "date_time" or f.category == "measure":
        weight *= 2.0
    if f.view is not None:
        weight *= 0.6  # a joined view's field
    return weight


class FieldUsage(GeneratedExplore):
    """system__activity / field_usage: how often each field has been used (lifetime).

    `rows` is the number of fields used so far (at most the catalog's size); the default
    leaves about a third of the catalog unused. `advance(new_rows=N, touched_rows=M)`: about
    M/2 used fields are used again (counters grow, never shrink, popular ones most often)
    and about N/20 fields (at least one) are used for the first time, while any is left.
    """

    name = "field_usage"
    label = "Field Usage"
    description = "How many times each field of each explore has been used in queries"
    default_rows = 112
    new_share = 0.05
    touch_share = 0.5
    catalog: FieldCatalog = ()  # set by dataset.py from its registry of explores

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        self.entry: list[int] = []  # row -> its catalog index
        self.weights = [_field_weight(explore, f) for _, explore, _, f in self.catalog]
        super().__init__(config, rows, deps)

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("model", "string"),
            dim("explore", "string"),
            dim("base_view", "string", "Base View", hidden=True,
                description="The older name of explore (same value)"),
            dim("field", "string", description="The field's full LookML name, view.field"),
            dim("times_used_dim", "number", "Times Used", hidden=True),
        ]  # fmt: skip

    def define_measures(self) -> list[FieldDef]:
        return [
            FieldDef("count", "count", "Count", "measure"),
            FieldDef(
                "times_used",
                "sum",
                "Times Used",
                "measure",
                description="How many times the field has been used in queries (lifetime)",
                measure_of="times_used_dim",
            ),
        ]

    def used(self) -> set[int]:
        return set(self.entry)

    def times_used(self, model: str, explore: str) -> dict[str, int]:
        """Full field name -> its lifetime count, for one explore's used fields."""
        counts = self.stored["times_used_dim"].values
        out: dict[str, int] = {}
        for row, index in enumerate(self.entry):
            m, e, full, _ = self.catalog[index]
            if m == model and e == explore:
                out[full] = counts[row]
        return out

    def _first_use(self, rng: random.Random, index: int, times: int) -> None:
        model, explore, full, _ = self.catalog[index]
        self.entry.append(index)
        self.append(
            {
                "id": self.next_id(rng),
                "model": model,
                "explore": explore,
                "base_view": explore,
                "field": full,
                "times_used_dim": times,
            }
        )

    def _pick_unused(self, rng: random.Random, k: int) -> list[int]:
        """k unused catalog indices, popular fields more likely, in first-use order."""
        used = self.used()
        keyed = [
            (rng.random() ** (1.0 / w), i)
            for i, w in enumerate(self.weights)
            if i not in used and w > 0
        ]
        keyed.sort(reverse=True)
        return [i for _, i in keyed[:k]]

    def generate(self, n: int, rng: random.Random) -> None:
        for index in self._pick_unused(rng, n):
            # Lifetime counts: log-normal, scaled by popularity (a few thousands, many a few).
            times = self.weights[index] * math.exp(rng.gauss(1.5, 1.8))
            self._first_use(rng, index, max(1, int(times)))

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        start = self.n
        counts = self.stored["times_used_dim"].values
        touched = _share(touched_rows, self.touch_share)
        if touched and self.n:
            for i in rng.choices(range(self.n), weights=counts, k=touched):
                counts[i] += 1 + int(rng.expovariate(1.0 / (1 + counts[i] / 100)))
        for index in self._pick_unused(rng, _share(new_rows, self.new_share)):
            self._first_use(rng, index, rng.randint(1, 3))
        self.fill_added(start)


# --- api_usage -----------------------------------------------------------------------------------

# looker-sdk method -> mean calls on a weekday, for an instance driven by a few integrations
# (a BI extract, an embed app, a content-cleanup script): inline queries and logins dominate.
_ENDPOINTS: tuple[tuple[str, float], ...] = (
    ("run_inline_query", 2400.0),
    ("login", 900.0),
    ("logout", 300.0),
    ("me", 420.0),
    ("lookml_model_explore", 260.0),
    ("all_lookml_models", 70.0),
    ("lookml_model", 45.0),
    ("create_query", 160.0),
    ("run_query", 150.0),
    ("run_look", 140.0),
    ("look", 45.0),
    ("search_looks", 25.0),
    ("all_looks", 6.0),
    ("search_dashboards", 90.0),
    ("dashboard", 70.0),
    ("all_dashboards", 12.0),
    ("dashboard_dashboard_elements", 20.0),
    ("create_dashboard_render_task", 14.0),
    ("render_task", 55.0),
    ("render_task_results", 14.0),
    ("all_users", 9.0),
    ("user", 35.0),
    ("search_users", 6.0),
    ("create_embed_url_as_me", 30.0),
    ("acquire_embed_cookieless_session", 40.0),
    ("all_folders", 4.0),
    ("folder", 9.0),
    ("versions", 20.0),
    ("all_connections", 1.0),
    ("create_sql_query", 2.0),
    ("run_sql_query", 2.0),
    ("scheduled_plans_for_dashboard", 1.5),
    ("create_scheduled_plan", 0.3),
    ("update_dashboard", 0.8),
    ("delete_look", 0.2),
)
_ENDPOINT_ORDER = {name: k for k, (name, _) in enumerate(_ENDPOINTS)}


def _weekday_factor(day: int) -> float:
    """Day number (days since 1970-01-01, a Thursday) -> traffic factor: weekends are quiet."""
    return 0.35 if (day + 3) % 7 >= 5 else 1.0


def _calls(rng: random.Random, mean: float) -> int:
    """A Poisson-like count with that mean."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class ApiUsage(GeneratedExplore):
    """system__activity / api_usage: API calls per day and endpoint (looker-sdk method name).

    `rows` (day, endpoint) rows with calls over the last 90 days, today included (its calls
    so far); busy endpoints have a row every day, rare ones now and then. `advance(seconds)`
    adds the calls of the advanced window: today's rows grow, a new day gets new rows (ids in
    insertion order, so a day's late first call of an endpoint has a higher id than the next
    day's rows of other endpoints)."""

    name = "api_usage"
    label = "API Usage"
    description = "API calls per day and endpoint"
    default_rows = 2800
    span_days = 90

    def __init__(
        self,
        config: DataConfig,
        rows: int | None = None,
        deps: Mapping[str, Explore] | None = None,
    ) -> None:
        self.row_at: dict[tuple[int, str], int] = {}  # (day number, endpoint) -> row
        super().__init__(config, rows, deps)

    def define_fields(self) -> list[FieldDef]:
        return [
            dim("id", "number", "ID", pk=True),
            dim("endpoint", "string", description="The API method called"),
            # Looker lists date timeframes only for API Usage: a stored date, no time.
            *timeframes("created", frames=("date",)),
            # The table's column is `count`; LookML-facing name usage_count, summed below.
            dim("usage_count", "number", "Usage Count", hidden=True),
        ]

    def define_measures(self) -> list[FieldDef]:
        return [
            FieldDef("count", "count", "Count", "measure"),
            FieldDef("total_usage", "sum", "Total Usage", "measure", measure_of="usage_count"),
        ]

    def _add(self, day: int, endpoint: str, calls: int) -> None:
        row = self.row_at.get((day, endpoint))
        if row is not None:
            self.stored["usage_count"].values[row] += calls
            return
        self.row_at[(day, endpoint)] = self.n
        self.append(
            {
                "id": (self.pk[-1] if self.n else 0) + 1,
                "endpoint": endpoint,
                "created_date": _date(day),
                "usage_count": calls,
            }
        )

    def generate(self, n: int, rng: random.Random) -> None:
        now = self.config.now
        today = now // DAY
        cells: list[tuple[float, int, str, float]] = []
        for day in range(today - self.span_days + 1, today + 1):
            elapsed = min(1.0, (now - day * DAY) / DAY)
            for endpoint, mean in _ENDPOINTS:
                # A day's traffic varies around the endpoint's mean.
                expected = mean * _weekday_factor(day) * elapsed * rng.lognormvariate(0, 0.35)
                if expected > 0:
                    # A row exists when u < P(at least one call): the n cells of smallest
                    # u / P are that draw, made exactly n rows (busy endpoints come first).
                    chance = 1.0 - math.exp(-expected)
                    cells.append((rng.random() / chance, day, endpoint, expected))
        cells.sort()
        chosen = sorted(cells[:n], key=lambda c: (c[1], _ENDPOINT_ORDER[c[2]]))
        for _, day, endpoint, expected in chosen:
            self._add(day, endpoint, max(1, _calls(rng, expected)))

    def advance(
        self, old_now: int, new_now: int, new_rows: int, touched_rows: int, rng: random.Random
    ) -> None:
        """The calls of the window (old_now, new_now], day by day."""
        if new_now <= old_now:
            return
        start = self.n
        for day in range(old_now // DAY, (new_now - 1) // DAY + 1):
            share = (min(new_now, (day + 1) * DAY) - max(old_now, day * DAY)) / DAY
            for endpoint, mean in _ENDPOINTS:
                calls = _calls(rng, mean * _weekday_factor(day) * share)
                if calls:
                    self._add(day, endpoint, calls)
        self.fill_added(start)

    def record_call(self, endpoint: str, stamp: int) -> None:
        """One call the simulator served (its own API footprint) at `stamp`."""
        start = self.n
        self._add(stamp // DAY, endpoint, 1)
        self.fill_added(start)


_EPOCH = dt.date(1970, 1, 1)


def _date(day: int) -> dt.date:
    """Day number (days since 1970-01-01) -> its date."""
    return _EPOCH + dt.timedelta(days=day)
