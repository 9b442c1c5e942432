"""`make demo-gcp`: the production path (GCS staging -> BigQuery) on local emulators.

Starts the Looker simulator, the GCS and BigQuery emulators and the fake GCE metadata
server that gives the target credentials (tests/harness), creates the staging bucket and the
dataset, runs `meltano --environment=local-gcp run looker-to-bigquery` with its bookmarks in
the (emulated) GCS bucket as in `prod`, prints the row count in BigQuery and the stored
bookmark, and stops everything it started, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:  # the emulator harness lives in tests/harness
    sys.path.insert(0, str(ROOT))

from looker_simulator import LookerSimulator  # noqa: E402

from tests.harness import EmulatorStack, EmulatorStartError  # noqa: E402

JOB = "looker-to-bigquery"
ENVIRONMENT = "local-gcp"
STATE_ID = f"{ENVIRONMENT}:tap-looker-activity-to-target-bigquery"
# As in meltano.yml's local-gcp environment.
PROJECT = "test-project"
DATASET = "looker_activity"
BUCKET = "looker-activity-staging"
LOCATION = "US"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - the simulator's documented demo credential


class Interrupted(Exception):
    """SIGTERM or SIGINT: stop what was started, exit non-zero."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def _say(text: str) -> None:
    print(f"demo-gcp: {text}", flush=True)


def meltano(*args: str, env: dict[str, str], capture: bool = False) -> str:
    """Run meltano in its own process group, so that it and its plugins stop with us."""
    proc = subprocess.Popen(
        [str(BIN / "meltano"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate()
    except BaseException:
        _stop_group(proc)
        raise
    if proc.returncode != 0:
        if capture and err:
            print(err[-3000:], file=sys.stderr)
        raise SystemExit(
            f"demo-gcp: meltano {' '.join(args)} failed with exit code {proc.returncode}"
        )
    return out or ""


def _stop_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM meltano's process group (meltano, tap, target), SIGKILL what is left."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_demo(args: argparse.Namespace, work_dir: Path) -> None:
    with (
        LookerSimulator(
            rows=args.rows,
            seed=args.seed,
            port=args.port,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        ) as sim,
        EmulatorStack(work_dir / "emulators", PROJECT) as stack,
    ):
        _say(f"Looker simulator with {args.rows:,} Content Usage rows on {sim.base_url}")
        _say(
            f"GCS emulator on {stack.gcs.url}, BigQuery emulator on {stack.bigquery.url}, "
            f"fake GCE metadata server on {stack.metadata.url}"
        )
        stack.gcs.create_bucket(BUCKET, location=LOCATION)
        stack.bigquery.create_dataset(DATASET, location=LOCATION)
        _say(f"created bucket gs://{BUCKET} and dataset {PROJECT}.{DATASET} ({LOCATION})")

        env = stack.subprocess_env(
            MELTANO_ENVIRONMENT=ENVIRONMENT,
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            MELTANO_CLI_DISABLE_VERSION_CHECK="true",
            # bookmarks in GCS, as in prod (here: the emulator, gone when the demo ends)
            MELTANO_STATE_BACKEND_URI=f"gs://{BUCKET}/meltano/state",
            TAP_LOOKER_ACTIVITY_BASE_URL=sim.base_url,
            TAP_LOOKER_ACTIVITY_CLIENT_ID=CLIENT_ID,
            TAP_LOOKER_ACTIVITY_CLIENT_SECRET=CLIENT_SECRET,
            TARGET_BIGQUERY_PROJECT=PROJECT,
            TARGET_BIGQUERY_DATASET=DATASET,
            TARGET_BIGQUERY_BUCKET=BUCKET,
            TARGET_BIGQUERY_LOCATION=LOCATION,
        )
        _say(f"meltano --environment={ENVIRONMENT} run {JOB}")
        meltano("run", JOB, env=env)

        table = f"{PROJECT}.{DATASET}.content_usage"
        (result,) = stack.bigquery.query(
            f"SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, "
            f"MAX(last_accessed_time) AS newest FROM `{table}`"
        )
        state = json.loads(meltano("state", "get", STATE_ID, env=env, capture=True))
        bookmarks = state.get("singer_state", {}).get("bookmarks", {})
        print()
        _say(f"{result['n']:,} rows in BigQuery table {table} ({result['ids']:,} distinct ids)")
        _say(f"newest last_accessed_time in BigQuery: {result['newest']}")
        _say(f"stored bookmark ({STATE_ID}, gs://{BUCKET}/meltano/state):")
        for stream, bookmark in sorted(bookmarks.items()):
            _say(
                f"  {stream}: {bookmark.get('replication_key')} = "
                f"{bookmark.get('replication_key_value')}"
            )
        if not bookmarks:
            raise SystemExit("demo-gcp: no bookmark was stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="Looker simulator port (0: free)")
    parser.add_argument("--rows", type=int, default=20_000, help="Content Usage rows")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    work_dir = Path(tempfile.mkdtemp(prefix="demo-gcp-"))
    try:
        run_demo(args, work_dir)
    except Interrupted as exc:
        raise SystemExit(f"demo-gcp: interrupted ({exc}); stopped everything it started") from None
    except EmulatorStartError as exc:
        first_line = str(exc).splitlines()[0]
        raise SystemExit(f"demo-gcp: an emulator did not start: {first_line}") from None
    except OSError as exc:
        raise SystemExit(f"demo-gcp: {exc}") from None
    finally:
        subprocess.run(["rm", "-rf", str(work_dir)], check=False)
    _say("stopped the simulator and the emulators")


if __name__ == "__main__":
    main()
