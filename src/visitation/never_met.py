"""Can a rule ever be met? A bounded search over the candidate values of its facts.

The candidate values of a fact are the boundaries of every literal the condition compares
it with (n-1, n, n+1 for numbers; every vocabulary member; dates just inside and just
outside every window; sets of every size a ``size_at_least`` names), so for the closed
operator set the search is exact: if some patient meets the rule, some combination of
candidates does. Each combination is evaluated by the reference interpreter
(:func:`visitation.logic.interpreter`), which evaluates each definition once.

The search is bounded (:data:`MAX_COMBINATIONS` combinations for one rule, and
:data:`MAX_WORK` leaf evaluations for all the rules of one file together, counted as
combinations tried × the rule's leaves, in a :class:`Budget`): past a bound it gives the
rule the benefit of the doubt and says so (:attr:`Search.bounded`), and the checker
reports that as a warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from visitation.conditions import leaves
from visitation.facts import RULE_FACTS
from visitation.logic import interpreter
from visitation.operators import typed_literal
from visitation.ruleset import Condition, Leaf

__all__ = [
    "MAX_COMBINATIONS",
    "MAX_WORK",
    "PROBE_DAY",
    "Budget",
    "Search",
    "TooMany",
    "candidates",
    "search",
]

PROBE_DAY: Final = date(2000, 6, 15)
"""The evaluation date of the search (any date serves: windows are relative to it)."""

MAX_COMBINATIONS: Final = 20_000
"""At most this many combinations of candidate values are tried for one rule."""

MAX_WORK: Final = 250_000
"""At most this many leaf evaluations (combinations tried × leaves) for the searches of one
rule file together: about 0.1–0.25 s on these machines, so that no file under the size limits
takes more than a fraction of the 2 s a check may take (issue 8)."""

_SUBSETS_UP_TO: Final = 10
"""A set fact with at most this many candidate members is tried with every subset."""


@dataclass(frozen=True, slots=True)
class Search:
    """The outcome: whether some combination meets the condition, or the search gave up."""

    can_be_met: bool
    bounded: bool = False
    """True when the search stopped at a bound (then ``can_be_met`` is True by default)."""


class Budget:
    """The leaf evaluations left for the searches of one rule file."""

    __slots__ = ("left",)

    def __init__(self, work: int = MAX_WORK) -> None:
        self.left = work


def search(
    condition: Condition, definitions: Mapping[str, Condition], budget: Budget | None = None
) -> Search:
    """Search for a combination of candidate values that meets ``condition``, spending at
    most what is left of ``budget`` (a fresh one of :data:`MAX_WORK` when not given)."""
    budget = Budget() if budget is None else budget
    found = leaves(condition, definitions)
    by_fact: dict[str, list[Leaf]] = {}
    for leaf in found:
        by_fact.setdefault(leaf.fact, []).append(leaf)
    names = list(by_fact)
    try:
        domains = [candidates(n, by_fact[n]) for n in names]
    except TooMany:
        return Search(can_be_met=True, bounded=True)
    total = 1
    for d in domains:
        total *= len(d)
        if total > MAX_COMBINATIONS:
            return Search(can_be_met=True, bounded=True)
    run = interpreter(condition, definitions)
    cost = max(1, len(found))
    for combo in itertools.product(*domains):
        if budget.left < cost:
            return Search(can_be_met=True, bounded=True)
        budget.left -= cost
        if run(dict(zip(names, combo, strict=True)), PROBE_DAY)[0] is True:
            return Search(can_be_met=True)
    return Search(can_be_met=False)


def _day(offset: int, day: date = PROBE_DAY) -> date:
    """``day`` moved back ``offset`` days, kept within the range of dates."""
    ordinal = day.toordinal() - offset
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))


def candidates(name: str, leaves_: list[Leaf], day: date = PROBE_DAY) -> list[Any]:
    """The candidate values of fact ``name`` for the leaves that read it, dates relative to
    the evaluation date ``day`` (also used by :mod:`visitation.why_not`); raises
    :class:`TooMany` for a free-text set with more members to try than the search takes."""
    spec = RULE_FACTS[name]
    out: list[Any] = []
    if any(leaf.op.never_unknown for leaf in leaves_):
        out.append(None)
    literals = [
        v
        for leaf in leaves_
        for v in (leaf.value if isinstance(leaf.value, list) else [leaf.value])
    ]
    if spec.kind == "bool":
        out += [True, False]
    elif spec.kind == "int":
        nums = {0} | {
            int(v) + d
            for v in literals
            if isinstance(v, int | float) and not isinstance(v, bool)
            for d in (-1, 0, 1)
        }
        out += sorted(nums)
    elif spec.kind == "enum":
        out += [typed_literal(name, v) for v in spec.vocabulary]
    elif spec.kind == "date":
        days = {0} | {v + d for v in literals if type(v) is int for d in (0, 1)}
        out += [_day(d, day) for d in sorted(days)]
        if day < date.max:
            out.append(day + timedelta(days=1))
    elif spec.kind == "set":
        out += _set_candidates(name, leaves_, literals)
    elif spec.kind == "text":
        out += [*{v for v in literals if isinstance(v, str)}, "(other)"]
    else:  # scores: a full answer sheet or an empty one
        out += [[1] * 15, []]
    return out


def _set_candidates(name: str, leaves_: list[Leaf], literals: list[Any]) -> list[Any]:
    """Every subset of the members that matter: the vocabulary, or (free text) the words
    the rule names and fillers up to the largest size it asks for."""
    spec = RULE_FACTS[name]
    sizes = [leaf.value for leaf in leaves_ if leaf.operator == "size_at_least"]
    if spec.vocabulary:
        members: list[Any] = [typed_literal(name, v) for v in spec.vocabulary]
    else:
        words = sorted({v for v in literals if isinstance(v, str)})
        fillers = max([1, *sizes]) - len(words)
        if len(words) + fillers > _SUBSETS_UP_TO:
            raise TooMany
        members = [*words, *(f"(other {i})" for i in range(fillers))]
    if len(members) > _SUBSETS_UP_TO:  # pragma: no cover - no vocabulary is this large
        raise TooMany
    return [
        frozenset(s) for k in range(len(members) + 1) for s in itertools.combinations(members, k)
    ]


class TooMany(Exception):
    """More candidate values than the search tries."""
