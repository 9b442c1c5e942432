"""Tests for the Meltano DAG generator, orchestrate/airflow/dags/meltano.py.

Airflow 3 brings ~130 packages (SQLAlchemy 2.1, FastAPI, ...) that we keep out of the dev venv
where meltano lives. So this file imports no Airflow: every DagBag check runs in a subprocess
with the airflow utility's own interpreter, ``.meltano/utilities/airflow/venv/bin/python``
(created by ``meltano install``), or ``$AIRFLOW_PYTHON``. meltano is ``$MELTANO_BIN``, else
``meltano`` on PATH, else ``.venv/bin/meltano``. Without them the tests skip, or fail under CI.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = REPO_ROOT / "orchestrate" / "airflow" / "dags" / "meltano.py"
AIRFLOW_PLUGIN_YML = REPO_ROOT / "orchestrate" / "airflow.meltano.yml"
AIRFLOW_CONSTRAINTS = REPO_ROOT / "orchestrate" / "airflow" / "constraints.txt"
PRIVATE_RUNNER = REPO_ROOT / "orchestrate" / "meltano_private.py"

# Runs inside the airflow venv: load the DAG file and dump what the tests check as JSON.
DAGBAG_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1])
    dags = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "schedule": None if dag.schedule is None else str(dag.schedule),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "max_active_tasks": dag.max_active_tasks,
            "tags": sorted(dag.tags),
            "start_date": dag.start_date.isoformat() if dag.start_date else None,
            "tasks": [
                {
                    "task_id": t.task_id,
                    "operator": type(t).__name__,
                    "bash_command": t.bash_command,
                    "cwd": t.cwd,
                    "env": t.env,
                    "append_env": t.append_env,
                    "retries": t.retries,
                    "pool": t.pool,
                    "retry_delay_s": t.retry_delay.total_seconds(),
                    "upstream": sorted(t.upstream_task_ids),
                }
                for t in dag.tasks
            ],
        }
    with open(sys.argv[2], "w") as out:
        json.dump({"import_errors": bag.import_errors, "dags": dags}, out)
    """,
)


def _missing(what: str) -> None:
    """Skip locally, fail under CI: a CI run must not pass by skipping everything."""
    msg = f"{what} not found; run `meltano install` (see tests/test_airflow_dags.py docstring)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def find_meltano() -> str | None:
    """Locate the meltano executable the same way the DAG generator does."""
    candidates = [os.environ.get("MELTANO_BIN"), shutil.which("meltano")]
    candidates.append(str(REPO_ROOT / ".venv" / "bin" / "meltano"))
    return next((c for c in candidates if c and Path(c).is_file()), None)


def find_airflow_python() -> str | None:
    """Locate a Python that can import airflow (the Meltano airflow utility's venv)."""
    candidates = [
        os.environ.get("AIRFLOW_PYTHON"),
        str(REPO_ROOT / ".meltano" / "utilities" / "airflow" / "venv" / "bin" / "python"),
    ]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture(scope="session")
def airflow_python() -> str:
    """Python interpreter with apache-airflow installed."""
    found = find_airflow_python()
    if found is None:
        _missing("Airflow utility venv (.meltano/utilities/airflow/venv) or $AIRFLOW_PYTHON")
    return str(found)


@pytest.fixture(scope="session")
def meltano_bin() -> str:
    """Path of a working meltano executable."""
    found = find_meltano()
    if found is None:
        _missing("meltano executable ($MELTANO_BIN, PATH or .venv/bin/meltano)")
    return str(found)


