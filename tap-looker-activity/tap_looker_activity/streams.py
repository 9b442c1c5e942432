"""The streams: System Activity explores, any configured explore, and dashboards.

Every explore stream is an ``ExploreStream`` built from an ``ExploreDefinition``: the bundled
ones are declared below (name, keys, replication key, in one place), each item of the
``explores`` setting becomes one the same way. Only ``content_usage`` is selected when no
catalog is given (plain Singer use): every stream costs at least one Looker query per run, so
the others are opted into by selection (Meltano's ``select``, or a catalog).

``dashboard`` comes from the REST API instead: System Activity's dashboard explore is built
on dashboard layout components, so a dashboard without tiles has no row there.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import typing as t
import zoneinfo
from dataclasses import dataclass, field, replace

from looker_sdk.sdk.api40 import models
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_looker_activity.client import CallCounts
from tap_looker_activity.errors import (
    IncompleteReadError,
    LookerActivityError,
    LookerConfigError,
    LookerResponseError,
    QueryBudgetReachedError,
    in_context,
)
from tap_looker_activity.explores import (
    SURROGATE_KEY,
    Dimension,
    ExploreDefinition,
    schema_for,
)
from tap_looker_activity.paging import KeysetPager, PageStats, datetime_literal, offset_pages
from tap_looker_activity.pii import PersonalData
from tap_looker_activity.records import (
    format_utc,
    parse_timestamp,
    row_converter,
    surrogate_key,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_looker_activity.client import LookerClient

# --- the bundled System Activity streams -----------------------------------------------------

SYSTEM_ACTIVITY_STREAMS: tuple[ExploreDefinition, ...] = (
    ExploreDefinition.bundled(
        "content_usage",
        explore="content_usage",
        primary_keys=("id",),
        replication_key="last_accessed_time",
        description="One row per content item; access counters grow in place.",
        selected_by_default=True,
        # Both change without last_accessed_time moving (a rename, a new favorite): an
        # incremental load would keep stale values. Titles come from the dashboard and look
        # streams; favorites from the REST API if needed.
        excluded_fields=("content_title", "favorite_count"),
    ),
    ExploreDefinition.bundled(
        "history",
        explore="history",
        primary_keys=("id",),
        # A run is written when it starts and completed later: keyed on completed_time it
        # arrives once, in its final state.
        replication_key="completed_time",
        description="One row per query run, once it has completed.",
        # Every page the tap reads is itself a query run by its API user.
        actor_field="user_id",
    ),
    ExploreDefinition.bundled(
        "query",
        explore="query",
        primary_keys=("id",),
        replication_key="created_time",
        description="Query definitions (model, explore, fields, filters); immutable.",
    ),
    ExploreDefinition.bundled(
        "event",
        explore="event",
        primary_keys=("id",),
        replication_key="created_time",
        description="Logins, content changes, admin actions; append-only.",
    ),
    ExploreDefinition.bundled(
        "event_attribute",
        explore="event_attribute",
        primary_keys=("id",),
        replication_key="event_created_time",
        description="Name/value pairs of events, bookmarked on their event's created_time.",
    ),
    ExploreDefinition.bundled(
        "scheduled_job",
        explore="scheduled_plan",
        primary_keys=("id",),
        replication_key="finalized_time",
        description="One row per schedule delivery, once it has finished.",
    ),
    ExploreDefinition.bundled(
        "query_metrics",
        explore="query_metrics",  # "Query Performance Metrics" in Looker's UI
        primary_keys=("id",),
        # Looker's explore may carry an always_filter on created_time ("7 days" in a public
        # copy): the window's own filter on the replication key replaces it.
        replication_key="created_time",
        description=(
            "Query Performance Metrics: seconds per phase of each query task (queued, "
            "connection, main query, cache, post-processing); append-only."
        ),
    ),
    ExploreDefinition.bundled(
        "pdt_event_log",
        explore="pdt_event_log",
        primary_keys=("id",),
        replication_key="created_time",
        description="PDT builds and regenerator events; append-only.",
    ),
    ExploreDefinition.bundled(
        "user",
        explore="user",
        primary_keys=("id",),
        replication_key=None,
        description=(
            "User accounts and their last UI and API login dates (user_facts); read whole "
            "on every run (no update time to bookmark)."
        ),
    ),
    ExploreDefinition.bundled(
        "look",
        explore="look",
        primary_keys=("id",),
        replication_key=None,
        description="Saved Looks, deleted ones included (deleted_time); read whole.",
    ),
    ExploreDefinition.bundled(
        "field_usage",
        explore="field_usage",
        primary_keys=("id",),
        # A lifetime counter per field with no date: read whole, snapshotted downstream
        # (field_usage_daily takes the daily differences).
        replication_key=None,
        description=(
            "Lifetime use count per model, explore and field, with the time it was read "
            "(read_at, Looker's clock); read whole."
        ),
        read_time_property="read_at",
    ),
    ExploreDefinition.bundled(
        "api_usage",
        explore="api_usage",
        primary_keys=("id",),
        # created has date timeframes only: no whole-second time to page a bookmark on.
        replication_key=None,
        description="API calls per endpoint and day (date only); read whole.",
    ),
    # What Looker's Unused Content page keeps although nobody opened it (Looker's admin docs,
    # "Managing unused content"): favourites, scheduled content, Looks on a dashboard.
    ExploreDefinition.bundled(
        "content_favorite",
        explore="content_usage",
        primary_keys=("id",),
        # favorite_count changes without last_accessed_time moving (content_usage leaves it
        # out): the favourited content is read whole, and only it.
        replication_key=None,
        description=(
            "Content favourited now (favorite_count > 0), with the time it was read "
            "(read_at); read whole."
        ),
        fields=("id", "content_id", "content_type", "favorite_count"),
        filters=(("content_usage.favorite_count", ">0"),),
        read_time_property="read_at",
    ),
    ExploreDefinition.bundled(
        "scheduled_plan",
        explore="scheduled_plan",
        primary_keys=("id",),
        # updated is epoch microseconds on some dialects and deleted plans leave no row:
        # read whole; the latest read (read_at) is the current set of schedules.
        replication_key=None,
        description=(
            "Schedules and the dashboard, Look or LookML dashboard each delivers; read whole "
            "(read_at: deleted plans are absent from the latest read)."
        ),
        read_time_property="read_at",
    ),
    ExploreDefinition.bundled(
        "dashboard_element",
        explore="dashboard",
        primary_keys=("id",),
        replication_key=None,
        description=(
            "Dashboard tiles and the Look or query each shows (look_id, query_id); read "
            "whole (read_at)."
        ),
        read_time_property="read_at",
    ),
)


@dataclass(frozen=True)
class ExtractSettings:
    """The settings every stream reads, validated once by the tap."""

    page_size: int
    lookback: dt.timedelta
    system_timezone: str
    query_timezone: str
    exclude_own_activity: bool
    personal_data: PersonalData = field(default_factory=PersonalData)  # hash_pii

    def timezone_of(self, definition: ExploreDefinition) -> str:
        """The zone Looker's naive times of this explore are in.

        System Activity stores times in the system time zone and query_timezone does not
        convert them (Looker docs, "Using time zone settings"); other models honour it.
        """
        return self.system_timezone if definition.is_system_activity else self.query_timezone


@dataclass
class AuditEntry:
    """What one stream's sync read, as the ``sync_audit`` stream records it."""

    stream: str
    run_started_at: dt.datetime  # Looker's clock when the run began: the end of its windows
    window_from: dt.datetime | None = None  # None: from the first row (or a full table)
    window_to: dt.datetime | None = None
    rows_read: int = 0
    records: int = 0  # written: rows read minus the tap's own queries
    looker_queries: int = 0
    looker_count: int | None = None
    status: str = "running"
    # Every API call made for the stream (its metadata read included), by Looker's quota
    # class: what it cost of the edition's monthly query-based and administrative calls.
    query_calls: int = 0
    admin_calls: int = 0
    calls_before: CallCounts = field(default_factory=CallCounts, repr=False)

    def finish(self, stats: PageStats, status: str, calls: CallCounts) -> AuditEntry:
        """Take the pager's figures and the stream's ``calls``.

        ``status``: complete, incomplete, failed, or budget (stopped by max_queries_per_run).
        """
        self.rows_read, self.looker_queries = stats.rows, stats.queries
        self.looker_count, self.status = stats.looker_count, status
        self.query_calls, self.admin_calls = calls.query, calls.admin
        return self

    def record(self) -> dict[str, t.Any]:
        """The audit record (times in RFC 3339 UTC)."""
        times = ("run_started_at", "window_from", "window_to")
        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "calls_before"}
        return {k: format_utc(v) if k in times and v else v for k, v in values.items()}


