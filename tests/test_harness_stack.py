"""Proof that the emulator harness carries the real z3-target-bigquery end to end.

Runs the REAL ``target-bigquery`` executable (its own venv, requirements/target-bigquery.txt;
override with ``TAP_LOOKER_TARGET_BIGQUERY_BIN``) against gcp-storage-emulator + bqemulator,
method gcs_stage, denormalized, upsert + dedupe_before_upsert, several batches. Asserts on
the rows in BigQuery, never on the exit code or STATE alone.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.bq_shims import unqualify_merge_update_set
from tests.harness.emulators import BigQueryEmulator, EmulatorStack, GcsEmulator

pytestmark = pytest.mark.timeout(600)

STREAM = "looker_content_usage"
SCHEMA = {
    "type": "SCHEMA",
    "stream": STREAM,
    "key_properties": ["id"],
    "schema": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "content_id": {"type": "string"},
            "content_title": {"type": ["string", "null"]},
            "api_count": {"type": "integer"},
            "last_accessed_time": {"type": "string", "format": "date-time"},
        },
    },
}


def _record(
    rid: int, count: int, *, title: str | None, extracted: str, accessed: str
) -> dict[str, Any]:
    return {
        "type": "RECORD",
        "stream": STREAM,
        "time_extracted": extracted,
        "record": {
            "id": rid,
            "content_id": f"dash-{rid}",
            "content_title": title,
            "api_count": count,
            "last_accessed_time": accessed,
        },
    }


def singer_messages(bump: int, state_value: str) -> tuple[str, dict[int, dict[str, Any]]]:
    """10 RECORDs over ids 1..9 (id 5 twice, the later one wins) + STATE; and the expected rows."""
    msgs: list[dict[str, Any]] = [SCHEMA]
    expected: dict[int, dict[str, Any]] = {}
    for rid in range(1, 10):
        title = None if rid == 4 else f"Dashboard {rid}"
        accessed = f"2026-10-0{rid}T12:00:00Z"
        msgs.append(
            _record(
                rid,
                rid * 10 + bump,
                title=title,
                extracted="2026-11-01T00:00:00+00:00",
                accessed=accessed,
            )
        )
        expected[rid] = {
            "content_title": title,
            "api_count": rid * 10 + bump,
            "last_accessed_time": accessed,
        }
    # duplicate id 5, extracted later: dedupe_before_upsert keeps the latest _sdc_extracted_at
    msgs.append(
        _record(
            5,
            500 + bump,
            title="Dashboard 5 renamed",
            extracted="2026-11-01T01:00:00+00:00",
            accessed="2026-10-20T08:30:00Z",
        )
    )
    expected[5] = {
        "content_title": "Dashboard 5 renamed",
        "api_count": 500 + bump,
        "last_accessed_time": "2026-10-20T08:30:00Z",
    }
    msgs.append(
        {"type": "STATE", "value": {"bookmarks": {STREAM: {"replication_key_value": state_value}}}}
    )
    return "".join(json.dumps(m) + "\n" for m in msgs), expected


def run_target(
    bin_dir: Path, config: dict[str, Any], stdin: str, env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    config_path = tmp_path / "target-bigquery.config.json"
    config_path.write_text(json.dumps(config))
    proc = subprocess.run(
        [str(bin_dir / "target-bigquery"), "--config", str(config_path)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    (tmp_path / f"target-{time.monotonic_ns()}.stderr.log").write_text(proc.stderr)
    return proc


def fetch_rows(bq: BigQueryEmulator, dataset: str) -> list[dict[str, Any]]:
    return bq.query(
        f"SELECT id, content_id, content_title, api_count, last_accessed_time "
        f"FROM `{bq.project}.{dataset}.{STREAM}` ORDER BY id"
    )


def assert_rows(rows: list[dict[str, Any]], expected: dict[int, dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"
    assert ids == sorted(expected)
    for row in rows:
        want = expected[row["id"]]
        assert row["content_id"] == f"dash-{row['id']}"
        assert row["content_title"] == want["content_title"]
        assert row["api_count"] == want["api_count"]
        assert (
            row["last_accessed_time"].isoformat().replace("+00:00", "Z")
            == want["last_accessed_time"]
        )


def test_target_bigquery_gcs_stage_upsert_against_emulators(
    emulator_stack: EmulatorStack,
    gcs_emulator: GcsEmulator,
    bigquery_emulator: BigQueryEmulator,
    gcs_bucket: str,
    bq_dataset: str,
    emulator_env: dict[str, str],
    target_bigquery_bin: Path,
    tmp_path: Path,
) -> None:
    config = {
        "project": bigquery_emulator.project,
        "dataset": bq_dataset,
        "location": "US",
        "method": "gcs_stage",
        "bucket": gcs_bucket,
        "denormalized": True,
        "upsert": True,
        "dedupe_before_upsert": True,
        "batch_size": 3,  # 10 records -> 4 staged files
    }

    # --- run 1: insert -------------------------------------------------------------------
    stdin, expected = singer_messages(bump=0, state_value="2026-11-01T00:00:00Z")
    proc = run_target(target_bigquery_bin, config, stdin, emulator_env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [
        {"bookmarks": {STREAM: {"replication_key_value": "2026-11-01T00:00:00Z"}}}
    ]

    client = bigquery_emulator.client()
    table = client.get_table(f"{bigquery_emulator.project}.{bq_dataset}.{STREAM}")
    types = {f.name: f.field_type for f in table.schema}
    assert types["id"] in ("INTEGER", "INT64")
    assert types["api_count"] in ("INTEGER", "INT64")
    assert types["content_id"] == "STRING"
    assert types["content_title"] == "STRING"
    assert types["last_accessed_time"] == "TIMESTAMP"
    assert {"_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at"} <= set(types)

    assert_rows(fetch_rows(bigquery_emulator, bq_dataset), expected)

    staged_1 = gcs_emulator.list_objects(gcs_bucket, prefix=f"target_bigquery/{bq_dataset}/")
    assert len(staged_1) == 4, staged_1
    assert all(name.endswith(".jsonl.gz") for name in staged_1)
    # staged under the upsert temp table's name:
    #   target_bigquery/<ds>/<stream>__<ts>__<uuid>/extracted_date=<date>/<uuid>.jsonl.gz
    assert all(name.split("/")[2].startswith(f"{STREAM}__") for name in staged_1)
    assert all((gcs_emulator.objects_root / gcs_bucket / name).is_file() for name in staged_1)
    # the temp table is dropped after the MERGE
    assert [t.table_id for t in client.list_tables(bq_dataset)] == [STREAM]

    # --- run 2: same ids, bigger counters -> upsert ---------------------------------------
    stdin, expected = singer_messages(bump=1000, state_value="2026-11-02T00:00:00Z")
    proc = run_target(target_bigquery_bin, config, stdin, emulator_env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (
        json.loads(proc.stdout.splitlines()[-1])["bookmarks"][STREAM]["replication_key_value"]
        == "2026-11-02T00:00:00Z"
    )
    assert_rows(fetch_rows(bigquery_emulator, bq_dataset), expected)
    staged_2 = gcs_emulator.list_objects(gcs_bucket, prefix=f"target_bigquery/{bq_dataset}/")
    assert len(staged_2) == 8


def test_target_reaches_emulators_without_pythonpath_via_fake_metadata(
    bigquery_emulator: BigQueryEmulator,
    gcs_bucket: str,
    bq_dataset: str,
    emulator_env: dict[str, str],
    target_bigquery_bin: Path,
    tmp_path: Path,
) -> None:
    """What ``meltano run`` does: Meltano drops PYTHONPATH, so no sitecustomize.

    google.auth.default() then finds the fake GCE metadata server (GCE_METADATA_HOST).
    """
    env = dict(emulator_env)
    env.pop("PYTHONPATH")
    env.pop("TAP_LOOKER_TEST_ANON_GCP")
    config = {
        "project": bigquery_emulator.project,
        "dataset": bq_dataset,
        "location": "US",
        "method": "gcs_stage",
        "bucket": gcs_bucket,
        "denormalized": True,
        "batch_size": 100,
    }
    stdin, _ = singer_messages(bump=0, state_value="x")
    proc = run_target(target_bigquery_bin, config, stdin, env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = fetch_rows(bigquery_emulator, bq_dataset)
    assert len(rows) == 10


def test_unqualify_merge_update_set_rewrites_only_merge_set_targets() -> None:
    sql = (
        "CREATE OR REPLACE TEMP TABLE `t__tmp` AS SELECT * FROM `p.d.t__x` QUALIFY ROW_NUMBER() "
        "OVER (PARTITION BY `id` ORDER BY COALESCE(_sdc_extracted_at, _sdc_received_at) DESC) = 1; "
        "MERGE `p.d.t` AS target USING `t__tmp` AS source ON target.`id` = source.`id` "
        "WHEN MATCHED THEN UPDATE SET target.`id` = source.`id`, target.`n` = source.`n` "
        "WHEN NOT MATCHED THEN INSERT (`id`, `n`) VALUES (source.`id`, source.`n`); "
        "DROP TABLE IF EXISTS `p`.`d`.`t__x`;"
    )
    out = unqualify_merge_update_set(sql)
    assert "UPDATE SET `id` = source.`id`, `n` = source.`n`" in out.replace("\n", " ")
    assert "target.`id` = source.`id` WHEN" in out  # the ON clause keeps its qualifiers
    plain = "SELECT target.a FROM t AS target"
    assert unqualify_merge_update_set(plain) is plain


def test_bqemulator_gaps_that_the_shims_close(
    tmp_path: Path, bigquery_emulator: BigQueryEmulator
) -> None:
    """Documents the gaps: fails on a shim-less bqemulator, passes on the harness one.

    If this starts failing on the ``none`` side, bqemulator fixed the gap: drop the shim.
    """
    from google.cloud import bigquery

    schema = [bigquery.SchemaField("id", "INT64"), bigquery.SchemaField("n", "INT64")]
    body = gzip.compress(b'{"id": 1, "n": 1}\n{"id": 2, "n": 2}\n')
    merge = (
        "MERGE `{p}.{d}.t` AS target "
        "USING (SELECT 2 AS id, 20 AS n UNION ALL SELECT 3, 3) AS source "
        "ON target.`id` = source.`id` "
        "WHEN MATCHED THEN UPDATE SET target.`id` = source.`id`, target.`n` = source.`n` "
        "WHEN NOT MATCHED THEN INSERT (`id`, `n`) VALUES (source.`id`, source.`n`)"
    )

    def exercise(bq: BigQueryEmulator, dataset: str) -> tuple[bool, bool]:
        bq.create_dataset(dataset)
        client = bq.client()
        cfg = bigquery.LoadJobConfig(source_format="NEWLINE_DELIMITED_JSON", schema=schema)
        try:  # load_detects_gzip_by_content
            client.load_table_from_file(
                io.BytesIO(body), f"{bq.project}.{dataset}.t", job_config=cfg
            ).result()
            gzip_ok = bq.query(f"SELECT id, n FROM `{bq.project}.{dataset}.t` ORDER BY id") == [
                {"id": 1, "n": 1},
                {"id": 2, "n": 2},
            ]
        except Exception:
            gzip_ok = False
            bq.query(
                f"CREATE OR REPLACE TABLE `{bq.project}.{dataset}.t` (id INT64, n INT64)"
            )  # the failed load created it
            bq.query(f"INSERT INTO `{bq.project}.{dataset}.t` VALUES (1, 1), (2, 2)")
        try:  # merge_update_set_accepts_qualified_columns
            bq.query(merge.format(p=bq.project, d=dataset))
            merge_ok = bq.query(f"SELECT id, n FROM `{bq.project}.{dataset}.t` ORDER BY id") == [
                {"id": 1, "n": 1},
                {"id": 2, "n": 20},
                {"id": 3, "n": 3},
            ]
        except Exception:
            merge_ok = False
        return gzip_ok, merge_ok

    assert exercise(bigquery_emulator, "shims_on") == (True, True)
    with BigQueryEmulator(tmp_path / "gcs", shims="none", log_dir=tmp_path / "bq-noshims") as bare:
        assert exercise(bare, "shims_off") == (False, False)


def test_characterize_intermediate_state_is_emitted_before_the_load_job(
    emulator_stack: EmulatorStack,
    gcs_emulator: GcsEmulator,
    bigquery_emulator: BigQueryEmulator,
    gcs_bucket: str,
    bq_dataset: str,
    emulator_env: dict[str, str],
    target_bigquery_bin: Path,
    tmp_path: Path,
) -> None:
    """CHARACTERIZATION of z3-target-bigquery 0.7.2 (a reliability hazard, not a wish).

    A STATE that arrives after records older than ``_MAX_RECORD_AGE_IN_MINUTES`` (5 min,
    target.py:75) triggers a non-final ``drain_all``: the batch is only STAGED to GCS, the
    STATE is written to stdout, and the BigQuery load + MERGE run only at end of input
    (``clean_up``). Here the age limit is forced to -1 so it happens at once; if the target
    dies after that STATE, Meltano has the bookmark but BigQuery has no rows.
    """
    wrapper = (
        "from target_bigquery.target import TargetBigQuery\n"
        "TargetBigQuery._MAX_RECORD_AGE_IN_MINUTES = -1.0\n"
        "TargetBigQuery.cli()\n"
    )
    config = {
        "project": bigquery_emulator.project,
        "dataset": bq_dataset,
        "location": "US",
        "method": "gcs_stage",
        "bucket": gcs_bucket,
        "denormalized": True,
        "upsert": True,
        "dedupe_before_upsert": True,
        "batch_size": 3,
    }
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    stdin, _ = singer_messages(bump=0, state_value="first")
    # SCHEMA + 4 RECORDs + STATE
    lines = [*stdin.splitlines()[:5], json.dumps({"type": "STATE", "value": {"n": 1}})]
    proc = subprocess.Popen(
        [str(target_bigquery_bin / "python"), "-c", wrapper, "--config", str(config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "target.stderr.log").open("w"),
        text=True,
        env=emulator_env,
    )
    try:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("\n".join(lines) + "\n")
        proc.stdin.flush()
        # (~30 s: the non-final drain joins worker threads that exit after a 30 s idle get())
        assert json.loads(proc.stdout.readline()) == {"n": 1}
        staged = gcs_emulator.list_objects(gcs_bucket, prefix=f"target_bigquery/{bq_dataset}/")
        assert len(staged) == 2
        count = bigquery_emulator.query(
            f"SELECT COUNT(*) AS n FROM `{bigquery_emulator.project}.{bq_dataset}.{STREAM}`"
        )
        assert count == [{"n": 0}]  # ...but nothing is loaded, although the STATE is out
    finally:
        proc.kill()
        proc.wait()
    count = bigquery_emulator.query(
        f"SELECT COUNT(*) AS n FROM `{bigquery_emulator.project}.{bq_dataset}.{STREAM}`"
    )
    assert count == [{"n": 0}]  # the target died: the staged rows are never loaded
