"""target-bigquery-gated (target-bigquery-fixes under the state gate), as Meltano runs it.

- Fail closed: the fixes are keyed on the *code* they touch, not on the version string. A
  fork whose metadata still says 0.7.2 (here: the released package with the upload retry
  limit changed, put first on ``PYTHONPATH``) is refused with one line, unless
  ``accept_unverified_target`` accepts running it as released; so is a ``method`` the
  fixes do not cover.
- The fixed sinks are subclasses selected through the target's own ``get_sink_class``;
  none of the target's classes is modified.
- Both fixes, directly against the GCS/BigQuery emulators, without the tap: a new column is
  added to the live table, and a batch whose upload GCS refused fails the run (no STATE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.harness.faults import FaultProxy
from tests.meltano_cli import MELTANO
from tests.pipeline import pipeline_env
from tests.reliability_helpers import (
    TARGET_VENV,
    IsolatedMeltano,
    loaded_rows,
    write_script,
    write_variant_project,
)

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

GATED = TARGET_VENV / "bin" / "target-bigquery-gated"
PREFIX = "target-bigquery-gated: error: "
GATE_PREFIX = "singer-state-gate: error: "
ACCEPT_WARNING = "running it as released, WITHOUT the fixes"
STREAM = "content_usage"


def _config(tmp_path: Path, **settings: t.Any) -> Path:
    config = {
        "project": "test-project",
        "dataset": "looker_activity",
        "method": "gcs_stage",
        "bucket": "staging",
        "denormalized": True,
        **settings,
    }
    path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"
    path.write_text(json.dumps(config))
    return path


def _run(
    config: Path, stdin: str = "", env: t.Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if not GATED.exists():
        pytest.fail(f"{GATED} missing: run `.venv/bin/meltano install`")
    return subprocess.run(
        [str(GATED), "--config", str(config)],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def _lines(err: str, prefix: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(prefix)]


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for PYTHONPATH holding z3-target-bigquery 0.7.2 with one change.

    The installed distribution's metadata (version 0.7.2) is unchanged, as in a fork or a
    build of upstream main: only the upload worker retries 5 times instead of 3.
    """
    site = next((TARGET_VENV / "lib").glob("python3*/site-packages"))
    root = tmp_path_factory.mktemp("fork")
    package = root / "target_bigquery"
    shutil.copytree(site / "target_bigquery", package)
    source = package / "gcs_stage.py"
    text = source.read_text()
    assert text.count("if job.attempt > 3:") == 1
    source.write_text(text.replace("if job.attempt > 3:", "if job.attempt > 5:"))
    return root


def test_fork_that_still_says_0_7_2_is_refused(tmp_path: Path, fork: Path) -> None:
    proc = _run(_config(tmp_path), env={"PYTHONPATH": str(fork)})
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stdout == ""
    [refusal] = _lines(proc.stderr, PREFIX)
    assert "z3-target-bigquery 0.7.2 at " + str(fork) in refusal
    assert "differs: GcsStagingWorker)" in refusal
    assert "Set accept_unverified_target=true" in refusal
    [gate_line] = _lines(proc.stderr, GATE_PREFIX)
    assert "exited 2 (" + PREFIX in gate_line, "the gate repeats the cause"
    assert "Traceback" not in proc.stderr


