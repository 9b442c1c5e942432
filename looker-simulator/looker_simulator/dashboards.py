"""GET /api/4.0/dashboards/search (looker-sdk `search_dashboards`) over Dashboard records."""

from __future__ import annotations

import re
from typing import Any

from .errors import LookerApiError

# Exact-match filters of the endpoint (strings, as the API compares them).
_EXACT = ("id", "user_id", "folder_id", "slug")
_SORTABLE = frozenset(
    {"id", "title", "user_id", "created_at", "updated_at", "folder_id", "deleted_at", "slug"}
)


def _int(params: dict[str, str], name: str, default: int | None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError as exc:
        raise LookerApiError(400, f"Invalid {name} {raw!r}") from exc
    if value < 0:
        raise LookerApiError(400, f"Invalid {name} {raw!r}")
    return value


def _bool(params: dict[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    text = str(raw).strip().lower()
    if text not in {"true", "false"}:
        raise LookerApiError(400, f"Invalid {name} {raw!r} (true or false)")
    return text == "true"


def _like(pattern: str) -> re.Pattern[str]:
    """Looker search strings: case-insensitive, % and _ wildcards."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _sort_key(field: str) -> Any:
    if field in {"id", "user_id", "folder_id"}:
        return lambda r: (r[field] is not None, int(r[field]) if r[field] is not None else 0)
    return lambda r: (r[field] is not None, str(r[field] or "").lower())


def search(records: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    """Filter, sort, page and project Dashboard records as Looker's search does.

    `deleted` absent means live dashboards only (true: only soft-deleted ones). `sorts` is a
    comma list of fields, each optionally followed by `desc`; default id order. `fields`
    is a comma list of keys to return.
    """
    deleted = _bool(params, "deleted")
    rows = [r for r in records if r["deleted"] == bool(deleted)]
    for name in _EXACT:
        if params.get(name) not in (None, ""):
            wanted = {v.strip() for v in str(params[name]).split(",")}
            rows = [r for r in rows if r[name] in wanted]
    if params.get("title"):
        title = _like(str(params["title"]))
        rows = [r for r in rows if r["title"] is not None and title.fullmatch(r["title"])]
    rows.sort(key=_sort_key("id"))
    for item in reversed([s.strip() for s in str(params.get("sorts") or "").split(",") if s]):
        name, _, direction = item.partition(" ")
        if name not in _SORTABLE or direction.strip().lower() not in {"", "asc", "desc"}:
            raise LookerApiError(400, f"Invalid sort {item!r}")
        rows.sort(key=_sort_key(name), reverse=direction.strip().lower() == "desc")
    offset = _int(params, "offset", 0) or 0
    limit = _int(params, "limit", None)
    rows = rows[offset:] if limit is None else rows[offset : offset + limit]
    if params.get("fields"):
        keep = [k.strip() for k in str(params["fields"]).split(",") if k.strip()]
        rows = [{k: r[k] for k in keep if k in r} for r in rows]
    return rows
