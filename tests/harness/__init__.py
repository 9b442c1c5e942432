"""Test harness: local GCS/BigQuery emulators as real servers (tests only, never product code).

See tests/harness/README.md. Pytest fixtures: ``tests.harness.fixtures``.
"""

from .emulators import (
    BigQueryEmulator,
    EmulatorStack,
    EmulatorStartError,
    GceMetadataEmulator,
    GcsEmulator,
    emulator_env,
    emulator_stack,
    free_port,
    subprocess_env,
)

__all__ = [
    "BigQueryEmulator",
    "EmulatorStack",
    "EmulatorStartError",
    "GceMetadataEmulator",
    "GcsEmulator",
    "emulator_env",
    "emulator_stack",
    "free_port",
    "subprocess_env",
]
