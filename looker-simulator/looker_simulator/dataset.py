"""The explore registry and one simulator's data: its explores and the simulated clock."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .activity import (
    Dashboard,
    Event,
    EventAttribute,
    History,
    Look,
    OrderItems,
    PdtEventLog,
    Query,
    QueryMetrics,
    ScheduledJob,
    User,
)
from .content_usage import ContentUsage
from .explore import DataConfig, Explore
from .usage_reports import ApiUsage, FieldUsage, field_catalog

# Every explore the simulator can serve, by name, in build order. content_usage is always
# served (its size is the simulator's `rows`); the others on request (`explores=`).
EXPLORES: dict[str, type[Explore]] = {
    cls.name: cls
    for cls in (
        ContentUsage,
        History,
        Query,
        Event,
        EventAttribute,
        ScheduledJob,
        PdtEventLog,
        QueryMetrics,
        User,
        Dashboard,
        Look,
        OrderItems,
        FieldUsage,
        ApiUsage,
    )
}
# field_usage counts the uses of the fields of every explore above: the simulator's LookML.
FieldUsage.catalog = field_catalog(EXPLORES.values())
ALWAYS_SERVED = "content_usage"
# Other names accepted in `explores=`: the Explore's label in Looker's UI, as a name.
ALIASES = {"query_performance_metrics": "query_metrics"}

# explores=... of LookerSimulator: "all", names, or {name: rows or None for the default size}.
ExploreRequest = str | Iterable[str] | Mapping[str, int | None] | None


def requested_sizes(request: ExploreRequest) -> dict[str, int | None]:
    """`explores=` of LookerSimulator as {explore name: rows, None for the default size};
    content_usage is always in it (None: the simulator's `rows`)."""
    if request is None:
        request = []
    if isinstance(request, str):
        if request == "all":
            return dict.fromkeys(EXPLORES)
        request = [name.strip() for name in request.split(",") if name.strip()]
    sizes = dict(request) if isinstance(request, Mapping) else dict.fromkeys(request)
    sizes = {ALIASES.get(name, name): rows for name, rows in sizes.items()}
    unknown = sorted(set(sizes) - set(EXPLORES))
    if unknown:
        known = ", ".join(EXPLORES)
        raise ValueError(f"unknown explore(s) {', '.join(unknown)}; known: {known}")
    sizes[ALWAYS_SERVED] = None  # sized by `rows`
    return sizes


@dataclass
class Dataset:
    """All explores of one simulator instance plus the simulated clock."""

    config: DataConfig
    explores: dict[tuple[str, str], Explore] = field(default_factory=dict)
    advances: int = 0
    # Every explore advance() moves, dependencies first: the served ones plus any built only
    # to back another (event_attribute reads its events from an event explore).
    moving: list[Explore] = field(default_factory=list)

    @classmethod
    def build(cls, config: DataConfig, request: ExploreRequest = None) -> Dataset:
        """content_usage (always) plus the requested explores; dependencies are built (and
        advanced) first, and built once even when only another explore needs them."""
        ds = cls(config)
        sizes = requested_sizes(request)
        built: dict[str, Explore] = {}

        def build(name: str) -> Explore:
            if name not in built:
                kind = EXPLORES[name]
                deps = {dep: build(dep) for dep in kind.requires}
                built[name] = kind(config, sizes.get(name), deps)
                ds.moving.append(built[name])
            return built[name]

        for name in EXPLORES:
            if name in sizes:
                ex = build(name)
                ds.explores[(ex.model, ex.name)] = ex
        return ds

    @property
    def now(self) -> int:
        return self.config.now

    def models(self) -> set[str]:
        return {m for m, _ in self.explores}

    def get(self, model: str, explore: str) -> Explore | None:
        return self.explores.get((model, explore))

    def find(self, explore: str) -> Explore:
        for (_, name), ex in self.explores.items():
            if name == explore:
                return ex
        raise KeyError(f"unknown explore {explore!r}")

    def advance(
        self,
        seconds: int,
        new_rows: int = 0,
        touched_rows: int = 0,
        late_rows: int = 0,
        late_by: int = 3600,
    ) -> None:
        if min(seconds, new_rows, touched_rows, late_rows) < 0 or late_by < 1:
            raise ValueError(
                "advance() takes non-negative seconds, new_rows, touched_rows and late_rows, "
                "and late_by >= 1"
            )
        self.advances += 1
        old_now = self.config.now
        self.config.now = old_now + seconds
        for ex in self.moving:
            key = f"{self.config.seed}:{ex.model}:{ex.name}:{self.advances}"
            if late_rows:  # its own random stream: late_rows=0 leaves the data as it was
                ex.late(random.Random(f"looker-simulator:late:{key}"), late_rows, late_by)
            rng = random.Random(f"looker-simulator:advance:{key}")
            ex.advance(old_now, self.config.now, new_rows, touched_rows, rng)
