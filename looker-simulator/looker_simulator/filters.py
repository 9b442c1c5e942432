"""Looker filter-expression grammar (the values of a WriteQuery `filters` map) -> predicate AST.

Supported, per field type:
  number   5 | >= 5 | >5 AND <=10 | >7 OR <=3 | !=5 | <>5 | NOT 5 | 1, 2, 3 | NOT 1, 2 |
           [5, 10] (5, 10] [5, inf) | NULL | NOT NULL
  string   FOO | FOO, BAR | -FOO | %OO% F_O (LIKE) | NULL | -NULL | EMPTY | -EMPTY |
           ^ escapes (^, ^% ^_ ^- ^^)
  date/    2024/01/31 (that day; - also accepted as separator) | 2024/01 | 2024 |
  time     2024/01/31 10:00 (that minute) | 2024/01/31 10:00:00 (that second) |
           after P (on or after) | before P (strictly before) | P to Q (P inclusive, Q exclusive) |
           P for 3 days | today | yesterday | tomorrow | this/last/next week |
           3 days (last 3 days including today) | last 3 days | 3 days ago | 2 hours from now |
           NULL | NOT NULL | -NULL; comma-separated items are OR-ed
  yesno    Yes | No | NULL | NOT NULL
Negated string/number items keep NULL rows, as Looker's generated SQL does
(`x <> 'FOO' OR x IS NULL`). Matching is case-sensitive (the simulator has no collation).
An empty filter value matches everything, as in Looker.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .predicate import (
    Cmp,
    Const,
    ExprError,
    Field,
    IsNull,
    Like,
    Lit,
    Node,
    Not,
    and_,
    or_,
)
from .values import expr_type


def parse_filter(field: str, looker_type: str, text: str, tz: dt.tzinfo, now: int) -> Node:
    """Parse one `filters` entry for `field` (full name) of Looker type `looker_type`."""
    text = text.strip()
    if not text:
        return Const(True)
    domain = expr_type(looker_type)
    ref = Field(field)
    if domain == "number":
        return _number_filter(ref, text)
    if domain in {"datetime", "date"}:
        return _date_filter(ref, text, tz, now)
    if domain == "yesno":
        return _yesno_filter(ref, text)
    return _string_filter(ref, text)


def _split_top(text: str) -> list[str]:
    """Split on commas outside [] / () (intervals contain commas)."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out]


def _or_null(node: Node, ref: Field) -> Node:
    return or_(node, IsNull(ref))


# --- numbers ---------------------------------------------------------------------------------

_NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_NUM_RE = re.compile(rf"\A{_NUM}\Z")
_CMP_RE = re.compile(rf"\A(>=|<=|!=|<>|>|<|=)?\s*({_NUM})\Z")
_INTERVAL_RE = re.compile(
    rf"\A([\[(])\s*(-inf|{_NUM})?\s*,\s*(inf|\+inf|{_NUM})?\s*([\])])\Z", re.IGNORECASE
)


def _num(text: str) -> int | float:
    f = float(text)
    return int(f) if re.fullmatch(r"-?\d+", text) else f


def _number_filter(ref: Field, text: str) -> Node:
    text = text.replace("∞", "inf")
    upper = text.upper()
    if upper.startswith("NOT ") and upper != "NOT NULL":
        items = _split_top(text[4:])
        if all(_NUM_RE.match(x) for x in items):
            return and_(*(_or_null(Cmp("!=", ref, Lit(_num(x), "number")), ref) for x in items))
    positives: list[Node] = []
    negatives: list[Node] = []
    for item in _split_top(text):
        node, negative = _number_item(ref, item)
        (negatives if negative else positives).append(node)
    if positives:
        return and_(or_(*positives), *negatives)
    return and_(*negatives)


def _number_item(ref: Field, item: str) -> tuple[Node, bool]:
    alternatives = re.split(r"\s+OR\s+", item, flags=re.IGNORECASE)
    if len(alternatives) > 1:
        return or_(*(_number_conj(ref, a) for a in alternatives)), False
    upper = item.upper().strip()
    if upper in {"NOT NULL", "-NULL"}:
        return Not(IsNull(ref)), True
    m = _CMP_RE.match(item.strip())
    if m and m.group(1) in {"!=", "<>"}:
        return _or_null(Cmp("!=", ref, Lit(_num(m.group(2)), "number")), ref), True
    if upper.startswith("NOT ") and _NUM_RE.match(upper[4:].strip()):
        return _or_null(Cmp("!=", ref, Lit(_num(upper[4:].strip()), "number")), ref), True
    return _number_conj(ref, item), False


def _number_conj(ref: Field, text: str) -> Node:
    parts = re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE)
    return and_(*(_number_atom(ref, p.strip()) for p in parts))


