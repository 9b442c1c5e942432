"""Every explore stream, the same completeness and incremental tests; the `explores`
setting; surrogate keys. Through the real tap executable, against the simulator.

Each test selects one stream in a catalog (the others would cost queries of their own) and
compares the records with the simulator's truth for that explore.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import typing as t
import zoneinfo
from collections import Counter

import pytest

from tap_looker_activity.explores import (
    SURROGATE_KEY,
    Dimension,
    ExploreDefinition,
    column_name,
    is_unstable,
)
from tap_looker_activity.paging import after_expression
from tap_looker_activity.records import surrogate_key
from tap_looker_activity.streams import SYSTEM_ACTIVITY_STREAMS
from tests.conftest import tap_config
from tests.singer_run import TapRun, run_tap

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

DEFINITIONS = {d.name: d for d in SYSTEM_ACTIVITY_STREAMS}
STREAMS = list(DEFINITIONS)
FULL_TABLE = {d.name for d in SYSTEM_ACTIVITY_STREAMS if not d.replication_key}
# Explores whose existing rows change (counters grow, runs complete, entities are edited).
CHANGE_IN_PLACE = {"content_usage", "history", "scheduled_job", "user", "dashboard", "look"}

Key = tuple[t.Any, ...]
# Rows a stream's fixed filters keep, said independently of the tap's filter expressions.
KEPT_BY_FILTERS: dict[str, t.Callable[[dict[str, t.Any]], bool]] = {
    "content_favorite": lambda row: (row["favorite_count"] or 0) > 0,
}


# --- helpers ---------------------------------------------------------------------------------


def simulator_for(make_simulator, stream: str, rows: int, **kwargs: t.Any) -> LookerSimulator:
    """A simulator whose explore behind `stream` has `rows` rows (content_usage: 10).

    The tap's own queries are not recorded in history/query here (a fixed truth to compare
    with); test_own_queries_are_not_usage covers that footprint.
    """
    explore = DEFINITIONS[stream].explore
    kwargs.setdefault("record_api_queries", False)
    if explore == "content_usage":
        return make_simulator(rows=rows, **kwargs)
    return make_simulator(rows=10, explores={explore: rows}, **kwargs)


def only(catalog: dict[str, t.Any], stream: str) -> dict[str, t.Any]:
    """The catalog with exactly one stream selected."""
    catalog = copy.deepcopy(catalog)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if not md["breadcrumb"]:
                md["metadata"]["selected"] = entry["tap_stream_id"] == stream
    return catalog


def run_stream(
    sim: LookerSimulator,
    catalog: dict[str, t.Any],
    stream: str,
    state: dict[str, t.Any] | None = None,
    **config: t.Any,
) -> TapRun:
    run = run_tap(tap_config(sim, **config), catalog=only(catalog, stream), state=state)
    assert set(run.records) <= {stream}
    return run


def key_of(record: dict[str, t.Any], stream: str) -> Key:
    return tuple(record[k] for k in DEFINITIONS[stream].primary_keys)


def truth_of(
    sim: LookerSimulator, definition: ExploreDefinition
) -> tuple[dict[str, str], list[dict[str, t.Any]]]:
    """The Looker types of the stream's view and its rows, in the simulator now."""
    explore = sim.explore(definition.explore)
    if definition.view == explore.view:
        return {f.name: f.looker_type for f in explore.dimensions()}, sim.truth(definition.explore)
    # A joined view's own grain (Looker groups by the selected dimensions).
    prefix = f"{definition.view}."
    types = {
        f.name.removeprefix(prefix): f.looker_type
        for f in explore.dimensions()
        if f.view == definition.view
    }
    return types, sim.truth_view(definition.explore, definition.view)


def property_of(
    name: str,
    definition: ExploreDefinition,
    joined: dict[str, str],
    wanted: set[str] | None,
) -> str | None:
    """The property a truth field becomes, or None where the stream leaves it out."""
    if "." in name:
        return joined.get(name)
    prop = column_name(name)
    if wanted is not None:
        return prop if prop in wanted else None
    if is_unstable(prop) or prop in definition.excluded_fields:
        return None
    return prop


