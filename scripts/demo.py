"""`make demo`: the Looker simulator -> `meltano run looker-to-duckdb` -> what landed.

Starts the bundled Looker API simulator on loopback, runs the main job on the embedded
default (DuckDB), then prints the row count and a few rows of the loaded table.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DUCKDB_FILE = ROOT / "output" / "warehouse.duckdb"


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"demo: the Looker simulator exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/_simulator/health", timeout=2).close()  # noqa: S310
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
        else:
            return
    sys.exit(f"demo: the Looker simulator did not answer on {url} within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()

    url = f"http://127.0.0.1:{args.port}"
    DUCKDB_FILE.parent.mkdir(exist_ok=True)
    simulator = subprocess.Popen(
        [str(BIN / "looker-simulator"), "--port", str(args.port), "--rows", str(args.rows)],
        cwd=ROOT,
    )
    try:
        wait_until_up(url, simulator)
        print(f"demo: Looker simulator with {args.rows:,} Content Usage rows on {url}")
        env = {**os.environ, "MELTANO_ENVIRONMENT": "dev"}
        subprocess.run(
            [str(BIN / "meltano"), "run", "looker-to-duckdb"], cwd=ROOT, env=env, check=True
        )
    except subprocess.CalledProcessError as exc:
        sys.exit(f"demo: meltano run failed with exit code {exc.returncode}")
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=10)

    with duckdb.connect(str(DUCKDB_FILE), read_only=True) as con:
        table = "looker_activity.content_usage"
        (count,) = con.execute(f"select count(*) from {table}").fetchone()
        print(f"\ndemo: {count:,} rows in {table} ({DUCKDB_FILE.relative_to(ROOT)})")
        print(
            con.sql(
                "select id, content_type, content_title, other_count, last_accessed_time "
                f"from {table} order by last_accessed_time desc, id limit 5"
            )
        )


if __name__ == "__main__":
    main()
