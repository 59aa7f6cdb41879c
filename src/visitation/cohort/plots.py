"""Plots of cohort results: a funnel per pathway, the transitions between two rule sets
and verdict shares per group (for fairness across diagnosis groups).

Each plot has two halves: a ``*_rows`` function that counts (plain dicts, no plotting
library needed, checked by the tests against per-patient results) and a chart function
that draws those rows with altair (Vega-Lite). A chart displays itself in Jupyter; for
static pages, ``alt.renderers.enable("svg")`` (or ``chart.save("x.svg")``) renders it
with vl-convert, without a browser — that is why altair, and not plotly, draws these:
plotly's Sankey exports images only through kaleido, which drives a Chrome install. The
before → after transition is drawn as a verdict × verdict heatmap (Vega-Lite has no
Sankey), one panel per group, from two cohort results or from an impact report
(:func:`impact_transitions`).

    >>> from visitation.cohort import evaluate_cohort, synthetic
    >>> from visitation.cohort.plots import funnel_rows
    >>> result = evaluate_cohort(synthetic(200, seed=1), "dk-national@2.0.0", on="2026-11-23")
    >>> funnel_rows(result, "hospice")[0]
    {'step': 0, 'rule': '(all patients)', 'title': '', 'state': 'met so far', 'patients': 200}

Needs the ``notebook`` extra for the charts: ``pip install 'visitation[notebook]'``.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from visitation import CompiledRuleSet, resolve

if TYPE_CHECKING:
    import altair as alt

    from visitation.cohort._evaluate import CohortResult
    from visitation.cohort._impact import ImpactReport

__all__ = [
    "STATES",
    "VERDICTS",
    "fairness",
    "funnel",
    "funnel_rows",
    "impact_rows",
    "impact_transitions",
    "share_rows",
    "transition_rows",
    "transitions",
]

VERDICTS = ("eligible", "indeterminate", "not_eligible")
"""The three verdicts, in the order the charts stack and list them."""

STATES = ("met so far", "still open", "out")
"""A funnel step's states: every rule so far met; none not met but one unknown; one not met."""

_VERDICT_COLOURS = ("#1a7f37", "#d4a72c", "#8c959f")  # green, amber, grey: unknown ≠ not met
_NO_VALUE = "(not recorded)"
_INSTALL_HINT = (
    "visitation.cohort.plots draws with altair and renders static images with vl-convert: "
    "pip install 'visitation[notebook]'"
)


def _need_altair() -> None:
    missing = [m for m in ("altair", "vl_convert") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"{_INSTALL_HINT} (missing: {', '.join(missing)})")


def _program(result: CohortResult, rules: Any) -> CompiledRuleSet:
    """The compiled rule set ``result`` was evaluated with: ``rules`` when given, else the
    rule set its key names (refused when that is not the same content)."""
    program = resolve(result.ruleset_key if rules is None else rules, result.on)
    if program.content_hash != result.content_hash:
        named = "the rule set given" if rules is not None else f"{result.ruleset_key} as found"
        raise ValueError(
            f"the cohort result was evaluated with {result.ruleset_key} "
            f"({result.content_hash[:19]}…), but {named} has content {program.content_hash[:19]}…; "
            "pass the rules it was evaluated with as rules="
        )
    return program


def _pathway_rules(
    result: CohortResult, pathway: str, rules: Any = None
) -> list[tuple[str, str, str]]:
    """(rule id, result column, English title) of the rules deciding ``pathway``, in file order."""
    program = _program(result, rules)
    found = dict(program.pathways)
    if pathway not in found:
        raise ValueError(
            f"{result.ruleset_key} has no pathway {pathway!r}; its pathways: " + ", ".join(found)
        )
    columns = dict(result.query.rules)
    out = []
    for index in found[pathway]:
        rule = program.rules[index].rule
        title = rule.title.get("en") or next(iter(rule.title.values()), "")
        out.append((rule.id, columns[rule.id], title))
    return out


def _verdict_column(result: CohortResult, pathway: str) -> pa.ChunkedArray:
    name = f"verdict:{pathway}"
    if name not in result.table.column_names:
        pathways = [c.removeprefix("verdict:") for c in result.table.column_names
                    if c.startswith("verdict:")]  # fmt: skip
        raise ValueError(
            f"{result.ruleset_key} has no pathway {pathway!r}; its pathways: " + ", ".join(pathways)
        )
    return result.table.column(name)


def _verdict_names(col: pa.ChunkedArray) -> list[str]:
    return [
        "indeterminate" if v is None else "eligible" if v else "not_eligible"
        for v in col.to_pylist()
    ]


