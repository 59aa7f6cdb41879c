"""``evaluate(patient, rules, on)``: a pure function from facts to an Assessment.

No clock is read and nothing is written: the evaluation date is an argument and is
recorded in the result. The rule set is compiled once and cached by content hash.

Speed (docs/performance.md): :func:`evaluate_core` is one call of the rule set's generated
``core`` function (:mod:`visitation.compile`). :func:`assess` builds each rule's
:class:`RuleResult` from the values of the facts that rule reads (its conditions, its
explanation placeholders, the birth date behind a derived age), and the date when the
rule depends on it. The result is a pure function of exactly those values, so it is
memoised per compiled rule set and language choice (first in, first out, at most
:data:`_MEMO_SIZE` per rule), and Assessments with the same values share the same frozen
object. That is safe because those results are read-only: the models are frozen and
their dicts and lists are :mod:`visitation._frozen` containers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import date
from operator import itemgetter
from typing import Any

from visitation._patient_io import validate_patient
from visitation._version import __version__
from visitation.assessment import (
    Assessment,
    PathwayResult,
    RuleResult,
    RuleStatus,
    SourceCitation,
    Verdict,
)
from visitation.check import PLACEHOLDER
from visitation.compile import CompiledRule, CompiledRuleSet, CoreResult
from visitation.explain import format_value
from visitation.facts import DERIVATIONS, FACTS, Patient
from visitation.logic import Facts, Truth, fact_value, json_value, leaves
from visitation.registry import RuleSpec, resolve
from visitation.ruleset import Rule, RuleSet, Source

__all__ = ["CoreResult", "evaluate", "evaluate_core"]

EVALUATOR = f"visitation {__version__}"
"""Recorded in every Assessment, so an auditor knows which evaluator gave the verdict."""

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


def evaluate_core(compiled: CompiledRuleSet, facts: Facts, on: date) -> CoreResult:
    """Rule statuses (True/False/None), pathway verdicts and each pathway's missing facts."""
    return compiled.core(facts, on)


def assess(compiled: CompiledRuleSet, facts: Facts, on: date, lang: str | None) -> Assessment:
    """The full Assessment for validated facts (``Patient.__dict__``)."""
    ex = compiled.memo.get(("explainer", lang))
    if ex is None:
        ex = compiled.memo[("explainer", lang)] = _Explainer(compiled, lang)
    core = compiled.core(facts, on)
    rs = compiled.ruleset
    return Assessment(
        family=rs.family,
        version=rs.version,
        status=rs.status,
        title=ex.title,
        content_hash=compiled.content_hash,
        evaluated_on=on,
        in_force=rs.in_force_on(on),
        evaluator=EVALUATOR,
        effective_from=rs.effective_from,
        effective_until=rs.effective_until,
        languages=ex.langs,
        pathways=[
            p.result(core.statuses, v, m)
            for p, v, m in zip(ex.pathways, core.verdicts, core.missing, strict=True)
        ],
        rules=_results(ex.rules, facts, on),
        indicators=_results(ex.indicators, facts, on),
    )


def _results(rules: Sequence[_RuleExplainer], facts: Facts, on: date) -> list[RuleResult]:
    """Each rule's result: from the memo when its key is there (this loop is the hot path)."""
    out = []
    try:
        for r in rules:
            values = r.get(facts)
            hit = r.memo.get((on, values) if r.dated else values)
            out.append(r.result(facts, on) if hit is None else hit)
    except (KeyError, TypeError):  # a partial mapping or an unhashable value: the slow way
        return [r.result(facts, on) for r in rules]
    return out


_MEMO_SIZE = 256
"""Results kept per rule (and per pathway) and language choice; the oldest go first."""


class _Explainer:
    """What :func:`assess` needs for one compiled rule set and language choice."""

    __slots__ = ("indicators", "langs", "pathways", "rules", "title")

    def __init__(self, compiled: CompiledRuleSet, lang: str | None) -> None:
        rs = compiled.ruleset
        if lang is not None and lang not in rs.languages:
            raise ValueError(
                f"{rs.key} has no language '{lang}'; languages: {', '.join(rs.languages)}"
            )
        langs = [lang] if lang is not None else list(rs.languages)
        self.langs = langs
        self.title = {k: rs.title[k] for k in langs}
        self.rules = tuple(_RuleExplainer(r, rs, langs) for r in compiled.rules)
        self.indicators = tuple(_RuleExplainer(r, rs, langs) for r in compiled.indicators)
        self.pathways = tuple(
            _PathwayExplainer(pid, required, compiled, langs) for pid, required in compiled.pathways
        )


