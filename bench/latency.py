"""The Looker the benchmark pretends to be: latency per query and per row, instance size.

Defaults and their sources: docs/benchmarks.md, "Realistic Looker latency". Every figure
scales linearly in these settings, so a reader can rerun with their own instance's numbers
(``--query-delay``, ``--row-delay``).
"""

from __future__ import annotations

from dataclasses import dataclass

# Seconds Looker spends on one System Activity query before the first row: queue for an
# async worker, init, connection, main query (a keyset page: filter + sort + limit).
QUERY_DELAY_S = 2.0
# Seconds per row returned: running the query over more rows, Looker's serialization,
# its result cache and the transfer (about 20,000 rows/s).
ROW_DELAY_S = 0.00005

# A mid-size instance's first load: 90 days of System Activity (the non-Elite retention),
# ~500 users, ~2,000 queries a day. Stream name -> rows.
REALISTIC_ROWS: dict[str, int] = {
    "content_usage": 20_000,  # one row per content item and access kind
    "history": 180_000,  # ~2,000 queries a day x 90 days
    "query": 60_000,  # distinct queries (identical ones reuse a row)
    "event": 150_000,  # logins, content views, schedule changes, ...
    "event_attribute": 300_000,  # ~2 attributes per event
    "scheduled_job": 9_000,  # ~100 schedule runs a day x 90 days
    "pdt_event_log": 45_000,  # PDT builds and datagroup checks, ~500 a day
    "user": 500,
    "dashboard": 6_000,  # rows of the dashboard explore: one per tile
    "look": 3_000,
}
QUICK_SCALE = 20  # --quick: every size / 20 (smoke test, about 2 min)

# Tap stream -> simulator explore, where they differ.
EXPLORE_OF_STREAM = {"scheduled_job": "scheduled_plan"}


def explore_of(stream: str) -> str:
    return EXPLORE_OF_STREAM.get(stream, stream)


@dataclass(frozen=True)
class Latency:
    query_delay: float = QUERY_DELAY_S
    row_delay: float = ROW_DELAY_S

    def label(self) -> str:
        return f"{self.query_delay:g} s/query + {self.row_delay * 1e6:g} us/row"

    def looker_seconds(self, queries: int, rows: int) -> float:
        """Time Looker itself spends on ``queries`` returning ``rows``: a lower bound for one
        client that waits for each query (the tap overlaps its own work with the next one)."""
        return queries * self.query_delay + rows * self.row_delay


def scaled(rows: dict[str, int], scale: int) -> dict[str, int]:
    return {name: max(50, n // scale) for name, n in rows.items()}


def simulator_sizes(rows: dict[str, int]) -> tuple[int, dict[str, int]]:
    """(content_usage rows, {explore: rows}) for the simulator CLI."""
    explores = {explore_of(name): n for name, n in rows.items() if name != "content_usage"}
    return rows.get("content_usage", 0), explores


def pages(rows: int, page_size: int) -> int:
    """Queries of a full load: one per full page, plus the last (short or empty) page."""
    return rows // page_size + 1


def stream_groups(
    rows: dict[str, int], groups: int, page_size: int, latency: Latency
) -> list[list[str]]:
    """Split the streams into ``groups`` with about equal Looker time each (longest first)."""
    # Looker time per stream; rows break ties (and decide alone when there is no latency).
    cost = {s: latency.looker_seconds(pages(n, page_size), n) + n * 1e-9 for s, n in rows.items()}
    bins: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(max(1, groups))]
    for stream in sorted(cost, key=lambda s: -cost[s]):
        i = min(range(len(bins)), key=lambda k: bins[k][0])
        total, members = bins[i]
        bins[i] = (total + cost[stream], [*members, stream])
    return [members for _, members in bins if members]


def parse_groups(text: str, streams: list[str]) -> list[list[str]]:
    """``"history;event,event_attribute;*"``: groups split by ';', '*' = every other stream."""
    groups = [[s.strip() for s in part.split(",") if s.strip()] for part in text.split(";")]
    named = {s for g in groups for s in g if s != "*"}
    unknown = sorted(named - set(streams))
    if unknown:
        raise ValueError(f"unknown stream(s) in --groups: {', '.join(unknown)}")
    rest = [s for s in streams if s not in named]
    out = [[s for s in g if s != "*"] + (rest if "*" in g else []) for g in groups]
    left = [s for s in streams if not any(s in g for g in out)]
    if left:
        raise ValueError(f"--groups leaves out {', '.join(left)} (add '*' to one group)")
    return [g for g in out if g]


def queries_bound(rows: dict[str, int], page_size: int) -> int:
    return sum(pages(n, page_size) for n in rows.values())
