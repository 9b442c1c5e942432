#!/usr/bin/env python3
"""Run meltano so that no secret it writes to disk is readable by other local users.

Usage: ``meltano_private.py MELTANO_EXECUTABLE [MELTANO ARGS...]``, e.g.
``.venv/bin/python orchestrate/meltano_private.py .venv/bin/meltano run looker-to-bigquery``.

Meltano 4.4 writes each Singer plugin's whole configuration, client secret included, to
``<sys dir>/run/<plugin>/{tap,target}.<uuid>.config.json`` (``<sys dir>``:
``$MELTANO_SYS_DIR_ROOT``, default ``<project>/.meltano``) with the process umask (0644 under
the usual 022), and deletes it when the plugin ends; a run killed with SIGKILL leaves it
behind. Before handing over to meltano (``exec``: signals and exit code stay meltano's own):

1. the umask becomes 077: every file meltano and its plugins create is private (0600/0700);
2. ``<sys dir>/run`` becomes mode 0700 (files left there by earlier runs, whatever their mode,
   are then out of reach of other users) and every ``*.config.json`` in it mode 0600;
3. stale ``*.config.json`` files are deleted: older than a minute and named on the command line
   of no live process (a plugin runs with ``--config <that file>``, a name with a fresh uuid;
   the minute covers the moment between meltano writing the file and starting the plugin), so
   parallel runs (the Airflow fan-out) never lose a file they still use. Needs Linux
   ``/proc``; elsewhere only steps 1 and 2 apply.

Only the standard library: Airflow workers run it with their own interpreter.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

STALE_AFTER_S = 60.0
CONFIG_GLOB = "*/*.config.json"


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


def live_command_lines() -> str | None:
    """Every live process's command line, NUL-separated; None without Linux /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "cmdline").is_file():
        return None
    lines = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue  # the process ended meanwhile, or is not ours to read
    return "\0".join(lines)


def secure_run_dir(directory: Path, now: float | None = None) -> list[Path]:
    """Make ``directory`` private and delete stale plugin configurations; return the deleted."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    now = time.time() if now is None else now
    in_use = live_command_lines()
    removed = []
    for config in sorted(directory.glob(CONFIG_GLOB)):
        try:
            config.chmod(0o600)
            stale = now - config.stat().st_mtime > STALE_AFTER_S
            if in_use is not None and stale and config.name not in in_use:
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
