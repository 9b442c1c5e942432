"""Latency model: per-query delay plus per-row cost, concurrent queries overlap."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from simtest_helpers import Api, f, make_sim


def test_query_and_row_delay_add_up_and_are_configurable() -> None:
    with make_sim(rows=500, seed=1, query_delay=0.2) as sim:
        api = Api(sim.base_url)
        api.login()
        start = time.perf_counter()
        assert len(api.rows({"fields": [f("id")], "limit": "10"})) == 10
        assert 0.2 <= time.perf_counter() - start < 1.0
        sim.configure(query_delay=0, row_delay=0.001)
        start = time.perf_counter()
        assert len(api.rows({"fields": [f("id")], "limit": "400"})) == 400
        assert 0.4 <= time.perf_counter() - start < 1.5
        # Only queries are slowed down: metadata calls are not.
        sim.configure(query_delay=5)
        start = time.perf_counter()
        assert api.get("/lookml_models/system__activity/explores/content_usage").ok
        assert time.perf_counter() - start < 1.0
        assert sim.health()["settings"]["query_delay"] == 5.0


def test_concurrent_queries_overlap() -> None:
    with make_sim(rows=500, seed=1, query_delay=0.5) as sim:
        api = Api(sim.base_url)
        api.login()

        def one(i: int) -> int:
            session = Api(sim.base_url)
            session.token = api.token
            return len(session.rows({"fields": [f("id")], "limit": str(i + 1)}))

        start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            assert sorted(pool.map(one, range(4))) == [1, 2, 3, 4]
        elapsed = time.perf_counter() - start
        assert 0.5 <= elapsed < 1.5, elapsed  # serially it would take 2 s


def test_negative_delay_is_rejected() -> None:
    with pytest.raises(ValueError, match="query_delay"):
        make_sim(rows=10, query_delay=-1)


def test_cli_rejects_a_bad_delay_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "looker_simulator", "--row-delay", "-0.5", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "row_delay must be >= 0" in proc.stderr
    assert "Traceback" not in proc.stderr
