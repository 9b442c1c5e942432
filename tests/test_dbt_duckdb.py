"""ELT on the embedded default: `meltano run looker-to-duckdb` (tap, target-duckdb, dbt-duckdb).

The Looker simulator advances three days with known accesses; the run of the second day is
skipped. After every run the dbt models must equal what the simulator says happened:
`content_usage_daily` (counter deltas between snapshots: a baseline without a spike, one
day's accesses per day, the skipped day's accesses attributed to the day of the last access
and flagged when they may span the gap) and `stale_content`. The personal-data switch is on:
no plain email or name may land in any table of the warehouse (raw, snapshots, models).
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import typing as t
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.dbt_truth import (
    CHANNELS,
    DAY,
    DBT_STREAMS,
    SIM_EXPLORES,
    START,
    TAP_SELECT,
    Usage,
    content_truth,
    expected_daily,
    expected_deletions,
    expected_field_usage_daily,
    expected_inactive_users,
    expected_stale,
    keep_reasons,
    pii_hash,
    usage_truth,
)
from tests.meltano_cli import MeltanoProject

SALT = "e2e-pii-salt-7c1f"
ANALYTICS = "looker_activity_analytics"


class Scenario(t.NamedTuple):
    database: Path
    observed: list[Usage]  # what each run saw: baseline, day 1, day 3
    skipped_day: Usage  # the state a day-2 run would have seen
    stale: dict[str, dict[str, t.Any]]
    idle: dict[str, dict[str, t.Any]]  # stale by idleness alone
    keep: dict[str, str]  # content_key -> why Looker keeps it
    deletions: list[tuple[str, bool, bool]]  # (content_key, first seen deleted, restored)
    users: list[dict[str, t.Any]]
    history_ids: set[int]
    failed_jobs: set[int]
    run_seconds: list[float]
    logs: list[str]  # every run's output: Meltano's, the tap's, the loader's, dbt's
    project: MeltanoProject
    env: dict[str, str]
    field_usage: list[dict[int, dict[str, t.Any]]]  # what each run saw
    query_metrics: list[dict[str, t.Any]]  # Looker's Query Performance Metrics at the last run
    catalog: set[tuple[str, str, str]]  # (model, explore, field) outside System Activity


def _query(database: Path, sql: str) -> list[tuple[t.Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("dbt-duckdb")
    project = MeltanoProject(REPO_ROOT, state_dir=tmp / "state")
    database = tmp / "warehouse.duckdb"
    sim = LookerSimulator(
        rows=800,
        seed=314,
        now=START,
        explores=SIM_EXPLORES,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    sim.start()
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY__SELECT": TAP_SELECT,
        "TAP_LOOKER_ACTIVITY_HASH_PII": "true",
        "TAP_LOOKER_ACTIVITY_PII_SALT": SALT,
        "TARGET_DUCKDB_FILEPATH": str(database),
        "DBT_DUCKDB_STREAMS": ",".join(DBT_STREAMS),
        "DBT_DUCKDB_TARGET_PATH": str(tmp / "dbt-target"),
        "DBT_DUCKDB_LOG_PATH": str(tmp / "dbt-logs"),
    }
    seconds = []
    logs: list[str] = []
    # Finished queries Looker held at some run: it deletes scheduled tasks' history after
    # 7 days, so the last truth alone lacks rows an earlier run rightly loaded.
    history_ids: set[int] = set()
    field_usage: list[dict[int, dict[str, t.Any]]] = []
    contents: list[dict[tuple[str, str], dict[str, t.Any]]] = []  # what each run saw

    def run() -> None:
        started = dt.datetime.now()
        proc = project.run("run", "looker-to-duckdb", environment="dev", env=env)
        seconds.append((dt.datetime.now() - started).total_seconds())
        logs.append(proc.stdout + proc.stderr)
        history_ids.update(int(r["id"]) for r in sim.truth("history") if r.get("completed_time"))
        field_usage.append({int(r["id"]): r for r in sim.truth("field_usage")})
        contents.append(content_truth(sim))

    try:
        run()  # the baseline: all-time counters, no daily usage yet
        observed = [usage_truth(sim)]
        sim.advance(seconds=DAY, new_rows=40, touched_rows=200)
        run()
        observed.append(usage_truth(sim))
        sim.advance(seconds=DAY, new_rows=30, touched_rows=150)  # this day's run is skipped
        skipped_day = usage_truth(sim)
        sim.advance(seconds=DAY, new_rows=25, touched_rows=150)
        run()
        observed.append(usage_truth(sim))
        keep = keep_reasons(sim, contents[-1])
        lookml_models = {m["name"] for m in sim.models_meta()}
        yield Scenario(
            database=database,
            observed=observed,
            skipped_day=skipped_day,
            stale=expected_stale(
                observed[-1], contents[-1], keep=keep, lookml_models=lookml_models
            ),
            idle=expected_stale(observed[-1], contents[-1], lookml_models=lookml_models),
            keep={f"{k[0]}:{k[1]}": why for k, why in keep.items()},
            deletions=expected_deletions(contents),
            query_metrics=sim.truth("query_metrics"),
            users=sim.truth("user"),
            history_ids=history_ids,
            failed_jobs={
                int(r["id"])
                for r in sim.truth("scheduled_plan")
                if r.get("finalized_time") and r["status"] in ("failure", "error")
            },
            run_seconds=seconds,
            logs=logs,
            project=project,
            env=env,
            field_usage=field_usage,
            catalog={
                ("thelook", "order_items", sim.explore("order_items").full(f))
                for f in sim.explore("order_items").fields
            },
        )
    finally:
        sim.stop()


def _daily(database: Path) -> dict[tuple[int, dt.date], dict[str, t.Any]]:
    columns = ["content_type", "content_id", *(f"{c}_accesses" for c in CHANNELS)]
    columns += ["window_start", "spans_missed_run"]
    rows = _query(
        database,
        f"select content_usage_id, usage_date, {', '.join(columns)} "
        f"from {ANALYTICS}.content_usage_daily",
    )
    out = {(r[0], r[1]): dict(zip(columns, r[2:], strict=True)) for r in rows}
    assert len(out) == len(rows), "duplicate (content_usage_id, usage_date) rows"
    return out


def test_content_usage_daily_equals_the_simulated_days(scenario: Scenario) -> None:
    landed = _daily(scenario.database)
    expected = expected_daily(scenario.observed)
    assert landed == expected

    days = sorted({day for _, day in landed})
    day1, day2, day3 = (dt.date.fromisoformat(START[:10]) + dt.timedelta(days=n) for n in (1, 2, 3))
    # No baseline spike: nothing before the first simulated day.
    assert days[0] >= day1
    assert {day1, day2, day3} <= set(days)
    # The baseline's all-time totals are not anybody's daily usage.
    baseline_total = sum(r["other_count"] for r in scenario.observed[0].values())
    day1_total = sum(r["other_accesses"] for (_, d), r in landed.items() if d == day1)
    assert 0 < day1_total < baseline_total / 10


def test_skipped_day_is_attributed_honestly(scenario: Scenario) -> None:
    landed = _daily(scenario.database)
    day2 = dt.date.fromisoformat(START[:10]) + dt.timedelta(days=2)
    day3 = day2 + dt.timedelta(days=1)
    before, skipped, after = scenario.observed[1], scenario.skipped_day, scenario.observed[2]

    # Items last accessed on the skipped day: exactly that day's accesses, on that day.
    for (item, day), row in landed.items():
        if day == day2:
            assert after[item] == skipped[item], "an item of day 2 moved again on day 3"
            old = before.get(item)
            moved = row["other_accesses"]
            assert moved == skipped[item]["other_count"] - (old["other_count"] if old else 0)
            assert row["spans_missed_run"] is False
    # Items accessed on day 3 may have been accessed on day 2 too: the gap is flagged.
    day3_rows = [row for (_, day), row in landed.items() if day == day3]
    assert day3_rows
    assert all(row["spans_missed_run"] is True for row in day3_rows)
    both_days = [
        i for i in after if i in before and before[i] != skipped[i] and skipped[i] != after[i]
    ]
    assert both_days, "the scenario should touch some items on both days"
    # Nothing lost and nothing invented across the gap.
    gap = sum(r["other_accesses"] for (_, day), r in landed.items() if day in (day2, day3))
    truth = sum(
        row["other_count"] - before.get(i, {"other_count": 0})["other_count"]
        for i, row in after.items()
    )
    assert gap == truth


def test_stale_content_equals_the_simulator(scenario: Scenario) -> None:
    rows = _query(
        scenario.database,
        f"select content_key, title, never_accessed, days_idle from {ANALYTICS}.stale_content",
    )
    landed = {r[0]: {"title": r[1], "never_accessed": r[2], "days_idle": r[3]} for r in rows}
    assert len(landed) == len(rows)
    assert landed == scenario.stale
    assert any(r["never_accessed"] for r in landed.values())
    assert any(not r["never_accessed"] for r in landed.values())


def test_idle_content_keeps_what_lookers_rules_keep(scenario: Scenario) -> None:
    rows = _query(
        scenario.database, f"select content_key, keep_reason from {ANALYTICS}.idle_content"
    )
    landed = dict(rows)
    assert set(landed) == set(scenario.idle)
    kept = {k: why for k, why in landed.items() if why is not None}
    assert kept == {k: why for k, why in scenario.keep.items() if k in scenario.idle}
    # Each of Looker's rules but one keeps something in this scenario; the simulator's few
    # public Looks are not idle (the unit test on hand-made rows covers that rule).
    assert {"scheduled", "favorite", "on a dashboard"} <= set(kept.values())


def test_content_deletions_follow_the_snapshots(scenario: Scenario) -> None:
    rows = _query(
        scenario.database,
        "select content_key, first_seen_deleted, restored_at is not null "
        f"from {ANALYTICS}.content_deletions",
    )
    assert sorted(rows) == sorted(scenario.deletions)
    assert any(not first for _, first, _ in rows), "no deletion seen between runs"


def test_history_and_schedule_models_are_built_when_selected(scenario: Scenario) -> None:
    ((queries,),) = _query(
        scenario.database, f"select sum(queries) from {ANALYTICS}.user_activity_daily"
    )
    raw = {r[0] for r in _query(scenario.database, "select id from looker_activity.history")}
    # Every finished query run the tap loaded (the simulator logs the tap's own queries in
    # history too, so its truth keeps growing after the extraction).
    assert queries == len(raw) > 0
    assert raw <= scenario.history_ids
    failures = {
        r[0]
        for r in _query(
            scenario.database, f"select scheduled_job_id from {ANALYTICS}.schedule_failures"
        )
    }
    assert failures == scenario.failed_jobs
    assert failures


def test_no_plain_personal_data_in_any_table(scenario: Scenario) -> None:
    emails = {u["email"] for u in scenario.users if u.get("email")}
    names = {u["name"] for u in scenario.users if u.get("name")}
    assert emails
    assert names
    with duckdb.connect(str(scenario.database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        tables = {(s, tb) for s, tb, _ in columns}
        assert (ANALYTICS, "user_snapshot") in tables
        assert ("looker_activity", "user") in tables
        leaks = []
        for schema, table, column in columns:
            values = {
                v
                for (v,) in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" '
                    f'where "{column}" is not null'
                ).fetchall()
            }
            if hits := values & (emails | names) or {v for v in values if "@" in v}:
                leaks.append((schema, table, column, sorted(hits)[:3]))
        assert not leaks, f"plain personal data in the warehouse: {leaks}"
        # Hashed, not dropped: the loaded values are the salted hashes of the real ones.
        loaded = {v for (v,) in con.execute('select email from looker_activity."user"').fetchall()}
    assert {pii_hash(e, SALT) for e in emails} <= loaded
    logged = [v for v in emails | names | {SALT} for log in scenario.logs if v in log]
    assert not logged, f"plain personal data or the salt in the logs: {logged[:3]}"


def test_source_freshness_checks_each_replication_key(scenario: Scenario) -> None:
    """`dbt-duckdb:freshness` reads each incremental stream's replication key; the simulated
    clock is in 2024, so every one of them is (rightly) stale today."""
    proc = scenario.project.run(
        "invoke", "dbt-duckdb:freshness", environment="dev", env=scenario.env, check=False
    )
    assert proc.returncode != 0
    for stream in ("content_usage", "history", "scheduled_job"):
        assert f"ERROR STALE freshness of looker.{stream}" in proc.stdout + proc.stderr


def test_dbt_duckdb_and_target_duckdb_share_one_duckdb_version() -> None:
    """Both write the warehouse file: one DuckDB version, one storage format."""
    versions = set()
    for venv in ("loaders/target-duckdb", "utilities/dbt-duckdb"):
        python = REPO_ROOT / ".meltano" / venv / "venv" / "bin" / "python"
        out = subprocess.run(
            [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        )
        versions.add(out.stdout.strip())
    assert versions == {"1.2.2"}


def test_daily_run_time(scenario: Scenario) -> None:
    """Not a budget: the measured time of a daily ELT run, printed for the docs."""
    print(f"looker-to-duckdb runs (s): {[round(s, 1) for s in scenario.run_seconds]}")
    assert all(s < 300 for s in scenario.run_seconds)


def _read_dates(database: Path, stream: str) -> list[dt.date]:
    """Looker's date at each run's read of ``stream`` (the tap's audit)."""
    rows = _query(
        database,
        "select run_started_at from looker_activity.sync_audit "
        f"where stream = '{stream}' order by run_started_at",
    )
    return [dt.datetime.fromisoformat(str(r[0])).date() for r in rows]


def test_field_usage_daily_equals_the_counter_differences(scenario: Scenario) -> None:
    dates = _read_dates(scenario.database, "field_usage")
    assert len(dates) == len(scenario.field_usage) == 3
    expected = expected_field_usage_daily(scenario.field_usage, dates)
    rows = _query(
        scenario.database,
        f"select field_usage_id, usage_date, uses, spans_missed_run "
        f"from {ANALYTICS}.field_usage_daily",
    )
    landed = {(r[0], r[1]): (r[2], r[3]) for r in rows}
    assert len(landed) == len(rows)
    assert landed == expected
    # The baseline's lifetime totals are nobody's daily use; both later runs saw some.
    assert {day for _, day in landed} == set(dates[1:])


def test_unused_fields_are_the_catalog_fields_looker_never_counted(scenario: Scenario) -> None:
    used = {
        (r["model"], r["explore"], r["field"])
        for r in scenario.field_usage[-1].values()
        if r["times_used_dim"] > 0
    }
    rows = _query(
        scenario.database,
        f"select model, explore, field, reason, is_unused from {ANALYTICS}.unused_fields",
    )
    assert {(m, e, f) for m, e, f, _, _ in rows} == scenario.catalog
    unused = {(m, e, f) for m, e, f, _, is_unused in rows if is_unused}
    assert unused == scenario.catalog - used
    assert unused, "the simulator leaves some of its fields unused"
    assert used & scenario.catalog, "and uses others"
    # Three days watched cannot show 90 days without use: only never-used fields.
    assert {reason for *_, reason, is_unused in rows if is_unused} == {"never used"}


def test_inactive_users_equals_the_simulator(scenario: Scenario) -> None:
    (as_of,) = _read_dates(scenario.database, "user")[-1:]
    expected = expected_inactive_users(scenario.users, as_of)
    rows = _query(scenario.database, f"select user_id, days_idle from {ANALYTICS}.inactive_users")
    assert dict(rows) == expected
    assert expected, "the simulator has idle licences"


def test_api_quota_monthly_classifies_looker_s_api_usage(scenario: Scenario) -> None:
    seed = REPO_ROOT / "transform" / "seeds" / "looker_api_activity_types.csv"
    with seed.open() as f:
        classes = {row["endpoint"]: row["quota_class"] for row in csv.DictReader(f)}
    raw = _query(
        scenario.database,
        "select endpoint, created_date, total_usage from looker_activity.api_usage",
    )
    expected: Counter[tuple[dt.date, str]] = Counter()
    for endpoint, day, calls in raw:
        month = dt.date.fromisoformat(str(day)[:10]).replace(day=1)
        expected[month, classes.get(endpoint, "unknown")] += calls
    rows = _query(
        scenario.database,
        f"select usage_month, quota_class, calls, monthly_quota, pipeline_calls "
        f"from {ANALYTICS}.api_quota_monthly",
    )
    assert {(m, c): n for m, c, n, _, _ in rows} == dict(expected)
    assert {c for _, c, *_ in rows} >= {"query", "admin"}
    assert all(q == 1000 for _, c, _, q, _ in rows if c in {"query", "admin"})  # standard
    # The pipeline's own calls, by its audit: every query the tap ran is a query-based call.
    ((query_calls,),) = _query(
        scenario.database, "select sum(query_calls) from looker_activity.sync_audit"
    )
    pipeline = {(m, c): p for m, c, _, _, p in rows}
    (month,) = {d.replace(day=1) for d in _read_dates(scenario.database, "content_usage")}
    assert pipeline[month, "query"] == query_calls > 0


def _percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (SQL's PERCENTILE_CONT)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_slow_content_percentiles_equal_the_loaded_runs(scenario: Scenario) -> None:
    raw = _query(
        scenario.database,
        "select dashboard_id, completed_time, runtime from looker_activity.history "
        "where status = 'complete' and not coalesce(cache, false) and runtime is not null "
        "and completed_time is not null and dashboard_id is not null",
    )
    runs: dict[tuple[str, dt.date], list[float]] = {}
    for dashboard, completed, runtime in raw:
        day = dt.datetime.fromisoformat(str(completed)).date()
        week = day - dt.timedelta(days=day.weekday())
        runs.setdefault((str(dashboard), week), []).append(float(runtime))
    rows = _query(
        scenario.database,
        f"select content_id, week_start, runs, p50_runtime_seconds, p90_runtime_seconds "
        f"from {ANALYTICS}.slow_content where content_kind = 'dashboard'",
    )
    landed = {(c, w): (n, p50, p90) for c, w, n, p50, p90 in rows}
    assert set(landed) == set(runs)
    for key, values in runs.items():
        n, p50, p90 = landed[key]
        assert n == len(values)
        assert p50 == pytest.approx(
            round(_percentile(values, 0.5), 3), abs=0.001 + 1e-6
        )  # to the ms (float32 column)
        assert p90 == pytest.approx(
            round(_percentile(values, 0.9), 3), abs=0.001 + 1e-6
        )  # to the ms (float32 column)
    ((explores,),) = _query(
        scenario.database,
        f"select count(*) from {ANALYTICS}.slow_content where content_kind = 'explore'",
    )
    assert explores > 0


def test_query_phases_weekly_equals_the_simulator(scenario: Scenario) -> None:
    rows = _query(
        scenario.database,
        f"select phase, sum(tasks), sum(total_seconds) from {ANALYTICS}.query_phases_weekly "
        "group by phase",
    )
    landed = {phase: (tasks, round(seconds, 1)) for phase, tasks, seconds in rows}
    expected: dict[str, list[float]] = {}
    for row in scenario.query_metrics:
        for name, value in row.items():
            if (
                name not in {"id", "query_task_id"}
                and not name.startswith("created")
                and value is not None
            ):
                acc = expected.setdefault(name, [0, 0.0])
                acc[0] += 1
                acc[1] += float(value)
    assert landed == {k: (n, round(total, 1)) for k, (n, total) in expected.items()}
    assert "execute_main_query" in landed
    assert landed["cache_load"][0] > 0
