"""``python -m bench`` (``make bench``): the tap against a Looker with realistic latency.

Measured in one run, each program as its own process against the looker-simulator CLI:

1. ``cpu``: the tap's own cost with no latency: CPU per row of the tap and of the floor
   (plain looker-sdk, same queries), their ratio, next to the wall-time ratio.
2. ``first-load``: a full first load of all ten streams at realistic sizes under latency,
   one tap process (as one ``meltano run``), then one process per stream group at once (as
   the Airflow fan-out), then an incremental run with nothing new; wall time, Looker queries,
   CPU, peak RSS.
3. ``page-size``: one stream's full load at each page size under the same latency.

Results: ``bench/results/latest.{md,json}`` and the figures section of docs/benchmarks.md
(``--quick``: ``bench/results/quick.{md,json}`` only). Checks print PASS/FAIL; the exit
code is 0 unless a measurement failed, or 1 with ``--strict`` when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import tempfile
import time
import typing as t
from pathlib import Path

from . import cpu, first_load, latency, page_size, report
from .procs import (
    ROOT,
    LatencyUnsupported,
    Simulator,
    api_summary,
    base_env,
    discover,
    load_avg,
    machine,
    measure,
    select,
    tap_cmd,
    tap_config,
    use_bytecode_cache,
    use_tap_at,
)

SECTIONS = ("cpu", "first-load", "page-size")


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of integers: {text!r}") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive integers: {text!r}")
    return values


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="smoke test: sizes / 20, one rep")
    p.add_argument(
        "--only",
        type=lambda s: s.split(","),
        default=list(SECTIONS),
        help=f"comma list of sections to run ({', '.join(SECTIONS)})",
    )
    p.add_argument(
        "--query-delay",
        type=_seconds,
        default=latency.QUERY_DELAY_S,
        help="simulated Looker seconds per query (default %(default)s)",
    )
    p.add_argument(
        "--row-delay",
        type=_seconds,
        default=latency.ROW_DELAY_S,
        help="simulated Looker seconds per row returned (default %(default)s)",
    )
    p.add_argument(
        "--page-size",
        type=int,
        default=5000,
        help="page_size of the first loads (default %(default)s)",
    )
    p.add_argument(
        "--page-sizes",
        type=_ints,
        default=[5000, 25_000, 50_000],
        help="page sizes of the sweep (default 5000,25000,50000)",
    )
    p.add_argument("--sweep-stream", default="history", help="stream of the page-size sweep")
    p.add_argument(
        "--streams",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=None,
        help="streams of the first loads (default: all ten)",
    )
    p.add_argument(
        "--groups",
        default="3",
        help="parallel fan-out: a number of groups (balanced by Looker time), or "
        "streams, e.g. 'history;event,event_attribute;*' (* = the rest)",
    )
    p.add_argument(
        "--cpu-sizes",
        type=_ints,
        default=None,
        help="content_usage rows of the CPU runs (default 20000,200000; quick 10000,50000)",
    )
    p.add_argument("--reps", type=int, default=None, help="CPU runs per program (best kept)")
    p.add_argument(
        "--tap-ref",
        metavar="REF",
        help="run the tap package as committed at git REF instead of the working tree's",
    )
    p.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile")
    p.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    p.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="measure nothing: rewrite the markdown (and docs, for a full run) from a "
        "results JSON written by an earlier run",
    )
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument(
        "--docs",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="markdown file whose figures section is rewritten (not with --quick)",
    )
    args = p.parse_args(argv)
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    if args.page_size <= 0:
        p.error("--page-size must be positive")
    return args


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: simulators stopped, temp dir removed


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = parse_args(argv)
    if args.render:
        return _render(args)
    quick = args.quick
    rows = latency.scaled(latency.REALISTIC_ROWS, latency.QUICK_SCALE if quick else 1)
    if args.streams:
        unknown = sorted(set(args.streams) - set(rows))
        if unknown:
            print(f"error: unknown stream(s) in --streams: {', '.join(unknown)}", file=sys.stderr)
            return 2
        rows = {k: v for k, v in rows.items() if k in args.streams}
    lat = latency.Latency(args.query_delay, args.row_delay)
    cpu_sizes = args.cpu_sizes or ([10_000, 50_000] if quick else [20_000, 200_000])
    reps = args.reps or (1 if quick else 2)
    if args.groups.isdigit():
        groups = latency.stream_groups(rows, int(args.groups), args.page_size, lat)
    else:
        try:
            groups = latency.parse_groups(args.groups, list(rows))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.sweep_stream not in rows:
        print(
            f"error: --sweep-stream {args.sweep_stream!r} is not one of the ten streams",
            file=sys.stderr,
        )
        return 2

    started = time.perf_counter()
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, load {info['load_avg_at_start']}")
    print(f"latency: {lat.label()}; streams: {sum(rows.values()):,} rows; groups: {groups}")
    payload: dict[str, t.Any] = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": info,
        "latency": {"query_delay_s": lat.query_delay, "row_delay_s": lat.row_delay},
        "rows": rows,
        "errors": {},
    }

    def say(msg: str) -> None:
        print(msg, flush=True)

    with tempfile.TemporaryDirectory(prefix="tap-bench-") as tmp:
        work = Path(tmp)
        use_bytecode_cache(work / "pycache")
        if args.tap_ref:
            use_tap_at(args.tap_ref, work)
            payload["tap_ref"] = args.tap_ref
        if "cpu" in args.only:
            say(f"cpu: content_usage, no latency, {cpu_sizes} rows, {reps} run(s) each")
            try:
                result = cpu.run(cpu_sizes, reps, work, say)
                payload["cpu"] = result.to_json()
                if not (quick or args.no_profile):
                    payload["profile"] = cpu.profile(100_000, work, args.out)
            except RuntimeError as exc:
                payload["errors"]["cpu"] = str(exc)
                say(f"  cpu failed: {exc}")
        if {"first-load", "page-size"} & set(args.only):
            try:
                _under_latency(args, rows, lat, groups, work, payload, say)
            except RuntimeError as exc:
                payload["errors"]["latency"] = str(exc)
                say(f"  failed: {exc}")

    payload["elapsed_s"] = round(time.perf_counter() - started, 1)
    payload["machine"]["load_avg_at_end"] = load_avg()
    payload["checks"] = report.checks(payload)
    md = report.markdown(payload)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if quick else "latest"
    (args.out / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (args.out / f"{stem}.md").write_text(md)
    written = [args.out / f"{stem}.json", args.out / f"{stem}.md"]
    if not quick and args.docs.exists():
        report.update_docs(args.docs, report.markdown(payload, level=2))
        written.append(args.docs)
    print()
    print(md)
    print(
        "written: " + ", ".join(str(p) for p in written) + f" ({payload['elapsed_s'] / 60:.1f} min)"
    )
    if payload["errors"]:
        return 1
    return 1 if args.strict and any(c["pass"] is False for c in payload["checks"]) else 0


def _render(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.render.read_text())
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.render}: {exc}", file=sys.stderr)
        return 2
    payload["checks"] = report.checks(payload)
    md = report.markdown(payload)
    args.render.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    args.render.with_suffix(".md").write_text(md)
    if payload.get("mode") == "full" and args.docs.exists():
        report.update_docs(args.docs, report.markdown(payload, level=2))
    print(md)
    return 0


def _under_latency(
    args: argparse.Namespace,
    rows: dict[str, int],
    lat: latency.Latency,
    groups: list[list[str]],
    work: Path,
    payload: dict[str, t.Any],
    say: t.Callable[[str], None],
) -> None:
    content_usage, explores = latency.simulator_sizes(rows)
    say(f"first load: simulator with {sum(rows.values()):,} rows in {len(rows)} explores")
    with Simulator(work, content_usage, explores) as sim:
        payload["simulator_rows"] = sim.row_counts()
        config = tap_config(work, sim.base_url, args.page_size, name="load")
        catalog = discover(work, config)  # untimed, no latency yet
        payload["replication"] = {
            st["tap_stream_id"]: st.get("replication_method")
            for st in catalog["streams"]
            if st["tap_stream_id"] in rows
        }
        try:
            sim.set_latency(lat.query_delay, lat.row_delay)
        except LatencyUnsupported as exc:
            payload["errors"]["latency"] = str(exc)
            say(f"  not measured: {exc}")
            return

        # A run that takes 3x Looker's own time plus 5 min is stuck (e.g. paging row by row).
        budget = 3 * lat.looker_seconds(
            latency.queries_bound(rows, args.page_size), sum(rows.values())
        )
        budget += 300

        def show(r: first_load.LoadResult) -> None:
            say(first_load.describe(r, lat))

        if "first-load" in args.only:
            try:
                seq = first_load.load(
                    sim,
                    catalog,
                    config,
                    [list(rows)],
                    work,
                    label="sequential",
                    page_size=args.page_size,
                    timeout=budget,
                )
                show(seq)
                payload["sequential"] = seq.to_json()
                payload["incremental"] = _incremental(sim, catalog, config, seq, rows, work)
                say(
                    f"  incremental, nothing new: {payload['incremental']['wall_s']:.1f} s, "
                    f"{payload['incremental']['api']['query']} queries, "
                    f"{payload['incremental']['records']} records"
                )
                par = first_load.load(
                    sim,
                    catalog,
                    config,
                    groups,
                    work,
                    label="parallel",
                    page_size=args.page_size,
                    timeout=budget,
                )
                show(par)
                payload["parallel"] = par.to_json()
            except RuntimeError as exc:
                payload["errors"]["first-load"] = str(exc)
                say(f"  first load failed: {exc}")
        if "page-size" in args.only:
            try:
                sweep = page_size.sweep(
                    sim, catalog, args.sweep_stream, sorted(args.page_sizes), work, show, budget
                )
                payload["page_size"] = {
                    "stream": args.sweep_stream,
                    "results": [r.to_json() for r in sweep],
                    "recommended": page_size.recommend(sweep).page_size,
                    "rss_flat_within": page_size.RSS_FLAT,
                }
            except RuntimeError as exc:
                payload["errors"]["page-size"] = str(exc)
                say(f"  page-size sweep failed: {exc}")


def _incremental(
    sim: Simulator,
    catalog: dict[str, t.Any],
    config: Path,
    seq: first_load.LoadResult,
    rows: dict[str, int],
    work: Path,
) -> dict[str, t.Any]:
    """The next run after the first load, nothing new: one query per stream is the floor."""
    state = seq.runs[0].last_state
    if state is None:
        raise RuntimeError("the first load emitted no STATE")
    state_path = work / "state.json"
    state_path.write_text(json.dumps(state))
    cat = select(catalog, list(rows), work / "incremental.catalog.json")
    sim.reset_stats()
    r = measure(
        tap_cmd(config, cat, "--state", str(state_path)),
        env=base_env(),
        cwd=work,
        log=work / "incremental.log",
    )
    return {
        "wall_s": r.wall_s,
        "cpu_s": r.cpu_s,
        "records": r.records,
        "records_by_stream": dict(sorted(r.records_by_stream.items())),
        "api": api_summary(sim.stats()),
        "streams": len(rows),
    }


if __name__ == "__main__":
    sys.exit(main())
