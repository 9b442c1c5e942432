"""Static checks of the Looker project in `looker/` (LookML over the dbt marts).

Pure functions over the parsed files, no Looker and no warehouse needed:

- `.lkml` files (model, views, manifest) are parsed with `lkml.load`;
- `.dashboard.lookml` files are YAML (LookML dashboards): `lkml` does not parse them, so they
  are read with `yaml.safe_load` (a list with one `- dashboard:` document).

Every function takes a `LookerProject` (from `load_project`) or the project's directory.
`column_references` is what a warehouse check compares with the real tables: every
`${TABLE}.column` the views' SQL names, per table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import lkml
import yaml

# `${TABLE}.column` (the view's table), `${field}` / `${view.field}` (other fields), `@{constant}`.
TABLE_COLUMN = re.compile(r"\$\{TABLE\}\.([A-Za-z_][A-Za-z0-9_]*)")
TABLE_ANY = re.compile(r"\$\{TABLE\}")
FIELD_REFERENCE = re.compile(r"\$\{([^}]*)\}")
CONSTANT_REFERENCE = re.compile(r"@\{([^}]*)\}")
# `sql_table_name: `@{analytics_dataset}.content_usage_daily` ;;`
TABLE_NAME = re.compile(r"^`?(?:@\{(?P<constant>\w+)\}\.)?(?:[\w-]+\.)*?(?P<table>\w+)`?$")

# Looker's timeframes when a time dimension_group lists none (the common ones; every group in
# this project lists its own), and its intervals when a duration group lists none.
DEFAULT_TIMEFRAMES = ("raw", "time", "date", "week", "month", "quarter", "year")
DEFAULT_INTERVALS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


class LookmlParseError(ValueError):
    """A LookML or LookML dashboard file that does not parse; the message names the file."""


@dataclass(frozen=True)
class LookerProject:
    """The parsed files of a LookML project directory."""

    root: Path
    lkml_files: dict[Path, dict[str, Any]]
    dashboard_files: dict[Path, list[dict[str, Any]]]


ProjectLike = LookerProject | Path


class FieldReference(NamedTuple):
    """A field a dashboard names, with the explore it is resolved in."""

    dashboard: str
    element: str  # element name, or `filter:<name>` for a dashboard filter
    model: str | None
    explore: str | None
    field: str  # view.field


# ---------------------------------------------------------------------------- loading


def parse_lkml_file(path: Path) -> dict[str, Any]:
    """`lkml.load` of one file; a parse failure raises LookmlParseError naming the file."""
    try:
        parsed = lkml.load(path.read_text(encoding="utf-8"))
    except Exception as error:
        raise LookmlParseError(f"{path}: not valid LookML: {error}") from error
    if not isinstance(parsed, dict):
        raise LookmlParseError(f"{path}: not valid LookML: parsed to {type(parsed).__name__}")
    return parsed


def parse_dashboard_file(path: Path) -> list[dict[str, Any]]:
    """A LookML dashboard file (YAML): its list of dashboards, each a dict with `dashboard`."""
    try:
        parsed: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LookmlParseError(f"{path}: not valid LookML dashboard YAML: {error}") from error
    if not isinstance(parsed, list) or not all(
        isinstance(item, dict) and isinstance(item.get("dashboard"), str) for item in parsed
    ):
        raise LookmlParseError(
            f"{path}: a LookML dashboard file must be a list of `- dashboard: name` documents"
        )
    dashboards: list[dict[str, Any]] = parsed
    return dashboards


def load_project(root: Path) -> LookerProject:
    """Parse every `.lkml` and `.lookml` file under `root`."""
    if not root.is_dir():
        raise LookmlParseError(f"{root}: no such LookML project directory")
    lkml_files: dict[Path, dict[str, Any]] = {}
    dashboard_files: dict[Path, list[dict[str, Any]]] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if path.name.endswith(".lkml"):
            lkml_files[path] = parse_lkml_file(path)
        elif path.name.endswith(".lookml"):
            dashboard_files[path] = parse_dashboard_file(path)
    return LookerProject(root=root, lkml_files=lkml_files, dashboard_files=dashboard_files)


def _project(project: ProjectLike) -> LookerProject:
    return project if isinstance(project, LookerProject) else load_project(project)


# ---------------------------------------------------------------------------- LookML objects


def _items(parsed: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = parsed.get(key, [])
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def views(project: ProjectLike) -> dict[str, dict[str, Any]]:
    """Every view, by name."""
    found: dict[str, dict[str, Any]] = {}
    for parsed in _project(project).lkml_files.values():
        for view in _items(parsed, "views"):
            found[str(view["name"])] = view
    return found


def models(project: ProjectLike) -> dict[str, dict[str, Any]]:
    """Every model file's parse, by model name (the file name before `.model.lkml`)."""
    return {
        path.name.removesuffix(".model.lkml"): parsed
        for path, parsed in _project(project).lkml_files.items()
        if path.name.endswith(".model.lkml")
    }


