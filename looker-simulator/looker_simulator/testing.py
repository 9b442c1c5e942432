"""Test helper: start simulators on demand and stop every one of them afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .simulator import LookerSimulator


@contextlib.contextmanager
def simulator_factory(**defaults: Any) -> Iterator[Callable[..., LookerSimulator]]:
    """Yield ``make(**kwargs)`` that starts a simulator (``defaults`` overridable per call).

    Typical use, as a pytest fixture::

        @pytest.fixture
        def make_simulator():
            with simulator_factory(client_id="id", client_secret="secret") as make:
                yield make
    """
    started: list[LookerSimulator] = []

    def make(**kwargs: Any) -> LookerSimulator:
        sim = LookerSimulator(**{**defaults, **kwargs})
        sim.start()
        started.append(sim)
        return sim

    try:
        yield make
    finally:
        for sim in started:
            sim.stop()
