"""kill -9 of `meltano run looker-to-bigquery`, and when STATE may leave the target.

Invariant (issue #5): Meltano never stores a bookmark ahead of what BigQuery holds, so a
rerun after any kill converges to the source, without gaps or duplicates.

1. Upstream defect, shown end to end: z3-target-bigquery 0.7.2 (``gcs_stage``) prints STATE
   after a mid-run drain that only *staged* the batch to GCS; Meltano stores each STATE line
   as it arrives (``BookmarkWriter``, complete state, no ``--merge-state``). Killed there,
   the next run starts after rows that never reached BigQuery. The mid-run drain is
   triggered by a STATE that arrives more than ``_MAX_RECORD_AGE_IN_MINUTES`` (5 min) after
   the last drain; a test-only copy of the *released* target sets that to -1 so it happens
   at the tap's first STATE (every 10,000 records) instead of after 5 minutes of a real
   load. The same target behind ``singer-state-gate`` is killed at the same point.
2. The project as configured (gate + fixes), killed mid-extract after batches were staged,
   and during the BigQuery load; then rerun.
"""

from __future__ import annotations

import time
import typing as t

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.pipeline import (
    Snapshot,
    assert_equals_truth,
    bigquery_snapshot,
    new_destination,
    pipeline_env,
)
from tests.reliability_helpers import (
    LOADING_LINE,
    STATE_EMITTED_LINE,
    TARGET_VENV,
    IsolatedMeltano,
    assert_bookmark_not_ahead,
    kill_group,
    loaded_rows,
    log_has,
    wait_for,
    write_script,
    write_variant_project,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.harness import EmulatorStack

JOB = "looker-to-bigquery"
ENV = "local-gcp"
# The tap emits STATE every 10,000 records (singer-sdk STATE_MSG_FREQUENCY); page size and
# target batch size are 1,000 (tests/pipeline.py), so page 11 comes after that STATE.
MIDRUN_ROWS = 10_500
PAGES_BEFORE_HOLD = 10

FAST_DRAIN_TARGET = f"""#!{TARGET_VENV}/bin/python
# TEST ONLY: z3-target-bigquery 0.7.2 exactly as released, except that its mid-run drain
# (stage batches to GCS, print STATE; the load waits for end of input) happens at the first
# STATE instead of 5 minutes into a run.
from target_bigquery.target import TargetBigQuery

TargetBigQuery._MAX_RECORD_AGE_IN_MINUTES = -1.0
TargetBigQuery.cli()
"""


class KilledRun(t.NamedTuple):
    bookmark_at_kill: t.Any  # stored bookmark right after the kill (None: nothing stored)
    rows_at_kill: int  # rows in BigQuery right after the kill
    staged_at_kill: int  # staged objects in GCS right after the kill
    state_line_seen: bool  # the target had printed STATE (its own log line)
    after_rerun: Snapshot  # BigQuery after a clean rerun of the project as configured


def _start_midrun(
    base: Path, stack: EmulatorStack, *, gated: bool, seed: int
) -> tuple[IsolatedMeltano, LookerSimulator, t.Any, Path, str, str]:
    raw = write_script(base / "target-bigquery-fast-drain", FAST_DRAIN_TARGET)
    executable = raw
    if gated:
        executable = write_script(
            base / "target-bigquery-fast-drain-gated",
            f'#!/bin/sh\nexec "{TARGET_VENV}/bin/singer-state-gate" "{raw}" "$@"\n',
        )
    project = IsolatedMeltano.create(
        base, project_dir=write_variant_project(base, target_executable=executable)
    )
    sim = LookerSimulator(
        rows=MIDRUN_ROWS, seed=seed, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    sim.start()
    # Hold the tap on page 11, after its STATE at 10,000 records, while the target works.
    sim.inject("slow", match="query", skip=PAGES_BEFORE_HOLD, seconds=120)
    dataset, bucket = new_destination(stack)
    log = base / "killed-run.log"
    proc = project.start(
        "run", "--no-install", JOB, environment=ENV, env=pipeline_env(sim, stack, dataset, bucket),
        log=log,
    )  # fmt: skip
    return project, sim, proc, log, dataset, bucket


@pytest.fixture(scope="module")
def midrun(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[dict[str, KilledRun]]:
    """The released target and the gated one, side by side, killed after the target's
    mid-run STATE; then both reruns with the project as configured."""
    stack = emulator_stack
    started = {
        "raw": _start_midrun(tmp_path_factory.mktemp("raw"), stack, gated=False, seed=501),
        "gated": _start_midrun(tmp_path_factory.mktemp("gated"), stack, gated=True, seed=502),
    }
    sims = [s[1] for s in started.values()]
    try:
        at_kill = {}
        pending = dict(started)
        deadline = time.monotonic() + 240
        while pending and time.monotonic() < deadline:
            for name, (project, _sim, proc, log, dataset, bucket) in list(pending.items()):
                # raw: Meltano stored the STATE; gated: the target printed it (to the gate)
                ready = (
                    project.stored_state() is not None
                    if name == "raw"
                    else log_has(log, STATE_EMITTED_LINE)
                )
                assert proc.poll() is None, f"{name} run ended early:\n{log.read_text()[-3000:]}"
                if ready:
                    rows = len(loaded_rows(stack, dataset))
                    staged = len(stack.gcs.list_objects(bucket))
                    kill_group(proc)
                    at_kill[name] = (
                        project.stored_bookmark(),
                        rows,
                        staged,
                        log_has(log, STATE_EMITTED_LINE),
                    )
                    del pending[name]
            time.sleep(0.1)
        for name, (_p, _s, proc, log, *_rest) in pending.items():
            kill_group(proc)
            pytest.fail(f"{name}: the target never got to its mid-run STATE\n{log.read_text()}")

        # Rerun with the project as configured, same state and system dir (hence --force:
        # the killed run is still RUNNING in the system db).
        reruns = {}
        for name, (project, sim, _proc, log, dataset, bucket) in started.items():
            real = IsolatedMeltano.create(project.state_dir.parent)
            sim.clear_faults()
            env = pipeline_env(sim, stack, dataset, bucket)
            rerun_log = log.with_name("rerun.log")
            reruns[name] = (
                real.start("run", "--force", JOB, environment=ENV, env=env, log=rerun_log),
                rerun_log,
            )
        outcome = {}
        for name, (proc, rerun_log) in reruns.items():
            assert proc.wait(timeout=300) == 0, rerun_log.read_text()[-5000:]
            _project, sim, _proc, _log, dataset, bucket = started[name]
            outcome[name] = KilledRun(
                *at_kill[name], after_rerun=bigquery_snapshot(sim, stack, dataset, bucket)
            )
        yield outcome
    finally:
        for sim in sims:
            sim.stop()


def test_upstream_defect_released_target_state_before_load_loses_rows_after_kill(
    midrun: dict[str, KilledRun],
) -> None:
    """DOCUMENTS THE UPSTREAM DEFECT (z3-target-bigquery 0.7.2 + Meltano 4.4.1).

    Passing means the defect is still there: Meltano stored a bookmark while BigQuery held
    none of the rows before it, and after the kill the rerun starts at that bookmark, so
    those rows are never loaded. If this starts failing, the target changed: re-check
    whether singer-state-gate is still needed.
    """
    raw = midrun["raw"]
    assert raw.bookmark_at_kill is not None, "Meltano should have stored the mid-run STATE"
    assert raw.rows_at_kill == 0, "nothing was loaded into BigQuery when the STATE came out"
    assert raw.staged_at_kill >= PAGES_BEFORE_HOLD, "the rows were only staged in GCS"

    snap = raw.after_rerun
    landed = {r["id"] for r in snap.rows}
    lost = [i for i, row in snap.truth.items() if i not in landed]
    assert lost, "the rerun recovered every row: the defect is gone?"
    bookmark = raw.bookmark_at_kill
    assert all(snap.truth[i]["last_accessed_time"] < bookmark for i in lost)
    assert len(lost) >= 9_000, f"only {len(lost)} rows lost"


def test_gate_withholds_mid_run_state_so_the_rerun_converges(
    midrun: dict[str, KilledRun],
) -> None:
    gated = midrun["gated"]
    assert gated.state_line_seen, "the target printed its mid-run STATE (to the gate)"
    assert gated.bookmark_at_kill is None, "the gate must not let it reach Meltano"
    assert gated.rows_at_kill == 0
    assert gated.staged_at_kill >= PAGES_BEFORE_HOLD
    assert_equals_truth(gated.after_rerun)
    assert len(gated.after_rerun.rows) == MIDRUN_ROWS


# -- the project as configured, killed at chosen points --------------------------------


class KillFacts(t.NamedTuple):
    bookmark_before: t.Any
    bookmark_after_extract_kill: t.Any
    staged_new_at_extract_kill: int
    looker_sessions_left: int
    refused_without_force: str
    secret_files_left: list[str]
    bookmark_after_load_kill: t.Any
    final: Snapshot
    bookmark_final: t.Any


@pytest.fixture(scope="module")
def kills(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[KillFacts]:
    """Full load; Looker moves on; kill mid-extract; kill during the load; clean rerun.

    After each kill the bookmark invariant is checked against BigQuery.
    """
    stack = emulator_stack
    base = tmp_path_factory.mktemp("kills")
    project = IsolatedMeltano.create(base)
    sim = LookerSimulator(rows=3_000, seed=503, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sim.start()
    try:
        dataset, bucket = new_destination(stack)
        env = pipeline_env(sim, stack, dataset, bucket)
        project.run("run", JOB, environment=ENV, env=env)
        bookmark_before = project.stored_bookmark()
        assert_equals_truth(bigquery_snapshot(sim, stack, dataset, bucket))

        sim.advance(seconds=3_600, new_rows=1_500, touched_rows=300)

        # 1. mid-extract, after the first batch of this run was staged to GCS
        staged_before = len(stack.gcs.list_objects(bucket))
        sim.inject("slow", match="query", skip=1, seconds=60)
        log = base / "kill-extract.log"
        proc = project.start("run", JOB, environment=ENV, env=env, log=log)
        wait_for(
            lambda: len(stack.gcs.list_objects(bucket)) > staged_before,
            timeout=120, what="a staged batch", proc=proc, log=log,
        )  # fmt: skip
        kill_group(proc)
        staged_new = len(stack.gcs.list_objects(bucket)) - staged_before
        bookmark_extract = project.stored_bookmark()
        assert_bookmark_not_ahead(project, sim, stack, dataset)
        sessions_left = sim.auth.active_tokens()
        secret_files = [
            f"{oct(p.stat().st_mode & 0o777)} {p.relative_to(project.sys_dir)}"
            for p in sorted(project.sys_dir.glob("run/*/*.config.json"))
            if CLIENT_SECRET in p.read_text()
        ]
        sim.clear_faults()

        # The killed run is still RUNNING in Meltano's system db.
        refused = project.run("run", JOB, environment=ENV, env=env, check=False)
        assert refused.returncode != 0

        # 2. during the BigQuery load job (the MERGE comes after it)
        log = base / "kill-load.log"
        proc = project.start("run", "--force", JOB, environment=ENV, env=env, log=log)
        wait_for(
            lambda: log_has(log, LOADING_LINE), timeout=180, interval=0.02,
            what="the BigQuery load", proc=proc, log=log,
        )  # fmt: skip
        kill_group(proc)
        bookmark_load = project.stored_bookmark()
        assert_bookmark_not_ahead(project, sim, stack, dataset)

        # 3. a clean rerun
        project.run("run", "--force", JOB, environment=ENV, env=env)
        yield KillFacts(
            bookmark_before=bookmark_before,
            bookmark_after_extract_kill=bookmark_extract,
            staged_new_at_extract_kill=staged_new,
            looker_sessions_left=sessions_left,
            refused_without_force=refused.stdout + refused.stderr,
            secret_files_left=secret_files,
            bookmark_after_load_kill=bookmark_load,
            final=bigquery_snapshot(sim, stack, dataset, bucket),
            bookmark_final=project.stored_bookmark(),
        )
    finally:
        sim.stop()


def test_kill_mid_extract_after_staging_keeps_the_previous_bookmark(kills: KillFacts) -> None:
    assert kills.bookmark_before is not None
    assert kills.staged_new_at_extract_kill >= 1, "a batch of the killed run was staged"
    assert kills.bookmark_after_extract_kill == kills.bookmark_before


def test_killed_tap_leaves_only_an_open_looker_session(kills: KillFacts) -> None:
    """Looker side of a kill -9: the tap never logs out, so its API session stays open
    until the token expires (Looker's default: 1 hour). Nothing else: queries are
    read-only, and the rerun logs in again."""
    assert kills.looker_sessions_left >= 1


def test_kill_leaves_meltano_plugin_config_files_with_the_secret(kills: KillFacts) -> None:
    """DOCUMENTS MELTANO 4.4.1 BEHAVIOUR: each plugin's config (secrets included) is written
    to `<MELTANO_SYS_DIR_ROOT>/run/<plugin>/*.config.json` with the process umask (0644 by
    default) and deleted only on a clean exit; after kill -9 it stays. Mitigation (see
    docs/reliability.md): umask 077 or a private MELTANO_SYS_DIR_ROOT, and delete leftovers."""
    assert kills.secret_files_left, "Meltano changed: update docs/reliability.md"
    assert any("tap-looker-activity/" in f for f in kills.secret_files_left)


def test_rerun_right_after_a_kill_needs_force(kills: KillFacts) -> None:
    """Meltano's system db still marks the killed run RUNNING: it refuses the same job for
    5 minutes (stale-job timeout) unless `--force`. On Composer the pod and its db are gone,
    so retries are not blocked there; locally, wait or pass --force."""
    assert "pipeline is already running" in kills.refused_without_force


def test_kill_during_the_load_keeps_the_previous_bookmark(kills: KillFacts) -> None:
    assert kills.bookmark_after_load_kill == kills.bookmark_before


def test_rerun_after_kills_equals_the_source(kills: KillFacts) -> None:
    assert_equals_truth(kills.final)
    assert len(kills.final.rows) == 4_500
    assert kills.bookmark_final > kills.bookmark_before
    newest = max(row["last_accessed_time"] for row in kills.final.truth.values())
    assert kills.bookmark_final == newest
