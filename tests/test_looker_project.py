"""Static checks of the LookML project in looker/ against the dbt marts (no Looker, no network).

The views must read dbt marts and name only their columns (marts.yml, and the README's model
table for columns marts.yml does not list); the dashboards must name only explores of the
model and fields those explores reach. The last tests break a copy of the project and show
that the checks report it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests import lookml_checks as checks

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOKER_DIR = REPO_ROOT / "looker"
MARTS_DIR = REPO_ROOT / "transform" / "models" / "marts"
MARTS_YML = MARTS_DIR / "marts.yml"
README = REPO_ROOT / "README.md"
MODEL = "looker_activity"

# One dashboard per question: dashboard name -> the mart (explore) it is about.
QUESTION_DASHBOARDS = {
    "content_usage": "content_usage_daily",  # usage over time and top content
    "stale_content": "stale_content",  # what to clean up
    "unused_fields": "unused_fields",  # unused fields per explore
    "slow_content": "slow_content",  # slow dashboards and explores
    "inactive_users": "inactive_users",  # idle licences
    "api_quota": "api_quota_monthly",  # the API quota
}


@pytest.fixture(scope="module")
def project() -> checks.LookerProject:
    return checks.load_project(LOOKER_DIR)


@pytest.fixture(scope="module")
def declared() -> dict[str, set[str]]:
    """mart -> its columns: marts.yml's, plus the README model table's."""
    columns = checks.mart_columns(MARTS_YML)
    for model, listed in checks.readme_model_columns(README).items():
        columns.setdefault(model, set()).update(listed)
    return columns


def _lookml_string(value: object) -> str:
    # lkml keeps a string's escapes (\" stays \")
    return " ".join(str(value).replace('\\"', '"').replace("\\\\", "\\").split())


def test_every_file_parses(project: checks.LookerProject) -> None:
    names = {path.relative_to(LOOKER_DIR).as_posix() for path in project.lkml_files}
    assert {"manifest.lkml", f"{MODEL}.model.lkml"} <= names
    assert all(
        name.startswith("views/") for name in names - {"manifest.lkml", f"{MODEL}.model.lkml"}
    )
    assert len(project.dashboard_files) >= len(QUESTION_DASHBOARDS)
    for path, documents in project.dashboard_files.items():
        assert path.name.endswith(".dashboard.lookml"), path
        assert [d["dashboard"] for d in documents] == [path.name.removesuffix(".dashboard.lookml")]


def test_manifest_constant_and_model(project: checks.LookerProject) -> None:
    manifest = project.lkml_files[LOOKER_DIR / "manifest.lkml"]
    [constant] = [c for c in manifest["constants"] if c["name"] == "analytics_dataset"]
    assert constant["value"] == "looker_activity_analytics"
    assert constant["export"] == "override_optional"
    model = checks.models(project)[MODEL]
    assert model["connection"] == "looker_activity_bigquery"
    assert set(model["includes"]) == {"/views/*.view.lkml", "/dashboards/*.dashboard.lookml"}


def test_views_read_dbt_marts_through_the_constant(project: checks.LookerProject) -> None:
    tables = checks.view_tables(project)
    assert tables, "no view has a sql_table_name"
    for view, table in tables.items():
        assert view == table, f"view {view} reads {table}"
        assert (MARTS_DIR / f"{table}.sql").is_file(), f"view {view}: {table} is not a dbt mart"
        raw = checks.views(project)[view]["sql_table_name"]
        assert raw == f"`@{{analytics_dataset}}.{table}`", f"view {view}: {raw}"


def test_every_mart_has_a_view_and_explore(
    project: checks.LookerProject, declared: dict[str, set[str]]
) -> None:
    marts = set(checks.mart_columns(MARTS_YML))
    assert marts - set(checks.view_tables(project).values()) == set()
    explores = {key.partition("/")[2] for key in checks.explore_views(project)}
    assert marts - explores == set()
    assert set(declared) - marts == set(), "README lists a model marts.yml does not"


def test_column_references_are_declared_mart_columns(
    project: checks.LookerProject, declared: dict[str, set[str]]
) -> None:
    assert checks.bare_table_references(project) == []
    assert checks.undeclared_column_references(project, declared) == []


def test_readme_only_columns_are_in_the_mart_sql(declared: dict[str, set[str]]) -> None:
    """The columns taken from the README (not in marts.yml) are output by the model's SQL."""
    in_yml = checks.mart_columns(MARTS_YML)
    for mart, columns in declared.items():
        sql = (MARTS_DIR / f"{mart}.sql").read_text(encoding="utf-8")
        for column in sorted(columns - in_yml.get(mart, set())):
            assert re.search(rf"\b{column}\b", sql), f"{mart}.sql never names {column}"


