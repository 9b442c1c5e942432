"""Generate one Airflow DAG per Meltano schedule.

Each job schedule in the Meltano project becomes a DAG whose id is the schedule name, with one
task per job step (``meltano run <step>``) chained in order. Legacy ``elt`` schedules become a
single ``meltano elt`` task. Adding a schedule to ``meltano.yml`` adds a DAG: no Python edit.

Fan-out: a schedule whose ``env`` sets ``MELTANO_DAG_PARALLEL`` runs the job steps that match it
(fnmatch patterns, comma-separated, against the step text, e.g. ``tap-looker-activity--*``) as
parallel tasks; they must be consecutive in the job. Earlier steps run before all of them, later
steps (e.g. dbt) after all of them. At most ``MELTANO_DAG_MAX_PARALLEL`` tasks of the DAG run at
once (the DAG's ``max_active_tasks``; schedule env, else this process's env, else 4): each
``meltano run`` of the tap sends one Looker query at a time, so this caps the concurrent Looker
queries of the schedule. ``MELTANO_DAG_POOL`` (schedule env) also puts every task of the DAG in
that Airflow pool, a cap shared by several DAGs (one Looker API user); create it first:
``airflow pools set <pool> <slots> <description>``. These keys are not passed to the tasks.

Secrets at rest: every task runs ``meltano_private.py`` (next to this project's orchestrate
folder), which sets a private umask and removes stale plugin configurations, then execs meltano.

The schedule list comes from ``meltano schedule list --format=json`` through a cache file,
because Airflow re-parses this file every 30 s and spawning meltano on each parse is slow.

Environment variables (all optional):
    MELTANO_PROJECT_ROOT       Meltano project root (default: three levels above this folder).
    MELTANO_BIN                meltano executable (default: ``meltano`` on PATH, else
                               ``<project>/.venv/bin/meltano``, else ``.meltano/run/bin``).
    MELTANO_ENVIRONMENT        passed through to every task.
    MELTANO_SCHEDULES_CACHE    cache path (default: ``orchestrate/airflow/schedules.cache.json``).
    MELTANO_SCHEDULES_REFRESH  ``auto`` (default): regenerate the cache when it is missing or
                               older than meltano.yml or an included yml; ``never``: only read
                               it (for deployments that build the cache ahead of time).
    MELTANO_SCHEDULES_TIMEOUT  seconds allowed for ``meltano schedule list`` (default 25, under
                               Airflow's 30 s DAG file import timeout).
    MELTANO_DAG_RETRIES        task retries (default 1).
    MELTANO_DAG_RETRY_DELAY    seconds between retries (default 300). ``airflow dags test``
                               waits out this delay after a failure, so tests set retries to 0.
    MELTANO_DAG_MAX_PARALLEL   default cap of parallel tasks for fan-out schedules (default 4).
    MELTANO_PRIVATE_RUNNER     the wrapper script (default ``orchestrate/meltano_private.py``
                               under the project root); ``none`` runs meltano directly.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, chain, cross_downstream

logger = logging.getLogger(__name__)

# absolute(), not resolve(): a symlinked DAG file must still find its own project.
DAGS_DIR = Path(__file__).absolute().parent
PROJECT_ROOT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or DAGS_DIR.parents[2]).resolve()
CACHE_PATH = Path(
    os.environ.get("MELTANO_SCHEDULES_CACHE") or DAGS_DIR.parent / "schedules.cache.json",
)
REFRESH_MODE = os.environ.get("MELTANO_SCHEDULES_REFRESH", "auto").strip().lower()
MELTANO_TIMEOUT_S = float(os.environ.get("MELTANO_SCHEDULES_TIMEOUT", "25"))

# A fixed date in the past: a moving start_date (e.g. "now") confuses the scheduler.
START_DATE = datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "meltano",
    "depends_on_past": False,
    # Singer pipelines resume from state, so one retry after a pause absorbs API hiccups.
    "retries": int(os.environ.get("MELTANO_DAG_RETRIES", "1")),
    "retry_delay": timedelta(seconds=float(os.environ.get("MELTANO_DAG_RETRY_DELAY", "300"))),
}
# Meltano intervals with no cron equivalent: run only when triggered.
MANUAL_INTERVALS = {None, "", "@manual", "@none"}
TASK_ID_INVALID = re.compile(r"[^A-Za-z0-9_.-]+")
# Looker queues a user's queries beyond its per-user limit (15 by default) and drops those that
# wait too long; 4 leaves room for everyone else using the same API user. See the README.
DEFAULT_MAX_PARALLEL = 4
PARALLEL_KEY = "MELTANO_DAG_PARALLEL"
MAX_PARALLEL_KEY = "MELTANO_DAG_MAX_PARALLEL"
POOL_KEY = "MELTANO_DAG_POOL"


class MeltanoScheduleError(RuntimeError):
    """No schedule list could be obtained: neither from meltano nor from a cache."""


def meltano_bin() -> str:
    """Locate the meltano executable the tasks will call."""
    if configured := os.environ.get("MELTANO_BIN"):
        return configured
    if on_path := shutil.which("meltano"):
        return on_path
    # .meltano/run/bin is the symlink meltano leaves to itself: it covers a meltano that was
    # started by absolute path (so not on PATH) and then ran `meltano invoke airflow`.
    candidates = [PROJECT_ROOT / ".venv" / "bin" / "meltano", PROJECT_ROOT / ".meltano/run/bin"]
    return str(next((c for c in candidates if c.is_file()), candidates[0]))


def private_runner() -> list[str]:
    """The command prefix that runs meltano with private files (see meltano_private.py)."""
    configured = os.environ.get("MELTANO_PRIVATE_RUNNER", "").strip()
    if configured.lower() == "none":
        return []
    script = configured or str(PROJECT_ROOT / "orchestrate" / "meltano_private.py")
    # The interpreter parsing this file exists on the workers too (same image), and the script
    # needs only the standard library. Not run directly: gcsfuse mounts drop the exec bit.
    return [sys.executable, script]


def project_yml_files(root: Path) -> list[Path]:
    """Return meltano.yml plus every yml it pulls in through ``include_paths``."""
    main = root / "meltano.yml"
    files = [main]
    try:
        config = yaml.safe_load(main.read_text()) or {}
    except (OSError, yaml.YAMLError):
        # Missing or broken meltano.yml: meltano itself reports the real error on refresh.
        return files
    for pattern in config.get("include_paths") or []:
        files.extend(sorted(root.glob(str(pattern).removeprefix("./"))))
    return files


def cache_is_fresh(cache: Path, root: Path) -> bool:
    """Tell whether the cache is newer than every project yml file."""
    if not cache.is_file():
        return False
    cache_mtime = cache.stat().st_mtime
    yml_mtimes = [f.stat().st_mtime for f in project_yml_files(root) if f.is_file()]
    return all(cache_mtime >= m for m in yml_mtimes)


def parse_schedule_list(text: str) -> dict[str, Any]:
    """Parse ``meltano schedule list --format=json`` output and check its shape."""
    # Logs go to stderr, but skip anything printed before the JSON object to be safe.
    start = text.find("{")
    data = json.loads(text[start:] if start >= 0 else text)
    if not isinstance(data, dict) or not isinstance(data.get("schedules"), dict):
        msg = "expected a JSON object with a 'schedules' mapping"
        raise TypeError(msg)
    return data


def run_schedule_list(root: Path) -> str:
    """Run ``meltano schedule list --format=json`` once and return its stdout."""
    result = subprocess.run(
        [meltano_bin(), "schedule", "list", "--format=json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=MELTANO_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        msg = f"exit {result.returncode}: {result.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    return result.stdout


def write_cache(cache: Path, data: dict[str, Any]) -> None:
    """Write the cache atomically so a concurrent parse never reads half a file."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=cache.name, suffix=".tmp", dir=cache.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        Path(tmp).chmod(0o644)  # mkstemp makes it 0600; Airflow may run as another user.
        Path(tmp).replace(cache)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_schedules(root: Path = PROJECT_ROOT, cache: Path = CACHE_PATH) -> dict[str, Any]:
    """Return the schedule list, from the cache when fresh, else from meltano."""
    if REFRESH_MODE == "never" or cache_is_fresh(cache, root):
        try:
            return parse_schedule_list(cache.read_text())
        except (OSError, ValueError, TypeError) as err:
            if REFRESH_MODE == "never":
                msg = f"Cannot read Meltano schedules cache {cache}: {err}"
                raise MeltanoScheduleError(msg) from err
            logger.warning("Unreadable schedules cache %s (%s); asking meltano", cache, err)

    try:
        data = parse_schedule_list(run_schedule_list(root))
    except (OSError, RuntimeError, ValueError, TypeError, subprocess.TimeoutExpired) as err:
        try:
            stale = parse_schedule_list(cache.read_text())
        except (OSError, ValueError, TypeError):
            msg = (
                f"Cannot list Meltano schedules: `{meltano_bin()} schedule list` failed in "
                f"{root} ({err}) and there is no usable cache at {cache}. "
                "Set MELTANO_PROJECT_ROOT / MELTANO_BIN, or generate the cache at deploy time."
            )
            raise MeltanoScheduleError(msg) from err
        logger.warning("meltano schedule list failed (%s); using stale cache %s", err, cache)
        return stale

    try:
        write_cache(cache, data)
    except OSError as err:
        # A read-only DAG folder must not break parsing; we just pay the meltano call again.
        logger.warning("Could not write schedules cache %s: %s", cache, err)
    return data


