"""The tap's own cost: CPU per row against the floor, and the wall-time ratio, no latency.

``content_usage`` at two sizes, each on its own simulator with no latency. The floor
(``floor.py``: plain looker-sdk, json-decode, one JSON line per row) sends the tap's own first
query and pages with the same keyset. Per-row CPU is the slope between the two sizes, so the
programs' start-up (imports) is not counted as per-row work; the wall-time ratio is what the
previous benchmark reported (floor wall / tap wall at the larger size).
"""

from __future__ import annotations

import json
import sys
import typing as t
from dataclasses import asdict, dataclass
from pathlib import Path

from .procs import (
    FLOOR,
    Run,
    Simulator,
    api_summary,
    base_env,
    discover,
    floor_env,
    measure,
    select,
    tap_cmd,
    tap_config,
)

STREAM = "content_usage"
PAGE_SIZE = 5000


@dataclass
class CpuResult:
    sizes: list[int]
    tap: dict[int, Run]  # best (lowest wall) of the reps, per size
    floor: dict[int, Run]
    floor_sent_the_tap_queries: bool
    queries: dict[int, int]

    def per_row_us(self, name: str) -> float:
        """Marginal CPU per row (microseconds): slope between the smallest and largest size."""
        runs = self.tap if name == "tap" else self.floor
        lo, hi = min(self.sizes), max(self.sizes)
        return (runs[hi].cpu_s - runs[lo].cpu_s) / (hi - lo) * 1e6

    @property
    def cpu_ratio(self) -> float:
        return self.per_row_us("tap") / self.per_row_us("floor")

    @property
    def wall_ratio(self) -> float:
        """Floor wall / tap wall at the largest size (1.0 = as fast as the floor)."""
        hi = max(self.sizes)
        return self.floor[hi].wall_s / self.tap[hi].wall_s

    def to_json(self) -> dict[str, t.Any]:
        return {
            "stream": STREAM,
            "page_size": PAGE_SIZE,
            "sizes": self.sizes,
            "tap": {n: asdict(r) | {"last_state": None} for n, r in self.tap.items()},
            "floor": {n: asdict(r) | {"last_state": None} for n, r in self.floor.items()},
            "queries": self.queries,
            "tap_cpu_per_row_us": self.per_row_us("tap"),
            "floor_cpu_per_row_us": self.per_row_us("floor"),
            "cpu_ratio_tap_over_floor": self.cpu_ratio,
            "wall_ratio_floor_over_tap": self.wall_ratio,
            "floor_sent_the_tap_queries": self.floor_sent_the_tap_queries,
        }


def run(sizes: list[int], reps: int, work: Path, log: t.Callable[[str], None]) -> CpuResult:
    tap: dict[int, Run] = {}
    floor: dict[int, Run] = {}
    queries: dict[int, int] = {}
    same = True
    for rows in sizes:
        with Simulator(work, rows) as sim:
            config = tap_config(work, sim.base_url, PAGE_SIZE, name=f"cpu-{rows}")
            catalog = select(discover(work, config), [STREAM], work / f"cpu-{rows}.catalog.json")
            query_file = work / f"cpu-{rows}.query.json"
            programs = {
                "tap": (tap_cmd(config, catalog), base_env(), True),
                "floor": (
                    [sys.executable, str(FLOOR), "--query", str(query_file)],
                    floor_env(sim.base_url),
                    False,
                ),
            }
            best: dict[str, Run] = {}
            bodies: dict[str, list[t.Any]] = {}
            for rep in range(reps):
                for name, (cmd, env, records) in programs.items():
                    sim.reset_stats()
                    r = measure(
                        cmd,
                        env=env,
                        cwd=work,
                        log=work / f"cpu-{name}-{rows}-{rep}.log",
                        count_records=records,
                    )
                    stats = sim.stats()
                    if r.records != rows:
                        msg = f"{name} at {rows:,} rows wrote {r.records:,} records"
                        raise RuntimeError(msg)
                    if rep == 0:
                        bodies[name] = [q["body"] for q in stats["queries"]]
                        if name == "tap":  # the floor replays the tap's own first query
                            query_file.write_text(json.dumps(bodies["tap"][0]))
                            queries[rows] = api_summary(stats)["query"]
                    if name not in best or r.wall_s < best[name].wall_s:
                        best[name] = r
                    log(
                        f"  cpu {rows:>9,} rows {name:<5} rep {rep + 1}/{reps}: "
                        f"{r.wall_s:6.2f} s wall {r.cpu_s:6.2f} s cpu {r.maxrss_mb:5.0f} MB"
                    )
            same = same and bodies["tap"] == bodies["floor"]
            tap[rows], floor[rows] = best["tap"], best["floor"]
    return CpuResult(sorted(sizes), tap, floor, same, queries)


def profile(rows: int, work: Path, out: Path) -> dict[str, str]:
    """pyinstrument over the tap's real entry point; flat self time and the call tree."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    with Simulator(work, rows) as sim:
        config = tap_config(work, sim.base_url, PAGE_SIZE, name=f"profile-{rows}")
        catalog = select(discover(work, config), [STREAM], work / f"profile-{rows}.catalog.json")
        session_path = work / f"tap-{rows}.pyisession"
        cmd = [
            sys.executable,
            *("-m", "pyinstrument", "-r", "pyisession", "-o", str(session_path)),
            *("-m", "tap_looker_activity", *tap_cmd(config, catalog)[1:]),
        ]
        measure(cmd, env=base_env(), cwd=work, log=work / f"profile-{rows}.log")
    session = Session.load(str(session_path))
    tree = ConsoleRenderer(unicode=True, processor_options={"filter_threshold": 0.01}).render(
        session
    )
    flat = _flat_self_times(session.root_frame(), session.duration)
    name = f"profile-tap-{rows}.txt"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(tree + "\n\nTop frames by self time:\n" + flat + "\n")
    return {"flat_top": "\n".join(flat.splitlines()[:25]), "file": name}


def _flat_self_times(root: t.Any, duration: float) -> str:
    """Self time per function (pyinstrument's "[self]" leaves credited to their caller)."""
    totals: dict[tuple[str, str], float] = {}

    def walk(frame: t.Any, caller: tuple[str, str]) -> None:
        if frame.function == "[self]" or frame.is_synthetic:
            totals[caller] = totals.get(caller, 0.0) + frame.time
            return
        key = (frame.function, f"{frame.file_path_short}:{frame.line_no}")
        totals[key] = totals.get(key, 0.0) + frame.time - sum(c.time for c in frame.children)
        for child in frame.children:
            walk(child, key)

    if root is not None:
        walk(root, ("<root>", ""))
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return "\n".join(
        f"{secs:7.3f} s {secs / duration:6.1%}  {fn}  {where}"
        for (fn, where), secs in ranked[:60]
        if secs > 0
    )
