"""Several Looker instances in one project (orchestrate/instances.meltano.yml): `eu` and `us`.

Two simulators whose data differ (other seeds and sizes) stand for the two instances, and a
third one sits behind the default instance's variables (`TAP_LOOKER_ACTIVITY_*`, as a
single-instance deployment sets them): it must never be queried. Through the project's own
runner (orchestrate/meltano_private.py, as the Makefile and the DAG tasks run meltano):

- `meltano run looker-eu-to-duckdb` and `looker-us-to-duckdb` into one DuckDB file: schema
  `looker_activity_eu` holds exactly eu's rows, `looker_activity_us` exactly us's;
- eu's Looker moves on, only eu runs again: incremental from eu's own state, us untouched;
- `airflow dags test looker-eu-to-bigquery` (local-gcp, emulators): dataset
  `looker_activity_eu` equals eu's truth, the default dataset variable notwithstanding.
"""

from __future__ import annotations

import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb
import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO_ROOT
from tests.meltano_cli import MELTANO
from tests.pipeline import new_destination, pipeline_env
from tests.reliability_helpers import IsolatedMeltano
from tests.test_airflow_dags import run_dags_test

if t.TYPE_CHECKING:
    from tests.harness import EmulatorStack

RUNNER = REPO_ROOT / "orchestrate" / "meltano_private.py"
COLUMNS = ("id", "content_id", "content_type", "other_count", "api_count", "schedule_count")
Row = tuple[t.Any, ...]


def instance_env(name: str, sim: LookerSimulator) -> dict[str, str]:
    prefix = f"LOOKER_{name.upper()}_"
    return {
        f"{prefix}BASE_URL": sim.base_url,
        f"{prefix}CLIENT_ID": CLIENT_ID,
        f"{prefix}CLIENT_SECRET": CLIENT_SECRET,
    }


def default_instance_env(sim: LookerSimulator) -> dict[str, str]:
    return {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_PAGE_SIZE": "250",
    }


def truth(sim: LookerSimulator) -> set[Row]:
    return {tuple(row[c] for c in COLUMNS) for row in sim.truth()}


def landed(database: Path, schema: str) -> set[Row]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select {', '.join(COLUMNS)} from {schema}.content_usage").fetchall()
    assert len(rows) == len({r[0] for r in rows}), f"duplicate ids in {schema}"
    return set(rows)


class Instances(t.NamedTuple):
    eu: LookerSimulator
    us: LookerSimulator
    default: LookerSimulator
    project: IsolatedMeltano
    env: dict[str, str]


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Instances]:
    sims = {
        "eu": LookerSimulator(
            rows=900, seed=1_001, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ),
        "us": LookerSimulator(
            rows=600, seed=2_002, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ),
        "default": LookerSimulator(
            rows=300, seed=3_003, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ),
    }
    for sim in sims.values():
        sim.start()
    try:
        base = tmp_path_factory.mktemp("instances")
        env = {
            **default_instance_env(sims["default"]),
            **instance_env("eu", sims["eu"]),
            **instance_env("us", sims["us"]),
            "TARGET_DUCKDB_FILEPATH": str(base / "warehouse.duckdb"),
        }
        yield Instances(sims["eu"], sims["us"], sims["default"], IsolatedMeltano.create(base), env)
    finally:
        for sim in sims.values():
            sim.stop()


