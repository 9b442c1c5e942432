"""target-duckdb, with a DuckDB file held by another process reported in one line.

target-duckdb opens its database once, before reading any input, and keeps it open for the
whole run. DuckDB lets one process write a file at a time: a second writer's
``duckdb.connect`` raises ``IOException: Could not set lock on file ...``, which target-duckdb
lets out as a traceback. Here it becomes one line and exit code 1, before anything is read
or written (the tap's STATE never reaches Meltano, so no bookmark moves).
"""

from __future__ import annotations

import re
import sys

LOCK_MESSAGE = re.compile(r"Could not set lock on file \"(?P<path>[^\"]+)\"")
HOLDER = re.compile(r"\(PID (?P<pid>\d+)\)")


def one_writer_message(error: str) -> str | None:
    """The one-line explanation for DuckDB's lock error, or None for any other error."""
    match = LOCK_MESSAGE.search(error)
    if match is None:
        return None
    holder = HOLDER.search(error)
    who = f"another process (PID {holder.group('pid')})" if holder else "another process"
    return (
        f"target-duckdb: error: DuckDB file {match.group('path')} is open in {who}: DuckDB "
        "allows one writer per file, so runs into it must run one after another (BigQuery "
        "and Postgres runs may run in parallel)"
    )


def main() -> None:
    """Console entry point: target-duckdb's own main."""
    import duckdb  # the plugin venv's own, imported only when run
    import target_duckdb

    try:
        target_duckdb.main()
    except duckdb.IOException as exc:
        message = one_writer_message(str(exc))
        if message is None:
            raise
        sys.stderr.write(message + "\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
