"""Keyset pagination over a Looker explore.

Looker silently caps query results, so no single query is trusted to be complete. Pages are
ordered by the keyset (replication key, then primary key(s)) and each page starts strictly
after the last row of the previous one, expressed as a Looker ``filter_expression``. Ties on
the replication key never lose rows, however many rows share one timestamp, and memory is
bounded by two pages (the one being written and the one being fetched).

A page shorter than ``page_size`` proves nothing by itself: a row cap on the instance or a
proxy, of any size and varying or not, gives short pages too. A stream therefore ends only on
evidence: Looker's own count of the window (a ``type: count`` measure, one query) says every
row was read, or the next page strictly after the last row comes back empty. A count that
exceeds the rows read once the pages run out fails the stream (``IncompleteReadError``).

A spent query budget (``QueryBudgetReachedError``, raised by the client before the call)
reaches the caller after the last page fetched has been yielded: what was read is delivered.
"""

from __future__ import annotations

import concurrent.futures
import functools
import itertools
import threading
import typing as t
from dataclasses import dataclass

from tap_looker_activity.errors import (
    IncompleteReadError,
    LookerResponseError,
    QueryBudgetReachedError,
)
from tap_looker_activity.records import ValueConversionError, parse_timestamp

if t.TYPE_CHECKING:
    import datetime as dt
    import logging
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from tap_looker_activity.explores import Dimension

Row = dict[str, t.Any]
Cursor = tuple[t.Any, ...]


def datetime_literal(value: object, tz: dt.tzinfo) -> str:
    """A Looker time value as ``date_time(y, m, d, h, mi, s)`` in the zone Looker compares in.

    Looker's own values are naive wall-clock times in ``tz``; an explicit offset is converted
    to ``tz``. Sub-second values cannot be expressed (``date_time`` takes whole seconds): paging
    on them could skip rows, so they are refused.
    """
    try:
        moment = parse_timestamp(value, tz).astimezone(tz)
    except ValueConversionError:
        msg = f"Looker returned {str(value)[:40]!r} as a time: not a timestamp"
        raise LookerResponseError(msg) from None
    if moment.microsecond:
        msg = (
            f"the replication key has sub-second values ({value!r}); keyset paging needs "
            "whole seconds: use a _time timeframe as replication_key"
        )
        raise LookerResponseError(msg)
    return (
        f"date_time({moment.year}, {moment.month}, {moment.day}, "
        f"{moment.hour}, {moment.minute}, {moment.second})"
    )


def expression_literal(value: object, dim: Dimension, tz: dt.tzinfo) -> str:
    """A value of ``dim`` as a literal in a Looker expression."""
    if dim.json_type == "date-time":
        return datetime_literal(value, tz)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def after_expression(keyset: Sequence[Dimension], cursor: Cursor, tz: dt.tzinfo) -> str:
    """Rows strictly after ``cursor`` in the lexicographic order of ``keyset``.

    ``d1 > v1 OR (d1 = v1 AND (d2 > v2 OR (d2 = v2 AND ...)))``. A NULL cursor value (possible
    in the natural-key fields of a surrogate-key stream) compares with "nulls sort low":
    greater is ``NOT is_null(d)``, equal is ``is_null(d)``.
    """
    expression = ""
    for dim, value in reversed(list(zip(keyset, cursor, strict=True))):
        ref = f"${{{dim.looker_name}}}"
        if value is None:
            greater, equal = f"NOT is_null({ref})", f"is_null({ref})"
        else:
            literal = expression_literal(value, dim, tz)
            greater, equal = f"{ref} > {literal}", f"{ref} = {literal}"
        if not expression:
            expression = greater
        else:
            inner = f"({expression})" if " OR " in expression else expression
            expression = f"{greater} OR ({equal} AND {inner})"
    return expression