def _number_atom(ref: Field, atom: str) -> Node:
    upper = atom.upper()
    if upper == "NULL":
        return IsNull(ref)
    if upper in {"NOT NULL", "-NULL"}:
        return Not(IsNull(ref))
    if upper.startswith("NOT ") and _NUM_RE.match(atom[4:].strip()):
        return _or_null(Cmp("!=", ref, Lit(_num(atom[4:].strip()), "number")), ref)
    m = _INTERVAL_RE.match(atom)
    if m:
        left, lo, hi, right = m.groups()
        parts: list[Node] = []
        if lo and lo.lower() != "-inf":
            parts.append(Cmp(">=" if left == "[" else ">", ref, Lit(_num(lo), "number")))
        if hi and hi.lower() not in {"inf", "+inf"}:
            parts.append(Cmp("<=" if right == "]" else "<", ref, Lit(_num(hi), "number")))
        return and_(*parts) if parts else Not(IsNull(ref))
    m = _CMP_RE.match(atom)
    if m:
        op = {"<>": "!=", None: "="}.get(m.group(1), m.group(1))
        node: Node = Cmp(op, ref, Lit(_num(m.group(2)), "number"))
        return _or_null(node, ref) if op == "!=" else node
    raise ExprError(f"Invalid number filter {atom!r}")


# --- strings ---------------------------------------------------------------------------------


def _string_filter(ref: Field, text: str) -> Node:
    positives: list[Node] = []
    negatives: list[Node] = []
    for raw in _split_unescaped(text):
        item = raw.strip()
        if not item:
            continue
        negative = item.startswith("-")
        if negative:
            item = item[1:]
        node = _string_item(ref, item)
        if negative:
            # NOT NULL / NOT EMPTY keep their meaning; other negations keep NULL rows.
            is_nullish = item.upper() in {"NULL", "EMPTY"}
            negatives.append(Not(node) if is_nullish else _or_null(Not(node), ref))
        else:
            positives.append(node)
    if not positives and not negatives:
        return Const(True)
    if positives:
        return and_(or_(*positives), *negatives)
    return and_(*negatives)


def _split_unescaped(text: str) -> list[str]:
    out, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "^" and i + 1 < len(text):
            cur.append(text[i : i + 2])  # keep the escape; _string_item resolves it
            i += 2
            continue
        if ch == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _string_item(ref: Field, item: str) -> Node:
    upper = item.upper()
    if upper == "NULL":
        return IsNull(ref)
    if upper == "EMPTY":
        return or_(IsNull(ref), Cmp("=", ref, Lit("", "string")))
    literal: list[str] = []
    pattern: list[str] = []
    wildcard = False
    i = 0
    while i < len(item):
        ch = item[i]
        if ch == "^" and i + 1 < len(item):
            literal.append(item[i + 1])
            pattern.append("\x00" + item[i + 1])  # escaped: never a wildcard
            i += 2
            continue
        if ch in "%_":
            wildcard = True
        literal.append(ch)
        pattern.append(ch)
        i += 1
    if not wildcard:
        return Cmp("=", ref, Lit("".join(literal), "string"))
    return Like(ref, _like_regex(pattern))


def _like_regex(chars: list[str]) -> re.Pattern[str]:
    """LIKE regex from characters; NUL-prefixed ones were ^-escaped and are literal."""
    parts = ["\\A"]
    for ch in chars:
        if ch.startswith("\x00"):
            parts.append(re.escape(ch[1:]))
        else:
            parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    parts.append("\\Z")
    return re.compile("".join(parts), re.DOTALL)


# --- yesno -----------------------------------------------------------------------------------


def _yesno_filter(ref: Field, text: str) -> Node:
    upper = text.strip().upper()
    if upper in {"YES", "TRUE"}:
        return Cmp("=", ref, Lit(True, "yesno"))
    if upper in {"NO", "FALSE"}:
        return Cmp("=", ref, Lit(False, "yesno"))
    if upper == "NULL":
        return IsNull(ref)
    if upper in {"NOT NULL", "-NULL"}:
        return Not(IsNull(ref))
    raise ExprError(f"Invalid yesno filter {text!r}")


# --- dates and times -------------------------------------------------------------------------

_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
_UNIT_RE = r"(second|minute|hour|day|week|month|quarter|year)s?"
_ABS_RE = re.compile(
    r"\A(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2})"
    r"(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?)?)?\Z"
)