def expected_records(sim: LookerSimulator, stream: str) -> dict[Key, dict[str, t.Any]]:
    """The simulator's truth as the stream must emit it, by primary key.

    Base-view dimensions by bare name (none relative to now), declared joined fields as
    <view>_<field>, times as RFC 3339 UTC, yes/no as booleans; rows whose replication key
    is still NULL (a running query or job) are not extracted yet.
    """
    definition = DEFINITIONS[stream]
    explore = sim.explore(definition.explore)
    joined = dict(definition.joined_fields)
    types, truth = truth_of(sim, definition)
    kept = KEPT_BY_FILTERS.get(stream, lambda _row: True)
    wanted = set(definition.fields) if definition.fields is not None else None
    expected = {}
    for row in truth:
        if not kept(row):
            continue
        record: dict[str, t.Any] = {}
        for name, raw in row.items():
            value = raw
            prop = property_of(name, definition, joined, wanted)
            if prop is None:
                continue
            if value is not None and types[name] == "date_time":
                value = value.replace(" ", "T") + "+00:00"
            elif value is not None and types[name] == "yesno":
                value = value == "Yes"
            record[prop] = value
        for name in definition.measure_fields:  # grouped by id: the row's own value
            measure = explore.fields[name]
            if measure.measure_of:
                record[name] = row[measure.measure_of]
        if definition.replication_key and record[definition.replication_key] is None:
            continue
        if definition.surrogate_key_fields:
            record[SURROGATE_KEY] = surrogate_key(record, definition.surrogate_key_fields)
        expected[key_of(record, stream)] = record
    return expected


def by_key(run: TapRun, stream: str) -> dict[Key, dict[str, t.Any]]:
    """The run's records by key; a read-time stamp (not in the truth) is checked and left out."""
    records = run.records.get(stream, [])
    if prop := DEFINITIONS[stream].read_time_property:
        stamps = {r.pop(prop) for r in records}
        assert len(stamps) <= 1, f"one read time per run, got {sorted(stamps)[:3]}"
        assert all(dt.datetime.fromisoformat(stamp).tzinfo for stamp in stamps), stamps
    keys = [key_of(r, stream) for r in records]
    duplicated = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicated, f"rows emitted twice in one run: {duplicated[:5]}"
    return dict(zip(keys, records, strict=True))


def queries(sim: LookerSimulator) -> int:
    return sim.stats()["query"]


def first_load_queries(stream: str, rows: int, page_size: int, *, full_table: bool = False) -> int:
    """Full pages, then a short or empty last page, then Looker's count of the window: the
    evidence that nothing is left (every simulated explore has a count measure in the view
    of its key; the audit asks for it after an empty page too)."""
    del stream, full_table  # every stream kind is proven alike
    return rows // page_size + 2


# --- every stream ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", STREAMS)
def test_initial_load_is_complete_and_typed(make_simulator, discovered, stream: str) -> None:
    definition = DEFINITIONS[stream]
    sim = simulator_for(make_simulator, stream, 1_234, seed=11)
    run = run_stream(sim, discovered, stream, page_size=500)

    expected = expected_records(sim, stream)
    assert by_key(run, stream) == expected
    # Pages of 500; the page after a full last page proves the end, and the short last page
    # of an incremental first load is confirmed by one more query (row cap guard).
    assert queries(sim) == first_load_queries(stream, len(expected), 500)

    schema = run.schemas[stream]
    assert schema["key_properties"] == list(definition.primary_keys)
    props = schema["schema"]["properties"]
    stamped = {definition.read_time_property} - {None}
    assert set(props) == set(next(iter(expected.values()))) | stamped
    if stream in FULL_TABLE:
        assert not schema.get("bookmark_properties")
        assert run.final_state["bookmarks"].get(stream, {}).get("replication_key_value") is None
    else:
        rk = definition.replication_key
        assert schema["bookmark_properties"] == [rk]
        assert props[rk]["format"] == "date-time"
        assert run.bookmark(stream) == max(r[rk] for r in expected.values())


