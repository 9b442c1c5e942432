"""One self-contained HTML page of the answers in the DuckDB warehouse's marts.

    python scripts/report.py --database output/warehouse.duckdb --out output/report.html

Reads the marts of schema looker_activity_analytics (read-only) and writes one page: inline
CSS and inline SVG charts drawn here, no script, no font, image or style sheet from anywhere
(its Content-Security-Policy forbids every fetch). A mart that is not built (its tap stream
not selected) gets a one-line note instead. Every number on the page carries
`data-metric="<name>"`; `build_report` returns the same names and values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import html
import sys
import typing as t
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ANALYTICS = "looker_activity_analytics"
# Each section's mart and the tap streams dbt needs selected to build it.
NEEDS: dict[str, tuple[str, ...]] = {
    "content_usage_daily": ("content_usage",),
    "stale_content": ("content_usage",),
    "unused_fields": ("lookml_field", "field_usage"),
    "slow_content": ("history",),
    "inactive_users": ("user",),
    "api_quota_monthly": ("api_usage",),
    "extraction_audit": ("sync_audit",),
}
TOP_CONTENT = 10
STALE_LISTED = 20
UNUSED_EXPLORES = 20
SLOW_LISTED = 15
IDLE_LISTED = 20

Metric = int | float | str
Row = tuple[t.Any, ...]


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def plain(value: object) -> Metric | None:
    """A warehouse value as the page shows it: int, float or text (dates as ISO text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def fmt(value: Metric | None, decimals: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{decimals}f}"
    return value


@dataclass
class Page:
    """The page being written and the metrics it shows."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)

    def metric(self, name: str, value: object, decimals: int = 3) -> str:
        """The value as an element carrying data-metric; recorded once per name. No value
        (null) is no number: a dash without a metric."""
        shown = self.record(name, value, decimals)
        if shown is None:
            return '<span class="na">-</span>'
        return f'<span data-metric="{esc(name)}">{esc(fmt(shown, decimals))}</span>'

    def record(self, name: str, value: object, decimals: int = 3) -> Metric | None:
        shown = plain(value)
        if isinstance(shown, float):
            shown = round(shown, decimals)  # the page shows it so: the metric is what it shows
        if shown is not None:
            known = self.metrics.setdefault(name, shown)
            if known != shown:
                raise ValueError(f"metric {name} shown as both {known!r} and {shown!r}")
        return shown

    def add(self, *text: str) -> None:
        self.parts.extend(text)


class Warehouse:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        rows = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [ANALYTICS],
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for table, column in rows:
            self.columns.setdefault(str(table), set()).add(str(column))

    def has(self, table: str) -> bool:
        return table in self.columns

    def rows(self, sql: str, params: list[object] | None = None) -> list[Row]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list[object] | None = None) -> Row:
        row = self.con.execute(sql, params or []).fetchone()
        if row is None:
            raise LookupError(sql)
        return row


# --- charts: inline SVG, drawn here -------------------------------------------------------

COLOURS = {"bar": "#3b6ea8", "alt": "#d08c2e", "quota": "#b8413a", "axis": "#888", "grid": "#ddd"}


def bar_chart(page: Page, bars: Sequence[tuple[str, object, str | None]], height: int = 220) -> str:
    """Vertical bars (label, value, metric name or None for an unlabelled bar)."""
    width = 1100
    left, bottom, top = 10, 40, 24
    values = [float(plain(v) or 0) for _, v, _ in bars]
    peak = max(values, default=0.0) or 1.0
    slot = (width - left) / max(len(bars), 1)
    bar_w = max(2.0, min(60.0, slot * 0.7))
    label_every = max(1, round(len(bars) / 16))
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="{COLOURS["axis"]}"/>',
    ]
    plot = height - bottom - top
    for i, ((label, value, name), number) in enumerate(zip(bars, values, strict=True)):
        h = plot * number / peak
        x = left + slot * i + (slot - bar_w) / 2
        y = height - bottom - h
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{COLOURS["bar"]}"/>'
        )
        if name is not None and page.record(name, value) is not None:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
                f'font-size="12" data-metric="{esc(name)}">{esc(fmt(plain(value)))}</text>'
            )
        if i % label_every == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11" fill="#444">{esc(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def hbar_chart(page: Page, bars: Sequence[tuple[str, object, str]]) -> str:
    """Horizontal bars (label, value, metric name)."""
    width, row_h, label_w, value_w = 1100, 26, 360, 110
    height = row_h * len(bars) + 10
    values = [float(plain(v) or 0) for _, v, _ in bars]
    peak = max(values, default=0.0) or 1.0
    plot = width - label_w - value_w
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img">']
    for i, ((label, value, name), number) in enumerate(zip(bars, values, strict=True)):
        y = 5 + i * row_h
        w = plot * number / peak
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13">'
            f"{esc(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{COLOURS["bar"]}"/>'
        )
        if page.record(name, value) is not None:
            out.append(
                f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="13" '
                f'data-metric="{esc(name)}">{esc(fmt(plain(value)))}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def gauge(used: object, quota: object) -> str:
    """A small inline bar: used as a share of quota (no number of its own)."""
    u, q = float(plain(used) or 0), float(plain(quota) or 0)
    share = min(u / q, 1.0) if q else 0.0
    colour = COLOURS["quota"] if q and u > q else COLOURS["bar"]
    return (
        '<svg class="gauge" viewBox="0 0 200 14" width="200" height="14" role="img">'
        '<rect x="0" y="0" width="200" height="14" fill="#eee"/>'
        f'<rect x="0" y="0" width="{200 * share:.1f}" height="14" fill="{colour}"/></svg>'
    )


def table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    cells = "".join(
        f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


# --- sections ---------------------------------------------------------------------------


def section(page: Page, anchor: str, title: str, mart: str, wh: Warehouse) -> bool:
    page.add(f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>')
    if wh.has(mart):
        return True
    streams = " and ".join(NEEDS[mart])
    page.add(
        f'<p class="missing">not built: select stream {esc(streams)} '
        f"({esc(ANALYTICS)}.{esc(mart)} does not exist)</p></section>"
    )
    return False


def usage_over_time(page: Page, wh: Warehouse) -> None:
    if not section(page, "usage", "Usage over time", "content_usage_daily", wh):
        return
    days = wh.rows(
        f"select usage_date, sum(total_accesses) from {ANALYTICS}.content_usage_daily "
        "group by usage_date order by usage_date"
    )
    total = sum(int(n) for _, n in days)
    page.add(
        f"<p>{page.metric('usage_total_accesses', total)} accesses of dashboards, Looks and "
        f"other content over {page.metric('usage_days', len(days))} days with usage "
        "(content_usage_daily: the differences between successive reads of Looker's "
        "counters; the first read is a baseline).</p>"
    )
    if not days:
        page.add('<p class="empty">No daily usage yet: it needs two runs.</p></section>')
        return
    peak_day, peak = max(days, key=lambda r: (int(r[1]), r[0]))
    page.add(
        f"<p>Busiest day: {esc(plain(peak_day))} with "
        f"{page.metric('usage_peak_day_accesses', int(peak))} accesses.</p>"
    )
    labelled = len(days) <= 31
    bars = [
        (str(plain(day)), int(n), f"usage_accesses_{plain(day)}" if labelled else None)
        for day, n in days
    ]
    page.add(bar_chart(page, bars), "</section>")


def top_content(page: Page, wh: Warehouse) -> None:
    if not section(page, "top-content", "Top content by accesses", "content_usage_daily", wh):
        return
    rows = wh.rows(
        "select content_type, content_id, coalesce(max(title), content_id) as title, "
        "sum(total_accesses) as accesses, sum(api_accesses), sum(schedule_accesses) "
        f"from {ANALYTICS}.content_usage_daily group by content_type, content_id "
        f"order by accesses desc, content_type, content_id limit {TOP_CONTENT}"
    )
    if not rows:
        page.add('<p class="empty">No daily usage yet.</p></section>')
        return
    peak = max(int(r[3]) for r in rows) or 1
    body = []
    for rank, (kind, content_id, title, accesses, api, schedule) in enumerate(rows, 1):
        bar = (
            '<svg class="gauge" viewBox="0 0 200 14" width="200" height="14" role="img">'
            f'<rect x="0" y="0" width="{200 * int(accesses) / peak:.1f}" height="14" '
            f'fill="{COLOURS["bar"]}"/></svg>'
        )
        body.append(
            [
                page.metric(f"top_content_{rank}_rank", rank),
                esc(kind),
                f'{esc(title)} <span class="id">{esc(kind)} {esc(content_id)}</span>',
                page.metric(f"top_content_{rank}_accesses", accesses),
                page.metric(f"top_content_{rank}_api", api),
                page.metric(f"top_content_{rank}_schedule", schedule),
                bar,
            ]
        )
    page.add(
        "<p>Accesses over all days in the warehouse, one row per dashboard, Look or other "
        "item (title, else its id).</p>",
        table(["#", "type", "content", "accesses", "API", "schedule", ""], body, {0, 3, 4, 5}),
        "</section>",
    )


def stale_content(page: Page, wh: Warehouse) -> None:
    if not section(page, "stale", "Stale content", "stale_content", wh):
        return
    cols = wh.columns["stale_content"]
    mart = f"{ANALYTICS}.stale_content"
    (count,) = wh.one(f"select count(*) from {mart}")
    after = (
        wh.one(f"select max(stale_after_days) from {mart}")[0]
        if "stale_after_days" in cols
        else None
    )
    text = f"<p>{page.metric('stale_count', count)} dashboards and Looks nobody opened for "
    text += (
        f"{page.metric('stale_after_days', after)}+ days" if after is not None else "a long time"
    )
    if "never_accessed" in cols:
        (never,) = wh.one(f"select count(*) filter (where never_accessed) from {mart}")
        text += f", {page.metric('stale_never_accessed', never)} of them never opened"
    page.add(text + " (stale_content, by Looker's rules: deleted content left out).</p>")
    # Whatever columns the mart has now: one row per stale item.
    shown = [
        (c, h)
        for c, h in (
            ("content_type", "type"),
            ("content_id", "id"),
            ("title", "title"),
            ("owner_name", "owner"),
            ("last_accessed_at", "last opened"),
            ("days_idle", "days idle"),
            ("total_accesses", "accesses"),
        )
        if c in cols
    ]
    if not shown or not count:
        page.add("</section>")
        return
    order = "days_idle desc nulls first, " if "days_idle" in cols else ""
    order += ", ".join(c for c in ("content_type", "content_id") if c in cols) or "1"
    rows = wh.rows(
        f"select {', '.join(c for c, _ in shown)} from {mart} order by {order} limit {STALE_LISTED}"
    )
    numbers = {"days_idle", "total_accesses"}
    body = [
        [
            page.metric(f"stale_{rank}_{c}", v) if c in numbers else esc(plain(v) or "")
            for (c, _), v in zip(shown, row, strict=True)
        ]
        for rank, row in enumerate(rows, 1)
    ]
    page.add(
        table(
            [h for _, h in shown],
            body,
            {i for i, (c, _) in enumerate(shown) if c in numbers},
        )
    )
    if int(count) > len(rows):
        page.add(
            f"<p>… and {page.metric('stale_not_listed', int(count) - len(rows))} more "
            f"(the most idle first; all of them in {esc(mart)}).</p>"
        )
    page.add("</section>")


def unused_fields(page: Page, wh: Warehouse) -> None:
    if not section(page, "unused-fields", "Unused fields per explore", "unused_fields", wh):
        return
    mart = f"{ANALYTICS}.unused_fields"
    (unused, fields, after) = wh.one(
        f"select count(*) filter (where is_unused), count(*), max(unused_after_days) from {mart}"
    )
    page.add(
        f"<p>{page.metric('unused_fields_total', unused)} of "
        f"{page.metric('catalog_fields_total', fields)} fields of the LookML catalog no query "
        f"used for {page.metric('unused_after_days', after)} days (unused_fields).</p>"
    )
    rows = wh.rows(
        "select model, explore, count(*) filter (where is_unused) as unused, count(*) "
        f"from {mart} group by model, explore having count(*) filter (where is_unused) > 0 "
        f"order by unused desc, model, explore limit {UNUSED_EXPLORES}"
    )
    if not rows:
        page.add('<p class="empty">No unused field.</p></section>')
        return
    model, explore, count, total = rows[0]
    page.add(
        f"<p>Most unused: {page.metric('top_unused_explore', f'{model}.{explore}')} with "
        f"{page.metric('top_unused_explore_count', count)} of "
        f"{page.metric('top_unused_explore_fields', total)} fields unused.</p>"
    )
    bars = [
        (f"{m}.{e}", u, f"unused_explore_{rank}_count") for rank, (m, e, u, _) in enumerate(rows, 1)
    ]
    body = [
        [
            esc(f"{m}.{e}"),
            page.metric(f"unused_explore_{rank}_count", u),
            page.metric(f"unused_explore_{rank}_fields", n),
        ]
        for rank, (m, e, u, n) in enumerate(rows, 1)
    ]
    page.add(
        hbar_chart(page, bars),
        table(["model.explore", "unused fields", "fields"], body, {1, 2}),
        "</section>",
    )


def slow_content(page: Page, wh: Warehouse) -> None:
    if not section(page, "slow", "Slow content", "slow_content", wh):
        return
    mart = f"{ANALYTICS}.slow_content"
    # Each dashboard's and explore's slowest ISO week (by p90): one row per item.
    worst = (
        "select content_kind, content_id, week_start, runs, p50_runtime_seconds, "
        "p90_runtime_seconds, p99_runtime_seconds from ("
        "select *, row_number() over (partition by content_kind, content_id "
        "order by p90_runtime_seconds desc, week_start desc) as n "
        f"from {mart}) where n = 1"
    )
    titles: dict[str, str] = {}
    if wh.has("content_usage_daily"):  # dashboard titles, where usage knows them
        titles = {
            str(i): str(title)
            for i, title in wh.rows(
                f"select content_id, max(title) from {ANALYTICS}.content_usage_daily "
                "where content_type = 'dashboard' and title is not null group by content_id"
            )
        }

    def name(kind: str, content_id: object) -> str:
        title = titles.get(str(content_id)) if kind == "dashboard" else None
        return f"{title} ({kind} {content_id})" if title else f"{kind} {content_id}"

    lines = []
    for kind in ("dashboard", "explore"):
        slowest = wh.rows(
            f"{worst} and content_kind = ? order by p90_runtime_seconds desc, content_id limit 1",
            [kind],
        )
        if slowest:
            _, content_id, week, _, _, p90, _ = slowest[0]
            lines.append(
                f"slowest {kind}: {page.metric(f'slowest_{kind}', content_id)} at p90 "
                f"{page.metric(f'slowest_{kind}_p90', p90)} s "
                f"(week of {page.metric(f'slowest_{kind}_week', week)})"
            )
    rows = wh.rows(
        f"{worst} order by p90_runtime_seconds desc, content_kind, content_id limit {SLOW_LISTED}"
    )
    if not rows:
        page.add('<p class="empty">No completed query with a run time.</p></section>')
        return
    page.add(
        "<p>Query run times (seconds, cache hits left out) of each dashboard and explore in "
        "its slowest ISO week, slowest first (slow_content).</p>",
        f"<p>{'; '.join(lines)}.</p>" if lines else "",
    )
    bars = [
        (name(kind, content_id)[:48], p90, f"slow_{rank}_p90")
        for rank, (kind, content_id, _, _, _, p90, _) in enumerate(rows, 1)
    ]
    body = [
        [
            esc(kind),
            esc(name(kind, content_id)),
            esc(plain(week)),
            page.metric(f"slow_{rank}_runs", runs),
            page.metric(f"slow_{rank}_p50", p50),
            page.metric(f"slow_{rank}_p90", p90),
            page.metric(f"slow_{rank}_p99", p99),
        ]
        for rank, (kind, content_id, week, runs, p50, p90, p99) in enumerate(rows, 1)
    ]
    page.add(
        "<p>p90 run time:</p>",
        hbar_chart(page, bars),
        table(
            ["kind", "dashboard / explore", "week of", "runs", "p50 s", "p90 s", "p99 s"],
            body,
            {3, 4, 5, 6},
        ),
        "</section>",
    )


def idle_licences(page: Page, wh: Warehouse) -> None:
    if not section(page, "idle", "Idle licences", "inactive_users", wh):
        return
    mart = f"{ANALYTICS}.inactive_users"
    (count, never, after, as_of) = wh.one(
        "select count(*), count(*) filter (where never_logged_in), max(inactive_after_days), "
        f"max(as_of) from {mart}"
    )
    page.add(
        f"<p>{page.metric('idle_licences', count)} enabled users with no UI or API login for "
        f"{page.metric('inactive_after_days', after)} days"
        + (f" as of {esc(plain(as_of))}" if as_of is not None else "")
        + f", {page.metric('idle_never_logged_in', never)} of them never logged in "
        "(inactive_users).</p>"
    )
    rows = wh.rows(
        "select user_id, name, last_login_date, days_idle from "
        f"{mart} order by days_idle desc, user_id limit {IDLE_LISTED}"
    )
    if rows:
        body = [
            [
                esc(user_id),
                esc(name or ""),
                esc(plain(last) or "never"),
                page.metric(f"idle_{rank}_days_idle", days),
            ]
            for rank, (user_id, name, last, days) in enumerate(rows, 1)
        ]
        page.add(table(["user id", "name", "last login", "days idle"], body, {3}))
        if int(count) > len(rows):
            page.add(f"<p>… and {page.metric('idle_not_listed', int(count) - len(rows))} more.</p>")
    page.add("</section>")


def api_quota(page: Page, wh: Warehouse) -> None:
    if not section(page, "quota", "API quota", "api_quota_monthly", wh):
        return
    mart = f"{ANALYTICS}.api_quota_monthly"
    rows = wh.rows(
        "select usage_month, quota_class, calls, monthly_quota, quota_used_percent, "
        f"pipeline_calls, edition from {mart} order by usage_month desc, "
        "case quota_class when 'query' then 0 when 'admin' then 1 "
        "when 'not_counted' then 2 else 3 end"
    )
    if not rows:
        page.add('<p class="empty">No API usage.</p></section>')
        return
    latest = rows[0][0]
    month = str(plain(latest))[:7]
    edition = rows[0][6]
    this_month = {r[1]: r for r in rows if r[0] == latest}
    # Both classes with a quota, 0 calls when the month has none of them.
    quotas = {"query": 1000, "admin": 1000}
    for r in rows:
        if r[1] in quotas and r[3] is not None:
            quotas[r[1]] = int(r[3])
    gauges = []
    for cls in ("query", "admin"):
        row = this_month.get(cls)
        used = int(row[2]) if row else 0
        quota = int(row[3]) if row and row[3] is not None else quotas[cls]
        gauges.append(
            f"<li>{cls} calls: {page.metric(f'quota_used_{cls}', used)} of "
            f"{page.metric(f'quota_{cls}', quota)} {gauge(used, quota)}</li>"
        )
    page.add(
        f"<p>Looker API calls per month and quota class against the "
        f"{page.metric('quota_edition', edition)} edition's monthly allowance "
        f"(api_quota_monthly). This month ({page.metric('quota_month', month)}):</p>",
        f"<ul class=gauges>{''.join(gauges)}</ul>",
    )
    body = []
    for r in rows:
        m, cls = str(plain(r[0]))[:7], r[1]
        key = f"quota_{m}_{cls}"
        body.append(
            [
                esc(m),
                esc(cls),
                page.metric(f"{key}_calls", r[2]),
                page.metric(f"{key}_quota", r[3]),
                page.metric(f"{key}_percent", r[4], decimals=1),
                page.metric(f"{key}_pipeline_calls", r[5]),
                gauge(r[2], r[3]) if r[3] is not None else "",
            ]
        )
    page.add(
        table(
            ["month", "class", "calls", "quota", "used %", "by this pipeline", ""],
            body,
            {2, 3, 4, 5},
        ),
        "</section>",
    )


def extraction(page: Page, wh: Warehouse) -> None:
    if not section(page, "audit", "Extraction audit", "extraction_audit", wh):
        return
    (reads, proven) = wh.one(
        f"select count(*), count(*) filter (where is_proven) from {ANALYTICS}.extraction_audit"
    )
    page.add(
        f"<p>{page.metric('audit_proven_reads', proven)} of "
        f"{page.metric('audit_reads', reads)} stream reads proven complete by Looker's own "
        "count (extraction_audit).</p></section>"
    )


SECTIONS: tuple[t.Callable[[Page, Warehouse], None], ...] = (
    usage_over_time,
    top_content,
    stale_content,
    unused_fields,
    slow_content,
    idle_licences,
    api_quota,
    extraction,
)

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#24364d;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;color:#cdd6e0}
main{max-width:1160px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;margin:18px 0;
padding:4px 20px 16px}
h2{font-size:19px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:middle}
th{background:#f3f5f8} .num{text-align:right;font-variant-numeric:tabular-nums}
.id{color:#777;font-size:12px} .missing{color:#8a5a00;background:#fff6e0;padding:6px 10px}
.empty{color:#777} .chart{display:block;margin:8px 0} .gauges{list-style:none;padding:0}
.gauges li{margin:4px 0} .gauge{vertical-align:middle;margin-left:8px}
nav a{color:#cdd6e0;margin-right:14px}
"""


def render(wh: Warehouse, database: Path) -> Page:
    page = Page()
    for build in SECTIONS:
        build(page, wh)
    return page


def build_report(database: Path, out: Path) -> dict[str, object]:
    """Write the page for `database` to `out`; return the metrics it shows."""
    if not database.is_file():
        raise FileNotFoundError(f"no DuckDB warehouse at {database}")
    with duckdb.connect(str(database), read_only=True) as con:
        page = render(Warehouse(con), database)
    links = " ".join(
        f'<a href="#{a}">{esc(n)}</a>'
        for a, n in (
            ("usage", "usage"),
            ("top-content", "top content"),
            ("stale", "stale"),
            ("unused-fields", "unused fields"),
            ("slow", "slow content"),
            ("idle", "idle licences"),
            ("quota", "API quota"),
            ("audit", "audit"),
        )
    )
    document = (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        # Nothing may be fetched: no script, no image, font or style sheet from anywhere.
        "<meta http-equiv=Content-Security-Policy "
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        "<title>Looker System Activity report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<header><h1>Looker System Activity report</h1>"
        f"<p>From {esc(database.name)}, schema {esc(ANALYTICS)}</p>"
        f"<nav>{links}</nav></header><main>{''.join(page.parts)}</main></body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(document, encoding="utf-8")
    tmp.replace(out)
    return dict(page.metrics)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=Path("output/warehouse.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("output/report.html"))
    args = parser.parse_args(argv)
    try:
        metrics = build_report(args.database, args.out)
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"report: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    print(f"report: {args.out} ({len(metrics)} numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