@dataclass(frozen=True)
class WindowQuery:
    """The queries of one stream's window: its pages, and Looker's count of it."""

    definition: ExploreDefinition
    tz_name: str
    filters: dict[str, str] = field(default_factory=dict)  # from the window's start
    bound: str | None = None  # filter expression: before the window's end

    def _query(
        self, fields: list[str], after: str | None, **extra: str | list[str]
    ) -> models.WriteQuery:
        parts = [p for p in (self.bound, after and f"({after})") if p]
        return models.WriteQuery(
            model=self.definition.model,
            view=self.definition.explore,
            fields=fields,
            filters={**dict(self.definition.filters), **self.filters},
            filter_expression=" AND ".join(parts) or None,
            # System Activity ignores it (times stay in the system zone); sending the zone
            # the tap reads them in keeps either behaviour correct.
            query_timezone=self.tz_name,
            **extra,  # type: ignore[arg-type]
        )

    def rows(
        self, dims: list[Dimension], keyset: list[Dimension], after: str | None, limit: int
    ) -> models.WriteQuery:
        """One page: the rows strictly ``after`` the cursor, in keyset order."""
        return self._query(
            [d.looker_name for d in dims],
            after,
            sorts=[d.looker_name for d in keyset],
            limit=str(limit),
        )

    def count(self, measure: str) -> models.WriteQuery:
        """Looker's own count of the window (one row)."""
        return self._query([measure], None, limit="1")

    @staticmethod
    def count_of(rows: list[dict[str, t.Any]], measure: str) -> int:
        """The value of the count query; no row means a count of 0."""
        if not rows:
            return 0
        value = rows[0].get(measure) if isinstance(rows[0], dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            msg = f"Looker answered {str(rows[0])[:80]!r} to a count ({measure})"
            raise LookerResponseError(msg)
        return int(value)


def _json_type(prop: Mapping[str, t.Any]) -> str:
    """The converter type a catalog property asks for."""
    fmt = prop.get("format")
    if fmt in {"date-time", "date"}:
        return str(fmt)
    types = prop.get("type") or []
    types = [types] if isinstance(types, str) else list(types)
    for name in ("integer", "number", "boolean", "string"):
        if name in types:
            return name
    return "string"


class LookerStream(Stream):
    """What every stream of this tap shares: Looker access, settings, a run summary."""

    # Records are built by records.row_converter in the types of the stream's effective
    # schema (the catalog's, when one is given), so singer-sdk's per-record conformance pass
    # cannot change them; it was the tap's largest CPU cost. Checked against singer-sdk
    # 0.54.9 by tests/test_conformance.py, which fails if a singer-sdk upgrade changes that.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(  # noqa: PLR0913 - each argument is one independent input of a stream
        self,
        tap: Tap,
        *,
        name: str,
        dimensions: Iterable[Dimension],
        settings: ExtractSettings,
        looker: Callable[[], LookerClient],
        audit: Callable[[AuditEntry], None] | None = None,
    ) -> None:
        """A stream reading Looker through ``looker()``, the tap's one client.

        ``audit`` receives what each sync read (the ``sync_audit`` stream).
        """
        self.settings = settings
        self._looker = looker
        self._audit = audit or (lambda _entry: None)
        self.dimensions = list(dimensions)
        # Calls made for this stream before its sync (its metadata read, by the tap).
        self.setup_calls = CallCounts()
        self._built_schema: dict[str, t.Any] = {}
        self._schema_for: tuple[str, ...] | None = None
        self._scrub: Callable[[dict[str, t.Any]], dict[str, t.Any]] | None = None
        super().__init__(tap, name=name)  # the schema is the property below

    @property
    @override
    def schema(self) -> dict[str, t.Any]:
        # singer-sdk reads it for every record: built once per set of fields and keys.
        keys = tuple(self.primary_keys or ())
        if self._schema_for != keys:
            self._built_schema = schema_for(self.dimensions, required=keys)
            self._schema_for = keys
        return self._built_schema

    def use_dimensions(self, dimensions: Iterable[Dimension]) -> None:
        """Fields as Looker describes them now (from live metadata)."""
        self.dimensions = list(dimensions)
        self._schema_for = None
        self._scrub = None

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Personal data hashed (hash_pii, tap_looker_activity.pii), in every stream.

        singer-sdk runs this on every record before its stream maps, so a user's own
        ``stream_maps`` see only the hashes.
        """
        if self._scrub is None:
            self._scrub = self.settings.personal_data.scrubber(self.dimensions)
        return self._scrub(row)

    def selected_dimensions(self) -> list[Dimension]:
        """Dimensions to query: the selected properties of the effective schema, in its types.

        Keys are always selected; a catalog that deselects one is refused.
        """
        properties = self.effective_schema.get("properties") or {}
        keys = {
            *(self.primary_keys or ()),
            *([self.replication_key] if self.replication_key else []),
        }
        chosen = []
        for dim in self.dimensions:
            prop = properties.get(dim.name)
            selected = self.mask.get(("properties", dim.name), True)
            if dim.name in keys and (prop is None or not selected):
                msg = (
                    f"the catalog {'leaves out' if prop is None else 'deselects'} "
                    f"{self.name}.{dim.name}, a key of the stream; keys cannot be deselected"
                )
                raise LookerConfigError(msg)
            if prop is None or not selected:
                continue
            json_type = _json_type(prop)
            chosen.append(dim if json_type == dim.json_type else replace(dim, json_type=json_type))
        return chosen

    def begin_audit(self) -> AuditEntry:
        """The audit entry of this sync, started at the end of this run's windows."""
        entry = AuditEntry(stream=self.name, run_started_at=self.window_end())
        entry.calls_before = copy.copy(self._looker().calls)
        return entry

    def end_audit(self, entry: AuditEntry, stats: PageStats, status: str) -> None:
        """Finish ``entry`` (with the calls made since it began) and hand it to the audit."""
        calls = self._looker().calls - entry.calls_before + self.setup_calls
        self._audit(entry.finish(stats, status, calls))

    def window_end(self) -> dt.datetime:
        """The end of this run's windows: Looker's own clock when it said (else the tap's).

        Rows stamped from then on (the tap's own queries among them) are left to the next run,
        so the window is closed and Looker's count of it cannot grow while it is read.
        """
        return self._looker().server_time() or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def log_summary(
        self, queries: int, rows: int, bookmark_before: object, *, stopped: bool = False
    ) -> None:
        """One line per stream: what this run did (``stopped``: by the query budget)."""
        bookmark_after = (self.stream_state or {}).get("replication_key_value")
        self.logger.info(
            "%s: %d rows in %d Looker queries; bookmark %s -> %s%s",
            self.name,
            rows,
            queries,
            bookmark_before or "(none)",
            bookmark_after or "(full table)",
            "; stopped: the query budget is spent" if stopped else "",
        )


