"""The public in-process API: `LookerSimulator`."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from .activity import Dashboard, ScheduledJob
from .content_usage import ContentUsage
from .dashboards import _bool, _int, search
from .dataset import Dataset, ExploreRequest
from .errors import LookerApiError, not_found
from .explore import SYSTEM_ACTIVITY, DataConfig, Explore
from .faults import Auth, FaultQueue, Stats
from .inline import EDITIONS, InlineQueries
from .query import QueryOptions, truth
from .server import SimulatorHTTPServer
from .usage_reports import ApiUsage, FieldUsage
from .values import UTC, zone

DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"  # a documented demo value
DEFAULT_NOW = dt.datetime(2024, 2, 1, tzinfo=UTC)
LOOKER_RELEASE = "26.0.0"
_UNSET: Any = object()  # "leave this setting alone" for settings where None means "off"


def to_epoch(now: dt.datetime | str | int | float | None) -> int:
    """Simulated clock from a datetime (naive = UTC), ISO string, epoch, or None (default)."""
    if now is None:
        now = DEFAULT_NOW
    if isinstance(now, int | float):
        return int(now)
    if isinstance(now, str):
        now = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp())


def _non_negative(name: str, value: Any) -> float:
    number = float(value)
    if not number >= 0:  # also rejects NaN
        raise ValueError(f"{name} must be >= 0 seconds, got {value!r}")
    return number


def _zone_name(name: str, value: Any) -> str:
    try:
        zone(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name} {value!r} is not an IANA time zone") from exc
    return str(value)


class LookerSimulator:
    """A Looker API 4.0 server on 127.0.0.1 serving deterministic System Activity data.

    >>> with LookerSimulator(rows=12_000, seed=7) as sim:
    ...     base_url = sim.base_url   # http://127.0.0.1:<port>
    """

    def __init__(
        self,
        rows: int = 1000,
        seed: int = 42,
        *,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        token_ttl: int = 3600,
        now: dt.datetime | str | int | None = None,
        tie_group: int = 3,
        big_tie: int | None = None,
        default_row_cap: int = 5000,
        max_row_limit: int | list[int] | None = None,
        expire_token_after: int | None = None,
        default_timezone: str = "UTC",
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        explores: ExploreRequest = None,
        query_delay: float = 0.0,
        row_delay: float = 0.0,
        subquery_timeout_rows: int | None = 50_000,
        system_timezone: str = "UTC",
        edition: str = "elite",
        cache_seconds: int = 3600,
        max_concurrent_queries: int | None = None,
        record_api_queries: bool = True,
        api_user_id: int = 1001,
    ) -> None:
        """`explores` adds System Activity explores besides content_usage (and thelook's
        order_items): "all", a list of names, or {name: rows or None for the default size};
        see `looker_simulator.dataset`. `rows` is content_usage's size.

        Latency: every inline query takes `query_delay` seconds plus `row_delay` seconds per
        returned row (slept outside the data lock: concurrent queries overlap).

        Cache: an identical query (same format, body and limit parameter) within
        `cache_seconds` of simulated time returns the cached rows, unless it is sent with
        `cache=false`; `edition="standard"` caches System Activity queries for 12 simulated
        hours even with cache=false and queues them beyond 4 at a time (or
        `max_concurrent_queries`, which queues every query beyond it).

        Footprint: with `record_api_queries`, each inline query adds a `history` row (user
        `api_user_id`, source "api") and, for a body not seen before, a `query` row, in
        those explores when they are served. `GET /user` answers `api_user_id`."""
        if rows < 0:
            raise ValueError("rows must be >= 0")
        config = DataConfig(rows, seed, to_epoch(now), tie_group, big_tie)
        self.dataset = Dataset.build(config, explores)
        self.auth = Auth(client_id, client_secret, token_ttl, expire_token_after)
        self.faults = FaultQueue()
        self.stats_recorder = Stats()
        self.options = QueryOptions(default_row_cap, _cap(max_row_limit), default_timezone)
        self._clock_since = time.monotonic()
        self.lock = threading.RLock()  # data changes vs. queries
        self.stopping = threading.Event()
        self.api_user_id = int(api_user_id)
        self.inline = InlineQueries(self)
        self.configure(
            query_delay=query_delay,
            row_delay=row_delay,
            subquery_timeout_rows=subquery_timeout_rows,
            system_timezone=system_timezone,
            edition=edition,
            cache_seconds=cache_seconds,
            max_concurrent_queries=max_concurrent_queries,
            record_api_queries=record_api_queries,
        )
        self.verbose = verbose
        self.host = host
        self.port = port
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # no credentials in reprs
        return f"LookerSimulator(base_url={self.base_url!r}, rows={self.row_count()})"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL."""
        if self._server is None:
            self.stopping.clear()
            self._server = SimulatorHTTPServer((self.host, self.port), self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="looker-simulator",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.stopping.set()  # wake handlers sleeping in a "slow" fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> LookerSimulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- data ----------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.dataset.now, UTC)

    def clock(self) -> int:
        """Looker's running clock (epoch seconds): past every stored row, moving in real time.

        Data rows are stamped at or before ``now``; the server's clock is a second past the
        newest of them and keeps running, so what the API itself writes (query footprints)
        and its Date header are stamped like a live server's: after the rows stored before.
        """
        return self.dataset.now + 1 + int(time.monotonic() - self._clock_since)

    def advance(
        self,
        seconds: int = 0,
        new_rows: int = 0,
        touched_rows: int = 0,
        *,
        late_rows: int = 0,
        late_by: int = 3600,
    ) -> None:
        """Move the clock forward; `touched_rows` existing items get more views and a new
        last_accessed_time, and `new_rows` items appear, all inside the advanced window.
        Other explores scale both by their own share and complete their running rows.

        `late_rows`: in every explore with a time field, that many rows stamped within
        `late_by` seconds BEFORE the explore's current maximum time become visible now
        (Looker writes are not ordered by time; Elite System Activity copies in batches).
        They get new (higher) ids; event_attribute gets the attributes of the late events."""
        with self.lock:
            self.dataset.advance(seconds, new_rows, touched_rows, late_rows, late_by)
            self._clock_since = time.monotonic()

    def dashboards(self, deleted: bool | None = None) -> list[dict[str, Any]]:
        """Every user-defined dashboard as API 4.0 `Dashboard` JSON, by id (with or without
        tiles); `deleted` True/False keeps only soft-deleted / live ones (None: all)."""
        with self.lock:
            records = self._dashboards().api_records(self._usage())
        return [r for r in records if deleted is None or r["deleted"] == deleted]

    def search_dashboards(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """GET /dashboards/search: see `dashboards.search`; `max_row_limit` caps it too."""
        rows = search(self.dashboards(), params)
        cap = self.options.next_cap()
        return rows if cap is None else rows[:cap]

    def _usage(self) -> ContentUsage:
        usage = self.dataset.get("system__activity", "content_usage")
        if not isinstance(usage, ContentUsage):
            raise LookerApiError(404, "Not found")
        return usage

    def _dashboards(self) -> Dashboard:
        ex = self.dataset.get("system__activity", "dashboard")
        if not isinstance(ex, Dashboard):
            raise LookerApiError(
                404, "looker-simulator serves dashboards only with explores including 'dashboard'"
            )
        return ex

    def explore(self, name: str = "content_usage") -> Explore:
        return self.dataset.find(name)

    def truth(self, explore: str = "content_usage") -> list[dict[str, Any]]:
        """Current rows by primary key, bare dimension names, values as the json API in UTC."""
        with self.lock:
            return truth(self.dataset, explore, self.options)

    def truth_view(self, explore: str, view: str) -> list[dict[str, Any]]:
        """The rows of a joined view with a table of its own, by id, keyed by bare field name
        (`id`, `look_id`, ...), as a query of all that view's fields alone answers them in
        UTC: `truth_view("scheduled_plan", "scheduled_plan")` (every plan not deleted,
        including plans that never ran), `truth_view("dashboard", "dashboard_element")`
        (the tiles of the dashboards the explore shows). KeyError for another view."""
        with self.lock:
            return truth(self.dataset, explore, self.options, view=view)

    def row_count(self, explore: str = "content_usage") -> int:
        return self.dataset.find(explore).n

    def add_dimension(
        self,
        name: str,
        looker_type: str,
        value_fn: Callable[[dict[str, Any]], Any] | None = None,
        default: Any = None,
        *,
        explore: str = "content_usage",
        label: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Schema drift: a new dimension appears (value_fn gets each row as truth() shows
        it; without value_fn every row gets `default`)."""
        with self.lock:
            self.dataset.find(explore).add_dimension(
                name, looker_type, value_fn, default, label, hidden
            )
            self.inline.clear_cache()

    def remove_dimension(self, name: str, *, explore: str = "content_usage") -> None:
        """Schema drift: the field disappears, as on an older Looker."""
        with self.lock:
            self.dataset.find(explore).remove_dimension(name)
            self.inline.clear_cache()

    def remove_explore(self, explore: str) -> None:
        """The explore disappears (GET and queries on it answer 404), e.g. no System Activity
        access or an instance without it."""
        with self.lock:
            ex = self.dataset.find(explore)
            del self.dataset.explores[(ex.model, ex.name)]
            self.inline.clear_cache()

    def delete_scheduled_plan(self, plan_id: int) -> None:
        """A scheduled plan is deleted: the `scheduled_plan` explore, whose base view is
        scheduled_plan, no longer shows its jobs (and no new job runs for it)."""
        with self.lock:
            ex = self.dataset.find("scheduled_plan")
            if not isinstance(ex, ScheduledJob):
                raise KeyError("unknown explore 'scheduled_plan'")
            ex.delete_plan(plan_id)

    # -- faults, stats, settings ---------------------------------------------------------

    def inject(
        self, kind: str | int, count: int = 1, match: str = "any", skip: int = 0, **params: Any
    ) -> None:
        """Queue a fault for the next `count` matching requests (after letting `skip` pass;
        `after=N` is an alias).

        kind: an HTTP status ("429", "500", "503", ...; params retry_after, message) or
        "slow" (seconds), "expire_token", "truncated", "malformed", "html", "disconnect",
        "looker_error", "query_timeout", "sql_error" (message; all three answer 200
        [{"looker_error": message}]). match: "login", "logout", "explore", "query", "other", "any".
        """
        self.faults.add(kind, count, match, skip, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stats(self) -> dict[str, Any]:
        return self.stats_recorder.snapshot()

    def reset_stats(self) -> None:
        self.stats_recorder.reset()

    def expire_tokens(self) -> None:
        self.auth.expire_all()

    def configure(
        self,
        *,
        expire_token_after: int | None = _UNSET,
        token_ttl: int | None = None,
        default_row_cap: int | None = None,
        max_row_limit: int | list[int] | None = _UNSET,
        default_timezone: str | None = None,
        query_delay: float | None = None,
        row_delay: float | None = None,
        subquery_timeout_rows: int | None = _UNSET,
        system_timezone: str | None = None,
        edition: str | None = None,
        cache_seconds: int | None = None,
        max_concurrent_queries: int | None = _UNSET,
        record_api_queries: bool | None = None,
    ) -> None:
        """Change settings at run time; omitted ones are left alone.

        expire_token_after=N: tokens issued from now on die after N authenticated requests
        (None: only their TTL ends them). max_row_limit caps every query and dashboard
        search (None: no cap; a list: a cap that varies, each answer taking the next).
        Any change empties the query result cache.
        """
        if edition is not None:
            if edition not in EDITIONS:
                raise ValueError(f"edition {edition!r}: use one of {sorted(EDITIONS)}")
            self.options.edition = edition
        if cache_seconds is not None:
            self.options.cache_seconds = int(_non_negative("cache_seconds", cache_seconds))
        if max_concurrent_queries is not _UNSET:
            if max_concurrent_queries is not None and int(max_concurrent_queries) < 1:
                raise ValueError("max_concurrent_queries must be >= 1 (None: no limit)")
            self.options.max_concurrent_queries = (
                None if max_concurrent_queries is None else int(max_concurrent_queries)
            )
        if record_api_queries is not None:
            self.options.record_api_queries = bool(record_api_queries)
        if expire_token_after is not _UNSET:
            self.auth.expire_token_after = (
                None if expire_token_after is None else int(expire_token_after)
            )
        if token_ttl is not None:
            self.auth.token_ttl = int(token_ttl)
        if default_row_cap is not None:
            self.options.default_row_cap = int(default_row_cap)
        if max_row_limit is not _UNSET:
            self.options.max_row_limit = _cap(max_row_limit)
        if default_timezone is not None:
            self.options.default_timezone = _zone_name("default_timezone", default_timezone)
        if system_timezone is not None:
            self.options.system_timezone = _zone_name("system_timezone", system_timezone)
        if query_delay is not None:
            self.options.query_delay = _non_negative("query_delay", query_delay)
        if row_delay is not None:
            self.options.row_delay = _non_negative("row_delay", row_delay)
        if subquery_timeout_rows is not _UNSET:
            self.options.subquery_timeout_rows = (
                None if subquery_timeout_rows is None else int(subquery_timeout_rows)
            )
        self.inline.clear_cache()

    # -- metadata served by the API ------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "base_url": self.base_url,
            "now": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "row_counts": {ex.name: ex.n for ex in self.dataset.explores.values()},
            "settings": {
                "token_ttl": self.auth.token_ttl,
                "expire_token_after": self.auth.expire_token_after,
                "default_row_cap": self.options.default_row_cap,
                "max_row_limit": self.options.max_row_limit,
                "default_timezone": self.options.default_timezone,
                "query_delay": self.options.query_delay,
                "row_delay": self.options.row_delay,
                "subquery_timeout_rows": self.options.subquery_timeout_rows,
                "system_timezone": self.options.system_timezone,
                "edition": self.options.edition,
                "cache_seconds": self.options.cache_seconds,
                "max_concurrent_queries": self.options.max_concurrent_queries,
                "record_api_queries": self.options.record_api_queries,
                "api_user_id": self.api_user_id,
            },
        }

    def explore_meta(self, model: str, explore: str) -> dict[str, Any]:
        with self.lock:
            ex = self.dataset.get(model, explore)
            if ex is None:
                raise not_found()
            meta = ex.meta()
            usage = self.dataset.get("system__activity", "field_usage")
            if isinstance(usage, FieldUsage):  # times_used as field_usage counts it
                counts = usage.times_used(ex.model, ex.name)
                for group in ("dimensions", "measures"):
                    for f in meta["fields"][group]:
                        f["times_used"] = counts.get(f["name"], 0)
            return meta

    def record_api_call(self, endpoint: str) -> None:
        """The API answered a call (looker-sdk method `endpoint`): with record_api_queries,
        it counts in api_usage (today's row of that endpoint), when that explore is served."""
        with self.lock:
            usage = self.dataset.get("system__activity", "api_usage")
            if self.options.record_api_queries and isinstance(usage, ApiUsage):
                usage.record_call(endpoint, self.clock())

    def explore_meta_for(self, explore: str) -> dict[str, Any]:
        ex = self.dataset.find(explore)
        return self.explore_meta(ex.model, ex.name)

    def model_meta(self, model: str) -> dict[str, Any]:
        explores = [ex for (m, _), ex in self.dataset.explores.items() if m == model]
        if not explores:
            raise not_found()
        return {
            "name": model,
            "label": model.replace("_", " ").title(),
            "project_name": model,
            "allowed_db_connection_names": ["looker__internal__analytics"],
            "unlimited_db_connections": False,
            "has_content": True,
            "can": {"index": True, "show": True},
            "explores": [
                {
                    "name": ex.name,
                    "description": ex.description,
                    "label": ex.label,
                    "hidden": False,
                    "group_label": "System Activity",
                }
                for ex in explores
            ],
        }

    def models_meta(self, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """GET /lookml_models (looker-sdk all_lookml_models): the served models by name, each
        with its explores. As the OAS documents: System Activity only with
        `include_internal=true` (default false); `offset`, `limit`, `fields` (e.g.
        "name,explores(name)"); `exclude_empty` / `exclude_hidden` change nothing here (every
        served model has explores, none hidden)."""
        params = params or {}
        internal = bool(_bool(params, "include_internal"))
        _bool(params, "exclude_empty")
        _bool(params, "exclude_hidden")
        offset = _int(params, "offset", 0) or 0
        limit = _int(params, "limit", None)
        with self.lock:
            names = sorted(m for m in self.dataset.models() if internal or m != SYSTEM_ACTIVITY)
            models = [self.model_meta(m) for m in names]
        models = models[offset:] if limit is None else models[offset : offset + limit]
        spec = params.get("fields")
        return [pick_fields(m, spec) for m in models] if spec else models

    def me(self) -> dict[str, Any]:
        return {
            "id": str(self.api_user_id),
            "display_name": "Looker Simulator API User",
            "email": "api-user@looker-simulator.invalid",
            "is_disabled": False,
            "role_ids": ["2"],
        }

    def versions(self) -> dict[str, Any]:
        api = f"{self.base_url}/api/4.0"
        return {
            "looker_release_version": LOOKER_RELEASE,
            "current_version": {
                "version": "4.0",
                "full_version": f"4.0.{LOOKER_RELEASE}",
                "status": "current",
                "swagger_url": f"{api}/swagger.json",
            },
            "supported_versions": [
                {
                    "version": "4.0",
                    "full_version": f"4.0.{LOOKER_RELEASE}",
                    "status": "current",
                    "swagger_url": f"{api}/swagger.json",
                }
            ],
            "api_server_url": self.base_url,
            "web_server_url": self.base_url,
        }


def pick_fields(value: Any, spec: str) -> Any:
    """A REST answer cut to its `fields`: "name,explores(name,label)" keeps those keys (the
    nested ones in parentheses) of an object, or of each object of a list."""
    if isinstance(value, list):
        return [pick_fields(item, spec) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, nested in _field_specs(spec):
        if name in value:
            out[name] = value[name] if nested is None else pick_fields(value[name], nested)
    return out


def _field_specs(spec: str) -> list[tuple[str, str | None]]:
    """ "a,b(c,d)" -> [("a", None), ("b", "c,d")]: top-level names and their nested fields."""
    items: list[str] = []
    depth = start = 0
    for i, ch in enumerate(spec + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(spec[start:i].strip())
            start = i + 1
    out: list[tuple[str, str | None]] = []
    for item in filter(None, items):
        name, paren, rest = item.partition("(")
        out.append((name.strip(), rest.removesuffix(")") if paren else None))
    return out


def _cap(value: int | list[int] | None) -> int | list[int] | None:
    """A max_row_limit setting: None, a cap, or caps taken in turn (each >= 1)."""
    if value is None:
        return None
    caps = [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)]
    if not caps or min(caps) < 1:
        raise ValueError("max_row_limit must be >= 1, or a non-empty list of such caps")
    return caps if isinstance(value, list | tuple) else caps[0]