@pytest.mark.parametrize("stream", STREAMS)
def test_rerun_without_changes_costs_one_query_and_one_count(
    make_simulator, discovered, stream: str
) -> None:
    # A full-table stream re-reads everything: one query while it fits in one page; the
    # count proves that short page is the end.
    rows, page_size = (250, 300) if stream in FULL_TABLE else (800, 300)
    sim = simulator_for(make_simulator, stream, rows, seed=5)
    if stream in FULL_TABLE:  # one page whatever the grain (dashboard_element: tiles)
        page_size = max(page_size, len(expected_records(sim, stream)) + 1)
    first = run_stream(sim, discovered, stream, page_size=page_size)
    sim.reset_stats()

    second = run_stream(sim, discovered, stream, state=first.final_state, page_size=page_size)

    assert queries(sim) == 2
    if stream in FULL_TABLE:
        assert by_key(second, stream) == by_key(first, stream)
        return
    rk = DEFINITIONS[stream].replication_key
    bookmark = first.bookmark(stream)
    # Looker's "after" is inclusive: only the rows at the bookmark come again.
    assert second.records[stream]
    assert {r[rk] for r in second.records[stream]} == {bookmark}
    assert second.bookmark(stream) == bookmark


@pytest.mark.parametrize("stream", STREAMS)
def test_new_and_updated_rows_are_emitted_again(make_simulator, discovered, stream: str) -> None:
    definition = DEFINITIONS[stream]
    sim = simulator_for(make_simulator, stream, 2_000, seed=21)
    first = run_stream(sim, discovered, stream, page_size=400)
    before = expected_records(sim, stream)
    pk_field = definition.primary_keys[0]
    raw_before = {r.get(pk_field): r for r in sim.truth(definition.explore)}

    sim.advance(seconds=3_600, new_rows=150, touched_rows=90)
    after = expected_records(sim, stream)
    changed = {k for k, row in after.items() if before.get(k) != row}
    assert len(changed) >= 5
    if stream in CHANGE_IN_PLACE:
        raw_after = {r[pk_field]: r for r in sim.truth(definition.explore)}
        # Looker's retention may have deleted some rows meanwhile (history of scheduled tasks).
        in_place = [k for k, row in raw_before.items() if k in raw_after and raw_after[k] != row]
        assert in_place, "the simulator should have changed existing rows"

    second = run_stream(sim, discovered, stream, state=first.final_state, page_size=400)
    emitted = by_key(second, stream)
    assert changed <= set(emitted)
    for key in changed:
        assert emitted[key] == after[key]
    # Upserting both runs in order converges to the new truth; rows Looker has deleted since
    # (retention) stay in the warehouse as first extracted: keeping them is why one exports.
    merged = {**by_key(first, stream), **emitted}
    assert {k: v for k, v in merged.items() if k in after} == after
    assert set(merged) - set(after) == set(before) - set(after)


@pytest.mark.parametrize("stream", STREAMS)
def test_ties_larger_than_a_page_cross_page_boundaries(
    make_simulator, discovered, stream: str
) -> None:
    page_size = 100
    # Full-table streams have no ties to cross (their keyset is the primary key): fewer rows.
    rows = 1_000 if stream in FULL_TABLE else 3_000
    sim = simulator_for(make_simulator, stream, rows, seed=3, tie_group=250)
    expected = expected_records(sim, stream)
    rk = DEFINITIONS[stream].replication_key
    if rk:
        ties = Counter(r[rk] for r in expected.values())
        assert max(ties.values()) > page_size, "the simulator must produce big ties"

    run = run_stream(sim, discovered, stream, page_size=page_size)

    assert by_key(run, stream) == expected
    assert queries(sim) == first_load_queries(stream, len(expected), page_size)
    if rk:
        times = [r[rk] for r in run.records[stream]]
        assert times == sorted(times)


