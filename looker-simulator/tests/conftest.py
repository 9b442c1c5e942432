"""Shared fixtures: simulators on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simtest_helpers import Api, make_sim

from looker_simulator import LookerSimulator


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    """A shared, read-only 12,000-row instance (tests must not mutate its data)."""
    with make_sim(rows=12_000, seed=7) as s:
        yield s


@pytest.fixture
def clean(sim: LookerSimulator) -> LookerSimulator:
    sim.clear_faults()
    sim.reset_stats()
    sim.configure(expire_token_after=None)
    return sim


@pytest.fixture
def api(clean: LookerSimulator) -> Api:
    return Api(clean.base_url)


@pytest.fixture(scope="module")
def truth(sim: LookerSimulator) -> list[dict[str, Any]]:
    return sim.truth()
