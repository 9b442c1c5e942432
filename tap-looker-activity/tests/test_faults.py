"""Every transient Looker fault is survived with complete output."""

from __future__ import annotations

import pytest

from tests.conftest import CLIENT_SECRET, expected_by_id, tap_config
from tests.singer_run import run_tap

ROWS = 1_100
PAGE = 400


def _assert_complete(run, sim) -> None:
    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)
    assert len(run.ids()) == ROWS
    assert CLIENT_SECRET not in run.stderr


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("500", {}),
        ("503", {}),
        ("truncated", {}),
        ("malformed", {}),
    ],
)
def test_transient_query_faults_are_retried(make_simulator, kind, params) -> None:
    sim = make_simulator(rows=ROWS, seed=31)
    sim.inject(kind, count=2, match="query", **params)

    run = run_tap(tap_config(sim, page_size=PAGE))

    _assert_complete(run, sim)
    # Three pages, the first load's confirmation of its short last page, two failed attempts.
    assert sim.stats()["query"] == 3 + 1 + 2
    assert "retry 1/" in run.stderr


def test_rate_limit_honours_retry_after(make_simulator) -> None:
    sim = make_simulator(rows=ROWS, seed=32)
    sim.inject("429", count=1, match="query", retry_after=1)

    run = run_tap(tap_config(sim, page_size=PAGE, backoff_factor=0.01))

    _assert_complete(run, sim)
    assert "HTTP 429; retry 1/5 in 1.0s" in run.stderr


def test_slow_response_past_timeout_is_retried(make_simulator) -> None:
    sim = make_simulator(rows=ROWS, seed=33)
    sim.inject("slow", count=1, match="query", seconds=3)

    run = run_tap(tap_config(sim, page_size=PAGE, timeout=1))

    _assert_complete(run, sim)
    assert "timed out after 1s" in run.stderr


def test_login_faults_are_retried(make_simulator) -> None:
    sim = make_simulator(rows=ROWS, seed=34)
    sim.inject("503", count=2, match="login")

    run = run_tap(tap_config(sim, page_size=PAGE))

    _assert_complete(run, sim)


def test_token_expiring_mid_run_triggers_a_new_login(make_simulator) -> None:
    sim = make_simulator(rows=ROWS, seed=35)
    sim.inject("expire_token", count=1, match="query", after=2)

    run = run_tap(tap_config(sim, page_size=PAGE))

    _assert_complete(run, sim)
    assert sim.stats()["login"] == 2


def test_persistent_failure_fails_loudly(make_simulator) -> None:
    sim = make_simulator(rows=ROWS, seed=36)
    sim.inject("503", count=100, match="query")

    run = run_tap(tap_config(sim, page_size=PAGE, max_retries=2), check=False)

    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-looker-activity: error: ")
    assert "failed after 2 retries: HTTP 503" in last
    assert "Traceback" not in run.stderr
    assert not run.records.get("content_usage")
