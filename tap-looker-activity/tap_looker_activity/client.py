"""The base stream: one Looker explore, read page by page with keyset pagination.

Looker silently caps query results, so no single query is trusted to be complete. Pages are
ordered by (replication key, primary key) and each page starts strictly after the last row
of the previous one, expressed as a Looker ``filter_expression``. A page shorter than
``page_size`` is the last one. Ties on the replication key never lose rows, however many
rows share one timestamp, and memory is bounded by one page.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import json
import threading
import typing as t

from looker_sdk.sdk.api40 import models
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_looker_activity.errors import (
    LookerActivityError,
    LookerConfigError,
    LookerForbiddenError,
    LookerNotFoundError,
    LookerResponseError,
)
from tap_looker_activity.lookml import (
    SURROGATE_KEY,
    Dimension,
    ExploreDefinition,
    conformance_is_redundant,
    row_converter,
    schema_for,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from singer_sdk.helpers.types import Context

    from tap_looker_activity.tap import TapLookerActivity


def looker_datetime_literal(value: str) -> str:
    """``2024-01-31 10:00:00`` (a Looker json value) -> ``date_time(2024, 1, 31, 10, 0, 0)``."""
    parsed = dt.datetime.fromisoformat(value)
    return (
        f"date_time({parsed.year}, {parsed.month}, {parsed.day}, "
        f"{parsed.hour}, {parsed.minute}, {parsed.second})"
    )


def looker_expression_literal(value: object, dim: Dimension) -> str:
    """A value of ``dim`` as a literal in a Looker expression."""
    if dim.json_type == "date-time":
        return looker_datetime_literal(str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def keyset_expression(
    rk: Dimension,
    rk_value: object,
    pk: Dimension,
    pk_value: object,
) -> str:
    """Rows strictly after (rk_value, pk_value) in (rk, pk) order."""
    rk_ref, pk_ref = f"${{{rk.looker_name}}}", f"${{{pk.looker_name}}}"
    rk_lit = looker_expression_literal(rk_value, rk)
    pk_lit = looker_expression_literal(pk_value, pk)
    return f"{rk_ref} > {rk_lit} OR ({rk_ref} = {rk_lit} AND {pk_ref} > {pk_lit})"


def keyset_filter_expression(keyset: Sequence[Dimension], cursor: Sequence[object]) -> str:
    """Rows strictly after ``cursor`` in the lexicographic order of ``keyset``.

    ``d1 > v1 OR (d1 = v1 AND (d2 > v2 OR (d2 = v2 AND ...)))``; for (rk, pk) this is exactly
    ``keyset_expression``. A NULL cursor value (possible in the natural-key fields of a
    surrogate-key stream) compares with Looker's "nulls sort low" order: greater is
    ``NOT is_null(d)``, equal is ``is_null(d)``.
    """
    expression = ""
    for dim, value in reversed(list(zip(keyset, cursor, strict=True))):
        ref = f"${{{dim.looker_name}}}"
        if value is None:
            greater, equal = f"NOT is_null({ref})", f"is_null({ref})"
        else:
            literal = looker_expression_literal(value, dim)
            greater, equal = f"{ref} > {literal}", f"{ref} = {literal}"
        if not expression:
            expression = greater
        else:
            inner = f"({expression})" if " OR " in expression else expression
            expression = f"{greater} OR ({equal} AND {inner})"
    return expression


def surrogate_key(record: Mapping[str, t.Any], fields: Sequence[str]) -> str:
    """The ``_sdc_surrogate_key`` of a record whose explore has no unique id.

    SHA-256 (hex) of the UTF-8 canonical JSON object ``{field: value}`` over ``fields``: keys
    sorted, no whitespace, non-ASCII kept, values exactly as emitted (timestamps RFC 3339 in
    UTC, so independent of ``query_timezone``; integers; strings; booleans; null). The same
    row gives the same key on every run; rows differing in any of ``fields`` get different
    keys; rows equal in all of them are one row downstream.
    """
    natural = {name: record.get(name) for name in fields}
    text = json.dumps(natural, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_Arg = t.TypeVar("_Arg")
_Result = t.TypeVar("_Result")


def _in_background(fn: Callable[[_Arg], _Result], arg: _Arg) -> concurrent.futures.Future[_Result]:
    """``fn(arg)`` in a daemon thread (an abandoned sync never waits for it at exit)."""
    future: concurrent.futures.Future[_Result] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn(arg))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="looker-next-page", daemon=True).start()
    return future


class LookerExploreStream(Stream):
    """A System Activity explore as an incremental Singer stream."""

    definition: t.ClassVar[ExploreDefinition]
    # Pages come sorted ascending by the replication key, so STATE may be emitted mid-sync
    # and an interrupted sync resumes from the last bookmark.
    is_sorted = True

    def __init__(self, tap: TapLookerActivity, *, live_schema: bool = True) -> None:
        """``live_schema=False`` (a stream this run will not sync): no metadata call."""
        self._looker_tap = tap
        self.dimensions = self._discover_dimensions() if live_schema else self._offline_dimensions()
        schema = schema_for(self.dimensions, required=self.definition.primary_keys)
        if SURROGATE_KEY in self.definition.primary_keys:
            schema["properties"][SURROGATE_KEY] = {"type": ["string"]}
        super().__init__(tap, schema=schema, name=self.definition.stream_name)
        self.primary_keys = list(self.definition.primary_keys)
        self.replication_key = self.definition.replication_key

    def _offline_dimensions(self) -> list[Dimension]:
        """The bundled fields; for a configured explore, its key fields as placeholders."""
        if self.definition.fallback_dimensions:
            return list(self.definition.fallback_dimensions)
        return [
            Dimension(looker_name=name, name=name, looker_type="string", json_type="string")
            for name in self.definition.required_fields
        ]

    def _discover_dimensions(self) -> list[Dimension]:
        """Dimensions from the live explore metadata, else the bundled definition."""
        definition = self.definition
        try:
            explore = self._looker_tap.looker.get_explore(definition.model, definition.explore)
        except (LookerNotFoundError, LookerForbiddenError) as exc:
            if definition.configured:
                status = "404 Not Found" if isinstance(exc, LookerNotFoundError) else "403"
                msg = (
                    f"explores: stream {definition.stream_name}: Looker has no explore "
                    f"{definition.explore!r} in model {definition.model!r} visible to this "
                    f"API user (HTTP {status})"
                )
                raise LookerConfigError(msg) from None
            if not definition.fallback_dimensions:
                raise
            self._looker_tap.logger.warning(
                "Explore metadata for %s/%s unavailable (%s); using the bundled schema",
                definition.model,
                definition.explore,
                exc,
            )
            return list(definition.fallback_dimensions)
        raw_dims = (explore.fields.dimensions if explore.fields else None) or []
        dims = definition.dimensions_from_metadata(
            {"name": d.name, "type": d.type, "view": d.view} for d in raw_dims
        )
        names = {d.name for d in dims}
        missing = [k for k in definition.required_fields if k not in names]
        if missing:
            msg = (
                f"explore {definition.model}/{definition.explore} has no dimension(s) "
                f"{', '.join(missing)} needed as key(s) of stream {definition.stream_name}"
            )
            if definition.configured:
                msg = (
                    f"explores: stream {definition.stream_name}: explore "
                    f"{definition.model}/{definition.explore} has no dimension(s) "
                    f"{', '.join(missing)} (base view {definition.view!r}; fields of joined "
                    "views are written view.field)"
                )
                raise LookerConfigError(msg)
            raise LookerResponseError(msg)
        absent = [k for k in definition.surrogate_key_fields if k not in names]
        if absent:
            self._looker_tap.logger.warning(
                "Explore %s/%s has no %s: %s is computed with null for it",
                definition.model,
                definition.explore,
                ", ".join(absent),
                SURROGATE_KEY,
            )
        return dims

    # --- sync ---------------------------------------------------------------------

    def _selected_dimensions(self) -> list[Dimension]:
        """Dimensions to query: the selected ones, and always the keys."""
        keys = set(self.definition.key_fields)
        return [
            d
            for d in self.dimensions
            if d.name in keys or self.mask.get(("properties", d.name), True)
        ]

    def _dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def _keyset(self) -> list[Dimension]:
        """The total order pages follow.

        The replication key, then the primary key(s) or a surrogate-key stream's natural-key
        fields.
        """
        names = {d.name for d in self.dimensions}
        return [self._dimension(n) for n in self.definition.key_fields if n in names]

    def _start_filters(self, context: Context | None) -> dict[str, str]:
        """Rows changed since the bookmark (or start_date), inclusive."""
        rk = self._dimension(t.cast("str", self.replication_key))
        start = self.get_starting_timestamp(context)
        tz = self._looker_tap.query_timezone
        # Looker's "after" is inclusive: rows at the bookmark come again (at-least-once),
        # which is what guarantees that none is skipped.
        return {
            rk.looker_name: (
                f"after {start.astimezone(tz):%Y/%m/%d %H:%M:%S}" if start else "NOT NULL"
            )
        }

    def _with_surrogate_key(
        self, convert: Callable[[Mapping[str, t.Any]], dict[str, t.Any]]
    ) -> Callable[[Mapping[str, t.Any]], dict[str, t.Any]]:
        fields = self.definition.surrogate_key_fields
        if not fields:
            return convert

        def convert_with_key(row: Mapping[str, t.Any]) -> dict[str, t.Any]:
            record = convert(row)
            record[SURROGATE_KEY] = surrogate_key(record, fields)
            return record

        return convert_with_key

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Every row changed since the bookmark (inclusive), page by page."""
        dims = self._selected_dimensions()
        tz = self._looker_tap.query_timezone
        convert = row_converter(dims, tz)
        # Records hold stream-schema properties only, already in their types: skip singer-sdk's
        # per-record conformance pass (the tap's largest CPU cost, see docs/benchmarks.md)
        # unless the catalog retyped or dropped a property.
        self.TYPE_CONFORMANCE_LEVEL = (
            TypeConformanceLevel.NONE
            if conformance_is_redundant(self.schema, self.effective_schema)
            else type(self).TYPE_CONFORMANCE_LEVEL
        )
        convert = self._with_surrogate_key(convert)
        keyset = self._keyset()
        page_size = int(self.config.get("page_size", 5000))
        filters = self._start_filters(context)
        cursor: tuple[t.Any, ...] | None = None

        def fetch(after: tuple[t.Any, ...] | None) -> list[dict[str, t.Any]]:
            query = models.WriteQuery(
                model=self.definition.model,
                view=self.definition.explore,
                fields=[d.looker_name for d in dims],
                filters=filters,
                filter_expression=keyset_filter_expression(keyset, after) if after else None,
                sorts=[d.looker_name for d in keyset],
                limit=str(page_size),
                query_timezone=self._looker_tap.query_timezone_name,
            )
            return self._run_query(query)

        # Each next page is fetched in the background while this one is written, so Looker's
        # query time overlaps singer-sdk's per-record work (docs/benchmarks.md). Only that
        # thread talks to Looker meanwhile; the queries and records are the same as fetching
        # page after page, and at most two pages are in memory.
        pending = _in_background(fetch, cursor)
        while True:
            rows = pending.result()
            more, error = len(rows) >= page_size, None
            if more:
                try:
                    cursor = self._next_cursor(rows[-1], keyset, cursor)
                except LookerResponseError as exc:
                    error = exc  # raised after this page's records, as before
                else:
                    pending = _in_background(fetch, cursor)
            for row in rows:
                yield convert(row)
            if error:
                raise error
            if not more:
                return

    def _run_query(self, query: models.WriteQuery) -> list[dict[str, t.Any]]:
        try:
            return self._looker_tap.looker.run_query(query)
        except LookerActivityError as exc:
            explore = f"{self.definition.model}/{self.definition.explore}"
            msg = f"stream {self.name} (explore {explore}): {exc}"
            raise type(exc)(msg) from None

    def _next_cursor(
        self,
        last_row: Mapping[str, t.Any],
        keyset: Sequence[Dimension],
        previous: tuple[t.Any, ...] | None,
    ) -> tuple[t.Any, ...]:
        cursor = tuple(last_row.get(d.looker_name) for d in keyset)
        # The replication key and primary keys are never NULL; natural-key fields may be.
        nullable = set(self.definition.surrogate_key_fields) - {self.replication_key}
        absent = [
            d.looker_name
            for d, value in zip(keyset, cursor, strict=True)
            if value is None and d.name not in nullable
        ]
        if absent:
            msg = f"Looker returned a row without {' or '.join(absent)}; cannot page past it safely"
            raise LookerResponseError(msg)
        if cursor == previous:
            msg = f"Looker returned the same page twice (cursor {cursor!r}); stopping"
            raise LookerResponseError(msg)
        return cursor


class LookerExploreFullTableStream(LookerExploreStream):
    """An explore without a reliable change time, read whole on every run (FULL_TABLE).

    Pages follow the primary key alone (``${view.id} > last id``), so Looker's row cap never
    truncates the table; each run costs ceil(rows / page_size) queries (one more when the
    last page is exactly full). Rows deleted in Looker stay downstream.
    """

    is_sorted = False

    @override
    def _start_filters(self, context: Context | None) -> dict[str, str]:
        return {}
