"""Processes the benchmark measures: the simulator, the tap, the floor; their own rusage.

Every measured program runs as its own process, started through ``rusage_exec.py`` (a ~10 MB
launcher, so that ``ru_maxrss`` is the program's own and not inherited from this script).
Its stdout goes to a tmpfs file that is counted afterwards, so no reader competes for CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import typing as t
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TAP = BIN / "tap-looker-activity"
FLOOR = Path(__file__).with_name("floor.py")
RUSAGE_EXEC = Path(__file__).with_name("rusage_exec.py")
CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the simulator's credential for this run
SEED = 42
RECORD_MARK = b'{"type":"RECORD","stream":"'

# Bytecode cache for every child, in the run's temp dir. This environment may set
# PYTHONDONTWRITEBYTECODE=1 and uv installs without .pyc files, so without it every process
# would compile looker-sdk, singer-sdk, ... from source at start (about 1.5 s per tap start),
# which no deployed tap pays. The first (untimed) --discover fills it.
_PYCACHE: list[Path] = []
_TAP_SOURCE: list[Path] = []


def use_bytecode_cache(path: Path) -> None:
    _PYCACHE[:] = [path]


def use_tap_at(ref: str, work: Path) -> None:
    """Run the tap package as committed at git ``ref`` (read-only ``git archive``), e.g.
    while the working tree's tap is being changed; its dependencies are the venv's."""
    dest = work / "tap-at-ref"
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "tap-looker-activity/tap_looker_activity"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {ref}: {archive.stderr.decode(errors='replace')[:200]}")
    tar_path = dest / "src.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    _TAP_SOURCE[:] = [dest / "tap-looker-activity"]


def base_env() -> dict[str, str]:
    """This environment minus any Looker settings, plus the shared bytecode cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "TAP_LOOKER"))}
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = ""  # empty = unset
    if _PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE[0])
    if _TAP_SOURCE:
        env["PYTHONPATH"] = str(_TAP_SOURCE[0])
    return env


def floor_env(base_url: str) -> dict[str, str]:
    return {
        **base_env(),
        "LOOKERSDK_BASE_URL": base_url,
        "LOOKERSDK_CLIENT_ID": CLIENT_ID,
        "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
        "LOOKERSDK_VERIFY_SSL": "false",
    }


def _sink_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs: writes never wait for a reader or a disk
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


# --- one measured process -------------------------------------------------------------------


@dataclass
class Run:
    """What one process cost, and what it wrote."""

    wall_s: float
    cpu_s: float
    maxrss_mb: float
    records: int
    records_by_stream: dict[str, int] = field(default_factory=dict)
    last_state: dict[str, t.Any] | None = None


