"""`make demo`: two simulated days of Looker through `meltano run looker-to-duckdb` (ELT).

Starts the bundled Looker API simulator on loopback (Content Usage plus dashboards, Looks,
users, query history, field and API usage and a LookML model of the admin's own), runs the
job (tap -> target-duckdb -> dbt build) on day 1, moves the simulator's clock one day with new
accesses, runs it again, then prints one line per answer (top unused explore, stale content,
slowest dashboard, idle licences, API quota used) and writes the report page
(scripts/report.py). Meltano's own output goes to a log file. Every demo starts from scratch:
its own warehouse file, bookmarks, dbt artifacts, log and report under the output directory.
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
import typing as t
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

from report import ANALYTICS, build_report

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The tap's streams the answers need; dbt builds the models of exactly these.
STREAMS = (
    "content_usage", "dashboard", "look", "user", "sync_audit", "history", "query",
    "field_usage", "api_usage", "lookml_field",
    "content_favorite", "scheduled_plan", "dashboard_element",  # Looker's Unused Content rules
    "scheduled_job",  # schedule_failures
    "query_metrics",  # query_phases_weekly
)  # fmt: skip
# The simulator's explores behind them (default sizes): history and query for slow_content,
# field_usage and order_items (a model of the admin's own: the LookML catalog leaves System
# Activity out) for unused_fields, api_usage for api_quota_monthly, user for inactive_users,
# scheduled_plan (schedules) and dashboard (its tiles) for stale_content.
SIM_EXPLORES = (
    "dashboard,look,user,history,query,field_usage,api_usage,order_items,scheduled_plan,"
    "query_metrics"
)
RAW = "looker_activity"
DAY = 86_400
LOG_TAIL = 20


class Failed(Exception):
    """A step failed; the message is one line."""


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failed(f"the Looker simulator exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/_simulator/health", timeout=2).close()  # noqa: S310
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
        else:
            return
    raise Failed(f"the Looker simulator did not answer on {url} within {timeout:.0f}s")


def advance_one_day(url: str, touched: int, new: int) -> None:
    body = json.dumps({"seconds": DAY, "new_rows": new, "touched_rows": touched}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback simulator
        f"{url}/_simulator/advance",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310


def run_job(env: dict[str, str], day: int, log: Path) -> float:
    print(f"demo: day {day}: meltano run looker-to-duckdb (extract, load, dbt build) ...", end="")
    sys.stdout.flush()
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n===== demo: day {day}: meltano run looker-to-duckdb\n")
        out.flush()
        meltano = subprocess.Popen(
            [str(BIN / "meltano"), "run", "looker-to-duckdb"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            code = meltano.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached meltano and its plugins too (one process group); a SIGTERM of
            # the demo did not: either way meltano gets time to stop its plugins.
            meltano.terminate()
            try:
                meltano.wait(timeout=30)
            except subprocess.TimeoutExpired:
                meltano.kill()
                meltano.wait()
            raise
    seconds = time.monotonic() - started
    if code != 0:
        print(" failed")
        raise Failed(f"meltano run looker-to-duckdb exited with {code} on day {day}")
    print(f" {seconds:.0f} s")
    return seconds


def show(path: Path) -> str:
    """A path as short as it reads: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def tail(log: Path, lines: int = LOG_TAIL) -> list[str]:
    try:
        with log.open(errors="replace") as text:
            return [line.rstrip("\n") for line in deque(text, maxlen=lines)]
    except OSError:
        return []


