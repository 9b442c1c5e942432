"""Looker field types: raw in-memory representation, JSON rendering, sort keys.

Raw representation per Looker type (what filters and sorts compare):
  number            int | float
  string, tier,     str
  zipcode
  yesno             bool
  date_time         int, epoch seconds (UTC, second precision)
  date_date         datetime.date
None is SQL NULL for every type.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

UTC = dt.UTC
STRING_TYPES = frozenset({"string", "tier", "zipcode"})
LOOKER_TYPES = frozenset({"number", "yesno", "date_time", "date_date"}) | STRING_TYPES
MEASURE_TYPES = frozenset({"sum", "count", "max", "min"})

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_EPOCH_DATE = dt.date(1970, 1, 1)


def expr_type(looker_type: str) -> str:
    """Map a Looker field type onto the value domain used by filters and expressions."""
    if looker_type in STRING_TYPES:
        return "string"
    if looker_type == "date_time":
        return "datetime"
    if looker_type == "date_date":
        return "date"
    if looker_type in MEASURE_TYPES:
        return "number"
    return looker_type  # number, yesno


class LocalClock:
    """Epoch seconds -> wall-clock values in one zone, fast enough for a million rows.

    UTC offsets are cached per 15-minute bucket: zones change offset only on quarter-hour
    instants, so every second of a bucket shares its offset. Day strings are cached too.
    """

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self._offsets: dict[int, int] = {}
        self._days: dict[int, str] = {}

    def offset(self, epoch: int) -> int:
        if self.tz is UTC:
            return 0
        bucket = epoch // 900
        off = self._offsets.get(bucket)
        if off is None:
            delta = dt.datetime.fromtimestamp(bucket * 900, self.tz).utcoffset()
            off = self._offsets[bucket] = int(delta.total_seconds()) if delta else 0
        return off

    def day(self, epoch: int) -> int:
        """Local calendar day as days since 1970-01-01."""
        return (epoch + self.offset(epoch)) // 86400

    def date(self, epoch: int) -> dt.date:
        return _EPOCH_DATE + dt.timedelta(days=self.day(epoch))

    def format(self, epoch: int) -> str:
        """ "YYYY-MM-DD HH:MM:SS" in local time."""
        day, rem = divmod(epoch + self.offset(epoch), 86400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = (_EPOCH_DATE + dt.timedelta(days=day)).isoformat()
        hours, rem = divmod(rem, 3600)
        minutes, seconds = divmod(rem, 60)
        return f"{text} {hours:02d}:{minutes:02d}:{seconds:02d}"


@functools.cache
def local_clock(tz: dt.tzinfo) -> LocalClock:
    return LocalClock(tz)


def date_to_epoch(day: dt.date, tz: dt.tzinfo) -> int:
    """Local midnight of `day` in `tz` as epoch seconds."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def renderer(looker_type: str, tz: dt.tzinfo) -> Callable[[Any], Any] | None:
    """Return raw -> JSON value, as Looker's `json` result format shows it (None: as is)."""
    if looker_type == "date_time":
        fmt = local_clock(tz).format
        return lambda v: None if v is None else fmt(v)
    if looker_type == "date_date":
        return lambda v: None if v is None else v.isoformat()
    if looker_type == "yesno":
        return lambda v: None if v is None else ("Yes" if v else "No")
    return None


_TIER_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def tier_rank(label: str) -> float:
    """Looker orders tiers by their lower bound, not alphabetically ("7 to 13" < "14 to 29")."""
    if label.lower().startswith("below"):
        return float("-inf")
    m = _TIER_NUM.search(label)
    return float(m.group()) if m else float("inf")


def sort_key(looker_type: str) -> Callable[[Any], tuple[int, Any]]:
    """Key putting NULL lowest (Looker's null_sort_treatment "low", as MySQL/BigQuery do)."""
    if looker_type == "tier":
        return lambda v: (0, 0.0) if v is None else (1, tier_rank(v))
    return lambda v: (0, 0) if v is None else (1, v)


def normalize(looker_type: str, value: Any) -> Any:
    """Coerce a user-supplied value (schema drift, tests) into the raw representation."""
    if value is None:
        return None
    if looker_type == "date_time":
        if isinstance(value, bool):
            raise TypeError("bool is not a date_time")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            value = dt.datetime.strptime(value, TIME_FORMAT)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return int(value.timestamp())
        raise TypeError(f"cannot use {value!r} as date_time")
    if looker_type == "date_date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))
    if looker_type == "yesno":
        if isinstance(value, str):
            return value.strip().lower() in {"yes", "true", "1"}
        return bool(value)
    if looker_type == "number":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float):
            return value
        f = float(value)
        return int(f) if f.is_integer() and "." not in str(value) else f
    return str(value)


def zone(name: str | None) -> dt.tzinfo:
    """UTC singleton for "UTC" (enables fast paths), zoneinfo otherwise."""
    if not name or name.upper() in {"UTC", "ETC/UTC", "Z"}:
        return UTC
    return ZoneInfo(name)
