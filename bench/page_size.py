"""``page_size`` under latency: queries, wall time and peak RSS of one stream's full load.

The stream (``history`` by default: the largest and widest) is loaded once per page size by
one tap process, against the same simulator and latency as the first load. Fewer, larger
pages pay Looker's per-query time fewer times; the tap must not need more memory for them
(peak RSS flat across page sizes).
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from .first_load import LoadResult, load
from .procs import Simulator, tap_config

RSS_FLAT = 0.20  # "flat": peak RSS within 20 % of the smallest page size's


def sweep(
    sim: Simulator,
    catalog: dict[str, t.Any],
    stream: str,
    page_sizes: list[int],
    work: Path,
    log: t.Callable[[LoadResult], None],
    timeout: float = 3600,
) -> list[LoadResult]:
    out = []
    for size in page_sizes:
        config = tap_config(work, sim.base_url, size, name="sweep")
        label = f"page-{size}"
        r = load(
            sim, catalog, config, [[stream]], work, label=label, page_size=size, timeout=timeout
        )
        log(r)
        out.append(r)
    return out


def recommend(results: list[LoadResult]) -> LoadResult:
    """The fastest page size whose peak RSS stays flat (within RSS_FLAT of the smallest's)."""
    smallest = min(results, key=lambda r: r.page_size)
    flat = [r for r in results if r.peak_rss_mb <= smallest.peak_rss_mb * (1 + RSS_FLAT)]
    return min(flat, key=lambda r: r.wall_s)
