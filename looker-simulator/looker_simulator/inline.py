"""What one run_inline_query does besides running the query: the result cache, the
concurrent-query limit, latency, and the query's own footprint in history and query."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .activity import History, Query
from .errors import LookerApiError, LookerQueryError
from .explore import SYSTEM_ACTIVITY
from .query import QueryResult, run_query
from .responses import Response, json_response

if TYPE_CHECKING:
    from .simulator import LookerSimulator

RESULT_FORMATS = frozenset({"json", "csv"})
# Formats real Looker has but the simulator does not render: answered with 400.
LOOKER_ONLY_FORMATS = frozenset(
    {"json_bi", "json_detail", "txt", "html", "md", "xlsx", "sql", "png", "jpg"}
)
EDITIONS = frozenset({"elite", "standard"})
STANDARD_CACHE_SECONDS = 12 * 3600  # non-Elite System Activity: forced 12-hour cache
STANDARD_CONCURRENCY = 4  # non-Elite System Activity: concurrent query limit (number assumed)
API_QUERY_IDS_FROM = 10_000_000  # query ids of API queries when no query explore is built


@dataclass
class _Cached:
    at: int  # simulated time the result was computed
    response: Response


class InlineQueries:
    """POST /queries/run/{format}, with the cache, queue and footprint of a Looker."""

    def __init__(self, sim: LookerSimulator) -> None:
        self.sim = sim
        self.cache: dict[tuple[str, str, str | None], _Cached] = {}
        self.query_ids: dict[str, int] = {}
        self._next_query_id = API_QUERY_IDS_FROM
        self._slots = threading.Condition()
        self._active = 0

    def clear_cache(self) -> None:
        with self.sim.lock:
            self.cache.clear()

    # -- the request ---------------------------------------------------------------------

    def run(self, fmt: str, params: dict[str, str], body: bytes) -> Response:
        if fmt not in RESULT_FORMATS:
            hint = "not supported by looker-simulator" if fmt in LOOKER_ONLY_FORMATS else "unknown"
            raise LookerApiError(400, f"Unsupported result_format '{fmt}' ({hint})")
        try:
            payload = json.loads(body or b"null")
        except ValueError as exc:
            raise LookerApiError(400, "Request body is not valid JSON") from exc
        sim, opts = self.sim, self.sim.options
        model = payload.get("model") if isinstance(payload, dict) else None
        system_activity = model == SYSTEM_ACTIVITY
        forced = opts.edition == "standard" and system_activity
        use_cache = str(params.get("cache", "")).strip().lower() != "false"
        window = STANDARD_CACHE_SECONDS if forced else opts.cache_seconds if use_cache else 0
        key = (fmt, json.dumps(payload, sort_keys=True), params.get("limit"))
        with sim.lock:
            hit = self.cache.get(key)
            if hit is not None and not sim.dataset.now - hit.at < window:
                hit = None
        if hit is not None:
            self.footprint(payload, cached=True, runtime=0.0)
            cached = hit.response
            return Response(200, cached.body, cached.content_type, rows=cached.rows, cached=True)
        limit = opts.max_concurrent_queries
        if forced:
            limit = STANDARD_CONCURRENCY if limit is None else min(limit, STANDARD_CONCURRENCY)
        started = time.monotonic()
        with self._slot(limit):
            try:
                with sim.lock:
                    at = sim.dataset.now
                    result = run_query(sim.dataset, payload, params.get("limit"), opts)
            except LookerQueryError as exc:  # the SQL failed: Looker still answers 200
                self._wait(opts.query_delay)
                self.footprint(payload, runtime=time.monotonic() - started, error=exc.message)
                return json_response(200, [{"looker_error": exc.message}])
            # Latency outside the data lock: concurrent queries overlap, as on a database.
            self._wait(opts.query_delay + opts.row_delay * len(result.rows))
        response = _render(result, fmt)
        with sim.lock:
            self.cache[key] = _Cached(at, response)
        self.footprint(payload, runtime=time.monotonic() - started)
        return response

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sim.stopping.wait(seconds)  # interruptible: stop() is not held up

    @contextlib.contextmanager
    def _slot(self, limit: int | None) -> Iterator[None]:
        """Queue behind the concurrent-query limit (Looker queues; it does not refuse)."""
        if limit is None:
            yield
            return
        with self._slots:
            while self._active >= limit and not self.sim.stopping.is_set():
                self._slots.wait(0.1)
            self._active += 1
        try:
            yield
        finally:
            with self._slots:
                self._active -= 1
                self._slots.notify()

    # -- footprint -----------------------------------------------------------------------

    def footprint(
        self, payload: Any, *, runtime: float, cached: bool = False, error: str | None = None
    ) -> None:
        """The query shows up in Looker's own explores: a `query` row for a body not seen
        before, and a `history` row run by the API user, completed at the server's running clock."""
        sim = self.sim
        if not sim.options.record_api_queries or not isinstance(payload, dict):
            return
        with sim.lock:
            ds = sim.dataset
            queries, history = ds.get(SYSTEM_ACTIVITY, "query"), ds.get(SYSTEM_ACTIVITY, "history")
            if not isinstance(queries, Query) and not isinstance(history, History):
                return
            canon = json.dumps(payload, sort_keys=True)
            query_id = self.query_ids.get(canon)
            if query_id is None:
                if isinstance(queries, Query):
                    slug = hashlib.sha256(canon.encode()).hexdigest()[:22]
                    query_id = queries.add_api_query(payload, slug, sim.clock())
                else:
                    query_id = self._next_query_id
                    self._next_query_id += 1
                self.query_ids[canon] = query_id
            if isinstance(history, History):
                history.add_api_run(
                    query_id,
                    sim.api_user_id,
                    sim.clock(),
                    runtime=round(runtime, 3),
                    cached=cached,
                    error=error,
                    connection="looker__internal__analytics"
                    if payload.get("model") == SYSTEM_ACTIVITY
                    else str(payload.get("model")),
                )


def _render(result: QueryResult, fmt: str) -> Response:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(result.fields)
        for row in result.rows:
            writer.writerow(["" if row[f] is None else row[f] for f in result.fields])
        return Response(200, buf.getvalue().encode(), "text/csv", rows=len(result.rows))
    data = json.dumps(result.rows, separators=(",", ":")).encode()
    return Response(200, data, rows=len(result.rows))
