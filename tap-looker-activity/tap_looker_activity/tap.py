"""tap-looker-activity: Looker System Activity explores as incremental Singer streams."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import math
import os
import re
import signal
import sys
import typing as t
import zoneinfo
from decimal import Decimal
from functools import cached_property

from jsonschema import Draft7Validator
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, MapExpressionError, StreamMapConfigError
from singer_sdk.singerlib import Schema, StateMessage
from typing_extensions import override

from tap_looker_activity.client import (
    MAX_TIMEOUT,
    ConnectionSettings,
    LookerClient,
    RedactingFilter,
    Redactor,
    RetryPolicy,
)
from tap_looker_activity.errors import (
    LookerActivityError,
    LookerConfigError,
    LookerForbiddenError,
    LookerNotFoundError,
    LookerResponseError,
)
from tap_looker_activity.explores import (
    SURROGATE_KEY,
    Dimension,
    ExploreDefinition,
)
from tap_looker_activity.pii import PersonalData, pii_fields_setting
from tap_looker_activity.records import ValueConversionError, format_utc, parse_timestamp
from tap_looker_activity.streams import (
    SYSTEM_ACTIVITY_STREAMS,
    AuditEntry,
    DashboardStream,
    ExploreStream,
    ExtractSettings,
    LookerStream,
    LookmlFieldStream,
    SyncAuditStream,
)

if t.TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk.streams import Stream

# One item of the `explores` setting.
EXPLORE_SETTING = th.ObjectType(
    th.Property(
        "name",
        th.StringType,
        required=True,
        description="Stream (and table) name: letters, digits, underscores.",
    ),
    th.Property("model", th.StringType(min_length=1), required=True, description="Model."),
    th.Property(
        "explore",
        th.StringType(min_length=1),
        required=True,
        description="Explore name.",
    ),
    th.Property(
        "view",
        th.StringType(min_length=1),
        description="The explore's base view, if not named like the explore.",
    ),
    th.Property(
        "fields",
        th.CustomType({"type": ["array", "string"], "items": {"type": "string"}}),
        description=(
            'Dimensions to extract; omitted or "*": every dimension of the '
            "base view. Fields of joined views: view.field (-> view_field)."
        ),
    ),
    th.Property(
        "primary_keys",
        th.ArrayType(th.StringType(min_length=1)),
        description="Unique key field(s) of a row.",
    ),
    th.Property(
        "replication_key",
        th.StringType(min_length=1),
        description=(
            "A whole-second time field (a _time timeframe) that moves forward "
            "when a row is added or changed; omitted: read whole every run."
        ),
    ),
    th.Property(
        "surrogate_key_fields",
        th.ArrayType(th.StringType(min_length=1)),
        description=(
            "For rows without a unique id: the fields _sdc_surrogate_key "
            "(sha256 of their canonical JSON) is computed from."
        ),
    ),
    additional_properties=False,
)
EXPLORE_SETTING_LIST = {"type": ["array", "string"], "items": EXPLORE_SETTING.type_dict}

STREAM_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
BUILT_IN_STREAMS = frozenset(
    {d.name for d in SYSTEM_ACTIVITY_STREAMS} | {"dashboard", "sync_audit"}
)
# Whole-second time timeframes: what Looker's date_time() literal can page on.
PAGEABLE_TIME_TYPES = frozenset({"date_time", "date_second", "time"})
EARLIEST_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
MAX_BACKOFF_FACTOR = 600
# A bookmark this close to the end of the calendar overflows once a zone offset is applied.
LATEST_BOOKMARK = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=2)
_INTEGER_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _as_boolean(value: object) -> bool:
    if isinstance(value, str):
        value = BOOLEAN_WORDS.get(value.strip().lower(), value)
    if isinstance(value, bool):
        return value
    raise ValueError


def _as_integer(value: object) -> int:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)  # singer-sdk reads a config file's 10.0 as Decimal("10.0")
    elif isinstance(value, float) and value.is_integer():
        value = int(value)  # 10.0: JSON writers that have only one kind of number
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError


def _as_number(value: object) -> float:
    if isinstance(value, Decimal):  # how singer-sdk reads a config file's 0.25
        value = float(value)
    elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise ValueError  # NaN and infinity too: no range check can refuse them


# Settings whose null is a value of its own, not "unset": stream_maps' {"__else__": null}
# removes every stream without a map (singer-sdk).
NULL_IS_A_VALUE = frozenset({"stream_maps.__else__"})
# What a boolean, integer or number setting may be given as, and what the message asks for.
SPELLINGS: dict[str, tuple[t.Callable[[object], object], str]] = {
    "boolean": (_as_boolean, "true or false"),
    "integer": (_as_integer, "an integer"),
    "number": (_as_number, "a number"),
}


def _scalar_kind(schema: dict[str, t.Any]) -> str | None:
    """The one JSON type of a setting besides null ("boolean", "integer", ...), if one."""
    types = schema.get("type")
    kinds = {types} if isinstance(types, str) else set(types or ())
    kinds.discard("null")
    return kinds.pop() if len(kinds) == 1 else None


def normalise_settings(
    config: dict[str, t.Any], schema: dict[str, t.Any], prefix: str = ""
) -> list[str]:
    """Make ``config`` what ``schema`` declares, in place; what cannot be, as messages.

    For every setting the schema declares (its own, singer-sdk's built-in ones, and declared
    settings nested in them such as ``stream_map_config.hash_pii``):

    - ``null`` means unset: the key is removed, so the schema's default applies (singer-sdk
      fills in a default only for a missing key) and the setting reads as not given; except
      in NULL_IS_A_VALUE.
    - A boolean, integer or number setting may be given as text, as Meltano passes its
      ``kind: string`` settings (true/false/yes/no/1/0, any case; "10", "+10"; "0.25",
      "5e-2"). Anything else is refused: a typo never reads as false or as a default.

    Ranges, formats and the other types are left to the schema's validation.
    """
    problems = []
    for name, declared in schema.get("properties", {}).items():
        if name not in config:
            continue
        value = config[name]
        if value is None:
            if prefix + name not in NULL_IS_A_VALUE:
                del config[name]
            continue
        kind = _scalar_kind(declared)
        if kind in SPELLINGS:
            convert, wanted = SPELLINGS[kind]
            try:
                config[name] = convert(value)
            except (ValueError, OverflowError):
                shown = str(value) if isinstance(value, Decimal) else repr(value)
                problems.append(f"{prefix}{name} must be {wanted}, got {shown[:60]}")
        elif isinstance(value, dict) and declared.get("properties"):
            problems += normalise_settings(value, declared, f"{prefix}{name}.")
    return problems


class TapLookerActivity(Tap):
    """Singer tap for Looker's System Activity model."""

    name = "tap-looker-activity"
    # msgspec serializes RECORD messages about twice as fast as the default writer.
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType,
            title="Looker API base URL",
            description=(
                "Looker API host, e.g. https://company.looker.com:19999 (or "
                "https://company.cloud.looker.com), without /api/4.0. Falls back to "
                "LOOKERSDK_BASE_URL / looker.ini only with lookersdk_fallback."
            ),
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="API client ID",
            description=(
                "Looker API client ID. Falls back to LOOKERSDK_CLIENT_ID / looker.ini only "
                "with lookersdk_fallback."
            ),
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="API client secret",
            description=(
                "Looker API client secret. Falls back to LOOKERSDK_CLIENT_SECRET / looker.ini "
                "only with lookersdk_fallback."
            ),
        ),
        th.Property(
            "lookersdk_fallback",
            th.BooleanType,
            default=False,
            title="Fall back to LOOKERSDK_* / looker.ini",
            description=(
                "Take base_url, client_id and client_secret missing from this config from "
                "looker-sdk's LOOKERSDK_* env vars / looker.ini. Off: a missing one fails the "
                "run (exit 2), so an instance never reads another Looker's credentials."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description=(
                "Earliest activity to extract on the first run (ISO 8601, 1970 or later). "
                "Default: everything Looker still holds. Later runs start at the bookmark."
            ),
        ),
        th.Property(
            "verify_ssl",
            th.BooleanType,  # or its spelling as text: see normalise_settings
            title="Verify SSL",
            description=(
                "Verify the Looker server's TLS certificate. Unset: LOOKERSDK_VERIFY_SSL / "
                "looker.ini, else true."
            ),
        ),
        th.Property(
            "timeout",
            th.IntegerType(minimum=1, maximum=MAX_TIMEOUT),
            title="Timeout (seconds)",
            description=(
                "Seconds one Looker API call may take in all (body included) before it is "
                "retried. Unset: LOOKERSDK_TIMEOUT / looker.ini, else 120."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=500_000),
            # 5,000 keeps memory flat (two decoded pages); larger pages cut queries but grow
            # the peak RSS with the page (docs/benchmarks.md, "Choosing page_size").
            default=5_000,
            title="Page size",
            description=(
                "Rows per Looker query (an explicit limit; Looker honours limits above its "
                "5,000-row default). Results are paged, never trusted to be complete."
            ),
        ),
        th.Property(
            "max_queries_per_run",
            th.IntegerType(minimum=1),
            title="Query budget per run",
            description=(
                "Most query-based API calls one run makes (pages and Looker's counts, "
                "retries included). When spent, the run stops cleanly (exit 0): rows "
                "delivered are kept, each bookmark stands at its last complete page, and the "
                "next run goes on from there. Unset: no limit. Administrative calls "
                "(metadata, dashboards) are counted apart, in sync_audit."
            ),
        ),
        th.Property(
            "system_timezone",
            th.StringType,
            default="UTC",
            title="Looker system time zone",
            description=(
                "IANA zone Looker stores System Activity times in: always UTC on "
                "Looker-hosted instances; a customer-hosted instance may differ."
            ),
        ),
        th.Property(
            "query_timezone",
            th.StringType,
            default="UTC",
            title="Query time zone",
            description=(
                "IANA zone for queries on configured explores of other models (System "
                "Activity ignores it). Records are always emitted in UTC (RFC 3339)."
            ),
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType(minimum=0, maximum=525_600),
            default=1440,
            title="Look-back window (minutes)",
            description=(
                "Each incremental run re-reads this much before the bookmark: Looker makes "
                "some rows visible late (Elite System Activity copies in batches up to every "
                "24 hours). The upsert on the key makes re-read rows harmless."
            ),
        ),
        th.Property(
            "exclude_own_activity",
            th.BooleanType,
            default=True,
            title="Leave out the tap's own queries",
            description=(
                "Every page the tap reads is a query in Looker's history, run by its API user: "
                "leave that user's history rows out (one GET /user call per run when history "
                "is synced). Use an API user dedicated to the export."
            ),
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0, maximum=20),
            default=5,
            title="Max retries",
            description="Retries of one API call on 429, 5xx, timeouts and dropped connections.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType(minimum=0, maximum=MAX_BACKOFF_FACTOR),  # or a number as text
            default=1.0,
            title="Backoff factor (seconds)",
            description="First retry delay; doubles each retry. Retry-After is honoured.",
        ),
        th.Property(
            "explores",
            # A list, or that list as a JSON string: Meltano reads TAP_LOOKER_ACTIVITY_EXPLORES
            # as a `kind: string` setting so that JSON it cannot parse reaches the tap, which
            # refuses it in one line (a `kind: array` setting fails inside Meltano).
            th.CustomType(EXPLORE_SETTING_LIST),
            title="More explores",
            description=(
                "Any explore of any model as one more stream, without code: name, model, "
                "explore, fields, primary_keys, replication_key, surrogate_key_fields."
            ),
        ),
        th.Property(
            "hash_pii",
            th.BooleanType,  # or its spelling as text: a typo is refused, never "off"
            default=False,
            title="Hash personal data",
            description=(
                "Replace personal data (emails, first/last/full names, addresses in any "
                "text, personal filter values) by its salted SHA-256 in every stream, "
                "before any stream map runs."
            ),
        ),
        th.Property(
            "pii_salt",
            th.StringType,
            secret=True,
            title="Salt for the personal-data hashes",
            description="Keep it secret: unsalted email hashes can be reversed.",
        ),
        th.Property(
            "pii_fields",
            # A list, or its text (Meltano): a JSON list or comma-separated names.
            th.CustomType({"type": ["array", "string"], "items": {"type": "string"}}),
            title="More personal fields",
            description=(
                "Text fields hashed too with hash_pii, in every stream: Looker's view.field "
                "or the stream property (users.phone, users_phone)."
            ),
        ),
        th.Property(
            "stream_map_config",
            # singer-sdk's built-in setting (config.* in stream maps), with the project's
            # former personal-data settings declared, so that they are checked like any
            # setting: the personal-data switch must never read a typo as "off".
            th.ObjectType(
                th.Property(
                    "hash_pii",
                    th.BooleanType,
                    title="Hash personal data (deprecated)",
                    description="Deprecated: use hash_pii. true or false.",
                ),
                th.Property(
                    "pii_salt",
                    th.StringType,
                    secret=True,
                    title="Salt for the personal-data hashes (deprecated)",
                    description="Deprecated: use pii_salt.",
                ),
                additional_properties=True,
            ),
            title="User Stream Map Configuration",
            description="User-defined config values to be used within map expressions.",
        ),
    ).to_dict()

    # The catalog depends on the settings (explores, their live fields): singer-sdk then
    # validates the config for --discover too, which Meltano runs before every sync.
    dynamic_catalog = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - Tap's own
        """The tap; settings are normalised and validated before anything else happens."""
        self.redact = Redactor()
        self._audit_entries: list[AuditEntry] = []
        self._stopped_by_budget: list[str] = []  # streams the query budget stopped
        _REDACTORS.append(self.redact)  # for main's last line, which no instance writes
        del _REDACTORS[:-8]  # a host building many taps keeps only the latest ones
        for handler in logging.getLogger().handlers:  # every line any logger writes
            handler.addFilter(RedactingFilter(self.redact))
        # looker-sdk logs every request at INFO; the tap logs a summary per stream instead.
        logging.getLogger("looker_sdk").setLevel(logging.WARNING)
        # The settings are resolved here, not by singer-sdk, so that normalise_settings sees
        # them before its validation (in every mode, --discover included: discovery builds
        # the streams from them, and a look-back of "ten" would be a TypeError there), and
        # --config ENV text is not read first by its conversions ("ture" is false to them).
        config = self._given_settings(kwargs.get("config"))
        if kwargs.pop("parse_env_config", False):
            config |= self._environment_settings()
        self.redact.add_credentials(
            str(config.get("client_id") or ""), str(config.get("client_secret") or "")
        )
        for name in ("pii_salt", "stream_map_config.pii_salt"):
            self.redact.add(str(_given_pii_settings(config).get(name) or ""))
        problems = normalise_settings(config, self.full_config_jsonschema())
        if problems:
            raise LookerConfigError(self.redact(f"invalid config: {'; '.join(problems)}"))
        self._pii_given = _given_pii_settings(config)  # before singer-sdk adds the defaults
        try:
            super().__init__(*args, **{**kwargs, "config": config, "parse_env_config": False})
        except ConfigValidationError as exc:
            msg = f"invalid config: {'; '.join(exc.errors) or exc}"
            raise LookerConfigError(self.redact(msg)) from None
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(signum, _stop_on_signal)
            except ValueError:  # not the main thread (embedded use): leave it to the host
                break

    @staticmethod
    def _given_settings(config: object) -> dict[str, t.Any]:
        """``config`` as Tap takes it (a dict, a file, or files merged in order) as a copy."""
        if config is None:
            return {}
        if isinstance(config, dict):
            return copy.deepcopy(config)  # normalised in place: never the caller's dict
        if isinstance(config, str | os.PathLike):
            return _read_json_object(os.fspath(config), "config")
        if isinstance(config, list):
            merged: dict[str, t.Any] = {}
            for path in config:  # later files win, as in singer-sdk
                merged |= _read_json_object(os.fspath(path), "config")
            return merged
        msg = f"config must be a dict or config file paths, not {type(config).__name__}"
        raise LookerConfigError(msg)

    @classmethod
    def _environment_settings(cls) -> dict[str, t.Any]:
        """``--config ENV``: each setting from ``TAP_LOOKER_ACTIVITY_<NAME>``, as singer-sdk.

        Booleans and numbers stay text for normalise_settings; a setting that may be text
        (explores) stays text; objects and lists are JSON.
        """
        prefix = f"{cls.name.upper().replace('-', '_')}_"  # singer-sdk's naming
        settings: dict[str, t.Any] = {}
        for name, declared in cls.full_config_jsonschema()["properties"].items():
            variable = prefix + name.upper().replace("-", "_")
            if variable not in os.environ:
                continue
            text = os.environ[variable]
            types = declared.get("type")
            kinds = {types} if isinstance(types, str) else set(types or ())
            if "string" in kinds or not kinds & {"array", "object"}:
                settings[name] = text
                continue
            try:
                settings[name] = json.loads(text)
            except ValueError as exc:
                msg = f"{variable} is not valid JSON ({exc})"
                raise LookerConfigError(msg) from None
        return settings

    @classmethod
    def full_config_jsonschema(cls) -> dict[str, t.Any]:
        """A copy of the config schema with singer-sdk's built-in settings, as it validates."""
        schema = copy.deepcopy(cls.config_jsonschema)
        cls.append_builtin_config(schema)
        return schema

    @classmethod
    @override
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """singer-sdk's settings; batch_config with the parts it cannot do without.

        Without them an incomplete batch_config is a TypeError (BatchConfig(...) missing
        'storage') in the middle of a sync instead of one line before it.
        """
        super().append_builtin_config(config_jsonschema)
        properties = config_jsonschema["properties"]
        if "batch_config" in properties:
            batch = properties["batch_config"] = copy.deepcopy(properties["batch_config"])
            batch["required"] = ["encoding", "storage"]
            batch["properties"]["encoding"]["required"] = ["format"]
            batch["properties"]["storage"]["required"] = ["root"]

    # --- settings, validated once ------------------------------------------------------------

    @cached_property
    def extract_settings(self) -> ExtractSettings:
        """Paging, look-back and time zones, validated."""
        for name in ("system_timezone", "query_timezone"):
            try:
                zoneinfo.ZoneInfo(self.config[name])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                msg = f"{name} {self.config[name]!r} is not an IANA time zone (e.g. UTC)"
                raise LookerConfigError(msg) from None
        start_date = self.config.get("start_date")
        if start_date:
            try:
                start = parse_timestamp(start_date, dt.UTC)
            except ValueConversionError:
                msg = f"start_date {start_date!r} is not an ISO 8601 date or timestamp"
                raise LookerConfigError(msg) from None
            if start < EARLIEST_START:
                msg = f"start_date {start_date!r} is before 1970-01-01"
                raise LookerConfigError(msg)
            if start > LATEST_BOOKMARK:
                msg = f"start_date {start_date!r} is at the end of the calendar"
                raise LookerConfigError(msg)
        return ExtractSettings(
            page_size=self.config["page_size"],
            lookback=dt.timedelta(minutes=self.config["lookback_minutes"]),
            system_timezone=self.config["system_timezone"],
            query_timezone=self.config["query_timezone"],
            exclude_own_activity=self.config["exclude_own_activity"],
            personal_data=self.personal_data,
        )

    @cached_property
    def personal_data(self) -> PersonalData:
        """hash_pii, pii_salt and pii_fields (or the deprecated stream_map_config ones)."""
        given = self._pii_given
        deprecated = sorted(k for k in given if k.startswith("stream_map_config."))
        if deprecated:
            self.logger.warning(
                "%s: deprecated, use %s instead%s",
                " and ".join(deprecated),
                " and ".join(k.removeprefix("stream_map_config.") for k in deprecated),
                " (ignored: the new setting is set)"
                if any(k.removeprefix("stream_map_config.") in given for k in deprecated)
                else "",
            )
        enabled = bool(given.get("hash_pii", given.get("stream_map_config.hash_pii", False)))
        salt = str(given.get("pii_salt", given.get("stream_map_config.pii_salt")) or "")
        if enabled and not salt:
            self.logger.warning(
                "hash_pii is on but pii_salt is not set: unsalted hashes of emails and "
                "names can be reversed by hashing a list of candidates; set a secret pii_salt"
            )
        return PersonalData(
            enabled=enabled,
            salt=salt,
            extra_fields=pii_fields_setting(self.config.get("pii_fields")),
        )

    @cached_property
    def configured_definitions(self) -> list[ExploreDefinition]:
        """The ``explores`` setting: one definition per item, names unique."""
        taken = {name.lower() for name in BUILT_IN_STREAMS}
        definitions = []
        for index, entry in enumerate(self._explores_setting()):
            where = f"explores[{index}] ({entry['name']})"
            if not re.match(STREAM_NAME_PATTERN, entry["name"]):
                msg = f"{where}: name must be letters, digits and underscores (a table name)"
                raise LookerConfigError(msg)
            try:
                definition = ExploreDefinition.from_setting(entry)
            except ValueError as exc:
                msg = f"{where}: {exc}"
                raise LookerConfigError(msg) from None
            if definition.name.lower() in taken:
                msg = (
                    f"{where}: a stream named {definition.name} already exists "
                    "(names are compared ignoring case: they become table names)"
                )
                raise LookerConfigError(msg)
            taken.add(definition.name.lower())
            definitions.append(definition)
        return definitions

    def _explores_setting(self) -> list[dict[str, t.Any]]:
        """The ``explores`` list; given as a JSON string (Meltano), parsed and validated."""
        value = self.config.get("explores") or []
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError as exc:
                msg = f"explores is not valid JSON ({exc}); expected a list of explores"
                raise LookerConfigError(msg) from None
            schema = {**EXPLORE_SETTING_LIST, "type": "array"}
            errors = [e.message for e in Draft7Validator(schema).iter_errors(value)]
            if errors:
                msg = f"invalid config: explores: {'; '.join(sorted(errors))}"
                raise LookerConfigError(msg)
        return t.cast("list[dict[str, t.Any]]", value)

    @cached_property
    def looker(self) -> LookerClient:
        """One API client shared by all streams; it logs in on its first call."""
        # verify_ssl (a boolean or unset) and backoff_factor (a number from 0 to
        # MAX_BACKOFF_FACTOR) are what normalise_settings and the schema let through.
        backoff = float(self.config["backoff_factor"])
        return LookerClient(
            ConnectionSettings(
                base_url=self.config.get("base_url"),
                client_id=self.config.get("client_id"),
                client_secret=self.config.get("client_secret"),
                verify_ssl=self.config.get("verify_ssl"),
                timeout=self.config.get("timeout"),
                lookersdk_fallback=bool(self.config.get("lookersdk_fallback")),
            ),
            RetryPolicy(
                max_retries=self.config["max_retries"],
                backoff_factor=backoff,
            ),
            redact=self.redact,
            query_budget=self.config.get("max_queries_per_run"),
        )

    # --- streams -----------------------------------------------------------------------------

    @override
    def discover_streams(self) -> list[Stream]:
        """Every stream, with bundled (or placeholder) fields: building one calls no API."""
        settings = self.extract_settings

        def looker() -> LookerClient:
            return self.looker

        explores = [*SYSTEM_ACTIVITY_STREAMS, *self.configured_definitions]
        audit = self._record_audit
        return [
            *(
                ExploreStream(self, d, settings=settings, looker=looker, audit=audit)
                for d in explores
            ),
            DashboardStream(self, settings=settings, looker=looker, audit=audit),
            LookmlFieldStream(self, settings=settings, looker=looker, audit=audit),
            SyncAuditStream(self, settings=settings, looker=looker, entries=self._take_audit),
        ]

    def _take_audit(self) -> list[AuditEntry]:
        entries, self._audit_entries[:] = list(self._audit_entries), []
        return entries

    def _record_audit(self, entry: AuditEntry) -> None:
        """What a stream read, written as soon as the stream ends (or fails).

        singer-sdk syncs streams in name order, so the audit cannot simply come last; and a
        failed stream ends the run. A stream whose window Looker's count did not prove has
        put its bookmark back: the STATE written here says so, so that no STATE of its pages
        outlives the failure.
        """
        self._audit_entries.append(entry)
        if entry.status == "budget" and not self._stopped_by_budget:
            self.logger.warning(
                "max_queries_per_run (%d) reached in stream %s: the run stops cleanly. "
                "Everything delivered is kept and every bookmark stands at its last complete "
                "page (later streams that query are not read); the next run goes on from there",
                self.config["max_queries_per_run"],
                entry.stream,
            )
        if entry.status == "budget":
            self._stopped_by_budget.append(entry.stream)
        if entry.status == "incomplete":
            self.write_message(StateMessage(value=self.state))
        audit = self.streams["sync_audit"]
        if audit.selected:
            audit.sync()

    def _will_sync(self, stream: LookerStream) -> bool:
        catalog = self.input_catalog
        if catalog is None:
            return stream.selected_by_default
        entry = catalog.get_stream(stream.name)
        if entry is None:
            return False
        root = entry.metadata.root
        return bool(root.selected if root.selected is not None else root.selected_by_default)

    def live_dimensions(self, definition: ExploreDefinition) -> list[Dimension]:
        """An explore's dimensions from Looker's metadata (one API call), validated."""
        where = f"stream {definition.name} (explore {definition.model}/{definition.explore})"
        if definition.configured:
            where = f"explores: {where}"
        try:
            raw = self.looker.get_explore(definition.model, definition.explore)
        except (LookerNotFoundError, LookerForbiddenError) as exc:
            if definition.configured:
                msg = (
                    f"{where}: Looker has no explore {definition.explore!r} in model "
                    f"{definition.model!r} visible to this API user ({exc})"
                )
                raise LookerConfigError(msg) from None
            self.logger.warning(
                "%s: metadata unavailable (%s); using the bundled fields", where, exc
            )
            return list(definition.fallback_dimensions)
        fields = definition.row_fields(
            raw, self.looker.measures(definition.model, definition.explore)
        )
        changed = definition.type_changes(fields)
        if changed:
            msg = (
                f"{where}: Looker's LookML changed the type of known fields: "
                f"{'; '.join(changed)}. Stopping before any row is converted by the wrong "
                "type; a tap release that knows the new type is needed"
            )
            raise LookerResponseError(msg)
        dims = definition.dimensions_from_metadata(fields)
        by_name = {d.name: d for d in dims}
        missing = [name for name in definition.required_fields if name not in by_name]
        if missing:
            msg = (
                f"{where} has no dimension(s) {', '.join(missing)} (base view "
                f"{definition.view!r}; fields of joined views are written view.field)"
            )
            raise (LookerConfigError if definition.configured else LookerResponseError)(msg)
        rk = by_name.get(definition.replication_key or "")
        if rk is not None and rk.looker_type not in PAGEABLE_TIME_TYPES:
            msg = (
                f"{where}: replication_key {rk.name} is a Looker {rk.looker_type}; it must be "
                "a whole-second time (a dimension_group's _time timeframe). Leave "
                "replication_key out to read the explore whole on every run"
            )
            raise LookerConfigError(msg)
        return dims

    @override
    def setup_mapper(self) -> None:
        """Before a sync: live fields for the streams this run syncs, one call each."""
        for stream in self.streams.values():
            if isinstance(stream, ExploreStream) and self._will_sync(stream):
                before = copy.copy(self.looker.calls)
                stream.use_dimensions(self.live_dimensions(stream.definition))
                stream.setup_calls = self.looker.calls - before
                self._add_new_fields_to_catalog(stream)
        super().setup_mapper()

    def _add_new_fields_to_catalog(self, stream: ExploreStream) -> None:
        """Fields Looker has now but the catalog (from an earlier discovery) lacks."""
        entry = self.input_catalog.get_stream(stream.name) if self.input_catalog else None
        if entry is None:
            return
        schema = entry.schema.to_dict()
        properties = schema.setdefault("properties", {})
        new = {k: v for k, v in stream.schema["properties"].items() if k not in properties}
        if not new:
            return
        self.logger.info("%s: new field(s) in Looker: %s", stream.name, ", ".join(sorted(new)))
        properties.update(new)
        entry.schema = Schema.from_dict(schema)
        stream.apply_catalog(t.cast("t.Any", self.input_catalog))

    @override
    def run_discovery(self) -> str:
        """The catalog; configured explores (no bundled fields) are described by Looker."""
        for stream in self.streams.values():
            if isinstance(stream, ExploreStream) and stream.definition.configured:
                stream.use_dimensions(self.live_dimensions(stream.definition))
        return super().run_discovery()

    # --- state and input files -----------------------------------------------------------------

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Bookmarks, checked and written one way (RFC 3339 UTC) before anything syncs."""
        super().load_state(self._checked_state(state))

    def _checked_state(self, state: object) -> dict[str, t.Any]:
        if isinstance(state, dict) and set(state) == {"singer_state"}:
            state = state["singer_state"]  # as `meltano state get` prints it
        if not isinstance(state, dict):
            msg = f"the state must be a JSON object (a Singer state), not {str(state)[:40]!r}"
            raise LookerConfigError(msg)
        bookmarks = state.get("bookmarks", {})
        if not isinstance(bookmarks, dict) or not all(
            isinstance(b, dict) for b in bookmarks.values()
        ):
            msg = "the state's 'bookmarks' must map each stream name to an object"
            raise LookerConfigError(msg)
        keys = {d.name: d.replication_key for d in SYSTEM_ACTIVITY_STREAMS}
        keys.update({d.name: d.replication_key for d in self.configured_definitions})
        checked = {}
        for stream, bookmark in bookmarks.items():
            checked[stream] = dict(bookmark)
            value = bookmark.get("replication_key_value")
            if value is None:
                continue
            expected = keys.get(stream)
            if expected and bookmark.get("replication_key") not in {None, expected}:
                msg = (
                    f"the state bookmarks stream {stream} by {bookmark.get('replication_key')!r} "
                    f"but its replication key is {expected!r}: clear the stream's state "
                    "(meltano state clear) to reload it"
                )
                raise LookerConfigError(msg)
            moment = self._bookmark_time(stream, value)
            if moment is None:
                del checked[stream]["replication_key_value"]
            else:
                checked[stream]["replication_key_value"] = format_utc(moment)
        return {**state, "bookmarks": checked}

    def _bookmark_time(self, stream: str, value: object) -> dt.datetime | None:
        """A bookmark as a time; None before 1970 (reload); one line if it is not usable."""
        try:
            if not isinstance(value, str):
                raise ValueConversionError  # noqa: TRY301
            moment = parse_timestamp(value, dt.UTC)
        except ValueConversionError:
            msg = (
                f"the state's bookmark of stream {stream} is {json.dumps(value)[:60]}, "
                "not an RFC 3339 timestamp"
            )
            raise LookerConfigError(msg) from None
        if moment < EARLIEST_START:
            # Before any Looker activity (0001-01-01: "reload everything"): the stream loads
            # as on its first run, from start_date or everything Looker holds; no look-back
            # is subtracted from a time that has no earlier one.
            self.logger.warning(
                "%s: the bookmark %s is before 1970: reading from %s",
                stream,
                value,
                "start_date" if self.config.get("start_date") else "the beginning",
            )
            return None
        if moment > LATEST_BOOKMARK:
            msg = (
                f"the state's bookmark of stream {stream} is {json.dumps(value)[:60]}, at "
                "the end of the calendar: clear the stream's state (meltano state clear) "
                "to reload it"
            )
            raise LookerConfigError(msg)
        return moment

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Config files must be JSON objects: say which one is not, in one line."""
        for path in value:
            if path != "ENV":
                _read_json_object(path, "config")
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
    ) -> None:
        """Check the catalog and state files before singer-sdk parses them."""
        if catalog is not None:
            with catalog:  # click opened it; replaced by the checked copy below
                parsed = _parse_json_object(catalog.read(), catalog.name, "catalog")
            if not isinstance(parsed.get("streams"), list) or not all(
                isinstance(s, dict) for s in parsed["streams"]
            ):
                msg = f"catalog file {catalog.name} must have a 'streams' list of objects"
                raise LookerConfigError(msg)
            catalog = io.StringIO(json.dumps(parsed))
        if state is not None:
            with state:
                text = state.read()
            if not text.strip():
                text = "{}"  # an empty state file: no bookmarks yet
            state = io.StringIO(json.dumps(_parse_json_object(text, state.name, "state")))
        super().invoke(
            about=about, about_format=about_format, config=config, state=state, catalog=catalog
        )


