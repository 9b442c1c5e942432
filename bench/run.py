"""`make bench`: tap throughput, memory and API cost against the Looker simulator, with budgets.

Every figure is measured in this one run, on this machine:

* For 10k, 100k and 1M Content Usage rows (``--quick``: 10k and 100k), a simulator runs as its
  own process (its CLI), and each of these runs as its own process too, its stdout read and
  counted by this script:
    - ``tap``: the real ``tap-looker-activity`` executable, a full load (``content_usage``);
    - ``floor``: ``bench/floor.py``, the same pages (same fields, filters, sorts, limit,
      keyset ``filter_expression``) fetched with plain looker-sdk, json-decoded and written
      as JSON lines, no singer-sdk;
    - ``baseline`` (only with ``--baseline REF``): the tap's package as committed at REF.
  Wall time, CPU time and peak RSS come from ``os.wait4`` on that one process, so they are
  the tap's own (never the simulator's, never this script's). Runs alternate
  tap/floor/baseline and the best wall time of ``--reps`` runs is kept (the machine is shared).
* Looker API calls (simulator ``stats()``) of a full load, and of an incremental run from the
  full load's final STATE with nothing new.
* A pyinstrument profile of the tap at 100k rows (top frames by self time).
* End to end (not with ``--quick``): ``meltano run looker-to-bigquery`` in ``local-gcp``
  through the GCS and BigQuery emulators for 100k rows, against the floor: the floor fetch
  written as NDJSON, gzipped, uploaded to GCS, and one BigQuery load job from gs://.

Results: a table on stdout, ``bench/results/latest.json`` and ``bench/results/latest.md``.
Budgets are printed PASS/FAIL; the exit code is 0 unless a run failed (a missed budget is
a finding, not a crash), or 1 with ``--strict`` when a budget is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import typing as t
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS_DIR = ROOT / "bench" / "results"
FLOOR = ROOT / "bench" / "floor.py"
RUSAGE_EXEC = ROOT / "bench" / "rusage_exec.py"
STREAM = "content_usage"
CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the simulator's credential for this run
SEED = 42
PAGE_SIZE = 5000  # the tap's default
E2E_ROWS = 100_000
RECORD_MARK = b'{"type":"RECORD"'
MSGSPEC_TAP = (
    "import sys; from singer_sdk.contrib.msgspec import MsgSpecWriter; "
    "from tap_looker_activity.tap import TapLookerActivity, main; "
    "TapLookerActivity.message_writer_class = MsgSpecWriter; "
    "sys.argv[0] = 'tap-looker-activity'; main()"
)

# Budgets (issue #6).
MIN_THROUGHPUT_RATIO = 0.80  # tap records/s >= 80 % of the floor's
MAX_RSS_MB = 200.0  # peak RSS of the tap at 1M rows
MAX_RSS_SPREAD = 0.20  # "flat": (max - min) / min across sizes
MAX_E2E_RATIO = 2.0  # meltano run within 2x the floor
STATUS = {True: "PASS", False: "FAIL", None: "SKIP"}


# --- processes ------------------------------------------------------------------------------


@dataclass
class Run:
    """One measured process."""

    wall_s: float
    cpu_s: float
    maxrss_mb: float
    records: int
    returncode: int
    last_state: dict[str, t.Any] | None = None
    api: dict[str, int] = field(default_factory=dict)


def _sink_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs: writes never wait for a reader or a disk
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def measure(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    count: bytes | None = RECORD_MARK,
    stdout_file: Path | None = None,
) -> Run:
    """Run ``cmd`` with stdout to a file; take its own rusage; count its output afterwards.

    The sink is a tmpfs file, so the measured process never waits for a reader and no
    reader competes with it for CPU. ``count``: occurrences to count, or None for lines.
    """
    keep = stdout_file is not None
    out_path = stdout_file or Path(
        tempfile.mkstemp(prefix="bench-sink-", suffix=".jsonl", dir=_sink_dir())[1]
    )
    usage_path = Path(tempfile.mkstemp(prefix="bench-rusage-", suffix=".json")[1])
    with log.open("wb") as err, out_path.open("wb") as out:
        # Through a small launcher: the figures are the command's own (see rusage_exec.py).
        subprocess.run(
            [sys.executable, "-S", str(RUSAGE_EXEC), str(usage_path), *cmd],
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            check=False,
        )
    usage = json.loads(usage_path.read_text())
    usage_path.unlink()
    n, carry, tail = 0, b"", b""
    with out_path.open("rb") as f:
        while chunk := f.read(1 << 22):
            if count:
                data = carry + chunk
                n += data.count(count)
                carry = data[-(len(count) - 1) :]
            else:
                n += chunk.count(b"\n")
            tail = (tail + chunk)[-(1 << 16) :]
    if not keep:
        out_path.unlink()
    state = None
    for line in reversed(tail.splitlines()):
        if line.startswith(b'{"type":"STATE"'):
            state = json.loads(line)["value"]
            break
    if usage["returncode"] != 0:
        msg = f"{cmd[0]} exited {usage['returncode']}: {log.read_text(errors='replace')[-3000:]}"
        raise RuntimeError(msg)
    return Run(
        wall_s=usage["wall_s"],
        cpu_s=usage["cpu_s"],
        maxrss_mb=usage["maxrss_kib"] / 1024,  # KiB on Linux
        records=n,
        returncode=usage["returncode"],
        last_state=state,
    )


class Simulator:
    """``looker-simulator`` CLI in its own process (its CPU is never the tap's)."""

    def __init__(self, rows: int, work: Path) -> None:
        self.rows = rows
        self.work = work
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def __enter__(self) -> Simulator:
        from looker_simulator import SimulatorClient

        port_file = self.work / f"sim-{self.rows}.port"
        port_file.unlink(missing_ok=True)
        log = (self.work / f"sim-{self.rows}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(BIN / "looker-simulator"),
                *("--port", "0", "--port-file", str(port_file)),
                *("--rows", str(self.rows), "--seed", str(SEED), "--client-id", CLIENT_ID),
            ],
            env={**os.environ, "LOOKER_SIMULATOR_CLIENT_SECRET": CLIENT_SECRET},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                msg = f"looker-simulator did not start (see {log.name})"
                raise RuntimeError(msg)
            time.sleep(0.1)
        self.base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        self.client = SimulatorClient(self.base_url, timeout=120)
        self.client.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api_calls(self) -> dict[str, t.Any]:
        return self.client.stats()


def api_summary(stats: dict[str, t.Any]) -> dict[str, int]:
    return {k: int(stats.get(k, 0)) for k in ("login", "explore", "query", "logout", "total")}


# --- the three programs ---------------------------------------------------------------------


# Bytecode cache for every child, in the run's temp dir. This dev environment may set
# PYTHONDONTWRITEBYTECODE=1 and uv installs without .pyc files, so without it every process
# would compile looker-sdk, singer-sdk, ... from source at start (about 1.5 s per tap start,
# 0.5 s per floor start), which no deployed tap pays. The first (untimed) --discover fills it.
PYCACHE: Path | None = None


def base_env(base: t.Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("LOOKERSDK_", "TAP_LOOKER"))
    }
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = ""  # empty = unset, also through meltano's env merge
    if PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def tap_config(work: Path, base_url: str) -> Path:
    path = work / "tap-config.json"
    cfg = {
        "base_url": base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": PAGE_SIZE,
    }
    path.write_text(json.dumps(cfg))
    return path


