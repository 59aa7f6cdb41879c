"""The portable column layout: how a cohort table holds each fact in plain SQL columns.

SQL engines agree on NULL, Kleene AND/OR/NOT, comparisons of scalars and day
differences; they disagree on list functions and year arithmetic
(docs/cohort.md). So the compiled query reads only scalar columns:

- a yes/no, number, date, choice or text fact is one column named as the fact
  (BOOLEAN, BIGINT, DATE, VARCHAR, VARCHAR);
- a set fact is ``<fact>__size`` (BIGINT, the number of members, NULL when not recorded)
  plus one BOOLEAN column per member, ``<fact>__<member>`` (NULL when not recorded);
  a free-text set (``measures_tried``) has member columns only for the values the rule
  set names, ``<fact>__v<k>`` for the k-th of them in sorted order;
- a list of scores (``eortc_items``) is ``<fact>__size``.

Derived facts are computed in the query from their inputs: ``age`` from ``birth_date``
with whole-year arithmetic on the year, month and day numbers (a 29 February birthday
counts on 1 March, as :func:`visitation.facts.age_on` does), ``reception_wait_days`` as a
day difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from visitation import FACTS

__all__ = ["Column", "Layout", "SqlType", "layout"]

SqlType = Literal["BOOLEAN", "BIGINT", "DATE", "VARCHAR"]

_SCALAR_TYPES: dict[str, SqlType] = {
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "date": "DATE",
    "enum": "VARCHAR",
    "text": "VARCHAR",
}

SIZE = "__size"
"""Suffix of the member-count column of a set or list fact."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the portable layout and the fact (and set member) it holds."""

    name: str
    type: SqlType
    fact: str
    member: str | None = None
    """For a set's member column: the member; for the size column: ``None``."""
    role: Literal["value", "size", "member"] = "value"


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns one rule set's query reads, plus where each set member lives."""

    columns: tuple[Column, ...]

    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def member(self, fact: str, member: str) -> str:
        """The column holding whether the set ``fact`` has ``member``."""
        for c in self.columns:
            if c.fact == fact and c.role == "member" and c.member == member:
                return c.name
        raise KeyError(f"no column for member {member!r} of {fact}")

    def size(self, fact: str) -> str:
        return fact + SIZE

    def of(self, fact: str) -> list[Column]:
        return [c for c in self.columns if c.fact == fact]


def layout(text_members: Mapping[str, Iterable[str]] | None = None) -> Layout:
    """The portable layout of every fact; ``text_members`` gives, per free-text set fact,
    the members a rule set names (each gets a column)."""
    text_members = text_members or {}
    columns: list[Column] = []
    for name, spec in FACTS.items():
        if spec.kind in _SCALAR_TYPES:
            columns.append(Column(name, _SCALAR_TYPES[spec.kind], name))
        elif spec.kind == "scores":
            columns.append(Column(name + SIZE, "BIGINT", name, role="size"))
        else:  # a set
            columns.append(Column(name + SIZE, "BIGINT", name, role="size"))
            if spec.vocabulary:
                members = [(m, f"{name}__{m}") for m in spec.vocabulary]
            else:
                named = sorted(set(text_members.get(name, ())))
                members = [(m, f"{name}__v{k}") for k, m in enumerate(named)]
            columns.extend(Column(col, "BOOLEAN", name, m, "member") for m, col in members)
    return Layout(tuple(columns))