def _in_background(fn: Callable[[], list[Row]]) -> concurrent.futures.Future[list[Row]]:
    """``fn()`` in a daemon thread (an abandoned sync never waits for it at exit)."""
    future: concurrent.futures.Future[list[Row]] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="looker-next-page", daemon=True).start()
    return future


@dataclass
class PageStats:
    """What one stream's paging did, for the run summary and the audit."""

    queries: int = 0
    rows: int = 0
    looker_count: int | None = None  # Looker's own count of the window, when it has one


class KeysetPager:
    """Pages of one query, each strictly after the last row of the previous one."""

    def __init__(  # noqa: PLR0913 - each argument is one independent input of the pager
        self,
        fetch: Callable[[str | None], list[Row]],
        keyset: Sequence[Dimension],
        *,
        page_size: int,
        tz: dt.tzinfo,
        nullable: frozenset[str],
        count: Callable[[], int] | None,
        logger: logging.Logger,
    ) -> None:
        """``fetch(filter_expression)`` runs one query with limit ``page_size``.

        ``count()`` runs Looker's count of the same window (None: the explore has none, and
        only an empty page ends the stream).
        """
        self._fetch = fetch
        self._keyset = list(keyset)
        self._page_size = page_size
        self._tz = tz
        self._nullable = nullable
        self._count = count
        self._logger = logger
        self._short_page = 0  # rows of the previous page if it was short (a cap, if more follow)
        self._cap_reported = False
        self.stats = PageStats()

    def _cursor(self, row: Mapping[str, t.Any]) -> Cursor:
        return tuple(row.get(d.looker_name) for d in self._keyset)

    def _sort_key(self, row: Mapping[str, t.Any]) -> tuple[t.Any, ...]:
        # NULLs sort low, as Looker sorts them in the keyset's nullable natural-key fields.
        return tuple(
            (value is not None, value) for value in (row.get(d.looker_name) for d in self._keyset)
        )

    def _check_page(self, rows: Sequence[Row], previous: Cursor | None) -> None:
        """Rows must be objects with their keys, in keyset order, or the cursor would skip rows."""
        if not all(isinstance(row, dict) for row in rows):
            bad = next(row for row in rows if not isinstance(row, dict))
            msg = f"Looker returned a row that is not a JSON object: {str(bad)[:60]!r}"
            raise LookerResponseError(msg)
        required = [d for d in self._keyset if d.name not in self._nullable]
        for row in rows:
            absent = [d.looker_name for d in required if row.get(d.looker_name) is None]
            if absent:
                msg = (
                    f"Looker returned a row without {' or '.join(absent)}; "
                    "cannot page past it safely"
                )
                raise LookerResponseError(msg)
        keys = [self._sort_key(row) for row in rows]
        if previous is not None and keys:
            keys.insert(0, tuple((v is not None, v) for v in previous))
        try:
            in_order = all(a <= b for a, b in itertools.pairwise(keys))
        except TypeError:
            in_order = False
        if not in_order:
            names = ", ".join(d.looker_name for d in self._keyset)
            msg = (
                f"Looker returned rows out of order (sorted by {names}); "
                "cannot page past them safely"
            )
            raise LookerResponseError(msg)

    def _query(self, cursor: Cursor | None) -> list[Row]:
        self.stats.queries += 1
        expression = after_expression(self._keyset, cursor, self._tz) if cursor else None
        return self._fetch(expression)

    def _looker_count(self) -> int | None:
        """Looker's count of the window, asked once per run (None: no count measure)."""
        if self._count is not None and self.stats.looker_count is None:
            self.stats.queries += 1
            self.stats.looker_count = self._count()
        return self.stats.looker_count

    def pages(self) -> Iterator[list[Row]]:
        """Every page, in order; the next one is fetched while the caller writes this one."""
        cursor: Cursor | None = None
        pending = _in_background(lambda: self._query(None))
        while True:
            rows = pending.result()
            if not rows:
                self._check_complete()
                return
            if self._short_page and not self._cap_reported:
                self._report_cap()
            self._check_page(rows, cursor)
            last = self._cursor(rows[-1])
            if last == cursor:
                msg = f"Looker returned the same page twice (cursor {last!r}); stopping"
                raise LookerResponseError(msg)
            cursor = last
            self.stats.rows += len(rows)
            done = False
            self._short_page = len(rows) if len(rows) < self._page_size else 0
            if self._short_page:  # the end, or a cap: only evidence tells
                try:
                    counted = self._looker_count()
                except QueryBudgetReachedError:
                    yield rows  # read in keyset order: delivered, then the run stops
                    raise
                done = counted is not None and self.stats.rows >= counted
            if not done:
                pending = _in_background(functools.partial(self._query, cursor))
            yield rows
            if done:
                return

    def _check_complete(self) -> None:
        """After the last page: Looker's count (if any) must not exceed the rows read."""
        counted = self._looker_count()
        if counted is not None and counted > self.stats.rows:
            msg = (
                f"Looker counts {counted} rows in the window but the tap read "
                f"{self.stats.rows}: the read is not complete (rows Looker made visible "
                "behind the cursor, or a server that skips rows); the bookmark stays"
            )
            raise IncompleteReadError(msg)

    def _report_cap(self) -> None:
        self._logger.warning(
            "Looker returned %d rows to a query with limit %d, and more rows followed: a row "
            "cap on the Looker instance or a proxy (or rows that arrived meanwhile). Paging "
            "on; setting page_size to %d or less saves queries.",
            self._short_page,
            self._page_size,
            self._short_page,
        )
        self._cap_reported = True  # once per stream


