"""Fold a condition tree into a SQL truth expression and its missing-fact occurrences."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from visitation import FACTS, CompiledRuleSet

if TYPE_CHECKING:
    from visitation.cohort._sql import Occurrence, _Builder

__all__ = ["fold_condition", "text_set_members"]


def fold_condition(
    condition: Any, definitions: Mapping[str, Any], b: _Builder
) -> tuple[exp.Expression, list[Occurrence]]:
    truth, occ, _ = _fold(condition, definitions, b)
    return truth, occ


def _fold(
    condition: Any, definitions: Mapping[str, Any], b: _Builder
) -> tuple[exp.Expression, list[Occurrence], bool]:
    """(truth, occurrences) of a condition: the truth predicate (NULL = unknown) and, in
    the reference evaluator's order, each fact occurrence with the condition under which
    it is listed as missing (given that the enclosing rule is unknown)."""
    from visitation.cohort._sql import _and, _case, _lit, _paren

    kind = type(condition).__name__
    if kind == "Leaf":
        truth = b.leaf(condition.fact, condition.operator, condition.value)
        if condition.operator == "recorded":
            return truth, [], True
        return truth, b.unrecorded(condition.fact), True
    if kind == "Use":
        return _fold(definitions[condition.use], definitions, b)
    if kind == "Not":
        inner, occ, implied = _fold(condition.not_, definitions, b)
        return exp.not_(_paren(inner)), occ, implied
    if kind in ("AllOf", "AnyOf", "AtLeastNOf"):
        if kind == "AllOf":
            parts = condition.all
        elif kind == "AnyOf":
            parts = condition.any
        else:
            parts = condition.at_least_n_of.of
        folded = [_fold(p, definitions, b) for p in parts]
        truths = [t for t, _, _ in folded]
        if kind == "AllOf":
            from visitation.cohort._sql import _and as combine
        elif kind == "AnyOf":
            from visitation.cohort._sql import _or as combine
        if kind in ("AllOf", "AnyOf"):
            truth = combine(truths)
        else:
            n = condition.at_least_n_of.n
            true = _sum([_case([(t.copy(), _lit(1))], _lit(0)) for t in truths])
            unknown = _sum([_case([(b.unknown(t.copy()), _lit(1))], _lit(0)) for t in truths])
            count = _case(
                [
                    (exp.GTE(this=exp.paren(true), expression=_lit(n)), _lit(1)),
                    (
                        exp.LT(
                            this=exp.paren(exp.Add(this=exp.paren(true.copy()),
                                                   expression=exp.paren(unknown))),
                            expression=_lit(n),
                        ),
                        _lit(0),
                    ),
                ]
            )
            truth = exp.EQ(this=count, expression=_lit(1))
        occurrences: list[Occurrence] = []
        for t, occ, implied in folded:
            if implied:  # a leaf's condition already says it is unknown
                occurrences += occ
                continue
            node_unknown = b.unknown(t.copy())
            occurrences += [(f, _and([node_unknown.copy(), c])) for f, c in occ]
        return truth, occurrences, False
    raise AssertionError(f"unknown condition {condition!r}")  # pragma: no cover


def _sum(terms: list[exp.Expression]) -> exp.Expression:
    total = terms[0]
    for t in terms[1:]:
        total = exp.Add(this=total, expression=t)
    return total


def text_set_members(compiled: CompiledRuleSet) -> dict[str, list[str]]:
    """Per free-text set fact, the values the rule set's set operators name."""
    out: dict[str, list[str]] = {}
    for leaf in leaves_of(compiled):
        spec = FACTS.get(leaf.fact)
        if spec is None or spec.kind != "set" or spec.vocabulary:
            continue
        if leaf.operator == "contains":
            out.setdefault(leaf.fact, []).append(leaf.value)
        elif leaf.operator in ("contains_any", "contains_all"):
            out.setdefault(leaf.fact, []).extend(leaf.value)
    return out


def leaves_of(compiled: CompiledRuleSet) -> list[Any]:
    """Every leaf of every rule and indicator, definitions expanded."""
    defs = compiled.ruleset.definitions
    out: list[Any] = []

    def walk(c: Any) -> None:
        kind = type(c).__name__
        if kind == "Leaf":
            out.append(c)
        elif kind == "Use":
            walk(defs[c.use])
        elif kind == "Not":
            walk(c.not_)
        elif kind == "AllOf":
            for p in c.all:
                walk(p)
        elif kind == "AnyOf":
            for p in c.any:
                walk(p)
        else:
            for p in c.at_least_n_of.of:
                walk(p)

    for cr in [*compiled.rules, *compiled.indicators]:
        walk(cr.rule.when)
    return out
