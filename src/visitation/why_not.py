"""Why not? The smallest changes to a patient's recorded facts that make a pathway eligible.

    >>> import visitation
    >>> w = visitation.why_not({"age": 70, "prognosis": "weeks"}, "dk-national@1.0.0",
    ...                        "hospice", on="2026-11-23")
    >>> w.verdict, w.suggestions[0].changes[0].fact   # doctest: +SKIP
    ('indeterminate', 'terminal_declared')

A *suggestion* is a set of fact changes (a recorded value changed, or an unrecorded fact
added) after which the pathway is eligible, and no proper subset of its facts, with any
candidate values, makes it eligible: suggestions are the minimal sets of facts, found by
size (one fact, then two, ... up to ``max_changes``). For each set the values are chosen
nearest to what is recorded (the next prognosis word, the smallest number past a
threshold, the fewest set members added or removed, the evaluation date for an unrecorded
screening date).

What is searched (docs/why-not.md says the same):

- **Actionable facts**: the recorded facts (:data:`visitation.FACTS`) the pathway's rules
  read. Not changed: ``birth_date`` and a recorded ``age`` (a patient's age is not a
  matter of the record; an unrecorded age, with no birth date, may be added), the derived
  facts (``reception_wait_days``, computed from two dates), and no recorded fact is ever
  removed (a suggestion records things; it never un-records them).
- **Candidate values**: those of the checker's never-met search
  (:func:`visitation.never_met.candidates`: the boundaries of each literal, every
  vocabulary word, dates just inside and outside each window, sets of the members that
  matter), dates relative to the evaluation date, the current value left out. Values that
  every leaf reading the fact treats alike are tried once.
- **Consistency**: a suggestion never yields facts that :class:`visitation.Patient` or
  :func:`visitation.check_on` refuse (:data:`visitation.CONSISTENCY`): dates after the
  evaluation date are not candidates, and the yes/no fact a date or a proxy depends on
  (``curative_ended`` for ``curative_end_date``, ...) joins the search so that "ended on
  that date" comes with "ended: yes".
- **Bounded**: at most :data:`MAX_TRIALS` trial evaluations per call; past it the search
  stops and says so (:attr:`WhyNot.bounded`), keeping what it found.

Every suggestion is re-evaluated by the compiled program before it is returned.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from pydantic import ValidationError

from visitation._patient_io import validate_patient
from visitation.compile import CompiledRuleSet, evaluate_core
from visitation.conditions import leaves
from visitation.errors import PatientFileError, did_you_mean
from visitation.evaluate import as_date
from visitation.explain import format_value
from visitation.fact_labels import fact_label
from visitation.facts import CONSISTENCY, DERIVATIONS, FACTS, Patient, check_on, facts_of
from visitation.logic import json_value, predicate
from visitation.never_met import TooMany, candidates
from visitation.registry import Library, RuleSpec, default_library
from visitation.ruleset import Leaf

__all__ = ["FIXED", "MAX_CHANGES", "MAX_TRIALS", "FactChange", "Suggestion", "WhyNot", "why_not"]

MAX_TRIALS: Final = 20_000
"""At most this many trial evaluations (combinations of candidate values) per call."""

MAX_CHANGES: Final = 5
"""The largest ``max_changes`` accepted (the search grows with the number of fact sets)."""

FIXED: Final = frozenset({"age", "birth_date"})
"""Recorded facts a suggestion never changes (``age`` may be added when neither is
recorded)."""

_SORTED_UP_TO: Final = 4096
"""Combinations of one set of facts up to this many are tried nearest first (by the sum
of each value's rank); more are tried in order, the first fact's values varying slowest."""

_VERDICTS: Final = {True: "eligible", False: "not_eligible", None: "indeterminate"}


@dataclass(frozen=True, slots=True)
class FactChange:
    """One fact set to a value: ``before`` is the recorded value (None: not recorded)."""

    fact: str
    value: Any
    before: Any = None

    @property
    def added(self) -> bool:
        """True when the fact was not recorded (the change adds it)."""
        return self.before is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "value": json_value(self.value),
            "before": json_value(self.before),
        }

    def words(self, lang: str) -> str:
        """The change as a clause of a sentence in ``lang``."""
        label = fact_label(self.fact, lang)
        w = _WORDS.get(lang, _WORDS["en"])
        if isinstance(self.value, frozenset) and isinstance(self.before, frozenset | None):
            old = self.before or frozenset()
            parts = []
            for key, members in (("add", self.value - old), ("remove", old - self.value)):
                if members:
                    items = ", ".join(sorted(format_value(m, lang) for m in members))
                    parts.append(w[key].format(items=items, label=label))
            if parts:
                return w["and"].join(parts)
        value = format_value(self.value, lang)
        if self.before is None:
            return w["added"].format(label=label, value=value)
        return w["changed"].format(label=label, value=value, before=format_value(self.before, lang))


_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "added": "{label} were recorded as {value}",
        "changed": "{label} were {value} instead of {before}",
        "add": "{items} were added to {label}",
        "remove": "{items} were removed from {label}",
        "and": " and ",
        "sentence": "Eligible for {pathway} if {clauses}.",
        "none": "no change of at most {n} facts makes it eligible",
    },
    "da": {
        "added": "{label} blev registreret som {value}",
        "changed": "{label} var {value} i stedet for {before}",
        "add": "{items} blev tilføjet til {label}",
        "remove": "{items} blev fjernet fra {label}",
        "and": " og ",
        "sentence": "Berettiget til {pathway}, hvis {clauses}.",
        "none": "ingen ændring af højst {n} oplysninger gør patienten berettiget",
    },
}
"""The wording of a suggestion per language (a language without an entry reads English)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A minimal set of fact changes after which the pathway is eligible."""

    changes: tuple[FactChange, ...]
    text: Mapping[str, str]
    """The suggestion as a sentence, per language of the rule set."""

    @property
    def facts(self) -> tuple[str, ...]:
        return tuple(c.fact for c in self.changes)

    def apply(self, patient: Patient | Mapping[str, Any]) -> Patient:
        """The patient with this suggestion's changes applied."""
        base = dict(facts_of(validate_patient(patient)))
        base.update({c.fact: c.value for c in self.changes})
        return Patient.model_validate(base)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes], "text": dict(self.text)}