# Streams with fewer rows than their explore's base rows: about one favourite per seven
# content items, one plan per ten jobs.
CAP_TEST_ROWS = {"content_favorite": 45_000, "scheduled_plan": 60_000}


# field_usage has a row per field of the LookML catalog and api_usage one per endpoint and
# day: never near 5,000 rows in the simulator (their paging is the same as every stream's).
@pytest.mark.parametrize("stream", [s for s in STREAMS if s not in {"field_usage", "api_usage"}])
def test_rows_above_lookers_silent_cap_all_arrive(make_simulator, discovered, stream: str) -> None:
    sim = simulator_for(make_simulator, stream, CAP_TEST_ROWS.get(stream, 6_000), seed=12)
    run = run_stream(sim, discovered, stream, page_size=5_000)

    expected = expected_records(sim, stream)
    assert len(expected) > 5_000
    assert set(by_key(run, stream)) == set(expected)
    assert queries(sim) == first_load_queries(stream, len(expected), 5_000)
    # Every page carried an explicit limit: none fell under the silent 5,000-row cap (the
    # count, one row, asks for one).
    pages, (count,) = sim.stats()["queries"][:-1], sim.stats()["queries"][-1:]
    assert all(q["body"]["limit"] == "5000" for q in pages)
    assert count["body"]["limit"] == "1"
    assert count["body"]["fields"][0].endswith(".count")


def test_only_content_usage_is_selected_without_a_catalog(make_simulator) -> None:
    sim = make_simulator(rows=40, seed=1, explores="all")
    run = run_tap(tap_config(sim))

    assert set(run.records) == {"content_usage", "sync_audit"}  # the audit costs no query
    assert {q["body"]["view"] for q in sim.stats()["queries"]} == {"content_usage"}
    # Streams this run does not sync cost no metadata call either.
    assert sim.stats()["explore"] == 1


def test_own_queries_are_not_usage(make_simulator, discovered) -> None:
    sim = make_simulator(rows=10, seed=7, explores={"history": 900})  # footprint recorded
    run = run_stream(sim, discovered, "history", page_size=300)

    own = {r["id"] for r in sim.truth("history") if r["user_id"] == sim.api_user_id}
    assert own, "the simulator records the tap's queries in history"
    emitted = by_key(run, "history")
    assert not {k[0] for k in emitted} & own
    assert all(r["user_id"] != sim.api_user_id for r in emitted.values())

    kept = run_stream(sim, discovered, "history", page_size=300, exclude_own_activity=False)
    assert own <= {r["id"] for r in kept.records["history"]}


def test_unselected_streams_missing_from_looker_do_not_matter(make_simulator, discovered) -> None:
    sim = make_simulator(
        rows=40, seed=1, explores=["history"], record_api_queries=False
    )  # no event, user, ...
    run = run_stream(sim, discovered, "history")

    assert by_key(run, "history") == expected_records(sim, "history")


# --- surrogate keys (an explore without a unique id) ------------------------------------------

# pdt_event_log has an id; read through its natural fields it stands for any explore without one.
NATURAL_FIELDS = [
    "created_time", "tid", "sequence", "action", "model_name", "view_name", "connection",
    "table_name", "hash", "action_data",
]  # fmt: skip
PDT_NATURAL = {
    "name": "pdt_natural",
    "model": "system__activity",
    "explore": "pdt_event_log",
    "fields": NATURAL_FIELDS,
    "surrogate_key_fields": NATURAL_FIELDS,
    "replication_key": "created_time",
}


def run_natural(sim: LookerSimulator, **config: t.Any) -> TapRun:
    run = run_tap(tap_config(sim, explores=[PDT_NATURAL], **config))
    assert run.records["pdt_natural"]
    return run


