"""The SQL algebra: the core's fold over conditions, with each operator's ``sql`` form.

:func:`visitation.fold` walks a rule's condition (each definition once); this algebra says
what each node is in SQL. A leaf is its operator's ``sql`` form from
:data:`visitation.OPERATORS` (a template such as ``v >= c`` or ``any_of(v = c)``, parsed
by sqlglot once), with the placeholders replaced by expression nodes: the fact's value or
columns from the portable layout, and the rule's literal as a SQL literal node. Nothing
here reads a rule tree its own way or defines an operator's meaning.

Each node folds to a :class:`Node`: its truth (a predicate that is NULL when unknown) and
its *occurrences*, the facts the reference evaluator lists as missing when the node is
unknown, in its order, each with the condition under which it is listed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from visitation import FACTS, OPERATORS, CompiledRuleSet, Operator, fold

if TYPE_CHECKING:
    from visitation.cohort._sql import Builder

__all__ = ["Node", "SqlAlgebra", "instantiate", "text_set_members"]

Occurrence = tuple[str, exp.Expr]


@dataclass(frozen=True, slots=True)
class Node:
    """A folded condition: truth, missing-fact occurrences, and whether each occurrence's
    condition already implies that the node is unknown (true for leaves).

    A combination is computed once as a column of its own (``column``, at ``height`` =
    one more than its highest part), and its truth here is a reference to that column:
    the query stays linear in the size of the rule file however definitions nest.
    ``null_column`` is the column whose NULL says the node is unknown (a negation has
    its part's)."""

    truth: exp.Expr
    occurrences: tuple[Occurrence, ...]
    implied: bool
    height: int = 0
    null_column: str | None = None

    def copy(self) -> Node:
        return Node(
            self.truth.copy(),
            tuple((f, c.copy()) for f, c in self.occurrences),
            self.implied,
            self.height,
            self.null_column,
        )


@functools.cache
def template(name: str) -> exp.Expr:
    """The parsed ``sql`` form of an operator."""
    return sqlglot.parse_one(OPERATORS[name].forms["sql"], read="duckdb")


def _days_before(on: date, days: int) -> date:
    try:
        return on - timedelta(days=days)
    except OverflowError:  # before the first date: every date is on or after it
        return date.min


def instantiate(op: Operator, fact: str, literal: Any, b: Builder) -> exp.Expr:
    """The operator's ``sql`` form for one leaf, every placeholder an expression node."""
    from visitation.cohort._sql import and_, lit, or_

    def substitute(node: exp.Expr, c: Any) -> exp.Expr:
        def replace(n: exp.Expr) -> exp.Expr:
            if isinstance(n, exp.Anonymous):
                name = n.name.lower()
                if name in ("any_of", "all_of"):
                    parts = [substitute(n.expressions[0].copy(), x) for x in dict.fromkeys(c)]
                    return or_(parts) if name == "any_of" else and_(parts)
                if name == "member":
                    return b.member(fact, c)
                if name == "size":
                    return b.size(fact)
                if name == "known":
                    return exp.paren(b.known(fact))
                if name == "days_before":
                    return lit(_days_before(b.on, c))
                raise ValueError(f"unknown placeholder {n.name}() in the sql form of {op.name}")
            if isinstance(n, exp.Column) and not n.table:
                if n.name == "v":
                    return b.fact_value(fact)
                if n.name == "c":
                    return lit(c)
                if n.name == "evaluation_date":
                    return lit(b.on)
            return n

        return node.transform(replace)

    return _simplify(substitute(template(op.name).copy(), literal), b.booleans)


def _simplify(e: exp.Expr, booleans: bool) -> exp.Expr:
    """``P = TRUE`` → ``P`` and ``P = FALSE`` → ``NOT P`` for a predicate ``P`` that is never
    NULL (``known(v) = c``): a boolean compared with a boolean is not valid T-SQL. Where
    the dialect has boolean values, the same for a boolean column (``"x" = TRUE`` is
    ``"x"``, NULL staying NULL): one comparison less per row."""
    if not (isinstance(e, exp.EQ) and isinstance(e.expression, exp.Boolean)):
        return e
    if isinstance(e.this, exp.Paren) or (booleans and isinstance(e.this, exp.Column)):
        return e.this if e.expression.this else exp.not_(e.this)
    return e


class SqlAlgebra:
    """The meaning of each node in SQL (an :class:`visitation.Algebra` of :class:`Node`)."""

    def __init__(self, b: Builder) -> None:
        self.b = b

    def leaf(self, leaf: Any, op: Operator) -> Node:
        truth = instantiate(op, leaf.fact, leaf.value, self.b)
        occurrences = () if op.never_unknown else tuple(self.b.unrecorded(leaf.fact))
        return Node(truth, occurrences, True)

    def unknown(self, p: Node) -> exp.Expr:
        """TRUE when the node is unknown: its column IS NULL, or the predicate's test."""
        if p.null_column is not None:
            return exp.Is(this=self.b.column_ref(p.null_column), expression=exp.Null())
        return self.b.unknown(p.truth.copy())

    def _occurrences(self, parts: Sequence[Node]) -> tuple[Occurrence, ...]:
        """A combination's missing facts: those of its unknown parts, in order."""
        out: list[Occurrence] = []
        for p in parts:
            if p.implied:  # a leaf's condition already says it is unknown
                out += [(f, c.copy()) for f, c in p.occurrences]
            else:
                unknown = self.unknown(p)
                out += [(f, self.b.and_([unknown.copy(), c.copy()])) for f, c in p.occurrences]
        return tuple(out)

    def _column(self, truth: exp.Expr, parts: Sequence[Node]) -> Node:
        height = 1 + max(p.height for p in parts)
        name = self.b.node_column(height, truth)
        ref = self.b.truthy(self.b.column_ref(name))
        return Node(ref, self._occurrences(parts), False, height, name)

    def all(self, parts: Sequence[Node]) -> Node:
        return self._column(self.b.and_([p.truth.copy() for p in parts]), parts)

    def any(self, parts: Sequence[Node]) -> Node:
        return self._column(self.b.or_([p.truth.copy() for p in parts]), parts)

    def negate(self, part: Node) -> Node:
        return Node(
            exp.not_(exp.paren(part.truth.copy())),
            part.occurrences,
            part.implied,
            part.height,
            part.null_column,
        )

    def at_least(self, n: int, parts: Sequence[Node]) -> Node:
        """Kleene count: met with ``n`` met parts, not met when even the unknown parts
        could not make ``n``, else unknown (1 / 0 / NULL compared with 1)."""
        from visitation.cohort._sql import case, lit

        true = _sum([case([(p.truth.copy(), lit(1))], lit(0)) for p in parts])
        unknown = _sum([case([(self.unknown(p), lit(1))], lit(0)) for p in parts])
        both = exp.Add(this=exp.paren(true.copy()), expression=exp.paren(unknown))
        count = case(
            [
                (exp.GTE(this=exp.paren(true), expression=lit(n)), lit(1)),
                (exp.LT(this=exp.paren(both), expression=lit(n)), lit(0)),
            ]
        )
        return self._column(exp.EQ(this=count, expression=lit(1)), parts)

    def use(self, name: str, definition: Node) -> Node:
        return definition.copy()  # shared by every use: each gets its own nodes


def _sum(terms: list[exp.Expr]) -> exp.Expr:
    total = terms[0]
    for t in terms[1:]:
        total = exp.Add(this=total, expression=t)
    return total


def fold_rule(when: Any, definitions: Mapping[str, Any], b: Builder, memo: dict[str, Node]) -> Node:
    """A rule's condition folded to SQL (definitions shared through ``memo``)."""
    return fold(when, SqlAlgebra(b), definitions, memo=memo)


class _Leaves:
    """The leaves of a condition, definitions expanded (an algebra of lists)."""

    def leaf(self, leaf: Any, op: Operator) -> list[Any]:
        return [leaf]

    def all(self, parts: Sequence[list[Any]]) -> list[Any]:
        return [x for p in parts for x in p]

    def any(self, parts: Sequence[list[Any]]) -> list[Any]:
        return [x for p in parts for x in p]

    def at_least(self, n: int, parts: Sequence[list[Any]]) -> list[Any]:
        return [x for p in parts for x in p]

    def negate(self, part: list[Any]) -> list[Any]:
        return part

    def use(self, name: str, definition: list[Any]) -> list[Any]:
        return definition


def text_set_members(compiled: CompiledRuleSet) -> dict[str, list[str]]:
    """Per free-text set fact, the values the rule set's set operators name (each gets a
    member column in the layout)."""
    out: dict[str, list[str]] = {}
    defs = compiled.ruleset.definitions
    memo: dict[str, list[Any]] = {}
    for cr in [*compiled.rules, *compiled.indicators]:
        for leaf in fold(cr.rule.when, _Leaves(), defs, memo=memo):
            spec = FACTS.get(leaf.fact)
            if spec is None or spec.kind != "set" or spec.vocabulary:
                continue
            if leaf.operator == "contains":
                out.setdefault(leaf.fact, []).append(leaf.value)
            elif leaf.operator in ("contains_any", "contains_all"):
                out.setdefault(leaf.fact, []).extend(leaf.value)
    return out