@dataclass(frozen=True, slots=True)
class WhyNot:
    """The suggestions for one patient and pathway (none when it is eligible already)."""

    ruleset_key: str
    pathway: str
    on: date
    verdict: str
    """The pathway's verdict for the facts as recorded."""
    suggestions: tuple[Suggestion, ...]
    max_changes: int
    bounded: bool = False
    """True when the search stopped at :data:`MAX_TRIALS` (larger sets may be missing)."""
    unreachable: tuple[str, ...] = field(default=())
    """Rules that block the pathway and read no fact a suggestion may change."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset_key,
            "pathway": self.pathway,
            "evaluated_on": self.on.isoformat(),
            "verdict": self.verdict,
            "max_changes": self.max_changes,
            "bounded": self.bounded,
            "unreachable": list(self.unreachable),
            "suggestions": [s.to_dict() for s in self.suggestions],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def _repr_html_(self) -> str:
        """The suggestions as an HTML list, for Jupyter (every text escaped)."""
        lines = self.render().splitlines()
        items = "".join(
            f"<li>{html.escape(line[2:])}</li>" for line in lines[1:] if line[:2] == "- "
        )
        notes = "".join(
            f"<p style='color:#555'>{html.escape(line.strip())}</p>"
            for line in lines[1:]
            if line[:2] != "- "
        )
        return (
            f"<div class='visitation-why-not'><p><b>{html.escape(lines[0])}</b></p>"
            + (f"<ul>{items}</ul>" if items else "")
            + notes
            + "</div>"
        )

    def render(self, lang: str = "en") -> str:
        """The suggestions as plain text lines in ``lang``."""
        head = f"{self.pathway}: {self.verdict} ({self.ruleset_key}, {self.on.isoformat()})"
        if self.verdict == "eligible":
            return head + "\n"
        lines = [
            head,
            *(f"- {s.text.get(lang) or next(iter(s.text.values()))}" for s in self.suggestions),
        ]
        if not self.suggestions:
            words = _WORDS.get(lang, _WORDS["en"])
            lines.append("- " + words["none"].format(n=self.max_changes))
        if self.unreachable:
            lines.append("  (not changeable by a record: " + ", ".join(self.unreachable) + ")")
        if self.bounded:
            lines.append(f"  (search stopped after {MAX_TRIALS} trials)")
        return "\n".join(lines) + "\n"


def why_not(
    patient: Patient | Mapping[str, Any],
    rules: RuleSpec,
    pathway: str,
    *,
    on: date | str,
    lang: str | None = None,
    library: Library | None = None,
    max_changes: int = 3,
) -> WhyNot:
    """The smallest sets of fact changes (at most ``max_changes`` facts each) that make
    ``pathway`` eligible for ``patient`` under ``rules`` on ``on`` (see the module
    docstring). ``lang`` limits the texts to one of the rule set's languages."""
    day = as_date(on)
    if not 1 <= max_changes <= MAX_CHANGES:
        raise ValueError(f"max_changes must be 1 to {MAX_CHANGES}, not {max_changes!r}")
    lib = library or default_library()
    program = lib.resolve(rules, day)
    rs = program.ruleset
    if pathway not in rs.pathways:
        hint = did_you_mean(pathway, list(rs.pathways))
        raise ValueError(
            f"{rs.key} has no pathway '{pathway}'{hint}; pathways: {', '.join(rs.pathways)}"
        )
    if lang is not None and lang not in rs.languages:
        raise ValueError(
            f"{rs.key} has no text in '{lang}'; its languages: {', '.join(rs.languages)}"
        )
    langs = [lang] if lang is not None else list(rs.languages)
    valid = validate_patient(patient)
    problems = check_on(valid, day)
    if problems:
        raise PatientFileError(problems)
    facts = dict(facts_of(valid))
    index = [pid for pid, _ in program.pathways].index(pathway)
    verdict = evaluate_core(program, facts, day).verdicts[index]
    result = WhyNot(rs.key, pathway, day, _VERDICTS[verdict], (), max_changes)
    if verdict is True:
        return result
    search = _Search(program, pathway, facts, day, max_changes)
    found = search.run()
    title = rs.pathways[pathway].title
    suggestions = tuple(
        Suggestion(changes, {lg: _sentence(changes, title.get(lg) or pathway, lg) for lg in langs})
        for changes in found
    )
    return WhyNot(
        rs.key,
        pathway,
        day,
        result.verdict,
        suggestions,
        max_changes,
        search.bounded,
        search.unreachable,
    )


