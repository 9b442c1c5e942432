"""Every stream through `meltano run looker-to-bigquery` (local-gcp): Looker simulator ->
GCS -> BigQuery emulator, streams selected with `TAP_LOOKER_ACTIVITY__SELECT`.

The project's own selection (meltano.yml) is not touched: the environment variable overrides
the `select` extra for these runs only. Every table must equal the simulator's truth after an
initial load and after Looker moved on (new rows; rows changed in place; running queries and
jobs that completed).

Time: z3-target-bigquery 0.7.2 sleeps, stream after stream, 5 s after creating a table and
7.5 s for each upsert (a temporary table, then MERGE): ten streams sleep 125 s in a first
upsert run and 75 s in every later one. The first load therefore goes to the empty tables
with `upsert` off (a plain load: the tap emits each key once per run, which the tap's tests
assert, so it lands the same rows); the second run is the production configuration, MERGE
on every stream's key (`_sdc_surrogate_key` included). The first load with upsert on is
covered for content_usage by test_e2e_bigquery.py. Two concurrent `meltano run`s would halve
the time but share `.meltano/run/<plugin>/` (the catalog file) and corrupt each other.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import typing as t
from collections import Counter

import pytest
from looker_simulator import LookerSimulator
from tap_looker_activity.explores import SURROGATE_KEY, column_name, is_unstable
from tap_looker_activity.records import surrogate_key
from tap_looker_activity.streams import SYSTEM_ACTIVITY_STREAMS

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.meltano_cli import MeltanoProject
from tests.pipeline import new_destination, pipeline_env

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

# The explore streams (dashboard comes from the REST API: compared on its own below).
# field_usage and api_usage go through test_dbt_duckdb.py and test_dbt_bigquery.py, whose
# models check them (api_usage counts the simulator's own calls, so its truth moves while a
# run reads it: no table-equals-truth comparison here); so do content_favorite,
# scheduled_plan and dashboard_element (filtered rows, and views of their own grain, whose
# truth is not the explore's), checked through idle_content and stale_content.
THROUGH_DBT = {
    "field_usage",
    "api_usage",
    "content_favorite",
    "scheduled_plan",
    "dashboard_element",
}
DEFINITIONS = {d.name: d for d in SYSTEM_ACTIVITY_STREAMS if d.name not in THROUGH_DBT}
# Modest sizes: z3-target-bigquery sleeps 5 s per new table and 2.5 s per upsert, per stream.
SIZES = {
    "history": 400,
    "query": 200,
    "event": 300,
    "event_attribute": 700,
    "scheduled_plan": 150,
    "pdt_event_log": 300,
    "query_metrics": 200,
    "user": 60,
    "dashboard": 120,
    "look": 150,
}
CONTENT_USAGE_ROWS = 300

Rows = dict[tuple[t.Any, ...], dict[str, t.Any]]


class Tables(t.NamedTuple):
    """Every stream's BigQuery table next to the simulator's truth at one moment."""

    landed: dict[str, list[dict[str, t.Any]]]
    truth: dict[str, Rows]
    column_types: dict[str, dict[str, str]]
    running: dict[str, set[int]]  # ids of rows whose replication key is still NULL


def truth_rows(sim: LookerSimulator, stream: str) -> Rows:
    """What the stream must land: typed like BigQuery returns it, by primary key.

    Rows whose replication key is still NULL (a query or job still running) are not
    extracted until it is set.
    """
    definition = DEFINITIONS[stream]
    explore = sim.explore(definition.explore)
    joined = dict(definition.joined_fields)
    types = {f.name: f.looker_type for f in explore.dimensions()}
    rows: Rows = {}
    for row in sim.truth(definition.explore):
        record: dict[str, t.Any] = {}
        typed: dict[str, t.Any] = {}
        for name, value in row.items():
            prop = joined.get(name) if "." in name else column_name(name)
            if prop is None or is_unstable(prop) or prop in definition.excluded_fields:
                continue
            kind = types[name]
            if value is not None and kind == "date_time":
                value = value.replace(" ", "T") + "+00:00"
                typed[prop] = dt.datetime.fromisoformat(value)
            elif value is not None and kind == "date_date":
                typed[prop] = dt.date.fromisoformat(value)
            elif value is not None and kind == "yesno":
                value = value == "Yes"
                typed[prop] = value
            else:
                typed[prop] = value
            record[prop] = value
        if definition.replication_key and record[definition.replication_key] is None:
            continue
        if definition.surrogate_key_fields:
            typed[SURROGATE_KEY] = surrogate_key(record, definition.surrogate_key_fields)
        rows[tuple(typed[k] for k in definition.primary_keys)] = typed
    return rows


def _normalise(value: t.Any) -> t.Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def snapshot(sim: LookerSimulator, stack: EmulatorStack, dataset: str) -> Tables:
    client = stack.bigquery.client()
    landed, truth, column_types, running = {}, {}, {}, {}
    for stream in DEFINITIONS:
        rk = DEFINITIONS[stream].replication_key
        raw = sim.truth(DEFINITIONS[stream].explore)
        running[stream] = {r.get("id") for r in raw if rk and r.get(rk) is None}
        table_id = f"{stack.project}.{dataset}.{stream}"
        column_types[stream] = {f.name: f.field_type for f in client.get_table(table_id).schema}
        truth[stream] = truth_rows(sim, stream)
        columns = list(next(iter(truth[stream].values())))
        result = client.query(f"SELECT * FROM `{table_id}`").result()
        landed[stream] = [{c: _normalise(row[c]) for c in columns} for row in result]
    return Tables(landed, truth, column_types, running)


@pytest.fixture(scope="module")
def runs(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Tables]:
    """An initial load of every stream, then a load after Looker moved on."""
    project = MeltanoProject(REPO_ROOT, tmp_path_factory.mktemp("state"))
    dataset, bucket = new_destination(emulator_stack)
    sim = LookerSimulator(
        rows=CONTENT_USAGE_ROWS,
        seed=202,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        explores=SIZES,
        # A fixed truth: the tap's own queries in history/query are covered by the tap's tests.
        record_api_queries=False,
    )
    sim.start()
    try:
        select = json.dumps([f"{stream}.*" for stream in DEFINITIONS])
        env = pipeline_env(sim, emulator_stack, dataset, bucket, TAP_LOOKER_ACTIVITY__SELECT=select)
        tables = {}
        first = {**env, "TARGET_BIGQUERY_UPSERT": "false"}  # empty tables: see the docstring
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=first)
        tables["initial"] = snapshot(sim, emulator_stack, dataset)

        sim.advance(seconds=6 * 3_600, new_rows=100, touched_rows=60)
        project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
        tables["advanced"] = snapshot(sim, emulator_stack, dataset)
        return tables
    finally:
        sim.stop()


def assert_equals_truth(tables: Tables, stream: str) -> None:
    keys = DEFINITIONS[stream].primary_keys
    landed = tables.landed[stream]
    truth = tables.truth[stream]
    counts = Counter(tuple(r[k] for k in keys) for r in landed)
    duplicates = [k for k, n in counts.items() if n > 1]
    assert not duplicates, f"{stream}: duplicate keys in the warehouse: {duplicates[:5]}"
    by_key = {tuple(r[k] for k in keys): r for r in landed}
    missing = sorted(set(truth) - set(by_key), key=repr)
    extra = sorted(set(by_key) - set(truth), key=repr)
    assert not missing, f"{stream}: {len(missing)} rows missing, e.g. {missing[:5]}"
    assert not extra, f"{stream}: {len(extra)} rows not in the source, e.g. {extra[:5]}"
    stale = [k for k, row in by_key.items() if row != truth[k]]
    assert not stale, f"{stream}: {len(stale)} rows differ: {by_key[stale[0]]} != {truth[stale[0]]}"


@pytest.mark.parametrize("stream", list(DEFINITIONS))
def test_initial_load_of_every_stream_equals_truth(runs: dict[str, Tables], stream: str) -> None:
    assert_equals_truth(runs["initial"], stream)


@pytest.mark.parametrize("stream", list(DEFINITIONS))
def test_every_stream_converges_after_looker_moved_on(runs: dict[str, Tables], stream: str) -> None:
    before, after = runs["initial"], runs["advanced"]
    assert_equals_truth(after, stream)
    assert len(after.truth[stream]) > len(before.truth[stream]), "new rows should have landed"


def test_rows_that_changed_in_place_were_loaded_in_their_new_state(
    runs: dict[str, Tables],
) -> None:
    before, after = runs["initial"], runs["advanced"]
    # Queries and jobs still running at the first load were left for later; once complete
    # they landed, complete.
    for stream in ("history", "scheduled_job"):
        assert before.running[stream], f"{stream}: the simulator should have running rows"
        landed = {r["id"]: r for r in after.landed[stream]}
        for row_id in before.running[stream]:
            assert landed[row_id] == after.truth[stream][(row_id,)]
            assert landed[row_id]["status"] != "running"
    # Entities edited in place are updated, not appended.
    for stream in ("user", "look"):
        edited = [k for k, row in before.truth[stream].items() if after.truth[stream][k] != row]
        assert edited, f"{stream}: the simulator should have edited rows in place"


def test_column_types(runs: dict[str, Tables]) -> None:
    types = runs["initial"].column_types
    assert types["history"]["completed_time"] == "TIMESTAMP"
    assert types["history"]["id"] in {"INTEGER", "INT64"}
    assert types["history"]["cache"] in {"BOOLEAN", "BOOL"}
    assert types["event_attribute"]["event_created_time"] == "TIMESTAMP"
    assert types["scheduled_job"]["scheduled_plan_name"] == "STRING"
    assert types["pdt_event_log"]["id"] in {"INTEGER", "INT64"}
    assert types["user"]["created_date"] == "DATE"
