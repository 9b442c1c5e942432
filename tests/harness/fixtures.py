"""Pytest fixtures for the local GCP emulators.

Wire them in ``tests/conftest.py`` with::

    pytest_plugins = ["tests.harness.fixtures"]

Session-scoped (one set of servers per pytest run):
    ``emulator_stack``   :class:`~tests.harness.emulators.EmulatorStack` (GCS + BigQuery +
                         fake GCE metadata), stopped at session end.
    ``gcs_emulator``     its :class:`GcsEmulator`.
    ``bigquery_emulator`` its :class:`BigQueryEmulator`.
    ``target_bigquery_bin`` ``bin`` dir of the z3-target-bigquery venv (built on demand).
Function-scoped (fresh names per test, so tests never share state):
    ``gcs_bucket``       a new bucket (location US) on the GCS emulator; its name.
    ``bq_dataset``       a new dataset (location US) on the BigQuery emulator; its name.
    ``emulator_env``     a full environment dict (``os.environ`` minus real-GCP variables,
                         plus the emulator variables) for ``subprocess.run(env=...)``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .emulators import BigQueryEmulator, EmulatorStack, GcsEmulator
from .target_venv import ensure_target_bigquery_bin


@pytest.fixture(scope="session")
def emulator_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorStack]:
    with EmulatorStack(tmp_path_factory.mktemp("emulators")) as stack:
        yield stack


@pytest.fixture(scope="session")
def gcs_emulator(emulator_stack: EmulatorStack) -> GcsEmulator:
    return emulator_stack.gcs


@pytest.fixture(scope="session")
def bigquery_emulator(emulator_stack: EmulatorStack) -> BigQueryEmulator:
    return emulator_stack.bigquery


@pytest.fixture(scope="session")
def target_bigquery_bin() -> Path:
    return ensure_target_bigquery_bin()


@pytest.fixture
def emulator_env(emulator_stack: EmulatorStack) -> dict[str, str]:
    return emulator_stack.subprocess_env()


@pytest.fixture
def gcs_bucket(gcs_emulator: GcsEmulator) -> str:
    name = f"test-bucket-{uuid.uuid4().hex[:12]}"
    gcs_emulator.create_bucket(name, location="US")
    return name


@pytest.fixture
def bq_dataset(bigquery_emulator: BigQueryEmulator) -> Iterator[str]:
    name = f"test_ds_{uuid.uuid4().hex[:12]}"
    bigquery_emulator.create_dataset(name, location="US")
    yield name
    with contextlib.suppress(Exception):
        bigquery_emulator.client().delete_dataset(name, delete_contents=True, not_found_ok=True)