def test_every_mart_column_is_a_dimension(
    project: checks.LookerProject, declared: dict[str, set[str]]
) -> None:
    tables = checks.view_tables(project)
    dimensions = checks.dimension_columns(project)
    for view, table in tables.items():
        missing = declared[table] - set(dimensions[view])
        assert missing == set(), f"view {view}: no dimension for {sorted(missing)}"


def test_dimension_types_and_descriptions(project: checks.LookerProject) -> None:
    descriptions = checks.mart_column_descriptions(MARTS_YML)
    tables = checks.view_tables(project)
    for view, columns in checks.dimension_columns(project).items():
        for column, field in columns.items():
            where = f"{view}.{field['name']} ({column})"
            if "timeframes" in field:
                assert field["type"] == "time", where
                assert field.get("datatype") in ("date", "timestamp"), where
                if field["datatype"] == "date":
                    assert field.get("convert_tz") == "no", where
                    assert "time" not in field["timeframes"], where
                # *_at columns are timestamps, *_date / *_month / week_start dates
                if column.endswith("_at"):
                    assert field["datatype"] == "timestamp", where
                if column.endswith(("_date", "_month")) or column == "week_start":
                    assert field["datatype"] == "date", where
            else:
                assert field.get("type") in ("string", "number", "yesno"), where
                if column.startswith(("is_", "never_")):
                    assert field["type"] == "yesno", where
            expected = descriptions.get(tables[view], {}).get(column)
            if expected:
                assert _lookml_string(field.get("description")) == expected, where


def test_primary_keys_are_the_marts_grain(project: checks.LookerProject) -> None:
    unique = checks.mart_unique_columns(MARTS_YML)
    tables = checks.view_tables(project)
    for view, keys in checks.primary_key_columns(project).items():
        assert len(keys) == 1, f"view {view}: primary keys {keys}"
        assert keys[0] in unique[tables[view]], f"view {view}: {keys[0]} is not unique-tested"


def test_views_and_explores_resolve(project: checks.LookerProject) -> None:
    assert checks.duplicate_field_names(project) == []
    assert checks.view_reference_problems(project) == []
    assert checks.explore_problems(project) == []
    for view, definition in checks.views(project).items():
        assert definition.get("measures"), f"view {view}: no measure"


def test_dashboards_resolve(project: checks.LookerProject) -> None:
    assert checks.dashboard_problems(project) == []
    references = checks.dashboard_field_references(project)
    assert len(references) > 100
    for dashboard in checks.dashboards(project).values():
        assert dashboard["layout"] == "newspaper", dashboard["dashboard"]
        for element in dashboard["elements"]:
            where = f"{dashboard['dashboard']}.{element['name']}"
            assert element["model"] == MODEL, where
            assert element["type"] in (
                "looker_line",
                "looker_bar",
                "looker_column",
                "looker_grid",
                "single_value",
            ), where
            assert element["fields"], where
            assert element["col"] + element["width"] <= 24, where


def test_a_dashboard_per_question(project: checks.LookerProject) -> None:
    found = checks.dashboards(project)
    for name, explore in QUESTION_DASHBOARDS.items():
        assert name in found, f"no dashboard {name}"
        explores = {element["explore"] for element in found[name]["elements"]}
        assert explore in explores, f"dashboard {name} shows nothing of {explore}"
        assert found[name].get("filters"), f"dashboard {name} has no filter"


