"""`filter_expression` parser, the predicate compiler (for both filters and expressions) and the
index-range ("box") analysis that lets keyset queries use bisect instead of a full scan.

Evaluation follows SQL three-valued logic: a comparison involving NULL is unknown (None),
NOT unknown is unknown, and a row is kept only when the predicate is exactly True.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .filters import parse_filter
from .predicate import (
    And,
    Arith,
    Cmp,
    Const,
    ExprError,
    Field,
    IsNull,
    Like,
    Lit,
    Node,
    Not,
    Or,
    and_,
    or_,
)
from .values import date_to_epoch

__all__ = [
    "Box",
    "Const",
    "ExprError",
    "Node",
    "and_",
    "box_bounds",
    "compile_predicate",
    "parse_expression",
    "referenced_fields",
]


# name -> (row getter, value domain); raises ExprError for unknown fields.
Resolver = Callable[[str], tuple[Callable[[int], Any], str]]
Evaluator = Callable[[int], Any]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


# --- filter_expression parser ----------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<field>\$\{[^}]*\})
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<backtick>`[^`]*`)
    | (?P<op><=|>=|!=|<>|==|=|<|>|\+|-|\*|/|\(|\)|,)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.lastgroup is None:
            raise ExprError(f"Unexpected character at position {pos}: {text[pos : pos + 10]!r}")
        toks.append(_Tok(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        pos = m.end()
    return toks


class _Parser:
    def __init__(
        self, text: str, tz: dt.tzinfo, field_type: Callable[[str], str], now: int
    ) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.tz = tz
        self.field_type = field_type
        self.now = now

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, *words: str) -> bool:
        t = self.peek()
        if t and t.kind == "ident" and t.text.lower() in words:
            self.i += 1
            return True
        return False

    def sym(self, *syms: str) -> str | None:
        t = self.peek()
        if t and t.kind == "op" and t.text in syms:
            self.i += 1
            return t.text
        return None

    def expect(self, sym: str) -> None:
        if not self.sym(sym):
            t = self.peek()
            where = f"'{t.text}' at position {t.pos}" if t else "end of expression"
            raise ExprError(f"Expected '{sym}' but found {where}")

    def parse(self) -> Node:
        if not self.toks:
            raise ExprError("Empty expression")
        node = self.or_expr()
        t = self.peek()
        if t is not None:
            raise ExprError(f"Unexpected '{t.text}' at position {t.pos}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.word("or"):
            items.append(self.and_expr())
        return or_(*items)

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.word("and"):
            items.append(self.not_expr())
        return and_(*items)

    def not_expr(self) -> Node:
        if self.word("not"):
            return Not(self.not_expr())
        return self.cmp_expr()

    def cmp_expr(self) -> Node:
        left = self.add_expr()
        op = self.sym("=", "==", "!=", "<>", "<", "<=", ">", ">=")
        if op is None:
            return left
        op = {"==": "=", "<>": "!="}.get(op, op)
        return Cmp(op, left, self.add_expr())

    def add_expr(self) -> Node:
        node = self.mul_expr()
        while op := self.sym("+", "-"):
            node = Arith(op, node, self.mul_expr())
        return node

    def mul_expr(self) -> Node:
        node = self.unary()
        while op := self.sym("*", "/"):
            node = Arith(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.sym("-"):
            inner = self.unary()
            if isinstance(inner, Lit) and inner.vtype == "number":
                return Lit(-inner.value, "number")
            return Arith("-", Lit(0, "number"), inner)
        return self.primary()

    def primary(self) -> Node:
        t = self.peek()
        if t is None:
            raise ExprError("Unexpected end of expression")
        self.i += 1
        if t.kind == "field":
            return Field(t.text[2:-1].strip())
        if t.kind == "number":
            num = float(t.text)
            return Lit(int(t.text) if t.text.isdigit() else num, "number")
        if t.kind == "string":
            return Lit(re.sub(r"\\(.)", r"\1", t.text[1:-1]), "string")
        if t.kind == "op" and t.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if t.kind == "ident":
            name = t.text.lower()
            if name in {"yes", "true"}:
                return Lit(True, "yesno")
            if name in {"no", "false"}:
                return Lit(False, "yesno")
            if name == "null":
                return Lit(None, "null")
            if self.sym("("):
                return self.call(name, t)
        raise ExprError(f"Unexpected '{t.text}' at position {t.pos}")

    def args(self) -> list[Node]:
        out: list[Node] = []
        if self.sym(")"):
            return out
        while True:
            t = self.peek()
            if t is not None and t.kind == "backtick":
                self.i += 1
                out.append(Lit(t.text[1:-1], "filter"))
            else:
                out.append(self.or_expr())
            if self.sym(")"):
                return out
            self.expect(",")

    def call(self, name: str, tok: _Tok) -> Node:
        args = self.args()
        if name in {"date_time", "date"}:
            nums = [a.value for a in args if isinstance(a, Lit) and a.vtype == "number"]
            want = (6,) if name == "date_time" else (3,)
            if len(nums) != len(args) or len(args) not in want:
                raise ExprError(f"{name}() takes {want[0]} numeric literal arguments")
            try:
                parts = [int(n) for n in nums]
                if name == "date":
                    return Lit(dt.date(*parts), "date")
                y, mo, d, h, mi, s = parts
                local = dt.datetime(y, mo, d, h, mi, s, tzinfo=self.tz)
            except (ValueError, OverflowError) as exc:
                raise ExprError(f"Invalid {name}(): {exc}") from exc
            return Lit(int(local.timestamp()), "datetime")
        if name == "is_null":
            if len(args) != 1:
                raise ExprError("is_null() takes one argument")
            return IsNull(args[0])
        if name == "matches_filter":
            if len(args) != 2 or not isinstance(args[0], Field):
                raise ExprError("matches_filter() takes a field and a `filter expression`")
            flt = args[1]
            if not (isinstance(flt, Lit) and flt.vtype == "filter"):
                raise ExprError("matches_filter() needs a backtick-quoted filter")
            ftype = self.field_type(args[0].name)
            return parse_filter(args[0].name, ftype, flt.value, self.tz, self.now)
        raise ExprError(f"Unknown function '{tok.text}' at position {tok.pos}")


def parse_expression(text: str, tz: dt.tzinfo, field_type: Callable[[str], str], now: int) -> Node:
    """Parse a Looker `filter_expression`; date_time() literals are read in `tz`.

    `field_type` maps a full field name to its Looker type (for matches_filter); `now` is the
    simulated clock (epoch seconds) for relative dates inside matches_filter.
    """
    return _Parser(text, tz, field_type, now).parse()


# --- type check and compile ------------------------------------------------------------------


def _comparable(a: str, b: str) -> bool:
    if "null" in (a, b):
        return True
    temporal = {"datetime", "date"}
    return a == b or (a in temporal and b in temporal)


def compile_node(node: Node, resolve: Resolver, tz: dt.tzinfo) -> tuple[Evaluator, str]:
    """Compile to a row evaluator; returns (fn(row) -> value, value domain)."""
    if isinstance(node, Field):
        return resolve(node.name)
    if isinstance(node, Lit):
        value = node.value
        if node.vtype == "filter":
            raise ExprError("A backtick filter is only allowed inside matches_filter()")
        return (lambda _i: value), node.vtype
    if isinstance(node, Const):
        const = node.value
        return (lambda _i: const), "yesno"
    if isinstance(node, Arith):
        lf, lt = compile_node(node.left, resolve, tz)
        rf, rt = compile_node(node.right, resolve, tz)
        if {lt, rt} - {"number", "null"}:
            raise ExprError(f"Operator {node.op} needs numbers, not {lt} and {rt}")
        fn = _ARITH[node.op]

        def arith(i: int) -> Any:
            a, b = lf(i), rf(i)
            if a is None or b is None or (node.op == "/" and b == 0):
                return None
            return fn(a, b)

        return arith, "number"
    if isinstance(node, Cmp):
        return _compile_cmp(node, resolve, tz), "yesno"
    if isinstance(node, And | Or):
        fns = [_bool_operand(x, resolve, tz) for x in node.items]
        return (_and(fns) if isinstance(node, And) else _or(fns)), "yesno"
    if isinstance(node, Not):
        inner = _bool_operand(node.item, resolve, tz)

        def negate(i: int) -> bool | None:
            v = inner(i)
            return None if v is None else not v

        return negate, "yesno"
    if isinstance(node, IsNull):
        arg, _ = compile_node(node.arg, resolve, tz)
        return (lambda i: arg(i) is None), "yesno"
    if isinstance(node, Like):
        arg, at = compile_node(node.arg, resolve, tz)
        if at not in {"string", "null"}:
            raise ExprError(f"Pattern matching needs a string, not {at}")
        match = node.pattern.match
        return (lambda i: None if (v := arg(i)) is None else match(v) is not None), "yesno"
    raise ExprError(f"Unsupported expression node {node!r}")


def _bool_operand(node: Node, resolve: Resolver, tz: dt.tzinfo) -> Evaluator:
    fn, vtype = compile_node(node, resolve, tz)
    if vtype not in {"yesno", "null"}:
        raise ExprError(f"Expected a yes/no condition, got a {vtype} value")
    return fn


def _and(fns: Sequence[Evaluator]) -> Evaluator:
    def f(i: int) -> bool | None:
        unknown = False
        for fn in fns:
            v = fn(i)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return f


def _or(fns: Sequence[Evaluator]) -> Evaluator:
    def f(i: int) -> bool | None:
        unknown = False
        for fn in fns:
            v = fn(i)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return f


def _compile_cmp(node: Cmp, resolve: Resolver, tz: dt.tzinfo) -> Evaluator:
    lf, lt = compile_node(node.left, resolve, tz)
    rf, rt = compile_node(node.right, resolve, tz)
    if not _comparable(lt, rt):
        raise ExprError(f"Cannot compare a {lt} value with a {rt} value")
    if "null" in (lt, rt):
        return lambda _i: None  # SQL: anything compared with NULL is unknown
    # A DATE against a TIMESTAMP compares as local midnight, like SQL's implicit cast.
    if lt == "date" and rt == "datetime":
        lf = _date_as_epoch(lf, tz)
    elif rt == "date" and lt == "datetime":
        rf = _date_as_epoch(rf, tz)
    op = _OPS[node.op]
    if isinstance(node.right, Lit):
        const = rf(0)

        def cmp_const(i: int) -> bool | None:
            v = lf(i)
            return None if v is None else op(v, const)

        return cmp_const

    def cmp(i: int) -> bool | None:
        a, b = lf(i), rf(i)
        return None if a is None or b is None else op(a, b)

    return cmp


def _date_as_epoch(fn: Evaluator, tz: dt.tzinfo) -> Evaluator:
    return lambda i: None if (d := fn(i)) is None else date_to_epoch(d, tz)


def compile_predicate(node: Node, resolve: Resolver, tz: dt.tzinfo) -> Callable[[int], bool]:
    fn = _bool_operand(node, resolve, tz)
    return lambda i: fn(i) is True


def referenced_fields(node: Node) -> set[str]:
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Cmp | Arith):
        return referenced_fields(node.left) | referenced_fields(node.right)
    if isinstance(node, And | Or):
        out: set[str] = set()
        for x in node.items:
            out |= referenced_fields(x)
        return out
    if isinstance(node, Not):
        return referenced_fields(node.item)
    if isinstance(node, IsNull | Like):
        return referenced_fields(node.arg)
    return set()


# --- index ranges ----------------------------------------------------------------------------
# A Box bounds (time, pk): time in [tlo, thi) and pk in [ilo, ihi), None meaning unbounded.
# box_bounds() returns boxes whose union contains every row the predicate can accept (a sound
# over-approximation; the predicate is still evaluated on each row), or None for "no bound".

Box = tuple[int | None, int | None, int | None, int | None]
_MAX_BOXES = 64


def box_bounds(
    node: Node, time_field: str | None, pk_field: str | None, tz: dt.tzinfo
) -> list[Box] | None:
    if isinstance(node, Const):
        return None if node.value else []
    if isinstance(node, Cmp):
        return _cmp_box(node, time_field, pk_field, tz)
    if isinstance(node, And):
        acc: list[Box] | None = None
        for item in node.items:
            boxes = box_bounds(item, time_field, pk_field, tz)
            if boxes is None:
                continue
            if acc is None:
                acc = boxes
                continue
            acc = [b for a in acc for c in boxes if (b := _intersect(a, c)) is not None]
            if len(acc) > _MAX_BOXES:
                acc = [_hull(acc)]
        return acc
    if isinstance(node, Or):
        out: list[Box] = []
        for item in node.items:
            boxes = box_bounds(item, time_field, pk_field, tz)
            if boxes is None:
                return None
            out.extend(boxes)
        return out if len(out) <= _MAX_BOXES else [_hull(out)]
    return None


def _cmp_box(
    node: Cmp, time_field: str | None, pk_field: str | None, tz: dt.tzinfo
) -> list[Box] | None:
    left, right, op = node.left, node.right, node.op
    if isinstance(left, Lit) and isinstance(right, Field):
        left, right, op = right, left, _FLIP[op]
    if not (isinstance(left, Field) and isinstance(right, Lit)) or op == "!=":
        return None
    if right.value is None:
        return []  # comparison with NULL accepts nothing
    if left.name == time_field and right.vtype in {"datetime", "date"}:
        value = right.value
        if right.vtype == "date":
            value = date_to_epoch(value, tz)
        lo, hi = _int_range(op, value)
        return [] if lo is not None and hi is not None and lo >= hi else [(lo, hi, None, None)]
    if left.name == pk_field and right.vtype == "number":
        lo, hi = _int_range(op, right.value)
        return [] if lo is not None and hi is not None and lo >= hi else [(None, None, lo, hi)]
    return None


def _int_range(op: str, v: float) -> tuple[int | None, int | None]:
    """Integer interval [lo, hi) of x satisfying `x op v` (keys are integers)."""
    if op == ">":
        return math.floor(v) + 1, None
    if op == ">=":
        return math.ceil(v), None
    if op == "<":
        return None, math.ceil(v)
    if op == "<=":
        return None, math.floor(v) + 1
    # "=": an integer key can only equal an integral value
    return (int(v), int(v) + 1) if float(v).is_integer() else (0, 0)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _intersect(a: Box, b: Box) -> Box | None:
    tlo, thi = _max(a[0], b[0]), _min(a[1], b[1])
    ilo, ihi = _max(a[2], b[2]), _min(a[3], b[3])
    if (tlo is not None and thi is not None and tlo >= thi) or (
        ilo is not None and ihi is not None and ilo >= ihi
    ):
        return None
    return (tlo, thi, ilo, ihi)


def _hull(boxes: list[Box]) -> Box:
    def lo(vals: list[int | None]) -> int | None:
        return None if any(v is None for v in vals) else min(v for v in vals if v is not None)

    def hi(vals: list[int | None]) -> int | None:
        return None if any(v is None for v in vals) else max(v for v in vals if v is not None)

    return (
        lo([b[0] for b in boxes]),
        hi([b[1] for b in boxes]),
        lo([b[2] for b in boxes]),
        hi([b[3] for b in boxes]),
    )
