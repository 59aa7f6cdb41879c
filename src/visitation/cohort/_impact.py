"""The impact of a rule change on a cohort: rule set A against rule set B, patient by patient.

    >>> from visitation.cohort import impact, synthetic
    >>> report = impact(synthetic(1000, seed=1), "dk-national@2.0.0", "dk-national@3.0.0",
    ...                 on="2026-12-01")
    >>> sorted(report.matrix("hospice"))
    ['eligible', 'indeterminate', 'not_eligible']

Both rule sets run as one cohort query each over the same table (read and checked once,
put into the portable layout once when the two layouts agree), trimmed to the statuses
and verdicts; the comparison is counted with NumPy over the two results, row by row (the
rows are aligned by patient id). Pathways are matched by id, so A and B may be different
families (a region's criteria against the national draft).

What the report holds (docs/cohort.md, "Impact of a rule change"):

- :meth:`ImpactReport.matrix`: per pathway, patients by verdict before (A, rows) and after
  (B, columns): eligible / not eligible / indeterminate;
- :attr:`ImpactReport.breakdown`: the same cells per diagnosis group, age band and region;
- :attr:`ImpactReport.movers_by_rule`: for the patients whose verdict moves, which rules
  moved them. Within one family rules are matched by id: a rule counts a mover whose
  status differs between A and B; a rule only A has (removed) counts a mover it did not
  pass in A, a rule only B has (added) one it does not pass in B. Across families rule ids
  mean different things, so no rule is matched: each side's rules count the movers they
  do not pass on that side (the blocking and unknown rules of each verdict);
- :attr:`ImpactReport.net_referrals_by_region`: per region and pathway, the eligible
  patients under A and B, how many are gained and lost and the net change: the budget
  question.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from visitation import CompiledRuleSet, resolve
from visitation.cohort._engines import INPUT_TABLE, dialect_of, run
from visitation.cohort._evaluate import _as_date, facts_read
from visitation.cohort._input import (
    EXTRA_COLUMNS,
    check_ids,
    check_names,
    read_batches,
    to_layout,
)
from visitation.cohort._sql import GROUP_COLUMNS, CohortQuery, compile_sql

__all__ = ["BY", "VERDICTS", "ImpactReport", "impact"]

VERDICTS: Final = ("eligible", "not_eligible", "indeterminate")
"""Verdict names, in the order of the matrix rows and columns (codes 0, 1, 2)."""

STATUSES: Final = ("met", "not_met", "unknown")
"""Rule status names (codes 0, 1, 2)."""

BY: Final = ("diagnosis_group", "age_band", "region")
"""The default breakdown columns."""

NOT_RECORDED: Final = "(not recorded)"
ALL: Final = "(all)"
"""The region of the one row of :attr:`ImpactReport.net_referrals_by_region` when the
cohort has no ``region`` column."""

Format = Literal["text", "markdown", "html", "json"]


@dataclass(frozen=True)
class ImpactReport:
    """The comparison of rule sets A and B on one cohort (see the module docstring)."""

    a: str
    """The key of rule set A (``family@version``)."""
    b: str
    a_hash: str
    b_hash: str
    on: date
    patients: int
    pathways: tuple[str, ...]
    """The pathways both rule sets have, in A's order."""
    unmatched: dict[str, list[str]]
    """Pathways only one side has: ``{"a": [...], "b": [...]}`` (not compared)."""
    same_family: bool
    matrices: dict[str, list[list[int]]]
    """Per pathway, 3 × 3 counts: row = verdict under A, column = verdict under B."""
    breakdown: list[dict[str, Any]]
    """One row per breakdown column, group value, pathway and cell: ``by``, ``group``,
    ``pathway``, ``before``, ``after``, ``patients`` (every cell, zeros included)."""
    movers_by_rule: list[dict[str, Any]]
    """One row per pathway, rule and status change among the movers: ``pathway``,
    ``rule``, ``side`` (``both``: matched by id; ``a`` / ``b``: a rule of one side),
    ``status_a``, ``status_b`` (met / not_met / unknown, None for a side without the
    rule), ``patients``; largest first within a pathway."""
    net_referrals_by_region: list[dict[str, Any]]
    """One row per region and pathway: ``region``, ``pathway``, ``eligible_a``,
    ``eligible_b``, ``gained``, ``lost``, ``net`` (= eligible_b − eligible_a)."""
    by: tuple[str, ...] = field(default=BY)

    # --- reading ------------------------------------------------------------------------
    def matrix(self, pathway: str) -> dict[str, dict[str, int]]:
        """Patients by verdict under A (outer key) and under B (inner key)."""
        if pathway not in self.matrices:
            raise KeyError(
                f"no pathway {pathway!r} in both rule sets; compared: {', '.join(self.pathways)}"
            )
        m = self.matrices[pathway]
        return {va: {vb: m[i][j] for j, vb in enumerate(VERDICTS)} for i, va in enumerate(VERDICTS)}

    def moved(self, pathway: str) -> int:
        """Patients whose verdict for ``pathway`` differs between A and B."""
        m = self.matrices[pathway]
        return sum(m[i][j] for i in range(3) for j in range(3) if i != j)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"ruleset": self.a, "content_hash": self.a_hash},
            "b": {"ruleset": self.b, "content_hash": self.b_hash},
            "evaluated_on": self.on.isoformat(),
            "patients": self.patients,
            "pathways": list(self.pathways),
            "unmatched_pathways": self.unmatched,
            "rules_matched_by_id": self.same_family,
            "matrices": {p: self.matrix(p) for p in self.pathways},
            "breakdown": self.breakdown,
            "movers_by_rule": self.movers_by_rule,
            "net_referrals_by_region": self.net_referrals_by_region,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def render(self, format: Format = "text") -> str:
        """The report as plain text tables, Markdown, an HTML fragment or JSON."""
        if format == "json":
            return self.to_json() + "\n"
        if format == "html":
            return self._repr_html_()
        if format not in ("text", "markdown"):
            raise ValueError(f"unknown format {format!r}: text, markdown, html or json")
        from visitation.cohort._html import text_table

        md = format == "markdown"
        parts = [self._headline()]
        for p in self.pathways:
            parts.append(("### " if md else "") + f"{p}: {self.moved(p)} patients move")
            parts.append(text_table(*self._matrix_rows(p), markdown=md))
            movers = [r for r in self.movers_by_rule if r["pathway"] == p]
            if movers:
                parts.append(text_table(*_movers_rows(movers), markdown=md))
        parts.append(("### " if md else "") + "net referrals by region")
        parts.append(text_table(*self._net_rows(), markdown=md))
        for g in self.by:
            if g == "region":
                continue  # the net referrals above are by region
            rows = self._group_rows(g)
            if rows[1]:
                parts.append(text_table(*rows, markdown=md))
        return "\n\n".join(parts) + "\n"

    def _repr_html_(self) -> str:
        from visitation.cohort._html import html_table

        out = [f"<div class='visitation-impact'><p><b>{html.escape(self._headline())}</b></p>"]
        for p in self.pathways:
            out.append(f"<h4>{html.escape(p)}: {self.moved(p)} patients move</h4>")
            out.append(html_table(*self._matrix_rows(p), caption="rows: A, columns: B"))
            movers = [r for r in self.movers_by_rule if r["pathway"] == p]
            if movers:
                out.append(html_table(*_movers_rows(movers[:15]), caption="which rules moved them"))
        out.append("<h4>net referrals by region</h4>")
        out.append(html_table(*self._net_rows()))
        groups = [html_table(*self._group_rows(g)) for g in self.by if g != "region"]
        if groups:
            out.append("<details><summary>by group</summary>" + "".join(groups) + "</details>")
        out.append("</div>")
        return "".join(out)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": self.render("text"),
            "text/html": self._repr_html_(),
            "application/json": self.to_dict(),
        }

    # --- table rows -----------------------------------------------------------------------
    def _headline(self) -> str:
        how = "rules matched by id" if self.same_family else "different families"
        extra = ""
        if self.unmatched["a"] or self.unmatched["b"]:
            extra = (
                f"; not compared: A {', '.join(self.unmatched['a']) or '–'}, "
                f"B {', '.join(self.unmatched['b']) or '–'}"
            )
        return (
            f"{self.a} → {self.b} on {self.on.isoformat()}: {self.patients} patients ({how}{extra})"
        )

    def _matrix_rows(self, pathway: str) -> tuple[list[str], list[list[Any]]]:
        m = self.matrices[pathway]
        header = ["A \\ B", *VERDICTS, "total"]
        rows: list[list[Any]] = [[va, *m[i], sum(m[i])] for i, va in enumerate(VERDICTS)]
        rows.append(["total", *(sum(m[i][j] for i in range(3)) for j in range(3)), self.patients])
        return header, rows

    def _net_rows(self) -> tuple[list[str], list[list[Any]]]:
        header = ["region", "pathway", "eligible A", "eligible B", "gained", "lost", "net"]
        rows = [
            [
                r["region"],
                r["pathway"],
                r["eligible_a"],
                r["eligible_b"],
                r["gained"],
                r["lost"],
                f"{r['net']:+d}",
            ]
            for r in self.net_referrals_by_region
        ]
        return header, rows

    def _group_rows(self, by: str) -> tuple[list[str], list[list[Any]]]:
        """Per group value and pathway: eligible under A and B, gained, lost, net."""
        acc: dict[tuple[str, str], list[int]] = {}
        for r in self.breakdown:
            if r["by"] != by:
                continue
            cell = acc.setdefault((r["group"], r["pathway"]), [0, 0, 0, 0])
            n = r["patients"]
            if r["before"] == "eligible":
                cell[0] += n
            if r["after"] == "eligible":
                cell[1] += n
            if r["after"] == "eligible" and r["before"] != "eligible":
                cell[2] += n
            if r["before"] == "eligible" and r["after"] != "eligible":
                cell[3] += n
        header = [by, "pathway", "eligible A", "eligible B", "gained", "lost", "net"]
        rows = [
            [g, p, a, b, gain, lost, f"{b - a:+d}"] for (g, p), (a, b, gain, lost) in acc.items()
        ]
        return header, rows


