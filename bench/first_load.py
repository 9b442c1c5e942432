"""A full first load under Looker latency: one tap for all streams, or one tap per group.

Both run against the same simulator (the same data, the same latency). ``sequential`` is one
``tap-looker-activity`` process with every stream selected, as one ``meltano run`` does.
``parallel`` starts one process per stream group at once, each with its own catalog, as the
Airflow fan-out does (one Meltano job per group); each process has at most one Looker query
in flight (it prefetches the next page of the stream it is on), so the number of groups is
the number of concurrent Looker queries.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .latency import Latency
from .procs import Proc, Run, Simulator, api_summary, base_env, load_avg, select, tap_cmd


@dataclass
class LoadResult:
    """One full first load: one process or several at once."""

    label: str
    groups: list[list[str]]
    page_size: int
    wall_s: float  # first start to last exit
    runs: list[Run]
    api: dict[str, t.Any]
    load_avg: str
    records_by_stream: dict[str, int] = field(default_factory=dict)
    # Rows per explore before and after: Looker logs the tap's own queries in System
    # Activity (query and history rows), so those explores grow during a load.
    rows_before: dict[str, int] = field(default_factory=dict)
    rows_after: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.records_by_stream.values())

    @property
    def cpu_s(self) -> float:
        return sum(r.cpu_s for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        """The largest process's peak RSS."""
        return max(r.maxrss_mb for r in self.runs)

    @property
    def rss_sum_mb(self) -> float:
        """Sum of the processes' peaks: memory the fan-out may need at once."""
        return sum(r.maxrss_mb for r in self.runs)

    def to_json(self) -> dict[str, t.Any]:
        return {
            "label": self.label,
            "groups": self.groups,
            "page_size": self.page_size,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "peak_rss_mb": self.peak_rss_mb,
            "rss_sum_mb": self.rss_sum_mb,
            "records": self.records,
            "records_by_stream": self.records_by_stream,
            "api": self.api,
            "load_avg_at_end": self.load_avg,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "runs": [asdict(r) | {"last_state": None} for r in self.runs],
        }


def load(
    sim: Simulator,
    catalog: dict[str, t.Any],
    config: Path,
    groups: list[list[str]],
    work: Path,
    *,
    label: str,
    page_size: int,
    timeout: float = 3600,
) -> LoadResult:
    """Run one tap process per group, all at once; wait for all of them (``timeout`` s)."""
    sim.reset_stats()
    rows_before = sim.row_counts()
    procs: list[Proc] = []
    runs: list[Run] = []
    errors: list[str] = []
    started = time.perf_counter()
    try:
        for i, streams in enumerate(groups):
            cat = select(catalog, streams, work / f"{label}-{i}.catalog.json")
            log = work / f"{label}-{i}.log"
            procs.append(Proc(tap_cmd(config, cat), env=base_env(), cwd=work, log=log))
        for p in procs:
            left = max(1.0, timeout - (time.perf_counter() - started))
            try:
                runs.append(p.finish(left))
            except RuntimeError as exc:
                errors.append(str(exc))
    finally:
        for p in procs:  # after an error or an interrupt: nothing left running
            p.stop()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{label}: " + "; ".join(errors))
    by_stream: dict[str, int] = {}
    for r in runs:
        by_stream.update(r.records_by_stream)
    return LoadResult(
        label=label,
        groups=groups,
        page_size=page_size,
        wall_s=wall,
        runs=runs,
        api=api_summary(sim.stats()),
        load_avg=load_avg(),
        rows_before=rows_before,
        rows_after=sim.row_counts(),
        records_by_stream=dict(sorted(by_stream.items())),
    )


def describe(r: LoadResult, latency: Latency) -> str:
    return (
        f"  {r.label:<26} {len(r.groups)} process(es), page {r.page_size:,}: "
        f"{r.wall_s:7.1f} s wall, {r.api['query']} queries, {r.records:,} records, "
        f"{r.cpu_s:6.1f} s cpu, peak RSS {r.peak_rss_mb:.0f} MB (sum {r.rss_sum_mb:.0f}); "
        f"Looker time alone {latency.looker_seconds(r.api['query'], r.records):.0f} s"
    )
