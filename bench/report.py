"""Checks and the markdown report, from the run's JSON payload (the one source of figures)."""

from __future__ import annotations

import typing as t
from pathlib import Path

from .latency import explore_of, pages

STATUS = {True: "PASS", False: "FAIL", None: "SKIP"}

MIN_WALL_RATIO = 0.80  # tap wall time within 80 % of the floor's, no latency (issue 6)
MAX_RSS_MB = 200.0
DOCS_START = "<!-- bench:figures:start (written by `make bench`, do not edit by hand) -->"
DOCS_END = "<!-- bench:figures:end -->"

P = dict[str, t.Any]


def checks(p: P) -> list[P]:
    out: list[P] = []

    def add(name: str, ok: bool | None, measured: str) -> None:
        out.append({"check": name, "pass": ok, "measured": measured})

    seq, par = p.get("sequential"), p.get("parallel")
    if seq:
        size = seq["page_size"]
        # One query per full page, the last (short or empty) page, and Looker's count of the
        # window that proves the end (the tap's completeness proof).
        bound = sum(pages(n, size) + 1 for n in seq["records_by_stream"].values())
        add(
            f"first load: Looker queries <= sum over streams of (records // {size:,} + 2)",
            seq["api"]["query"] <= bound,
            f"{seq['api']['query']} queries, bound {bound}",
        )
    if seq and par:
        grew = sorted(
            {
                s
                for s in seq["records_by_stream"]
                for run in (seq, par)
                if run.get("rows_before", {}).get(explore_of(s))
                != run.get("rows_after", {}).get(explore_of(s))
            }
        )
        steady = [s for s in seq["records_by_stream"] if s not in grew]
        diff = [s for s in steady if par["records_by_stream"].get(s) != seq["records_by_stream"][s]]
        add(
            "fan-out: every stream's records equal the sequential load's "
            "(streams whose rows Looker did not change meanwhile)",
            not diff,
            (", ".join(diff) or f"{len(steady)} streams equal")
            + (
                f"; grew during the loads (the tap's own queries): {', '.join(grew)}"
                if grew
                else ""
            ),
        )
        # A stream whose rows grow meanwhile (the tap's own queries in history/query) may
        # need one page more: at most one more query per growing stream.
        add(
            "fan-out: no extra Looker queries (one more per growing stream)",
            par["api"]["query"] <= seq["api"]["query"] + len(grew),
            f"{par['api']['query']} vs {seq['api']['query']} queries",
        )
    if seq:
        rows_after = seq.get("rows_after") or p.get("simulator_rows", {})
        extra = {
            s: n - rows_after[explore_of(s)]
            for s, n in seq["records_by_stream"].items()
            if explore_of(s) in rows_after and n > rows_after[explore_of(s)]
        }
        add(
            "first load: no stream emits more records than Looker holds rows at its end",
            not extra,
            ", ".join(f"{s}: {n:,} extra" for s, n in extra.items()) or "none",
        )
    sweep = p.get("page_size")
    if sweep:
        rss = [r["peak_rss_mb"] for r in sweep["results"]]
        spread = (max(rss) - min(rss)) / min(rss)
        add(
            f"page_size: peak RSS flat (spread <= {sweep['rss_flat_within']:.0%})",
            spread <= sweep["rss_flat_within"],
            ", ".join(f"{x:.0f}" for x in rss) + f" MB (spread {spread:.0%})",
        )
        add(
            f"page_size: peak RSS < {MAX_RSS_MB:.0f} MB at every page size",
            max(rss) < MAX_RSS_MB,
            f"max {max(rss):.0f} MB",
        )
    c = p.get("cpu")
    if c:
        add(
            "cpu: the floor sent exactly the tap's queries",
            bool(c["floor_sent_the_tap_queries"]),
            str(c["floor_sent_the_tap_queries"]),
        )
        add(
            f"cpu: tap wall time within {MIN_WALL_RATIO:.0%} of the floor's (no latency)",
            c["wall_ratio_floor_over_tap"] >= MIN_WALL_RATIO,
            f"{c['wall_ratio_floor_over_tap']:.0%}",
        )
    for section, error in p.get("errors", {}).items():
        add(f"{section}: measured", False, "not measured: " + error.splitlines()[0][:300])
    return out


