"""Install DuckDB's spatial and avro extensions offline into a HOME we control.

bqemulator runs ``INSTALL spatial`` / ``INSTALL avro`` when it starts. DuckDB keeps
installed extensions under ``$HOME/.duckdb/extensions/v<version>/<platform>/``; if they
are missing there it downloads them from the internet (and bqemulator refuses to start
without spatial). The PyPI wheels ``duckdb-extension-spatial`` / ``duckdb-extension-avro``
(pinned in requirements/dev.txt to the same version as ``duckdb``) ship the binaries; this
script installs them from those wheels into ``<home>/.duckdb``. Start bqemulator with
``HOME=<home>`` and it never touches the network.

Usage (with the Python of the venv that holds bqemulator/duckdb)::

    python tests/harness/install_duckdb_extensions.py [HOME_DIR]

``HOME_DIR`` defaults to ``$TAP_LOOKER_DUCKDB_HOME`` or ``<repo>/.venv-home``. Idempotent.
This module must not import anything outside the standard library and duckdb, because it
also runs inside the emulator launcher (``bq_launcher.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXTENSIONS = ("spatial", "avro")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOME = REPO_ROOT / ".venv-home"


def default_home() -> Path:
    """Return the HOME used for bqemulator's DuckDB extensions."""
    return Path(os.environ.get("TAP_LOOKER_DUCKDB_HOME", DEFAULT_HOME))


def _install_in_this_process(extensions: tuple[str, ...]) -> list[str]:
    """Install ``extensions`` into the DuckDB extension dir of the current $HOME."""
    import duckdb
    from duckdb_extensions import import_extension

    con = duckdb.connect()
    try:
        installed = {
            row[0]
            for row in con.sql(
                "SELECT extension_name FROM duckdb_extensions() WHERE installed"
            ).fetchall()
        }
        done = []
        for name in extensions:
            if name not in installed:
                import_extension(name, con=con)
            done.append(name)
        # Prove they load without the network.
        for name in extensions:
            con.execute(f"LOAD {name}")
        return done
    finally:
        con.close()


def install_duckdb_extensions(
    home: str | os.PathLike[str] | None = None,
    python: str | os.PathLike[str] | None = None,
    extensions: tuple[str, ...] = EXTENSIONS,
) -> Path:
    """Install ``extensions`` into ``<home>/.duckdb`` using ``python``'s duckdb.

    Runs in a subprocess with ``HOME=<home>`` so DuckDB resolves exactly the directory
    bqemulator will use. ``python`` defaults to the current interpreter; pass the
    emulator venv's python when it is a separate venv. Returns the home directory.
    """
    home_path = Path(home) if home is not None else default_home()
    home_path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home_path)}
    subprocess.run(
        [str(python or sys.executable), str(Path(__file__).resolve()), "--in-process", *extensions],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return home_path


def main(argv: list[str]) -> int:
    if argv[:1] == ["--in-process"]:
        _install_in_this_process(tuple(argv[1:]) or EXTENSIONS)
        return 0
    home = install_duckdb_extensions(argv[0] if argv else None)
    print(f"DuckDB extensions {', '.join(EXTENSIONS)} installed under {home}/.duckdb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