def test_surrogate_key_is_deterministic_and_unique(make_simulator) -> None:
    sim = make_simulator(rows=10, seed=31, explores={"pdt_event_log": 1_500})
    first = run_natural(sim, page_size=200)
    second = run_natural(sim, page_size=350)

    records = first.records["pdt_natural"]
    assert len(records) == sim.row_count("pdt_event_log")
    # The same rows get the same keys, whatever the paging.
    keys = [r[SURROGATE_KEY] for r in records]
    assert keys == [r[SURROGATE_KEY] for r in second.records["pdt_natural"]]
    # One key per distinct row: no two rows share one, and all differ from each other.
    natural = {tuple(r[f] for f in NATURAL_FIELDS) for r in records}
    assert len(set(keys)) == len(natural) == len(records)
    # Duplicate-looking rows (same action, PDT, second and transaction) are told apart.
    looks_alike = Counter((r["created_time"], r["action"], r["tid"]) for r in records)
    assert max(looks_alike.values()) > 1
    # Exactly as documented: sha256 of the sorted, compact, UTF-8 JSON of the key fields.
    for record in records[:50]:
        canonical = json.dumps(
            {f: record[f] for f in NATURAL_FIELDS},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert record[SURROGATE_KEY] == hashlib.sha256(canonical.encode()).hexdigest()
    assert first.schemas["pdt_natural"]["key_properties"] == [SURROGATE_KEY]


def test_surrogate_key_does_not_depend_on_the_query_timezone(make_simulator) -> None:
    sim = make_simulator(rows=10, seed=32, explores={"pdt_event_log": 300})
    utc = run_natural(sim)
    tokyo = run_natural(sim, query_timezone="Asia/Tokyo")

    assert {r[SURROGATE_KEY] for r in utc.records["pdt_natural"]} == {
        r[SURROGATE_KEY] for r in tokyo.records["pdt_natural"]
    }


def test_keyset_over_nullable_natural_fields() -> None:
    t_dim = Dimension("log.created_time", "created_time", "date_time", "date-time")
    a_dim = Dimension("log.tablename", "tablename", "string", "string")
    n_dim = Dimension("log.sequence", "sequence", "number", "integer")
    expression = after_expression(
        [t_dim, a_dim, n_dim], ("2024-01-31 10:00:05", None, 3), zoneinfo.ZoneInfo("UTC")
    )
    when = "date_time(2024, 1, 31, 10, 0, 5)"
    assert expression == (
        f"${{log.created_time}} > {when} OR (${{log.created_time}} = {when} AND "
        "(NOT is_null(${log.tablename}) OR (is_null(${log.tablename}) AND "
        "${log.sequence} > 3)))"
    )


# --- the explores setting ----------------------------------------------------------------------

ORDERS = {
    "name": "orders",
    "model": "thelook",
    "explore": "order_items",
    "fields": ["id", "order_items.status", "sale_price", "created_time", "users.state"],
    "primary_keys": ["id"],
    "replication_key": "order_items.created_time",
}
ORDERS_FULL = {"name": "orders_full", "model": "thelook", "explore": "order_items"}


def test_explores_setting_adds_an_explore_of_another_model(make_simulator) -> None:
    sim = make_simulator(rows=20, seed=41, explores={"order_items": 700})
    explores = [ORDERS, {**ORDERS_FULL, "fields": "*", "primary_keys": ["order_items.id"]}]
    config = tap_config(sim, page_size=300, explores=explores)

    run = run_tap(config)  # configured explores are selected without a catalog

    truth = sim.truth("order_items")
    orders = {r["id"]: r for r in run.records["orders"]}
    assert orders == {
        row["id"]: {
            "id": row["id"],
            "status": row["status"],
            "sale_price": row["sale_price"],
            "created_time": row["created_time"].replace(" ", "T") + "+00:00",
            "users_state": row["users.state"],
        }
        for row in truth
    }
    assert run.bookmark("orders") == max(r["created_time"] for r in orders.values())
    assert run.schemas["orders"]["bookmark_properties"] == ["created_time"]
    # "*": every dimension of the base view, no joined ones; no replication key: full table.
    full = {r["id"]: r for r in run.records["orders_full"]}
    assert len(full) == len(truth)
    assert set(run.schemas["orders_full"]["schema"]["properties"]) == {
        "id", "order_id", "user_id", "status", "sale_price", "created_time", "created_date",
        "returned_time", "inventory_item_id",  # hidden in LookML, still a base-view dimension
    }  # fmt: skip
    assert not run.schemas["orders_full"].get("bookmark_properties")
    # content_usage (20 rows), orders (700 rows / 300) and orders_full (the same) queries.
    assert queries(sim) == (
        first_load_queries("content_usage", 20, 300)
        + first_load_queries("orders", 700, 300)
        + first_load_queries("orders_full", 700, 300, full_table=True)
    )

    sim.advance(seconds=600, new_rows=60)
    sim.reset_stats()
    rerun = run_tap(config, state=run.final_state)
    new = {r["id"] for r in rerun.records["orders"]}
    assert {row["id"] for row in sim.truth("order_items")} - set(orders) <= new
    assert len(rerun.records["orders_full"]) == sim.row_count("order_items")


@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        (
            {"name": "nope", "model": "no_such_model", "explore": "orders", "primary_keys": ["id"]},
            ["explores: stream nope", "'no_such_model'", "'orders'", "404"],
        ),
        (
            {**ORDERS, "fields": ["id", "shipping_cost"]},
            ["explores: stream orders", "thelook/order_items", "shipping_cost"],
        ),
        ({**ORDERS, "name": "history"}, ["explores[0] (history)", "already exists"]),
        ({**ORDERS, "name": "bad name"}, ["explores[0] (bad name)", "letters"]),
        ({**ORDERS, "primary_keys": []}, ["explores[0] (orders)", "primary_keys"]),
    ],
)
def test_unusable_configured_explores_fail_with_one_line(
    make_simulator, entry: dict[str, t.Any], fragments: list[str]
) -> None:
    sim = make_simulator(rows=5, seed=1, explores={"order_items": 10})
    run = run_tap(tap_config(sim, explores=[entry]), check=False)

    assert run.returncode == 2  # a bad setting
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-looker-activity: error: "), last
    for fragment in fragments:
        assert fragment in last, last
    assert not run.records


