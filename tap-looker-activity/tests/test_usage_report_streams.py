"""The streams behind the usage reports: the LookML field catalog (lookml_field), and what
each stream cost of Looker's API quota (sync_audit's query_calls and admin_calls).
Through the real tap executable, against the simulator.
"""

from __future__ import annotations

import typing as t

from tests.conftest import selecting, tap_config
from tests.singer_run import run_tap

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator


def _catalog_truth(sim: LookerSimulator) -> dict[tuple[str, str, str], t.Any]:
    """(model, explore, field) -> FieldDef of every served explore outside System Activity."""
    truth = {}
    for name in ("order_items",):
        explore = sim.explore(name)
        for f in explore.fields.values():
            truth[explore.model, explore.name, explore.full(f.name)] = f
    return truth


def test_lookml_field_reads_every_field_of_every_visible_explore(
    make_simulator, discovered
) -> None:
    sim = make_simulator(rows=10, explores=["order_items", "history"])
    run = run_tap(tap_config(sim), catalog=selecting(discovered, "lookml_field"))

    records = run.records["lookml_field"]
    by_key = {(r["model"], r["explore"], r["field"]): r for r in records}
    assert len(by_key) == len(records)
    truth = _catalog_truth(sim)
    # System Activity is Looker's internal model: all_lookml_models leaves it out.
    assert set(by_key) == set(truth)
    for key, field in truth.items():
        record = by_key[key]
        assert record["category"] == field.category
        assert record["hidden"] is field.hidden
        assert record["tags"] == (",".join(field.tags) if field.tags else None)
    assert by_key["thelook", "order_items", "order_items.inventory_item_id"]["hidden"] is True
    assert by_key["thelook", "order_items", "order_items.sale_price"]["tags"] == "revenue"
    (audit,) = [a for a in run.records["sync_audit"] if a["stream"] == "lookml_field"]
    assert {r["read_at"] for r in records} == {audit["run_started_at"]}
    # One model page, the empty page that proves its end, one metadata call per explore.
    assert audit["admin_calls"] == 2 + 1
    assert audit["query_calls"] == 0
    assert audit["records"] == len(records)


def test_the_audit_counts_each_stream_s_calls_by_quota_class(make_simulator, discovered) -> None:
    sim = make_simulator(rows=1_200, explores=["history"])
    run = run_tap(
        tap_config(sim, page_size=500),
        catalog=selecting(discovered, "content_usage", "history"),
    )

    audits = {a["stream"]: a for a in run.records["sync_audit"]}
    # Every page and Looker's count are query-based calls (run_inline_query).
    assert audits["content_usage"]["query_calls"] == audits["content_usage"]["looker_queries"]
    assert audits["content_usage"]["query_calls"] == 3 + 1
    # Administrative: the stream's metadata read; history also asks who the API user is.
    assert audits["content_usage"]["admin_calls"] == 1
    assert audits["history"]["admin_calls"] == 2
    # Together, what the simulator served (login is neither kind).
    served = sim.stats()
    assert sum(a["query_calls"] for a in audits.values()) == len(served["queries"])
