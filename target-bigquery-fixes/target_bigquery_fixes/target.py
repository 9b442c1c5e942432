"""``FixedTargetBigQuery``: z3-target-bigquery with the fixed sinks, or a refusal.

The fixed sinks are selected through the target's own sink-class hook
(``TargetBigQuery.get_sink_class``, also used for its upload workers), and only when
``fingerprint.verify()`` found exactly the code they were written for. Otherwise the target
refuses to run (one line, exit 2) unless the ``accept_unverified_target`` setting
(``TARGET_BIGQUERY_ACCEPT_UNVERIFIED_TARGET`` through Meltano) explicitly accepts running
it as released, without the fixes. The same holds for a ``method`` other than
``gcs_stage``: the fixes and their tests cover only that one.
"""

from __future__ import annotations

import sys
import typing as t

from target_bigquery.target import TargetBigQuery

from target_bigquery_fixes import PROG
from target_bigquery_fixes.fingerprint import Verdict, verify

__all__ = ["ACCEPT_SETTING", "FixedTargetBigQuery"]

ACCEPT_SETTING = "accept_unverified_target"
FIXED_METHOD = "gcs_stage"


def _config_schema() -> dict[str, t.Any]:
    schema = dict(TargetBigQuery.config_jsonschema)
    schema["properties"] = {
        **schema.get("properties", {}),
        ACCEPT_SETTING: {
            "type": ["boolean", "null"],
            "description": (
                "Run a z3-target-bigquery whose code differs from the code the data-loss "
                "fixes were verified against (or a method other than gcs_stage) as "
                "released, without the fixes. Off: such a target refuses to run."
            ),
        },
    }
    return schema


class FixedTargetBigQuery(TargetBigQuery):
    """z3-target-bigquery whose ``gcs_stage`` sinks carry the fixes (see ``sinks``)."""

    config_jsonschema = _config_schema()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._fixed_sinks: dict[bool, type] | None = None
        verdict = verify()
        method = self.config.get("method", "storage_write_api")
        problem = _problem(verdict, method)
        if problem is None:
            from target_bigquery_fixes import sinks

            self._fixed_sinks = {
                True: sinks.FixedGcsStagingDenormalizedSink,
                False: sinks.FixedGcsStagingSink,
            }
            self.logger.info(
                "%s: z3-target-bigquery %s verified; fixed sinks in use", PROG, verdict.version
            )
            return
        if _accepted(self.config.get(ACCEPT_SETTING)):
            self.logger.warning(
                "%s: %s; running it as released, WITHOUT the fixes (%s is set)",
                PROG,
                problem,
                ACCEPT_SETTING,
            )
            return
        sys.stderr.write(
            f"{PROG}: error: {problem}; refusing to run it without the fixes (a failed "
            f"upload could again be skipped silently). Set {ACCEPT_SETTING}=true "
            f"(TARGET_BIGQUERY_{ACCEPT_SETTING.upper()}) to accept that risk\n"
        )
        sys.stderr.flush()
        raise SystemExit(2)

    def get_sink_class(self, stream_name: str | None = None) -> type:
        """The fixed sink for ``gcs_stage`` (verified code only), else the target's own."""
        if self._fixed_sinks is not None:
            return self._fixed_sinks[bool(self.config.get("denormalized", False))]
        return t.cast("type", super().get_sink_class(stream_name))


def _accepted(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return value is True


def _problem(verdict: Verdict, method: object) -> str | None:
    """Why the fixes cannot be used, or None."""
    if not verdict.verified:
        changed = ", ".join(name.partition(":")[2] for name in verdict.changed)
        return (
            f"z3-target-bigquery {verdict.version} at {verdict.location} is not the code "
            f"the fixes were verified against (differs: {changed})"
        )
    if method != FIXED_METHOD:
        return f"method {method!r} is not covered by the fixes (only {FIXED_METHOD!r} is)"
    return None