# How often a REST search pass is read again after rows moved under it, before giving up.
OFFSET_PASSES = 4


def offset_pages(  # noqa: PLR0913 - each argument is one independent input, as in KeysetPager
    fetch: Callable[[int, int], list[Row]],
    key: Callable[[Row], str],
    *,
    page_size: int,
    what: str,
    logger: logging.Logger,
    stats: PageStats,
) -> Iterator[list[Row]]:
    """Every row of an id-sorted REST search read by ``offset``, each key once.

    ``fetch(offset, limit)`` returns one page (counted in ``stats``). Offsets count rows, so a
    row deleted or restored between two pages shifts the rest by one: a row would be skipped
    (or read twice) without a trace. Each page after the first therefore starts one row
    early; if that row is not the last one read, the result moved and the pass is read again
    from the start (rows already yielded are not yielded twice). A server that ignores
    ``offset`` never matches and fails after OFFSET_PASSES passes instead of looping. A pass
    ends only on a page with nothing new (a short page may be a cap): one call more than the
    pages the rows fill.
    """
    seen: set[str] = set()
    for attempt in range(1, OFFSET_PASSES + 1):
        offset, last = 0, None
        while True:
            limit = page_size if last is None else page_size + 1
            page = fetch(offset if last is None else offset - 1, limit)
            stats.queries += 1
            keys = [key(row) for row in page]
            if last is not None:
                if not keys or keys[0] != last:
                    if attempt == OFFSET_PASSES:
                        break
                    logger.warning(
                        "%s: rows moved between two pages (changed during the read); "
                        "reading the list again (pass %d of %d)",
                        what, attempt + 1, OFFSET_PASSES,
                    )  # fmt: skip
                    break
                page, keys = page[1:], keys[1:]
            fresh = [row for row, k in zip(page, keys, strict=True) if k not in seen]
            seen.update(keys)
            stats.rows += len(fresh)
            yield fresh
            if not page:  # a short page may be a cap: only an empty one ends the pass
                return
            offset += len(page)
            last = keys[-1]
    msg = (
        f"{what}: the result kept moving between pages in {OFFSET_PASSES} passes (does the "
        "server ignore offset?); run again"
    )
    raise LookerResponseError(msg)
