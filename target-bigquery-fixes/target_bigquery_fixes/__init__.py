"""z3-target-bigquery with two data-loss fixes, run under singer-state-gate.

``target-bigquery-gated`` (the executable Meltano runs) starts ``python -m
target_bigquery_fixes`` under the state gate: the gate holds back STATE until the target
exited 0; the target is z3-target-bigquery whose ``gcs_stage`` sinks are replaced, through
its own sink-class hook, by subclasses that fix two data-loss defects of 0.7.2 (see
``sinks``): ``StagedBatchesAreAllLoaded`` (a failed upload of the last batches was silently
skipped: exit 0, STATE, rows lost) and ``NewColumnsAreAddedBeforeMerge`` (a new source
column broke every MERGE).

Fail closed: the fixes are used only when the installed target's code is exactly the code
they were verified against (``fingerprint``, not the version string). Any other code, or a
method other than ``gcs_stage``, refuses to run unless ``accept_unverified_target`` is set.
"""

from __future__ import annotations

import sys

__all__ = ["PROG", "gated", "main"]

PROG = "target-bigquery-gated"


def main() -> None:
    """The fixed target itself (``python -m target_bigquery_fixes``), ungated."""
    try:
        from target_bigquery_fixes.target import FixedTargetBigQuery
    except ImportError as exc:
        sys.stderr.write(f"{PROG}: error: cannot load z3-target-bigquery: {exc}\n")
        sys.exit(2)
    FixedTargetBigQuery.cli()


def gated() -> None:
    """``target-bigquery-gated [ARGS...]``: the fixed target under singer-state-gate."""
    from singer_state_gate import gate

    sys.exit(
        gate(
            "target_bigquery_fixes",
            sys.argv[1:],
            prefix=[sys.executable, "-m"],
            name="target-bigquery",
        )
    )
