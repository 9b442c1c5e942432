"""The benchmark's own logic (`python -m bench`), without running a benchmark: fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import latency, report

ROOT = Path(__file__).resolve().parents[1]


def test_stream_groups_cover_every_stream_once_and_balance_looker_time() -> None:
    lat = latency.Latency(2.0, 0.00005)
    groups = latency.stream_groups(latency.REALISTIC_ROWS, 3, 5000, lat)
    flat = [s for g in groups for s in g]
    assert sorted(flat) == sorted(latency.REALISTIC_ROWS)
    assert len(groups) == 3
    # The largest stream is alone: nothing else fits beside it without exceeding it.
    assert ["event_attribute"] in groups


def test_stream_groups_without_latency_balance_rows() -> None:
    groups = latency.stream_groups({"a": 10, "b": 10, "c": 1}, 2, 5000, latency.Latency(0, 0))
    assert sorted(len(g) for g in groups) == [1, 2]
    assert not any({"a", "b"} <= set(g) for g in groups)  # the two big ones apart


def test_parse_groups_star_takes_the_rest_and_unknown_names_fail() -> None:
    streams = ["history", "event", "event_attribute", "user"]
    assert latency.parse_groups("history;event,*", streams) == [
        ["history"],
        ["event", "event_attribute", "user"],
    ]
    with pytest.raises(ValueError, match="unknown stream"):
        latency.parse_groups("histroy;*", streams)
    with pytest.raises(ValueError, match="leaves out"):
        latency.parse_groups("history;event", streams)


def _load(records: dict[str, int], queries: int, rss: float = 100.0) -> dict[str, object]:
    return {
        "groups": [list(records)],
        "page_size": 5000,
        "wall_s": 10.0,
        "cpu_s": 1.0,
        "peak_rss_mb": rss,
        "rss_sum_mb": rss,
        "records": sum(records.values()),
        "records_by_stream": records,
        "api": {"query": queries, "login": 1, "query_by_explore": {}},
        "load_avg_at_end": "0 0 0",
    }


def test_checks_flag_duplicates_a_fan_out_mismatch_and_growing_memory() -> None:
    sweep = [
        _load({"history": 9000}, 2, rss) | {"page_size": n}
        for n, rss in [(5000, 100.0), (50_000, 250.0)]
    ]
    payload = {
        "simulator_rows": {"history": 9000, "scheduled_plan": 40},
        "sequential": _load({"history": 9000, "scheduled_job": 45}, 3),
        "parallel": _load({"history": 9000, "scheduled_job": 40}, 3),
        "page_size": {"results": sweep, "rss_flat_within": 0.2, "recommended": 5000},
    }
    failed = {c["check"] for c in report.checks(payload) if c["pass"] is False}
    assert any("no stream emits more records" in n for n in failed)  # scheduled_job: 5 extra
    assert any("records equal" in n for n in failed)
    assert any("peak RSS flat" in n for n in failed)
    assert not any("no extra Looker queries" in n for n in failed)


def test_update_docs_rewrites_only_the_figures_section(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# B\n\nhand-written\n\n{report.DOCS_START}\nold\n{report.DOCS_END}\n\ntail\n")
    report.update_docs(docs, "## title\n\n### New figures\n\n| a |\n")
    report.update_docs(docs, "## title\n\n### New figures\n\n| a |\n")  # idempotent
    text = docs.read_text()
    assert "hand-written" in text
    assert "tail" in text
    assert "old" not in text
    assert "## title" not in text
    assert text.count("### New figures") == 1


def test_bad_arguments_are_one_line_errors() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nothing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown section(s) nothing" in proc.stderr
    assert "Traceback" not in proc.stderr
