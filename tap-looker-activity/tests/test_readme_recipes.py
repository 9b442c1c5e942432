"""The tap README's plain-Singer recipe, executed as written (the block after its marker)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.conftest import tap_config
from tests.singer_run import TAP_EXECUTABLE
from tests.test_target_jsonl import _target_jsonl

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- executed by tests/test_readme_recipes.py -->"


def recipe() -> str:
    text = README.read_text()
    assert MARKER in text, "the README's tested recipe lost its marker"
    block = re.search(r"```bash\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    assert block, "no bash block after the marker"
    return block.group(1)


def run_recipe(cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(
        [str(TAP_EXECUTABLE.parent), str(Path(_target_jsonl()).parent), os.environ["PATH"]]
    )
    return subprocess.run(
        ["bash", "-e", "-c", recipe()],
        cwd=cwd,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_incremental_recipe_keeps_a_usable_state_when_nothing_changed(
    make_simulator, tmp_path: Path
) -> None:
    sim = make_simulator(rows=300, seed=71)
    (tmp_path / "config.json").write_text(json.dumps(tap_config(sim)))
    (tmp_path / "target.json").write_text(
        json.dumps({"destination_path": ".", "do_timestamp_file": False})
    )

    first = run_recipe(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len((tmp_path / "content_usage.jsonl").read_text().splitlines()) == 300
    state = json.loads((tmp_path / "state.json").read_text())
    bookmark = state["bookmarks"]["content_usage"]["replication_key_value"]

    # Nothing changed in Looker: the bookmark stays, and the state file must still hold it.
    second = run_recipe(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["bookmarks"]["content_usage"]["replication_key_value"] == bookmark

    # A failed run (Looker unreachable) leaves the state as it was.
    config = tap_config(sim) | {"base_url": "http://127.0.0.1:9", "max_retries": 0}
    (tmp_path / "config.json").write_text(json.dumps(config))
    failed = run_recipe(tmp_path)
    assert failed.returncode != 0
    assert json.loads((tmp_path / "state.json").read_text()) == state
