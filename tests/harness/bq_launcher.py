"""TEST-ONLY launcher: ``bqemulator`` with the harness shims applied.

Run with the Python of the venv that holds bqemulator; the arguments are bqemulator's::

    <venv>/bin/python tests/harness/bq_launcher.py start --rest-port P ...

Before handing over to ``bqemulator.cli.main`` it
1. makes sure DuckDB's spatial/avro extensions are installed under ``$HOME/.duckdb`` from
   the PyPI wheels (``install_duckdb_extensions.py``), so bqemulator never downloads them;
   set ``TAP_LOOKER_BQ_ENSURE_EXTENSIONS=0`` to skip;
2. applies the shims in ``bq_shims.py`` selected by ``TAP_LOOKER_BQ_SHIMS`` (default all).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bq_shims  # noqa: E402
import install_duckdb_extensions  # noqa: E402


def main() -> None:
    if os.environ.get("TAP_LOOKER_BQ_ENSURE_EXTENSIONS", "1") == "1":
        install_duckdb_extensions._install_in_this_process(install_duckdb_extensions.EXTENSIONS)
    bq_shims.apply()
    from bqemulator.cli import main as bqemulator_main

    bqemulator_main(prog_name="bqemulator")


if __name__ == "__main__":
    main()