class ExploreStream(LookerStream):
    """One Looker explore, read in keyset-ordered pages.

    With a replication key: incremental, from the bookmark minus ``lookback`` (rows Looker
    makes visible late are read again; the downstream MERGE on the key keeps that
    idempotent). Without one: the whole explore on every run, paged by the primary key.
    """

    # Pages come in keyset order, so STATE may be emitted mid-sync and an interrupted sync
    # resumes from the last bookmark. The order is checked by the pager (one clear error);
    # singer-sdk's own check is off because the look-back re-reads rows before the bookmark.
    is_sorted = True
    check_sorted = False

    def __init__(
        self,
        tap: Tap,
        definition: ExploreDefinition,
        *,
        settings: ExtractSettings,
        looker: Callable[[], LookerClient],
        audit: Callable[[AuditEntry], None] | None = None,
    ) -> None:
        """A stream for ``definition``, with its bundled (or placeholder) fields for now."""
        self.definition = definition
        self.selected_by_default = definition.selected_by_default
        if not definition.replication_key:
            self.is_sorted = False
        super().__init__(
            tap,
            name=definition.name,
            dimensions=definition.placeholder_dimensions(),
            settings=settings,
            looker=looker,
            audit=audit,
        )
        self.primary_keys = definition.primary_keys
        self.replication_key = definition.replication_key

    @property
    @override
    def schema(self) -> dict[str, t.Any]:
        schema = super().schema
        prop = self.definition.read_time_property
        if prop and prop not in schema["properties"]:
            schema["properties"][prop] = {"type": ["string", "null"], "format": "date-time"}
        return schema

    def _window_start(self, end: dt.datetime) -> dt.datetime | None:
        """The bookmark minus the look-back (not before start_date); None: from the first row."""
        state = self.stream_state or {}
        has_bookmark = bool(
            state.get("replication_key_value")
            and state.get("replication_key") == self.replication_key
        )
        start = self.get_starting_timestamp(self.context)
        if has_bookmark and start is not None:
            if start > end:
                msg = (
                    f"the bookmark {state['replication_key_value']} is later than Looker's "
                    f"clock ({format_utc(end)}): no row would ever be read. Was it written "
                    "with a wrong system_timezone? Set the bookmark back (meltano state set) "
                    "or clear it to reload"
                )
                raise LookerConfigError(msg)
            start_date = self.config.get("start_date")
            floor = parse_timestamp(start_date, dt.UTC) if start_date else None
            start -= self.settings.lookback
            if floor is not None and start < floor:
                start = floor
        return start

    def _keyset(self, dims: list[Dimension]) -> list[Dimension]:
        by_name = {d.name: d for d in dims}
        return [by_name[name] for name in self.definition.key_fields if name in by_name]

    def _window(self, tz: dt.tzinfo, audit: AuditEntry) -> WindowQuery:
        """This run's window: from the bookmark minus the look-back to Looker's clock."""
        if not self.replication_key:
            return WindowQuery(self.definition, self.settings.timezone_of(self.definition))
        audit.window_from = self._window_start(audit.run_started_at)
        audit.window_to = audit.run_started_at
        rk = next(d for d in self.dimensions if d.name == self.replication_key)
        start = audit.window_from
        # Looker's "after" is inclusive: rows at the bookmark come again (at-least-once).
        after = f"after {start.astimezone(tz):%Y/%m/%d %H:%M:%S}" if start else "NOT NULL"
        end = datetime_literal(format_utc(audit.window_to), tz)
        return WindowQuery(
            self.definition,
            self.settings.timezone_of(self.definition),
            filters={rk.looker_name: after},
            bound=f"${{{rk.looker_name}}} < {end}",
        )

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """The surrogate key, computed after the hashing: never a plain email's hash."""
        record = super().post_process(row, context)
        if record is not None and (key_fields := self.definition.surrogate_key_fields):
            record[SURROGATE_KEY] = surrogate_key(record, key_fields)
        return record

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Every row changed since the bookmark (minus the look-back), page by page."""
        definition = self.definition
        tz = zoneinfo.ZoneInfo(self.settings.timezone_of(definition))  # validated by the tap
        dims = self.selected_dimensions()
        by_name = {d.name: d for d in self.dimensions}
        for name in definition.key_fields:  # natural-key fields of a surrogate key
            if name not in {d.name for d in dims} and name in by_name:
                dims.append(by_name[name])
        where = f"stream {self.name} (explore {definition.model}/{definition.explore}): "
        convert = row_converter(dims, tz, where=where)
        key_fields = definition.surrogate_key_fields
        state_before = copy.deepcopy(self.stream_state or {})
        audit = self.begin_audit()
        try:
            window = self._window(tz, audit)
            keep = self._not_own_activity(dims)
        except LookerActivityError as exc:
            raise in_context(exc, where) from None
        keyset = self._keyset(dims)
        measure = self._count_measure(dims)
        stamp = self._read_time_stamp(audit)
        looker = self._looker
        pager = KeysetPager(
            lambda after: looker().run_query(
                window.rows(dims, keyset, after, self.settings.page_size)
            ),
            keyset,
            page_size=self.settings.page_size,
            tz=tz,
            nullable=frozenset(key_fields) - {definition.replication_key or ""},
            count=(lambda: window.count_of(looker().run_query(window.count(measure)), measure))
            if measure
            else None,
            logger=self.logger,
        )
        status = "complete"
        try:
            for page, rows in enumerate(pager.pages(), start=1):
                # A whole page is converted before any of it is written: a bad value stops
                # the stream before its page, never in the middle of it.
                records = [stamp(convert(row)) for row in rows if keep(row)]
                if page % 20 == 0:
                    self.logger.info(
                        "%s: %d pages, %d rows so far, up to %s",
                        self.name, page, pager.stats.rows, rows[-1].get(keyset[0].looker_name),
                    )  # fmt: skip
                audit.records += len(records)
                yield from records
        except QueryBudgetReachedError:
            # A clean stop: the pages written stand, and so does the bookmark they moved.
            status = "budget"
        except LookerActivityError as exc:
            incomplete = isinstance(exc, IncompleteReadError)
            if incomplete:  # the window is not proven: the bookmark goes back (the audit
                self.stream_state.clear()  # callback writes that STATE)
                self.stream_state.update(state_before)
            self.end_audit(audit, pager.stats, "incomplete" if incomplete else "failed")
            raise exc if str(exc).startswith("stream ") else in_context(exc, where) from None
        self.end_audit(audit, pager.stats, status)
        if warning := convert.nul_warning():
            self.logger.warning(warning)
        self.log_summary(
            pager.stats.queries,
            pager.stats.rows,
            state_before.get("replication_key_value"),
            stopped=status == "budget",
        )

    def _read_time_stamp(self, audit: AuditEntry) -> Callable[[dict[str, t.Any]], dict[str, t.Any]]:
        """Adds ``read_time_property``, when the definition has one and it is selected."""
        prop = self.definition.read_time_property
        if not prop or not self.mask.get(("properties", prop), True):
            return lambda record: record
        read_at = format_utc(audit.run_started_at)

        def stamp(record: dict[str, t.Any]) -> dict[str, t.Any]:
            record[prop] = read_at
            return record

        return stamp

    def _count_measure(self, dims: list[Dimension]) -> str | None:
        """The count measure of the primary key's view: Looker's count of the stream's rows.

        None for a surrogate key (no unique id to count) or an explore without one.
        """
        if len(self.definition.primary_keys) != 1 or self.definition.surrogate_key_fields:
            return None
        pk = next((d for d in dims if d.name == self.definition.primary_keys[0]), None)
        if pk is None or "." not in pk.looker_name:
            return None
        view = pk.looker_name.partition(".")[0]
        return self._looker().count_measure(self.definition.model, self.definition.explore, view)

    def _not_own_activity(self, dims: list[Dimension]) -> Callable[[Mapping[str, t.Any]], bool]:
        """A row filter leaving out the tap's own queries (1 API call to learn its user).

        It never turns itself off: without the actor field or the API user's id it would
        load the export's own queries as usage, so the stream stops in one line instead.
        """
        field_name = self.definition.actor_field
        if not field_name or not self.settings.exclude_own_activity:
            return lambda _row: True
        actor = next((d for d in dims if d.name == field_name), None)
        if actor is None:
            msg = (
                f"exclude_own_activity needs {self.name}.{field_name} to tell the tap's own "
                f"queries apart: select it, or set exclude_own_activity to false"
            )
            raise LookerConfigError(msg)
        me = self._looker().api_user_id()
        if not me:
            msg = (
                "exclude_own_activity: Looker's GET /user gave no id for the API user; "
                "cannot leave out the tap's own queries (set exclude_own_activity to false "
                "to load them)"
            )
            raise LookerResponseError(msg)
        name = actor.looker_name
        return lambda row: str(row.get(name)) != me if isinstance(row, dict) else True


DASHBOARD_FIELDS: tuple[Dimension, ...] = tuple(
    Dimension(looker_name=name, name=name, looker_type=looker_type, json_type=json_type)
    for name, looker_type, json_type in (
        ("id", "string", "string"),
        ("title", "string", "string"),
        ("description", "string", "string"),
        ("user_id", "string", "string"),
        ("folder_id", "string", "string"),
        ("slug", "string", "string"),
        ("hidden", "yesno", "boolean"),
        ("deleted", "yesno", "boolean"),
        ("query_timezone", "string", "string"),
        ("created_at", "date_time", "date-time"),
        ("updated_at", "date_time", "date-time"),
        ("deleted_at", "date_time", "date-time"),
    )
)


class DashboardStream(LookerStream):
    """Every user-defined dashboard (with or without tiles, deleted ones flagged), by REST.

    ``search_dashboards`` twice per run (``deleted=false``, then ``deleted=true``: Looker's
    default for an absent ``deleted`` is not documented), paged by offset in id order.
    Costs administrative API calls, not query calls. Read whole on every run.
    """

    primary_keys = ("id",)
    replication_key = None
    is_sorted = False
    selected_by_default = False

    def __init__(
        self,
        tap: Tap,
        *,
        settings: ExtractSettings,
        looker: Callable[[], LookerClient],
        audit: Callable[[AuditEntry], None] | None = None,
    ) -> None:
        """The dashboard stream."""
        super().__init__(
            tap,
            name="dashboard",
            dimensions=DASHBOARD_FIELDS,
            settings=settings,
            looker=looker,
            audit=audit,
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """All dashboards, not deleted then deleted."""
        dims = self.selected_dimensions()
        convert = row_converter(dims, dt.UTC, where="stream dashboard (REST search): ")
        fields = [d.looker_name for d in dims]
        stats = PageStats()
        audit = self.begin_audit()
        for deleted in (False, True):
            pages = offset_pages(
                functools.partial(self._search_page, fields, deleted=deleted),
                _dashboard_id,
                page_size=self.settings.page_size,
                what=f"search_dashboards(deleted={str(deleted).lower()})",
                logger=self.logger,
                stats=stats,
            )
            while True:
                try:
                    rows = next(pages, None)
                except LookerActivityError as exc:
                    self.end_audit(audit, stats, "failed")
                    raise in_context(exc, "stream dashboard: ") from None
                if rows is None:
                    break
                audit.records += len(rows)
                yield from (convert(row) for row in rows)
        self.end_audit(audit, stats, "complete")
        if warning := convert.nul_warning():
            self.logger.warning(warning)
        self.log_summary(stats.queries, stats.rows, None)

    def _search_page(
        self, fields: list[str], offset: int, limit: int, *, deleted: bool
    ) -> list[dict[str, t.Any]]:
        return self._looker().search_dashboards(fields, deleted=deleted, limit=limit, offset=offset)


def _dashboard_id(row: dict[str, t.Any]) -> str:
    if row.get("id") in (None, ""):
        msg = f"Looker sent a dashboard without id: {str(row)[:200]}"
        raise LookerResponseError(msg)
    return str(row["id"])


LOOKML_FIELD_FIELDS: tuple[Dimension, ...] = tuple(
    Dimension(looker_name=name, name=name, looker_type=looker_type, json_type=json_type)
    for name, looker_type, json_type in (
        ("model", "string", "string"),
        ("explore", "string", "string"),
        ("field", "string", "string"),
        ("view", "string", "string"),
        ("category", "string", "string"),
        ("type", "string", "string"),
        ("hidden", "yesno", "boolean"),
        ("label", "string", "string"),
        ("description", "string", "string"),
        ("tags", "string", "string"),
        ("times_used", "number", "integer"),
        ("read_at", "date_time", "date-time"),
    )
)


class LookmlFieldStream(LookerStream):
    """Every field of every LookML explore the API user can see: the catalog of fields.

    ``all_lookml_models`` once, then ``lookml_model_explore`` per explore: 1 + (number of
    explores) administrative API calls per run, no query call. Read whole on every run; each
    record carries this run's ``read_at`` (Looker's clock), so a field LookML no longer has is
    the one whose ``read_at`` is older than the latest (the loaders never delete rows).
    """

    primary_keys = ("model", "explore", "field")
    replication_key = None
    is_sorted = False
    selected_by_default = False

    def __init__(
        self,
        tap: Tap,
        *,
        settings: ExtractSettings,
        looker: Callable[[], LookerClient],
        audit: Callable[[AuditEntry], None] | None = None,
    ) -> None:
        """The lookml_field stream."""
        super().__init__(
            tap,
            name="lookml_field",
            dimensions=LOOKML_FIELD_FIELDS,
            settings=settings,
            looker=looker,
            audit=audit,
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The fields of each explore, explore by explore."""
        dims = self.selected_dimensions()
        convert = row_converter(dims, dt.UTC, where="stream lookml_field (LookML metadata): ")
        stats = PageStats()
        audit = self.begin_audit()
        read_at = format_utc(audit.run_started_at)
        looker = self._looker()
        listing = PageStats()  # the model list's calls (its rows are models, not fields)
        models = offset_pages(
            looker.lookml_models,
            _model_name,
            page_size=self.settings.page_size,
            what="all_lookml_models",
            logger=self.logger,
            stats=listing,
        )
        explores = 0
        try:
            for page in models:
                for model in page:
                    for explore in model["explores"]:
                        fields = looker.explore_catalog(model["name"], explore)
                        stats.queries += 1
                        explores += 1
                        rows = [_catalog_row(model["name"], explore, f, read_at) for f in fields]
                        stats.rows += len(rows)
                        audit.records += len(rows)
                        yield from (convert(row) for row in rows)
        except LookerActivityError as exc:
            stats.queries += listing.queries
            self.end_audit(audit, stats, "failed")
            raise in_context(exc, "stream lookml_field: ") from None
        stats.queries += listing.queries
        self.end_audit(audit, stats, "complete")
        self.logger.info(
            "lookml_field: %d fields of %d explores in %d metadata calls",
            stats.rows, explores, stats.queries,
        )  # fmt: skip


