from __future__ import annotations

from typing import Any

from simtest_helpers import DIMENSIONS, Api, make_sim

from looker_simulator import SimulatorClient

PATH = "/lookml_models/system__activity/explores/content_usage"

EXPECTED_TYPES = {
    "id": "number",
    "content_id": "string",
    "content_title": "string",
    "content_type": "string",
    "api_count": "number",
    "embed_count": "number",
    "public_count": "number",
    "schedule_count": "number",
    "other_count": "number",
    "favorite_count": "number",
    "days_since_last_accessed": "number",
    "days_since_last_access_tiers": "tier",
    "last_accessed_time": "date_time",
    "last_accessed_date": "date_date",
}


def test_explore_metadata_shape(api: Api) -> None:
    resp = api.get(PATH, params={"fields": "fields"})  # the fields param is accepted
    assert resp.status_code == 200
    ex = resp.json()
    assert ex["id"] == "system__activity::content_usage"
    assert ex["name"] == "content_usage"
    assert ex["model_name"] == "system__activity"
    assert ex["label"] == "Content Usage"
    assert set(ex["fields"]) == {"dimensions", "measures", "filters", "parameters"}
    dims = {d["name"]: d for d in ex["fields"]["dimensions"]}
    assert list(dims) == [f"content_usage.{n}" for n in DIMENSIONS]
    for name, looker_type in EXPECTED_TYPES.items():
        d = dims[f"content_usage.{name}"]
        assert d["type"] == looker_type
        assert d["category"] == "dimension"
        assert d["view"] == "content_usage"
        assert d["hidden"] is False
        assert d["primary_key"] is (name == "id")
        assert d["is_numeric"] is (looker_type == "number")
        assert d["label"] == f"Content Usage {d['label_short']}"
    assert dims["content_usage.last_accessed_time"]["dimension_group"] == "last_accessed"
    measures = {m["name"]: m for m in ex["fields"]["measures"]}
    assert {m["category"] for m in measures.values()} == {"measure"}
    assert measures["content_usage.api_total"]["type"] == "sum"
    assert measures["content_usage.count"]["type"] == "count"


def test_unknown_model_or_explore_is_404(api: Api) -> None:
    for path in (
        "/lookml_models/nope/explores/content_usage",
        "/lookml_models/system__activity/explores/nope",
    ):
        resp = api.get(path)
        assert resp.status_code == 404
        assert resp.json()["message"] == "Not found"


def test_model_listing(api: Api) -> None:
    model = api.get("/lookml_models/system__activity").json()
    assert [e["name"] for e in model["explores"]] == ["content_usage"]
    assert api.get("/lookml_models/nope").status_code == 404


def _dims(api: Api) -> dict[str, Any]:
    return {d["name"]: d for d in api.get(PATH).json()["fields"]["dimensions"]}


def test_schema_drift_add_and_remove_dimension() -> None:
    with make_sim(rows=50, seed=3) as sim:
        api = Api(sim.base_url)
        sim.add_dimension("is_lookml", "yesno", lambda row: "::" in row["content_id"])
        sim.add_dimension("owner", "string", default="admin")
        dims = _dims(api)
        assert dims["content_usage.is_lookml"]["type"] == "yesno"
        rows = api.rows(
            {"fields": ["content_usage.content_id", "content_usage.is_lookml"], "limit": "-1"}
        )
        for r in rows:
            expected = "Yes" if "::" in r["content_usage.content_id"] else "No"
            assert r["content_usage.is_lookml"] == expected
        assert sim.truth()[0]["owner"] == "admin"
        sim.advance(seconds=60, new_rows=3)
        assert sim.truth()[-1]["owner"] == "admin"  # new rows get added dimensions too

        sim.remove_dimension("favorite_count")
        assert "content_usage.favorite_count" not in _dims(api)
        resp = api.query({"fields": ["content_usage.favorite_count"]})
        assert resp.status_code == 422
        assert "favorite_count" not in sim.truth()[0]


def test_remove_explore_makes_it_404() -> None:
    with make_sim(rows=5) as sim:
        api = Api(sim.base_url)
        sim.remove_explore("content_usage")
        assert api.get(PATH).status_code == 404
        assert api.query({"fields": ["content_usage.id"]}).status_code == 404
    with make_sim(rows=5) as sim:
        SimulatorClient(sim.base_url).remove_explore("content_usage")
        assert Api(sim.base_url).get(PATH).status_code == 404
