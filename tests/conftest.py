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
# These run meltano on the repository's own `.meltano` (the demos, Airflow's BashOperator as
# in production), so never beside each other: `make test` runs them after the rest, in one
# process (-m repo_meltano). Every other test's meltano has its own system dir and dbt
# target (tests/meltano_cli.py), so pytest-xdist runs those on both cores.
REPO_MELTANO_MODULES = frozenset(
    {
        "tests.test_demo",
        "tests.test_demo_gcp",
        "tests.test_e2e_airflow",
        "tests.test_fanout_e2e",
        "tests.test_secrets_at_rest",
    }
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "repo_meltano: runs meltano on the repository's own .meltano (not in parallel)"
    )


def pytest_itemcollected(item: pytest.Item) -> None:
    if isinstance(item, pytest.Function) and item.module.__name__ in REPO_MELTANO_MODULES:
        item.add_marker(pytest.mark.repo_meltano)


@pytest.fixture
def make_simulator() -> t.Iterator[t.Callable[..., LookerSimulator]]:
    with simulator_factory(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as make:
        yield make


@pytest.fixture
def meltano_project(tmp_path: Path) -> MeltanoProject:
    """The repository's Meltano project with state isolated to this test."""
    return MeltanoProject(REPO_ROOT, state_dir=tmp_path / "state")