def discover_catalog(work: Path, config: Path) -> Path:
    """The tap's catalog with only ``content_usage`` selected (other streams may exist)."""
    proc = subprocess.run(
        [str(BIN / "tap-looker-activity"), "--config", str(config), "--discover"],
        capture_output=True,
        check=True,
        env=base_env(),
        cwd=work,
    )
    catalog = json.loads(proc.stdout)
    for stream in catalog["streams"]:
        selected = stream["tap_stream_id"] == STREAM
        for entry in stream.get("metadata", []):
            entry["metadata"]["selected"] = selected
    if not any(s["tap_stream_id"] == STREAM for s in catalog["streams"]):
        msg = f"the tap did not discover {STREAM}"
        raise RuntimeError(msg)
    path = work / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def export_baseline(ref: str, work: Path) -> Path:
    """The tap package as committed at ``ref`` (read-only ``git archive``), for PYTHONPATH."""
    dest = work / f"baseline-{ref.replace('/', '_')}"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "tap-looker-activity/tap_looker_activity"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    tar_path = dest / "src.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    return dest / "tap-looker-activity"


# --- per size -------------------------------------------------------------------------------


@dataclass
class SizeResult:
    rows: int
    runs: dict[str, list[Run]]
    full_load_api: dict[str, int]
    incremental_api: dict[str, int]
    incremental_records: int
    expected_max_queries: int
    profile: dict[str, str] | None = None
    floor_same_queries: bool = False

    def best(self, name: str) -> Run:
        return min(self.runs[name], key=lambda r: r.wall_s)

    def peak_rss(self, name: str) -> float:
        return max(r.maxrss_mb for r in self.runs[name])


