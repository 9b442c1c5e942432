"""Run the real `meltano` CLI of the dev venv against the repository's project.

Every ``MeltanoProject`` has its own Meltano system dir (run files, catalog, system db, elt
logs), dbt target and log dirs, and state backend; the plugin venvs are symlinked from the
repository's ``.meltano``, so nothing is installed. Why: `meltano run`s of concurrent tests (the
suite runs on pytest-xdist workers) would otherwise share ``.meltano/run/<plugin>/`` (one run
reads another's half-written catalog), the system db's job lock ("Another ... pipeline is
already running") and dbt's partial-parse files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

MELTANO = Path(sys.executable).with_name("meltano")
REPO_ROOT = Path(__file__).resolve().parents[1]
PLUGIN_KINDS = ("extractors", "loaders", "mappers", "utilities", "orchestrators")


def link_plugin_venvs(sys_dir: Path) -> None:
    """Every installed plugin venv of the repository, symlinked into ``sys_dir``."""
    for kind in PLUGIN_KINDS:
        for source in sorted((REPO_ROOT / ".meltano" / kind).glob("*/venv")):
            link = sys_dir / kind / source.parent.name / "venv"
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(source, target_is_directory=True)


@dataclass
class MeltanoProject:
    root: Path
    state_dir: Path
    # Default: beside the state dir, so one per test (see the module docstring).
    sys_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.sys_dir is None:
            self.sys_dir = self.state_dir.with_name(f"{self.state_dir.name}-sys") / ".meltano"
        link_plugin_venvs(self.sys_dir)

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
        assert self.sys_dir is not None
        env["MELTANO_SYS_DIR_ROOT"] = str(self.sys_dir)
        for utility in ("DBT_DUCKDB", "DBT_BIGQUERY"):
            for setting in ("TARGET_PATH", "LOG_PATH"):
                kind = setting.split("_")[0].lower()
                env.setdefault(f"{utility}_{setting}", str(self.sys_dir / "dbt" / utility / kind))
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