def _movers_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    header = ["rule", "side", "status A", "status B", "patients"]
    return header, [
        [r["rule"], r["side"], r["status_a"] or "–", r["status_b"] or "–", r["patients"]]
        for r in rows
    ]


# --------------------------------------------------------------------------------------
# Computing the report
# --------------------------------------------------------------------------------------


def impact(
    cohort: Any,
    a: str | Any,
    b: str | Any,
    *,
    on: date | str,
    by: Sequence[str] = BY,
    engine: Any = None,
    id_column: str = "patient_id",
) -> ImpactReport:
    """Compare rule sets ``a`` and ``b`` on every patient of ``cohort`` on ``on``.

    ``cohort``: what :func:`visitation.cohort.evaluate_cohort` reads (a Parquet or CSV
    path, a DataFrame, an Arrow table, a DuckDB relation); ``a`` / ``b``: a family (the
    version in force on ``on``), ``family@version``, a rule file path or a rule set;
    ``by``: the breakdown columns (``diagnosis_group``, ``age_band``, ``region``; a column
    the cohort lacks is left out); ``engine`` as for ``evaluate_cohort``.
    """
    day = _as_date(on)
    unknown_by = [g for g in by if g not in BY]
    if unknown_by:
        raise ValueError(f"cannot break down by {unknown_by[0]!r}: one of {', '.join(BY)}")
    ca: CompiledRuleSet = resolve(a, day)
    cb: CompiledRuleSet = resolve(b, day)
    ids_a = [p for p, _ in ca.pathways]
    ids_b = [p for p, _ in cb.pathways]
    common = tuple(p for p in ids_a if p in ids_b)
    if not common:
        raise ValueError(
            f"{ca.ruleset.key} and {cb.ruleset.key} have no pathway in common "
            f"(A: {', '.join(ids_a)}; B: {', '.join(ids_b)}); pathways are matched by id"
        )
    dialect = dialect_of(engine)

    def queries(names: list[str]) -> tuple[CohortQuery, CohortQuery]:
        groups = tuple(g for g in GROUP_COLUMNS if g in names)
        return tuple(  # type: ignore[return-value]
            compile_sql(
                c, day, table=INPUT_TABLE, id_column=id_column, dialect=dialect, groups=groups
            )
            for c in (ca, cb)
        )

    def wanted(names: list[str]) -> list[str]:
        qa, qb = queries(names)
        need = facts_read(qa) | facts_read(qb)
        fact_of = {c.name: c.fact for q in (qa, qb) for c in q.layout.columns}
        return [
            n
            for n in names
            if n == id_column or n in qa.groups or n in need or fact_of.get(n) in need
        ]

    names, ids, batches = read_batches(cohort, id_column, 1 << 62, wanted)
    qa, qb = queries(names)
    check_names(names, id_column, qa.layout)
    check_names(names, id_column, qb.layout)
    if ids is not None:
        check_ids(ids, id_column)
    keep = [g for g in EXTRA_COLUMNS if g in qa.groups]
    ((_, table),) = list(batches)
    need = facts_read(qa) | facts_read(qb)
    data_a = to_layout(table, id_column, qa.layout, keep=keep, ids_checked=True, facts=need)
    data_b = (
        data_a
        if qb.layout == qa.layout
        else to_layout(table, id_column, qb.layout, keep=keep, ids_checked=True, facts=need)
    )
    used = {p: dict(ca.pathways)[p] for p in common}, {p: dict(cb.pathways)[p] for p in common}
    own = engine is None or engine == "duckdb"  # one embedded connection for both queries
    con = _duckdb_connect() if own else engine
    try:
        res_a = run(_trimmed(qa, ca, used[0], groups=True), data_a, con)
        res_b = run(_trimmed(qb, cb, used[1], groups=False), data_b, con)
    finally:
        if own:
            con.close()
    res_a, res_b = _aligned(res_a, res_b, id_column)
    return _report(ca, cb, day, common, ids_a, ids_b, res_a, res_b, tuple(by), qa)


