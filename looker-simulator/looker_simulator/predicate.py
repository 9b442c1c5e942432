"""The predicate AST shared by `filters` (filters.py) and `filter_expression` (expr.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class ExprError(ValueError):
    """A filter or expression that cannot be parsed or type-checked."""


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str  # full name, "view.field"


@dataclass(frozen=True)
class Lit:
    value: Any
    vtype: str  # number | string | datetime (epoch int) | date | yesno | null


@dataclass(frozen=True)
class Cmp:
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class IsNull:
    arg: Node


@dataclass(frozen=True)
class Like:
    arg: Node
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Const:
    value: bool


Node = Field | Lit | Cmp | Arith | And | Or | Not | IsNull | Like | Const


def and_(*items: Node) -> Node:
    return items[0] if len(items) == 1 else And(tuple(items))


def or_(*items: Node) -> Node:
    return items[0] if len(items) == 1 else Or(tuple(items))
