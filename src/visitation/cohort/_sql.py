"""Compile a rule set to ONE SQL query, built as a sqlglot expression tree.

The query reads a table in the portable layout (:mod:`visitation.cohort._layout`) and
returns, per patient: the id; every rule's and indicator's status as a truth value
(TRUE met, FALSE not met, NULL unknown); every pathway's verdict (TRUE eligible, FALSE
not eligible, NULL indeterminate); per pathway one or more *missing masks* (BIGINT), whose
bit ``k`` says that the ``k``-th fact occurrence of that pathway's rules is among the facts
to record (:class:`PathwayColumns` turns a mask back into the ordered list of fact names,
exactly as the reference evaluator lists them); and the monitoring columns (age band,
diagnosis group, region) the summary groups by.

Nothing from a rule file becomes text of the query: fact names select columns of the
fixed layout, rule and pathway ids become quoted aliases (checked identifiers of the rule
file format), and every value (a literal, a day count, ``n`` of ``at_least_n_of``, the
evaluation date) is a sqlglot literal node. SQL's NULL is the unknown of the Kleene logic:
AND, OR and NOT are SQL's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlglot
from sqlglot import exp

from visitation import FACTS, CompiledRuleSet
from visitation.cohort._layout import Layout, layout

__all__ = [
    "AGE_BANDS",
    "DIALECTS",
    "CohortQuery",
    "PathwayColumns",
    "compile_sql",
    "mask_to_facts",
]

DIALECTS = ("duckdb", "postgres", "spark", "trino", "tsql")
"""The dialects ``visitation sql`` writes; DuckDB, PostgreSQL and Spark are run in tests."""

AGE_BANDS: tuple[tuple[int | None, str], ...] = (
    (18, "0-17"),
    (40, "18-39"),
    (60, "40-59"),
    (70, "60-69"),
    (80, "70-79"),
    (90, "80-89"),
    (None, "90+"),
)
"""Age bands of the summary: (upper bound exclusive, label)."""

MASK_BITS = 62
"""Fact occurrences per mask column (a BIGINT holds 63 bits without the sign)."""

BOOLEAN_DIALECTS = frozenset({"duckdb", "postgres", "spark", "trino"})

GROUP_COLUMNS = ("diagnosis_group", "region")
"""Columns the summary groups by when present (besides the computed age band)."""


@dataclass(frozen=True, slots=True)
class PathwayColumns:
    """Where one pathway's results are in the query's output."""

    id: str
    verdict: str
    masks: tuple[str, ...]
    occurrences: tuple[str, ...]
    """The fact of each mask bit: bit ``k`` of mask ``k // MASK_BITS``."""


@dataclass(frozen=True, slots=True)
class CohortQuery:
    """One rule set's query and what its columns mean."""

    tree: exp.Expression
    ruleset_key: str
    content_hash: str
    on: date
    layout: Layout
    id_column: str
    rules: tuple[tuple[str, str], ...]
    """(rule id, status column) in file order."""
    indicators: tuple[tuple[str, str], ...]
    pathways: tuple[PathwayColumns, ...]
    groups: tuple[str, ...]
    inputs: tuple[str, ...] = field(default=())
    """The layout columns the query reads."""

    def sql(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        """The query as text in one SQL dialect."""
        if dialect not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r}; one of: {', '.join(DIALECTS)}")
        return self.tree.sql(dialect=dialect, pretty=pretty)


def mask_to_facts(occurrences: Sequence[str], masks: Sequence[int]) -> list[str]:
    """The ordered missing facts a pathway's masks stand for (each fact once)."""
    out: dict[str, None] = {}
    for w, mask in enumerate(masks):
        base = w * MASK_BITS
        k = 0
        while mask:
            if mask & 1:
                out[occurrences[base + k]] = None
            mask >>= 1
            k += 1
    return list(out)


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