def _duckdb_connect() -> Any:
    import duckdb

    return duckdb.connect()


def _trimmed(
    query: CohortQuery, compiled: CompiledRuleSet, used: dict[str, tuple[int, ...]], groups: bool
) -> CohortQuery:
    """The query selecting only the id, the required rules' statuses and the compared
    verdicts as small codes (0 true, 1 false, 2 unknown: never NULL, so they arrive as
    plain arrays) and (``groups``) the group columns: no missing masks."""
    truths = {compiled.rules[i].rule.id for req in used.values() for i in req}
    truths |= {f"verdict:{p}" for p in used}
    keep = {query.id_column} | (set(query.groups) if groups else set())
    out: list[exp.Expr] = []
    for e in query.tree.expressions:
        name = e.alias_or_name
        if name in truths:
            out.append(exp.alias_(_code(e.this.copy()), name, quoted=True))
        elif name in keep:
            out.append(e.copy())
    tree = query.tree.copy()
    tree.set("expressions", out)
    return dataclasses.replace(query, tree=tree, _texts={})


def _code(truth: exp.Expr) -> exp.Expr:
    """``CASE WHEN t THEN 0 WHEN NOT t THEN 1 ELSE 2 END`` as a small integer."""
    case = (
        exp.Case()
        .when(truth, exp.Literal.number(0))
        .when(exp.not_(exp.paren(truth.copy())), exp.Literal.number(1))
        .else_(exp.Literal.number(2))
    )
    return exp.cast(case, exp.DataType.build("SMALLINT"))


