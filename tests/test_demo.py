"""`make demo` end to end: scripts/demo.py as a real process (simulator, two `meltano run
looker-to-duckdb` days) into a temporary output directory, then its report page rendered by
headless Chromium and every number on it checked against the warehouse with SQL written here
(not report.py's). One demo run, shared by every test of the module.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from tests.browser import Rendered, png_distinct_bytes, png_size, render
from tests.conftest import REPO_ROOT

A = "looker_activity_analytics"
MAX_LINES = 40
ANSWERS = (
    "demo: top unused explore: ",
    "demo: stale by Looker's rules: ",
    "demo: slowest dashboard: ",
    "demo: idle licences: ",
    "demo: quota used in ",
    "demo: report: ",
)


@dataclass
class Demo:
    output: Path
    proc: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def database(self) -> Path:
        return self.output / "warehouse.duckdb"

    @property
    def report(self) -> Path:
        return self.output / "report.html"

    @property
    def lines(self) -> list[str]:
        return self.proc.stdout.splitlines()

    def line(self, prefix: str) -> str:
        found = [line for line in self.lines if line.startswith(prefix)]
        assert len(found) == 1, f"one line starting {prefix!r} expected in:\n{self.proc.stdout}"
        return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    output = tmp_path_factory.mktemp("demo") / "output"
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "scripts/demo.py",
            *("--output", str(output)),
            *("--port", str(_free_port())),
            *("--rows", "2000"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Demo(output=output, proc=proc, seconds=time.monotonic() - started)


@pytest.fixture(scope="module")
def rendered(demo: Demo) -> Rendered:
    assert demo.report.is_file(), demo.proc.stdout + demo.proc.stderr
    return render(demo.report, screenshot=demo.output / "report.png")


def _one(database: Path, sql: str) -> t.Any:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


def _number(text: str) -> int | float | str:
    clean = text.strip().replace(",", "")
    if re.fullmatch(r"-?\d+", clean):
        return int(clean)
    if re.fullmatch(r"-?\d+\.\d+", clean):
        return float(clean)
    return text.strip()


class _Metrics(HTMLParser):
    """Every element with data-metric: name -> the values its text shows (one per element)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[int | float | str]] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((tag, dict(attrs).get("data-metric"), []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, name, text = self._open.pop()
            if name is not None:
                self.found.setdefault(name, []).append(_number("".join(text)))
            if self._open and name is None:
                self._open[-1][2].extend(text)
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def dom_metrics(dom: str) -> dict[str, int | float | str]:
    parser = _Metrics()
    parser.feed(dom)
    parser.close()
    out = {}
    for name, values in parser.found.items():
        assert len(set(values)) == 1, f"data-metric {name} shows different values: {values}"
        out[name] = values[0]
    return out


def _close(shown: object, truth: object) -> bool:
    if isinstance(shown, str) or isinstance(truth, str):  # a label: an id, a month
        return str(shown) == str(truth)
    if isinstance(shown, float) or isinstance(truth, float):
        # the page shows 3 decimals; p50/p90/p99 are FLOAT (single precision) in DuckDB
        diff = abs(float(shown) - float(truth))  # type: ignore[arg-type]
        return diff <= max(1e-3, 1e-6 * abs(float(truth)))  # type: ignore[arg-type]
    return shown == truth


# --- the demo process -------------------------------------------------------------------


def test_demo_exits_0(demo: Demo) -> None:
    assert demo.proc.returncode == 0, demo.proc.stdout + demo.proc.stderr
    assert demo.proc.stderr == ""


def test_demo_prints_one_line_per_answer(demo: Demo) -> None:
    assert len(demo.lines) <= MAX_LINES, demo.proc.stdout
    for prefix in ANSWERS:
        demo.line(prefix)
    assert demo.line("demo: report: ") == f"demo: report: {demo.report}"
    # meltano's own output went to the log the demo names, not to the terminal
    log = demo.output / "demo.log"
    assert any(str(log) in line for line in demo.lines)
    assert "dbt" in log.read_text()
    assert not any("[info" in line or "Traceback" in line for line in demo.lines)


def test_answer_lines_equal_the_warehouse(demo: Demo) -> None:
    db = demo.database
    stale = _one(db, f"select count(*) from {A}.stale_content")
    assert re.search(rf": {stale:,} dashboards and Looks", demo.line(ANSWERS[1]))
    idle = _one(db, f"select count(*) from {A}.inactive_users")
    assert re.search(rf": {idle:,} enabled users", demo.line(ANSWERS[3]))
    unused = _one(
        db,
        f"select count(*) as n from {A}.unused_fields where is_unused "
        "group by model, explore order by n desc limit 1",
    )
    assert f" with {unused:,} unused fields" in demo.line(ANSWERS[0])
    p90 = _one(
        db,
        f"select max(p90_runtime_seconds) from {A}.slow_content where content_kind = 'dashboard'",
    )
    shown = re.search(r" at p90 ([\d,.]+) s", demo.line(ANSWERS[2]))
    assert shown, demo.line(ANSWERS[2])
    assert abs(float(shown.group(1).replace(",", "")) - p90) < 5e-4
    month = f"(select max(usage_month) from {A}.api_quota_monthly)"
    used = {
        cls: _one(
            db,
            f"select coalesce(sum(calls), 0) from {A}.api_quota_monthly "
            f"where quota_class = '{cls}' and usage_month = {month}",
        )
        for cls in ("query", "admin")
    }
    line = demo.line(ANSWERS[4])
    assert f": {used['query']:,} of 1,000 query calls, {used['admin']:,} of 1,000 admin" in line


# --- the page ---------------------------------------------------------------------------


def readme_queries() -> list[tuple[str, str]]:
    """(comment, statement) of each query in the README's example block."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("Example queries", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    queries = []
    for chunk in block.split(";"):
        lines = [line for line in chunk.strip().splitlines() if line.strip()]
        if lines:
            comment = next((line for line in lines if line.startswith("--")), lines[0])
            queries.append((comment, "\n".join(lines)))
    return queries


def test_readme_queries_return_rows_on_the_demo_data(demo: Demo) -> None:
    queries = readme_queries()
    assert len(queries) >= 8, queries
    empty = []
    with duckdb.connect(str(demo.database), read_only=True) as con:
        for comment, sql in queries:
            if not con.execute(sql).fetchall():
                empty.append(comment)
    assert not empty, f"README queries that return nothing on the demo data: {empty}"


def test_report_is_self_contained(demo: Demo) -> None:
    page = demo.report.read_text()
    assert page.startswith("<!doctype html>")
    external = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert external == []
    assert not re.search(r"https?://", page)
    for fetching in ("<script", "<link", "<img", "<iframe", "@import", "url("):
        assert fetching not in page.lower()
    assert "default-src 'none'" in page  # the page's own CSP forbids any fetch


def test_chromium_renders_it_without_console_errors(rendered: Rendered) -> None:
    assert rendered.errors == []
    assert rendered.screenshot is not None
    assert png_size(rendered.screenshot) == (1280, 2400)
    assert rendered.screenshot.stat().st_size > 20_000
    assert png_distinct_bytes(rendered.screenshot) > 64  # not a page of one colour
    assert "Unused fields per explore" in rendered.dom
    assert "not built" not in rendered.dom  # the demo selects every stream the page needs


def test_every_number_on_the_page_equals_the_warehouse(demo: Demo, rendered: Rendered) -> None:
    shown = dom_metrics(rendered.dom)
    db = demo.database
    month = f"(select max(usage_month) from {A}.api_quota_monthly)"
    truth = {
        "stale_count": f"select count(*) from {A}.stale_content",
        "idle_licences": f"select count(*) from {A}.inactive_users",
        "idle_never_logged_in": f"select count(*) from {A}.inactive_users where never_logged_in",
        "quota_used_query": f"select coalesce(sum(calls), 0) from {A}.api_quota_monthly "
        f"where quota_class = 'query' and usage_month = {month}",
        "quota_used_admin": f"select coalesce(sum(calls), 0) from {A}.api_quota_monthly "
        f"where quota_class = 'admin' and usage_month = {month}",
        "top_content_1_accesses": f"select sum(total_accesses) as n from {A}.content_usage_daily "
        "group by content_type, content_id order by n desc limit 1",
        "usage_total_accesses": f"select sum(total_accesses) from {A}.content_usage_daily",
        "usage_days": f"select count(distinct usage_date) from {A}.content_usage_daily",
        "unused_fields_total": f"select count(*) from {A}.unused_fields where is_unused",
        "catalog_fields_total": f"select count(*) from {A}.unused_fields",
        "top_unused_explore_count": f"select count(*) as n from {A}.unused_fields "
        "where is_unused group by model, explore order by n desc limit 1",
        "slowest_dashboard_p90": f"select max(p90_runtime_seconds) from {A}.slow_content "
        "where content_kind = 'dashboard'",
        "slowest_explore_p90": f"select max(p90_runtime_seconds) from {A}.slow_content "
        "where content_kind = 'explore'",
    }
    for name, sql in truth.items():
        assert name in shown, f"no data-metric={name} on the page"
        expected = _one(db, sql)
        assert _close(shown[name], expected), (
            f"{name}: page {shown[name]!r}, warehouse {expected!r}"
        )
    # top content: one row per item, in descending order, the first equal to the maximum
    tops = [
        shown[f"top_content_{i}_accesses"]
        for i in range(1, 11)
        if f"top_content_{i}_accesses" in shown
    ]
    assert tops == sorted(tops, reverse=True)
    # the top unused explore is one with that many unused fields
    explores = {
        f"{m}.{e}"
        for m, e in duckdb.connect(str(db), read_only=True)
        .execute(
            f"select model, explore from {A}.unused_fields where is_unused group by all "
            f"having count(*) = {shown['top_unused_explore_count']}"
        )
        .fetchall()
    }
    assert shown["top_unused_explore"] in explores
    # the quota per month and class, every row of the mart
    with duckdb.connect(str(db), read_only=True) as con:
        quota = con.execute(
            f"select strftime(usage_month, '%Y-%m'), quota_class, calls from {A}.api_quota_monthly"
        ).fetchall()
    assert quota
    for m, cls, calls in quota:
        assert shown[f"quota_{m}_{cls}_calls"] == calls


def test_the_page_and_build_report_agree(demo: Demo, rendered: Rendered, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("demo_report", REPO_ROOT / "scripts/report.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    metrics = module.build_report(demo.database, tmp_path / "again.html")
    shown = dom_metrics(rendered.dom)
    assert set(shown) == set(metrics)
    for name, value in metrics.items():
        assert _close(shown[name], value), f"{name}: page {shown[name]!r}, returned {value!r}"


def test_a_missing_mart_is_a_note(demo: Demo, tmp_path: Path) -> None:
    """A warehouse without the marts of unselected streams: one note each, no failure."""
    db = tmp_path / "partial.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{demo.database}' as demo (read_only)")
        con.execute(f"create schema {A}")
        con.execute(f"create table {A}.content_usage_daily as from demo.{A}.content_usage_daily")
    out = tmp_path / "partial.html"
    proc = subprocess.run(
        [sys.executable, "scripts/report.py", "--database", str(db), "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    for streams in (
        "content_usage",
        "lookml_field and field_usage",
        "history",
        "user",
        "api_usage",
    ):
        assert f"not built: select stream {streams}" in page
    assert page.count("not built: ") == 6  # stale, unused, slow, idle, quota, audit
    assert 'data-metric="usage_total_accesses"' in page


# --- the browser check itself -----------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('console.error("deliberate console error 7f3a");', "deliberate console error 7f3a"),
        (
            'throw new Error("deliberate exception 9c1d");',
            "Uncaught Error: deliberate exception 9c1d",
        ),
    ],
)
def test_console_error_detection_can_fail(tmp_path: Path, script: str, expected: str) -> None:
    page = tmp_path / "broken.html"
    page.write_text(f"<!doctype html><html><body><p>x</p><script>{script}</script></body></html>")
    got = render(page, screenshot=tmp_path / "broken.png")
    assert any(expected in message for message in got.errors), got.console
    assert bool(got.exceptions) == script.startswith("throw")
    clean = tmp_path / "clean.html"
    clean.write_text("<!doctype html><html><body><p>nothing to say</p></body></html>")
    assert render(clean).errors == []