class _RuleExplainer:
    """Builds one rule's RuleResult from the values of the facts it depends on, memoised."""

    __slots__ = ("_names", "_rule", "_source", "_templates", "dated", "get", "memo", "title")

    def __init__(self, rule: CompiledRule, rs: RuleSet, langs: list[str]) -> None:
        r = rule.rule
        placeholders = [
            name
            for texts in (r.explain.met, r.explain.not_met, r.explain.unknown)
            for k in langs
            for name in PLACEHOLDER.findall(texts[k])
        ]
        names = list(dict.fromkeys([*rule.facts, *(p for p in placeholders if p != "on")]))
        derived = [DERIVATIONS[n] for n in names if n in DERIVATIONS]
        for d in derived:  # a derived fact reads its inputs (and perhaps the date)
            names.extend(i for i in d.inputs if i not in names)
        names = [n for n in names if n in FACTS]  # a derived-only fact is read via its inputs
        self._rule = rule
        self._names = tuple(names)
        self.get: Callable[[Facts], Any] = itemgetter(*names)
        self.memo: dict[Any, RuleResult] = {}
        self.dated = (
            any(d.dated for d in derived)
            or "on" in placeholders
            or any(leaf.operator == "within_days" for leaf in leaves(r.when, rs.definitions))
        )
        """Whether the result depends on the evaluation date, which then joins the key."""
        self.title = {k: r.title[k] for k in langs}
        self._source = _citation(r, {s.id: s for s in rs.sources})
        self._templates = {
            status: {k: PLACEHOLDER.split(getattr(r.explain, status)[k]) for k in langs}
            for status in _STATUS.values()
        }
        """Status → language → the template split into text, placeholder, text, …"""

    def result(self, facts: Facts, on: date) -> RuleResult:
        try:
            values = self.get(facts)
        except KeyError:  # a partial mapping, not Patient.__dict__
            values = itemgetter(*self._names)({n: facts.get(n) for n in self._names})
        key = (on, values) if self.dated else values
        memo = self.memo
        try:
            hit = memo.get(key)
        except TypeError:  # an unhashable value (a list of scores): no memo
            return self._build(values, on)
        if hit is None:
            hit = memo[key] = self._build(values, on)
            _bound(memo)
        return hit

    def _build(self, values: Any, on: date) -> RuleResult:
        """The result from the key values alone (so the memo can never be stale)."""
        names = self._names
        facts = dict(zip(names, values if len(names) > 1 else (values,), strict=True))
        rule = self._rule
        r = rule.rule
        truth = rule.test(facts, on)
        status = _STATUS[truth]
        return RuleResult(
            id=r.id,
            group=r.group,
            title=self.title,
            status=status,
            explanation={
                k: _fill(parts, facts, on, k) for k, parts in self._templates[status].items()
            },
            evidence=_evidence(rule, facts, on),
            missing=[] if truth is not None else rule.missing(facts, on),
            source=self._source,
            provenance=r.provenance,
            rationale=r.rationale,
        )


def _fill(parts: list[str], facts: Facts, on: date, lang: str) -> str:
    """A template split by ``PLACEHOLDER.split`` with each ``{fact}`` (or ``{on}``) filled in."""
    if len(parts) == 1:
        return parts[0]
    out = parts[:]
    for i in range(1, len(parts), 2):
        name = parts[i]
        out[i] = on.isoformat() if name == "on" else format_value(fact_value(facts, name, on), lang)
    return "".join(out)


def _citation(rule: Rule, sources: Mapping[str, Source]) -> SourceCitation:
    src = sources[rule.source.ref]
    return SourceCitation(
        ref=src.id, section=rule.source.section, title=src.title,
        publisher=src.publisher, url=src.url, seed=src.seed,
    )  # fmt: skip


class _PathwayExplainer:
    """Builds one pathway's PathwayResult from its rules' statuses and missing facts, memoised."""

    __slots__ = ("_required", "get", "id", "memo", "rule_ids", "title")

    def __init__(
        self, pid: str, required: tuple[int, ...], compiled: CompiledRuleSet, langs: list[str]
    ) -> None:
        self.id = pid
        self.title = {k: compiled.ruleset.pathways[pid].title[k] for k in langs}
        self.rule_ids = [compiled.rules[i].rule.id for i in required]
        self._required = required
        self.get: Callable[[Sequence[Truth]], Any] = (
            itemgetter(*required) if required else (lambda statuses: ())
        )
        self.memo: dict[Any, PathwayResult] = {}

    def result(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        """The result for the core's statuses and verdict (the verdict follows from the
        required statuses, which are the memo key)."""
        key = (self.get(statuses), tuple(missing))
        memo = self.memo
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._build(statuses, verdict, missing)
            _bound(memo)
        return hit

    def _build(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        required = [statuses[i] for i in self._required]
        return PathwayResult(
            id=self.id,
            title=self.title,
            verdict=_VERDICT[verdict],
            rules=self.rule_ids,
            blocking=[rid for rid, s in zip(self.rule_ids, required, strict=True) if s is False],
            missing=missing,
        )


def _bound(memo: dict[Any, Any]) -> None:
    """Forget the oldest entry of a full memo."""
    if len(memo) > _MEMO_SIZE:
        # another thread may have got there first
        with suppress(KeyError, RuntimeError, StopIteration):
            del memo[next(iter(memo))]


def _evidence(rule: CompiledRule, facts: Facts, on: date) -> dict[str, Any]:
    """Recorded facts the rule refers to, as JSON values; a derived fact names its inputs."""
    evidence: dict[str, Any] = {}
    for name in rule.facts:
        value = fact_value(facts, name, on)
        if value is not None:
            evidence[name] = json_value(value)
        if name in DERIVATIONS and facts.get(name) is None:  # derived: its recorded inputs
            for source in DERIVATIONS[name].inputs:
                if facts.get(source) is not None:
                    evidence[source] = json_value(facts[source])
    return evidence