def job_steps(tasks: str | list[Any]) -> list[str]:
    """Flatten a job's ``tasks`` into ``meltano run`` arguments, one string per step."""
    # A job's tasks may be one string, or a list whose items are strings or lists of blocks
    # meant to run together in a single `meltano run`.
    if isinstance(tasks, str):
        return [tasks]
    return [" ".join(step) if isinstance(step, list) else str(step) for step in tasks]


def task_id_for(step: str, taken: set[str]) -> str:
    """Make a readable, unique Airflow task id from a step ("tap target" -> "tap_target")."""
    base = TASK_ID_INVALID.sub("_", step).strip("_")[:200] or "step"
    task_id, n = base, 2
    while task_id in taken:
        task_id, n = f"{base}_{n}", n + 1
    taken.add(task_id)
    return task_id


def airflow_schedule(entry: dict[str, Any]) -> str | None:
    """Map a Meltano interval to an Airflow ``schedule``."""
    interval = entry.get("interval")
    if interval in MANUAL_INTERVALS:
        return None
    # cron_interval is null for presets without a cron form (e.g. @once).
    return entry.get("cron_interval") or interval


def task_env(entry: dict[str, Any]) -> dict[str, str]:
    """Environment added to the worker's own (append_env keeps PATH, credentials, ...)."""
    directives = {PARALLEL_KEY, MAX_PARALLEL_KEY, POOL_KEY}  # for this generator, not meltano
    env = {str(k): str(v) for k, v in (entry.get("env") or {}).items() if k not in directives}
    if environment := os.environ.get("MELTANO_ENVIRONMENT"):
        env.setdefault("MELTANO_ENVIRONMENT", environment)
    return env


