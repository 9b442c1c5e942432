"""z3-target-bigquery 0.7.2 with two data-loss fixes; run as ``python -m`` in its venv.

``target-bigquery-gated`` runs this module under the state gate. Each fix is named after the
defect it closes; both were reproduced against the GCS/BigQuery emulators (see
``docs/reliability.md`` and ``tests/test_reliability_*.py`` in this repository).

``staged_batches_are_all_loaded``
    With ``method: gcs_stage`` batches are uploaded by worker threads. A failed upload is
    put back at the end of the queue, behind the stop sentinels queued at end of input, so
    the worker stops before retrying it and nothing is reported; errors that are reported
    are read only before the *next* batch. ``clean_up`` then loads whatever did upload,
    MERGEs, prints STATE and exits 0: when the last batches fail to upload (bucket deleted,
    permission lost), their rows are lost for good (reproduced: 2,000 of 3,000 rows loaded,
    exit 0, bookmark at the newest row). The fix counts the batches each sink handed to the
    workers, waits until every one was reported staged, and otherwise raises (no load, no
    STATE, exit 1).

``new_columns_are_added_before_merge``
    ``Denormalized.update_schema`` compares the stream's schema with *itself* (the table
    object built from the local JSON schema), never with the live table, so a column that
    appears in the source (a new Looker dimension) is never added and the upsert's MERGE
    fails on every run ("... does not have a column named ..."). The fix reads the live
    table and adds the missing columns with ``ALTER TABLE ... ADD COLUMN IF NOT EXISTS``
    (NULLABLE, as BigQuery requires) before loading.

Only applied to the version they were written for; any other version runs unpatched (the
state gate still protects the bookmark) with a warning.
"""

from __future__ import annotations

import importlib.metadata
import logging
import multiprocessing
import threading
import time
import typing as t

PATCHED_VERSION = "0.7.2"
LOGGER = logging.getLogger("target-bigquery-gated")


def _staging_workers_alive(worker_cls: type) -> bool:
    threads = [w for w in threading.enumerate() if isinstance(w, worker_cls) and w.is_alive()]
    procs = [p for p in multiprocessing.active_children() if isinstance(p, worker_cls)]
    return bool(threads or procs)


def _first_worker_error(target: t.Any) -> str:
    """The exception line of the first error a staging worker reported, if any."""
    try:
        if target is not None and target.error_notification.poll():
            _exc, message = target.error_notification.recv()
            lines = [
                line.strip()
                for line in str(message).splitlines()
                if line.strip() and not line.startswith((" ", "Traceback", "Worker ID"))
            ]
            if lines:
                return lines[-1]
    except Exception:  # noqa: S110 - best effort, the count mismatch is what matters
        pass
    return "an upload failed and no upload worker is left to retry it"


def patch_staged_batches_are_all_loaded() -> None:
    from target_bigquery import gcs_stage

    sink_cls = gcs_stage.BigQueryGcsStagingSink
    original_init = sink_cls.__init__
    original_process_batch = sink_cls.process_batch
    original_clean_up = sink_cls.clean_up

    def __init__(self: t.Any, target: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        self._gate_target = target
        self._gate_batches = 0
        original_init(self, target, *args, **kwargs)

    def process_batch(self: t.Any, context: dict[str, t.Any]) -> None:
        original_process_batch(self, context)
        self._gate_batches += 1

    def clean_up(self: t.Any) -> None:
        expected = self._gate_batches
        deadline = time.monotonic() + float(self.config.get("timeout", 600))
        while True:
            while self.gcs_notification.poll():
                self.uris.append(self.gcs_notification.recv())
            if len(self.uris) >= expected:
                break
            if not _staging_workers_alive(gcs_stage.GcsStagingWorker):
                if self.gcs_notification.poll(0.5):
                    continue
                missing = expected - len(self.uris)
                msg = (
                    f"{missing} of {expected} batch(es) of stream '{self.stream_name}' were "
                    f"not staged to gs://{self.bucket_name}, so nothing was loaded into "
                    f"BigQuery: {_first_worker_error(self._gate_target)}"
                )
                raise RuntimeError(msg)
            if time.monotonic() > deadline:
                msg = (
                    f"timed out waiting for {expected - len(self.uris)} upload(s) of stream "
                    f"'{self.stream_name}' to gs://{self.bucket_name}"
                )
                raise RuntimeError(msg)
            self.gcs_notification.poll(0.5)
        original_clean_up(self)

    sink_cls.__init__ = __init__  # type: ignore[method-assign]
    sink_cls.process_batch = process_batch  # type: ignore[method-assign]
    sink_cls.clean_up = clean_up  # type: ignore[method-assign]


_DDL_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}


def ddl_type(field: t.Any) -> str:
    """A BigQuery DDL column type for a ``SchemaField`` (nested and repeated included)."""
    base = _DDL_TYPES.get(field.field_type, field.field_type)
    if base == "STRUCT":
        inner = ", ".join(f"`{sub.name}` {ddl_type(sub)}" for sub in field.fields)
        base = f"STRUCT<{inner}>"
    return f"ARRAY<{base}>" if field.mode == "REPEATED" else base


def patch_new_columns_are_added_before_merge() -> None:
    from target_bigquery import core

    def update_schema(self: t.Any) -> None:
        client = core.bigquery_client_factory(self._credentials)
        ref = self.table.as_ref()
        have = {field.name.lower() for field in client.get_table(ref).schema}
        missing = [
            field
            for field in self.table.get_resolved_schema(self.apply_transforms)
            if field.name.lower() not in have
        ]
        # DDL rather than a schema PATCH: one statement per column, idempotent
        # (IF NOT EXISTS), and new columns are always NULLABLE, as BigQuery requires.
        for field in missing:
            client.query(
                f"ALTER TABLE `{ref.project}.{ref.dataset_id}.{ref.table_id}` "
                f"ADD COLUMN IF NOT EXISTS `{field.name}` {ddl_type(field)}"
            ).result()
        if missing:
            self.logger.info("Added column(s) %s to %s", ", ".join(f.name for f in missing), ref)

    core.Denormalized.update_schema = update_schema  # type: ignore[method-assign]


def apply() -> bool:
    """Apply every fix if the installed target is the version they were written for."""
    try:
        version = importlib.metadata.version("z3-target-bigquery")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != PATCHED_VERSION:
        LOGGER.warning(
            "z3-target-bigquery %s is installed; the fixes in %s were written for %s and "
            "are not applied",
            version,
            __name__,
            PATCHED_VERSION,
        )
        return False
    patch_staged_batches_are_all_loaded()
    patch_new_columns_are_added_before_merge()
    return True


def main() -> None:
    apply()
    from target_bigquery.target import TargetBigQuery

    TargetBigQuery.cli()


if __name__ == "__main__":
    main()
