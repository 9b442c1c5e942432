"""A real Singer consumer: the tap piped into target-jsonl, compared with the truth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import expected_by_id, tap_config
from tests.singer_run import TAP_EXECUTABLE

TARGET_JSONL = Path(sys.executable).with_name("target-jsonl")


@pytest.mark.skipif(
    not TARGET_JSONL.exists() and shutil.which("target-jsonl") is None,
    reason="target-jsonl is installed by `make test`",
)
def test_tap_piped_into_target_jsonl(make_simulator, tmp_path: Path) -> None:
    sim = make_simulator(rows=2_345, seed=44)
    (tmp_path / "config.json").write_text(json.dumps(tap_config(sim, page_size=1_000)))
    (tmp_path / "target.json").write_text(
        json.dumps({"destination_path": str(tmp_path / "out"), "do_timestamp_file": False})
    )
    (tmp_path / "out").mkdir()
    target = str(TARGET_JSONL if TARGET_JSONL.exists() else shutil.which("target-jsonl"))

    pipeline = f"'{TAP_EXECUTABLE}' --config config.json | '{target}' --config target.json"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = (tmp_path / "out" / "content_usage.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["id"]: r for r in records} == expected_by_id(sim)
    assert len(records) == 2_345
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["bookmarks"]["content_usage"]["replication_key_value"] == max(
        r["last_accessed_time"] for r in records
    )
