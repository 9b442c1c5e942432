"""What the dbt models must say, computed from the Looker simulator's truth.

The simulator's clock and rows are the ground truth: the tests take `sim.truth()` at every
simulated day (including days whose run is skipped) and derive the expected
`content_usage_daily` and `stale_content` rows with the rules documented in the models
(transform/models/marts/*.sql), independently of SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import typing as t

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

CHANNELS = ("api", "embed", "public", "schedule", "other")
# Streams the dbt end-to-end tests select (tap) and enable (dbt).
DBT_STREAMS = (
    "content_usage", "dashboard", "look", "user", "history", "scheduled_job",
    "query", "field_usage", "lookml_field", "api_usage", "sync_audit",
    "content_favorite", "scheduled_plan", "dashboard_element", "query_metrics",
)  # fmt: skip
TAP_SELECT = '["' + '", "'.join(f"{s}.*" for s in DBT_STREAMS) + '"]'
# The simulator's explores behind those streams (scheduled_job comes from scheduled_plan).
SIM_EXPLORES = {
    "dashboard": 40, "look": 40, "user": 25, "history": 300, "scheduled_plan": 400,
    "query": 150, "field_usage": None, "api_usage": None, "query_metrics": 300,
    "order_items": 50,  # a model of the admin's own: the LookML catalog leaves System Activity out
}  # fmt: skip
# Day boundaries line up with the simulator's windows: advance(86_400) from 23:59:59 covers
# exactly one calendar day, (D-1 23:59:59, D 23:59:59].
START = "2024-03-01T23:59:59"
DAY = 86_400


def _time(value: t.Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T")).replace(
        tzinfo=None
    )


def _bool(value: t.Any) -> bool:
    return value is True or str(value).lower() in {"yes", "true"}


def _first(row: dict[str, t.Any], *names: str) -> t.Any:
    for name in names:
        if name in row:
            return row[name]
    return None


Usage = dict[int, dict[str, t.Any]]


def usage_truth(sim: LookerSimulator) -> Usage:
    """content_usage now: id -> {content_type, content_id, last_accessed_time, <ch>_count}."""
    rows = {}
    for row in sim.truth("content_usage"):
        rows[int(row["id"])] = {
            "content_type": row["content_type"],
            "content_id": row["content_id"],
            "last_accessed_time": _time(row["last_accessed_time"]),
            **{f"{c}_count": int(row[f"{c}_count"] or 0) for c in CHANNELS},
        }
    return rows


def expected_daily(observed: list[Usage]) -> dict[tuple[int, dt.date], dict[str, t.Any]]:
    """content_usage_daily from the states the runs observed (observed[0] is the baseline).

    Between two observed states, an item whose counters moved contributes the difference
    (a counter lower than before counts its new value), an item that appeared contributes all
    of its counts; the day is that of its last access in the newer state, the window starts
    at the latest access the older run had seen.
    """
    out: dict[tuple[int, dt.date], dict[str, t.Any]] = {}
    for before, after in itertools.pairwise(observed):
        window_start = max(r["last_accessed_time"] for r in before.values())
        for item, row in after.items():
            old = before.get(item)
            if old is not None and all(
                old[k] == row[k] for k in ("last_accessed_time", *(f"{c}_count" for c in CHANNELS))
            ):
                continue
            deltas = {}
            for c in CHANNELS:
                new = row[f"{c}_count"]
                prev = None if old is None else old[f"{c}_count"]
                deltas[f"{c}_accesses"] = new if prev is None or new < prev else new - prev
            day = row["last_accessed_time"].date()
            acc = out.setdefault(
                (item, day),
                {
                    "content_type": row["content_type"],
                    "content_id": row["content_id"],
                    **{f"{c}_accesses": 0 for c in CHANNELS},
                    "window_start": window_start,
                    "spans_missed_run": (day - window_start.date()).days > 1,
                },
            )
            for k, v in deltas.items():
                acc[k] += v
    return {k: v for k, v in out.items() if sum(v[f"{c}_accesses"] for c in CHANNELS) > 0}


def content_truth(sim: LookerSimulator) -> dict[tuple[str, str], dict[str, t.Any]]:
    """Dashboards and Looks now, keyed (content_type, content_id)."""
    out = {}
    for content_type in ("dashboard", "look"):
        # Dashboards come from the REST API (search_dashboards: deleted ones flagged) when
        # the simulator serves it, else from the System Activity explore.
        rows = (
            sim.dashboards()
            if content_type == "dashboard" and hasattr(sim, "dashboards")
            else sim.truth(content_type)
        )
        for raw in rows:
            # Bare names, or the view-qualified names of an explore with joins.
            row = {k.removeprefix(f"{content_type}."): v for k, v in raw.items()}
            deleted = _bool(row.get("deleted")) or _first(row, "deleted_time", "deleted_at")
            out[(content_type, str(row["id"]))] = {
                "title": row.get("title"),
                "created_at": _time(_first(row, "created_at", "created_time")),
                "is_deleted": bool(deleted),
            }
    return out


def keep_reasons(
    sim: LookerSimulator,
    content: dict[tuple[str, str], dict[str, t.Any]],
    streams: t.Collection[str] = DBT_STREAMS,
) -> dict[tuple[str, str], str]:
    """Why Looker's Unused Content page keeps an item (first rule that applies), from the
    simulator now: public Looks, enabled recurring schedules, favourites, Looks on a live
    dashboard (Looker's admin docs, "Managing unused content"); only the rules whose stream
    is among `streams`."""
    keep: dict[tuple[str, str], str] = {}
    public = sim.truth("look") if "look" in streams else []
    plans = (
        sim.truth_view("scheduled_plan", "scheduled_plan") if "scheduled_plan" in streams else []
    )
    usage = sim.truth("content_usage") if "content_favorite" in streams else []
    tiles = (
        sim.truth_view("dashboard", "dashboard_element") if "dashboard_element" in streams else []
    )
    for row in public:
        if _bool(row.get("public")):
            keep.setdefault(("look", str(row["id"])), "public")
    for plan in plans:
        if not _bool(plan.get("enabled")) or _bool(plan.get("run_once")):
            continue
        if plan.get("look_id") is not None:
            key = ("look", str(plan["look_id"]))
        elif plan.get("dashboard_id") is not None:
            key = ("dashboard", str(plan["dashboard_id"]))
        elif plan.get("lookml_dashboard_id"):
            key = ("dashboard", str(plan["lookml_dashboard_id"]))
        else:
            continue
        keep.setdefault(key, "scheduled")
    for row in usage:
        if int(row.get("favorite_count") or 0) > 0:
            keep.setdefault((row["content_type"], str(row["content_id"])), "favorite")
    for tile in tiles:
        board = content.get(("dashboard", str(tile["dashboard_id"])))
        if tile.get("look_id") is None or tile.get("deleted_time") is not None:
            continue
        if board is not None and board["is_deleted"]:
            continue
        keep.setdefault(("look", str(tile["look_id"])), "on a dashboard")
    return keep


def expected_stale(
    usage: Usage,
    content: dict[tuple[str, str], dict[str, t.Any]],
    days: int = 90,
    *,
    keep: dict[tuple[str, str], str] | None = None,
    lookml_models: set[str] | None = None,
) -> dict[str, dict[str, t.Any]]:
    """stale_content: live dashboards/Looks idle >= `days` (never accessed: since creation)
    that no rule in `keep` keeps; with `lookml_models` (the LookML catalog), LookML
    dashboards only of those models; never Looker's own System Activity dashboards."""
    as_of = max(r["last_accessed_time"] for r in usage.values())
    last: dict[tuple[str, str], dt.datetime] = {}
    for row in usage.values():
        if row["content_type"] in ("dashboard", "look"):
            key = (row["content_type"], row["content_id"])
            last[key] = max(last.get(key, row["last_accessed_time"]), row["last_accessed_time"])
    out = {}
    for key in set(last) | set(content):
        item = content.get(key)
        lookml_model = key[1].split("::")[0] if "::" in key[1] else None
        if item is None and lookml_model is None:
            continue  # not in Looker's content list any more: deleted for good
        if item is not None and item["is_deleted"]:
            continue
        if lookml_model == "system__activity":
            continue  # Looker's own
        if lookml_model and lookml_models is not None and lookml_model not in lookml_models:
            continue
        if keep and key in keep:
            continue
        since = last.get(key) or (item or {}).get("created_at")
        idle = None if since is None else (as_of.date() - since.date()).days
        if idle is None or idle >= days:
            out[f"{key[0]}:{key[1]}"] = {
                "title": (item or {}).get("title"),
                "never_accessed": key not in last,
                "days_idle": idle,
            }
    return out


def expected_deletions(
    contents: list[dict[tuple[str, str], dict[str, t.Any]]],
) -> list[tuple[str, bool, bool]]:
    """content_deletions from the content each run saw: (content_key, first seen deleted,
    restored by a later run), one per change from not deleted (or unseen) to deleted."""
    events: list[list[t.Any]] = []
    for key in sorted({k for seen in contents for k in seen}):
        before: bool | None = None
        mine: list[list[t.Any]] = []
        for seen in contents:
            if key not in seen:
                continue
            deleted = seen[key]["is_deleted"]
            if deleted and not before:
                mine.append([f"{key[0]}:{key[1]}", before is None, False])
            elif not deleted and before and mine:
                mine[-1][2] = True
            before = deleted
        events.extend(mine)
    return [tuple(e) for e in events]  # type: ignore[misc]


def pii_hash(value: str, salt: str) -> str:
    """What the tap writes instead of a personal value with hash_pii (tap_looker_activity.pii)."""
    return hashlib.sha256((salt + value).encode()).hexdigest()


def expected_field_usage_daily(
    runs: list[dict[int, dict[str, t.Any]]], read_dates: list[dt.date]
) -> dict[tuple[int, dt.date], tuple[int, bool]]:
    """field_usage_daily by (id, usage_date): (uses, spans_missed_run), from the lifetime
    counters each run saw (runs[i] read on read_dates[i]); the first run is a baseline."""
    expected = {}
    for i in range(1, len(runs)):
        earlier, later, day = runs[i - 1], runs[i], read_dates[i]
        gap = (day - read_dates[i - 1]).days
        for field_id, row in later.items():
            before = earlier.get(field_id)
            uses = row["times_used_dim"] - (before["times_used_dim"] if before else 0)
            if uses > 0:
                expected[field_id, day] = (uses, before is None or gap > 1)
    return expected


def expected_inactive_users(
    users: list[dict[str, t.Any]], as_of: dt.date, after_days: int = 90
) -> dict[str, int]:
    """inactive_users: enabled user id -> days since the later login (or creation)."""
    idle = {}
    for user in users:
        if _bool(user["is_disabled"]):
            continue
        logins = [
            dt.date.fromisoformat(d)
            for d in (user["user_facts.last_ui_login_date"], user["user_facts.last_api_login_date"])
            if d
        ]
        since = max(logins) if logins else dt.date.fromisoformat(user["created_date"])
        if (as_of - since).days >= after_days:
            idle[str(user["id"])] = (as_of - since).days
    return idle
