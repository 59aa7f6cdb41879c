"""Three-valued truth and the reference interpreter of conditions.

Truth is ``True`` (met), ``False`` (not met) or ``None`` (unknown: a fact it needs is not
recorded). ``all`` / ``any`` / ``not`` / ``at_least_n_of`` follow Kleene's strong logic,
the same as SQL's NULL. The operator semantics live in :func:`predicate`, used by this
interpreter and by the never-met search of ``check.py``; the interpreter walks the tree
plainly and also says which unrecorded facts would settle an unknown result. This is the
reference: the generated functions of ``compile.py`` (which write each operator inline)
must agree with it on every patient, and ``tests/test_compile.py`` checks that they do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from visitation.facts import DERIVATIONS, RULE_FACTS, missing_inputs
from visitation.ruleset import AllOf, AnyOf, AtLeastNOf, Condition, Leaf, Not, Use

__all__ = [
    "Truth",
    "fact_value",
    "interpret",
    "kleene_all",
    "kleene_any",
    "predicate",
]

Truth = bool | None
Facts = Mapping[str, Any]
Predicate = Callable[[Any, date], bool]


def kleene_all(values: Iterable[Truth]) -> Truth:
    """AND: false if any is false, else unknown if any is unknown, else true."""
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def kleene_any(values: Iterable[Truth]) -> Truth:
    """OR: true if any is true, else unknown if any is unknown, else false."""
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def fact_value(facts: Facts, name: str, on: date) -> Any:
    """The value of a fact on ``on``; a derived fact (``age`` from ``birth_date``,
    ``reception_wait_days``) is computed when not recorded itself."""
    value = facts.get(name)
    if value is None and name in DERIVATIONS:
        return DERIVATIONS[name].compute(facts, on)
    return value


def _literal(fact: str, value: Any) -> Any:
    """A rule's literal in the fact's own type (enum members for enum and set facts)."""
    spec = RULE_FACTS.get(fact)
    if spec is not None and spec.enum_type is not None and isinstance(value, str):
        try:
            return spec.enum_type(value)
        except ValueError:
            return value
    return value


def predicate(leaf: Leaf) -> Predicate:
    """``pred(value, on)`` for a recorded value: the meaning of the leaf's operator."""
    op, arg, fact = leaf.operator, leaf.value, leaf.fact
    if op in ("in", "not_in", "contains_any", "contains_all"):
        args: frozenset[Any] = frozenset(_literal(fact, a) for a in arg)
    single = _literal(fact, arg)
    match op:
        case "equals" | "is":
            return lambda v, on: bool(v == single)
        case "not_equals":
            return lambda v, on: bool(v != single)
        case "in":
            return lambda v, on: v in args
        case "not_in":
            return lambda v, on: v not in args
        case "at_least":
            return lambda v, on: bool(v >= single)
        case "at_most":
            return lambda v, on: bool(v <= single)
        case "greater_than":
            return lambda v, on: bool(v > single)
        case "less_than":
            return lambda v, on: bool(v < single)
        case "contains":
            return lambda v, on: single in v
        case "contains_any":
            return lambda v, on: not args.isdisjoint(v)
        case "contains_all":
            return lambda v, on: args.issubset(v)
        case "size_at_least":
            return lambda v, on: len(v) >= single
        case "within_days":
            days = timedelta(days=single)
            return lambda v, on: on - days <= v <= on
        case "recorded":  # handled by the callers: never unknown
            return lambda v, on: bool(single)
    raise AssertionError(f"unknown operator {op}")  # pragma: no cover


def interpret(
    condition: Condition,
    facts: Facts,
    on: date,
    definitions: Mapping[str, Condition],
) -> tuple[Truth, list[str]]:
    """Evaluate a condition plainly: its truth and, when unknown, the facts that settle it.

    The facts listed for an unknown result are the unrecorded facts of the unknown parts
    that could still change it, in the order they appear; recording all of them makes the
    result definite.
    """
    if isinstance(condition, Leaf):
        value = fact_value(facts, condition.fact, on)
        if condition.operator == "recorded":
            return (value is not None) == condition.value, []
        if value is None:
            return None, missing_inputs(condition.fact, facts)
        return predicate(condition)(value, on), []
    if isinstance(condition, Use):
        return interpret(definitions[condition.use], facts, on, definitions)
    if isinstance(condition, Not):
        truth, missing = interpret(condition.not_, facts, on, definitions)
        return (None if truth is None else not truth), missing
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        results = [interpret(p, facts, on, definitions) for p in parts]
        combine = kleene_all if isinstance(condition, AllOf) else kleene_any
        truth = combine(t for t, _ in results)
        return truth, _unknown_missing(truth, results)
    if isinstance(condition, AtLeastNOf):
        n = condition.at_least_n_of.n
        results = [interpret(p, facts, on, definitions) for p in condition.at_least_n_of.of]
        true = sum(1 for t, _ in results if t is True)
        unknown = sum(1 for t, _ in results if t is None)
        count: Truth = True if true >= n else (False if true + unknown < n else None)
        return count, _unknown_missing(count, results)
    raise AssertionError(f"unknown condition {condition!r}")  # pragma: no cover


def _unknown_missing(truth: Truth, results: list[tuple[Truth, list[str]]]) -> list[str]:
    if truth is not None:
        return []
    return list(dict.fromkeys(f for t, missing in results if t is None for f in missing))


def leaves(
    condition: Condition,
    definitions: Mapping[str, Condition],
    _using: tuple[str, ...] = (),
) -> Iterator[Leaf]:
    """Every leaf of a condition, definitions expanded, in order (a cycle is not followed)."""
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, Use):
        name = condition.use
        if name in definitions and name not in _using:
            yield from leaves(definitions[name], definitions, (*_using, name))
    elif isinstance(condition, Not):
        yield from leaves(condition.not_, definitions, _using)
    else:
        if isinstance(condition, AllOf):
            parts = condition.all
        elif isinstance(condition, AnyOf):
            parts = condition.any
        else:
            parts = condition.at_least_n_of.of
        for part in parts:
            yield from leaves(part, definitions, _using)


_PLAIN = frozenset({bool, int, float, str, type(None)})


def json_value(value: Any) -> Any:
    """A fact value as plain JSON data (dates ISO, enums by value, sets sorted)."""
    if type(value) in _PLAIN:  # the common case first (an enum member is not plain)
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(json_value(v) for v in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value