def funnel_rows(result: CohortResult, pathway: str, *, rules: Any = None) -> list[dict[str, Any]]:
    """The pathway's rules one after another (file order), with, after each step, how many
    patients have met every rule so far, how many are still open (none not met, one
    unknown) and how many are out (one not met): the three-valued AND taken step by step.
    Step 0 is every patient; the last step's counts are the pathway's verdict counts
    (eligible, indeterminate, not eligible).

    The pathway's rules are read from the rule set the result was evaluated with, found by
    its key; for a rule file that is not in the library (a draft on disk), pass it as
    ``rules`` (a path, a RuleSet or a compiled rule set)."""
    steps = _pathway_rules(result, pathway, rules)
    n = len(result)
    rows: list[dict[str, Any]] = [
        {"step": 0, "rule": "(all patients)", "title": "", "state": s, "patients": c}
        for s, c in zip(STATES, (n, 0, 0), strict=True)
    ]
    so_far: pa.ChunkedArray | None = None
    for step, (rule_id, column, title) in enumerate(steps, start=1):
        col = result.table.column(column)
        so_far = col if so_far is None else pc.and_kleene(so_far, col)
        nulls = so_far.null_count
        met = int(pc.sum(so_far.cast(pa.int64())).as_py() or 0)
        counts = (met, nulls, n - nulls - met)
        rows += [
            {"step": step, "rule": rule_id, "title": title, "state": s, "patients": c}
            for s, c in zip(STATES, counts, strict=True)
        ]
    return rows


def funnel(result: CohortResult, pathway: str, *, rules: Any = None) -> alt.Chart:
    """A horizontal stacked bar per funnel step (:func:`funnel_rows`)."""
    _need_altair()
    import altair as alt

    data = alt.InlineData(values=funnel_rows(result, pathway, rules=rules))
    order = [r[0] for r in _pathway_rules(result, pathway, rules)]
    chart = (
        alt.Chart(data, title=f"{result.ruleset_key}: funnel of pathway {pathway!r}")
        .mark_bar()
        .encode(
            y=alt.Y("rule:N", sort=["(all patients)", *order], title=None),
            x=alt.X("patients:Q", stack="zero", title="patients"),
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=list(STATES), range=list(_VERDICT_COLOURS)),
                title="after this rule",
            ),
            order=alt.Order("state_order:Q"),
            tooltip=["rule:N", "title:N", "state:N", "patients:Q"],
        )
        .transform_calculate(
            state_order=f"indexof({list(STATES)!r}, datum.state)".replace("'", '"')
        )
        .properties(width=420, height=alt.Step(18))
    )
    return cast("alt.Chart", chart)


def _group_values(result: CohortResult, by: str | None) -> list[str]:
    if by is None:
        return ["all"] * len(result)
    if by not in result.table.column_names:
        raise ValueError(
            f"the cohort result has no column {by!r}; group by one of: "
            + ", ".join(
                g
                for g in ("age_band", "diagnosis_group", "region")
                if g in result.table.column_names
            )
        )
    return [_NO_VALUE if v is None else str(v) for v in result.table.column(by).to_pylist()]


def transition_rows(
    before: CohortResult, after: CohortResult, pathway: str, *, by: str | None = None
) -> list[dict[str, Any]]:
    """How many patients go from each verdict under ``before`` to each verdict under
    ``after`` for one pathway (matched by id), per value of the group column ``by`` (e.g.
    ``"diagnosis_group"``; ``None`` for one group ``"all"``). Every (group, before, after)
    cell is listed, zeros included. Both results must hold the same patients."""
    id_before, id_after = before.query.id_column, after.query.id_column
    ids_a = before.table.column(id_before).to_pylist()
    ids_b = after.table.column(id_after).to_pylist()
    if sorted(map(str, ids_a)) != sorted(map(str, ids_b)):
        raise ValueError("the two cohort results do not hold the same patients")
    position = {str(i): k for k, i in enumerate(ids_b)}
    order = [position[str(i)] for i in ids_a]
    was = _verdict_names(_verdict_column(before, pathway))
    now_all = _verdict_names(_verdict_column(after, pathway))
    now = [now_all[k] for k in order]
    groups = _group_values(before, by)
    counts = Counter(zip(groups, was, now, strict=True))
    return [
        {"group": g, "before": v1, "after": v2, "patients": counts[(g, v1, v2)]}
        for g in sorted(set(groups))
        for v1 in VERDICTS
        for v2 in VERDICTS
    ]


def transitions(
    before: CohortResult, after: CohortResult, pathway: str, *, by: str | None = None
) -> alt.LayerChart | alt.FacetChart:
    """A before × after verdict heatmap (:func:`transition_rows`), one panel per group."""
    rows = transition_rows(before, after, pathway, by=by)
    return _heatmap(rows, pathway, before.ruleset_key, after.ruleset_key, by)