def clean_env(**overrides: str) -> dict[str, str]:
    """Return os.environ without Airflow/Meltano/venv variables that could leak in, plus overrides.

    Under `meltano invoke` or a developer shell, MELTANO_PROJECT_ROOT or AIRFLOW_HOME would
    otherwise point the generator at the real project.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "MELTANO_")) and k not in {"VIRTUAL_ENV", "PYTHONPATH"}
    }
    env.update(
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_CLI_DISABLE_VERSION_CHECK="true",
    )
    env.update(overrides)
    return env


def load_dagbag(
    airflow_python: str,
    work: Path,
    env: dict[str, str],
) -> tuple[dict[str, Any], str]:
    """Load DAG_FILE in a DagBag (no metadata DB needed); return (summary, log output)."""
    home = work / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    out = work / "dagbag.json"
    full_env = clean_env(
        # Keep everything Airflow writes (airflow.cfg, logs) inside the test's tmp dir.
        AIRFLOW_HOME=str(home),
        AIRFLOW_CONFIG=str(home / "airflow.cfg"),
        AIRFLOW__CORE__LOAD_EXAMPLES="false",
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="120",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        **env,
    )
    result = subprocess.run(
        [airflow_python, "-c", DAGBAG_SCRIPT, str(DAG_FILE), str(out)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Airflow's structlog setup sends log records (our warnings too) to stdout.
    logs = result.stdout + result.stderr
    assert result.returncode == 0, logs[-4000:]
    return json.loads(out.read_text()), logs


def run_dags_test(
    project_root: Path,
    dag_id: str,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run `airflow dags test DAG_ID` for real through `meltano invoke airflow`.

    The project must have the airflow utility installed (`meltano install`). Creates the
    SQLite metadata DB first (`airflow db migrate`, idempotent). Retries are set to 0 because
    `dags test` otherwise sits out the retry delay after a failed task. Returns the completed
    `dags test` process: exit code 0 iff the DAG run succeeded; task logs are in stdout/stderr.
    """
    meltano = find_meltano()
    assert meltano, "meltano executable not found"
    full_env = clean_env(MELTANO_DAG_RETRIES="0", **(env or {}))
    migrate = subprocess.run(
        [meltano, "invoke", "airflow", "db", "migrate"],
        cwd=project_root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-4000:]
    return subprocess.run(
        [meltano, "invoke", "airflow", "dags", "test", dag_id],
        cwd=project_root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The subset of Meltano's interval presets used here, as `meltano schedule list` maps them.
MELTANO_PRESETS: dict[str, str | None] = {
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
    "@manual": None,
}


def job_schedule(
    name: str,
    job: str,
    tasks: str | list[Any],
    interval: str,
    *,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One entry of `meltano schedule list --format=json` for a job schedule."""
    return {
        "name": name,
        "interval": interval,
        "cron_interval": MELTANO_PRESETS.get(interval, interval),
        "env": env or {},
        "job": {"name": job, "tasks": tasks},
    }


def schedule_list(jobs: list[dict[str, Any]], elt: list[dict[str, Any]] | None = None) -> str:
    """Whole `meltano schedule list --format=json` output."""
    return json.dumps({"schedules": {"job": jobs, "elt": elt or []}})


def write_fake_meltano(path: Path, exit_code: int) -> Path:
    """Write a stand-in meltano that records each call in <path>.calls and exits."""
    path.write_text(f'#!/bin/sh\necho "$@" >> "{path}.calls"\nexit {exit_code}\n')
    path.chmod(0o755)
    return path


def runner(airflow_python: str, root: Path, meltano: str | Path) -> str:
    """How a task starts meltano: through orchestrate/meltano_private.py (private files)."""
    script = root / "orchestrate" / "meltano_private.py"
    return shlex.join([airflow_python, str(script), str(meltano)])


def set_mtime(path: Path, when: float) -> None:
    """Set a file's mtime explicitly: cache freshness must not depend on clock ticks."""
    os.utime(path, (when, when))


DAILY_BQ = job_schedule(
    "daily-looker-to-bigquery",
    "looker-to-bigquery",
    ["tap-looker-activity target-bigquery"],
    "@daily",
)
MULTI = job_schedule(
    "hourly-multi",
    "multi",
    [
        "tap-looker-activity target-duckdb",
        ["dbt:run", "dbt:test"],
        "tap-looker-activity target-duckdb",
    ],
    "15 * * * *",
    env={"TAP_LOOKER_ACTIVITY_PAGE_SIZE": "50"},
)
MANUAL = job_schedule("manual-one", "one", "tap-looker-activity target-duckdb", "@manual")
LEGACY_ELT: dict[str, Any] = {
    "name": "legacy-elt",
    "extractor": "tap-looker-activity",
    "loader": "target-duckdb",
    "transform": "skip",
    "interval": "@weekly",
    "env": {},
    "cron_interval": "0 0 * * 0",
    "last_successful_run_ended_at": None,
    "elt_args": [
        "tap-looker-activity",
        "target-duckdb",
        "--transform=skip",
        "--state-id=legacy-elt",
    ],
}


@pytest.fixture
def cached_project(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Make a project with an old meltano.yml, a cache path and a meltano that must not run."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "meltano.yml").write_text("project_id: cached\n")
    set_mtime(root / "meltano.yml", time.time() - 3600)
    fake = write_fake_meltano(tmp_path / "meltano-must-not-run", exit_code=1)
    return root, tmp_path / "schedules.cache.json", fake


def test_dagbag_from_cache(airflow_python: str, cached_project: tuple[Path, Path, Path]) -> None:
    """One DAG per schedule, with the right tasks, commands, cron and run settings."""
    root, cache, fake = cached_project
    cache.write_text(schedule_list([DAILY_BQ, MULTI, MANUAL], [LEGACY_ELT]))
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
        "MELTANO_ENVIRONMENT": "prod",
    }
    bag, logs = load_dagbag(airflow_python, cache.parent, env)
    fake = runner(airflow_python, root, fake)

    assert bag["import_errors"] == {}, logs[-4000:]
    assert set(bag["dags"]) == {
        "daily-looker-to-bigquery",
        "hourly-multi",
        "manual-one",
        "legacy-elt",
    }
    assert not Path(f"{cached_project[2]}.calls").exists(), "fresh cache: meltano not called"

    for dag in bag["dags"].values():
        assert dag["catchup"] is False
        assert dag["max_active_runs"] == 1
        assert dag["start_date"].startswith("2025-01-01")
        for task in dag["tasks"]:
            assert task["operator"] == "BashOperator"
            assert task["cwd"] == str(root)
            assert task["append_env"] is True
            assert task["env"]["MELTANO_ENVIRONMENT"] == "prod"
            assert task["retries"] == 1
            assert task["retry_delay_s"] == 300

    daily = bag["dags"]["daily-looker-to-bigquery"]
    assert daily["schedule"] == "0 0 * * *"
    assert daily["tags"] == ["looker-to-bigquery", "meltano"]
    assert [(t["task_id"], t["bash_command"]) for t in daily["tasks"]] == [
        (
            "tap-looker-activity_target-bigquery",
            f"{fake} run tap-looker-activity target-bigquery",
        ),
    ]

    multi = bag["dags"]["hourly-multi"]
    assert multi["schedule"] == "15 * * * *"
    steps = [(t["task_id"], t["bash_command"], t["upstream"]) for t in multi["tasks"]]
    assert steps == [
        ("tap-looker-activity_target-duckdb", f"{fake} run tap-looker-activity target-duckdb", []),
        ("dbt_run_dbt_test", f"{fake} run dbt:run dbt:test", ["tap-looker-activity_target-duckdb"]),
        (
            "tap-looker-activity_target-duckdb_2",
            f"{fake} run tap-looker-activity target-duckdb",
            [
                "dbt_run_dbt_test",
            ],
        ),
    ]
    assert multi["tasks"][0]["env"]["TAP_LOOKER_ACTIVITY_PAGE_SIZE"] == "50"

    assert bag["dags"]["manual-one"]["schedule"] is None
    legacy = bag["dags"]["legacy-elt"]
    assert legacy["schedule"] == "0 0 * * 0"
    assert legacy["tags"] == ["elt", "meltano"]
    assert [t["bash_command"] for t in legacy["tasks"]] == [
        f"{fake} elt tap-looker-activity target-duckdb --transform=skip --state-id=legacy-elt",
    ]


def test_new_schedule_adds_dag(
    airflow_python: str, cached_project: tuple[Path, Path, Path]
) -> None:
    """A schedule added to the cached list becomes a DAG with no Python change."""
    root, cache, fake = cached_project
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
    }
    cache.write_text(schedule_list([DAILY_BQ]))
    before, _ = load_dagbag(airflow_python, cache.parent, env)
    cache.write_text(schedule_list([DAILY_BQ, MULTI]))
    after, _ = load_dagbag(airflow_python, cache.parent, env)

    assert set(before["dags"]) == {"daily-looker-to-bigquery"}
    assert set(after["dags"]) == {"daily-looker-to-bigquery", "hourly-multi"}
    assert after["import_errors"] == {}


PROJECT_YML = """\
project_id: dag-generator-test
default_environment: dev
environments:
- name: dev
include_paths:
- ./orchestrate/*.meltano.yml
plugins:
  extractors:
  - name: tap-fake
    namespace: tap_fake
    executable: tap-fake
  loaders:
  - name: target-fake
    namespace: target_fake
    executable: target-fake
  utilities:
  - name: hello
    namespace: hello
    executable: echo
    commands:
      say: hello-from-meltano
jobs:
- name: fake-to-fake
  tasks:
  - tap-fake target-fake
schedules:
- name: daily-fake
  job: fake-to-fake
  interval: '@daily'
"""

INCLUDED_YML = """\
jobs:
- name: hello-job
  tasks: hello:say
schedules:
- name: hello-hourly
  job: hello-job
  interval: '@hourly'
  env:
    GREETING: hi
"""


def make_meltano_project(root: Path) -> None:
    """Write a throwaway Meltano project whose plugins need no install and no network."""
    (root / "orchestrate").mkdir(parents=True)
    (root / "meltano.yml").write_text(PROJECT_YML)


def test_stale_cache_is_regenerated_by_meltano(
    airflow_python: str,
    meltano_bin: str,
    tmp_path: Path,
) -> None:
    """A cache older than meltano.yml (or an included yml) is rebuilt from meltano."""
    root = tmp_path / "project"
    make_meltano_project(root)
    cache = tmp_path / "schedules.cache.json"
    cache.write_text(schedule_list([job_schedule("gone", "gone", "a b", "@daily")]))
    set_mtime(cache, time.time() - 3600)
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": meltano_bin,
        "MELTANO_SCHEDULES_TIMEOUT": "120",  # slow shared CI machines; the default is 25 s
    }

    bag, logs = load_dagbag(airflow_python, tmp_path, env)
    assert bag["import_errors"] == {}, logs[-4000:]
    assert set(bag["dags"]) == {"daily-fake"}
    cached = json.loads(cache.read_text())
    assert [s["name"] for s in cached["schedules"]["job"]] == ["daily-fake"]

    # A schedule added in an included yml file, newer than the cache, shows up as a DAG.
    included = root / "orchestrate" / "hello.meltano.yml"
    included.write_text(INCLUDED_YML)
    set_mtime(included, cache.stat().st_mtime + 10)
    bag, logs = load_dagbag(airflow_python, tmp_path, env)
    assert bag["import_errors"] == {}, logs[-4000:]
    assert set(bag["dags"]) == {"daily-fake", "hello-hourly"}
    hello = bag["dags"]["hello-hourly"]
    assert hello["schedule"] == "0 * * * *"
    assert [t["bash_command"] for t in hello["tasks"]] == [
        f"{runner(airflow_python, root, meltano_bin)} run hello:say",
    ]
    assert hello["tasks"][0]["env"] == {"GREETING": "hi"}


