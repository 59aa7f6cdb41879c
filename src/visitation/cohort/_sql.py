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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlglot import exp

from visitation import FACTS, CompiledRuleSet
from visitation.cohort._layout import Layout, layout

__all__ = [
    "AGE_BANDS",
    "DIALECTS",
    "CohortQuery",
    "PathwayColumns",
    "age_cutoff",
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

    tree: exp.Expr
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
    _texts: dict[tuple[str, bool], str] = field(default_factory=dict, compare=False, repr=False)

    def sql(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        """The query as text in one SQL dialect."""
        if dialect not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r}; one of: {', '.join(DIALECTS)}")
        text = self._texts.get((dialect, pretty))
        if text is None:
            text = self._texts[(dialect, pretty)] = self.tree.sql(dialect=dialect, pretty=pretty)
        return text


def age_cutoff(on: date, years: int) -> date:
    """The day ``years`` years before ``on`` (the last real day on or before it: 28 February
    for a 29 February in a common year): born after it, a patient is younger than
    ``years`` on ``on``."""
    year = on.year - years
    day = on.day
    while True:
        try:
            return date(year, on.month, day)
        except ValueError:
            day -= 1


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


def col(name: str) -> exp.Column:
    """A quoted column reference."""
    return exp.column(exp.to_identifier(name, quoted=True))


def lit(value: Any) -> exp.Expr:
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


def _paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Paren) else exp.paren(e)


def and_(parts: Sequence[exp.Expr]) -> exp.Expr:
    """Kleene AND of predicates (SQL's own)."""
    if len(parts) == 1:
        return parts[0]
    return exp.and_(*[_paren(p) for p in parts])


def or_(parts: Sequence[exp.Expr]) -> exp.Expr:
    """Kleene OR of predicates (SQL's own)."""
    if len(parts) == 1:
        return parts[0]
    return exp.or_(*[_paren(p) for p in parts])


def case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: Any = None) -> exp.Case:
    """``CASE WHEN .. THEN .. [ELSE ..] END``."""
    out = exp.Case()
    for cond, then in whens:
        out = out.when(cond, then)
    if default is not None:
        out = out.else_(default)
    return out


