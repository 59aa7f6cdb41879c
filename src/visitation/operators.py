"""The closed set of operators: one definition of each, every backend derived from it.

A leaf of a condition compares one fact with a literal: ``{fact: age, at_least: 18}``.
This module is the only place that says what an operator is:

- ``kinds``: the kinds of fact it fits (``bool``, ``int``, ``date``, ``enum``, ``set``,
  ``text``, ``scores``; see :data:`visitation.facts.FACTS`);
- ``literal``: the kind of literal it takes, and so the rule file's schema for it
  (:data:`LITERAL_TYPES`) and the checker's test of a literal against the fact
  (:func:`literal_problem`);
- ``holds(value, operand, on)``: its meaning on a *recorded* value, the reference every
  backend must equal; an unrecorded value makes the leaf unknown, except for an operator
  that is ``never_unknown`` (``recorded``), whose ``holds`` also takes ``None``;
- ``prepare(fact, literal)``: the literal in the form ``holds`` compares with (enum
  members for vocabulary facts, frozensets for lists);
- ``forms``: its form in each backend, keyed by the names in :data:`BACKENDS`. The
  ``python`` form is the expression the compiler writes over the recorded value ``v``,
  the name of the bound operand ``{c}`` and the evaluation date ``on``. The ``sql`` form
  (:mod:`visitation.cohort`) is a template, parsed by sqlglot, over the fact's value ``v``
  and the literal ``c``, which the cohort compiler replaces by expression nodes (never by
  text): ``any_of(e)`` / ``all_of(e)`` are ``e`` for each value of a list literal joined
  by OR / AND, ``member(v, c)`` the set's yes/no column for member ``c``, ``size(v)`` its
  member count, ``known(v)`` whether the fact is recorded, ``days_before(c)`` the date
  ``c`` days before the evaluation date and ``evaluation_date`` that date.

The rule-file model (:class:`visitation.ruleset.Leaf`), the checker, the reference
interpreter, the never-met search and the compiler all read this table; adding an
operator is one entry here (and its tests). ``tests/test_operators.py`` asserts that every
operator has a form for every backend, so a backend cannot silently miss one.

Date arithmetic is total: ``within_days`` compares a day difference (``(on - v).days``),
which never leaves the range of dates, so no date and no day count can overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from visitation.facts import RULE_FACTS, FactKind, FactSpec

__all__ = [
    "BACKENDS",
    "LITERAL_TYPES",
    "MAX_DAYS",
    "MAX_LIST",
    "MAX_SIZE",
    "OPERATORS",
    "LiteralKind",
    "Operator",
    "literal_problem",
    "operators_for",
    "typed_literal",
]

BACKENDS: Final[tuple[str, ...]] = ("python", "sql")
"""Every backend that must give each operator a form (see ``Operator.forms``)."""

MAX_DAYS: Final = 36_525
"""The largest ``within_days`` a rule may state: a century of calendar days."""

MAX_SIZE: Final = 10_000
"""The largest ``size_at_least`` a rule may state."""

MAX_LIST: Final = 1_000
"""The most values one ``in`` / ``not_in`` / ``contains_any`` / ``contains_all`` lists."""

LiteralKind = Literal["scalar", "scalars", "number", "bool", "word", "words", "count", "days"]
"""What an operator takes: one value of the fact's type, a list of them, a number, yes/no,
a vocabulary word (or a list of words) of a set fact, a member count, a day count."""

_Number = StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)]
_Scalar = StrictBool | _Number | StrictStr

LITERAL_TYPES: Final[Mapping[LiteralKind, Any]] = {
    "scalar": _Scalar,
    "scalars": Annotated[list[_Scalar], Field(min_length=1, max_length=MAX_LIST)],
    "number": _Number,
    "bool": StrictBool,
    "word": StrictStr,
    "words": Annotated[list[StrictStr], Field(min_length=1, max_length=MAX_LIST)],
    "count": Annotated[StrictInt, Field(ge=0, le=MAX_SIZE)],
    "days": Annotated[StrictInt, Field(ge=0, le=MAX_DAYS)],
}
"""The schema of each kind of literal (strict: ``"18"`` is not a number, ``1`` not a
yes/no, ``30.0`` not a day count; numbers are finite)."""


def typed_literal(fact: str, value: Any) -> Any:
    """A literal in the fact's own type: the enum member for a vocabulary word."""
    spec = RULE_FACTS.get(fact)
    if spec is not None and spec.enum_type is not None and isinstance(value, str):
        try:
            return spec.enum_type(value)
        except ValueError:
            return value
    return value


def _one(fact: str, value: Any) -> Any:
    return typed_literal(fact, value)


def _many(fact: str, values: Any) -> frozenset[Any]:
    return frozenset(typed_literal(fact, v) for v in values)


