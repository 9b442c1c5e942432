"""What the fixes touch in z3-target-bigquery, and whether the installed code is that code.

The fixes subclass and call into the target's own classes; they are correct only for the code
they were written and tested against. A version string proves nothing (forks and upstream
``main`` also say 0.7.2), so the check is on the source of every function and class the
fixes override, subclass or rely on: ``inspect.getsource`` of each, SHA-256, compared with
the digests below (z3-target-bigquery 0.7.2 as released on PyPI).

After a deliberate upgrade: re-check each fix against the new code (and its test in
``tests/``), then update ``VERIFIED`` with ``python -m target_bigquery_fixes.fingerprint``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import json
import sys
from dataclasses import dataclass

__all__ = ["TOUCHED", "VERIFIED", "Verdict", "current", "verify"]

# module:qualname of everything the fixes override, subclass or depend on, and why.
TOUCHED: dict[str, str] = {
    # the sink-class hook the fixes are selected through
    "target_bigquery.target:TargetBigQuery.get_sink_class": "sink selection",
    # error pipe the upload check reads; worker shutdown then clean_up at end of input
    "target_bigquery.target:TargetBigQuery.__init__": "pipes, worker factory",
    "target_bigquery.target:TargetBigQuery.drain_one": "worker errors are read here",
    "target_bigquery.target:TargetBigQuery.drain_all": "workers stopped, then clean_up",
    # the upload protocol the batch count relies on (one notification per staged batch)
    "target_bigquery.gcs_stage:GcsStagingWorker": "upload, retry, notify",
    "target_bigquery.gcs_stage:BigQueryGcsStagingSink": "subclassed: batches, clean_up",
    "target_bigquery.gcs_stage:BigQueryGcsStagingDenormalizedSink": "subclassed",
    # schema: where update_schema runs, what it did, what the MERGE uses
    "target_bigquery.core:Denormalized": "update_schema is replaced",
    "target_bigquery.core:BaseBigQuerySink.__init__": "update_schema before the temp table",
    "target_bigquery.core:BaseBigQuerySink.clean_up": "the MERGE's column list",
    "target_bigquery.core:BigQueryTable.get_resolved_schema": "the stream's columns",
    "target_bigquery.core:BigQueryTable.as_ref": "the live table",
    "target_bigquery.core:bigquery_client_factory": "the client",
}

# sha256 of inspect.getsource(...) in z3-target-bigquery 0.7.2 (PyPI), first 16 hex digits.
VERIFIED: dict[str, str] = {
    "target_bigquery.target:TargetBigQuery.get_sink_class": "2973bfbb5164bcce",
    "target_bigquery.target:TargetBigQuery.__init__": "9c9f5690f7a653a4",
    "target_bigquery.target:TargetBigQuery.drain_one": "f2b8d03d4e6269cf",
    "target_bigquery.target:TargetBigQuery.drain_all": "33aa9b4058ca00cb",
    "target_bigquery.gcs_stage:GcsStagingWorker": "bc5fb78827fb6d50",
    "target_bigquery.gcs_stage:BigQueryGcsStagingSink": "9a733423f71a4bc5",
    "target_bigquery.gcs_stage:BigQueryGcsStagingDenormalizedSink": "40091c10991daf05",
    "target_bigquery.core:Denormalized": "f8b24950567a6391",
    "target_bigquery.core:BaseBigQuerySink.__init__": "becff8394a5752bd",
    "target_bigquery.core:BaseBigQuerySink.clean_up": "b0c69a06d8886d32",
    "target_bigquery.core:BigQueryTable.get_resolved_schema": "0b095ee836e4ae4f",
    "target_bigquery.core:BigQueryTable.as_ref": "05c36273e6048474",
    "target_bigquery.core:bigquery_client_factory": "ccccc802d71aaf54",
}


@dataclass(frozen=True)
class Verdict:
    """The installed target against what the fixes were verified with."""

    version: str | None
    location: str | None
    changed: tuple[str, ...]  # TOUCHED names whose source differs or is missing

    @property
    def verified(self) -> bool:
        return not self.changed and bool(VERIFIED)


def _source_digest(name: str) -> str | None:
    module_name, _, qualname = name.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        source = inspect.getsource(obj)  # type: ignore[arg-type]
    except Exception:  # anything unreadable counts as "not the verified code"
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def current() -> dict[str, str | None]:
    """Digest of each TOUCHED name in the installed target (None: not found)."""
    return {name: _source_digest(name) for name in TOUCHED}


def verify() -> Verdict:
    """Compare the installed target's code with the code the fixes were verified against."""
    try:
        version: str | None = importlib.metadata.version("z3-target-bigquery")
    except importlib.metadata.PackageNotFoundError:
        version = None
    try:
        location: str | None = str(importlib.import_module("target_bigquery").__file__)
    except ImportError:
        location = None
    digests = current()
    changed = tuple(name for name, digest in digests.items() if VERIFIED.get(name) != digest)
    return Verdict(version=version, location=location, changed=changed)


if __name__ == "__main__":  # print the VERIFIED table for the installed target
    json.dump(current(), sys.stdout, indent=4)
    sys.stdout.write("\n")
