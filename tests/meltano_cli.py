"""Run the real `meltano` CLI of the dev venv against the repository's project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

MELTANO = Path(sys.executable).with_name("meltano")


@dataclass
class MeltanoProject:
    root: Path
    state_dir: Path

    def env(self, environment: str, extra: t.Mapping[str, str] | None = None) -> dict[str, str]:
        """A clean environment: this test's state backend, no usage stats, the given env."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "MELTANO_ENVIRONMENT": environment,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        }
        env.update(extra or {})
        # This test's own state, unless the test chose a backend.
        env.setdefault("MELTANO_STATE_BACKEND_URI", self.state_dir.as_uri())
        return env

    def run(
        self,
        *args: str,
        environment: str,
        env: t.Mapping[str, str] | None = None,
        timeout: float = 900,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(MELTANO), *args],
            cwd=self.root,
            env=self.env(environment, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            msg = f"meltano {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-5000:]}"
            raise AssertionError(msg)
        return proc

    def state(self, state_id: str, *, environment: str, env: t.Mapping[str, str]) -> dict:
        proc = self.run("state", "get", state_id, environment=environment, env=env)
        return json.loads(proc.stdout)