def bench_size(
    rows: int,
    reps: int,
    work: Path,
    out: Path,
    *,
    baseline: Path | None,
    profile: bool,
    msgspec_path: Path | None = None,
) -> SizeResult:
    log_dir = work / "logs"
    log_dir.mkdir(exist_ok=True)
    with Simulator(rows, work) as sim:
        config = tap_config(work, sim.base_url)
        catalog = discover_catalog(work, config)
        tap_args = ["--config", str(config), "--catalog", str(catalog)]
        programs: dict[str, tuple[list[str], dict[str, str], bytes | None]] = {
            "tap": ([str(BIN / "tap-looker-activity"), *tap_args], base_env(), RECORD_MARK),
            "floor": (
                [sys.executable, str(FLOOR), "--query", str(work / "query.json")],
                {
                    **base_env(),
                    "LOOKERSDK_BASE_URL": sim.base_url,
                    "LOOKERSDK_CLIENT_ID": CLIENT_ID,
                    "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
                    "LOOKERSDK_VERIFY_SSL": "false",
                },
                None,
            ),
        }
        if baseline:
            programs["baseline"] = (
                [sys.executable, "-m", "tap_looker_activity", *tap_args],
                {**base_env(), "PYTHONPATH": str(baseline)},
                RECORD_MARK,
            )
        if msgspec_path:
            # Experiment: singer-sdk's msgspec message writer (needs the singer-sdk[msgspec]
            # extra, which the tap does not ship) on the current tap.
            programs["tap+msgspec"] = (
                [sys.executable, "-c", MSGSPEC_TAP, *tap_args],
                {**base_env(), "PYTHONPATH": str(msgspec_path)},
                RECORD_MARK,
            )
        runs: dict[str, list[Run]] = {name: [] for name in programs}
        full_load_api: dict[str, int] = {}
        state: dict[str, t.Any] | None = None
        tap_bodies: list[t.Any] = []
        floor_same_queries = False
        for rep in range(reps):
            for name, (cmd, env, count) in programs.items():
                sim.client.reset_stats()
                run = measure(
                    cmd, env=env, cwd=work, log=log_dir / f"{name}-{rows}-{rep}.log", count=count
                )
                stats = sim.api_calls()
                run.api = api_summary(stats)
                if run.records != rows:
                    msg = f"{name} at {rows} rows emitted {run.records} records"
                    raise RuntimeError(msg)
                bodies = [q["body"] for q in stats["queries"]]
                if name == "tap" and rep == 0:
                    full_load_api, state, tap_bodies = run.api, run.last_state, bodies
                    # The floor sends exactly the tap's query (fields, filters, sorts, ...).
                    (work / "query.json").write_text(json.dumps(bodies[0]))
                elif name == "floor" and rep == 0:
                    floor_same_queries = bodies == tap_bodies
                    if not floor_same_queries:
                        print("  WARNING: the floor's queries differ from the tap's", flush=True)
                runs[name].append(run)
                print(
                    f"  {rows:>9,} rows  {name:<8} rep {rep + 1}/{reps}: {run.wall_s:7.2f} s wall"
                    f"  {run.cpu_s:7.2f} s cpu  {run.maxrss_mb:6.1f} MB"
                    f"  {run.api.get('query')} queries",
                    flush=True,
                )
        # Incremental run from the full load's final STATE: nothing new since.
        state_path = work / "state.json"
        state_path.write_text(json.dumps(state))
        sim.client.reset_stats()
        inc = measure(
            [str(BIN / "tap-looker-activity"), *tap_args, "--state", str(state_path)],
            env=base_env(),
            cwd=work,
            log=log_dir / f"tap-incremental-{rows}.log",
        )
        inc_api = api_summary(sim.api_calls())
        print(
            f"  {rows:>9,} rows  incremental: {inc.records} records (boundary second), "
            f"{inc_api['query']} queries, {inc_api['login']} login",
            flush=True,
        )
        prof = run_profile(work, tap_args, rows, out) if profile else None
    return SizeResult(
        rows=rows,
        runs=runs,
        full_load_api=full_load_api,
        incremental_api=inc_api,
        incremental_records=inc.records,
        expected_max_queries=math.ceil(rows / PAGE_SIZE) + 1,
        profile=prof,
        floor_same_queries=floor_same_queries,
    )