def impact_rows(
    report: ImpactReport, pathway: str, *, by: str | None = None
) -> list[dict[str, Any]]:
    """The rows of :func:`transition_rows` from an :class:`~visitation.cohort.ImpactReport`
    (its matrix, or its breakdown by ``by``), so a comparison made on a large cohort by
    :func:`visitation.cohort.impact` plots without the per-patient results."""
    if by is None:
        matrix = report.matrix(pathway)
        return [{"group": "all", "before": v1, "after": v2, "patients": matrix[v1][v2]}
                for v1 in VERDICTS for v2 in VERDICTS]  # fmt: skip
    if by not in report.by:
        raise ValueError(
            f"the impact report is not broken down by {by!r}; by one of: {', '.join(report.by)}"
        )
    report.matrix(pathway)  # an unknown pathway: KeyError naming the compared ones
    cells = {(r["group"], r["before"], r["after"]): r["patients"] for r in report.breakdown
             if r["by"] == by and r["pathway"] == pathway}  # fmt: skip
    groups = sorted({g for g, _, _ in cells})
    return [{"group": g, "before": v1, "after": v2, "patients": cells.get((g, v1, v2), 0)}
            for g in groups for v1 in VERDICTS for v2 in VERDICTS]  # fmt: skip


def impact_transitions(
    report: ImpactReport, pathway: str, *, by: str | None = "diagnosis_group"
) -> alt.LayerChart | alt.FacetChart:
    """The heatmap of :func:`transitions`, drawn from an impact report (:func:`impact_rows`)."""
    return _heatmap(impact_rows(report, pathway, by=by), pathway, report.a, report.b, by)


def _heatmap(
    rows: list[dict[str, Any]], pathway: str, a: str, b: str, by: str | None
) -> alt.LayerChart | alt.FacetChart:
    _need_altair()
    import altair as alt

    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("after:N", sort=list(VERDICTS), title=b),
        y=alt.Y("before:N", sort=list(VERDICTS), title=a),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("patients:Q", scale=alt.Scale(scheme="blues", type="symlog")),
        tooltip=["group:N", "before:N", "after:N", "patients:Q"],
    )
    text = base.mark_text(fontSize=10).encode(text="patients:Q")
    layered = (cells + text).properties(width=130, height=130)
    title = f"pathway {pathway!r}: {a} → {b}"
    if by is None:
        return cast("alt.LayerChart", layered.properties(title=title))
    faceted = layered.facet(facet=alt.Facet("group:N", title=by), columns=3, title=title)
    return cast("alt.FacetChart", faceted)


def share_rows(
    results: CohortResult | Sequence[CohortResult], pathway: str, *, by: str = "diagnosis_group"
) -> list[dict[str, Any]]:
    """Per result (rule set), per value of ``by`` and per verdict: the patients and their
    share of the group, for comparing how a pathway treats diagnosis groups (or age bands,
    regions). Every (ruleset, group, verdict) is listed, zeros included."""
    if not isinstance(results, Sequence):
        results = [results]
    rows: list[dict[str, Any]] = []
    for result in results:
        groups = _group_values(result, by)
        verdicts = _verdict_names(_verdict_column(result, pathway))
        counts = Counter(zip(groups, verdicts, strict=True))
        sizes = Counter(groups)
        for g in sorted(sizes):
            for v in VERDICTS:
                c = counts[(g, v)]
                rows.append({"ruleset": result.ruleset_key, "group": g, "verdict": v,
                             "patients": c, "share": c / sizes[g]})  # fmt: skip
    return rows


def fairness(
    results: CohortResult | Sequence[CohortResult], pathway: str, *, by: str = "diagnosis_group"
) -> alt.Chart:
    """Verdict shares per group (:func:`share_rows`) as 100 % stacked bars, one row of
    bars per rule set."""
    _need_altair()
    import altair as alt

    rows = share_rows(results, pathway, by=by)
    chart = (
        alt.Chart(alt.InlineData(values=rows), title=f"pathway {pathway!r}: verdicts per {by}")
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=by),
            x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="share"),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=list(VERDICTS), range=list(_VERDICT_COLOURS)),
            ),
            order=alt.Order("verdict_order:Q"),
            row=alt.Row("ruleset:N", title=None),
            tooltip=[
                "ruleset:N",
                "group:N",
                "verdict:N",
                "patients:Q",
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .transform_calculate(
            verdict_order=f"indexof({list(VERDICTS)!r}, datum.verdict)".replace("'", '"')
        )
        .properties(width=360, height=alt.Step(16))
    )
    return cast("alt.Chart", chart)