def test_meltano_failure_uses_stale_cache(airflow_python: str, tmp_path: Path) -> None:
    """If meltano fails, a stale cache still yields the DAGs, with a warning."""
    root = tmp_path / "project"
    make_meltano_project(root)
    cache = tmp_path / "schedules.cache.json"
    cache.write_text(schedule_list([DAILY_BQ]))
    set_mtime(cache, time.time() - 3600)
    fake = write_fake_meltano(tmp_path / "broken-meltano", exit_code=3)
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
    }

    bag, logs = load_dagbag(airflow_python, tmp_path, env)

    assert bag["import_errors"] == {}
    assert set(bag["dags"]) == {"daily-looker-to-bigquery"}
    assert Path(f"{fake}.calls").read_text().split() == ["schedule", "list", "--format=json"]
    assert "using stale cache" in logs


def test_refresh_never_reads_cache_only(airflow_python: str, tmp_path: Path) -> None:
    """MELTANO_SCHEDULES_REFRESH=never (deploy-time cache) never calls meltano at parse time."""
    root = tmp_path / "project"
    make_meltano_project(root)
    cache = tmp_path / "schedules.cache.json"
    cache.write_text(schedule_list([DAILY_BQ]))
    set_mtime(cache, time.time() - 3600)
    fake = write_fake_meltano(tmp_path / "meltano-must-not-run", exit_code=1)
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
        "MELTANO_SCHEDULES_REFRESH": "never",
    }

    bag, logs = load_dagbag(airflow_python, tmp_path, env)

    assert bag["import_errors"] == {}, logs[-4000:]
    assert set(bag["dags"]) == {"daily-looker-to-bigquery"}
    assert not Path(f"{fake}.calls").exists()