def explores(project: ProjectLike) -> dict[str, dict[str, Any]]:
    """Every explore of every model, by `model/explore`."""
    found: dict[str, dict[str, Any]] = {}
    for model, parsed in models(project).items():
        for explore in _items(parsed, "explores"):
            found[f"{model}/{explore['name']}"] = explore
    return found


def constants(project: ProjectLike) -> dict[str, str]:
    """The manifest's constants: name -> value."""
    found: dict[str, str] = {}
    for path, parsed in _project(project).lkml_files.items():
        if path.name == "manifest.lkml":
            for constant in _items(parsed, "constants"):
                found[str(constant["name"])] = str(constant.get("value", ""))
    return found


def view_tables(project: ProjectLike) -> dict[str, str]:
    """view name -> the table its `sql_table_name` reads, without the dataset or constant.

    `` `@{analytics_dataset}.content_usage_daily` `` gives `content_usage_daily`. Views
    without a `sql_table_name` (derived tables) are left out.
    """
    tables: dict[str, str] = {}
    for name, view in views(project).items():
        raw = view.get("sql_table_name")
        if raw is None:
            continue
        match = TABLE_NAME.match(str(raw).strip())
        tables[name] = match.group("table") if match else str(raw).strip()
    return tables


def view_table_constants(project: ProjectLike) -> dict[str, str | None]:
    """view name -> the constant its `sql_table_name` starts with (`analytics_dataset`), or None."""
    found: dict[str, str | None] = {}
    for name, view in views(project).items():
        raw = view.get("sql_table_name")
        if raw is not None:
            match = TABLE_NAME.match(str(raw).strip())
            found[name] = match.group("constant") if match else None
    return found


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) in a parsed LookML object, recursively."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for child_key, child in value.items():
            yield from _strings(child, str(child_key))
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child, key)


