"""A real Singer consumer: the tap piped into target-jsonl, compared with the truth."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import expected_by_id, tap_config
from tests.singer_run import TAP_EXECUTABLE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _target_jsonl() -> str:
    """target-jsonl pins jsonschema 2.6, so it lives in its own venv (Meltano's)."""
    candidates = [
        os.environ.get("TARGET_JSONL", ""),
        str(PROJECT_ROOT / ".meltano/loaders/target-jsonl/venv/bin/target-jsonl"),
        shutil.which("target-jsonl") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        "target-jsonl not found: run `meltano install` (make test does) or set TARGET_JSONL"
    )


def test_tap_piped_into_target_jsonl(make_simulator, tmp_path: Path) -> None:
    sim = make_simulator(rows=2_345, seed=44)
    (tmp_path / "config.json").write_text(json.dumps(tap_config(sim, page_size=1_000)))
    (tmp_path / "target.json").write_text(
        json.dumps({"destination_path": str(tmp_path / "out"), "do_timestamp_file": False})
    )
    (tmp_path / "out").mkdir()
    target = _target_jsonl()

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
