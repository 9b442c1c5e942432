"""What the real Looker does that a naive client gets wrong (docs/looker-compatibility.md).

Each test runs the real tap executable against the simulator configured to behave as the
public evidence says Looker behaves: SQL errors as HTTP 200 ``looker_error`` bodies, System
Activity times stored in the system time zone, rows that become visible late, a row cap
below the requested limit, and the API-call budget of a quiet daily run.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from tests.conftest import expected_by_id, tap_config
from tests.singer_run import run_tap

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


# --- looker_error: HTTP 200 with [{"looker_error": "..."}] -------------------------------------


def test_a_sql_error_fails_the_run_in_one_line_with_no_record_or_state_past_it(
    make_simulator,
) -> None:
    sim = make_simulator(rows=1_000, seed=51)
    sim.inject("sql_error", count=1, match="query", after=1)  # the second page fails

    run = run_tap(tap_config(sim, page_size=400), check=False)

    assert run.returncode == 1
    last = _last_line(run.stderr)
    assert last.startswith("tap-looker-activity: error: stream content_usage"), last
    assert "SQL Error: Unknown column" in last
    assert "Traceback" not in run.stderr
    records = run.records.get("content_usage", [])
    assert all(r["id"] is not None for r in records), "a looker_error became a record"
    assert len(records) <= 400
    delivered = max((r["last_accessed_time"] for r in records), default=None)
    for state in run.states:
        bookmark = state.get("bookmarks", {}).get("content_usage", {})
        value = bookmark.get("replication_key_value")
        assert value is None or (delivered is not None and value <= delivered)


def test_a_query_timeout_is_retried_like_any_transient_failure(make_simulator) -> None:
    sim = make_simulator(rows=1_000, seed=52)
    sim.inject("query_timeout", count=2, match="query")

    run = run_tap(tap_config(sim, page_size=400))

    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)
    assert "the query failed in Looker" in run.stderr
    assert "retry 2/" in run.stderr


def test_a_persistent_query_timeout_fails_after_the_retries(make_simulator) -> None:
    sim = make_simulator(rows=300, seed=53)
    sim.inject("query_timeout", count=50, match="query")

    run = run_tap(tap_config(sim, max_retries=2), check=False)

    assert run.returncode == 1
    last = _last_line(run.stderr)
    assert "failed after 2 retries" in last
    assert "the query failed in Looker" in last
    assert not run.records.get("content_usage")


# --- time zones -------------------------------------------------------------------------------


def test_query_timezone_does_not_shift_system_activity_times(make_simulator) -> None:
    sim = make_simulator(rows=600, seed=9)
    run = run_tap(tap_config(sim, query_timezone="America/New_York", page_size=250))

    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)
    # System Activity is read in the system time zone whatever query_timezone says.
    assert {q["body"]["query_timezone"] for q in sim.stats()["queries"]} == {"UTC"}


def _crosses_dst(records: list[dict]) -> bool:
    offsets = {
        dt.datetime.fromisoformat(r["last_accessed_time"]).astimezone(NEW_YORK).utcoffset()
        for r in records
    }
    return len(offsets) == 2


def test_a_non_utc_system_time_zone_gives_utc_instants_across_dst(make_simulator) -> None:
    # Twins: the same activity, stored by a UTC Looker and by one whose system zone is New York.
    utc = make_simulator(rows=3_000, seed=54)
    ny = make_simulator(rows=3_000, seed=54, system_timezone="America/New_York")
    config = tap_config(ny, system_timezone="America/New_York", page_size=700)

    first = run_tap(config)

    truth = expected_by_id(utc)  # the real instants, in UTC
    records = first.records["content_usage"]
    assert len(records) == len(truth)
    assert _crosses_dst(records)
    ambiguous = 0
    for record in records:
        want = dict(truth[record["id"]])
        instant = dt.datetime.fromisoformat(want["last_accessed_time"])
        # Looker's dates are the system time zone's dates.
        want["last_accessed_date"] = instant.astimezone(NEW_YORK).date().isoformat()
        if NEW_YORK.fromutc(instant.replace(tzinfo=NEW_YORK)).fold:
            # The repeated hour at the end of DST: Looker stores the wall clock only, so
            # the second 01:xx is read as the first (documented; nothing can recover it).
            ambiguous += 1
            got = dt.datetime.fromisoformat(record["last_accessed_time"])
            assert instant - got == dt.timedelta(hours=1)
            want["last_accessed_time"] = record["last_accessed_time"]
        assert record == want
    assert ambiguous < len(records) / 100

    # The bookmark (UTC) round-trips: the next run starts exactly at it.
    ny.reset_stats()
    second = run_tap(config, state=first.final_state)
    assert {r["last_accessed_time"] for r in second.records["content_usage"]} == {first.bookmark()}
    assert ny.stats()["query"] == 2  # the page and Looker's count


def test_system_timezone_must_be_a_time_zone(make_simulator) -> None:
    sim = make_simulator(rows=5)
    run = run_tap(tap_config(sim, system_timezone="Mars/Olympus"), check=False)
    assert run.returncode == 2  # a bad setting
    assert "system_timezone 'Mars/Olympus'" in _last_line(run.stderr)


# --- late rows and the look-back window ------------------------------------------------------


def test_rows_made_visible_late_are_read_by_the_look_back_window(make_simulator) -> None:
    sim = make_simulator(rows=2_000, seed=55)
    first = run_tap(tap_config(sim, page_size=500))
    sim.advance(seconds=600, late_rows=40, late_by=6 * 3_600)
    late = set(expected_by_id(sim)) - set(first.ids())
    assert len(late) == 40

    without = run_tap(tap_config(sim, page_size=500), state=first.final_state)
    assert not late & set(without.ids()), "without a look-back, late rows are never read"

    with_window = run_tap(
        tap_config(sim, page_size=500, lookback_minutes=12 * 60), state=first.final_state
    )
    assert late <= set(with_window.ids())
    truth = expected_by_id(sim)
    for record in with_window.records["content_usage"]:
        assert record == truth[record["id"]]
    # The bookmark never moves back.
    assert with_window.bookmark() >= first.bookmark()


def test_the_default_look_back_is_a_day(make_simulator) -> None:
    sim = make_simulator(rows=1_500, seed=56)
    config = {k: v for k, v in tap_config(sim).items() if k != "lookback_minutes"}
    first = run_tap(config)
    sim.advance(seconds=600, late_rows=25, late_by=20 * 3_600)
    late = set(expected_by_id(sim)) - set(first.ids())

    second = run_tap(config, state=first.final_state)

    assert late
    assert late <= set(second.ids())


# --- a row cap below the requested limit -----------------------------------------------------


@pytest.mark.parametrize("cap", [600, 5_000])
def test_a_row_cap_below_page_size_loses_no_row(make_simulator, cap: int) -> None:
    sim = make_simulator(rows=12_000, seed=57, max_row_limit=cap)

    run = run_tap(tap_config(sim, page_size=10_000))

    assert sorted(run.ids()) == sorted(expected_by_id(sim))
    assert f"Looker returned {cap} rows to a query with limit 10000" in run.stderr


def test_a_capped_full_table_stream_reads_past_its_first_page(make_simulator, tmp_path) -> None:
    sim = make_simulator(rows=10, seed=58, explores={"user": 2_500}, max_row_limit=1_000)
    catalog = json.loads(run_tap(tap_config(sim), args=("--discover",)).stdout)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if not md["breadcrumb"]:
                md["metadata"]["selected"] = entry["tap_stream_id"] == "user"

    first = run_tap(tap_config(sim, page_size=5_000), catalog=catalog)
    second = run_tap(tap_config(sim, page_size=5_000), catalog=catalog, state=first.final_state)

    for run in (first, second):
        ids = [r["id"] for r in run.records["user"]]
        assert len(ids) == len(set(ids)) == sim.row_count("user")


# --- the API-call budget ------------------------------------------------------------------------


def test_discovery_calls_looker_not_at_all(make_simulator) -> None:
    sim = make_simulator(rows=10, explores="all")
    run = run_tap(tap_config(sim), args=("--discover",))

    catalog = json.loads(run.stdout)
    assert {e["tap_stream_id"] for e in catalog["streams"]} >= {"content_usage", "dashboard"}
    assert sim.stats()["total"] == 0


def test_a_quiet_daily_run_costs_one_login_one_metadata_call_and_two_queries(
    make_simulator,
) -> None:
    sim = make_simulator(rows=3_000, seed=59, explores="all")
    config = {k: v for k, v in tap_config(sim, page_size=5_000).items() if k != "lookback_minutes"}
    first = run_tap(config)
    sim.reset_stats()

    run_tap(config, state=first.final_state)

    stats = sim.stats()
    # The page, and Looker's count proving that short page is the end (not a cap).
    assert (stats["login"], stats["explore"], stats["query"]) == (1, 1, 2)
    assert stats["logout"] == 0
    assert stats["total"] == 4
    # Never from Looker's cache.
    assert all(q["params"]["cache"] == "false" for q in stats["queries"])


# --- schema drift: a known field changes type ---------------------------------------------------


def test_a_known_field_that_changes_type_stops_the_run_in_one_line(make_simulator) -> None:
    sim = make_simulator(rows=300, seed=60)
    sim.remove_dimension("other_count")
    sim.add_dimension("other_count", "date_time", lambda row: row["last_accessed_time"])

    run = run_tap(tap_config(sim), check=False)

    assert run.returncode == 1
    last = _last_line(run.stderr)
    assert "content_usage.other_count is now a date_time (was number)" in last, last
    assert "Traceback" not in run.stderr
    assert not run.records.get("content_usage")
    assert sim.stats()["query"] == 0  # stopped before reading a row
