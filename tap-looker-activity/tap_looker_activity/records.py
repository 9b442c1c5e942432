"""From Looker result rows to stream records.

Looker's ``json`` results carry every value as Looker formats it for its type (times as
``YYYY-MM-DD HH:MM:SS`` in the time zone the field is stored or queried in, numbers as JSON
numbers, yes/no as "Yes"/"No"). ``row_converter`` precompiles one converter per field and
turns each row into a record of the stream schema's types. A value that cannot be converted
is an error naming the field and the value, never a record with a wrong type in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import typing as t
import zoneinfo

from tap_looker_activity.errors import LookerResponseError

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from tap_looker_activity.explores import Dimension

Converter = t.Callable[[t.Any], t.Any]
Record = dict[str, t.Any]

# PostgreSQL text cannot hold U+0000: target-postgres fails on a NUL in any string, on every
# run, and loads nothing. Every string value has its NULs replaced by U+FFFD (as an unencodable
# surrogate is) so that any target can load it; the stream logs how many values had one.
NUL = "\x00"
REPLACEMENT = "\ufffd"

# Looker's time formats, and the other spellings a proxy or an older Looker may use:
# "2024-01-31 10:00:00", "2024/01/31 10:00:00", "2024-01-31T10:00:00.123Z", "... UTC".
_TIMESTAMP = re.compile(
    r"^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?$"
)
_LOOKER_UTC_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\Z"
)
_MAX_EPOCH_SECONDS = 1e11  # larger epoch values are milliseconds
_ONE_DAY = dt.timedelta(days=1)
_MINUTES_PER_HOUR = 60


class ValueConversionError(ValueError):
    """A Looker value that does not fit its field's type."""


def parse_timestamp(value: object, tz: dt.tzinfo) -> dt.datetime:
    """A Looker time value as an aware datetime; naive values are in ``tz``.

    Raises ValueConversionError for anything that is not a time.
    """
    if isinstance(value, bool):
        raise ValueConversionError
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueConversionError
        seconds = value / 1000 if abs(value) >= _MAX_EPOCH_SECONDS else value
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    match = _TIMESTAMP.match(str(value).strip())
    if not match:
        raise ValueConversionError
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        parsed = dt.datetime(  # noqa: DTZ001 - the zone is attached below
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or ".0")[1:7].ljust(6, "0")),
        )
    except ValueError:
        raise ValueConversionError from None
    if zone in {"Z", "UTC"}:
        return parsed.replace(tzinfo=dt.UTC)
    if zone:
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        minutes = int(digits[2:])
        offset = dt.timedelta(hours=int(digits[:2]), minutes=minutes)
        if offset >= _ONE_DAY or minutes >= _MINUTES_PER_HOUR:  # +25:00, +05:60: not RFC 3339
            raise ValueConversionError
        return parsed.replace(tzinfo=dt.timezone(sign * offset))
    return parsed.replace(tzinfo=tz)


def format_utc(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, seconds precision unless the value has a fraction."""
    return moment.astimezone(dt.UTC).isoformat()


def _datetime_converter(tz: dt.tzinfo) -> Converter:
    is_utc = tz in {dt.UTC, zoneinfo.ZoneInfo("UTC")}

    def convert(value: t.Any) -> t.Any:  # noqa: ANN401
        if value == "":
            return None
        # Fast path for Looker's usual "YYYY-MM-DD HH:MM:SS" in UTC.
        if is_utc and isinstance(value, str) and _LOOKER_UTC_TIME.match(value):
            return f"{value[:10]}T{value[11:]}+00:00"
        return format_utc(parse_timestamp(value, tz))

    return convert


def _date_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if value == "":
        return None
    text = str(value)
    match = _TIMESTAMP.match(text.strip())
    if not match or isinstance(value, bool | int | float):
        raise ValueConversionError
    year, month, day = match.group(1, 2, 3)
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise ValueConversionError from None


def _yesno_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "true", "1"}:
        return True
    if text in {"no", "false", "0"}:
        return False
    if text == "":
        return None
    raise ValueConversionError


def _integer_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number_converter(value)
    if number is None:
        return None
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueConversionError
        return int(number)
    return number


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if isinstance(value, bool):
        raise ValueConversionError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # what singer-sdk makes of NaN/inf
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        # Plain decimal notation only: "12,000" or "1.234,5" depend on a locale; refuse them.
        if _NUMBER.match(text):
            number = float(text)
            if number.is_integer() and "." not in text and "e" not in text.lower():
                return int(text)
            return number if math.isfinite(number) else None
    raise ValueConversionError


def clean_text(text: str) -> str:
    """``text`` made encodable as UTF-8 (a lone surrogate becomes U+FFFD)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _string_converter(value: t.Any) -> t.Any:  # noqa: ANN401
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict | list):
        return clean_text(json.dumps(value, ensure_ascii=False))
    return str(value)


