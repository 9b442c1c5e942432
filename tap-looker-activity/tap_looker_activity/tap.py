"""tap-looker-activity: Looker System Activity explores as incremental Singer streams."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import re
import sys
import typing as t
import zoneinfo
from functools import cached_property
from pathlib import Path

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from typing_extensions import override

from tap_looker_activity.errors import LookerActivityError, LookerConfigError
from tap_looker_activity.looker_api import ConnectionSettings, LookerClient, RetryPolicy
from tap_looker_activity.lookml import ExploreDefinition
from tap_looker_activity.streams import STREAM_TYPES, configured_stream_type

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

    from tap_looker_activity.client import LookerExploreStream

_STREAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TapLookerActivity(Tap):
    """Singer tap for Looker's System Activity model."""

    name = "tap-looker-activity"
    # msgspec serializes RECORD messages about twice as fast as the default writer; with it
    # the tap reaches >= 80% of a plain looker-sdk extract (docs/benchmarks.md).
    message_writer_class = MsgSpecWriter

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
            # A number, or a numeric string: Meltano passes `kind: string` settings as strings.
            th.CustomType({"type": ["number", "string"]}),
            default=1.0,
            title="Backoff factor (seconds)",
            description="First retry delay; doubles each retry. Retry-After is honoured.",
        ),
        th.Property(
            "explores",
            th.ArrayType(
                th.ObjectType(
                    th.Property(
                        "name",
                        th.StringType,
                        required=True,
                        description="Stream (and table) name: letters, digits, underscores.",
                    ),
                    th.Property("model", th.StringType, required=True, description="LookML model."),
                    th.Property(
                        "explore", th.StringType, required=True, description="Explore name."
                    ),
                    th.Property(
                        "view",
                        th.StringType,
                        description="The explore's base view, if not named like the explore.",
                    ),
                    th.Property(
                        "fields",
                        th.CustomType(
                            {
                                "anyOf": [
                                    {"type": "array", "items": {"type": "string"}},
                                    {"type": "string"},
                                ]
                            }
                        ),
                        description=(
                            'Dimensions to extract; omitted or "*": every dimension of the '
                            "base view. Fields of joined views: view.field (-> view_field)."
                        ),
                    ),
                    th.Property(
                        "primary_keys",
                        th.ArrayType(th.StringType),
                        description="Unique key field(s) of a row.",
                    ),
                    th.Property(
                        "replication_key",
                        th.StringType,
                        description=(
                            "A time field that moves forward when a row is added or changed; "
                            "omitted: the explore is read whole on every run."
                        ),
                    ),
                    th.Property(
                        "surrogate_key_fields",
                        th.ArrayType(th.StringType),
                        description=(
                            "For rows without a unique id: the fields _sdc_surrogate_key "
                            "(sha256 of their canonical JSON) is computed from."
                        ),
                    ),
                    additional_properties=False,
                )
            ),
            title="More explores",
            description=(
                "Any explore of any model as one more stream, without code: name, model, "
                "explore, fields, primary_keys, replication_key, surrogate_key_fields."
            ),
        ),
    ).to_dict()

    _discovering = False

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
        backoff = self.config.get("backoff_factor", 1.0)
        try:
            seconds = float(backoff)
        except (TypeError, ValueError):
            seconds = -1.0
        if not seconds >= 0:  # also rejects NaN
            msg = f"backoff_factor must be a number of seconds (0 or more), got {backoff!r}"
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
        _ = self.configured_definitions

    @cached_property
    def configured_definitions(self) -> list[ExploreDefinition]:
        """The ``explores`` setting, validated: one definition per configured explore."""
        taken = {stream_type.definition.stream_name for stream_type in STREAM_TYPES}
        definitions = []
        for index, entry in enumerate(self.config.get("explores") or []):
            where = f"explores[{index}]"
            if not isinstance(entry, dict):
                msg = f"{where} must be an object with name, model, explore, ..."
                raise LookerConfigError(msg)
            name = str(entry.get("name") or "")
            where += f" ({name})" if name else ""
            try:
                definition = ExploreDefinition.from_setting(entry)
            except (ValueError, TypeError) as exc:
                msg = f"{where}: {exc}"
                raise LookerConfigError(msg) from None
            if not _STREAM_NAME.match(name):
                msg = f"{where}: name must be letters, digits and underscores"
                raise LookerConfigError(msg)
            if name in taken:
                msg = f"{where}: a stream named {name} already exists"
                raise LookerConfigError(msg)
            taken.add(name)
            definitions.append(definition)
        return definitions

    @override
    def run_discovery(self) -> str:
        """Discovery reads every stream's live metadata, selected or not."""
        self._discovering = True
        self._streams = None  # streams built for a sync may have skipped metadata
        try:
            return super().run_discovery()
        finally:
            self._discovering = False

    @override
    def discover_streams(self) -> list[Stream]:
        """The bundled System Activity streams and the configured explores.

        Explore metadata is read for the streams this run syncs (all of them when
        discovering); the others keep their bundled schema and cost no API call.
        """
        stream_types = [
            *STREAM_TYPES,
            *(configured_stream_type(d) for d in self.configured_definitions),
        ]
        return [
            stream_type(self, live_schema=self._will_sync(stream_type))
            for stream_type in stream_types
        ]

    def _will_sync(self, stream_type: type[LookerExploreStream]) -> bool:
        if self._discovering:
            return True
        catalog = self.input_catalog
        if catalog is None:
            return stream_type.selected_by_default
        entry = catalog.get_stream(stream_type.definition.stream_name)
        if entry is None:
            return False
        root = entry.metadata.root
        return bool(root.selected if root.selected is not None else root.selected_by_default)


def state_file_error(argv: list[str]) -> str | None:
    """Why the ``--state`` file in ``argv`` is unusable, or None.

    singer-sdk reads the file itself and fails with a traceback on bad JSON, a non-object
    or a bookmark that is not a timestamp (every replication key of this tap is one).
    A missing file is left to the CLI, which reports it in one line.
    """
    path = next(
        (
            arg.split("=", 1)[1] if arg.startswith("--state=") else argv[i + 1]
            for i, arg in enumerate(argv)
            if arg.startswith("--state=") or (arg == "--state" and i + 1 < len(argv))
        ),
        None,
    )
    if path is None or not Path(path).is_file():
        return None
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"state file {path} is not valid JSON: {exc}"
    if not isinstance(state, dict):
        return f"state file {path} must hold a JSON object (a Singer state), not {state!r:.40}"
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict) or not all(isinstance(b, dict) for b in bookmarks.values()):
        return f"state file {path}: 'bookmarks' must map each stream name to an object"
    for stream, bookmark in bookmarks.items():
        value = bookmark.get("replication_key_value")
        try:
            if isinstance(value, str):
                dt.datetime.fromisoformat(value)
        except ValueError:
            return (
                f"state file {path}: the bookmark of stream {stream!r} is {value!r}, "
                "not an ISO 8601 timestamp"
            )
    return None


def main() -> None:
    """Console entry point: Singer CLI, with one-line errors instead of tracebacks."""
    try:
        if (problem := state_file_error(sys.argv[1:])) is not None:
            raise LookerConfigError(problem)
        TapLookerActivity.cli()
    except LookerActivityError as exc:
        sys.stderr.write(f"{TapLookerActivity.name}: error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
