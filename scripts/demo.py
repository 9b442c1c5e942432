"""`make demo`: two simulated days of Looker through `meltano run looker-to-duckdb` (ELT).

Starts the bundled Looker API simulator on loopback (Content Usage plus dashboards, Looks and
users), runs the job (tap -> target-duckdb -> dbt build) on day 1, moves the simulator's clock
one day with new accesses, runs it again, then prints the top content by accesses on the last
day, the number of stale items, and where the tables are. Every demo starts from scratch: its
own warehouse file and bookmarks under output/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
OUTPUT = ROOT / "output"
DUCKDB_FILE = OUTPUT / "warehouse.duckdb"
STATE_DIR = OUTPUT / "demo-state"
STREAMS = ("content_usage", "dashboard", "look", "user", "sync_audit")
RAW, ANALYTICS = "looker_activity", "looker_activity_analytics"
DAY = 86_400


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


def advance_one_day(url: str, touched: int, new: int) -> None:
    body = json.dumps({"seconds": DAY, "new_rows": new, "touched_rows": touched}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback simulator
        f"{url}/_simulator/advance",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310


def run_job(env: dict[str, str], day: int) -> float:
    print(f"\ndemo: day {day}: meltano run looker-to-duckdb (extract, load, dbt build)", flush=True)
    started = time.monotonic()
    subprocess.run([str(BIN / "meltano"), "run", "looker-to-duckdb"], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def report(seconds: list[float]) -> None:
    with duckdb.connect(str(DUCKDB_FILE), read_only=True) as con:
        (last_day,) = con.execute(
            f"select max(usage_date) from {ANALYTICS}.content_usage_daily"
        ).fetchone() or (None,)
        print(f"\ndemo: top content by accesses on {last_day} ({ANALYTICS}.content_usage_daily)")
        print(
            con.sql(
                "select content_type, coalesce(title, content_id) as title, "
                "total_accesses as accesses, api_accesses as api, "
                "schedule_accesses as schedule "
                f"from {ANALYTICS}.content_usage_daily where usage_date = ? "
                "order by total_accesses desc, content_usage_id limit 10",
                params=[last_day],
            )
        )
        (stale, never, days) = con.execute(
            "select count(*), count(*) filter (where never_accessed), max(stale_after_days) "
            f"from {ANALYTICS}.stale_content"
        ).fetchone() or (0, 0, 90)
        (reads, proven, uncounted, rows, counted) = con.execute(
            "select count(*), count(*) filter (where is_proven), "
            "count(*) filter (where looker_count is null and status = 'complete'), "
            "coalesce(sum(rows_read) filter (where is_proven), 0), "
            f"coalesce(sum(looker_count) filter (where is_proven), 0) "
            f"from {ANALYTICS}.extraction_audit"
        ).fetchone()
        print(
            f"demo: {proven} of {reads} stream reads proven complete by Looker's own count "
            f"({rows:,} rows read, {counted:,} counted), {uncounted} ended on an empty page "
            f"(no count: the REST dashboard list): {ANALYTICS}.extraction_audit"
        )
        print(
            f"demo: {stale} stale dashboards and Looks (not opened for {days or 90}+ days, "
            f"{never} of them never opened): {ANALYTICS}.stale_content"
        )
    where = DUCKDB_FILE.relative_to(ROOT)
    print(
        f"\ndemo: tables in {where}: raw (as loaded) in schema {RAW}; snapshots and models in "
        f"{ANALYTICS} (content_usage_daily, stale_content, *_snapshot)."
        f"\n      Explore: .venv/bin/python -c \"import duckdb; duckdb.connect('{where}')"
        f".sql('from {ANALYTICS}.stale_content').show()\""
        f"\ndemo: run times (s): {', '.join(f'{s:.0f}' for s in seconds)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()

    url = f"http://127.0.0.1:{args.port}"
    OUTPUT.mkdir(exist_ok=True)
    DUCKDB_FILE.unlink(missing_ok=True)
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    simulator = subprocess.Popen(
        [
            str(BIN / "looker-simulator"),
            *("--port", str(args.port), "--rows", str(args.rows)),
            *("--explores", "dashboard,look,user"),
            *("--now", "2024-02-01T23:59:59Z"),
        ],
        cwd=ROOT,
    )
    env = {
        **os.environ,
        "MELTANO_ENVIRONMENT": "dev",
        "MELTANO_STATE_BACKEND_URI": STATE_DIR.as_uri(),
        # The demo moves the simulator's clock: it always reads from the simulator it started.
        "TAP_LOOKER_ACTIVITY_BASE_URL": url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": "demo-client-id",
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": "demo-client-secret",  # the simulator's demo value
        "TAP_LOOKER_ACTIVITY__SELECT": json.dumps([f"{s}.*" for s in STREAMS]),
        "DBT_DUCKDB_STREAMS": ",".join(STREAMS),
    }
    seconds = []
    try:
        wait_until_up(url, simulator)
        print(f"demo: Looker simulator with {args.rows:,} Content Usage rows on {url}")
        seconds.append(run_job(env, 1))
        touched = max(1, args.rows // 10)
        advance_one_day(url, touched=touched, new=max(1, touched // 10))
        print(f"demo: the simulator moved one day on: {touched:,} items opened again")
        seconds.append(run_job(env, 2))
    except subprocess.CalledProcessError as exc:
        sys.exit(f"demo: meltano run failed with exit code {exc.returncode}")
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=10)
    report(seconds)


if __name__ == "__main__":
    main()
