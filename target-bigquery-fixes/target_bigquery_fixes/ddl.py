"""BigQuery DDL column types (no dependency on the target, so testable anywhere)."""

from __future__ import annotations

import typing as t

__all__ = ["ddl_type"]

_DDL_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}


def ddl_type(field: t.Any) -> str:
    """A BigQuery DDL column type for a ``SchemaField`` (nested and repeated included)."""
    base = str(_DDL_TYPES.get(field.field_type, field.field_type))
    if base == "STRUCT":
        inner = ", ".join(f"`{sub.name}` {ddl_type(sub)}" for sub in field.fields)
        base = f"STRUCT<{inner}>"
    return f"ARRAY<{base}>" if field.mode == "REPEATED" else base