def _load_row(name: str, r: P, q: float, rd: float) -> str:
    looker = r["api"]["query"] * q + r["records"] * rd
    per_rec = r["cpu_s"] / r["records"] * 1e6 if r["records"] else 0.0
    return (
        f"| {name} | {len(r['groups'])} | {r['page_size']:,} | **{r['wall_s']:.1f}** | "
        f"{r['api']['query']} | {r['api']['login']} | {r['records']:,} | {r['cpu_s']:.1f} | "
        f"{per_rec:.0f} | {r['peak_rss_mb']:.0f} | {r['rss_sum_mb']:.0f} | {looker:.0f} |"
    )


def markdown(p: P, *, level: int = 1) -> str:
    """The report; ``level`` is the heading level of its title (sections one below)."""
    h, hh = "#" * level, "#" * (level + 1)
    m, lat = p["machine"], p["latency"]
    q, rd = lat["query_delay_s"], lat["row_delay_s"]
    lines = [
        f"{h} Benchmark results ({p['mode']}, {p['generated']})",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, "
        f"shared with other jobs: load average {m['load_avg_at_start']} at the start, "
        f"{m.get('load_avg_at_end', '?')} at the end; git {m['git']}; tap "
        f"{'as committed at ' + p['tap_ref'] if p.get('tap_ref') else 'of the working tree'}; "
        f"{p.get('elapsed_s', 0) / 60:.1f} min. Regenerate with `make bench`.",
        "",
        f"Simulated Looker latency: **{q:g} s per query + {rd * 1e6:g} us per row returned** "
        "(`--query-delay`, `--row-delay`; sources in docs/benchmarks.md).",
    ]
    seq, par, inc = p.get("sequential"), p.get("parallel"), p.get("incremental")
    if seq:
        lines += [
            "",
            f"{hh} Full first load, {len(seq['records_by_stream'])} streams, "
            f"{seq['records']:,} records",
            "",
            "| run | processes | page_size | wall s | Looker queries | logins | records "
            "| tap CPU s | CPU us/record | peak RSS MB (largest process) | RSS MB (sum) "
            "| Looker time alone s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            _load_row("sequential: one tap (one `meltano run`)", seq, q, rd),
        ]
        if par:
            lines.append(
                _load_row(f"parallel: {len(par['groups'])} taps at once (fan-out)", par, q, rd)
            )
        if inc:
            lines.append(
                f"| next run, nothing new (incremental) | 1 | {seq['page_size']:,} | "
                f"**{inc['wall_s']:.1f}** | {inc['api']['query']} | {inc['api']['login']} | "
                f"{inc['records']:,} | {inc['cpu_s']:.1f} | | | | "
                f"{inc['api']['query'] * q:.0f} |"
            )
        lines += [
            "",
            '"Looker time alone" = queries x per-query delay + records x per-row delay: what '
            "one client waiting for each query in turn cannot go below.",
        ]
        if inc:
            per = inc["api"].get("query_by_explore", {})
            re_read = inc.get("records_by_stream", {})
            lines += [
                "",
                "Next run, nothing new in Looker: queries (records re-read) per stream: "
                + ", ".join(
                    f"{s} {per.get(explore_of(s), 0)} ({re_read.get(s, 0):,})"
                    for s in seq["records_by_stream"]
                )
                + ".",
            ]
        if par:
            lines += [
                "",
                f"Fan-out speed-up: **{seq['wall_s'] / par['wall_s']:.2f}x** "
                f"({seq['wall_s']:.0f} s -> {par['wall_s']:.0f} s) with "
                f"{len(par['groups'])} concurrent Looker queries at most; groups: "
                + "; ".join(", ".join(g) for g in par["groups"])
                + f". Load average after the fan-out: {par['load_avg_at_end']}.",
            ]
        sim_rows = p.get("simulator_rows", {})
        qs = seq["api"].get("query_by_explore", {})
        lines += [
            "",
            "| stream | rows in the simulator (start -> end of the load) "
            "| records (sequential) | Looker queries |",
            "|---|---:|---:|---:|",
        ]
        before, after = seq.get("rows_before", sim_rows), seq.get("rows_after", sim_rows)
        for stream, n in seq["records_by_stream"].items():
            explore = explore_of(stream)
            queries = qs.get(explore, qs.get(stream, 0))
            b, a = before.get(explore, 0), after.get(explore, 0)
            lines.append(
                f"| {stream} | {b:,}{f' -> {a:,}' if a != b else ''} | {n:,} | "
                f"{queries if queries else '0 (REST API, not a query)'} |"
            )
    sweep = p.get("page_size")
    if sweep:
        lines += [
            "",
            f"{hh} page_size: full load of `{sweep['stream']}` under the same latency",
            "",
            "| page_size | Looker queries | wall s | tap CPU s | peak RSS MB "
            "| Looker time alone s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in sweep["results"]:
            lines.append(
                f"| {r['page_size']:,} | {r['api']['query']} | **{r['wall_s']:.1f}** | "
                f"{r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | "
                f"{r['api']['query'] * q + r['records'] * rd:.0f} |"
            )
        lines += [
            "",
            f"Fastest page size with peak RSS within {sweep['rss_flat_within']:.0%} of the "
            f"smallest's: **{sweep['recommended']:,}**.",
        ]
        if seq:
            # Computed, not measured: the first load's streams at each page size.
            lines += [
                "",
                "Computed for the full first load (its records per stream; REST streams "
                "counted as queries too): at most sum(records // page_size + 2) queries, "
                "and Looker time alone for them:",
                "",
                "| page_size | queries (at most) | Looker time alone s |",
                "|---:|---:|---:|",
            ]
            for r in sweep["results"]:
                size = r["page_size"]
                nq = sum(pages(n, size) + 1 for n in seq["records_by_stream"].values())
                lines.append(f"| {size:,} | {nq} | {nq * q + seq['records'] * rd:.0f} |")
    c = p.get("cpu")
    if c:
        lo, hi = min(c["sizes"]), max(c["sizes"])
        lines += [
            "",
            f"{hh} The tap's own cost: CPU against the floor, no latency (`{c['stream']}`)",
            "",
            "| program | rows | wall s | CPU s | peak RSS MB |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in ("tap", "floor"):
            for n in c["sizes"]:
                r = c[name][n] if n in c[name] else c[name][str(n)]
                lines.append(
                    f"| {name} | {n:,} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                    f"{r['maxrss_mb']:.0f} |"
                )
        lines += [
            "",
            f"- **CPU per row** (slope between {lo:,} and {hi:,} rows, start-up excluded): tap "
            f"{c['tap_cpu_per_row_us']:.1f} us, floor {c['floor_cpu_per_row_us']:.1f} us: "
            f"**the tap costs {c['cpu_ratio_tap_over_floor']:.1f}x the floor in CPU**.",
            f"- **Wall time** at {hi:,} rows: floor wall / tap wall = "
            f"**{c['wall_ratio_floor_over_tap']:.0%}** (the earlier throughput ratio). Both "
            "walls include waiting for the simulator, so this ratio understates the tap's own "
            "cost; the CPU ratio does not.",
        ]
    lines += ["", f"{hh} Checks", "", "| check | measured | result |", "|---|---|---|"]
    lines += [f"| {c['check']} | {c['measured']} | {STATUS[c['pass']]} |" for c in p["checks"]]
    prof = p.get("profile")
    if prof:
        lines += [
            "",
            f"{hh} Profile: tap, content_usage 100,000 rows, no latency, top self time",
            "",
            "```",
            prof["flat_top"],
            "```",
            "",
            f"Call tree: `bench/results/{prof['file']}`.",
        ]
    return "\n".join(lines) + "\n"


def update_docs(path: Path, report_md: str) -> None:
    """Rewrite the figures section of ``path`` between the markers (appended if absent).

    ``report_md``: ``markdown(payload, level=2)``, its sections under the docs' own heading.
    """
    text = path.read_text()
    body = report_md.split("\n", 1)[1].lstrip("\n")  # drop the report's own title
    block = f"{DOCS_START}\n\n{body.rstrip()}\n\n{DOCS_END}"
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start >= 0 and end > start:
        text = text[:start] + block + text[end + len(DOCS_END) :]
    else:
        text = text.rstrip() + "\n\n## Latest figures\n\n" + block + "\n"
    path.write_text(text if text.endswith("\n") else text + "\n")
