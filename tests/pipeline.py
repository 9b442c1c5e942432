"""The production path on local servers: environment for `meltano run`, and what landed.

Shared by the BigQuery, Airflow and reliability end-to-end tests.
"""

from __future__ import annotations

import collections
import datetime as dt
import typing as t

from tests.conftest import CLIENT_ID, CLIENT_SECRET

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

    from tests.harness import EmulatorStack

PAGE_SIZE = 1_000
TIME_FIELDS = ("last_accessed_time",)
DATE_FIELDS = ("last_accessed_date",)
# Relative to "now", so deliberately not extracted (see tap_looker_activity.lookml).
# Not extracted by design (tap-looker-activity README, "Fields left out").
NOT_EXTRACTED = (
    "days_since_last_accessed",
    "days_since_last_access_tiers",
    "content_title",
    "favorite_count",
)


def pipeline_env(
    sim: LookerSimulator, stack: EmulatorStack, dataset: str, bucket: str, **extra: str
) -> dict[str, str]:
    """Environment for `meltano run ... target-bigquery` in `local-gcp` against emulators."""
    settings = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_PAGE_SIZE": str(PAGE_SIZE),
        # A fractional number through Meltano (a `kind: string` setting) must work.
        "TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR": "0.25",
        "TARGET_BIGQUERY_PROJECT": stack.project,
        "TARGET_BIGQUERY_DATASET": dataset,
        "TARGET_BIGQUERY_BUCKET": bucket,
        # Several batches per run, so staging and loading happen more than once.
        "TARGET_BIGQUERY_BATCH_SIZE": "1000",
    }
    return stack.subprocess_env(**{**settings, **extra})


def new_destination(stack: EmulatorStack) -> tuple[str, str]:
    """A fresh BigQuery dataset and GCS staging bucket: (dataset, bucket)."""
    dataset = stack.new_name("looker_activity")
    bucket = stack.new_name("staging").replace("_", "-")
    stack.bigquery.create_dataset(dataset, location="US")
    stack.gcs.create_bucket(bucket, location="US")
    return dataset, bucket


def truth_rows(sim: LookerSimulator, explore: str = "content_usage") -> dict[int, dict[str, t.Any]]:
    """The simulator's rows as typed values (aware UTC datetimes, dates), keyed by id."""
    rows = {}
    for row in sim.truth(explore):
        typed = {k: v for k, v in row.items() if k not in NOT_EXTRACTED}
        for name in TIME_FIELDS:
            if typed.get(name) is not None:
                typed[name] = dt.datetime.fromisoformat(typed[name]).replace(tzinfo=dt.UTC)
        for name in DATE_FIELDS:
            if typed.get(name) is not None:
                typed[name] = dt.date.fromisoformat(typed[name])
        rows[typed["id"]] = typed
    return rows


def _normalise(value: t.Any) -> t.Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Snapshot(t.NamedTuple):
    """A BigQuery table next to the source truth at one moment."""

    rows: list[dict[str, t.Any]]
    truth: dict[int, dict[str, t.Any]]
    column_types: dict[str, str]
    staged_objects: list[str]


def bigquery_snapshot(
    sim: LookerSimulator, stack: EmulatorStack, dataset: str, bucket: str
) -> Snapshot:
    client = stack.bigquery.client()
    table_id = f"{stack.project}.{dataset}.content_usage"
    types = {f.name: f.field_type for f in client.get_table(table_id).schema}
    truth = truth_rows(sim)
    columns = list(next(iter(truth.values())).keys())
    result = client.query(f"SELECT * FROM `{table_id}`").result()
    return Snapshot(
        rows=[{c: _normalise(row[c]) for c in columns} for row in result],
        truth=truth,
        column_types=types,
        staged_objects=stack.gcs.list_objects(bucket),
    )


def assert_equals_truth(snap: Snapshot) -> None:
    """Every row of the source, every column equal, no duplicate ids, nothing extra."""
    ids = [r["id"] for r in snap.rows]
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate ids in the warehouse: {duplicates[:10]}"
    landed = {r["id"]: r for r in snap.rows}
    missing = sorted(set(snap.truth) - set(landed))
    extra = sorted(set(landed) - set(snap.truth))
    assert not missing, f"{len(missing)} rows missing, e.g. {missing[:10]}"
    assert not extra, f"{len(extra)} rows not in the source, e.g. {extra[:10]}"
    stale = [i for i, row in landed.items() if row != snap.truth[i]]
    assert not stale, f"{len(stale)} rows differ, e.g. {landed[stale[0]]} != {snap.truth[stale[0]]}"