def test_fork_runs_as_released_when_the_risk_is_accepted(tmp_path: Path, fork: Path) -> None:
    state = {"bookmarks": {STREAM: {"replication_key_value": "2024-01-10T00:00:00+00:00"}}}
    stdin = json.dumps({"type": "STATE", "value": state}) + "\n"
    config = _config(tmp_path, accept_unverified_target=True)
    proc = _run(config, stdin, env={"PYTHONPATH": str(fork)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ACCEPT_WARNING in proc.stderr
    assert "differs: GcsStagingWorker" in proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [state]


def test_a_method_the_fixes_do_not_cover_is_refused(tmp_path: Path) -> None:
    proc = _run(_config(tmp_path, method="batch_job"))
    assert proc.returncode == 2, proc.stderr[-3000:]
    [refusal] = _lines(proc.stderr, PREFIX)
    assert "method 'batch_job' is not covered by the fixes (only 'gcs_stage' is)" in refusal


FIXED_SINKS_CHECK = """
import json
from target_bigquery import core, gcs_stage, target
pristine = {
    "clean_up": gcs_stage.BigQueryGcsStagingSink.__dict__["clean_up"],
    "process_batch": gcs_stage.BigQueryGcsStagingSink.__dict__["process_batch"],
    "__init__": gcs_stage.BigQueryGcsStagingSink.__dict__["__init__"],
    "update_schema": core.Denormalized.__dict__["update_schema"],
    "get_sink_class": target.TargetBigQuery.__dict__["get_sink_class"],
}
from target_bigquery_fixes.fingerprint import verify
from target_bigquery_fixes.target import FixedTargetBigQuery
config = {"project": "p", "dataset": "d", "method": "gcs_stage", "bucket": "b"}
out = {"verified": verify().verified}
for denormalized in (True, False):
    tgt = FixedTargetBigQuery(config={**config, "denormalized": denormalized})
    sink = tgt.get_sink_class("content_usage")
    upstream = (gcs_stage.BigQueryGcsStagingDenormalizedSink if denormalized
                else gcs_stage.BigQueryGcsStagingSink)
    out[str(denormalized)] = [sink.__module__ + "." + sink.__name__, issubclass(sink, upstream)]
    out["workers_" + str(denormalized)] = issubclass(
        sink.worker_cls_factory(tgt.proc_cls, config), gcs_stage.GcsStagingWorker)
owner = {"update_schema": core.Denormalized, "get_sink_class": target.TargetBigQuery}
out["untouched"] = [
    name for name, fn in pristine.items()
    if owner.get(name, gcs_stage.BigQueryGcsStagingSink).__dict__[name] is fn
]
print(json.dumps(out))
"""


def test_fixed_sinks_come_from_the_sink_class_hook_and_nothing_is_patched() -> None:
    proc = subprocess.run(
        [str(TARGET_VENV / "bin" / "python"), "-W", "ignore", "-c", FIXED_SINKS_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["verified"] is True, "the installed target is the verified 0.7.2 code"
    assert out["True"] == ["target_bigquery_fixes.sinks.FixedGcsStagingDenormalizedSink", True]
    assert out["False"] == ["target_bigquery_fixes.sinks.FixedGcsStagingSink", True]
    assert out["workers_True"]
    assert out["workers_False"]
    assert sorted(out["untouched"]) == sorted(
        ["clean_up", "process_batch", "__init__", "update_schema", "get_sink_class"]
    )


def _messages(ids: range, *, extra_column: bool) -> str:
    props: dict[str, t.Any] = {
        "id": {"type": "integer"},
        "last_accessed_time": {"type": "string", "format": "date-time"},
    }
    if extra_column:
        props["content_owner"] = {"type": ["string", "null"]}
    lines: list[dict[str, t.Any]] = [
        {
            "type": "SCHEMA",
            "stream": STREAM,
            "key_properties": ["id"],
            "schema": {"properties": props},
        }
    ]
    for i in ids:
        record: dict[str, t.Any] = {
            "id": i,
            "last_accessed_time": f"2024-01-01T00:00:{i % 60:02d}Z",
        }
        if extra_column:
            record["content_owner"] = f"owner-{i % 3}"
        lines.append({"type": "RECORD", "stream": STREAM, "record": record})
    value = {
        "bookmarks": {STREAM: {"replication_key_value": f"2024-01-01T00:00:{ids[-1] % 60:02d}Z"}}
    }
    lines.append({"type": "STATE", "value": value})
    return "".join(json.dumps(m) + "\n" for m in lines)


def test_new_column_is_added_and_a_refused_upload_fails_the_run(
    emulator_stack: EmulatorStack, tmp_path: Path
) -> None:
    """The table holds rows 1-2 without ``content_owner``; a run brings the new column and
    3 batches, and GCS refuses the last upload. Released 0.7.2: the column is not added, 2
    of 3 batches are loaded, exit 0, STATE at the newest row (rows lost for good)."""
    stack = emulator_stack
    dataset = stack.new_name("gated")
    bucket = stack.new_name("staging").replace("_", "-")
    stack.bigquery.create_dataset(dataset, location="US")
    stack.gcs.create_bucket(bucket, location="US")
    table = f"{stack.project}.{dataset}.{STREAM}"
    stack.bigquery.client().query(
        f"CREATE TABLE `{table}` (id INT64, last_accessed_time TIMESTAMP); "
        f"INSERT INTO `{table}` VALUES (1, TIMESTAMP '2024-01-01 00:00:01'), "
        f"(2, TIMESTAMP '2024-01-01 00:00:02')"
    ).result()
    config = _config(
        tmp_path, project=stack.project, dataset=dataset, bucket=bucket, location="US",
        batch_size=2,
    )  # fmt: skip

    with FaultProxy(stack.gcs.url) as gcs:
        gcs.inject(method="POST", path=r"^/upload/storage/v1/b/[^/]+/o\b", status=403,
                   count=10, skip=2, message="storage.objects.create denied")  # fmt: skip
        env = stack.subprocess_env(STORAGE_EMULATOR_HOST=gcs.url)
        proc = _run(config, _messages(range(1, 7), extra_column=True), env)
        assert gcs.applied() >= 1
    assert "Added column(s) " in proc.stderr
    rows = loaded_rows(stack, dataset)
    assert all("content_owner" in row for row in rows.values()), "the live table has the column"
    assert proc.returncode == 1, proc.stderr[-4000:]
    assert proc.stdout == "", "no STATE for a run whose upload failed"
    [gate_line] = _lines(proc.stderr, GATE_PREFIX)
    assert "1 of 3 batch(es) of stream 'content_usage' were not staged to gs://" in gate_line
    assert set(rows) == {1, 2}, "nothing of this run was loaded"


def test_meltano_run_refuses_a_fork_in_one_line_and_the_setting_accepts_it(
    fork: Path, emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Through Meltano: the refusal is one line among the last lines of ``meltano run``,
    nothing is stored; ``TARGET_BIGQUERY_ACCEPT_UNVERIFIED_TARGET`` (a declared setting)
    reaches the target and makes it run as released."""
    base = tmp_path_factory.mktemp("meltano-fork")
    wrapper = write_script(
        base / "target-bigquery-fork",
        f'#!/bin/sh\nPYTHONPATH="{fork}" exec "{GATED}" "$@"\n',
    )
    project = IsolatedMeltano.create(
        base, project_dir=write_variant_project(base, target_executable=wrapper)
    )
    with LookerSimulator(
        rows=200, seed=1301, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        env = pipeline_env(sim, emulator_stack, "never_created", "never-created")
        proc = project.run(
            "run", "tap-looker-activity", "target-bigquery",
            environment="local-gcp", env=env, check=False,
        )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    last = output.splitlines()[-12:]
    refusal = [line for line in last if PREFIX in line and "differs: GcsStagingWorker" in line]
    assert refusal, "\n".join(last)
    assert project.stored_state() is None
    assert "tap_looker_activity" not in "\n".join(last), "no traceback from our code"

    env["TARGET_BIGQUERY_ACCEPT_UNVERIFIED_TARGET"] = "true"
    invoked = subprocess.run(
        [str(MELTANO), "invoke", "target-bigquery"],
        cwd=project.root,
        env=project.env("local-gcp", env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert invoked.returncode == 0, (invoked.stdout + invoked.stderr)[-3000:]
    assert ACCEPT_WARNING in invoked.stdout + invoked.stderr