def _col(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _lit(value: Any) -> exp.Expression:
    """A value from a rule file (or the evaluation date) as a SQL literal node."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no SQL literal for {value!r}")  # pragma: no cover


def _paren(e: exp.Expression) -> exp.Expression:
    return e if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Paren) else exp.paren(e)


def _and(parts: Sequence[exp.Expression]) -> exp.Expression:
    if len(parts) == 1:
        return parts[0]
    return exp.and_(*[_paren(p) for p in parts])


def _or(parts: Sequence[exp.Expression]) -> exp.Expression:
    if len(parts) == 1:
        return parts[0]
    return exp.or_(*[_paren(p) for p in parts])


def _case(whens: Sequence[tuple[exp.Expression, exp.Expression]], default: Any = None) -> exp.Case:
    case = exp.Case()
    for cond, then in whens:
        case = case.when(cond, then)
    if default is not None:
        case = case.else_(default)
    return case


class _Builder:
    """Truth expressions for one rule set on one evaluation date, in one dialect family."""

    def __init__(self, compiled: CompiledRuleSet, on: date, lay: Layout, booleans: bool) -> None:
        self.compiled = compiled
        self.on = on
        self.layout = lay
        self.booleans = booleans
        self.reads: dict[str, None] = {}

    # --- columns ------------------------------------------------------------------------
    def column(self, name: str) -> exp.Column:
        self.reads[name] = None
        return _col(name)

    def truthy(self, e: exp.Expression) -> exp.Expression:
        """A truth-valued column as a predicate."""
        return e if self.booleans else exp.EQ(this=e, expression=exp.true())

    def unknown(self, predicate: exp.Expression) -> exp.Expression:
        """TRUE exactly when the predicate is NULL (unknown)."""
        if self.booleans:
            return exp.Is(this=_paren(predicate), expression=exp.Null())
        flag = _case(
            [(predicate, exp.Literal.number(0)), (exp.not_(_paren(predicate)), _lit(0))], _lit(1)
        )
        return exp.EQ(this=flag, expression=_lit(1))

    def value(self, predicate: exp.Expression) -> exp.Expression:
        """A predicate as a value to select (T-SQL has no boolean values: 1/0/NULL)."""
        if self.booleans:
            return predicate
        return _case([(predicate, _lit(1)), (exp.not_(_paren(predicate)), _lit(0))])

    # --- facts ----------------------------------------------------------------------
    def age_from(self, born: exp.Expression) -> exp.Expression:
        """Whole years from ``born`` to the evaluation date, as ``age_on`` counts them."""
        on = self.on

        def part(unit: str) -> exp.Expression:
            return exp.Extract(this=exp.var(unit), expression=born.copy())

        later = _or(
            [
                exp.GT(this=part("MONTH"), expression=_lit(on.month)),
                _and(
                    [
                        exp.EQ(this=part("MONTH"), expression=_lit(on.month)),
                        exp.GT(this=part("DAY"), expression=_lit(on.day)),
                    ]
                ),
            ]
        )
        return exp.Sub(
            this=exp.Sub(this=_lit(on.year), expression=part("YEAR")),
            expression=exp.paren(_case([(later, _lit(1))], _lit(0))),
        )

    def fact_value(self, fact: str) -> exp.Expression:
        """The value of a scalar fact, derived ones computed from their inputs."""
        if fact == "age":
            return exp.Coalesce(
                this=self.column("age"), expressions=[self.age_from(self.column("birth_date"))]
            )
        if fact == "reception_wait_days":
            return exp.DateDiff(
                this=self.column("first_contact_on"),
                expression=self.column("referral_received_on"),
                unit=exp.var("DAY"),
            )
        return self.column(fact)

    def unrecorded(self, fact: str) -> list[tuple[str, exp.Expression]]:
        """What to record when the fact has no value: (fact name, condition) pairs, as
        ``missing_inputs`` names them (a derived fact's unrecorded inputs)."""
        if fact == "age":
            return [("age", _and([self.null("age"), self.null("birth_date")]))]
        if fact == "reception_wait_days":
            return [(i, self.null(i)) for i in ("referral_received_on", "first_contact_on")]
        return [(fact, self.null(fact))]

    def null(self, fact: str) -> exp.Expression:
        spec = FACTS[fact]
        name = fact + "__size" if spec.kind in ("set", "scores") else fact
        return exp.Is(this=self.column(name), expression=exp.Null())

    # --- operators ------------------------------------------------------------------
    def leaf(self, fact: str, op: str, arg: Any) -> exp.Expression:
        if op == "recorded":
            known = exp.not_(_paren(_and([c for _, c in self.unrecorded(fact)])))
            if fact == "reception_wait_days":
                known = _and([exp.not_(c) for _, c in self.unrecorded(fact)])
            present = known if arg else exp.not_(_paren(known))
            return present
        return _OPERATOR_SQL[op](self, fact, arg)

    def member(self, fact: str, value: str) -> exp.Expression:
        return self.truthy(self.column(self.layout.member(fact, value)))


def _compare(kind: type[exp.Binary]) -> Callable[[_Builder, str, Any], exp.Expression]:
    def form(b: _Builder, fact: str, arg: Any) -> exp.Expression:
        return kind(this=b.fact_value(fact), expression=_lit(arg))

    return form


def _in(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    v = b.fact_value(fact)
    return _or([exp.EQ(this=v.copy(), expression=_lit(a)) for a in arg])


def _not_in(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    v = b.fact_value(fact)
    return _and([exp.NEQ(this=v.copy(), expression=_lit(a)) for a in arg])


def _bool_is(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    return exp.EQ(this=b.fact_value(fact), expression=_lit(bool(arg)))


def _contains(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    return b.member(fact, arg)


def _contains_any(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    return _or([b.member(fact, a) for a in dict.fromkeys(arg)])


def _contains_all(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    return _and([b.member(fact, a) for a in dict.fromkeys(arg)])


def _size_at_least(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    return exp.GTE(this=b.column(fact + "__size"), expression=_lit(arg))


def _within_days(b: _Builder, fact: str, arg: Any) -> exp.Expression:
    v = b.fact_value(fact)
    start = b.on - timedelta(days=arg)
    return _and(
        [exp.GTE(this=v, expression=_lit(start)), exp.LTE(this=v.copy(), expression=_lit(b.on))]
    )


_OPERATOR_SQL: dict[str, Callable[[_Builder, str, Any], exp.Expression]] = {
    "equals": _compare(exp.EQ),
    "is": _bool_is,
    "not_equals": _compare(exp.NEQ),
    "in": _in,
    "not_in": _not_in,
    "at_least": _compare(exp.GTE),
    "at_most": _compare(exp.LTE),
    "greater_than": _compare(exp.GT),
    "less_than": _compare(exp.LT),
    "contains": _contains,
    "contains_any": _contains_any,
    "contains_all": _contains_all,
    "size_at_least": _size_at_least,
    "within_days": _within_days,
}


# --------------------------------------------------------------------------------------
# The query
# --------------------------------------------------------------------------------------

Occurrence = tuple[str, exp.Expression]
"""(fact name, condition under which this occurrence is listed among the missing facts)."""


def compile_sql(
    compiled: CompiledRuleSet,
    on: date,
    *,
    table: str = "cohort",
    id_column: str = "patient_id",
    dialect: str = "duckdb",
    groups: Sequence[str] = ("diagnosis_group",),
) -> CohortQuery:
    """The one query of a rule set on an evaluation date (see the module docstring)."""
    from visitation.cohort._fold import fold_condition, text_set_members

    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; one of: {', '.join(DIALECTS)}")
    lay = layout(text_set_members(compiled))
    b = _Builder(compiled, on, lay, dialect in BOOLEAN_DIALECTS)
    rs = compiled.ruleset
    status_of: list[tuple[str, exp.Expression, list[Occurrence]]] = []
    for i, cr in enumerate([*compiled.rules, *compiled.indicators]):
        truth, occurrences = fold_condition(cr.rule.when, rs.definitions, b)
        status_of.append((f"s{i}", truth, occurrences))
    n_rules = len(compiled.rules)
    rule_cols = tuple((cr.rule.id, cr.rule.id) for cr in compiled.rules)
    indicator_cols = tuple((cr.rule.id, cr.rule.id) for cr in compiled.indicators)
    names = [*(c for _, c in rule_cols), *(c for _, c in indicator_cols)]

    # Stage 1: every rule's truth as a column, next to the input columns.
    stage1 = exp.select(exp.Star()).from_(exp.to_table(table, quoted=True) if "." not in table
                                          else exp.to_table(table))
    stage1 = stage1.select(
        *[exp.alias_(b.value(t), name, quoted=True) for (_, t, _), name in
          zip(status_of, names, strict=True)],
        append=True,
    )

    # Stage 2: verdicts and missing masks from the statuses.
    pathways: list[PathwayColumns] = []
    outputs: list[exp.Expression] = [exp.alias_(_col(id_column), id_column, quoted=True)]
    outputs += [exp.alias_(_col(n), n, quoted=True) for n in names]
    for pid, required in compiled.pathways:
        status_cols = [_col(names[i]) for i in required]
        verdict_name = f"verdict:{pid}"
        if status_cols:
            verdict = _and([b.truthy(c) for c in status_cols])
        else:
            verdict = exp.true()
        occurrences: list[str] = []
        terms: list[list[exp.Expression]] = []
        for i in required:
            rule_unknown = exp.Is(this=_col(names[i]), expression=exp.Null())
            for fact, cond in status_of[i][2]:
                k = len(occurrences)
                occurrences.append(fact)
                if k % MASK_BITS == 0:
                    terms.append([])
                bit = _lit(1 << (k % MASK_BITS))
                terms[-1].append(_case([(_and([rule_unknown.copy(), cond.copy()]), bit)], _lit(0)))
        masks: list[str] = []
        verdict_unknown = b.unknown(verdict)
        for w, chunk in enumerate(terms):
            total: exp.Expression = chunk[0]
            for t in chunk[1:]:
                total = exp.Add(this=total, expression=t)
            mask_name = f"missing:{pid}:{w}"
            masks.append(mask_name)
            outputs.append(
                exp.alias_(
                    _case([(verdict_unknown.copy(), total)], _lit(0)), mask_name, quoted=True
                )
            )
        outputs.append(exp.alias_(b.value(verdict), verdict_name, quoted=True))
        pathways.append(PathwayColumns(pid, verdict_name, tuple(masks), tuple(occurrences)))
    age = b.fact_value("age")
    bands = [(exp.Is(this=age.copy(), expression=exp.Null()), exp.null())]
    bands += [(exp.LT(this=age.copy(), expression=_lit(up)), _lit(label))
              for up, label in AGE_BANDS if up is not None]
    outputs.append(exp.alias_(_case(bands, _lit(AGE_BANDS[-1][1])), "age_band", quoted=True))
    group_cols = [g for g in groups if g in GROUP_COLUMNS]
    for g in group_cols:
        b.column(g) if g in FACTS else None
        outputs.append(exp.alias_(_col(g), g, quoted=True))
    query = exp.select(*outputs).from_("s").with_("s", as_=stage1)
    del n_rules
    return CohortQuery(
        tree=query,
        ruleset_key=rs.key,
        content_hash=compiled.content_hash,
        on=on,
        layout=lay,
        id_column=id_column,
        rules=rule_cols,
        indicators=indicator_cols,
        pathways=tuple(pathways),
        groups=("age_band", *group_cols),
        inputs=tuple(b.reads),
    )


def parse_back(sql: str, dialect: str) -> exp.Expression:
    """Parse a generated query with sqlglot (the tests check every dialect's output)."""
    return sqlglot.parse_one(sql, read=dialect)