def _floor(t: dt.datetime, unit: str) -> dt.datetime:
    if unit == "second":
        return t.replace(microsecond=0)
    if unit == "minute":
        return t.replace(second=0, microsecond=0)
    if unit == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":  # Looker's default week_start_day is Monday
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(day=1, month=3 * ((day.month - 1) // 3) + 1)
    return day.replace(day=1, month=1)


def _shift(t: dt.datetime, unit: str, k: int) -> dt.datetime:
    """Move a naive local time by k units (calendar-aware for month and longer)."""
    if unit in {"second", "minute", "hour", "day", "week"}:
        return t + dt.timedelta(**{unit + "s": k})
    months = k * {"month": 1, "quarter": 3, "year": 12}[unit]
    total = t.year * 12 + (t.month - 1) + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return t.replace(year=year, month=month + 1, day=min(t.day, last))


class _Period:
    """A naive local interval [start, end) resolved to epochs in the query time zone."""

    def __init__(self, start: dt.datetime, end: dt.datetime) -> None:
        self.start = start
        self.end = end

    def epochs(self, tz: dt.tzinfo) -> tuple[int, int]:
        return (
            int(self.start.replace(tzinfo=tz).timestamp()),
            int(self.end.replace(tzinfo=tz).timestamp()),
        )


def _period(text: str, now_local: dt.datetime) -> _Period:
    text = " ".join(text.lower().split())
    m = _ABS_RE.match(text)
    if m:
        y, mo, d, hh, mm, ss = m.groups()
        try:
            if mo is None:
                start = dt.datetime(int(y), 1, 1)
                return _Period(start, _shift(start, "year", 1))
            if d is None:
                start = dt.datetime(int(y), int(mo), 1)
                return _Period(start, _shift(start, "month", 1))
            if hh is None:
                start = dt.datetime(int(y), int(mo), int(d))
                return _Period(start, _shift(start, "day", 1))
            start = dt.datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0))
            return _Period(start, _shift(start, "second" if ss else "minute", 1))
        except ValueError as exc:
            raise ExprError(f"Invalid date {text!r}: {exc}") from exc
    if text == "now":
        start = _floor(now_local, "second")
        return _Period(start, _shift(start, "second", 1))
    named = {"today": ("day", 0), "yesterday": ("day", -1), "tomorrow": ("day", 1)}
    if text in named:
        unit, k = named[text]
        return _unit_period(now_local, unit, k, 1)
    m = re.fullmatch(rf"(this|last|next) {_UNIT_RE}", text)
    if m:
        k = {"this": 0, "last": -1, "next": 1}[m.group(1)]
        return _unit_period(now_local, m.group(2), k, 1)
    m = re.fullmatch(rf"(\d+) {_UNIT_RE} (ago|from now)", text)
    if m:
        n = int(m.group(1))
        return _unit_period(now_local, m.group(2), -n if m.group(3) == "ago" else n, 1)
    raise ExprError(f"Invalid date or time {text!r}")


def _unit_period(now_local: dt.datetime, unit: str, k: int, count: int) -> _Period:
    base = _shift(_floor(now_local, unit), unit, k)
    return _Period(base, _shift(base, unit, count))


def _date_item(ref: Field, item: str, tz: dt.tzinfo, now_local: dt.datetime) -> Node:
    text = " ".join(item.split())
    low = text.lower()
    if low == "null":
        return IsNull(ref)
    if low in {"not null", "-null"}:
        return Not(IsNull(ref))

    def between(start: int, end: int) -> Node:
        return and_(Cmp(">=", ref, Lit(start, "datetime")), Cmp("<", ref, Lit(end, "datetime")))

    if low.startswith("after "):
        start, _ = _period(text[6:], now_local).epochs(tz)
        return Cmp(">=", ref, Lit(start, "datetime"))
    if low.startswith("before "):
        start, _ = _period(text[7:], now_local).epochs(tz)
        return Cmp("<", ref, Lit(start, "datetime"))
    m = re.fullmatch(r"(.+?) to (.+)", low)
    if m:
        start, _ = _period(m.group(1), now_local).epochs(tz)
        end, _ = _period(m.group(2), now_local).epochs(tz)
        return between(start, end)
    m = re.fullmatch(rf"(.+?) for (\d+) {_UNIT_RE}", low)
    if m:
        p = _period(m.group(1), now_local)
        return between(*_Period(p.start, _shift(p.start, m.group(3), int(m.group(2)))).epochs(tz))
    m = re.fullmatch(rf"(?:last )?(\d+) {_UNIT_RE}", low)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise ExprError(f"Invalid relative date {item!r}")
        return between(*_unit_period(now_local, m.group(2), -(n - 1), n).epochs(tz))
    return between(*_period(text, now_local).epochs(tz))


def _date_filter(ref: Field, text: str, tz: dt.tzinfo, now: int) -> Node:
    now_local = dt.datetime.fromtimestamp(now, tz).replace(tzinfo=None)
    items = [i for i in _split_top(text) if i]
    return or_(*(_date_item(ref, i, tz, now_local) for i in items))
