"""Fixtures: real Looker API simulators on loopback, and configs that point at them."""

from __future__ import annotations

import copy
import json
import typing as t

import pytest
from looker_simulator import LookerSimulator
from looker_simulator.testing import simulator_factory

from tests.singer_run import run_tap

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-9f3a7c"  # a test credential, grepped for in logs

TIME_FIELDS = ("last_accessed_time",)
DATE_FIELDS = ("last_accessed_date",)


def selecting(catalog: dict[str, t.Any], *streams: str) -> dict[str, t.Any]:
    """``catalog`` with only ``streams`` (and the tap's own sync_audit) selected."""
    catalog = copy.deepcopy(catalog)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if not md["breadcrumb"]:
                md["metadata"]["selected"] = entry["tap_stream_id"] in {*streams, "sync_audit"}
    return catalog


def tap_config(sim: LookerSimulator, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "base_url": sim.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": 500,
        "backoff_factor": 0.05,
        "timeout": 10,
        # Most tests check exactly which rows a rerun reads; the look-back window has its own.
        "lookback_minutes": 0,
    }
    config.update(overrides)
    return config


# Deliberately not extracted (see tap_looker_activity.explores and streams): relative to
# "now", or changing without last_accessed_time moving.
RELATIVE_TO_NOW = (
    "days_since_last_accessed",
    "days_since_last_access_tiers",
    "content_title",
    "favorite_count",
)


def expected_record(row: dict[str, t.Any]) -> dict[str, t.Any]:
    """A simulator truth row (Looker JSON, UTC) as the tap must emit it."""
    record = {k: v for k, v in row.items() if k not in RELATIVE_TO_NOW}
    for name in TIME_FIELDS:
        if record.get(name) is not None:
            record[name] = record[name].replace(" ", "T") + "+00:00"
    return record


def expected_by_id(sim: LookerSimulator) -> dict[int, dict[str, t.Any]]:
    return {row["id"]: expected_record(row) for row in sim.truth()}


@pytest.fixture
def make_simulator() -> t.Iterator[t.Callable[..., LookerSimulator]]:
    with simulator_factory(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as make:
        yield make


@pytest.fixture(scope="session")
def discovered() -> dict[str, t.Any]:
    """The catalog of a real --discover (live metadata of every explore)."""
    with LookerSimulator(
        rows=10, explores="all", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        return json.loads(run_tap(tap_config(sim), args=("--discover",)).stdout)
