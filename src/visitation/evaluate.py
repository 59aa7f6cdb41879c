"""``evaluate(patient, rules, on)``: a pure function from facts to an Assessment.

No clock is read and nothing is written: the evaluation date is an argument and is
recorded in the result. The rule set is compiled once and cached by content hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from visitation._patient_io import validate_patient
from visitation.assessment import (
    Assessment,
    PathwayResult,
    RuleResult,
    RuleStatus,
    SourceCitation,
    Verdict,
)
from visitation.compile import CompiledRule, CompiledRuleSet
from visitation.explain import render_template
from visitation.facts import Patient
from visitation.logic import Facts, Truth, fact_value, interpret, json_value
from visitation.registry import RuleSpec, resolve

__all__ = ["CoreResult", "evaluate", "evaluate_core"]

_STATUS: dict[Truth, RuleStatus] = {True: "met", False: "not_met", None: "unknown"}
_VERDICT: dict[Truth, Verdict] = {True: "eligible", False: "not_eligible", None: "indeterminate"}


def _as_date(on: date | str) -> date:
    if isinstance(on, date):
        return on
    try:
        return date.fromisoformat(on)
    except (TypeError, ValueError):
        raise ValueError(f"evaluation date must be a date or 'YYYY-MM-DD', not {on!r}") from None


def evaluate(
    patient: Patient | Mapping[str, Any],
    rules: RuleSpec = "dk-national",
    *,
    on: date | str,
    lang: str | None = None,
) -> Assessment:
    """Evaluate one patient against a rule set on a date.

    ``rules`` is a family (the version in force on ``on``), ``family@version``, a path to a
    rule file, a RuleSet or a compiled rule set. ``lang`` limits the explanations to one of
    the file's languages; by default every declared language is included.
    """
    day = _as_date(on)
    compiled = resolve(rules, day)
    facts = validate_patient(patient).__dict__
    return assess(compiled, facts, day, lang)


class CoreResult:
    """Statuses, verdicts and missing facts without explanation text (the fast path)."""

    __slots__ = ("missing", "statuses", "verdicts")

    def __init__(
        self, statuses: list[Truth], verdicts: list[Truth], missing: list[list[str]]
    ) -> None:
        self.statuses = statuses
        self.verdicts = verdicts
        self.missing = missing


def evaluate_core(compiled: CompiledRuleSet, facts: Facts, on: date) -> CoreResult:
    """Rule statuses (True/False/None), pathway verdicts and each pathway's missing facts."""
    statuses = compiled.statuses(facts, on)
    verdicts = compiled.verdicts(statuses)
    missing: list[list[str]] = []
    for (_, required), verdict in zip(compiled.pathways, verdicts, strict=True):
        if verdict is None:
            missing.append(_pathway_missing(compiled, required, statuses, facts, on))
        else:
            missing.append([])
    return CoreResult(statuses, verdicts, missing)


def _rule_missing(
    compiled: CompiledRuleSet, rule: CompiledRule, facts: Facts, on: date
) -> list[str]:
    return interpret(rule.rule.when, facts, on, compiled.ruleset.definitions)[1]


def _pathway_missing(
    compiled: CompiledRuleSet,
    required: Sequence[int],
    statuses: Sequence[Truth],
    facts: Facts,
    on: date,
) -> list[str]:
    """Missing facts of the unknown required rules, in rule order (the clinician's order)."""
    ordered: dict[str, None] = {}
    for i in required:
        if statuses[i] is None:
            for f in _rule_missing(compiled, compiled.rules[i], facts, on):
                ordered.setdefault(f)
    return list(ordered)


def assess(compiled: CompiledRuleSet, facts: Facts, on: date, lang: str | None) -> Assessment:
    """The full Assessment for validated facts."""
    rs = compiled.ruleset
    if lang is not None and lang not in rs.languages:
        raise ValueError(f"{rs.key} has no language '{lang}'; languages: {', '.join(rs.languages)}")
    langs = [lang] if lang is not None else list(rs.languages)
    sources = {s.id: s for s in rs.sources}
    core = evaluate_core(compiled, facts, on)

    def result(rule: CompiledRule, truth: Truth) -> RuleResult:
        r = rule.rule
        status = _STATUS[truth]
        templates = getattr(r.explain, status)
        src = sources[r.source.ref]
        return RuleResult(
            id=r.id,
            group=r.group,
            title={k: r.title[k] for k in langs},
            status=status,
            explanation={k: render_template(templates[k], facts, on, k) for k in langs},
            evidence=_evidence(rule, facts, on),
            missing=[] if truth is not None else _rule_missing(compiled, rule, facts, on),
            source=SourceCitation(
                ref=src.id, section=r.source.section, title=src.title,
                publisher=src.publisher, url=src.url, seed=src.seed,
            ),
            provenance=r.provenance,
            rationale=r.rationale,
        )  # fmt: skip

    rules = [result(r, s) for r, s in zip(compiled.rules, core.statuses, strict=True)]
    indicators = [result(r, r.test(facts, on)) for r in compiled.indicators]
    pathways = []
    for (pid, required), verdict, missing in zip(
        compiled.pathways, core.verdicts, core.missing, strict=True
    ):
        p = rs.pathways[pid]
        pathways.append(
            PathwayResult(
                id=pid,
                title={k: p.title[k] for k in langs},
                verdict=_VERDICT[verdict],
                rules=[compiled.rules[i].rule.id for i in required],
                blocking=[compiled.rules[i].rule.id for i in required if core.statuses[i] is False],
                missing=missing,
            )
        )
    return Assessment(
        family=rs.family,
        version=rs.version,
        status=rs.status,
        title={k: rs.title[k] for k in langs},
        content_hash=compiled.content_hash,
        evaluated_on=on,
        in_force=rs.in_force_on(on),
        effective_from=rs.effective_from,
        effective_until=rs.effective_until,
        languages=langs,
        pathways=pathways,
        rules=rules,
        indicators=indicators,
    )


def _evidence(rule: CompiledRule, facts: Facts, on: date) -> dict[str, Any]:
    """Recorded facts the rule refers to, as JSON values; a derived age names its birth date."""
    evidence: dict[str, Any] = {}
    for name in rule.facts:
        value = fact_value(facts, name, on)
        if value is not None:
            evidence[name] = json_value(value)
            if name == "age" and facts.get("age") is None:
                evidence["birth_date"] = json_value(facts.get("birth_date"))
    return evidence
