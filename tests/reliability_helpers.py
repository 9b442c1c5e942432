"""Shared pieces of the reliability tests (tests/test_reliability_*.py).

- ``IsolatedMeltano``: a ``MeltanoProject`` (its own system dir and state, see
  tests/meltano_cli.py) under one base dir, optionally on a variant ``meltano.yml``; a
  ``kill -9`` leaves a RUNNING job behind for 5 minutes in that test's system db only.
- ``start`` / ``kill_group``: ``meltano run`` in its own process group, killed with SIGKILL
  as a whole (meltano, tap, gate, target), at points chosen by watching logs, GCS or state.
- ``stored_bookmark`` / ``assert_bookmark_not_ahead``: the invariant of issue #5, "Meltano
  never stores a bookmark ahead of what BigQuery holds".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from google.api_core.exceptions import NotFound

from tests.conftest import REPO_ROOT
from tests.meltano_cli import MELTANO, MeltanoProject
from tests.pipeline import truth_rows

if t.TYPE_CHECKING:
    from looker_simulator import LookerSimulator

    from tests.harness import EmulatorStack

STATE_ID = "local-gcp:tap-looker-activity-to-target-bigquery"
TARGET_VENV = REPO_ROOT / ".meltano" / "loaders" / "target-bigquery" / "venv"
# Lines of z3-target-bigquery 0.7.2 (through meltano, prefixed with the plugin name).
LOADING_LINE = "Loading data into BigQuery from GCS stage"
STATE_EMITTED_LINE = "Emitting completed target state"


@dataclass
class IsolatedMeltano(MeltanoProject):
    """``meltano`` on the repository's project (or a variant of it), started and killed."""

    project_dir: Path | None = None  # a different meltano.yml (see write_variant_project)

    @classmethod
    def create(cls, base: Path, *, project_dir: Path | None = None) -> IsolatedMeltano:
        return cls(
            root=project_dir or REPO_ROOT,
            state_dir=base / "state",
            sys_dir=base / "sys" / ".meltano",
            project_dir=project_dir,
        )

    def start(
        self, *args: str, environment: str, env: t.Mapping[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        """``meltano ARGS`` in its own process group, all output to ``log``."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(MELTANO), *args],
                cwd=self.root,
                env=self.env(environment, env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stored_state(self, state_id: str = STATE_ID) -> dict[str, t.Any] | None:
        """The state file of the ``file://`` backend, as Meltano wrote it, or None."""
        path = self.state_dir / state_id / "state.json"
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def stored_bookmark(self, stream: str = "content_usage") -> dt.datetime | None:
        """The completed bookmark Meltano would hand the next run (no partial state)."""
        state = self.stored_state()
        if state is None:
            return None
        assert not state.get("partial"), f"unexpected partial state: {state}"
        value = state["completed"]["singer_state"]["bookmarks"][stream]["replication_key_value"]
        return dt.datetime.fromisoformat(value)


def kill_group(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGKILL the whole process group (meltano, tap, gate, target) and check it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)
    wait_for(lambda: not group_alive(proc.pid), timeout=10, what="the killed group to exit")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return any(_pgid_of(pid) == pgid and not _is_zombie(pid) for pid in _pids())


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _pgid_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def wait_for(
    predicate: t.Callable[[], t.Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> t.Any:
    """Poll until ``predicate()`` is truthy; fail naming ``what`` (and the log tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(interval)
    tail = log.read_text(errors="replace")[-4000:] if log else ""
    exited = f" (meltano exited {proc.returncode})" if proc and proc.poll() is not None else ""
    msg = f"timed out waiting for {what}{exited}\n{tail}"
    raise AssertionError(msg)


def log_has(log: Path, text: str) -> bool:
    try:
        return text in log.read_text(errors="replace")
    except FileNotFoundError:
        return False


def loaded_rows(stack: EmulatorStack, dataset: str) -> dict[int, dict[str, t.Any]]:
    """content_usage rows in BigQuery by id ({} when the table does not exist yet)."""
    table = f"{stack.project}.{dataset}.content_usage"
    try:
        result = stack.bigquery.client().query(f"SELECT * FROM `{table}`").result()
    except NotFound:
        return {}
    rows: dict[int, dict[str, t.Any]] = {}
    for row in result:
        record = dict(row.items())
        assert record["id"] not in rows, f"duplicate id {record['id']} in BigQuery"
        rows[record["id"]] = record
    return rows


def assert_bookmark_not_ahead(
    project: IsolatedMeltano, sim: LookerSimulator, stack: EmulatorStack, dataset: str
) -> None:
    """Every source row older than the stored bookmark is in BigQuery, as in the source.

    (The tap re-reads from the bookmark inclusive, so rows at or after it come again.)
    """
    bookmark = project.stored_bookmark()
    if bookmark is None:
        return
    landed = loaded_rows(stack, dataset)
    truth = truth_rows(sim)
    behind = {i: row for i, row in truth.items() if row["last_accessed_time"] < bookmark}
    missing = sorted(set(behind) - set(landed))
    assert not missing, (
        f"bookmark {bookmark.isoformat()} is ahead of BigQuery: {len(missing)} older rows "
        f"missing, e.g. ids {missing[:10]}"
    )
    for i, row in behind.items():
        got = {k: landed[i].get(k) for k in ("last_accessed_time", "other_count")}
        assert got == {k: row[k] for k in got}, f"row {i} is stale behind the bookmark"


def output_lines(log: Path | str) -> list[str]:
    text = log.read_text(errors="replace") if isinstance(log, Path) else log
    return text.splitlines()


def one_line(text: str, *needles: str) -> str:
    """The output line holding every needle; fails listing the error lines otherwise."""
    for line in text.splitlines():
        if all(n in line for n in needles):
            return line
    errors = [ln for ln in text.splitlines() if "error" in ln.lower()][-15:]
    msg = f"no line contains {needles!r}; error lines:\n" + "\n".join(errors)
    raise AssertionError(msg)


def write_variant_project(base: Path, *, target_executable: Path) -> Path:
    """A copy of meltano.yml whose target-bigquery runs ``target_executable`` instead.

    Only the executable differs (pip_url included, so no reinstall is ever triggered); the
    copy drops ``include_paths`` (the Airflow utility). Used to run the released target
    as it is, for comparison with the project's gated one.
    """
    import yaml

    spec = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    spec.pop("include_paths", None)
    # Without the included files there are no dbt utilities: the jobs keep extract + load.
    for job in spec.get("jobs", []):
        job["tasks"] = [task for task in job["tasks"] if not str(task).startswith("dbt-")]
    for loader in spec["plugins"]["loaders"]:
        if loader["name"] == "target-bigquery":
            loader["executable"] = str(target_executable)
    project_dir = base / "variant-project"
    project_dir.mkdir(parents=True, exist_ok=True)
    (project_dir / "meltano.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return project_dir


def write_script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path
