"""A 1,000,000-row instance builds in seconds and serves keyset pages fast."""

from __future__ import annotations

import os
import time

import pytest
from simtest_helpers import Api, f

from looker_simulator import LookerSimulator

pytestmark = pytest.mark.skipif(
    os.environ.get("LOOKER_SIMULATOR_SKIP_SCALE") == "1", reason="scale test disabled"
)


def test_one_million_rows_build_and_page_fast() -> None:
    start = time.perf_counter()
    sim = LookerSimulator(rows=1_000_000, seed=7)
    build = time.perf_counter() - start
    assert sim.row_count() == 1_000_000
    assert build < 15, build  # about 2 s on a laptop-class CPU
    with sim:
        api = Api(sim.base_url, "demo-client-id", "demo-client-secret")
        api.login()
        t, i = f("last_accessed_time"), f("id")
        lit = "date_time(2024, 1, 20, 10, 0, 0)"
        body = {
            "fields": [f(n) for n in ("id", "content_id", "other_count", "last_accessed_time")],
            "sorts": [t, i],
            "limit": "5000",
            "filter_expression": f"${{{t}}} > {lit} OR (${{{t}}} = {lit} AND ${{{i}}} > 366)",
        }
        api.rows(body)  # warm up
        start = time.perf_counter()
        rows = api.rows(body)
        latency = time.perf_counter() - start
        assert len(rows) == 5000
        assert rows[0][t] >= "2024-01-20 10:00:00"
        assert latency < 1.0, latency