def _sentence(changes: Sequence[FactChange], title: str, lang: str) -> str:
    w = _WORDS.get(lang, _WORDS["en"])
    clauses = w["and"].join(c.words(lang) for c in changes)
    return w["sentence"].format(pathway=title, clauses=clauses)


def _depends_on(fact: str) -> set[str]:
    """The recorded facts a leaf on ``fact`` depends on (a derived fact's inputs too)."""
    out = {fact} if fact in FACTS else set()
    if fact in DERIVATIONS:
        out.update(DERIVATIONS[fact].inputs)
    return out


def _distance(value: Any, current: Any, day: date, fact: str) -> int:
    """How far a candidate is from the recorded value (or, unrecorded, from a plain start)."""
    spec = FACTS[fact]
    if spec.kind == "int":
        return abs(int(value) - (0 if current is None else int(current)))
    if spec.kind == "date":
        start: date = day if current is None else current
        days: int = (value - start).days
        return abs(days)
    if spec.kind == "enum":
        words = list(spec.vocabulary)
        at = words.index(json_value(value))
        return at if current is None else abs(at - words.index(json_value(current)))
    if spec.kind == "set":
        return len(value ^ (current or frozenset()))
    return 0


class _Search:
    """The bounded search of one call (see the module docstring)."""

    def __init__(
        self,
        program: CompiledRuleSet,
        pathway: str,
        facts: dict[str, Any],
        day: date,
        max_changes: int,
    ) -> None:
        self.program = program
        self.facts = facts
        self.day = day
        self.max_changes = max_changes
        self.bounded = False
        self.trials = 0
        defs = program.ruleset.definitions
        self.index = [pid for pid, _ in program.pathways].index(pathway)
        required = program.pathways[self.index][1]
        self.rules = [program.rules[i] for i in required]
        statuses = [cr.test(facts, day) for cr in self.rules]
        self.leaves: list[list[Leaf]] = [leaves(cr.rule.when, defs) for cr in self.rules]
        self.deps = [set().union(*(_depends_on(lf.fact) for lf in ls)) for ls in self.leaves]
        by_fact: dict[str, list[Leaf]] = {}
        for ls in self.leaves:
            for lf in ls:
                if self._actionable(lf.fact):
                    by_fact.setdefault(lf.fact, []).append(lf)
        for rule in CONSISTENCY:  # a date or a proxy brings the yes/no fact it depends on
            if rule.kind == "excludes" and rule.second in by_fact:
                by_fact.setdefault(rule.first, [])
        self.domains = {f: self._domain(f, ls) for f, ls in by_fact.items()}
        self.pool = [f for f in by_fact if self.domains[f]]
        blocking = [i for i, s in enumerate(statuses) if s is not True]
        self.need = [self.deps[i] & set(self.pool) for i in blocking]
        self.unreachable = tuple(
            self.rules[i].rule.id for i, n in zip(blocking, self.need, strict=True) if not n
        )

    def _actionable(self, fact: str) -> bool:
        if fact not in FACTS:
            return False  # derived, never recorded itself
        if fact in FIXED:
            return (
                fact == "age"
                and self.facts.get("age") is None
                and (self.facts.get("birth_date") is None)
            )
        return True

    def _domain(self, fact: str, leaves_: list[Leaf]) -> list[Any]:
        """The candidate values of a fact, one per way the leaves see them, nearest first."""
        current = self.facts.get(fact)
        try:
            values = candidates(fact, leaves_, self.day)
        except TooMany:
            self.bounded = True
            return []
        dated = [r for r in CONSISTENCY if r.kind == "not-after-on" and r.first == fact]
        values = [
            v
            for v in values
            if v is not None
            and v != current
            and not any(r.problem({fact: v}, self.day) for r in dated)
        ]
        values.sort(key=lambda v: _distance(v, current, self.day, fact))
        if not leaves_:
            return values
        preds = [predicate(lf) for lf in leaves_]
        seen: set[tuple[bool, ...]] = set()
        out = []
        for v in values:
            sig = tuple(p(v, self.day) for p in preds)
            if sig not in seen:
                seen.add(sig)
                out.append(v)
        return out

    def run(self) -> list[tuple[FactChange, ...]]:
        if any(not n for n in self.need):
            return []  # a blocking rule no change can reach
        found: list[frozenset[str]] = []
        out: list[tuple[FactChange, ...]] = []
        for k in range(1, self.max_changes + 1):
            for combo in itertools.combinations(self.pool, k):
                chosen = frozenset(combo)
                if any(f <= chosen for f in found) or not all(chosen & n for n in self.need):
                    continue
                hit = self._first(combo)
                if self.bounded:
                    return out
                if hit is not None:
                    found.append(chosen)
                    out.append(hit)
        return out

    def _first(self, combo: tuple[str, ...]) -> tuple[FactChange, ...] | None:
        """The nearest values of the facts ``combo`` that make the pathway eligible."""
        touched = [cr.test for cr, d in zip(self.rules, self.deps, strict=True) if d & set(combo)]
        domains = [self.domains[f] for f in combo]
        combos = itertools.product(*(range(len(d)) for d in domains))
        size = 1
        for d in domains:
            size *= len(d)
        ranked = sorted(combos, key=sum) if size <= _SORTED_UP_TO else combos
        for ranks in ranked:
            if self.trials >= MAX_TRIALS:
                self.bounded = True
                return None
            self.trials += 1
            values = [d[r] for d, r in zip(domains, ranks, strict=True)]
            trial = {**self.facts, **dict(zip(combo, values, strict=True))}
            if not all(t(trial, self.day) is True for t in touched):
                continue
            if not self._consistent(trial):
                continue
            if evaluate_core(self.program, trial, self.day).verdicts[self.index] is not True:
                continue  # pragma: no cover - the touched rules decide; this re-checks them
            return tuple(
                FactChange(f, v, self.facts.get(f)) for f, v in zip(combo, values, strict=True)
            )
        return None

    def _consistent(self, trial: dict[str, Any]) -> bool:
        try:
            patient = Patient.model_validate(trial)
        except (ValidationError, ValueError):
            return False
        return not check_on(patient, self.day)