def _given_pii_settings(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """The personal-data settings the config sets (normalised), the deprecated ones too."""
    given = {k: config[k] for k in ("hash_pii", "pii_salt") if config.get(k) is not None}
    maps = config.get("stream_map_config")
    for name in ("hash_pii", "pii_salt"):
        if isinstance(maps, dict) and maps.get(name) is not None:
            given[f"stream_map_config.{name}"] = maps[name]
    return given


def _parse_json_object(text: str, path: str, what: str) -> dict[str, t.Any]:
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        msg = f"{what} file {path} is not valid JSON ({exc})"
        raise LookerConfigError(msg) from None
    if not isinstance(parsed, dict):
        msg = f"{what} file {path} must hold a JSON object, not {type(parsed).__name__}"
        raise LookerConfigError(msg)
    return parsed


def _read_json_object(path: str, what: str) -> dict[str, t.Any]:
    try:
        with open(path, encoding="utf-8") as file:  # noqa: PTH123
            text = file.read()
    except OSError as exc:
        msg = f"cannot read {what} file {path}: {exc.strerror}"
        raise LookerConfigError(msg) from None
    return _parse_json_object(text, path, what)


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
    """A stopped extract is incomplete: exit non-zero, and write nothing more."""
    name = signal.Signals(signum).name
    sys.stdout.flush()  # every message written so far is whole; nothing is written after
    sys.stderr.write(
        f"{TapLookerActivity.name}: error: stopped by {name}; the extract is incomplete "
        "and no further STATE is written\n"
    )
    sys.stderr.flush()
    os._exit(128 + signum)


# The redactors of the taps this process built: what main()'s error line must not show.
_REDACTORS: list[Redactor] = []


def main() -> None:
    """Console entry point: Singer CLI, with one-line errors instead of tracebacks."""
    try:
        TapLookerActivity.cli()
    except LookerActivityError as exc:
        _fail(str(exc), exc.exit_code)
    except (StreamMapConfigError, MapExpressionError) as exc:
        _fail(f"stream_maps: {exc}", LookerConfigError.exit_code)


def _fail(message: str, exit_code: int = 1) -> t.NoReturn:
    for redact in _REDACTORS:  # every secret the run learnt, whoever put it in the message
        message = redact(message)
    text = " ".join(message.split())
    sys.stderr.write(f"{TapLookerActivity.name}: error: {text}\n")
    sys.exit(exit_code)


if __name__ == "__main__":
    main()

__all__ = ["SURROGATE_KEY", "TapLookerActivity", "main"]
