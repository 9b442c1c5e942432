"""Meltano's `gs://` state backend (what `prod` uses on Cloud Composer), on the GCS emulator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.harness import EmulatorStack
from tests.meltano_cli import MeltanoProject


def test_bookmarks_live_in_gcs_and_drive_the_next_run(
    make_simulator, meltano_project: MeltanoProject, emulator_stack: EmulatorStack, tmp_path: Path
) -> None:
    sim = make_simulator(rows=1_500, seed=77)
    bucket = emulator_stack.new_name("state").replace("_", "-")
    emulator_stack.gcs.create_bucket(bucket, location="US")
    env = emulator_stack.subprocess_env(
        MELTANO_STATE_BACKEND_URI=f"gs://{bucket}/meltano/state",
        TAP_LOOKER_ACTIVITY_BASE_URL=sim.base_url,
        TAP_LOOKER_ACTIVITY_CLIENT_ID=CLIENT_ID,
        TAP_LOOKER_ACTIVITY_CLIENT_SECRET=CLIENT_SECRET,
        TARGET_DUCKDB_FILEPATH=str(tmp_path / "db.duckdb"),
    )

    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)

    objects = emulator_stack.gcs.list_objects(bucket)
    assert any(o.startswith("meltano/state/") for o in objects), objects
    state_id = "dev:tap-looker-activity-to-target-duckdb"
    state = json.loads(
        meltano_project.run("state", "get", state_id, environment="dev", env=env).stdout
    )
    bookmark = state["singer_state"]["bookmarks"]["content_usage"]["replication_key_value"]
    newest = max(r["last_accessed_time"] for r in sim.truth())
    assert bookmark == newest.replace(" ", "T") + "+00:00"

    # The next run reads that bookmark from GCS: it asks Looker only for rows since then,
    # minus the look-back window (lookback_minutes, default one day).
    sim.reset_stats()
    meltano_project.run("run", "looker-to-duckdb", environment="dev", env=env)
    first_query = sim.stats()["queries"][0]["body"]
    since = first_query["filters"]["content_usage.last_accessed_time"]
    window_start = dt.datetime.fromisoformat(newest) - dt.timedelta(days=1)
    assert since == f"after {window_start:%Y/%m/%d %H:%M:%S}"
