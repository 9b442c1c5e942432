"""No secret readable by other users on disk, also after `kill -9` (issue 13, "Secrets at rest").

Meltano 4.4.1 writes the tap's whole configuration, client secret included, to
`<sys dir>/run/<plugin>/tap.<uuid>.config.json` and deletes it when the plugin ends; SIGKILL
leaves it behind. Runs are started the way the generated DAG's tasks start them (the
`bash_command` of a DagBag task: orchestrate/meltano_private.py, then meltano) and killed as a
whole process group mid-extract (the simulator holds the first query):

1. control: plain `meltano run` under the usual umask 022, killed: a file readable by others
   holds the secret (so the check below can fail);
2. the DAG's command, killed: the left-over file exists but nobody else can read it;
3. the DAG's command again, to completion, while the stale configuration (from 2) and its own
   live ones look a day old: another run's start deletes the stale one, not the live ones (the
   run succeeds), and nothing is left afterwards;
4. the rule on a fake ``/proc``: a configuration is kept while a process names it or a meltano
   process older than the file lives (its run may still be between tap exit and clean-up).

The Makefile's targets run meltano through the same script (checked on the Makefile's text).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shlex
import stat
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.meltano_cli import MELTANO
from tests.reliability_helpers import IsolatedMeltano, kill_group, wait_for
from tests.test_airflow_dags import (
    _missing,
    find_airflow_python,
    job_schedule,
    load_dagbag,
    schedule_list,
)

RUNNER = REPO_ROOT / "orchestrate" / "meltano_private.py"


def load_runner() -> t.Any:
    spec = importlib.util.spec_from_file_location("meltano_private", RUNNER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readable_by_others(path: Path, root: Path) -> bool:
    """``path`` can be read by any local user, given that ``root`` itself can be entered."""
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(
        d.stat().st_mode & stat.S_IXOTH
        for d in path.parents
        if d.is_relative_to(root) and d != root
    )


def files_with_secret(root: Path) -> list[Path]:
    found = []
    for folder, _, names in os.walk(root):  # does not follow symlinks (the plugin venvs)
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            try:
                if CLIENT_SECRET.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def exposed(root: Path) -> list[str]:
    """Files under ``root`` that hold the secret and that other users can read."""
    return [
        f"{p.relative_to(root)} ({stat.filemode(p.stat().st_mode)})"
        for p in files_with_secret(root)
        if readable_by_others(p, root)
    ]


class Setup(t.NamedTuple):
    sim: LookerSimulator
    project: IsolatedMeltano
    env: dict[str, str]
    dag_command: str
    base: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Setup]:
    airflow_python = find_airflow_python()
    if airflow_python is None:
        _missing("Airflow utility venv (.meltano/utilities/airflow/venv) or $AIRFLOW_PYTHON")
    assert airflow_python is not None
    base = tmp_path_factory.mktemp("secrets-at-rest")
    base.chmod(0o755)  # as a project directory usually is
    cache = base / "schedules.cache.json"
    cache.write_text(
        schedule_list(
            [
                job_schedule(
                    "duckdb", "looker-to-duckdb", ["tap-looker-activity target-duckdb"], "@manual"
                )
            ]
        )
    )
    bag, logs = load_dagbag(
        airflow_python,
        base / "airflow",
        {
            "MELTANO_PROJECT_ROOT": str(REPO_ROOT),
            "MELTANO_SCHEDULES_CACHE": str(cache),
            "MELTANO_BIN": str(MELTANO),
        },
    )
    (task,) = bag["dags"]["duckdb"]["tasks"]
    assert str(RUNNER) in task["bash_command"], logs[-2000:]
    sim = LookerSimulator(rows=600, seed=77, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sim.start()
    try:
        project = IsolatedMeltano.create(base)
        env = {
            "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
            "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
            "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
            "TAP_LOOKER_ACTIVITY_PAGE_SIZE": "200",
            "TARGET_DUCKDB_FILEPATH": str(base / "output" / "warehouse.duckdb"),
        }
        (base / "output").mkdir()
        yield Setup(sim, project, env, task["bash_command"], base)
    finally:
        sim.stop()


def start(setup: Setup, command: str, log: Path, *, umask: int) -> subprocess.Popen[bytes]:
    """``command`` through bash in its own process group, as Airflow's BashOperator runs it."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["bash", "-c", f"umask {umask:03o}; {command}"],
            cwd=REPO_ROOT,
            # A system db per run: a killed run's job stays "running" in it for 5 minutes.
            env=setup.project.env(
                "dev", {**setup.env, "MELTANO_DATABASE_URI": f"sqlite:///{log.with_suffix('.db')}"}
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def configs(setup: Setup) -> list[Path]:
    """Every plugin configuration file in the run directory (tap and target)."""
    return sorted((setup.project.sys_dir / "run").glob("*/*.config.json"))


def kill_mid_extract(setup: Setup, command: str, log: Path, *, umask: int) -> Path:
    """Start ``command``, SIGKILL its group while the tap waits for Looker; the left-over file."""
    before = set(configs(setup))
    setup.sim.reset_stats()
    setup.sim.inject("slow", match="query", seconds=20)
    proc = start(setup, command, log, umask=umask)
    try:
        wait_for(
            lambda: setup.sim.stats()["query"] >= 1,
            timeout=180,
            what="the first query",
            proc=proc,
            log=log,
        )
    finally:
        kill_group(proc)
    setup.sim.clear_faults()
    (left,) = [p for p in set(configs(setup)) - before if p.name.startswith("tap.")]
    return left


def test_control_plain_meltano_leaves_the_secret_readable(setup: Setup) -> None:
    run = setup.project.sys_dir / "run"
    run.mkdir(exist_ok=True)
    for folder in (run, *run.glob("*")):
        folder.chmod(0o755)  # a run directory as plain meltano leaves it under umask 022
    left = kill_mid_extract(
        setup,
        shlex.join([str(MELTANO), "run", "looker-to-duckdb"]),
        setup.base / "plain.log",
        umask=0o022,
    )
    assert CLIENT_SECRET in left.read_text()
    assert exposed(setup.base), "under umask 022 the killed run's configuration is world-readable"
    for path in configs(setup):
        path.unlink()  # the next tests start from a clean run directory


def test_dag_task_killed_leaves_nothing_readable_by_others(setup: Setup) -> None:
    left = kill_mid_extract(setup, setup.dag_command, setup.base / "dag-killed.log", umask=0o022)
    assert CLIENT_SECRET in left.read_text(), "the kill happened while the configuration existed"
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    assert stat.S_IMODE(left.parent.parent.stat().st_mode) == 0o700
    assert exposed(setup.base) == []


def test_next_run_removes_stale_configuration_but_not_a_live_one(setup: Setup) -> None:
    stale = configs(setup)  # left by the killed run of the previous test
    assert stale
    setup.sim.reset_stats()
    setup.sim.inject("slow", match="query", seconds=8)
    log = setup.base / "dag-complete.log"
    proc = start(setup, setup.dag_command, log, umask=0o022)
    wait_for(
        lambda: setup.sim.stats()["query"] >= 1,
        timeout=180,
        what="the first query",
        proc=proc,
        log=log,
    )
    live = [p for p in configs(setup) if p not in stale]
    assert len(live) == 2, f"the running tap's and target's configurations: {live}"
    # A day old: older than every live meltano process (the stale one's writer is dead), so
    # only its own live tap and target (their --config) keep the live run's files.
    # The live run's own start-up may already have removed the stale files (no other meltano
    # was alive when they were written): either way they must be gone after the next run.
    a_day_ago = time.time() - 86_400
    for path in (*stale, *live):
        with contextlib.suppress(FileNotFoundError):
            os.utime(path, (a_day_ago, a_day_ago))
    # Another run starting now (here only the cleanup, before `meltano --version`).
    other = subprocess.run(
        [sys.executable, str(RUNNER), str(MELTANO), "--version"],
        cwd=REPO_ROOT,
        env=setup.project.env("dev", setup.env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert other.returncode == 0, other.stderr[-2000:]
    assert not any(p.exists() for p in stale), "stale configurations removed"
    assert all(p.exists() for p in live), "a live run's configuration is kept"

    assert proc.wait(timeout=300) == 0, log.read_text()[-4000:]
    assert configs(setup) == []
    assert exposed(setup.base) == []
    assert re.search(r"Run completed|Block run completed", log.read_text())


def test_every_makefile_recipe_runs_meltano_through_the_private_runner() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "PRIVATE := $(BIN)/python orchestrate/meltano_private.py" in makefile
    runs_meltano = [
        line.strip()
        for line in makefile.splitlines()
        # Commands that run meltano, not lines that merely name a script (mypy's list).
        if line.startswith("\t") and re.search(r"meltano run|python scripts/demo|-m bench", line)
    ]
    assert len(runs_meltano) >= 4, runs_meltano  # run, demo, demo-gcp, bench
    assert runs_meltano, "the Makefile runs meltano somewhere"
    assert all("$(PRIVATE)" in line for line in runs_meltano), runs_meltano


def fake_proc(root: Path, boot: int, processes: dict[int, tuple[list[str], int]]) -> Path:
    """A /proc with ``btime`` and, per pid, argv and a start time in seconds after boot."""
    proc = root / "proc"
    proc.mkdir(parents=True)
    ticks = os.sysconf("SC_CLK_TCK")
    (proc / "stat").write_text(f"cpu 1 2 3\nbtime {boot}\nprocesses 9\n")
    for pid, (argv, started) in processes.items():
        (proc / str(pid)).mkdir()
        (proc / str(pid) / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
        fields = ["S", *["0"] * 18, str(started * ticks), "0"]
        (proc / str(pid) / "stat").write_text(f"{pid} (a (b) c) {' '.join(fields)}\n")
    return proc


def test_ownership_rule(tmp_path: Path) -> None:
    runner = load_runner()
    run = tmp_path / "run"
    (run / "tap-x").mkdir(parents=True)
    boot = 1_700_000_000
    config = run / "tap-x" / "tap.1234.config.json"
    config.write_text('{"client_secret": "s"}')
    config.chmod(0o644)
    os.utime(config, (boot + 100, boot + 100))
    meltano = ["/usr/bin/python3", "/p/.venv/bin/meltano", "run", "job"]
    tap = ["/p/venv/bin/tap-x", "--config", str(config)]
    keeps = {
        "its plugin runs": {1: (tap, 50)},
        "a meltano older than the file runs": {2: (meltano, 99)},
    }
    for name, processes in keeps.items():
        proc = fake_proc(tmp_path / name, boot, processes)
        assert runner.secure_run_dir(run, proc) == [], name
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
    gone = {3: (meltano, 150), 4: (["/bin/sh", "-c", "meltano run job"], 10)}
    proc = fake_proc(tmp_path / "writer gone", boot, gone)
    assert runner.secure_run_dir(run, proc) == [config]
    assert not config.exists()
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