def run_profile(work: Path, tap_args: list[str], rows: int, out: Path) -> dict[str, str]:
    """pyinstrument over the real tap entry point; flat self-time and the call tree."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session_path = work / f"tap-{rows}.pyisession"
    cmd = [
        sys.executable,
        *("-m", "pyinstrument", "-r", "pyisession", "-o", str(session_path)),
        *("-m", "tap_looker_activity", *tap_args),
    ]
    measure(cmd, env=base_env(), cwd=work, log=work / "logs" / f"profile-{rows}.log")
    session = Session.load(str(session_path))
    tree = ConsoleRenderer(unicode=True, processor_options={"filter_threshold": 0.01}).render(
        session
    )
    flat = flat_self_times(session.root_frame(), session.duration)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"profile-tap-{rows}.txt").write_text(tree + "\n\nTop frames by self time:\n" + flat)
    return {"flat_top": "\n".join(flat.splitlines()[:30]), "file": f"profile-tap-{rows}.txt"}


def flat_self_times(root: t.Any, duration: float) -> str:
    """Self time per function (pyinstrument's "[self]" leaves credited to their caller)."""
    totals: dict[tuple[str, str], float] = {}

    def walk(frame: t.Any, caller: tuple[str, str]) -> None:
        if frame.function == "[self]" or frame.is_synthetic:
            totals[caller] = totals.get(caller, 0.0) + frame.time
            return
        key = (frame.function, f"{frame.file_path_short}:{frame.line_no}")
        totals[key] = totals.get(key, 0.0) + frame.time - sum(c.time for c in frame.children)
        for child in frame.children:
            walk(child, key)

    if root is not None:
        walk(root, ("<root>", ""))
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    return "\n".join(
        f"{secs:7.3f} s {secs / duration:6.1%}  {fn}  {where}"
        for (fn, where), secs in rows[:60]
        if secs > 0
    )


# --- end to end -----------------------------------------------------------------------------


@dataclass
class E2EResult:
    rows: int
    meltano_s: float
    meltano_rows: int
    meltano_api: dict[str, int]
    floor_fetch_s: float
    floor_gzip_s: float
    floor_upload_s: float
    floor_load_s: float
    floor_rows: int
    ndjson_mb: float
    gzip_mb: float
    meltano_phases: dict[str, float] = field(default_factory=dict)

    @property
    def floor_s(self) -> float:
        return self.floor_fetch_s + self.floor_gzip_s + self.floor_upload_s + self.floor_load_s


BQ_TYPES = {"integer": "INT64", "number": "FLOAT64", "boolean": "BOOL"}


def _bq_schema(catalog: Path) -> list[t.Any]:
    from google.cloud import bigquery

    stream = next(
        s for s in json.loads(catalog.read_text())["streams"] if s["tap_stream_id"] == STREAM
    )
    fields = []
    for name, prop in stream["schema"]["properties"].items():
        kind = next(x for x in prop["type"] if x != "null")
        fmt = prop.get("format")
        bq = {"date-time": "TIMESTAMP", "date": "DATE"}.get(fmt or "", BQ_TYPES.get(kind, "STRING"))
        fields.append(bigquery.SchemaField(name, bq))
    return fields


def meltano_phases(log: str) -> dict[str, float]:
    """Where ``meltano run`` spent its time, from its log's timestamps (seconds)."""

    def stamp(line: str) -> float:
        return dt.datetime.fromisoformat(line[:26]).timestamp()

    lines = [ln for ln in log.splitlines() if ln[:2] == "20" and len(ln) > 27]
    if not lines:
        return {}
    start, end = stamp(lines[0]), stamp(lines[-1])
    marks: dict[str, float] = {}
    for ln in lines:
        if '"metric":"sync_duration"' in ln and "tap-looker-activity" in ln:
            marks["tap_end"] = stamp(ln)
            duration = json.loads(ln[ln.index("METRIC: ") + 8 :])["value"]
            marks["tap_start"] = marks["tap_end"] - float(duration)
        elif "completed reading" in ln and "target-bigquery" in ln:
            marks["target_read"] = stamp(ln)
        elif "Emitting completed target state" in ln:
            marks["target_done"] = stamp(ln)
    if len(marks) < 4:
        return {}
    return {
        "meltano_start_discovery_and_tap_startup": marks["tap_start"] - start,
        "tap_sync": marks["tap_end"] - marks["tap_start"],
        "target_after_tap_end (incl. z3 built-in sleeps)": marks["target_read"] - marks["tap_end"],
        "target_load_and_merge": marks["target_done"] - marks["target_read"],
        "meltano_state_and_exit": end - marks["target_done"],
    }


def bench_e2e(rows: int, work: Path, out: Path) -> E2EResult:
    sys.path.insert(0, str(ROOT))
    from google.cloud import bigquery

    from tests.harness import EmulatorStack
    from tests.meltano_cli import MeltanoProject

    e2e = work / "e2e"
    e2e.mkdir(exist_ok=True)
    with EmulatorStack(e2e / "emulators") as stack, Simulator(rows, e2e) as sim:
        config = tap_config(e2e, sim.base_url)
        catalog = discover_catalog(e2e, config)
        bq = stack.bigquery.client()

        # meltano run looker-to-bigquery (production path: GCS staging, load, MERGE).
        dataset, bucket = stack.new_name("bench"), stack.new_name("bench-staging").replace("_", "-")
        stack.bigquery.create_dataset(dataset)
        stack.gcs.create_bucket(bucket)
        env = stack.subprocess_env(
            base_env(),
            TAP_LOOKER_ACTIVITY_BASE_URL=sim.base_url,
            TAP_LOOKER_ACTIVITY_CLIENT_ID=CLIENT_ID,
            TAP_LOOKER_ACTIVITY_CLIENT_SECRET=CLIENT_SECRET,
            TAP_LOOKER_ACTIVITY__SELECT=json.dumps([f"{STREAM}.*"]),
            TARGET_BIGQUERY_PROJECT=stack.project,
            TARGET_BIGQUERY_DATASET=dataset,
            TARGET_BIGQUERY_BUCKET=bucket,
        )
        project = MeltanoProject(ROOT, e2e / "state")
        for plugin in ("tap-looker-activity", "target-bigquery"):  # warm the bytecode cache
            project.run("invoke", plugin, "--about", environment="local-gcp", env=env)
        sim.client.reset_stats()
        print(f"  e2e: meltano run looker-to-bigquery, {rows:,} rows ...", flush=True)
        t0 = time.perf_counter()
        # Own state id: other checkouts' tests may be running the same job on this machine.
        proc = project.run(
            "run",
            "--state-id-suffix",
            f"bench-{os.getpid()}",
            "looker-to-bigquery",
            environment="local-gcp",
            env=env,
        )
        meltano_s = time.perf_counter() - t0
        out.mkdir(parents=True, exist_ok=True)
        (out / "e2e-meltano.log").write_text(proc.stderr.replace(CLIENT_SECRET, "***"))
        phases = meltano_phases(proc.stderr)
        meltano_api = api_summary(sim.api_calls())
        table = f"{stack.project}.{dataset}.{STREAM}"
        meltano_rows = next(iter(bq.query(f"SELECT COUNT(*) AS n FROM `{table}`").result()))["n"]
        print(f"  e2e: meltano {meltano_s:.1f} s, {meltano_rows:,} rows in BigQuery", flush=True)

        # Floor: plain fetch -> NDJSON -> gzip -> GCS -> one load job from gs://.
        ndjson = e2e / f"{STREAM}.jsonl"
        first_query = {
            "model": "system__activity",
            "view": STREAM,
            "fields": [f"{STREAM}.{f.name}" for f in _bq_schema(catalog)],
            "filters": {f"{STREAM}.last_accessed_time": "NOT NULL"},
            "sorts": [f"{STREAM}.last_accessed_time", f"{STREAM}.id"],
            "limit": str(PAGE_SIZE),
            "query_timezone": "UTC",
        }
        (e2e / "query.json").write_text(json.dumps(first_query))
        fetch = measure(
            [sys.executable, str(FLOOR), "--query", str(e2e / "query.json"), "--bare-names"],
            env={
                **base_env(),
                "LOOKERSDK_BASE_URL": sim.base_url,
                "LOOKERSDK_CLIENT_ID": CLIENT_ID,
                "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
                "LOOKERSDK_VERIFY_SSL": "false",
            },
            cwd=e2e,
            log=e2e / "floor-fetch.log",
            count=None,
            stdout_file=ndjson,
        )
        t0 = time.perf_counter()
        gz = ndjson.with_suffix(".jsonl.gz")
        with ndjson.open("rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        gzip_s = time.perf_counter() - t0

        floor_bucket = stack.new_name("bench-floor").replace("_", "-")
        stack.gcs.create_bucket(floor_bucket)
        t0 = time.perf_counter()
        blob = stack.gcs.client().bucket(floor_bucket).blob(f"{STREAM}/{gz.name}")
        blob.upload_from_filename(str(gz), content_type="application/gzip")
        upload_s = time.perf_counter() - t0

        floor_dataset = stack.new_name("bench_floor")
        stack.bigquery.create_dataset(floor_dataset)
        floor_table = f"{stack.project}.{floor_dataset}.{STREAM}"
        t0 = time.perf_counter()
        job = bq.load_table_from_uri(
            f"gs://{floor_bucket}/{STREAM}/{gz.name}",
            floor_table,
            job_config=bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                schema=_bq_schema(catalog),
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            ),
        )
        job.result(timeout=600)
        load_s = time.perf_counter() - t0
        floor_rows = next(iter(bq.query(f"SELECT COUNT(*) AS n FROM `{floor_table}`").result()))[
            "n"
        ]
        print(
            f"  e2e: floor fetch {fetch.wall_s:.1f} s + gzip {gzip_s:.1f} s + upload "
            f"{upload_s:.1f} s + load {load_s:.1f} s, {floor_rows:,} rows in BigQuery",
            flush=True,
        )
        return E2EResult(
            rows=rows,
            meltano_s=meltano_s,
            meltano_rows=int(meltano_rows),
            meltano_api=meltano_api,
            floor_fetch_s=fetch.wall_s,
            floor_gzip_s=gzip_s,
            floor_upload_s=upload_s,
            floor_load_s=load_s,
            floor_rows=int(floor_rows),
            ndjson_mb=ndjson.stat().st_size / 1e6,
            gzip_mb=gz.stat().st_size / 1e6,
            meltano_phases=phases,
        )


# --- report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    return {
        "nproc": sh("nproc") or str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "memory": next((ln for ln in sh("free", "-h").splitlines() if ln.startswith("Mem:")), ""),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "git": sh("git", "-C", str(ROOT), "describe", "--always", "--dirty"),
    }


