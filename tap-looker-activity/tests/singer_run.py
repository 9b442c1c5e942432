"""Run the real ``tap-looker-activity`` executable and read its Singer output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

TAP_EXECUTABLE = Path(sys.executable).with_name("tap-looker-activity")


@dataclass
class TapRun:
    """What one tap process wrote."""

    returncode: int
    stdout: str
    stderr: str
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    schemas: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    states: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, t.Any]:
        assert self.states, f"the tap emitted no STATE; stderr:\n{self.stderr[-3000:]}"
        return self.states[-1]

    def bookmark(self, stream: str = "content_usage") -> str | None:
        stream_state = self.final_state["bookmarks"].get(stream, {})
        return stream_state.get("replication_key_value")

    def ids(self, stream: str = "content_usage") -> list[int]:
        return [r["id"] for r in self.records.get(stream, [])]


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 300,
    check: bool = True,
) -> TapRun:
    """Run the tap as a subprocess, as Meltano or a shell pipeline would."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(TAP_EXECUTABLE)]
        if config is not None:
            config_path = Path(tmp, "config.json")
            config_path.write_text(json.dumps(config))
            cmd += ["--config", str(config_path)]
        if state is not None:
            state_path = Path(tmp, "state.json")
            state_path.write_text(json.dumps(state))
            cmd += ["--state", str(state_path)]
        if catalog is not None:
            catalog_path = Path(tmp, "catalog.json")
            catalog_path.write_text(json.dumps(catalog))
            cmd += ["--catalog", str(catalog_path)]
        cmd += list(args)
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            cwd=tmp,
            check=False,
        )
    run = TapRun(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        msg = f"tap exited {proc.returncode}; stderr tail:\n{proc.stderr[-3000:]}"
        raise AssertionError(msg)
    if "--discover" in args or "--about" in args:
        return run
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        kind = message.get("type")
        if kind == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif kind == "SCHEMA":
            run.schemas[message["stream"]] = message
        elif kind == "STATE":
            run.states.append(message["value"])
    return run