_CONVERTERS: dict[str, Converter] = {
    "date": _date_converter,
    "boolean": _yesno_converter,
    "integer": _integer_converter,
    "number": _number_converter,
    "string": _string_converter,
}


def converter_for(dim: Dimension, tz: dt.tzinfo) -> Converter:
    """How to turn Looker's value of ``dim`` into the schema's type."""
    if dim.json_type == "date-time":
        return _datetime_converter(tz)
    return _CONVERTERS.get(dim.json_type, _string_converter)


class RowConverter:
    """Turns one Looker row into one stream record (``row_converter`` builds it).

    Counts the string values whose NULs it replaced (``nul_replaced``), so that the stream
    says so once, when it is done, rather than once per value.
    """

    def __init__(self, dimensions: Iterable[Dimension], tz: dt.tzinfo, where: str) -> None:
        self.where = where
        self.nul_replaced = 0
        self._plan = []
        for dim in dimensions:
            fn = converter_for(dim, tz)
            self._plan.append(
                (dim.looker_name, dim.name, dim.json_type, fn, fn is _string_converter)
            )

    def __call__(self, row: Mapping[str, t.Any]) -> Record:
        """The record of ``row``; LookerResponseError on a value its type cannot hold."""
        where = self.where
        if not isinstance(row, dict):
            msg = f"{where}Looker returned a row that is not a JSON object: {str(row)[:80]!r}"
            raise LookerResponseError(msg)
        record: Record = {}
        for looker_name, name, json_type, fn, is_text in self._plan:
            value = row.get(looker_name)
            if value is None:
                record[name] = None
                continue
            try:
                out = fn(value)
            except ValueConversionError:
                msg = (
                    f"{where}Looker returned {str(value)[:60]!r} for {looker_name}, "
                    f"which is not a valid {json_type}"
                )
                raise LookerResponseError(msg) from None
            # Only strings can hold a NUL (other types' converters refuse one).
            if is_text and NUL in out:
                out = out.replace(NUL, REPLACEMENT)
                self.nul_replaced += 1
            record[name] = out
        return record

    def nul_warning(self) -> str | None:
        """The one line a stream logs when it replaced NULs (None if it did not)."""
        if not self.nul_replaced:
            return None
        return (
            f"{self.where}replaced U+0000 (NUL) by U+FFFD in {self.nul_replaced} string "
            "value(s): PostgreSQL text cannot hold NUL"
        )


def row_converter(
    dimensions: Iterable[Dimension], tz: dt.tzinfo, *, where: str = ""
) -> RowConverter:
    """A function turning one Looker row into one stream record.

    ``tz`` is the zone naive Looker times are in (the system time zone for System Activity,
    the query time zone for other models). Raises LookerResponseError on a row that is not an
    object or a value its field's type cannot hold.
    """
    return RowConverter(dimensions, tz, where)


def surrogate_key(record: Mapping[str, t.Any], fields: Sequence[str]) -> str:
    """The ``_sdc_surrogate_key`` of a record whose explore has no unique id.

    SHA-256 (hex) of the UTF-8 canonical JSON object ``{field: value}`` over ``fields``: keys
    sorted, no whitespace, non-ASCII kept, values exactly as emitted (timestamps RFC 3339 in
    UTC, so independent of ``query_timezone``; integers; strings; booleans; null). The same
    row gives the same key on every run; rows differing in any of ``fields`` get different
    keys; rows equal in all of them are one row downstream.
    """
    natural = {name: record.get(name) for name in fields}
    text = json.dumps(natural, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
