#!/usr/bin/env python3
"""Run meltano so that no secret it writes to disk is readable by other local users.

Usage: ``meltano_private.py MELTANO_EXECUTABLE [MELTANO ARGS...]``, e.g.
``.venv/bin/python orchestrate/meltano_private.py .venv/bin/meltano run looker-to-bigquery``.

Meltano 4.4 writes each Singer plugin's whole configuration, client secret included, to
``<sys dir>/run/<plugin>/{tap,target}.<uuid>.config.json`` (``<sys dir>``:
``$MELTANO_SYS_DIR_ROOT``, default ``<project>/.meltano``) with the process umask (0644 under
the usual 022), and deletes it when the run's block ends; a run killed with SIGKILL leaves it
behind. Before handing over to meltano (``exec``: signals and exit code stay meltano's own):

1. the umask becomes 077: every file meltano and its plugins create is private (0600/0700);
2. ``<sys dir>/run`` becomes mode 0700 (files left there by earlier runs, whatever their mode,
   are then out of reach of other users) and every ``*.config.json`` in it mode 0600;
3. stale ``*.config.json`` files are deleted: named on the command line of no live process (a
   plugin runs with ``--config <that file>``, a name with a fresh uuid) and written after the
   start of every live meltano process, i.e. their writer is gone. Runs in parallel (the
   Airflow fan-out) keep their files, also between their tap's exit and the end of their
   block, when meltano deletes them itself. Needs Linux ``/proc``; elsewhere only steps 1 and
   2 apply. (A long-lived meltano process, e.g. ``meltano invoke airflow scheduler``, keeps
   older files from being deleted: they stay private.)

Only the standard library: Airflow workers run it with their own interpreter.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CONFIG_GLOB = "*/*.config.json"
# Process start times have clock-tick resolution; file mtimes are finer.
START_SLACK_S = 1.0


def project_root(start: Path) -> Path:
    """The Meltano project root: $MELTANO_PROJECT_ROOT, else the nearest meltano.yml upwards."""
    if configured := os.environ.get("MELTANO_PROJECT_ROOT"):
        return Path(configured)
    for candidate in (start, *start.parents):
        if (candidate / "meltano.yml").is_file():
            return candidate
    return start


def run_dir(root: Path) -> Path:
    """Where meltano writes plugin run files (``project.dirs.run``)."""
    sys_dir = os.environ.get("MELTANO_SYS_DIR_ROOT")
    return (Path(sys_dir) if sys_dir else root / ".meltano") / "run"


class LiveProcesses:
    """Command lines of the live processes, and the start time of the oldest meltano."""

    def __init__(self, proc: Path) -> None:
        self.command_lines: list[str] = []
        self.oldest_meltano: float | None = None
        boot = next(
            float(line.split()[1])
            for line in (proc / "stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = os.sysconf("SC_CLK_TCK")
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # the process ended meanwhile, or is not ours to read
            self.command_lines.append(" ".join(argv))
            if any(Path(arg).name == "meltano" for arg in argv):
                # Field 22 (starttime, in clock ticks since boot); the name field may hold spaces.
                started = boot + int(stat.rsplit(")", 1)[1].split()[19]) / ticks
                if self.oldest_meltano is None or started < self.oldest_meltano:
                    self.oldest_meltano = started

    def may_own(self, config: Path) -> bool:
        """Whether a live process may still use ``config`` (or delete it, as meltano does)."""
        if any(config.name in line for line in self.command_lines):
            return True
        written = config.stat().st_mtime
        return self.oldest_meltano is not None and self.oldest_meltano <= written + START_SLACK_S


def secure_run_dir(directory: Path, proc: Path = Path("/proc")) -> list[Path]:
    """Make ``directory`` private and delete stale plugin configurations; return the deleted."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    live = LiveProcesses(proc) if (proc / "stat").is_file() else None
    removed = []
    for config in sorted(directory.glob(CONFIG_GLOB)):
        try:
            config.chmod(0o600)
            if live is not None and not live.may_own(config):
                config.unlink()
                removed.append(config)
        except FileNotFoundError:
            continue  # its own run deleted it meanwhile
    return removed


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: meltano_private.py MELTANO_EXECUTABLE [ARGS...]")
    os.umask(0o077)
    directory = run_dir(project_root(Path.cwd()))
    try:
        secure_run_dir(directory)
    except OSError as err:
        sys.exit(f"meltano_private: cannot make {directory} private: {err}")
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - argv is the caller's meltano command
    except OSError as err:
        sys.exit(f"meltano_private: cannot run {argv[0]}: {err.strerror}")


if __name__ == "__main__":
    main(sys.argv[1:])
