"""The base stream: one Looker explore, read page by page with keyset pagination.

Looker silently caps query results, so no single query is trusted to be complete. Pages are
ordered by (replication key, primary key) and each page starts strictly after the last row
of the previous one, expressed as a Looker ``filter_expression``. A page shorter than
``page_size`` is the last one. Ties on the replication key never lose rows, however many
rows share one timestamp, and memory is bounded by one page.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from looker_sdk.sdk.api40 import models
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_looker_activity.errors import (
    LookerActivityError,
    LookerForbiddenError,
    LookerNotFoundError,
    LookerResponseError,
)
from tap_looker_activity.lookml import (
    Dimension,
    ExploreDefinition,
    row_converter,
    schema_for,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

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


class LookerExploreStream(Stream):
    """A System Activity explore as an incremental Singer stream."""

    definition: t.ClassVar[ExploreDefinition]
    # Pages come sorted ascending by the replication key, so STATE may be emitted mid-sync
    # and an interrupted sync resumes from the last bookmark.
    is_sorted = True

    def __init__(self, tap: TapLookerActivity) -> None:
        self._looker_tap = tap
        self.dimensions = self._discover_dimensions()
        super().__init__(
            tap,
            schema=schema_for(self.dimensions, required=self.definition.primary_keys),
            name=self.definition.stream_name,
        )
        self.primary_keys = list(self.definition.primary_keys)
        self.replication_key = self.definition.replication_key

    def _discover_dimensions(self) -> list[Dimension]:
        """Dimensions from the live explore metadata, else the bundled definition."""
        definition = self.definition
        try:
            explore = self._looker_tap.looker.get_explore(definition.model, definition.explore)
        except (LookerNotFoundError, LookerForbiddenError) as exc:
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
        missing = [k for k in (*definition.primary_keys, definition.replication_key) if k]
        missing = [k for k in missing if k not in names]
        if missing:
            msg = (
                f"explore {definition.model}/{definition.explore} has no dimension(s) "
                f"{', '.join(missing)} needed as key(s) of stream {definition.stream_name}"
            )
            raise LookerResponseError(msg)
        return dims

    # --- sync ---------------------------------------------------------------------

    def _selected_dimensions(self) -> list[Dimension]:
        """Dimensions to query: the selected ones, and always the keys."""
        keys = {*self.primary_keys, self.replication_key}
        return [
            d
            for d in self.dimensions
            if d.name in keys or self.mask.get(("properties", d.name), True)
        ]

    def _dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Every row changed since the bookmark (inclusive), page by page."""
        dims = self._selected_dimensions()
        tz = self._looker_tap.query_timezone
        convert = row_converter(dims, tz)
        rk = self._dimension(t.cast("str", self.replication_key))
        pk = self._dimension(self.primary_keys[0])
        page_size = int(self.config.get("page_size", 5000))

        start = self.get_starting_timestamp(context)
        # Looker's "after" is inclusive: rows at the bookmark come again (at-least-once),
        # which is what guarantees that none is skipped.
        filters = {
            rk.looker_name: (
                f"after {start.astimezone(tz):%Y/%m/%d %H:%M:%S}" if start else "NOT NULL"
            )
        }
        cursor: tuple[t.Any, t.Any] | None = None
        while True:
            query = models.WriteQuery(
                model=self.definition.model,
                view=self.definition.explore,
                fields=[d.looker_name for d in dims],
                filters=filters,
                filter_expression=keyset_expression(rk, cursor[0], pk, cursor[1])
                if cursor
                else None,
                sorts=[rk.looker_name, pk.looker_name],
                limit=str(page_size),
                query_timezone=self._looker_tap.query_timezone_name,
            )
            rows = self._run_query(query)
            for row in rows:
                yield convert(row)
            if len(rows) < page_size:
                return
            cursor = self._next_cursor(rows[-1], rk, pk, cursor)

    def _run_query(self, query: models.WriteQuery) -> list[dict[str, t.Any]]:
        try:
            return self._looker_tap.looker.run_query(query)
        except LookerActivityError as exc:
            explore = f"{self.definition.model}/{self.definition.explore}"
            msg = f"stream {self.name} (explore {explore}): {exc}"
            raise type(exc)(msg) from None

    @staticmethod
    def _next_cursor(
        last_row: Mapping[str, t.Any],
        rk: Dimension,
        pk: Dimension,
        previous: tuple[t.Any, t.Any] | None,
    ) -> tuple[t.Any, t.Any]:
        cursor = (last_row.get(rk.looker_name), last_row.get(pk.looker_name))
        if None in cursor:
            msg = (
                f"Looker returned a row without {rk.looker_name} or {pk.looker_name}; "
                "cannot page past it safely"
            )
            raise LookerResponseError(msg)
        if cursor == previous:
            msg = f"Looker returned the same page twice (cursor {cursor!r}); stopping"
            raise LookerResponseError(msg)
        return cursor
