"""The fixed sinks: subclasses of z3-target-bigquery 0.7.2's GCS staging sinks.

Imported only after ``fingerprint.verify()`` found the code these subclasses were written
for; ``target.FixedTargetBigQuery.get_sink_class`` (the target's own sink-class hook)
selects them. Nothing of the target is reassigned: its classes stay as released.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import typing as t

from target_bigquery import core, gcs_stage

from target_bigquery_fixes.ddl import ddl_type

__all__ = [
    "FixedGcsStagingDenormalizedSink",
    "FixedGcsStagingSink",
    "NewColumnsAreAddedBeforeMerge",
    "StagedBatchesAreAllLoaded",
]


def _staging_workers_alive() -> bool:
    worker_cls = gcs_stage.GcsStagingWorker
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
                return str(lines[-1])
    except Exception:  # noqa: S110 - best effort, the count mismatch is what matters
        pass
    return "an upload failed and no upload worker is left to retry it"


class StagedBatchesAreAllLoaded(gcs_stage.BigQueryGcsStagingSink):
    """Fail the run when a batch handed to the upload workers was never staged.

    With ``method: gcs_stage`` batches are uploaded by worker threads. A failed upload is
    put back at the end of the queue, behind the stop sentinels queued at end of input, so
    the worker stops before retrying it and nothing is reported; errors that are reported
    are read only before the *next* batch. ``clean_up`` then loads whatever did upload,
    MERGEs, prints STATE and exits 0: when the last batches fail to upload (bucket deleted,
    permission lost), their rows are lost for good (reproduced: 2,000 of 3,000 rows loaded,
    exit 0, bookmark at the newest row). This counts the batches handed to the workers,
    waits until every one was reported staged, and otherwise raises (no load, no STATE).
    """

    def __init__(self, target: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        self._fixes_target = target
        self._fixes_batches = 0
        super().__init__(target, *args, **kwargs)

    def process_batch(self, context: dict[str, t.Any]) -> None:
        super().process_batch(context)
        self._fixes_batches += 1

    def clean_up(self) -> None:
        expected = self._fixes_batches
        deadline = time.monotonic() + float(self.config.get("timeout", 600))
        while True:
            while self.gcs_notification.poll():
                self.uris.append(self.gcs_notification.recv())
            if len(self.uris) >= expected:
                break
            if not _staging_workers_alive():
                if self.gcs_notification.poll(0.5):
                    continue
                missing = expected - len(self.uris)
                msg = (
                    f"{missing} of {expected} batch(es) of stream '{self.stream_name}' were "
                    f"not staged to gs://{self.bucket_name}, so nothing was loaded into "
                    f"BigQuery: {_first_worker_error(self._fixes_target)}"
                )
                raise RuntimeError(msg)
            if time.monotonic() > deadline:
                msg = (
                    f"timed out waiting for {expected - len(self.uris)} upload(s) of stream "
                    f"'{self.stream_name}' to gs://{self.bucket_name}"
                )
                raise RuntimeError(msg)
            self.gcs_notification.poll(0.5)
        super().clean_up()


class NewColumnsAreAddedBeforeMerge(core.Denormalized):
    """Add the stream's new columns to the live table before loading.

    ``Denormalized.update_schema`` compares the stream's schema with *itself* (the table
    object built from the local JSON schema), never with the live table, so a column that
    appears in the source (a new Looker dimension) is never added and the upsert's MERGE
    fails on every run ("... does not have a column named ..."). This reads the live table
    and adds the missing columns with ``ALTER TABLE ... ADD COLUMN IF NOT EXISTS``
    (NULLABLE, as BigQuery requires). It runs where the target calls ``update_schema``: in
    the sink's ``__init__``, before the upsert's temp table is created.
    """

    def update_schema(self) -> None:
        sink = t.cast("t.Any", self)
        client = core.bigquery_client_factory(sink._credentials)
        ref = sink.table.as_ref()
        have = {field.name.lower() for field in client.get_table(ref).schema}
        missing = [
            field
            for field in sink.table.get_resolved_schema(sink.apply_transforms)
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
            sink.logger.info("Added column(s) %s to %s", ", ".join(f.name for f in missing), ref)


class FixedGcsStagingSink(StagedBatchesAreAllLoaded):
    """``method: gcs_stage``, ``denormalized: false``."""


class FixedGcsStagingDenormalizedSink(
    NewColumnsAreAddedBeforeMerge,
    StagedBatchesAreAllLoaded,
    gcs_stage.BigQueryGcsStagingDenormalizedSink,
):
    """``method: gcs_stage``, ``denormalized: true`` (this project)."""