def budgets(sizes: list[SizeResult], e2e: E2EResult | None) -> list[dict[str, t.Any]]:
    out: list[dict[str, t.Any]] = []

    def add(name: str, ok: bool | None, measured: str) -> None:
        out.append({"budget": name, "pass": ok, "measured": measured})

    for s in sizes:
        ratio = s.best("floor").wall_s / s.best("tap").wall_s
        add(
            f"throughput {s.rows:,} rows: tap >= 80% of floor",
            ratio >= MIN_THROUGHPUT_RATIO,
            f"{ratio:.0%}",
        )
    by_size = {s.rows: s.peak_rss("tap") for s in sizes}
    top = max(sizes, key=lambda s: s.rows)
    peak = by_size[top.rows]
    add(
        f"peak RSS at {top.rows:,} rows < {MAX_RSS_MB:.0f} MB",
        peak < MAX_RSS_MB if top.rows >= 1_000_000 else None,
        f"{peak:.0f} MB" + ("" if top.rows >= 1_000_000 else " (1M not run)"),
    )
    spread = (max(by_size.values()) - min(by_size.values())) / min(by_size.values())
    add(
        "peak RSS flat across sizes (spread <= 20%)",
        spread <= MAX_RSS_SPREAD,
        ", ".join(f"{v:.0f}" for v in by_size.values()) + f" MB (spread {spread:.0%})",
    )
    for s in sizes:
        q, login = s.incremental_api["query"], s.incremental_api["login"]
        add(
            f"incremental, nothing new, {s.rows:,} rows: 1 query (+1 login)",
            q == 1 and login == 1,
            f"{q} query, {login} login",
        )
    for s in sizes:
        q = s.full_load_api["query"]
        add(
            f"full load {s.rows:,} rows: <= ceil(N/{PAGE_SIZE}) + 1 = "
            f"{s.expected_max_queries} queries",
            q <= s.expected_max_queries,
            f"{q} queries",
        )
    if e2e:
        ratio = e2e.meltano_s / e2e.floor_s
        add(
            f"end to end {e2e.rows:,} rows: meltano run <= 2x floor",
            ratio <= MAX_E2E_RATIO and e2e.meltano_rows == e2e.rows,
            f"{ratio:.2f}x ({e2e.meltano_s:.1f} s vs {e2e.floor_s:.1f} s)",
        )
    return out


