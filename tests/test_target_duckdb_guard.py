"""target-duckdb-guarded (target-duckdb-guard/): the DuckDB loader as meltano.yml runs it.

Run as a process from the plugin's own venv, fed a minimal Singer stream: on a fresh clone
`output/` does not exist, and plain target-duckdb fails with `Cannot open file`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT

GUARDED = (
    REPO_ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "target-duckdb-guarded"
)
SINGER_INPUT = "\n".join(
    json.dumps(message)
    for message in (
        {
            "type": "SCHEMA",
            "stream": "content_usage",
            # A column besides the key: target-duckdb's upsert of a key-only table trips DuckDB.
            "schema": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "title": {"type": ["string", "null"]}},
            },
            "key_properties": ["id"],
        },
        {"type": "RECORD", "stream": "content_usage", "record": {"id": 7, "title": "Sales"}},
        {"type": "STATE", "value": {"bookmarks": {}}},
    )
)


def run_guarded(config: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not GUARDED.is_file():
        pytest.fail(f"{GUARDED} missing: run `make install`")
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [str(GUARDED), "--config", str(config_file)],
        input=SINGER_INPUT + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_missing_output_directory_is_created(tmp_path: Path) -> None:
    database = tmp_path / "fresh-clone" / "output" / "warehouse.duckdb"
    proc = run_guarded({"filepath": str(database), "default_target_schema": "looker"}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select id, title from looker.content_usage").fetchall() == [
            (7, "Sales")
        ]


def test_a_file_where_the_directory_should_be_still_fails_naming_the_path(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "output"
    not_a_dir.write_text("a file, not a directory")
    database = not_a_dir / "warehouse.duckdb"
    proc = run_guarded({"filepath": str(database), "default_target_schema": "looker"}, tmp_path)
    assert proc.returncode != 0
    assert str(database) in proc.stderr
    assert not_a_dir.read_text() == "a file, not a directory"