def _view_fields_defs(view: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in ("dimensions", "dimension_groups", "measures", "filters", "parameters"):
        for item in _items(view, key):
            yield key, item


def column_references(project: ProjectLike) -> dict[str, set[str]]:
    """table name -> every column its views' SQL names as `${TABLE}.column`."""
    tables = view_tables(project)
    references: dict[str, set[str]] = {}
    for name, view in views(project).items():
        table = tables.get(name, name)
        columns = references.setdefault(table, set())
        for _key, text in _strings(view):
            columns.update(TABLE_COLUMN.findall(text))
    return references


def bare_table_references(project: ProjectLike) -> list[str]:
    """`${TABLE}` not followed by `.column` (so not checkable): one message per use."""
    problems: list[str] = []
    for name, view in views(project).items():
        for key, text in _strings(view):
            bare = len(TABLE_ANY.findall(text)) - len(TABLE_COLUMN.findall(text))
            if bare:
                problems.append(f"view {name}: {key}: ${{TABLE}} without .column in {text!r}")
    return problems


def _group_fields(group: dict[str, Any]) -> set[str]:
    name = str(group["name"])
    if group.get("type") == "duration":
        intervals = group.get("intervals") or DEFAULT_INTERVALS
        return {f"{interval}s_{name}" for interval in intervals}
    timeframes = group.get("timeframes") or DEFAULT_TIMEFRAMES
    return {f"{name}_{timeframe}" for timeframe in timeframes}


def view_fields(project: ProjectLike) -> dict[str, set[str]]:
    """view name -> its field names: dimensions, measures, filters, parameters, and each
    dimension_group's fields (`created` with timeframes [raw, date] gives created_raw and
    created_date)."""
    found: dict[str, set[str]] = {}
    for name, view in views(project).items():
        fields: set[str] = set()
        for key, item in _view_fields_defs(view):
            if key == "dimension_groups":
                fields |= _group_fields(item)
            else:
                fields.add(str(item["name"]))
        found[name] = fields
    return found


def duplicate_field_names(project: ProjectLike) -> list[str]:
    """Field names defined twice in a view (a group's timeframes included)."""
    problems: list[str] = []
    for name, view in views(project).items():
        seen: set[str] = set()
        for key, item in _view_fields_defs(view):
            names = _group_fields(item) if key == "dimension_groups" else {str(item["name"])}
            for field in sorted(names & seen):
                problems.append(f"view {name}: field {field} defined twice")
            seen |= names
    return problems


def dimension_columns(project: ProjectLike) -> dict[str, dict[str, dict[str, Any]]]:
    """view name -> column -> the dimension or dimension_group whose sql is `${TABLE}.column`."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name, view in views(project).items():
        columns: dict[str, dict[str, Any]] = {}
        for key, item in _view_fields_defs(view):
            if key not in ("dimensions", "dimension_groups"):
                continue
            match = re.fullmatch(r"\s*\$\{TABLE\}\.(\w+)\s*", str(item.get("sql", "")))
            if match:
                columns[match.group(1)] = item
        found[name] = columns
    return found


def primary_key_columns(project: ProjectLike) -> dict[str, list[str]]:
    """view name -> the columns of its `primary_key: yes` dimensions."""
    found: dict[str, list[str]] = {}
    for name, view in views(project).items():
        keys: list[str] = []
        for item in _items(view, "dimensions"):
            if item.get("primary_key") == "yes":
                keys += TABLE_COLUMN.findall(str(item.get("sql", ""))) or [str(item["name"])]
        found[name] = keys
    return found


def explore_views(project: ProjectLike) -> dict[str, dict[str, str]]:
    """`model/explore` -> {name its fields go by: view}: the base view (`from:` or
    `view_name:` or the explore's name) and every join (its name, the view `from:` or the
    join's name)."""
    found: dict[str, dict[str, str]] = {}
    for key, explore in explores(project).items():
        name = str(explore["name"])
        base = str(explore.get("from") or explore.get("view_name") or name)
        reachable = {name: base}
        for join in _items(explore, "joins"):
            reachable[str(join["name"])] = str(join.get("from") or join["name"])
        found[key] = reachable
    return found


def _field_exists(reference: str, reachable: dict[str, str], fields: dict[str, set[str]]) -> bool:
    view_name, _, field = reference.partition(".")
    view = reachable.get(view_name)
    return bool(field) and view is not None and field in fields.get(view, set())


def _check_view_reference(
    view: str,
    where: str,
    reference: str,
    sets: set[str],
    fields: dict[str, set[str]],
) -> list[str]:
    if reference.endswith("*"):
        found = reference.removesuffix("*") in sets
        return [] if found else [f"view {view}: {where}: no set {reference}"]
    qualified = reference if "." in reference else f"{view}.{reference}"
    reachable = {name: name for name in fields}
    if _field_exists(qualified, reachable, fields):
        return []
    return [f"view {view}: {where}: no field {reference}"]


def view_reference_problems(project: ProjectLike) -> list[str]:
    """Unresolvable `${field}`/`${view.field}` in views' SQL, unknown fields in drill_fields,
    sets and measure filters, unknown `@{constants}`."""
    project = _project(project)
    fields = view_fields(project)
    known_constants = constants(project)
    problems: list[str] = []
    for name, view in views(project).items():
        sets = {str(item["name"]): item for item in _items(view, "sets")}
        checks: list[tuple[str, str]] = []  # (where, reference)
        for key, text in _strings(view):
            for reference in FIELD_REFERENCE.findall(text):
                if reference != "TABLE":
                    checks.append((f"{key} ${{{reference}}}", reference.strip()))
            for constant in CONSTANT_REFERENCE.findall(text):
                if constant not in known_constants:
                    problems.append(f"view {name}: {key}: no constant @{{{constant}}}")
        for kind, item in _view_fields_defs(view):
            where = f"{kind} {item['name']}"
            for reference in item.get("drill_fields") or []:
                checks.append((f"{where} drill_fields", str(reference)))
            for group in item.get("filters__all") or []:
                for condition in group:
                    checks += [(f"{where} filters", str(reference)) for reference in condition]
        for item in sets.values():
            for reference in item.get("fields") or []:
                checks.append((f"set {item['name']}", str(reference)))
        for where, reference in checks:
            problems += _check_view_reference(name, where, reference, set(sets), fields)
    return problems


def explore_problems(project: ProjectLike) -> list[str]:
    """Explores whose base view or joined views do not exist, or whose `sql_on` names a
    field no view of the explore has."""
    project = _project(project)
    fields = view_fields(project)
    problems: list[str] = []
    for key, explore in explores(project).items():
        reachable = explore_views(project)[key]
        for alias, view in reachable.items():
            if view not in fields:
                problems.append(f"explore {key}: {alias} reads view {view}, which does not exist")
        for join in _items(explore, "joins"):
            for reference in FIELD_REFERENCE.findall(str(join.get("sql_on", ""))):
                if not _field_exists(reference.strip(), reachable, fields):
                    problems.append(f"explore {key}: join {join['name']}: no field {reference}")
    return problems


# ---------------------------------------------------------------------------- dashboards


def dashboards(project: ProjectLike) -> dict[str, dict[str, Any]]:
    """Every LookML dashboard, by name."""
    found: dict[str, dict[str, Any]] = {}
    for documents in _project(project).dashboard_files.values():
        for dashboard in documents:
            found[str(dashboard["dashboard"])] = dashboard
    return found


def _dict_list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _sort_field(sort: str) -> str:
    # `view.field desc`, `view.field desc 0` (a pivoted measure): the field comes first.
    return sort.split()[0] if sort.split() else sort


def _element_fields(element: dict[str, Any]) -> Iterator[str]:
    for key in ("fields", "pivots", "hidden_fields"):
        for field in element.get(key) or []:
            yield str(field)
    for sort in element.get("sorts") or []:
        yield _sort_field(str(sort))
    filters = element.get("filters") or {}
    if isinstance(filters, dict):
        yield from (str(field) for field in filters)
    listen = element.get("listen") or {}
    if isinstance(listen, dict):
        yield from (str(field) for field in listen.values())


def dashboard_references(project: ProjectLike) -> list[FieldReference]:
    """Every field a dashboard names, with the model and explore it must resolve in: each
    element's fields, pivots, hidden_fields, sorts, filters (keys) and listen (values), and
    each dashboard filter's `field:`."""
    references: list[FieldReference] = []
    for name, dashboard in dashboards(project).items():
        for dashboard_filter in _dict_list(dashboard.get("filters")):
            if dashboard_filter.get("field"):
                references.append(
                    FieldReference(
                        name,
                        f"filter:{dashboard_filter.get('name')}",
                        dashboard_filter.get("model"),
                        dashboard_filter.get("explore"),
                        str(dashboard_filter["field"]),
                    )
                )
        for element in _dict_list(dashboard.get("elements")):
            for field in _element_fields(element):
                references.append(
                    FieldReference(
                        name,
                        str(element.get("name")),
                        element.get("model"),
                        element.get("explore"),
                        field,
                    )
                )
    return references


def dashboard_field_references(project: ProjectLike) -> list[tuple[str, str, str]]:
    """(dashboard, element or `filter:<name>`, "view.field") for every field a dashboard names."""
    return [(ref.dashboard, ref.element, ref.field) for ref in dashboard_references(project)]


def dashboard_problems(project: ProjectLike) -> list[str]:
    """Dashboard elements and filters whose model or explore does not exist, fields no view of
    the explore has, and `listen`/`listens_to_filters` naming no dashboard filter."""
    project = _project(project)
    reachable = explore_views(project)
    fields = view_fields(project)
    problems: list[str] = []
    for ref in dashboard_references(project):
        where = f"dashboard {ref.dashboard}, {ref.element}"
        key = f"{ref.model}/{ref.explore}"
        if key not in reachable:
            problems.append(f"{where}: no explore {ref.explore} in model {ref.model}")
        elif not _field_exists(ref.field, reachable[key], fields):
            problems.append(f"{where}: explore {key} reaches no field {ref.field}")
    for name, dashboard in dashboards(project).items():
        filter_names = {str(item.get("name")) for item in _dict_list(dashboard.get("filters"))}
        for element in _dict_list(dashboard.get("elements")):
            if element.get("type") != "text" and not element.get("explore"):
                problems.append(f"dashboard {name}, {element.get('name')}: no explore")
            listen = element.get("listen") or {}
            for filter_name in listen if isinstance(listen, dict) else []:
                if str(filter_name) not in filter_names:
                    problems.append(
                        f"dashboard {name}, {element.get('name')}: listens to no filter "
                        f"{filter_name}"
                    )
        for dashboard_filter in _dict_list(dashboard.get("filters")):
            for filter_name in dashboard_filter.get("listens_to_filters") or []:
                if str(filter_name) not in filter_names:
                    problems.append(
                        f"dashboard {name}, filter:{dashboard_filter.get('name')}: listens to "
                        f"no filter {filter_name}"
                    )
    return problems


# ---------------------------------------------------------------------------- the dbt side


def _whitespace(text: str | None) -> str:
    return " ".join((text or "").split())


def _mart_models(marts_yml: Path) -> list[dict[str, Any]]:
    parsed: Any = yaml.safe_load(marts_yml.read_text(encoding="utf-8"))
    return _dict_list(parsed.get("models") if isinstance(parsed, dict) else None)


def mart_columns(marts_yml: Path) -> dict[str, set[str]]:
    """model -> the columns marts.yml declares for it."""
    return {
        str(model["name"]): {str(column["name"]) for column in _dict_list(model.get("columns"))}
        for model in _mart_models(marts_yml)
    }


def mart_column_descriptions(marts_yml: Path) -> dict[str, dict[str, str]]:
    """model -> column -> its marts.yml description (whitespace collapsed), where it has one."""
    return {
        str(model["name"]): {
            str(column["name"]): _whitespace(column["description"])
            for column in _dict_list(model.get("columns"))
            if column.get("description")
        }
        for model in _mart_models(marts_yml)
    }


def mart_unique_columns(marts_yml: Path) -> dict[str, set[str]]:
    """model -> its columns with a `unique` data test (the grain key)."""
    found: dict[str, set[str]] = {}
    for model in _mart_models(marts_yml):
        columns = found.setdefault(str(model["name"]), set())
        for column in _dict_list(model.get("columns")):
            tests = column.get("data_tests") or column.get("tests") or []
            if "unique" in tests:
                columns.add(str(column["name"]))
    return found


def readme_model_columns(readme: Path) -> dict[str, list[str]]:
    """model -> the columns the README's model table lists (the table whose header starts
    `| model |` and ends `| columns |`)."""
    found: dict[str, list[str]] = {}
    in_table = False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "model" and cells[-1] == "columns":
            in_table = True
            continue
        model = re.match(r"`(\w+)`", cells[0])
        if in_table and model:
            found[model.group(1)] = re.findall(r"`(\w+)`", cells[-1])
    return found


def undeclared_column_references(project: ProjectLike, declared: dict[str, set[str]]) -> list[str]:
    """`${TABLE}.column` of a table that `declared` (table -> columns) does not have."""
    problems: list[str] = []
    for table, columns in sorted(column_references(project).items()):
        if table not in declared:
            problems.append(f"table {table}: not a declared model")
            continue
        for column in sorted(columns - declared[table]):
            problems.append(f"table {table}: no column {column}")
    return problems
