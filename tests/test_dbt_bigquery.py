"""ELT on the production path: `meltano run looker-to-bigquery` (local-gcp) = tap, GCS
staging, BigQuery, then dbt-bigquery against the BigQuery emulator (bqemulator).

The same three simulated days as tests/test_dbt_duckdb.py (day 2's run skipped), fewer
streams (z3-target-bigquery sleeps seconds per stream and run): content_usage, dashboard and
look. The models in the analytics dataset must equal what the simulator says happened;
models of unselected streams (history, scheduled_job, user) must not exist.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.dbt_truth import (
    CHANNELS,
    DAY,
    DBT_STREAMS,
    START,
    Usage,
    content_truth,
    expected_daily,
    expected_inactive_users,
    expected_stale,
    keep_reasons,
    usage_truth,
)
from tests.lookml_checks import column_references, load_project
from tests.meltano_cli import MeltanoProject
from tests.pipeline import new_destination, pipeline_env

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

STREAMS = ("content_usage", "dashboard", "look")


class Scenario(t.NamedTuple):
    stack: EmulatorStack
    analytics: str  # dataset of the models
    observed: list[Usage]
    stale: dict[str, dict[str, t.Any]]
    run_seconds: list[float]


@pytest.fixture(scope="module")
def scenario(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("dbt-bigquery")
    project = MeltanoProject(REPO_ROOT, state_dir=tmp / "state")
    dataset, bucket = new_destination(emulator_stack)
    sim = LookerSimulator(
        rows=500,
        seed=2718,
        now=START,
        explores={"dashboard": 30, "look": 30},
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    sim.start()
    env = pipeline_env(
        sim,
        emulator_stack,
        dataset,
        bucket,
        TAP_LOOKER_ACTIVITY__SELECT='["' + '", "'.join(f"{s}.*" for s in STREAMS) + '"]',
        DBT_BIGQUERY_STREAMS=",".join(STREAMS),
        DBT_BIGQUERY_TARGET_PATH=str(tmp / "dbt-target"),
        DBT_BIGQUERY_LOG_PATH=str(tmp / "dbt-logs"),
    )
    env.pop("TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR", None)  # the default is fine here
    seconds = []

    def run() -> None:
        started = dt.datetime.now()
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        seconds.append((dt.datetime.now() - started).total_seconds())

    try:
        run()
        observed = [usage_truth(sim)]
        sim.advance(seconds=DAY, new_rows=20, touched_rows=120)
        run()
        observed.append(usage_truth(sim))
        sim.advance(seconds=DAY, new_rows=15, touched_rows=100)  # no run this day
        sim.advance(seconds=DAY, new_rows=15, touched_rows=100)
        run()
        observed.append(usage_truth(sim))
        content = content_truth(sim)
        yield Scenario(
            stack=emulator_stack,
            analytics=f"{dataset}_analytics",
            observed=observed,
            stale=expected_stale(observed[-1], content, keep=keep_reasons(sim, content, STREAMS)),
            run_seconds=seconds,
        )
    finally:
        sim.stop()


def _rows(scenario: Scenario, sql: str) -> list[dict[str, t.Any]]:
    client = scenario.stack.bigquery.client()
    return [dict(row.items()) for row in client.query(sql).result()]


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def test_content_usage_daily_equals_the_simulated_days(scenario: Scenario) -> None:
    table = f"`{scenario.stack.project}.{scenario.analytics}.content_usage_daily`"
    rows = _rows(scenario, f"SELECT * FROM {table}")
    landed = {
        (r["content_usage_id"], r["usage_date"]): {
            "content_type": r["content_type"],
            "content_id": r["content_id"],
            **{f"{c}_accesses": r[f"{c}_accesses"] for c in CHANNELS},
            "window_start": _naive(r["window_start"]),
            "spans_missed_run": r["spans_missed_run"],
        }
        for r in rows
    }
    assert len(landed) == len(rows)
    assert landed == expected_daily(scenario.observed)
    assert any(r["spans_missed_run"] for r in landed.values())
    assert any(not r["spans_missed_run"] for r in landed.values())


def test_stale_content_equals_the_simulator(scenario: Scenario) -> None:
    table = f"`{scenario.stack.project}.{scenario.analytics}.stale_content`"
    rows = _rows(scenario, f"SELECT content_key, title, never_accessed, days_idle FROM {table}")
    landed = {
        r["content_key"]: {
            "title": r["title"],
            "never_accessed": r["never_accessed"],
            "days_idle": r["days_idle"],
        }
        for r in rows
    }
    assert len(landed) == len(rows)
    assert landed == scenario.stale
    assert landed


def test_models_of_unselected_streams_are_not_built(scenario: Scenario) -> None:
    client = scenario.stack.bigquery.client()
    tables = {t.table_id for t in client.list_tables(scenario.analytics)}
    assert {"content_usage_daily", "stale_content", "content_usage_snapshot"} <= tables
    assert {"dashboard_snapshot", "look_snapshot"} <= tables
    assert not tables & {"user_activity_daily", "schedule_failures", "user_snapshot"}


def test_daily_run_time(scenario: Scenario) -> None:
    """Not a budget: the measured time of a daily ELT run on the emulators, for the docs."""
    print(f"looker-to-bigquery runs (s): {[round(s, 1) for s in scenario.run_seconds]}")
    assert all(s < 600 for s in scenario.run_seconds)


# --- the usage reports on BigQuery (ISO weeks, exact percentiles, dates) -------------------

# Every stream the models read: every mart is built once on BigQuery (and the LookML
# project's views are checked against the tables).
USAGE_STREAMS = DBT_STREAMS


class UsageScenario(t.NamedTuple):
    stack: EmulatorStack
    analytics: str
    raw: str
    field_usage: list[dict[int, dict[str, t.Any]]]
    users: list[dict[str, t.Any]]
    stale: dict[str, dict[str, t.Any]]


@pytest.fixture(scope="module")
def usage_reports(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[UsageScenario]:
    """One run of the usage-report streams. The dbt unit tests of their models (daily
    differences, ISO weeks, percentiles) run inside its `dbt build`, on the emulator's
    BigQuery SQL; a second run would add minutes (z3-target-bigquery sleeps per stream)."""
    tmp = tmp_path_factory.mktemp("dbt-bigquery-usage")
    project = MeltanoProject(REPO_ROOT, state_dir=tmp / "state")
    dataset, bucket = new_destination(emulator_stack)
    sim = LookerSimulator(
        rows=50,
        seed=42,  # leaves 3 of the 17 order_items fields unused
        now=START,
        explores={"user": 40, "history": 200, "query": 100, "field_usage": None,
                  "api_usage": None, "order_items": 30, "dashboard": 30, "look": 30,
                  "scheduled_plan": 300, "query_metrics": 200},
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )  # fmt: skip
    sim.start()
    env = pipeline_env(
        sim,
        emulator_stack,
        dataset,
        bucket,
        TAP_LOOKER_ACTIVITY__SELECT='["' + '", "'.join(f"{s}.*" for s in USAGE_STREAMS) + '"]',
        DBT_BIGQUERY_STREAMS=",".join(USAGE_STREAMS),
        DBT_BIGQUERY_TARGET_PATH=str(tmp / "dbt-target"),
        DBT_BIGQUERY_LOG_PATH=str(tmp / "dbt-logs"),
    )
    env.pop("TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR", None)
    try:
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        field_usage = [{int(r["id"]): r for r in sim.truth("field_usage")}]
        content = content_truth(sim)
        yield UsageScenario(
            stack=emulator_stack,
            analytics=f"{dataset}_analytics",
            raw=dataset,
            field_usage=field_usage,
            users=sim.truth("user"),
            stale=expected_stale(
                usage_truth(sim),
                content,
                keep=keep_reasons(sim, content),
                lookml_models={m["name"] for m in sim.models_meta()},
            ),
        )
    finally:
        sim.stop()


def _usage_rows(scenario: UsageScenario, sql: str) -> list[dict[str, t.Any]]:
    client = scenario.stack.bigquery.client()
    sql = sql.format(a=f"`{scenario.stack.project}.{scenario.analytics}`",
                     r=f"`{scenario.stack.project}.{scenario.raw}`")  # fmt: skip
    return [dict(row.items()) for row in client.query(sql).result()]


def _read_dates(scenario: UsageScenario, stream: str) -> list[dt.date]:
    rows = _usage_rows(
        scenario,
        f"SELECT run_started_at FROM {{r}}.sync_audit WHERE stream = '{stream}' "
        "ORDER BY run_started_at",
    )
    return [r["run_started_at"].date() for r in rows]


def test_usage_reports_equal_the_simulator_on_bigquery(usage_reports: UsageScenario) -> None:
    # A first run is field_usage's baseline: no daily use yet (not all-time totals).
    assert _usage_rows(usage_reports, "SELECT * FROM {a}.field_usage_daily") == []

    (as_of,) = _read_dates(usage_reports, "user")[-1:]
    idle = _usage_rows(usage_reports, "SELECT user_id, days_idle FROM {a}.inactive_users")
    assert {r["user_id"]: r["days_idle"] for r in idle} == expected_inactive_users(
        usage_reports.users, as_of
    )

    used = {
        (r["model"], r["explore"], r["field"])
        for r in usage_reports.field_usage[-1].values()
        if r["times_used_dim"] > 0
    }
    catalog = _usage_rows(
        usage_reports, "SELECT model, explore, field, reason, is_unused FROM {a}.unused_fields"
    )
    raw = _usage_rows(usage_reports, "SELECT model, category, read_at FROM {r}.lookml_field")
    assert catalog, f"no catalog rows; the raw table has {len(raw)}: {raw[:3]}"
    unused = {(r["model"], r["explore"], r["field"]) for r in catalog if r["is_unused"]}
    assert unused == {(r["model"], r["explore"], r["field"]) for r in catalog} - used
    assert unused, f"nothing unused of {len(catalog)} fields: {catalog[:3]}"
    assert {r["reason"] for r in catalog if r["is_unused"]} == {"never used"}

    slow = _usage_rows(
        usage_reports,
        "SELECT content_kind, week_start, runs, p50_runtime_seconds, p99_runtime_seconds "
        "FROM {a}.slow_content",
    )
    assert {r["content_kind"] for r in slow} == {"dashboard", "explore"}
    assert all(r["week_start"].weekday() == 0 for r in slow)  # Mondays, not BigQuery's Sundays
    assert all(r["p50_runtime_seconds"] <= r["p99_runtime_seconds"] for r in slow)

    quota = _usage_rows(
        usage_reports,
        "SELECT usage_month, quota_class, calls, pipeline_calls FROM {a}.api_quota_monthly",
    )
    for r in quota:  # a DATE column; the emulator may answer a DATETIME
        if isinstance(r["usage_month"], dt.datetime):
            r["usage_month"] = r["usage_month"].date()
    assert {"query", "admin"} <= {r["quota_class"] for r in quota}
    # The pipeline's own calls, in the month of its run (by its audit).
    (run_month,) = {d.replace(day=1) for d in _read_dates(usage_reports, "api_usage")}
    mine = {r["quota_class"]: r["pipeline_calls"] for r in quota if r["usage_month"] == run_month}
    assert mine["query"] > 0
    assert mine["admin"] > 0
    assert {r["pipeline_calls"] for r in quota if r["usage_month"] != run_month} == {None}


def test_stale_content_by_lookers_rules_on_bigquery(usage_reports: UsageScenario) -> None:
    rows = _usage_rows(
        usage_reports, "SELECT content_key, title, never_accessed, days_idle FROM {a}.stale_content"
    )
    landed = {r["content_key"]: {k: v for k, v in r.items() if k != "content_key"} for r in rows}
    assert landed == usage_reports.stale
    kept = _usage_rows(
        usage_reports, "SELECT keep_reason FROM {a}.idle_content WHERE keep_reason IS NOT NULL"
    )
    assert kept, "no idle content kept by Looker's rules: the rules are untested here"


def test_lookml_columns_exist_in_the_bigquery_tables(usage_reports: UsageScenario) -> None:
    """Every ${TABLE}.column of the LookML project (looker/) is a column of the table dbt
    built on BigQuery, and every view's table was built."""
    client = usage_reports.stack.bigquery.client()
    references = column_references(load_project(REPO_ROOT / "looker"))
    missing = []
    for table, columns in sorted(references.items()):
        built = client.get_table(f"{usage_reports.stack.project}.{usage_reports.analytics}.{table}")
        missing += [f"{table}.{c}" for c in sorted(columns - {f.name for f in built.schema})]
    assert references
    assert not missing, f"LookML names columns the BigQuery tables lack: {missing}"