def test_explore_definition_from_setting() -> None:
    definition = ExploreDefinition.from_setting(
        {
            "name": "attrs",
            "model": "system__activity",
            "explore": "event_attribute",
            "fields": ["event_attribute.name", "value"],
            "primary_keys": ["event_attribute.id"],
            "replication_key": "event.created_time",
        }
    )
    assert definition.primary_keys == ("id",)
    assert definition.replication_key == "event_created_time"
    assert definition.joined_fields == (("event.created_time", "event_created_time"),)
    assert definition.fields == ("name", "value", "event_created_time", "id")
    assert definition.configured

    pdt = ExploreDefinition.from_setting(
        {"name": "p", "model": "m", "explore": "e", "surrogate_key_fields": ["a", "e.b"]}
    )
    assert pdt.primary_keys == (SURROGATE_KEY,)
    assert pdt.surrogate_key_fields == ("a", "b")
    assert pdt.replication_key is None


def test_query_metrics_always_filter_hides_no_older_row(make_simulator, discovered) -> None:
    """Looker's explore may default created_time to "7 days" (always_filter, modelled by the
    simulator): the stream's own filter on created_time replaces it on a first load."""
    sim = simulator_for(make_simulator, "query_metrics", 400, seed=2)
    run = run_stream(sim, discovered, "query_metrics", page_size=500)

    expected = expected_records(sim, "query_metrics")
    newest = max(dt.datetime.fromisoformat(r["created_time"]) for r in expected.values())
    older = [
        k
        for k, r in expected.items()
        if dt.datetime.fromisoformat(r["created_time"]) < newest - dt.timedelta(days=7)
    ]
    assert len(older) > len(expected) // 2
    assert by_key(run, "query_metrics") == expected