def test_no_meltano_and_no_cache_is_one_import_error(airflow_python: str, tmp_path: Path) -> None:
    """With neither meltano nor a cache, the file fails to import with one clear error."""
    root = tmp_path / "project"
    make_meltano_project(root)
    fake = write_fake_meltano(tmp_path / "broken-meltano", exit_code=3)
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(tmp_path / "missing.json"),
        "MELTANO_BIN": str(fake),
    }

    bag, _ = load_dagbag(airflow_python, tmp_path, env)

    assert bag["dags"] == {}
    assert len(bag["import_errors"]) == 1
    (error,) = bag["import_errors"].values()
    assert "Cannot list Meltano schedules" in error
    assert "no usable cache" in error


def test_dags_test_end_to_end(meltano_bin: str, airflow_python: str, tmp_path: Path) -> None:
    """`airflow dags test` runs a generated DAG for real: meltano steps, env and cwd.

    airflow_python is requested only so this skips where the airflow utility was never
    installed; the throwaway project installs its own (from uv's cache, a few seconds).
    """
    del airflow_python
    root = tmp_path / "project"
    make_meltano_project(root)
    shutil.copy(AIRFLOW_PLUGIN_YML, root / "orchestrate" / "airflow.meltano.yml")
    (root / "orchestrate" / "airflow" / "dags").mkdir(parents=True)
    shutil.copy(AIRFLOW_CONSTRAINTS, root / "orchestrate" / "airflow" / "constraints.txt")
    shutil.copy(DAG_FILE, root / "orchestrate" / "airflow" / "dags" / "meltano.py")
    shutil.copy(PRIVATE_RUNNER, root / "orchestrate" / "meltano_private.py")
    (root / "orchestrate" / "hello.meltano.yml").write_text(
        INCLUDED_YML
        + textwrap.dedent(
            """\
            - name: env-check
              job: env-job
              interval: '@daily'
              env:
                GREETING: hi
            """,
        ),
    )
    # A second utility that prints what the task saw: schedule env, environment and cwd.
    yml = (
        (root / "meltano.yml")
        .read_text()
        .replace(
            "  utilities:\n",
            "  utilities:\n"
            "  - name: shell\n"
            "    namespace: shell\n"
            "    executable: sh\n"
            "    commands:\n"
            "      env_check: >-\n"
            "        -c 'echo \"seen GREETING=$GREETING ENV=$MELTANO_ENVIRONMENT PWD=$PWD\"'\n",
        )
    )
    yml = yml.replace("jobs:\n", "jobs:\n- name: env-job\n  tasks: [hello:say, shell:env_check]\n")
    (root / "meltano.yml").write_text(yml)
    install = subprocess.run(
        [meltano_bin, "install"],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-4000:]

    result = run_dags_test(root, "env-check")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "hello-from-meltano" in output
    assert f"seen GREETING=hi ENV=dev PWD={root}" in output
    assert "state=success" in output