def private_run(project: IsolatedMeltano, job: str, env: dict[str, str]) -> None:
    """`meltano run JOB` in `dev`, the way the Makefile runs it (orchestrate/meltano_private.py)."""
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(MELTANO), "run", job],
        cwd=project.root,
        env=project.env("dev", env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{job} exited {proc.returncode}:\n{proc.stderr[-5000:]}"


def test_each_instance_lands_exactly_its_rows_in_its_own_schema(instances: Instances) -> None:
    eu, us = truth(instances.eu), truth(instances.us)
    assert not eu & us, "the two instances' data must differ for this test to bite"
    database = Path(instances.env["TARGET_DUCKDB_FILEPATH"])

    private_run(instances.project, "looker-eu-to-duckdb", instances.env)
    private_run(instances.project, "looker-us-to-duckdb", instances.env)
    assert landed(database, "looker_activity_eu") == eu
    assert landed(database, "looker_activity_us") == us

    # eu's Looker moves on; only eu runs: from its own bookmark, us keeps its rows.
    instances.eu.advance(seconds=3_600, new_rows=150, touched_rows=80)
    instances.eu.reset_stats()
    private_run(instances.project, "looker-eu-to-duckdb", instances.env)
    assert landed(database, "looker_activity_eu") == truth(instances.eu)
    assert landed(database, "looker_activity_us") == us
    first_filter = instances.eu.stats()["queries"][0]["body"]["filters"]
    assert first_filter["content_usage.last_accessed_time"].startswith("after ")

    states = sorted(p.name for p in instances.project.state_dir.iterdir())
    assert states == [
        "dev:tap-looker-activity--eu-to-target-duckdb--eu",
        "dev:tap-looker-activity--us-to-target-duckdb--us",
    ]
    # The default instance's variables reached neither instance.
    assert instances.default.stats()["query"] == 0
    assert instances.default.stats()["login"] == 0


def test_an_instance_without_its_credentials_fails_instead_of_borrowing(
    instances: Instances,
) -> None:
    """No LOOKER_US_*: the us tap must not fall back to the default instance's variables."""
    env = {k: v for k, v in instances.env.items() if not k.startswith("LOOKER_US_")}
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(MELTANO), "run", "looker-us-to-duckdb"],
        cwd=instances.project.root,
        env=instances.project.env("dev", env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode != 0
    assert instances.default.stats()["login"] == 0
    assert "base_url" in proc.stderr


def test_an_instance_without_its_credentials_never_reads_lookersdk_env_vars(
    instances: Instances,
) -> None:
    """No LOOKER_US_*, but LOOKERSDK_* (looker-sdk's own variables) point at another Looker:
    the us tap refuses to run in one line naming the missing settings, before any login."""
    env = {k: v for k, v in instances.env.items() if not k.startswith("LOOKER_US_")}
    env.update(
        {
            "LOOKERSDK_BASE_URL": instances.default.base_url,
            "LOOKERSDK_CLIENT_ID": CLIENT_ID,
            "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    instances.default.reset_stats()
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(MELTANO), "run", "looker-us-to-duckdb"],
        cwd=instances.project.root,
        env=instances.project.env("dev", env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode != 0
    assert instances.default.stats()["login"] == 0, "the us tap logged in to another Looker"
    errors = [ln for ln in proc.stderr.splitlines() if "tap-looker-activity: error: " in ln]
    assert len(errors) == 1, proc.stderr[-5000:]
    assert "missing Looker setting(s): base_url, client_id, client_secret" in errors[0]
    assert "lookersdk_fallback" in errors[0]
    assert CLIENT_SECRET not in proc.stdout + proc.stderr


def test_a_second_writer_into_one_duckdb_file_fails_in_one_line(instances: Instances) -> None:
    """DuckDB allows one writer per file: a run into a file another process holds (here this
    test, as a parallel run or a dbt run would) fails at its start in one line, no traceback,
    and its bookmark does not move."""
    database = Path(instances.env["TARGET_DUCKDB_FILEPATH"])
    state_id = "dev:tap-looker-activity--eu-to-target-duckdb--eu"
    before = instances.project.stored_state(state_id)
    with duckdb.connect(str(database)) as holder:
        holder.execute("select 1").fetchall()
        proc = subprocess.run(
            [sys.executable, str(RUNNER), str(MELTANO), "run", "looker-eu-to-duckdb"],
            cwd=instances.project.root,
            env=instances.project.env("dev", instances.env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output[-5000:]
    errors = [ln for ln in output.splitlines() if "target-duckdb: error: " in ln]
    assert len(errors) == 1, output[-5000:]
    assert str(database) in errors[0]
    assert "DuckDB allows one writer per file" in errors[0]
    assert instances.project.stored_state(state_id) == before


def test_instance_schedule_in_airflow_loads_its_own_dataset(
    instances: Instances, emulator_stack: EmulatorStack, tmp_path: Path
) -> None:
    _, bucket = new_destination(emulator_stack)  # the default instance's dataset: stays empty
    env = pipeline_env(instances.eu, emulator_stack, "looker_activity", bucket)
    env.pop("TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR", None)  # covered by test_e2e_bigquery
    env.update(
        {
            **default_instance_env(instances.default),
            **instance_env("eu", instances.eu),
            "MELTANO_ENVIRONMENT": "local-gcp",
            "MELTANO_STATE_BACKEND_URI": (tmp_path / "state").as_uri(),
        }
    )
    result = run_dags_test(REPO_ROOT, "looker-eu-to-bigquery", env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    client = emulator_stack.bigquery.client()
    table = f"{emulator_stack.project}.looker_activity_eu.content_usage"
    query = f"SELECT {', '.join(COLUMNS)} FROM `{table}`"
    rows = [tuple(row.values()) for row in client.query(query).result()]
    assert len(rows) == len({r[0] for r in rows}), "duplicate ids in BigQuery"
    assert set(rows) == truth(instances.eu)
    assert instances.default.stats()["login"] == 0
    assert (
        tmp_path / "state" / "local-gcp:tap-looker-activity--eu-to-target-bigquery--eu"
    ).is_dir()
