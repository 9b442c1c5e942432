"""target-duckdb, with a DuckDB file held by another process reported in one line.

target-duckdb opens its database once, before reading any input, and keeps it open for the
whole run. DuckDB lets one process write a file at a time: a second writer's
``duckdb.connect`` raises ``IOException: Could not set lock on file ...``, which target-duckdb
lets out as a traceback. Here it becomes one line and exit code 1, before anything is read
or written (the tap's STATE never reaches Meltano, so no bookmark moves).

DuckDB creates a missing database file but not its directory: target-duckdb then fails with
``Cannot open file ".../output/warehouse.duckdb"`` on a fresh clone. The guard creates the
missing directories of a local ``filepath`` first (an existing path is never touched, so a
file standing where a directory should be still fails as before).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

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


def database_path(argv: list[str]) -> Path | None:
    """The local database file named by ``--config FILE``'s ``filepath``, if any."""
    for flag, value in itertools.pairwise(argv):
        if flag in {"--config", "-c"}:
            try:
                config = json.loads(Path(value).read_text())
            except (OSError, ValueError):
                return None  # target-duckdb reports an unreadable config itself
            filepath = config.get("filepath") if isinstance(config, dict) else None
            # ":memory:", "md:db" (MotherDuck) and URLs are not local files.
            if not isinstance(filepath, str) or not filepath or ":" in filepath:
                return None
            return Path(filepath)
    return None


def make_parent_directory(argv: list[str]) -> None:
    """Create the database file's missing directories, as DuckDB creates the file."""
    path = database_path(argv)
    if path is None or path.parent.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # e.g. a file in the way: target-duckdb's own error names the path


def main() -> None:
    """Console entry point: target-duckdb's own main."""
    make_parent_directory(sys.argv[1:])
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
