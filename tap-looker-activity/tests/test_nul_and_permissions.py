"""NUL characters in Looker values, and what a 403 names. Through the real tap executable,
against the simulator."""

from __future__ import annotations

import typing as t

import pytest

from tests.conftest import CLIENT_SECRET, selecting, tap_config
from tests.singer_run import TapRun, run_tap

NUL_WARNING = "replaced U+0000 (NUL) by U+FFFD"


def _nul_warnings(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if NUL_WARNING in line]


# --- NUL ----------------------------------------------------------------------------------------


def test_nul_in_a_query_string_value_becomes_a_replacement_character(make_simulator) -> None:
    """PostgreSQL text cannot hold U+0000: the tap never emits one, and says how many once."""
    sim = make_simulator(rows=40, seed=5)
    sim.remove_dimension("content_type")
    # Every odd id: a NUL inside, at the end, and two of them.
    sim.add_dimension(
        "content_type",
        "string",
        lambda row: "da\x00sh\x00" if row["id"] % 2 else "look",
    )

    run = run_tap(tap_config(sim))

    records = run.records["content_usage"]
    assert len(records) == 40
    # Neither raw (as singer-sdk writes it) nor JSON-escaped.
    assert "\x00" not in run.stdout
    assert "\\u0000" not in run.stdout
    by_id = {r["id"]: r["content_type"] for r in records}
    assert {by_id[i] for i in by_id if i % 2} == {"da\ufffdsh\ufffd"}
    assert {by_id[i] for i in by_id if not i % 2} == {"look"}
    (warning,) = _nul_warnings(run)  # one per stream per run, not one per row or value
    assert "stream content_usage" in warning
    assert "in 20 string value(s)" in warning
    assert "PostgreSQL" in warning


def test_nul_in_a_dashboard_title_is_replaced_and_counted_per_stream(
    make_simulator, discovered
) -> None:
    sim = make_simulator(rows=10, explores={"dashboard": 30})
    search = sim.search_dashboards

    def with_nul(params: dict[str, str]) -> list[dict[str, t.Any]]:
        rows = search(params)
        for row in rows[:3]:
            if "title" in row:
                row["title"] = f"\x00{row['title']}"
        return rows

    sim.search_dashboards = with_nul  # type: ignore[method-assign]
    run = run_tap(tap_config(sim, page_size=10), catalog=selecting(discovered, "dashboard"))

    titles = [r["title"] for r in run.records["dashboard"]]
    assert titles
    assert not any("\x00" in (title or "") for title in titles)
    replaced = [title for title in titles if title and title.startswith("\ufffd")]
    assert replaced
    (warning,) = _nul_warnings(run)
    assert "stream dashboard" in warning
    assert f"in {len(replaced)} string value(s)" in warning


def test_a_clean_run_logs_no_nul_warning(make_simulator) -> None:
    run = run_tap(tap_config(make_simulator(rows=20, seed=6)))
    assert len(run.records["content_usage"]) == 20
    assert _nul_warnings(run) == []


# --- 403: the permission of the call that was refused --------------------------------------------


def _one_line_403(run: TapRun, call: str) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert CLIENT_SECRET not in run.stderr + run.stdout
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-looker-activity: error: "), last
    assert f"Looker API {call} answered 403 Forbidden" in last, last
    return last


@pytest.mark.parametrize(
    ("stream", "call", "named"),
    [
        # GET /user (the API user's own identity) is open to every active API user; the
        # history stream asks for it, to leave out the tap's own queries.
        ("history", "GET /api/4.0/user", ("disabled", "API keys")),
        ("dashboard", "GET /api/4.0/dashboards/search", ("see_user_dashboards", "access_data")),
    ],
)
def test_a_403_from_a_rest_call_names_what_that_call_needs(
    make_simulator, discovered, stream: str, call: str, named: tuple[str, ...]
) -> None:
    sim = make_simulator(rows=10, explores={stream: 20})
    sim.inject("403", count=1, match="other")  # the stream's only "other" call: `call`

    run = run_tap(tap_config(sim), catalog=selecting(discovered, stream), check=False)

    last = _one_line_403(run, call)
    assert "see_system_activity" not in last
    for words in named:
        assert words in last, last


def test_a_403_from_a_system_activity_query_still_names_see_system_activity(
    make_simulator,
) -> None:
    sim = make_simulator(rows=10, seed=1)
    sim.inject("403", count=1, match="query")

    run = run_tap(tap_config(sim), check=False)

    last = _one_line_403(run, "POST /api/4.0/queries/run/json")
    assert "see_system_activity" in last, last


def test_a_403_from_system_activity_metadata_names_see_system_activity(make_simulator) -> None:
    """Refused metadata is a warning (the bundled fields are used), naming the permission."""
    sim = make_simulator(rows=10, seed=1)
    sim.inject("403", count=1, match="explore")

    run = run_tap(tap_config(sim))

    call = "GET /api/4.0/lookml_models/system__activity/explores/content_usage"
    (warning,) = [line for line in run.stderr.splitlines() if "403 Forbidden" in line]
    assert f"{call} answered 403 Forbidden" in warning, warning
    assert "see_system_activity" in warning, warning
