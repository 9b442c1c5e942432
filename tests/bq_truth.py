"""Compare what landed in a warehouse with the simulator's truth."""

from __future__ import annotations

import datetime as dt
import typing as t

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

TIME_FIELDS = ("last_accessed_time",)


def truth_rows(sim: LookerSimulator, explore: str = "content_usage") -> dict[int, dict[str, t.Any]]:
    """The simulator's rows as typed values, keyed by id."""
    rows = {}
    for row in sim.truth(explore):
        typed = dict(row)
        for name in TIME_FIELDS:
            if typed.get(name) is not None:
                typed[name] = dt.datetime.fromisoformat(typed[name]).replace(tzinfo=dt.UTC)
        if typed.get("last_accessed_date") is not None:
            typed["last_accessed_date"] = dt.date.fromisoformat(typed["last_accessed_date"])
        rows[typed["id"]] = typed
    return rows


def normalise(value: t.Any) -> t.Any:  # noqa: ANN401
    """Warehouse values in comparable form (aware UTC datetimes, dates)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value


def landed_rows(rows: t.Iterable[t.Mapping[str, t.Any]], columns: t.Iterable[str]) -> list[dict]:
    cols = list(columns)
    return [{c: normalise(row[c]) for c in cols} for row in rows]
