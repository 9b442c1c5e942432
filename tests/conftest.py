"""Project end-to-end fixtures: the Looker simulator, the GCP emulators, `meltano run`.

The emulator fixtures (emulator_stack, gcs_emulator, bigquery_emulator, gcs_bucket,
bq_dataset, emulator_env, target_bigquery_bin) come from the test harness.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from looker_simulator import LookerSimulator

from tests.meltano_cli import MeltanoProject

pytest_plugins = ["tests.harness.fixtures"]

CLIENT_ID = "e2e-client-id"
CLIENT_SECRET = "e2e-client-secret-5b1d2e"  # noqa: S105 - a test credential, grepped for in logs
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_simulator() -> t.Iterator[t.Callable[..., LookerSimulator]]:
    started: list[LookerSimulator] = []

    def make(**kwargs: t.Any) -> LookerSimulator:
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", CLIENT_SECRET)
        sim = LookerSimulator(**kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def meltano_project(tmp_path: Path) -> MeltanoProject:
    """The repository's Meltano project with state isolated to this test."""
    return MeltanoProject(REPO_ROOT, state_dir=tmp_path / "state")