def number(value: object, unit: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def answers(metrics: dict[str, object], report: Path) -> list[str]:
    """One line per answer, from the report's own metrics (the numbers on the page)."""
    m = metrics.get
    lines = []
    if "top_unused_explore" in metrics:
        lines.append(
            f"top unused explore: {m('top_unused_explore')} with "
            f"{number(m('top_unused_explore_count'))} unused fields "
            f"(of {number(m('top_unused_explore_fields'))}; {ANALYTICS}.unused_fields)"
        )
    elif "unused_fields_total" in metrics:
        lines.append(f"top unused explore: none, no unused field ({ANALYTICS}.unused_fields)")
    if "stale_count" in metrics:
        days = number(m("stale_after_days")) if "stale_after_days" in metrics else "90"
        lines.append(
            f"stale by Looker's rules: {number(m('stale_count'))} dashboards and Looks not "
            f"opened for {days}+ days ({ANALYTICS}.stale_content)"
        )
    if "slowest_dashboard_p90" in metrics:
        lines.append(
            f"slowest dashboard: {m('slowest_dashboard')} at p90 "
            f"{number(m('slowest_dashboard_p90'), ' s')} (week of {m('slowest_dashboard_week')}; "
            f"{ANALYTICS}.slow_content)"
        )
    if "idle_licences" in metrics:
        days = number(m("inactive_after_days")) if "inactive_after_days" in metrics else "90"
        lines.append(
            f"idle licences: {number(m('idle_licences'))} enabled users with no login for "
            f"{days}+ days ({ANALYTICS}.inactive_users)"
        )
    if "quota_used_query" in metrics:
        lines.append(
            f"quota used in {m('quota_month')}: {number(m('quota_used_query'))} of "
            f"{number(m('quota_query'))} query calls, {number(m('quota_used_admin'))} of "
            f"{number(m('quota_admin'))} admin calls ({m('quota_edition')} edition; "
            f"{ANALYTICS}.api_quota_monthly)"
        )
    lines.append(f"report: {show(report)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "output",
        help="directory of the warehouse, bookmarks, log and report (default: output/)",
    )
    args = parser.parse_args()

    output: Path = args.output.resolve()
    database = output / "warehouse.duckdb"
    state_dir = output / "demo-state"
    dbt_dir = output / "dbt"
    log = output / "demo.log"
    report = output / "report.html"
    output.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_name(database.name + ".wal"), log, report):
        stale.unlink(missing_ok=True)
    shutil.rmtree(state_dir, ignore_errors=True)
    shutil.rmtree(dbt_dir, ignore_errors=True)

    url = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "MELTANO_ENVIRONMENT": "dev",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_STATE_BACKEND_URI": state_dir.as_uri(),
        # The demo moves the simulator's clock: it always reads from the simulator it started.
        "TAP_LOOKER_ACTIVITY_BASE_URL": url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": "demo-client-id",
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": "demo-client-secret",  # the simulator's demo value
        "TAP_LOOKER_ACTIVITY__SELECT": json.dumps([f"{s}.*" for s in STREAMS]),
        # The warehouse file: target-duckdb's filepath; dbt's profile reads the same variable
        # first (transform/profiles/duckdb), the utility's own path setting second.
        "TARGET_DUCKDB_FILEPATH": str(database),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_DUCKDB_STREAMS": ",".join(STREAMS),
        # dbt's artifacts and logs beside the warehouse, not in the shared .meltano/dbt.
        "DBT_DUCKDB_TARGET_PATH": str(dbt_dir / "target"),
        "DBT_DUCKDB_LOG_PATH": str(dbt_dir / "logs"),
    }
    simulator: subprocess.Popen[bytes] | None = None
    failed: str | None = None
    try:
        with log.open("a") as sim_log:
            # Its own session: Ctrl-C reaches meltano, and the demo stops the simulator.
            simulator = subprocess.Popen(
                [
                    str(BIN / "looker-simulator"),
                    *("--port", str(args.port), "--rows", str(args.rows)),
                    *("--explores", SIM_EXPLORES),
                    *("--now", "2024-02-01T23:59:59Z"),
                ],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=sim_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_up(url, simulator)
        print(
            f"demo: Looker simulator on {url} ({args.rows:,} Content Usage rows, content, "
            "users, history, field and API usage)"
        )
        print(f"demo: meltano's output (tap, target, dbt) goes to {show(log)}")
        seconds = [run_job(env, 1, log)]
        touched = max(1, args.rows // 10)
        advance_one_day(url, touched=touched, new=max(1, touched // 10))
        print(f"demo: the simulator moved one day on: {touched:,} items opened again")
        seconds.append(run_job(env, 2, log))
    except Failed as exc:
        failed = str(exc)
    except KeyboardInterrupt:
        stop(simulator)
        print("\ndemo: interrupted; the Looker simulator is stopped", file=sys.stderr)
        return 130
    finally:
        stop(simulator)
    if failed is not None:
        print(f"demo: {failed}; the last lines of {show(log)}:", file=sys.stderr)
        for line in tail(log):
            print(f"  {line}", file=sys.stderr)
        print(f"demo: the whole log: {show(log)}", file=sys.stderr)
        return 1

    try:
        metrics = build_report(database, report)
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return 130
    for line in answers(metrics, report):
        print(f"demo: {line}")
    where = show(database)
    print(
        f"demo: tables in {where}: raw in schema {RAW}, snapshots and models in {ANALYTICS}; "
        f"run times (s): {', '.join(f'{s:.0f}' for s in seconds)}"
    )
    return 0


def stop(simulator: subprocess.Popen[bytes] | None) -> None:
    if simulator is None or simulator.poll() is not None:
        return
    simulator.send_signal(signal.SIGTERM)
    try:
        simulator.wait(timeout=10)
    except subprocess.TimeoutExpired:
        simulator.kill()
        simulator.wait()


def _interrupted(signum: int, frame: t.Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # SIGTERM (a CI runner, `kill`) stops the demo as Ctrl-C does: the simulator is stopped.
    signal.signal(signal.SIGTERM, _interrupted)
    sys.exit(main())
