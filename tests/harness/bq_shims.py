"""TEST-ONLY monkeypatches for bqemulator 1.4.0, applied by ``bq_launcher.py`` at start-up.

Each shim is named after the REAL BigQuery behaviour it restores, so a test that passes
with it proves our code works on real BigQuery, not that the emulator is lenient. They
live in the test harness only: product code must never depend on them.

Shims (select with ``TAP_LOOKER_BQ_SHIMS``: ``all`` (default), ``none`` or a
comma-separated list of names):

``load_detects_gzip_by_content``
    Real BigQuery detects gzip-compressed load data from the bytes, whatever the file
    name. bqemulator hands the path to DuckDB ``COPY ... (FORMAT JSON|CSV)``, and DuckDB
    picks the codec from the file extension. Bodies uploaded with
    ``Client.load_table_from_file`` are staged as ``<session>.bin``, so gzip data fails
    ("Malformed JSON"/invalid UTF-8). The shim sniffs the gzip magic bytes (1f 8b) and adds
    ``COMPRESSION 'gzip'``. (``gs://.../*.jsonl.gz`` URIs already work without it.)

``merge_update_set_accepts_qualified_columns``
    Real BigQuery accepts ``WHEN MATCHED THEN UPDATE SET target.col = source.col`` in
    MERGE (z3-target-bigquery's upsert emits exactly that, core.py ``clean_up``). DuckDB
    rejects a qualified column on the left of SET. The shim rewrites the BigQuery SQL
    before bqemulator translates it: inside MERGE ... UPDATE SET, the left-hand column
    loses its table qualifier (parsed and regenerated with sqlglot, BigQuery dialect).
    Statements without such a MERGE are passed through untouched (byte for byte).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("tap_looker_harness.bq_shims")

GZIP_MAGIC = b"\x1f\x8b"


# --------------------------------------------------------------------------------------
# load_detects_gzip_by_content
# --------------------------------------------------------------------------------------
def _is_gzip_file(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def load_detects_gzip_by_content() -> None:
    from bqemulator.jobs import executor

    handlers = executor._LOAD_FORMAT_HANDLERS
    copy_options = {
        "NEWLINE_DELIMITED_JSON": "FORMAT JSON",
        "JSON": "FORMAT JSON",
        "CSV": "FORMAT CSV, HEADER",  # same options as bqemulator's _load_csv
    }
    for fmt, options in copy_options.items():
        original = handlers[fmt]

        def handler(
            path: str,
            target_ref: str,
            ctx: object,
            _original: Callable[..., None] = original,
            _options: str = options,
        ) -> None:
            if not path.endswith(".gz") and _is_gzip_file(path):
                ctx.engine.execute(  # type: ignore[attr-defined]
                    f"COPY {target_ref} FROM ? ({_options}, COMPRESSION 'gzip')", [path]
                )
                return
            _original(path, target_ref, ctx)

        handler.__name__ = f"{original.__name__}__load_detects_gzip_by_content"
        handlers[fmt] = handler


# --------------------------------------------------------------------------------------
# merge_update_set_accepts_qualified_columns
# --------------------------------------------------------------------------------------
# Cheap pre-filter: MERGE ... UPDATE SET <ident>.<ident> =   (idents may be `quoted`)
_QUALIFIED_SET = re.compile(
    r"\bUPDATE\s+SET\s+(`[^`]+`|\w+)\s*\.\s*(`[^`]+`|\w+)\s*=", re.IGNORECASE
)


def unqualify_merge_update_set(sql: str) -> str:
    """Return ``sql`` with table qualifiers stripped from MERGE ``UPDATE SET`` targets.

    Returns ``sql`` unchanged when it has no such MERGE or cannot be parsed.
    """
    if "MERGE" not in sql.upper() or not _QUALIFIED_SET.search(sql):
        return sql
    import sqlglot
    from sqlglot import exp

    try:
        statements = sqlglot.parse(sql, read="bigquery")
    except Exception:
        return sql
    changed = False
    for statement in statements:
        if statement is None:
            continue
        for merge in statement.find_all(exp.Merge):
            for update in merge.find_all(exp.Update):
                for assignment in update.expressions:
                    column = assignment.this if isinstance(assignment, exp.EQ) else None
                    if isinstance(column, exp.Column) and column.table:
                        column.set("table", None)
                        column.set("db", None)
                        column.set("catalog", None)
                        changed = True
    if not changed:
        return sql
    return ";\n".join(s.sql(dialect="bigquery") for s in statements if s is not None)


def merge_update_set_accepts_qualified_columns() -> None:
    from bqemulator.sql.translator import SQLTranslator

    original = SQLTranslator.translate

    def translate(self: SQLTranslator, bq_sql: str, *args: Any, **kwargs: Any):
        return original(self, unqualify_merge_update_set(bq_sql), *args, **kwargs)

    translate.__doc__ = original.__doc__
    SQLTranslator.translate = translate  # type: ignore[method-assign]


SHIMS: dict[str, Callable[[], None]] = {
    "load_detects_gzip_by_content": load_detects_gzip_by_content,
    "merge_update_set_accepts_qualified_columns": merge_update_set_accepts_qualified_columns,
}


def selected(spec: str | None = None) -> list[str]:
    """Resolve a ``TAP_LOOKER_BQ_SHIMS`` value to shim names."""
    spec = (spec if spec is not None else os.environ.get("TAP_LOOKER_BQ_SHIMS", "all")).strip()
    if spec in ("", "all"):
        return list(SHIMS)
    if spec == "none":
        return []
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SHIMS))
    if unknown:
        msg = f"unknown bqemulator shim(s) {unknown}; known: {sorted(SHIMS)}"
        raise ValueError(msg)
    return names


def apply(spec: str | None = None) -> list[str]:
    """Apply the selected shims; return their names."""
    names = selected(spec)
    for name in names:
        SHIMS[name]()
        _log.warning("tap-looker test harness: bqemulator shim applied: %s", name)
    return names