FANOUT = job_schedule(
    "fanout",
    "fanout-job",
    [
        "tap-a--setup:prepare",
        "tap-a--one target-x",
        "tap-a--two target-x",
        "tap-a--three target-x",
        "dbt:build",
        "dbt:test",
    ],
    "@daily",
    env={
        "MELTANO_DAG_PARALLEL": "tap-a--one *, tap-a--t*",
        "MELTANO_DAG_MAX_PARALLEL": "2",
        "MELTANO_DAG_POOL": "looker_a",
    },
)


def test_fanout_schedule_runs_matching_steps_in_parallel_under_a_cap(
    airflow_python: str, cached_project: tuple[Path, Path, Path]
) -> None:
    """MELTANO_DAG_PARALLEL: matching steps side by side, the rest before/after, the caps set."""
    root, cache, fake = cached_project
    plain = job_schedule("plain", "plain-job", ["tap-a target-x", "dbt:build"], "@daily")
    default_cap = job_schedule(
        "default-cap", "default-job", ["tap-a--one t", "tap-a--two t"], "@daily",
        env={"MELTANO_DAG_PARALLEL": "*"},
    )  # fmt: skip
    cache.write_text(schedule_list([FANOUT, plain, default_cap]))
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
    }
    bag, logs = load_dagbag(airflow_python, cache.parent, env)
    assert bag["import_errors"] == {}, logs[-4000:]

    fanout = bag["dags"]["fanout"]
    assert fanout["max_active_tasks"] == 2
    upstream = {t["task_id"]: t["upstream"] for t in fanout["tasks"]}
    group = ["tap-a--one_target-x", "tap-a--two_target-x", "tap-a--three_target-x"]
    assert upstream == {
        "tap-a--setup_prepare": [],
        **{key: ["tap-a--setup_prepare"] for key in group},
        "dbt_build": sorted(group),
        "dbt_test": ["dbt_build"],
    }
    assert {t["pool"] for t in fanout["tasks"]} == {"looker_a"}
    prefix = runner(airflow_python, root, fake)
    commands = {t["task_id"]: t["bash_command"] for t in fanout["tasks"]}
    assert all(not any(k.startswith("MELTANO_DAG_") for k in t["env"]) for t in fanout["tasks"])
    assert commands["tap-a--two_target-x"] == f"{prefix} run tap-a--two target-x"

    # Without the setting: a chain, Airflow's default cap and pool.
    chain_dag = bag["dags"]["plain"]
    assert [t["upstream"] for t in chain_dag["tasks"]] == [[], ["tap-a_target-x"]]
    assert {t["pool"] for t in chain_dag["tasks"]} == {"default_pool"}
    assert chain_dag["max_active_tasks"] != 2
    # Every step parallel, with the default cap of 4 (env MELTANO_DAG_MAX_PARALLEL unset).
    default_dag = bag["dags"]["default-cap"]
    assert default_dag["max_active_tasks"] == 4
    assert [t["upstream"] for t in default_dag["tasks"]] == [[], []]

    # The cap from the Airflow environment when the schedule does not set it.
    bag, logs = load_dagbag(airflow_python, cache.parent, {**env, "MELTANO_DAG_MAX_PARALLEL": "3"})
    assert bag["dags"]["default-cap"]["max_active_tasks"] == 3
    assert bag["dags"]["fanout"]["max_active_tasks"] == 2


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"MELTANO_DAG_PARALLEL": "nothing-*"}, "matches no job step"),
        ({"MELTANO_DAG_PARALLEL": "tap-a--one *,dbt:test"}, "must be consecutive"),
        (
            {"MELTANO_DAG_PARALLEL": "tap-a--*", "MELTANO_DAG_MAX_PARALLEL": "0"},
            "MELTANO_DAG_MAX_PARALLEL must be a positive integer, got '0'",
        ),
    ],
)
def test_bad_fanout_setting_is_one_import_error(
    airflow_python: str,
    cached_project: tuple[Path, Path, Path],
    setting: dict[str, str],
    message: str,
) -> None:
    root, cache, fake = cached_project
    cache.write_text(schedule_list([{**FANOUT, "env": setting}]))
    env = {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_SCHEDULES_CACHE": str(cache),
        "MELTANO_BIN": str(fake),
    }
    bag, _ = load_dagbag(airflow_python, cache.parent, env)
    assert bag["dags"] == {}
    (error,) = bag["import_errors"].values()
    assert "MeltanoScheduleError: schedule fanout: " in error
    assert message in error
