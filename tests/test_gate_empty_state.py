"""singer-state-gate never writes a STATE that holds no bookmark.

Meltano stores the target's STATE as the *complete* state: ``{}`` (or ``{"bookmarks": {}}``)
erases every stored bookmark and the next run reloads everything, or, with a stream that
cannot reload (Looker prunes history), loses what is gone. A tap stopped by SIGTERM prints
its state as it was (singer-sdk ``_handle_termination``), possibly ``{}``, and exits 0;
targets echo it (meltano/sdk issue 3000). The gate cannot vouch for such a STATE:

- a bookmark-less STATE after STATE messages that held bookmarks: the run went backwards
  (a stopped tap): nothing written, exit 1, one line;
- only bookmark-less STATE messages (e.g. a tap with nothing to bookmark): nothing written,
  exit 0, the stored state stays as it was.

The target here is a double that echoes every STATE value it reads, as older SDK targets do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest

from tests.reliability_helpers import TARGET_VENV, write_script

if t.TYPE_CHECKING:
    from pathlib import Path

GATE = TARGET_VENV / "bin" / "singer-state-gate"

ECHO_TARGET = f"""#!{sys.executable}
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "STATE":
        print(json.dumps(message["value"]), flush=True)
"""

BOOKMARK = {"bookmarks": {"content_usage": {"replication_key_value": "2024-01-10T00:00:00Z"}}}


def _run(tmp_path: Path, *states: dict[str, t.Any]) -> subprocess.CompletedProcess[str]:
    if not GATE.exists():
        pytest.fail(f"{GATE} missing: run `.venv/bin/meltano install`")
    target = write_script(tmp_path / "target-echo", ECHO_TARGET)
    lines = "".join(json.dumps({"type": "STATE", "value": s}) + "\n" for s in states)
    return subprocess.run(
        [str(GATE), str(target)], input=lines, capture_output=True, text=True, timeout=30
    )


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("singer-state-gate: error:")]


@pytest.mark.parametrize("empty", [{}, {"bookmarks": {}}, {"bookmarks": {"content_usage": {}}}])
def test_bookmarkless_state_after_bookmarks_is_withheld_and_fails(
    tmp_path: Path, empty: dict[str, t.Any]
) -> None:
    proc = _run(tmp_path, BOOKMARK, empty)
    assert proc.stdout == "", "an empty STATE would erase the stored bookmark"
    assert proc.returncode == 1
    errors = _errors(proc.stderr)
    assert len(errors) == 1, proc.stderr
    assert "last STATE holds no bookmark after STATE messages that did" in errors[0]
    assert "2 STATE message(s) withheld" in errors[0]


def test_only_bookmarkless_states_write_nothing(tmp_path: Path) -> None:
    proc = _run(tmp_path, {}, {"bookmarks": {}})
    assert proc.stdout == ""
    assert proc.returncode == 0, proc.stderr
    assert _errors(proc.stderr) == []
    assert "STATE holds no bookmark; not written" in proc.stderr


def test_a_state_with_a_bookmark_is_still_written(tmp_path: Path) -> None:
    proc = _run(tmp_path, {}, BOOKMARK)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [BOOKMARK]