def tables(sizes: list[SizeResult], e2e: E2EResult | None, checks: list[dict[str, t.Any]]) -> str:
    names = list(sizes[0].runs)
    lines = [
        "| rows | program | wall s (best) | records/s | CPU s | peak RSS MB | tap/floor "
        "| queries |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        floor = s.best("floor").wall_s
        for name in names:
            best = s.best(name)
            ratio = floor / best.wall_s
            lines.append(
                f"| {s.rows:,} | {name} | {best.wall_s:.2f} | {s.rows / best.wall_s:,.0f} | "
                f"{best.cpu_s:.2f} | {s.peak_rss(name):.0f} | {ratio:.0%} | "
                f"{best.api.get('query')} |"
            )
    lines += [
        "",
        "| rows | full load: login / explore / query | expected max queries "
        "| incremental (nothing new): login / query | records re-emitted |",
        "|---:|---|---:|---|---:|",
    ]
    for s in sizes:
        f, i = s.full_load_api, s.incremental_api
        lines.append(
            f"| {s.rows:,} | {f['login']} / {f['explore']} / {f['query']} | "
            f"{s.expected_max_queries} | "
            f"{i['login']} / {i['query']} | {s.incremental_records} |"
        )
    if e2e:
        lines += [
            "",
            "| end to end | seconds | rows in BigQuery |",
            "|---|---:|---:|",
            f"| meltano run looker-to-bigquery ({e2e.rows:,} rows) | {e2e.meltano_s:.1f} | "
            f"{e2e.meltano_rows:,} |",
            f"| floor total | {e2e.floor_s:.1f} | {e2e.floor_rows:,} |",
            f"| floor: fetch (plain looker-sdk, NDJSON {e2e.ndjson_mb:.0f} MB) | "
            f"{e2e.floor_fetch_s:.1f} | |",
            f"| floor: gzip ({e2e.gzip_mb:.1f} MB) | {e2e.floor_gzip_s:.1f} | |",
            f"| floor: upload to GCS | {e2e.floor_upload_s:.1f} | |",
            f"| floor: one BigQuery load job from gs:// | {e2e.floor_load_s:.1f} | |",
            f"| ratio | {e2e.meltano_s / e2e.floor_s:.2f}x | |",
        ]
        lines += [
            f"| meltano phase: {name.replace('_', ' ')} | {secs:.1f} | |"
            for name, secs in e2e.meltano_phases.items()
        ]
    lines += ["", "| budget | measured | result |", "|---|---|---|"]
    lines += [f"| {c['budget']} | {c['measured']} | {STATUS[c['pass']]} |" for c in checks]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="10k and 100k rows only, no end to end"
    )
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument(
        "--reps", type=int, default=3, help="runs per program below 1M rows (best kept)"
    )
    parser.add_argument("--reps-1m", type=int, default=2, help="runs per program at 1M rows")
    parser.add_argument("--e2e-rows", type=int, default=E2E_ROWS, help="rows end to end")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end comparison")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile")
    parser.add_argument(
        "--baseline", metavar="REF", help="also time the tap package as committed at git REF"
    )
    parser.add_argument(
        "--msgspec-path",
        type=Path,
        metavar="DIR",
        help="experiment: also time the tap with singer-sdk's MsgSpecWriter, msgspec from DIR "
        "(uv pip install --target DIR msgspec)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    args = parser.parse_args()

    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    started = time.perf_counter()
    info = machine()
    print(
        f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, "
        f"load {info['load_avg_at_start']}"
    )
    global PYCACHE
    with tempfile.TemporaryDirectory(prefix="tap-bench-") as tmp:
        work = Path(tmp)
        PYCACHE = work / "pycache"
        baseline = export_baseline(args.baseline, work) if args.baseline else None
        results = []
        for rows in sizes:
            reps = args.reps_1m if rows >= 1_000_000 else args.reps
            print(f"{rows:,} rows ({reps} runs each):", flush=True)
            profile = not args.no_profile and rows == 100_000
            results.append(
                bench_size(
                    rows,
                    reps,
                    work,
                    args.out,
                    baseline=baseline,
                    profile=profile,
                    msgspec_path=args.msgspec_path,
                )
            )
        e2e, e2e_error = None, None
        if not (args.quick or args.no_e2e):
            try:
                e2e = bench_e2e(args.e2e_rows, work, args.out)
            except Exception as exc:  # keep the figures measured so far
                e2e_error = f"{type(exc).__name__}: {str(exc)[-2000:]}"
                print(f"  e2e failed: {e2e_error}", flush=True)
    checks = budgets(results, e2e)
    if args.quick or args.no_e2e:
        checks.append(
            {
                "budget": "end to end: meltano run <= 2x floor",
                "pass": None,
                "measured": "not run (--quick / --no-e2e)",
            }
        )
    if e2e_error:
        checks.append(
            {
                "budget": "end to end: meltano run <= 2x floor",
                "pass": False,
                "measured": "not measured: " + e2e_error.splitlines()[0][:200],
            }
        )
    report = tables(results, e2e, checks)
    elapsed = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 1),
        "mode": "quick" if args.quick else "full",
        "machine": {**info, "load_avg_at_end": " ".join(f"{x:.2f}" for x in os.getloadavg())},
        "page_size": PAGE_SIZE,
        "baseline_ref": args.baseline,
        "sizes": [
            {
                "rows": s.rows,
                "runs": {
                    k: [asdict(r) | {"last_state": None} for r in v] for k, v in s.runs.items()
                },
                "best": {
                    k: {
                        "wall_s": s.best(k).wall_s,
                        "records_per_s": s.rows / s.best(k).wall_s,
                        "cpu_s": s.best(k).cpu_s,
                        "peak_rss_mb": s.peak_rss(k),
                    }
                    for k in s.runs
                },
                "tap_floor_ratio": s.best("floor").wall_s / s.best("tap").wall_s,
                "full_load_api": s.full_load_api,
                "incremental_api": s.incremental_api,
                "incremental_records": s.incremental_records,
                "expected_max_queries": s.expected_max_queries,
                "floor_sent_the_tap_queries": s.floor_same_queries,
                "profile": s.profile,
            }
            for s in results
        ],
        "e2e": asdict(e2e) | {"floor_s": e2e.floor_s, "ratio": e2e.meltano_s / e2e.floor_s}
        if e2e
        else None,
        "e2e_error": e2e_error,
        "budgets": checks,
    }
    (args.out / "latest.json").write_text(json.dumps(payload, indent=2) + "\n")
    md = [
        f"# Benchmark results ({payload['mode']}, {payload['generated']})",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, "
        f"Python {info['python']}, "
        f"load average at start {info['load_avg_at_start']}; git {info['git']}; "
        f"page_size {PAGE_SIZE}; {elapsed / 60:.1f} min. Regenerate with `make bench`.",
        "",
        report,
    ]
    for s in results:
        if s.profile:
            md += [
                "",
                f"## Profile: tap at {s.rows:,} rows, top frames by self time (pyinstrument)",
                "",
                "```",
                s.profile["flat_top"],
                "```",
                "",
                f"Full call tree: `bench/results/{s.profile['file']}`.",
            ]
    (args.out / "latest.md").write_text("\n".join(md) + "\n")

    print()
    print(report)
    print()
    for c in checks:
        print(f"{STATUS[c['pass']]}  {c['budget']}: {c['measured']}")
    print(
        f"\nwritten: {args.out / 'latest.json'}, {args.out / 'latest.md'} ({elapsed / 60:.1f} min)"
    )
    return 1 if args.strict and any(c["pass"] is False for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
