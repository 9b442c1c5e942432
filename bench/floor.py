"""The floor: the tap's Looker pages fetched with plain looker-sdk, written as JSON lines.

No singer-sdk, no type conversion, no schema: log in, run the same keyset queries the tap
sends (same fields, filters, sorts, limit, query_timezone, filter_expression), json-decode
each page and write one JSON line per row to stdout. This is the least work any extractor
built on looker-sdk must do, so ``tap time / floor time`` is the tap's own overhead.

Run as its own process (``python bench/floor.py --query query.json``) so that its CPU time
and peak RSS are measured alone. Connection settings come from ``LOOKERSDK_*`` env vars.
Only the standard library and looker-sdk are imported (checked at exit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import typing as t

import looker_sdk
from looker_sdk.sdk.api40 import models


def _datetime_literal(value: str) -> str:
    parsed = dt.datetime.fromisoformat(value)
    return (
        f"date_time({parsed.year}, {parsed.month}, {parsed.day}, "
        f"{parsed.hour}, {parsed.minute}, {parsed.second})"
    )


def keyset_expression(rk: str, rk_value: str, pk: str, pk_value: object) -> str:
    """The tap's keyset predicate (tap_looker_activity.client.keyset_expression)."""
    lit = _datetime_literal(rk_value)
    return f"${{{rk}}} > {lit} OR (${{{rk}}} = {lit} AND ${{{pk}}} > {pk_value!r})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--query", required=True, help="JSON file: the tap's first query body")
    parser.add_argument(
        "--bare-names",
        action="store_true",
        help="write `field` instead of `view.field` keys (valid BigQuery column names)",
    )
    args = parser.parse_args()
    with open(args.query, encoding="utf-8") as f:
        body: dict[str, t.Any] = json.load(f)
    rk, pk = body["sorts"][0], body["sorts"][1]
    page_size = int(body["limit"])

    sdk = looker_sdk.init40()
    out = sys.stdout
    dumps = json.dumps
    rows_out = queries = 0
    cursor: tuple[t.Any, t.Any] | None = None
    while True:
        query = models.WriteQuery(
            model=body["model"],
            view=body["view"],
            fields=body["fields"],
            filters=body.get("filters"),
            filter_expression=keyset_expression(rk, cursor[0], pk, cursor[1]) if cursor else None,
            sorts=body["sorts"],
            limit=body["limit"],
            query_timezone=body.get("query_timezone"),
        )
        rows = json.loads(sdk.run_inline_query("json", query, apply_formatting=False))
        queries += 1
        if args.bare_names:
            out.writelines(
                dumps({k.split(".", 1)[1]: v for k, v in row.items()}) + "\n" for row in rows
            )
        else:
            out.writelines(dumps(row) + "\n" for row in rows)
        rows_out += len(rows)
        if len(rows) < page_size:
            break
        cursor = (rows[-1][rk], rows[-1][pk])
    out.flush()
    sdk.auth.logout()
    assert "singer_sdk" not in sys.modules, "the floor must not import singer-sdk"
    sys.stderr.write(json.dumps({"rows": rows_out, "queries": queries}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