class Builder:
    """Columns and facts of the portable layout as expressions, for one rule set on one
    evaluation date; ``booleans`` is False for T-SQL (no boolean values, only predicates)."""

    def __init__(self, on: date, lay: Layout, booleans: bool) -> None:
        self.on = on
        self.layout = lay
        self.booleans = booleans
        self.reads: dict[str, None] = {}
        self.nodes: list[tuple[int, str, exp.Expr]] = []
        """(height, column, value) of each combination node, computed in the CTE levels."""
        self.derived: dict[str, exp.Expr] = {}
        """Column → value of each derived fact the query uses, computed once (level 0)."""

    def node_column(self, height: int, truth: exp.Expr) -> str:
        """A column for a combination node's truth (computed at its height's level)."""
        name = f"node:{len(self.nodes)}"
        self.nodes.append((height, name, self.value(truth)))
        return name

    def column_ref(self, name: str) -> exp.Column:
        """A column the query makes itself (not an input column)."""
        return col(name)

    and_ = staticmethod(and_)
    or_ = staticmethod(or_)

    def column(self, name: str) -> exp.Column:
        self.reads[name] = None
        return col(name)

    def truthy(self, e: exp.Expr) -> exp.Expr:
        """A truth-valued column as a predicate."""
        return e if self.booleans else exp.EQ(this=e, expression=exp.true())

    def unknown(self, predicate: exp.Expr) -> exp.Expr:
        """TRUE exactly when the predicate is NULL (unknown)."""
        if self.booleans:
            return exp.Is(this=_paren(predicate), expression=exp.Null())
        flag = case([(predicate, lit(0)), (exp.not_(_paren(predicate.copy())), lit(0))], lit(1))
        return exp.EQ(this=flag, expression=lit(1))

    def value(self, predicate: exp.Expr) -> exp.Expr:
        """A predicate as a value to select (T-SQL has no boolean values: 1/0/NULL)."""
        if self.booleans:
            return predicate
        return case([(predicate, lit(1)), (exp.not_(_paren(predicate.copy())), lit(0))])

    # --- facts ----------------------------------------------------------------------
    def age_from(self, born: exp.Expr) -> exp.Expr:
        """Whole years from ``born`` to the evaluation date, as ``age_on`` counts them:
        year difference, less one while the birthday (month, day) is still to come (a
        29 February birthday is still to come on 28 February)."""
        on = self.on

        def part(unit: str) -> exp.Expr:
            return exp.Extract(this=exp.var(unit), expression=born.copy())

        later = or_(
            [
                exp.GT(this=part("MONTH"), expression=lit(on.month)),
                and_(
                    [
                        exp.EQ(this=part("MONTH"), expression=lit(on.month)),
                        exp.GT(this=part("DAY"), expression=lit(on.day)),
                    ]
                ),
            ]
        )
        return exp.Sub(
            this=exp.Sub(this=lit(on.year), expression=part("YEAR")),
            expression=exp.paren(case([(later, lit(1))], lit(0))),
        )

    def younger_than(self, years: int) -> exp.Expr:
        """Whether the patient is younger than ``years`` on the evaluation date: the
        recorded age, or a birth date after the day ``years`` years before (the last real
        day on or before it: 28 February for a 29 February in a common year), which is
        ``age_from``'s count without its date arithmetic on every row."""
        cutoff = age_cutoff(self.on, years)
        return or_(
            [
                exp.LT(this=self.column("age"), expression=lit(years)),
                and_(
                    [
                        exp.Is(this=self.column("age"), expression=exp.Null()),
                        exp.GT(this=self.column("birth_date"), expression=lit(cutoff)),
                    ]
                ),
            ]
        )

    def fact_value(self, fact: str) -> exp.Expr:
        """The value of a scalar fact; a derived one is computed from its inputs once, as a
        column of the first level (``value:<fact>``), however many leaves read it."""
        if fact not in ("age", "reception_wait_days"):
            return self.column(fact)
        name = f"value:{fact}"
        if name not in self.derived:
            self.derived[name] = self.derived_value(fact)
        return col(name)

    def derived_value(self, fact: str) -> exp.Expr:
        """A derived fact's value from its inputs."""
        if fact == "age":
            return exp.Coalesce(
                this=self.column("age"), expressions=[self.age_from(self.column("birth_date"))]
            )
        return exp.DateDiff(
            this=self.column("first_contact_on"),
            expression=self.column("referral_received_on"),
            unit=exp.var("DAY"),
        )

    def unrecorded(self, fact: str) -> list[tuple[str, exp.Expr]]:
        """What to record when the fact has no value: (fact name, condition) pairs, as
        the reference names them (a derived fact's unrecorded inputs; ``age`` itself)."""
        if fact == "age":
            return [("age", and_([self.null("age"), self.null("birth_date")]))]
        if fact == "reception_wait_days":
            return [(i, self.null(i)) for i in ("referral_received_on", "first_contact_on")]
        return [(fact, self.null(fact))]

    def null(self, fact: str) -> exp.Expr:
        spec = FACTS[fact]
        name = fact + "__size" if spec.kind in ("set", "scores") else fact
        return exp.Is(this=self.column(name), expression=exp.Null())

    def known(self, fact: str) -> exp.Expr:
        """Whether the fact has a value (never NULL)."""
        if fact == "reception_wait_days":
            return and_([exp.not_(c) for _, c in self.unrecorded(fact)])
        ((_, missing),) = self.unrecorded(fact)
        return exp.not_(_paren(missing))

    def member(self, fact: str, value: str) -> exp.Expr:
        return self.truthy(self.column(self.layout.member(fact, value)))

    def size(self, fact: str) -> exp.Expr:
        return self.column(fact + "__size")


# --------------------------------------------------------------------------------------
# The query
# --------------------------------------------------------------------------------------


_CACHE: dict[tuple[Any, ...], CohortQuery] = {}
_CACHE_SIZE = 64


def compile_sql(
    compiled: CompiledRuleSet,
    on: date,
    *,
    table: str = "cohort",
    id_column: str = "patient_id",
    dialect: str = "duckdb",
    groups: Sequence[str] = ("diagnosis_group",),
) -> CohortQuery:
    """The one query of a rule set on an evaluation date (see the module docstring);
    compiled once per rule set content, date and options (the tree must not be changed)."""
    key = (compiled.content_hash, on, table, id_column, dialect, tuple(groups))
    hit = _CACHE.get(key)
    if hit is None:
        hit = _compile(compiled, on, table, id_column, dialect, groups)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = hit
    return hit


