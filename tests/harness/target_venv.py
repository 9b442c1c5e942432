"""Build (or reuse) the isolated venv that runs the real ``target-bigquery`` executable.

z3-target-bigquery 0.7.2 needs singer-sdk 0.22 and cannot share the dev venv (singer-sdk
0.54.9), so it gets its own venv from ``requirements/target-bigquery.txt``, exactly as
Meltano installs it from ``pip_url``.

Resolution order for the executable:
1. ``TAP_LOOKER_TARGET_BIGQUERY_BIN``: a ``bin`` dir holding ``target-bigquery``
   (e.g. ``.meltano/loaders/target-bigquery/venv/bin``);
2. a venv under ``$TAP_LOOKER_TARGET_BIGQUERY_VENV_ROOT`` (default: the system temp dir)
   named after the lock file's hash, built with ``uv`` when absent (~2-4 s; falls back to
   ``uv --offline``, i.e. uv's cache, when no package index is reachable).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCK_FILE = REPO_ROOT / "requirements" / "target-bigquery.txt"


def locked_requirements(lock_file: Path = LOCK_FILE) -> list[str]:
    """The ``name==version`` lines of a ``uv pip compile`` output."""
    reqs = []
    for raw in lock_file.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(line)
    return reqs


def target_bigquery_pip_url(lock_file: Path = LOCK_FILE) -> str:
    """The Meltano ``pip_url`` (space-separated exact pins) matching the lock file."""
    return " ".join(locked_requirements(lock_file))


def _uv() -> list[str]:
    exe = shutil.which("uv")
    if exe:
        return [exe]
    return [sys.executable, "-m", "uv"]  # uv is a dependency of meltano, so in the dev venv


def ensure_target_bigquery_bin(lock_file: Path = LOCK_FILE) -> Path:
    """Return a ``bin`` dir containing a working ``target-bigquery``."""
    override = os.environ.get("TAP_LOOKER_TARGET_BIGQUERY_BIN")
    if override:
        bin_dir = Path(override)
        if not (bin_dir / "target-bigquery").exists():
            msg = f"TAP_LOOKER_TARGET_BIGQUERY_BIN={override} has no target-bigquery"
            raise FileNotFoundError(msg)
        return bin_dir

    digest = hashlib.sha256(lock_file.read_bytes()).hexdigest()[:12]
    root = Path(os.environ.get("TAP_LOOKER_TARGET_BIGQUERY_VENV_ROOT", tempfile.gettempdir()))
    venv = root / f"tap-looker-target-bigquery-{digest}"
    marker = venv / ".installed-from-lock"
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".tap-looker-target-bigquery-{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent pytest workers build it once
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([*_uv(), "venv", "-q", "-p", "3.11", str(venv)], check=True)
            install = [*_uv(), "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
            install += ["-r", str(lock_file)]
            if subprocess.run(install, check=False).returncode != 0:
                # no index reachable (e.g. under `unshare -n`): exact pins from uv's cache
                subprocess.run([*install, "--offline"], check=True)
            marker.write_text(digest + "\n")
    return venv / "bin"
