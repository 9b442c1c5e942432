"""tap-looker-activity: Looker System Activity explores as incremental Singer streams."""

from __future__ import annotations

import atexit
import datetime as dt
import sys
import typing as t
import zoneinfo
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from typing_extensions import override

from tap_looker_activity.errors import LookerActivityError, LookerConfigError
from tap_looker_activity.looker_api import ConnectionSettings, LookerClient, RetryPolicy
from tap_looker_activity.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapLookerActivity(Tap):
    """Singer tap for Looker's System Activity model."""

    name = "tap-looker-activity"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType,
            title="Looker API base URL",
            description=(
                "Looker API host, e.g. https://company.looker.com:19999 (or "
                "https://company.cloud.looker.com). Falls back to LOOKERSDK_BASE_URL / "
                "looker.ini."
            ),
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="API client ID",
            description="Looker API3 client ID. Falls back to LOOKERSDK_CLIENT_ID / looker.ini.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="API client secret",
            description=(
                "Looker API3 client secret. Falls back to LOOKERSDK_CLIENT_SECRET / looker.ini."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description=(
                "Earliest activity to extract on the first run (ISO 8601). Default: "
                "everything Looker still holds. Later runs start at the bookmark."
            ),
        ),
        th.Property(
            "verify_ssl",
            th.BooleanType,
            default=True,
            title="Verify SSL",
            description="Verify the Looker server's TLS certificate.",
        ),
        th.Property(
            "timeout",
            th.IntegerType,
            default=120,
            title="Timeout (seconds)",
            description="Seconds to wait for one Looker API response before retrying.",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=5000,
            title="Page size",
            description=(
                "Rows per Looker query. Keep it at or below your instance's row limit "
                "(5,000 by default): results are paged, never trusted to be complete."
            ),
        ),
        th.Property(
            "query_timezone",
            th.StringType,
            default="UTC",
            title="Query time zone",
            description=(
                "IANA time zone Looker uses for times in queries and results; records are "
                "always emitted in UTC (RFC 3339)."
            ),
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            title="Max retries",
            description="Retries of one API call on 429, 5xx, timeouts and dropped connections.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType,
            default=1.0,
            title="Backoff factor (seconds)",
            description="First retry delay; doubles each retry. Retry-After is honoured.",
        ),
    ).to_dict()

    @cached_property
    def query_timezone_name(self) -> str:
        """The configured IANA zone name."""
        return str(self.config.get("query_timezone") or "UTC")

    @cached_property
    def query_timezone(self) -> dt.tzinfo:
        """The configured zone, validated."""
        try:
            return zoneinfo.ZoneInfo(self.query_timezone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            msg = f"query_timezone {self.query_timezone_name!r} is not an IANA time zone"
            raise LookerConfigError(msg) from None

    @cached_property
    def looker(self) -> LookerClient:
        """One API session shared by all streams."""
        self._validate_settings()
        client = LookerClient(
            ConnectionSettings.from_config(self.config),
            RetryPolicy(
                max_retries=int(self.config.get("max_retries", 5)),
                backoff_factor=float(self.config.get("backoff_factor", 1.0)),
            ),
        )
        # Tap.sync_all is final in singer-sdk, so end the API session at exit instead.
        atexit.register(client.logout)
        return client

    def _validate_settings(self) -> None:
        for name in ("page_size", "timeout"):
            value = self.config.get(name)
            if value is not None and int(value) < 1:
                msg = f"{name} must be a positive integer, got {value!r}"
                raise LookerConfigError(msg)
        if int(self.config.get("max_retries", 5)) < 0:
            msg = "max_retries must be 0 or more"
            raise LookerConfigError(msg)
        start_date = self.config.get("start_date")
        if start_date:
            try:
                dt.datetime.fromisoformat(str(start_date))
            except ValueError:
                msg = (
                    f"start_date {start_date!r} is not an ISO 8601 date or timestamp "
                    "(e.g. 2024-01-31 or 2024-01-31T00:00:00Z)"
                )
                raise LookerConfigError(msg) from None
        _ = self.query_timezone

    @override
    def discover_streams(self) -> list[Stream]:
        """One stream per supported System Activity explore."""
        return [stream_type(self) for stream_type in STREAM_TYPES]


def main() -> None:
    """Console entry point: Singer CLI, with one-line errors instead of tracebacks."""
    try:
        TapLookerActivity.cli()
    except LookerActivityError as exc:
        sys.stderr.write(f"{TapLookerActivity.name}: error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