def positive_int(value: str, what: str) -> int:
    """Parse a positive integer setting, or fail naming it."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        msg = f"{what} must be a positive integer, got {value!r}"
        raise MeltanoScheduleError(msg)
    return number


class Plan:
    """What one DAG runs: (task id, argv) steps, which of them run in parallel, the caps."""

    def __init__(
        self, entry: dict[str, Any], steps: list[str], commands: list[tuple[str, list[str]]]
    ) -> None:
        self.commands = commands
        env = entry.get("env") or {}
        name = entry["name"]
        patterns = [p.strip() for p in str(env.get(PARALLEL_KEY, "")).split(",") if p.strip()]
        self.parallel: list[int] = []
        if patterns:
            self.parallel = [
                i
                for i, step in enumerate(steps)
                if any(fnmatch.fnmatchcase(step, p) for p in patterns)
            ]
            if not self.parallel:
                msg = f"schedule {name}: {PARALLEL_KEY}={env[PARALLEL_KEY]!r} matches no job step"
                raise MeltanoScheduleError(msg)
            if self.parallel != list(range(self.parallel[0], self.parallel[-1] + 1)):
                msg = (
                    f"schedule {name}: the steps matching {PARALLEL_KEY} must be consecutive in "
                    f"job {entry['job']['name']}"
                )
                raise MeltanoScheduleError(msg)
        self.max_parallel: int | None = None
        if self.parallel:
            raw = env.get(MAX_PARALLEL_KEY) or os.environ.get(MAX_PARALLEL_KEY)
            self.max_parallel = (
                positive_int(str(raw), f"schedule {name}: {MAX_PARALLEL_KEY}")
                if raw
                else DEFAULT_MAX_PARALLEL
            )
        self.pool = str(env.get(POOL_KEY) or "").strip() or None


def build_dag(entry: dict[str, Any], plan: Plan, tag: str) -> DAG:
    """Build one DAG: the plan's steps in sequence, its parallel steps side by side."""
    name = entry["name"]
    env = task_env(entry)
    extra: dict[str, Any] = {}
    if plan.max_parallel is not None:
        extra["max_active_tasks"] = plan.max_parallel
    with DAG(
        dag_id=name,
        description=f"Meltano schedule {name}",
        schedule=airflow_schedule(entry),
        start_date=START_DATE,
        catchup=False,
        # Runs share Singer state: overlapping runs would race on it.
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["meltano", tag],
        **extra,
    ) as dag:
        tasks = [
            BashOperator(
                task_id=task_id,
                bash_command=shlex.join(argv),
                cwd=str(PROJECT_ROOT),
                env=env,
                append_env=True,
                **({"pool": plan.pool} if plan.pool else {}),
            )
            for task_id, argv in plan.commands
        ]
        if not plan.parallel:
            chain(*tasks)
            return dag
        first, last = plan.parallel[0], plan.parallel[-1]
        before, group, after = tasks[:first], tasks[first : last + 1], tasks[last + 1 :]
        chain(*before)
        chain(*after)
        if before:
            cross_downstream([before[-1]], group)
        if after:
            cross_downstream(group, [after[0]])
    return dag


def build_dags(schedules: dict[str, Any]) -> dict[str, DAG]:
    """Build every DAG from a parsed schedule list."""
    meltano = [*private_runner(), meltano_bin()]
    dags: dict[str, DAG] = {}
    for entry in schedules["schedules"].get("job") or []:
        taken: set[str] = set()
        steps = job_steps(entry["job"]["tasks"])
        commands = [
            (task_id_for(step, taken), [*meltano, "run", *shlex.split(step)]) for step in steps
        ]
        plan = Plan(entry, steps, commands)
        dags[entry["name"]] = build_dag(entry, plan, entry["job"]["name"])
    for entry in schedules["schedules"].get("elt") or []:
        # elt_args already carries --state-id=<schedule name>, keeping legacy state ids.
        commands = [("elt", [*meltano, "elt", *entry["elt_args"]])]
        dags[entry["name"]] = build_dag(entry, Plan(entry, ["elt"], commands), "elt")
    return dags


# Airflow collects DAG objects from module globals.
for _dag_id, _dag in build_dags(load_schedules()).items():
    globals()[_dag_id] = _dag