def _model_name(row: dict[str, t.Any]) -> str:
    if not row.get("name"):
        msg = f"Looker sent a LookML model without a name: {str(row)[:200]}"
        raise LookerResponseError(msg)
    return str(row["name"])


def _catalog_row(
    model: str, explore: str, field: Mapping[str, t.Any], read_at: str
) -> dict[str, t.Any]:
    name = field.get("name")
    if not name:
        msg = f"Looker sent a field without a name in {model}/{explore}: {str(field)[:200]}"
        raise LookerResponseError(msg)
    tags = field.get("tags") or []
    return {
        "model": model,
        "explore": explore,
        "field": str(name),
        "view": field.get("view"),
        "category": field.get("category"),
        "type": field.get("type"),
        "hidden": field.get("hidden"),
        "label": field.get("label"),
        "description": field.get("description"),
        # One text column on every target (array support differs between loaders).
        "tags": ",".join(str(tag) for tag in tags) if tags else None,
        # Looker's own lifetime count of the field's use (LookmlModelExploreField.times_used).
        "times_used": field.get("times_used"),
        "read_at": read_at,
    }


AUDIT_FIELDS: tuple[Dimension, ...] = tuple(
    Dimension(looker_name=name, name=name, looker_type=looker_type, json_type=json_type)
    for name, looker_type, json_type in (
        ("run_started_at", "date_time", "date-time"),
        ("stream", "string", "string"),
        ("window_from", "date_time", "date-time"),
        ("window_to", "date_time", "date-time"),
        ("rows_read", "number", "integer"),
        ("records", "number", "integer"),
        ("looker_queries", "number", "integer"),
        ("looker_count", "number", "integer"),
        ("status", "string", "string"),
        ("query_calls", "number", "integer"),
        ("admin_calls", "number", "integer"),
    )
)


class SyncAuditStream(LookerStream):
    """One record per stream synced in this run: its window, rows, queries, Looker's count.

    Synced as each other stream ends, failed ones included, so the warehouse keeps the record
    of a run that did not prove its window. Costs no API call.
    """

    name = "sync_audit"
    primary_keys = ("run_started_at", "stream")
    replication_key = None
    is_sorted = False
    selected_by_default = True

    def __init__(
        self,
        tap: Tap,
        *,
        settings: ExtractSettings,
        looker: Callable[[], LookerClient],
        entries: Callable[[], list[AuditEntry]],
    ) -> None:
        """``entries()`` hands over (and forgets) what the other streams recorded so far."""
        super().__init__(
            tap, name="sync_audit", dimensions=AUDIT_FIELDS, settings=settings, looker=looker
        )
        self._entries = entries

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The entries recorded since the last sync of this stream."""
        selected = {d.name for d in self.selected_dimensions()}
        for entry in self._entries():
            yield {k: v for k, v in entry.record().items() if k in selected}