def _as_is(fact: str, value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator of the closed set (see the module docstring)."""

    name: str
    meaning: str
    kinds: frozenset[FactKind]
    literal: LiteralKind
    holds: Callable[[Any, Any, date], bool]
    forms: Mapping[str, str]
    prepare: Callable[[str, Any], Any] = field(default=_one)
    never_unknown: bool = False

    @property
    def key(self) -> str:
        """The key a rule file writes (``in``, ``at_least``, ...)."""
        return self.name

    @property
    def attribute(self) -> str:
        """The attribute of :class:`visitation.ruleset.Leaf` that holds the literal."""
        return self.name + "_" if self.name in ("in", "is") else self.name


_NUMBERS: frozenset[FactKind] = frozenset({"int"})
_EQUALITY: frozenset[FactKind] = frozenset({"bool", "int", "enum", "text"})
_MEMBERSHIP: frozenset[FactKind] = frozenset({"int", "enum", "text"})
_SETS: frozenset[FactKind] = frozenset({"set"})
_ALL_KINDS: frozenset[FactKind] = frozenset(
    {"bool", "int", "date", "enum", "set", "text", "scores"}
)


def _table(*ops: Operator) -> dict[str, Operator]:
    return {op.name: op for op in ops}


OPERATORS: Final[Mapping[str, Operator]] = _table(
    Operator(
        "equals", "the fact equals the value", _EQUALITY, "scalar",
        lambda v, c, on: bool(v == c), {"python": "v == {c}", "sql": "v = c"},
    ),
    Operator(
        "not_equals", "the fact is recorded and differs from the value", _EQUALITY, "scalar",
        lambda v, c, on: bool(v != c), {"python": "v != {c}", "sql": "v <> c"},
    ),
    Operator(
        "in", "the fact is one of the listed values", _MEMBERSHIP, "scalars",
        lambda v, c, on: v in c, {"python": "v in {c}", "sql": "any_of(v = c)"}, prepare=_many,
    ),
    Operator(
        "not_in", "the fact is recorded and none of the listed values", _MEMBERSHIP, "scalars",
        lambda v, c, on: v not in c, {"python": "v not in {c}", "sql": "all_of(v <> c)"},
        prepare=_many,
    ),
    Operator(
        "at_least", "the number is >= the value", _NUMBERS, "number",
        lambda v, c, on: bool(v >= c), {"python": "v >= {c}", "sql": "v >= c"},
    ),
    Operator(
        "at_most", "the number is <= the value", _NUMBERS, "number",
        lambda v, c, on: bool(v <= c), {"python": "v <= {c}", "sql": "v <= c"},
    ),
    Operator(
        "greater_than", "the number is > the value", _NUMBERS, "number",
        lambda v, c, on: bool(v > c), {"python": "v > {c}", "sql": "v > c"},
    ),
    Operator(
        "less_than", "the number is < the value", _NUMBERS, "number",
        lambda v, c, on: bool(v < c), {"python": "v < {c}", "sql": "v < c"},
    ),
    Operator(
        "is", "the yes/no fact is true (is: true) or false (is: false)",
        frozenset({"bool"}), "bool", lambda v, c, on: v is c,
        {"python": "v is {c}", "sql": "v = c"},
    ),
    Operator(
        "recorded",
        "the fact is recorded (recorded: true) or not (recorded: false); never unknown",
        _ALL_KINDS, "bool", lambda v, c, on: (v is not None) is c,
        {"python": "(v is not None) is {c}", "sql": "known(v) = c"},
        prepare=_as_is, never_unknown=True,
    ),
    Operator(
        "contains", "the set holds the value", _SETS, "word",
        lambda v, c, on: c in v, {"python": "{c} in v", "sql": "member(v, c)"},
    ),
    Operator(
        "contains_any", "the set holds at least one of the values", _SETS, "words",
        lambda v, c, on: not c.isdisjoint(v),
        {"python": "not {c}.isdisjoint(v)", "sql": "any_of(member(v, c))"},
        prepare=_many,
    ),
    Operator(
        "contains_all", "the set holds every one of the values", _SETS, "words",
        lambda v, c, on: c.issubset(v),
        {"python": "{c}.issubset(v)", "sql": "all_of(member(v, c))"}, prepare=_many,
    ),
    Operator(
        "size_at_least", "the set or list has at least this many members",
        frozenset({"set", "scores"}), "count",
        lambda v, c, on: len(v) >= c, {"python": "len(v) >= {c}", "sql": "size(v) >= c"},
        prepare=_as_is,
    ),
    Operator(
        "within_days", "the date lies 0 to N calendar days before the evaluation date",
        frozenset({"date"}), "days",
        lambda v, c, on: 0 <= (on - v).days <= c,
        {"python": "0 <= (on - v).days <= {c}",
         "sql": "v >= days_before(c) AND v <= evaluation_date"},
        prepare=_as_is,
    ),
)  # fmt: skip
"""The closed operator set, in the order the schema and the docs list them."""


def operators_for(kind: FactKind) -> frozenset[str]:
    """The names of the operators that fit a kind of fact."""
    return frozenset(name for name, op in OPERATORS.items() if kind in op.kinds)


def literal_problem(op: Operator, spec: FactSpec, value: Any) -> tuple[str, str] | None:
    """``(code, message)`` when a literal (one value of a list) does not fit the fact.

    The schema has already checked the literal's own type (:data:`LITERAL_TYPES`); this
    checks it against the fact: its kind, and its vocabulary for enum and set facts.
    """
    if op.literal in ("bool", "count", "days", "number"):
        return None  # the schema's type is the whole story (numbers fit int facts)
    kind = spec.kind
    if kind == "bool" and not isinstance(value, bool):
        return "value-type", f"a yes/no fact compares with true or false, not {value!r}"
    if kind == "int" and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        return "value-type", f"a number fact compares with a number, not {value!r}"
    if kind == "text" and not isinstance(value, str):
        return "value-type", f"a text fact compares with text, not {value!r}"
    if kind in ("enum", "set") and spec.vocabulary and value not in spec.vocabulary:
        return "unknown-value", f"'{value}' is not in the vocabulary"
    return None