# ---------------------------------------------------------------- the checks can fail


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "looker"
    shutil.copytree(LOOKER_DIR, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_misspelt_column_is_reported(broken_copy: Path, declared: dict[str, set[str]]) -> None:
    _edit(
        broken_copy / "views" / "stale_content.view.lkml",
        "${TABLE}.days_idle ;;",
        "${TABLE}.days_idel ;;",
    )
    assert "days_idel" in checks.column_references(broken_copy)["stale_content"]
    assert checks.undeclared_column_references(broken_copy, declared) == [
        "table stale_content: no column days_idel"
    ]


def test_a_bare_table_reference_is_reported(broken_copy: Path) -> None:
    _edit(
        broken_copy / "views" / "slow_content.view.lkml",
        "sql: ${TABLE}.runs ;;",
        "sql: (SELECT COUNT(*) FROM ${TABLE}) ;;",
    )
    [problem] = checks.bare_table_references(broken_copy)
    assert problem.startswith("view slow_content: sql: ${TABLE} without .column")


def test_dashboard_fields_outside_the_explore_are_reported(broken_copy: Path) -> None:
    dashboards = broken_copy / "dashboards"
    # a field the view does not have
    _edit(
        dashboards / "inactive_users.dashboard.lookml",
        "fields: [inactive_users.count]",
        "fields: [inactive_users.cnt]",
    )
    # a view the explore does not join (the explore of api_quota_monthly joins nothing)
    _edit(
        dashboards / "api_quota.dashboard.lookml",
        "sorts: [api_quota_monthly.usage_month desc, api_quota_monthly.quota_class]",
        "sorts: [inactive_users.days_idle desc, api_quota_monthly.quota_class]",
    )
    # an explore the model does not have, and a listen naming no dashboard filter
    _edit(
        dashboards / "slow_content.dashboard.lookml",
        "explore: slow_content\n    type: looker_line",
        "explore: slow_contents\n    type: looker_line",
    )
    _edit(
        dashboards / "unused_fields.dashboard.lookml",
        "      model: unused_fields.model\n",
        "      modell: unused_fields.model\n",
    )
    problems = checks.dashboard_problems(broken_copy)
    assert any(
        "dashboard inactive_users, idle_licences" in p and "no field inactive_users.cnt" in p
        for p in problems
    ), problems
    assert any(
        "dashboard api_quota, calls_per_month" in p and "no field inactive_users.days_idle" in p
        for p in problems
    ), problems
    assert any(
        "dashboard slow_content, p90_per_week: no explore slow_contents" in p for p in problems
    ), problems
    assert any("unused_count: listens to no filter modell" in p for p in problems), problems
    # the join alias idle_owner resolves in stale_content, not in the other explores
    refs = checks.dashboard_references(broken_copy)
    assert any(r.field == "idle_owner.is_idle_licence" for r in refs)


def test_view_and_join_references_are_reported(broken_copy: Path) -> None:
    _edit(
        broken_copy / "views" / "user_activity_daily.view.lkml",
        "sql: ${queries} ;;",
        "sql: ${querys} ;;",
    )
    _edit(
        broken_copy / f"{MODEL}.model.lkml",
        "${stale_content.owner_user_id} = ${idle_owner.user_id}",
        "${stale_content.owner_id} = ${idle_owner.user_id}",
    )
    assert any("no field querys" in p for p in checks.view_reference_problems(broken_copy))
    assert checks.explore_problems(broken_copy) == [
        f"explore {MODEL}/stale_content: join idle_owner: no field stale_content.owner_id"
    ]


def test_a_parse_failure_names_the_file(broken_copy: Path) -> None:
    view = broken_copy / "views" / "extraction_audit.view.lkml"
    _edit(view, "view: extraction_audit {", "view: extraction_audit {{")
    with pytest.raises(checks.LookmlParseError, match=re.escape(str(view))):
        checks.load_project(broken_copy)
    dashboard = broken_copy / "dashboards" / "api_quota.dashboard.lookml"
    view.unlink()
    dashboard.write_text("- dashboard: api_quota\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(checks.LookmlParseError, match=re.escape(str(dashboard))):
        checks.load_project(broken_copy)