class Proc:
    """A command started under ``rusage_exec.py``; ``finish()`` waits and counts its output.

    ``count_records``: count Singer RECORD messages per stream (the tap); otherwise lines.
    """

    def __init__(
        self,
        cmd: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log: Path,
        count_records: bool = True,
    ) -> None:
        self.cmd = cmd
        self.log = log
        self.count_records = count_records
        fd, out = tempfile.mkstemp(prefix="bench-sink-", suffix=".jsonl", dir=_sink_dir())
        os.close(fd)
        self.out_path = Path(out)
        fd, usage = tempfile.mkstemp(prefix="bench-rusage-", suffix=".json")
        os.close(fd)
        self.usage_path = Path(usage)
        with log.open("wb") as err, self.out_path.open("wb") as sink:
            self.popen = subprocess.Popen(
                [sys.executable, "-S", str(RUSAGE_EXEC), str(self.usage_path), *cmd],
                stdout=sink,
                stderr=err,
                env=env,
                cwd=cwd,
                start_new_session=True,  # its own process group: stop() ends the command too
            )

    def stop(self) -> None:
        """Kill the launcher and the command (its process group)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self.usage_path.unlink(missing_ok=True)
        self.out_path.unlink(missing_ok=True)

    def finish(self, timeout: float = 3600) -> Run:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(
                f"{Path(self.cmd[0]).name} did not finish in {timeout:.0f} s"
            ) from None
        try:
            usage = json.loads(self.usage_path.read_text())
            by_stream, lines, state = _count(self.out_path, records=self.count_records)
        finally:
            self.usage_path.unlink(missing_ok=True)
            self.out_path.unlink(missing_ok=True)
        if usage["returncode"] != 0:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-1:]
            msg = f"{Path(self.cmd[0]).name} exited {usage['returncode']}: " + " | ".join(tail)
            msg += f" (log: {self.log.name})"
            raise RuntimeError(msg)
        return Run(
            wall_s=usage["wall_s"],
            cpu_s=usage["cpu_s"],
            maxrss_mb=usage["maxrss_kib"] / 1024,  # KiB on Linux
            records=sum(by_stream.values()) if self.count_records else lines,
            records_by_stream=dict(by_stream),
            last_state=state,
        )


def measure(cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path, **kw: t.Any) -> Run:
    return Proc(cmd, env=env, cwd=cwd, log=log, **kw).finish()


def _count(path: Path, *, records: bool) -> tuple[Counter[str], int, dict[str, t.Any] | None]:
    """RECORD messages per stream, lines, and the last STATE value of a Singer stream."""
    by_stream: Counter[str] = Counter()
    lines = 0
    state: dict[str, t.Any] | None = None
    carry = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            block, carry = data[:cut], data[cut:]
            lines += block.count(b"\n")
            if not records:
                continue
            start = 0
            while (i := block.find(RECORD_MARK, start)) >= 0:
                j = block.index(b'"', i + len(RECORD_MARK))
                by_stream[block[i + len(RECORD_MARK) : j].decode()] += 1
                start = j
            k = block.rfind(b'{"type":"STATE"')
            if k >= 0:
                state = json.loads(block[k : block.index(b"\n", k)])["value"]
    return by_stream, lines, state


# --- the simulator --------------------------------------------------------------------------


class LatencyUnsupported(RuntimeError):
    """The installed looker-simulator has no query_delay / row_delay settings."""


class Simulator:
    """``looker-simulator`` CLI in its own process (its CPU is never the tap's).

    ``explores``: sizes of the System Activity explores besides content_usage (simulator
    explore names, e.g. ``scheduled_plan`` for the ``scheduled_job`` stream).
    """

    def __init__(self, work: Path, rows: int, explores: t.Mapping[str, int] | None = None) -> None:
        self.work = work
        self.rows = rows
        self.explores = dict(explores or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.name = f"sim-{rows}-{len(self.explores)}"

    def __enter__(self) -> Simulator:
        from looker_simulator import SimulatorClient

        port_file = self.work / f"{self.name}.port"
        port_file.unlink(missing_ok=True)
        cmd = [
            str(BIN / "looker-simulator"),
            *("--port", "0", "--port-file", str(port_file)),
            *("--rows", str(self.rows), "--seed", str(SEED), "--client-id", CLIENT_ID),
        ]
        if self.explores:
            cmd += ["--explores", ",".join(f"{k}={v}" for k, v in self.explores.items())]
        with (self.work / f"{self.name}.log").open("wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                env={**os.environ, "LOOKER_SIMULATOR_CLIENT_SECRET": CLIENT_SECRET},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 600
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                msg = f"looker-simulator did not start (see {self.name}.log)"
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

    def set_latency(self, query_delay: float, row_delay: float) -> None:
        """Seconds per query and per row returned (looker-simulator's realistic latency)."""
        try:
            self.client.configure(query_delay=query_delay, row_delay=row_delay)
        except Exception as exc:
            if query_delay == 0 and row_delay == 0:
                return  # an older simulator: no latency is what it does anyway
            msg = (
                "this looker-simulator cannot set query_delay/row_delay "
                f"({type(exc).__name__}: {str(exc)[:200]})"
            )
            raise LatencyUnsupported(msg) from exc

    def row_counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.client.health()["row_counts"].items()}

    def reset_stats(self) -> None:
        self.client.reset_stats()

    def stats(self) -> dict[str, t.Any]:
        stats: dict[str, t.Any] = self.client.stats()
        return stats


def api_summary(stats: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Request counts of a run, and queries per explore (from the simulator's query log)."""
    out: dict[str, t.Any] = {
        k: int(stats.get(k, 0)) for k in ("login", "explore", "query", "other", "logout", "total")
    }
    per_view = Counter(str(q.get("body", {}).get("view")) for q in stats.get("queries", []))
    out["query_by_explore"] = dict(sorted(per_view.items()))
    return out


# --- the tap --------------------------------------------------------------------------------


def tap_config(work: Path, base_url: str, page_size: int, name: str = "tap-config") -> Path:
    path = work / f"{name}-{page_size}.json"
    cfg = {
        "base_url": base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": page_size,
    }
    path.write_text(json.dumps(cfg))
    return path


def discover(work: Path, config: Path) -> dict[str, t.Any]:
    """The tap's catalog (``--discover``, untimed: also fills the bytecode cache)."""
    proc = subprocess.run(
        [str(TAP), "--config", str(config), "--discover"],
        capture_output=True,
        check=False,
        env=base_env(),
        cwd=work,
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError("tap-looker-activity --discover failed: " + " | ".join(tail))
    catalog: dict[str, t.Any] = json.loads(proc.stdout)
    return catalog


def select(catalog: dict[str, t.Any], streams: t.Collection[str], path: Path) -> Path:
    """Write ``catalog`` with exactly ``streams`` selected (all their properties)."""
    known = {s["tap_stream_id"] for s in catalog["streams"]}
    missing = sorted(set(streams) - known)
    if missing:
        raise RuntimeError(f"the tap did not discover stream(s) {', '.join(missing)}")
    out = json.loads(json.dumps(catalog))
    for stream in out["streams"]:
        chosen = stream["tap_stream_id"] in streams
        for entry in stream.get("metadata", []):
            entry["metadata"]["selected"] = chosen
    path.write_text(json.dumps(out))
    return path


def tap_cmd(config: Path, catalog: Path, *extra: str) -> list[str]:
    return [str(TAP), "--config", str(config), "--catalog", str(catalog), *extra]


# --- the machine ----------------------------------------------------------------------------


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    mem = next((ln.split()[1] for ln in sh("free", "-h").splitlines() if ln.startswith("Mem:")), "")
    return {
        "nproc": sh("nproc") or str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": load_avg(),
        "git": sh("git", "-C", str(ROOT), "describe", "--always", "--dirty"),
    }