def _aligned(a: pa.Table, b: pa.Table, id_column: str) -> tuple[pa.Table, pa.Table]:
    """The two results in the same patient order (an engine may return rows in any order)."""
    ia, ib = a.column(id_column), b.column(id_column)
    if ia.equals(ib):
        return a, b
    return (
        a.take(pc.sort_indices(a, [(id_column, "ascending")])),
        b.take(pc.sort_indices(b, [(id_column, "ascending")])),
    )


def _codes(col: pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int8]]:
    """A code column of :func:`_trimmed` as a NumPy array (0 true, 1 false, 2 unknown)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    out: np.ndarray[Any, np.dtype[np.int8]] = np.asarray(
        arr.to_numpy(zero_copy_only=False), dtype=np.int8
    )
    return out


def _encoded(col: pa.ChunkedArray) -> tuple[list[str], np.ndarray[Any, Any]]:
    """A group column as (sorted labels, each row's index into them); null is
    ``(not recorded)``."""
    enc = pc.dictionary_encode(pc.fill_null(col.cast(pa.string()), NOT_RECORDED)).combine_chunks()
    labels = [str(v) for v in enc.dictionary.to_pylist()]
    order = sorted(range(len(labels)), key=lambda k: labels[k])
    rank = np.empty(len(labels), dtype=np.intp)
    rank[order] = np.arange(len(labels))
    return [labels[k] for k in order], rank[enc.indices.to_numpy()]


def _report(
    ca: CompiledRuleSet,
    cb: CompiledRuleSet,
    day: date,
    common: tuple[str, ...],
    ids_a: list[str],
    ids_b: list[str],
    res_a: pa.Table,
    res_b: pa.Table,
    by: tuple[str, ...],
    qa: CohortQuery,
) -> ImpactReport:
    same = ca.ruleset.family == cb.ruleset.family
    n = res_a.num_rows
    groups = {g: _encoded(res_a.column(g)) for g in by if g in res_a.column_names}
    region = (
        groups.get("region") or _encoded(res_a.column("region"))
        if "region" in res_a.column_names
        else None
    )
    matrices: dict[str, list[list[int]]] = {}
    breakdown: list[dict[str, Any]] = []
    movers: list[dict[str, Any]] = []
    net: list[dict[str, Any]] = []
    region_labels, region_codes = region if region is not None else ([ALL], np.zeros(n, np.intp))
    for p in common:
        va = _codes(res_a.column(f"verdict:{p}"))
        vb = _codes(res_b.column(f"verdict:{p}"))
        cell = va.astype(np.intp) * 3 + vb
        matrices[p] = np.bincount(cell, minlength=9).reshape(3, 3).tolist()
        for g, (labels, codes) in groups.items():
            counts = np.bincount(codes * 9 + cell, minlength=len(labels) * 9).reshape(-1, 3, 3)
            for k, label in enumerate(labels):
                for i, before in enumerate(VERDICTS):
                    for j, after in enumerate(VERDICTS):
                        breakdown.append(
                            {
                                "by": g,
                                "group": label,
                                "pathway": p,
                                "before": before,
                                "after": after,
                                "patients": int(counts[k, i, j]),
                            }
                        )
        movers += _movers(
            p,
            ca,
            cb,
            dict(ca.pathways)[p],
            dict(cb.pathways)[p],
            same,
            np.flatnonzero(va != vb),
            res_a,
            res_b,
        )
        k = len(region_labels)
        per_region = np.bincount(region_codes * 9 + cell, minlength=k * 9).reshape(-1, 3, 3)
        for r, label in enumerate(region_labels):
            m = per_region[r]
            ea, eb = int(m[0].sum()), int(m[:, 0].sum())
            net.append(
                {
                    "region": label,
                    "pathway": p,
                    "eligible_a": ea,
                    "eligible_b": eb,
                    "gained": int(m[1:, 0].sum()),
                    "lost": int(m[0, 1:].sum()),
                    "net": eb - ea,
                }
            )
    return ImpactReport(
        a=ca.ruleset.key,
        b=cb.ruleset.key,
        a_hash=ca.content_hash,
        b_hash=cb.content_hash,
        on=day,
        patients=n,
        pathways=common,
        unmatched={
            "a": [p for p in ids_a if p not in common],
            "b": [p for p in ids_b if p not in common],
        },
        same_family=same,
        matrices=matrices,
        breakdown=breakdown,
        movers_by_rule=movers,
        net_referrals_by_region=net,
        by=tuple(g for g in by if g in groups),
    )


def _movers(
    pathway: str,
    ca: CompiledRuleSet,
    cb: CompiledRuleSet,
    req_a: tuple[int, ...],
    req_b: tuple[int, ...],
    same: bool,
    moved: np.ndarray[Any, Any],
    res_a: pa.Table,
    res_b: pa.Table,
) -> list[dict[str, Any]]:
    """Which rules moved the movers (see the module docstring), largest count first."""
    if not len(moved):
        return []
    rows = pa.array(moved)
    rules_a = [ca.rules[i].rule.id for i in req_a]
    rules_b = [cb.rules[i].rule.id for i in req_b]
    matched = [r for r in rules_a if r in rules_b] if same else []
    out: list[dict[str, Any]] = []

    def status(res: pa.Table, rule: str) -> np.ndarray[Any, Any]:
        return _codes(res.column(rule).take(rows))  # the movers' rows only

    for rule in matched:
        cell = status(res_a, rule).astype(np.intp) * 3 + status(res_b, rule)
        counts = np.bincount(cell, minlength=9).reshape(3, 3)
        for i, sa in enumerate(STATUSES):
            for j, sb in enumerate(STATUSES):
                if i != j and counts[i, j]:
                    out.append(
                        {
                            "pathway": pathway,
                            "rule": rule,
                            "side": "both",
                            "status_a": sa,
                            "status_b": sb,
                            "patients": int(counts[i, j]),
                        }
                    )
    for side, rules, res in (("a", rules_a, res_a), ("b", rules_b, res_b)):
        for rule in rules:
            if rule in matched:
                continue
            counts = np.bincount(status(res, rule), minlength=3)
            for i, s in enumerate(STATUSES):
                if i and counts[i]:
                    out.append(
                        {
                            "pathway": pathway,
                            "rule": rule,
                            "side": side,
                            "status_a": s if side == "a" else None,
                            "status_b": s if side == "b" else None,
                            "patients": int(counts[i]),
                        }
                    )
    out.sort(key=lambda r: -int(r["patients"]))
    return out