def _compile(
    compiled: CompiledRuleSet,
    on: date,
    table: str,
    id_column: str,
    dialect: str,
    groups: Sequence[str],
) -> CohortQuery:
    from visitation.cohort._fold import Node, fold_rule, text_set_members

    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; one of: {', '.join(DIALECTS)}")
    lay = layout(text_set_members(compiled))
    b = Builder(on, lay, dialect in BOOLEAN_DIALECTS)
    rs = compiled.ruleset
    memo: dict[str, Node] = {}
    folded = [fold_rule(cr.rule.when, rs.definitions, b, memo)
              for cr in [*compiled.rules, *compiled.indicators]]  # fmt: skip
    rule_cols = tuple((cr.rule.id, cr.rule.id) for cr in compiled.rules)
    indicator_cols = tuple((cr.rule.id, cr.rule.id) for cr in compiled.indicators)
    names = [*(c for _, c in rule_cols), *(c for _, c in indicator_cols)]

    # Level 0: each derived fact's value; then each combination node as a column, parts
    # before wholes (one CTE per height).
    source: exp.Expr = exp.to_table(table, quoted=True) if "." not in table else exp.to_table(table)
    levels: list[tuple[str, exp.Select]] = []
    if b.derived:
        derived = (
            exp.select(exp.Star())
            .from_(source.copy())
            .select(*[exp.alias_(e, n, quoted=True) for n, e in b.derived.items()], append=True)
        )
        levels.append(("l0", derived))
        source = exp.to_table("l0")
    for height in sorted({h for h, _, _ in b.nodes}):
        level = (
            exp.select(exp.Star())
            .from_(source.copy())
            .select(
                *[exp.alias_(e, name, quoted=True) for h, name, e in b.nodes if h == height],
                append=True,
            )
        )
        name = f"l{height}"
        levels.append((name, level))
        source = exp.to_table(name)

    # Stage 1: every rule's truth as a column, next to the input columns.
    stage1 = exp.select(exp.Star()).from_(source.copy())
    stage1 = stage1.select(
        *[
            exp.alias_(b.value(node.truth), name, quoted=True)
            for node, name in zip(folded, names, strict=True)
        ],
        append=True,
    )

    # Stage 2: verdicts and missing masks from the statuses.
    pathways: list[PathwayColumns] = []
    outputs: list[exp.Expr] = [exp.alias_(col(id_column), id_column, quoted=True)]
    outputs += [exp.alias_(col(n), n, quoted=True) for n in names]
    for pid, required in compiled.pathways:
        status_cols = [col(names[i]) for i in required]
        verdict_name = f"verdict:{pid}"
        verdict = and_([b.truthy(c) for c in status_cols]) if status_cols else exp.true()
        occurrences: list[str] = []
        terms: list[list[exp.Expr]] = []
        for i in required:
            rule_unknown = exp.Is(this=col(names[i]), expression=exp.Null())
            for fact, cond in folded[i].occurrences:
                k = len(occurrences)
                occurrences.append(fact)
                if k % MASK_BITS == 0:
                    terms.append([])
                bit = lit(1 << (k % MASK_BITS))
                terms[-1].append(case([(and_([rule_unknown.copy(), cond.copy()]), bit)], lit(0)))
        masks: list[str] = []
        verdict_unknown = b.unknown(verdict)
        for w, chunk in enumerate(terms):
            total: exp.Expr = chunk[0]
            for t in chunk[1:]:
                total = exp.Add(this=total, expression=t)
            mask_name = f"missing:{pid}:{w}"
            masks.append(mask_name)
            outputs.append(
                exp.alias_(case([(verdict_unknown.copy(), total)], lit(0)), mask_name, quoted=True)
            )
        outputs.append(exp.alias_(b.value(verdict), verdict_name, quoted=True))
        pathways.append(PathwayColumns(pid, verdict_name, tuple(masks), tuple(occurrences)))
    bands: list[tuple[exp.Expr, exp.Expr]] = [(b.unrecorded("age")[0][1], exp.null())]
    bands += [(b.younger_than(up), lit(label)) for up, label in AGE_BANDS if up is not None]
    outputs.append(exp.alias_(case(bands, lit(AGE_BANDS[-1][1])), "age_band", quoted=True))
    group_cols = [g for g in groups if g in GROUP_COLUMNS]
    for g in group_cols:
        if g in FACTS:
            b.column(g)  # the query reads it: the input must provide and check it
        outputs.append(exp.alias_(col(g), g, quoted=True))
    query = exp.select(*outputs).from_("s")
    for name, level in levels:
        query = query.with_(name, as_=level)
    query = query.with_("s", as_=stage1)
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
