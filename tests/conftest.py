"""Project end-to-end fixtures: the Looker simulator, the GCP emulators, `meltano run`.

The emulator fixtures (emulator_stack, gcs_emulator, bigquery_emulator, gcs_bucket,
bq_dataset, emulator_env, target_bigquery_bin) come from the test harness.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from looker_simulator import LookerSimulator
from looker_simulator.testing import simulator_factory

from tests.meltano_cli import MeltanoProject

pytest_plugins = ["tests.harness.fixtures"]

CLIENT_ID = "e2e-client-id"
CLIENT_SECRET = "e2e-client-secret-5b1d2e"  # noqa: S105 - a test credential, grepped for in logs
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_simulator() -> t.Iterator[t.Callable[..., LookerSimulator]]:
    with simulator_factory(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as make:
        yield make


@pytest.fixture
def meltano_project(tmp_path: Path) -> MeltanoProject:
    """The repository's Meltano project with state isolated to this test."""
    return MeltanoProject(REPO_ROOT, state_dir=tmp_path / "state")
