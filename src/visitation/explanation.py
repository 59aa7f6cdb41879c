"""The explanation stage: what evaluation recorded → an Assessment with its texts.

Evaluation (:func:`visitation.compile.evaluate_core`, one call of the compiled rule set)
records every rule's truth, every pathway's verdict and each indeterminate pathway's
missing facts. This stage turns that record into an :class:`Assessment`: per rule its
status, its explanation in each language (the rule file's template with ``{fact}``
filled in by :func:`visitation.explain.format_value`), the evidence (recorded facts it
used, as JSON values) and, when unknown, its missing facts; per pathway its verdict,
blocking rules and missing facts.

An :class:`Explainer` is built once per compiled rule set and language choice: titles,
citations and split templates are prepared then, so that explaining one patient builds
only what the result holds. With ``memo=True`` (as :class:`visitation.Library` makes
them) it keeps, per rule, the results of the last :data:`MEMO_SIZE` combinations of the
values that rule depends on: a result is a pure function of exactly those values (and of
the date, for a rule that depends on it), so a memoised result equals a fresh one, and
Assessments share the same read-only objects (see :mod:`visitation._frozen`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import date
from operator import itemgetter
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from visitation._frozen import FrozenDict, FrozenList
from visitation._version import __version__
from visitation.assessment import (
    Assessment,
    PathwayResult,
    Readiness,
    RuleResult,
    RuleStatus,
    SourceCitation,
    Verdict,
)
from visitation.compile import CompiledRule, CompiledRuleSet, CoreResult
from visitation.conditions import leaves
from visitation.explain import format_value
from visitation.facts import DERIVATIONS, FACTS
from visitation.logic import Facts, Truth, fact_value, json_value, kleene_all
from visitation.ruleset import PLACEHOLDER, Rule, Source, per_language

__all__ = ["EVALUATOR", "MEMO_SIZE", "Explainer", "explain"]

M = TypeVar("M", bound=BaseModel)

EVALUATOR: Final = f"visitation {__version__}"
"""Recorded in every Assessment, so an auditor knows which evaluator gave the verdict."""

MEMO_SIZE: Final = 256
"""Results kept per rule (and per pathway) by a memoising explainer; the oldest go first."""

_STATUS: Final[Mapping[Truth, RuleStatus]] = {True: "met", False: "not_met", None: "unknown"}
_READINESS: Final[Mapping[Truth, Readiness]] = {
    True: "ready",
    False: "not_ready",
    None: "unknown",
}
_VERDICT: Final[Mapping[Truth, Verdict]] = {
    True: "eligible",
    False: "not_eligible",
    None: "indeterminate",
}


def explain(
    program: CompiledRuleSet, facts: Facts, on: date, core: CoreResult, lang: str | None
) -> Assessment:
    """The Assessment for what evaluation recorded (no memo: a pure function)."""
    return Explainer(program, lang).assess(facts, on, core)


class Explainer:
    """Prepared once per compiled rule set and language choice; see the module docstring."""

    __slots__ = ("_header", "indicators", "langs", "pathways", "program", "rules")

    def __init__(self, program: CompiledRuleSet, lang: str | None, *, memo: bool = False) -> None:
        rs = program.ruleset
        if lang is not None and lang not in rs.languages:
            raise ValueError(
                f"{rs.key} has no language '{lang}'; languages: {', '.join(rs.languages)}"
            )
        langs = [lang] if lang is not None else list(rs.languages)
        self.program = program
        self.langs = langs
        sources = {s.id: s for s in rs.sources}
        self.rules = tuple(
            _RuleExplainer(r, rs.definitions, sources, langs, memo) for r in program.rules
        )
        self.indicators = tuple(
            _RuleExplainer(r, rs.definitions, sources, langs, memo) for r in program.indicators
        )
        self.pathways = tuple(
            _PathwayExplainer(pid, required, documents, program, langs, memo)
            for (pid, required), documents in zip(
                program.pathways, program.documentation, strict=True
            )
        )
        self._header: dict[str, Any] = {
            "family": rs.family,
            "version": rs.version,
            "status": rs.status,
            "title": {k: rs.title[k] for k in langs},
            "content_hash": program.content_hash,
            "evaluator": EVALUATOR,
            "effective_from": rs.effective_from,
            "effective_until": rs.effective_until,
            "languages": langs,
        }

    def assess(self, facts: Facts, on: date, core: CoreResult) -> Assessment:
        """The Assessment of one patient: ``facts`` is the complete fact mapping of a
        validated Patient (:func:`visitation.facts_of`), ``core`` what evaluation recorded."""
        statuses = core.statuses
        return _construct(
            Assessment,
            {
                **self._header,
                "title": dict(self._header["title"]),
                "languages": list(self.langs),
                "evaluated_on": on,
                "in_force": self.program.ruleset.in_force_on(on),
                "pathways": [
                    p.result(statuses, v, m)
                    for p, v, m in zip(self.pathways, core.verdicts, core.missing, strict=True)
                ],
                "rules": [
                    r.result(facts, on, t) for r, t in zip(self.rules, statuses, strict=True)
                ],
                "indicators": [r.result(facts, on, None, test=True) for r in self.indicators],
            },
        )


def _construct(cls: type[M], values: dict[str, Any]) -> M:
    """A result model from values this module made to fit it, without a validation pass.

    Every field is given, in the model's own types (read-only containers where the model
    makes them), so the object is the one validation would make: the same fields, equal,
    serialising alike. ``tests/test_explanation.py`` checks exactly that for every kind of
    result, so this cannot drift from the models. (pydantic's ``model_construct`` does the
    same with more generality and took most of the explanation's time.)
    """
    model = cls.__new__(cls)
    _set(model, "__dict__", {name: values[name] for name in _ORDER[cls]})  # serialising order
    _set(model, "__pydantic_fields_set__", _FIELDS[cls])
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_set = object.__setattr__


_ORDER: Final[Mapping[type[BaseModel], tuple[str, ...]]] = {
    m: tuple(m.model_fields) for m in (Assessment, RuleResult, PathwayResult)
}
_FIELDS: Final[Mapping[type[BaseModel], set[str]]] = {m: set(f) for m, f in _ORDER.items()}


def _key_getter(names: Sequence[str]) -> Callable[[Facts], tuple[Any, ...]]:
    """The values of ``names`` as a hashable tuple (a list of scores becomes a tuple)."""
    lists = [i for i, n in enumerate(names) if FACTS[n].kind == "scores"]
    if not names:
        return lambda facts: ()
    get = itemgetter(*names)
    if len(names) == 1:
        if lists:
            return lambda facts: (None if (v := get(facts)) is None else tuple(v),)
        return lambda facts: (get(facts),)
    if not lists:
        return get

    def key(facts: Facts) -> tuple[Any, ...]:
        values = list(get(facts))
        for i in lists:
            if values[i] is not None:
                values[i] = tuple(values[i])
        return tuple(values)

    return key


class _RuleExplainer:
    """One rule's RuleResult from the values of the facts it depends on."""

    __slots__ = (
        "_evidence", "_fixed", "_rule", "_static", "_templates", "dated", "key", "memo", "names",
    )  # fmt: skip

    def __init__(
        self,
        rule: CompiledRule,
        definitions: Mapping[str, Any],
        sources: Mapping[str, Source],
        langs: list[str],
        memo: bool,
    ) -> None:
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
        self.names = tuple(names)
        self.key = _key_getter(self.names)
        self.memo: dict[Any, RuleResult] | None = {} if memo else None
        self.dated = (
            any(d.dated for d in derived)
            or "on" in placeholders
            or any(leaf.operator == "within_days" for leaf in leaves(r.when, definitions))
        )
        """Whether the result depends on the evaluation date, which then joins the key."""
        self._fixed: dict[str, Any] = {
            "id": r.id,
            "group": r.group,
            "title": FrozenDict({k: r.title[k] for k in langs}),
            "source": _citation(r, sources, langs),
            "provenance": r.provenance,
            "rationale": None
            if r.rationale is None
            else FrozenDict(per_language(r.rationale, langs)),
        }
        self._templates = {
            truth: [(k, PLACEHOLDER.split(getattr(r.explain, status)[k])) for k in langs]
            for truth, status in _STATUS.items()
        }
        """Truth → [(language, the template split into text, placeholder, text, …)]."""
        self._evidence = tuple(
            (
                name,
                DERIVATIONS[name].inputs if name in DERIVATIONS else (),
                name in FACTS and FACTS[name].kind in ("bool", "int", "text"),
            )
            for name in rule.facts
        )
        """(fact, inputs when derived, whether its value is already its JSON form)."""
        self._static: dict[Truth, FrozenDict[str, str] | None] = {
            truth: (
                FrozenDict({k: parts[0] for k, parts in split})
                if all(len(parts) == 1 for _, parts in split)
                else None
            )
            for truth, split in self._templates.items()
        }
        """Truth → the explanation when its templates have no placeholders (shared)."""

    def result(self, facts: Facts, on: date, truth: Truth, *, test: bool = False) -> RuleResult:
        """The result for these facts; ``truth`` is the rule's recorded truth (or, with
        ``test``, computed here: indicators are not part of the verdict pass)."""
        memo = self.memo
        if memo is None:
            return self._build(facts, on, self._rule.test(facts, on) if test else truth)
        values = self.key(facts)
        key = (on, values) if self.dated else values
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._build(facts, on, self._rule.test(facts, on) if test else truth)
            if len(memo) > MEMO_SIZE:
                with suppress(KeyError, RuntimeError, StopIteration):  # another thread was first
                    del memo[next(iter(memo))]
        return hit

    def _build(self, facts: Facts, on: date, truth: Truth) -> RuleResult:
        fixed = self._fixed
        explanation = self._static[truth]
        if explanation is None:  # the template has placeholders: fill them in
            explanation = FrozenDict(
                {k: _fill(parts, facts, on, k) for k, parts in self._templates[truth]}
            )
        missing = _NO_MISSING if truth is not None else FrozenList(self._rule.missing(facts, on))
        model = RuleResult.__new__(RuleResult)
        _set(  # every field, in the model's order (see _construct)
            model,
            "__dict__",
            {
                "id": fixed["id"],
                "group": fixed["group"],
                "title": fixed["title"],
                "status": _STATUS[truth],
                "explanation": explanation,
                "evidence": self._evidence_of(facts, on),
                "missing": missing,
                "source": fixed["source"],
                "provenance": fixed["provenance"],
                "rationale": fixed["rationale"],
            },
        )
        _set(model, "__pydantic_fields_set__", _FIELDS[RuleResult])
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model

    def _evidence_of(self, facts: Facts, on: date) -> FrozenDict[str, Any]:
        """Recorded facts the rule refers to, as JSON values; a derived fact names its inputs."""
        evidence: dict[str, Any] = {}
        get = facts.get
        for name, inputs, plain in self._evidence:
            value = get(name)
            if value is None and inputs:  # derived: computed, and its recorded inputs named
                value = fact_value(facts, name, on)
                if value is not None:
                    evidence[name] = value if plain else _evidence_value(value)
                for source in inputs:
                    recorded = get(source)
                    if recorded is not None:
                        evidence[source] = _evidence_value(recorded)
            elif value is not None:
                evidence[name] = value if plain else _evidence_value(value)
        return FrozenDict(evidence)


_NO_MISSING: Final = FrozenList[str]()
"""The missing facts of a definite result: none (one shared, read-only empty list)."""


def _evidence_value(value: Any) -> Any:
    out = json_value(value)
    return FrozenList(out) if isinstance(out, list) else out


def _fill(parts: list[str], facts: Facts, on: date, lang: str) -> str:
    """A template split by ``PLACEHOLDER.split`` with each ``{fact}`` (or ``{on}``) filled in."""
    if len(parts) == 1:
        return parts[0]
    out = parts[:]
    for i in range(1, len(parts), 2):
        name = parts[i]
        out[i] = on.isoformat() if name == "on" else format_value(fact_value(facts, name, on), lang)
    return "".join(out)


def _citation(rule: Rule, sources: Mapping[str, Source], langs: list[str]) -> SourceCitation:
    src = sources[rule.source.ref]
    return SourceCitation(
        ref=src.id, section=per_language(rule.source.section, langs), title=src.title,
        publisher=per_language(src.publisher, langs), url=src.url, seed=src.seed,
    )  # fmt: skip


class _PathwayExplainer:
    """One pathway's PathwayResult from its rules' statuses and missing facts."""

    __slots__ = ("_documents", "_fixed", "_required", "get", "memo", "rule_ids")

    def __init__(
        self,
        pid: str,
        required: tuple[int, ...],
        documents: tuple[int, ...],
        program: CompiledRuleSet,
        langs: list[str],
        memo: bool,
    ) -> None:
        self.rule_ids = [program.rules[i].rule.id for i in required]
        self._required = required
        self._documents = [(i, program.rules[i].rule.id) for i in documents]
        self._fixed = {
            "id": pid,
            "title": FrozenDict({k: program.ruleset.pathways[pid].title[k] for k in langs}),
            "rules": FrozenList(self.rule_ids),
        }
        keyed = (*required, *documents)
        self.get: Callable[[Sequence[Truth]], Any] = (
            itemgetter(*keyed) if keyed else (lambda statuses: ())
        )
        self.memo: dict[Any, PathwayResult] | None = {} if memo else None

    def result(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        """The result for the recorded statuses and verdict (the verdict follows from the
        required statuses, which with the missing facts are the memo key)."""
        memo = self.memo
        if memo is None:
            return self._build(statuses, verdict, missing)
        key = (self.get(statuses), tuple(missing))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._build(statuses, verdict, missing)
            if len(memo) > MEMO_SIZE:
                with suppress(KeyError, RuntimeError, StopIteration):
                    del memo[next(iter(memo))]
        return hit

    def _build(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        blocking = [
            rid
            for rid, i in zip(self.rule_ids, self._required, strict=True)
            if statuses[i] is False
        ]
        ready = kleene_all(statuses[i] for i, _ in self._documents)
        todo = [rid for i, rid in self._documents if statuses[i] is not True]
        return _construct(
            PathwayResult,
            {
                **self._fixed,
                "verdict": _VERDICT[verdict],
                "blocking": FrozenList(blocking),
                "missing": FrozenList(missing),
                "referral": _READINESS[ready],
                "todo": FrozenList(todo),
            },
        )
