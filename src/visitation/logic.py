"""Three-valued truth and the reference interpreter of conditions.

Truth is ``True`` (met), ``False`` (not met) or ``None`` (unknown: a fact it needs is not
recorded). ``all`` / ``any`` / ``not`` / ``at_least_n_of`` follow Kleene's strong logic,
the same as SQL's NULL. Each operator means what its ``holds`` in the operator table
(:mod:`visitation.operators`) says; the reference interpreter is a fold of the condition
(:func:`visitation.conditions.fold`) into plain closures, which also say which unrecorded
facts would settle an unknown result. It is the reference: the generated functions of
``compile.py``, the never-met search of the checker and every backend must agree with
it, and ``tests/test_compile.py`` checks that they do on generated rule sets and patients.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from visitation.conditions import fold, leaves
from visitation.facts import DERIVATIONS, missing_inputs
from visitation.operators import Operator
from visitation.ruleset import Condition, Leaf

__all__ = [
    "Interpreter",
    "Result",
    "Truth",
    "fact_value",
    "interpret",
    "interpreter",
    "kleene_all",
    "kleene_any",
    "leaves",
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


Result = tuple[Truth, list[str]]
"""A condition's truth and, when unknown, the unrecorded facts that would settle it."""
Interpreter = Callable[[Facts, date], Result]
_Eval = Callable[[Facts, date, dict[str, Result]], Result]


class _Reference:
    """The reference meaning of each node (an algebra for :func:`visitation.conditions.fold`).

    Each node becomes a plain closure ``(facts, on, memo) -> (truth, missing)``; ``memo``
    holds each definition's result for one evaluation, computed once, before the
    condition, in dependency order (so no call nests deeper than one condition).
    """

    def leaf(self, leaf: Leaf, op: Operator) -> _Eval:
        name, holds = leaf.fact, op.holds
        operand = op.prepare(name, leaf.value)
        if op.never_unknown:
            return lambda facts, on, memo: (holds(fact_value(facts, name, on), operand, on), [])

        def test(facts: Facts, on: date, memo: dict[str, Result]) -> Result:
            value = fact_value(facts, name, on)
            if value is None:
                return None, missing_inputs(name, facts)
            return holds(value, operand, on), []

        return test

    def all(self, parts: Sequence[_Eval]) -> _Eval:
        return lambda facts, on, memo: _combined(kleene_all, [p(facts, on, memo) for p in parts])

    def any(self, parts: Sequence[_Eval]) -> _Eval:
        return lambda facts, on, memo: _combined(kleene_any, [p(facts, on, memo) for p in parts])

    def negate(self, part: _Eval) -> _Eval:
        def negation(facts: Facts, on: date, memo: dict[str, Result]) -> Result:
            truth, missing = part(facts, on, memo)
            return (None if truth is None else not truth), missing

        return negation

    def at_least(self, n: int, parts: Sequence[_Eval]) -> _Eval:
        def count(facts: Facts, on: date, memo: dict[str, Result]) -> Result:
            results = [p(facts, on, memo) for p in parts]
            true = sum(1 for t, _ in results if t is True)
            unknown = sum(1 for t, _ in results if t is None)
            truth: Truth = True if true >= n else (False if true + unknown < n else None)
            return truth, _unknown_missing(truth, results)

        return count

    def use(self, name: str, definition: _Eval) -> _Eval:
        # computed before the condition, in dependency order (see :func:`interpreter`)
        return lambda facts, on, memo: memo[name]


def _combined(combine: Callable[[Iterable[Truth]], Truth], results: list[Result]) -> Result:
    truth = combine(t for t, _ in results)
    return truth, _unknown_missing(truth, results)


def interpreter(condition: Condition, definitions: Mapping[str, Condition]) -> Interpreter:
    """The reference meaning of a condition as a function ``(facts, on) -> (truth, missing)``.

    Built once, called for many patients. The facts listed for an unknown result are the
    unrecorded facts of the unknown parts that could still change it, in the order they
    appear; recording all of them makes the result definite.
    """
    defs: dict[str, _Eval] = {}
    run = fold(condition, _Reference(), definitions, memo=defs)
    order = list(defs.items())  # dependency order

    def evaluate(facts: Facts, on: date) -> Result:
        memo: dict[str, Result] = {}
        for name, definition in order:
            memo[name] = definition(facts, on, memo)
        return run(facts, on, memo)

    return evaluate


def interpret(
    condition: Condition,
    facts: Facts,
    on: date,
    definitions: Mapping[str, Condition],
) -> Result:
    """Evaluate a condition plainly: its truth and, when unknown, the facts that settle it."""
    return interpreter(condition, definitions)(facts, on)


def predicate(leaf: Leaf) -> Predicate:
    """``pred(value, on)`` for a recorded value: the meaning of the leaf's operator."""
    op = leaf.op
    operand = op.prepare(leaf.fact, leaf.value)
    return lambda v, on: op.holds(v, operand, on)


def _unknown_missing(truth: Truth, results: list[Result]) -> list[str]:
    if truth is not None:
        return []
    return list(dict.fromkeys(f for t, missing in results if t is None for f in missing))


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
