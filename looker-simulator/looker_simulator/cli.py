"""`looker-simulator` command: run the simulator in the foreground until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, LookerSimulator


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="looker-simulator",
        description="Serve a simulated Looker API 4.0 (System Activity content_usage).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--rows", type=int, default=1000, help="content_usage rows")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--client-id",
        default=os.environ.get("LOOKER_SIMULATOR_CLIENT_ID", DEMO_CLIENT_ID),
        help="API client id (env LOOKER_SIMULATOR_CLIENT_ID; default %(default)s)",
    )
    p.add_argument(
        "--client-secret",
        default=os.environ.get("LOOKER_SIMULATOR_CLIENT_SECRET", DEMO_CLIENT_SECRET),
        help="API client secret (env LOOKER_SIMULATOR_CLIENT_SECRET keeps it out of ps; "
        "default: the demo secret)",
    )
    p.add_argument("--token-ttl", type=int, default=3600, help="token lifetime, seconds")
    p.add_argument("--now", default=None, help="simulated clock, ISO 8601 (default 2024-02-01Z)")
    p.add_argument("--tie-group", type=int, default=3, help="mean rows sharing one timestamp")
    p.add_argument("--big-tie", type=int, default=None, help="size of the largest tie group")
    p.add_argument("--default-row-cap", type=int, default=5000, help="rows when no limit")
    p.add_argument(
        "--max-row-limit",
        type=int,
        default=None,
        metavar="ROWS",
        help="silently cap every query at ROWS, whatever its limit (an admin or proxy cap)",
    )
    p.add_argument(
        "--explores",
        default=None,
        help="more explores besides content_usage: 'all', or a comma list of names, each "
        "optionally with its size (history=5000,event,user)",
    )
    p.add_argument(
        "--query-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="latency of every inline query (default 0)",
    )
    p.add_argument(
        "--row-delay",
        type=float,
        default=0.0,
        metavar="SECONDS_PER_ROW",
        help="extra latency per returned row (default 0)",
    )
    p.add_argument(
        "--subquery-timeout-rows",
        type=int,
        default=50_000,
        metavar="ROWS",
        help="history.most_recent_* time out (looker_error) above this many history rows",
    )
    p.add_argument(
        "--system-timezone",
        default="UTC",
        metavar="ZONE",
        help="IANA zone System Activity times are stored in (default UTC, as Looker-hosted)",
    )
    p.add_argument(
        "--edition",
        choices=["elite", "standard"],
        default="elite",
        help="standard: System Activity cached 12 h even with cache=false, 4 at a time",
    )
    p.add_argument(
        "--cache-seconds",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="result cache window in simulated seconds for queries without cache=false",
    )
    p.add_argument(
        "--max-concurrent-queries",
        type=int,
        default=None,
        metavar="N",
        help="queries beyond N at a time wait their turn (default: no limit)",
    )
    p.add_argument(
        "--no-record-api-queries",
        dest="record_api_queries",
        action="store_false",
        help="do not add history/query rows for the API's own queries",
    )
    p.add_argument("--api-user-id", type=int, default=1001, help="id of the API user")
    p.add_argument("--port-file", type=Path, default=None, help="write the bound port here")
    p.add_argument("--verbose", action="store_true", help="log one line per request")
    return p


def _explores(text: str | None) -> str | dict[str, int | None] | None:
    if not text or text == "all":
        return text or None
    sizes: dict[str, int | None] = {}
    for item in text.split(","):
        name, _, rows = item.strip().partition("=")
        if name:
            sizes[name] = int(rows) if rows else None
    return sizes


def _simulator(args: argparse.Namespace) -> LookerSimulator:
    return LookerSimulator(
        rows=args.rows,
        seed=args.seed,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
        now=args.now,
        tie_group=args.tie_group,
        big_tie=args.big_tie,
        default_row_cap=args.default_row_cap,
        max_row_limit=args.max_row_limit,
        host=args.host,
        port=args.port,
        verbose=args.verbose,
        explores=_explores(args.explores),
        query_delay=args.query_delay,
        row_delay=args.row_delay,
        subquery_timeout_rows=args.subquery_timeout_rows,
        system_timezone=args.system_timezone,
        edition=args.edition,
        cache_seconds=args.cache_seconds,
        max_concurrent_queries=args.max_concurrent_queries,
        record_api_queries=args.record_api_queries,
        api_user_id=args.api_user_id,
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        sim = _simulator(args)
    except (ValueError, KeyError) as exc:  # bad settings: one line, exit 2
        parser.error(str(exc).strip("'\""))
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    base_url = sim.start()
    if args.port_file is not None:
        # Write then rename, so a poller never reads a half-written port.
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(f"{sim.port}\n")
        tmp.replace(args.port_file)
    print(f"looker-simulator listening on {base_url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
        if args.port_file is not None:
            args.port_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
