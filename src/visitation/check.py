"""Static checks of a rule file beyond its schema, each with a stable code and a location.

The codes are members of :class:`visitation.errors.Code` (section "check" of
docs/error-codes.md, generated from it).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from visitation._yaml import YamlDocument
from visitation.errors import Code, Diagnostic, Related, did_you_mean, suggest
from visitation.facts import RULE_FACTS, FactKind
from visitation.logic import Truth, _literal, fact_value, kleene_all, kleene_any, leaves, predicate
from visitation.ruleset import (
    AllOf,
    AnyOf,
    AtLeastNOf,
    Condition,
    Leaf,
    Not,
    Rule,
    RuleSet,
    Use,
)

__all__ = ["OPERATORS_BY_KIND", "PLACEHOLDER", "check_parts", "check_ruleset"]

Loc = tuple[str | int, ...]

OPERATORS_BY_KIND: dict[FactKind, frozenset[str]] = {
    "bool": frozenset({"is", "equals", "not_equals", "recorded"}),
    "int": frozenset(
        {
            "equals",
            "not_equals",
            "in",
            "not_in",
            "at_least",
            "at_most",
            "greater_than",
            "less_than",
            "recorded",
        }
    ),
    "date": frozenset({"within_days", "recorded"}),
    "enum": frozenset({"equals", "not_equals", "in", "not_in", "recorded"}),
    "set": frozenset({"contains", "contains_any", "contains_all", "size_at_least", "recorded"}),
    "text": frozenset({"equals", "not_equals", "in", "not_in", "recorded"}),
    "scores": frozenset({"size_at_least", "recorded"}),
}
"""Which operators fit which kind of fact."""

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
"""A ``{name}`` placeholder in an explanation."""

_SPECIAL_PLACEHOLDERS = frozenset({"on"})


@dataclass(slots=True)
class _Checker:
    doc: YamlDocument
    out: list[Diagnostic]

    def report(
        self,
        code: Code | str,
        message: str,
        loc: Loc,
        *,
        warning: bool = False,
        hint: str | None = None,
        related: tuple[Related, ...] = (),
    ) -> None:
        self.out.append(
            self.doc.diagnostic(code, message, loc, hint=hint, related=related, warning=warning)
        )

    def first_here(self, loc: Loc, inline: str | None = None) -> tuple[Related, ...]:
        """A related place: where something was first defined (none without a position)."""
        span = self.doc.span(loc)
        return (Related(span, "first defined here", inline),) if span.start else ()


def check_ruleset(rs: RuleSet, doc: YamlDocument) -> list[Diagnostic]:
    """Every problem the schema cannot see, located in ``doc``."""
    c = _Checker(doc, [])
    _check_identity(c, rs)
    _check_languages(c, rs)
    _check_ids_and_sources(c, rs)
    _check_definitions(c, rs)
    _check_numbers(c, rs)
    used_groups = _check_pathways(c, rs)
    for name, definition in rs.definitions.items():
        _check_condition(c, definition, ("definitions", name))
    for section in ("rules", "indicators"):
        rules: list[Rule] = getattr(rs, section)
        for i, rule in enumerate(rules):
            loc: Loc = (section, i)
            _check_condition(c, rule.when, (*loc, "when"))
            _check_placeholders(c, rule, loc)
            if section == "rules":
                _check_monotonic(c, rule, rs.definitions, loc)
            if section == "rules" and rule.group not in used_groups:
                c.report(
                    Code.UNUSED_GROUP,
                    f"rule '{rule.id}' is in group '{rule.group}', which no pathway requires",
                    (*loc, "group"),
                    warning=True,
                )
    if not any(d.code in _STRUCTURAL for d in c.out):
        for section in ("rules", "indicators"):
            for i, rule in enumerate(getattr(rs, section)):
                if not _can_be_met(rule.when, rs.definitions):
                    c.report(
                        Code.NEVER_MET,
                        f"rule '{rule.id}' can never be met, whatever the facts",
                        (section, i, "when"),
                    )
    return c.out


def check_parts(data: Any, doc: YamlDocument) -> list[Diagnostic]:
    """The checks that still make sense when the file as a whole fails its schema.

    Each condition and explanation that is valid on its own is checked (facts, operators,
    values, placeholders, definitions used, sources cited), so an author sees every
    problem at once instead of one layer at a time.
    """
    if not isinstance(data, dict):
        return []
    c = _Checker(doc, [])
    raw_definitions = data.get("definitions")
    definitions: dict[str, Any] = raw_definitions if isinstance(raw_definitions, dict) else {}
    source_ids = (
        {
            s["id"]
            for s in data.get("sources") or []
            if isinstance(s, dict) and isinstance(s.get("id"), str)
        }
        if isinstance(data.get("sources"), list)
        else set()
    )
    roots: list[tuple[Any, Loc]] = [(d, ("definitions", n)) for n, d in definitions.items()]
    for section in ("rules", "indicators"):
        items = data.get(section)
        for i, rule in enumerate(items if isinstance(items, list) else []):
            if not isinstance(rule, dict):
                continue
            roots.append((rule.get("when"), (section, i, "when")))
            explain = rule.get("explain")
            for outcome, texts in explain.items() if isinstance(explain, dict) else []:
                for lang, text in texts.items() if isinstance(texts, dict) else []:
                    if isinstance(text, str):
                        _check_placeholder_text(c, text, (section, i, "explain", outcome, lang))
            source = rule.get("source")
            ref = source.get("ref") if isinstance(source, dict) else None
            if isinstance(ref, str) and source_ids and ref not in source_ids:
                c.report(
                    Code.UNKNOWN_SOURCE,
                    f"cites source '{ref}', which 'sources' does not list",
                    (section, i, "source", "ref"),
                    hint=suggest(ref, source_ids),
                )
    for raw, loc in roots:
        try:
            condition = _CONDITION.validate_python(raw)
        except ValidationError:
            continue  # already reported by the schema
        _check_condition(c, condition, loc)
        for name, rel in _uses(condition):
            if name not in definitions:
                c.report(
                    Code.UNDEFINED_DEFINITION,
                    f"'use: {name}' names no entry under 'definitions'",
                    (*loc, *rel),
                    hint=suggest(name, definitions),
                )
    return c.out


_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


_STRUCTURAL = frozenset(
    {
        Code.UNKNOWN_FACT,
        Code.OPERATOR_TYPE,
        Code.VALUE_TYPE,
        Code.UNDEFINED_DEFINITION,
        Code.DEFINITION_CYCLE,
        Code.NUMBER_OUT_OF_RANGE,
    }
)


def _check_monotonic(
    c: _Checker, rule: Rule, definitions: Mapping[str, Condition], loc: Loc
) -> None:
    """A gate must not use 'recorded': it is never unknown, so recording a fact could flip
    a definite verdict (law 1). Indicators, which monitor what is recorded, may use it."""

    facts = sorted(
        {leaf.fact for leaf in leaves(rule.when, definitions) if leaf.operator == "recorded"}
    )
    if facts:
        c.report(
            "recorded-in-rule",
            f"rule '{rule.id}' uses 'recorded' on {', '.join(facts)}: it is never unknown, so "
            "recording the fact later could flip a definite verdict; use a yes/no fact "
            "(e.g. terminal_declared) in a rule, and 'recorded' only in indicators",
            (*loc, "when"),
        )


def _check_identity(c: _Checker, rs: RuleSet) -> None:
    if all(change.version != rs.version for change in rs.changes):
        c.report(
            Code.CHANGES_VERSION,
            f"the change list has no entry for this version {rs.version}",
            ("changes",),
            hint="add one (newest first) that says what changed",
        )
    ids = [r.id for r in (*rs.rules, *rs.indicators)]
    for i, change in enumerate(rs.changes):
        if change.version != rs.version:
            continue  # older entries may name rules that were removed or renamed since
        for j, entry in enumerate(change.rules):
            if entry.change != "removed" and entry.id not in ids:
                c.report(
                    Code.UNKNOWN_RULE_ID,
                    f"the change entry names rule '{entry.id}', which this file does not have",
                    ("changes", i, "rules", j, "id"),
                    hint=suggest(entry.id, ids),
                )
            elif entry.change == "removed" and entry.id in ids:
                c.report(
                    Code.UNKNOWN_RULE_ID,
                    f"the change entry says rule '{entry.id}' was removed, but it is still here",
                    ("changes", i, "rules", j, "change"),
                )
    path = Path(c.doc.path)
    if re.fullmatch(r"\d+\.\d+\.\d+", path.stem) and (
        path.stem != rs.version or path.parent.name != rs.family
    ):
        c.report(
            Code.FILE_NAME,
            f"file is named {path.parent.name}/{path.name} but states {rs.family} {rs.version}",
            ("version",),
            hint="bundled files live at rules/<family>/<version>.yaml",
        )


def _texts(rs: RuleSet) -> Iterator[tuple[Loc, Mapping[str, str]]]:
    yield ("title",), rs.title
    for pid, p in rs.pathways.items():
        yield ("pathways", pid, "title"), p.title
        if p.description is not None:
            yield ("pathways", pid, "description"), p.description
    for section in ("rules", "indicators"):
        for i, r in enumerate(getattr(rs, section)):
            yield (section, i, "title"), r.title
            for outcome in ("met", "not_met", "unknown"):
                yield (section, i, "explain", outcome), getattr(r.explain, outcome)


def _check_languages(c: _Checker, rs: RuleSet) -> None:
    declared = set(rs.languages)
    for loc, text in _texts(rs):
        for lang in rs.languages:
            if lang not in text:
                c.report(Code.MISSING_LANGUAGE, f"no '{lang}' text (the file declares it)", loc)
        for lang in text:
            if lang not in declared:
                c.report(
                    Code.UNDECLARED_LANGUAGE,
                    f"'{lang}' is not among the declared languages {sorted(declared)}",
                    (*loc, lang),
                    warning=True,
                )


def _check_ids_and_sources(c: _Checker, rs: RuleSet) -> None:
    seen: dict[str, Loc] = {}
    for section in ("rules", "indicators"):
        for i, r in enumerate(getattr(rs, section)):
            if r.id in seen:
                c.report(
                    Code.DUPLICATE_RULE_ID,
                    f"rule id '{r.id}' is used twice",
                    (section, i, "id"),
                    related=c.first_here(seen[r.id], "first at line {line}"),
                )
            else:
                seen[r.id] = (section, i, "id")
    source_ids: dict[str, Loc] = {}
    for i, s in enumerate(rs.sources):
        if s.id in source_ids:
            c.report(
                Code.DUPLICATE_SOURCE_ID,
                f"source id '{s.id}' is used twice",
                ("sources", i, "id"),
                related=c.first_here(source_ids[s.id]),
            )
        else:
            source_ids[s.id] = ("sources", i, "id")
    for section in ("rules", "indicators"):
        for i, r in enumerate(getattr(rs, section)):
            if r.source.ref not in source_ids:
                c.report(
                    Code.UNKNOWN_SOURCE,
                    f"rule '{r.id}' cites source '{r.source.ref}', which 'sources' does not list",
                    (section, i, "source", "ref"),
                    hint=suggest(r.source.ref, source_ids),
                )


def _uses(condition: Condition) -> Iterator[tuple[str, Loc]]:
    """(definition name, location relative to the condition) of every ``use``."""
    for node, loc in _walk(condition, ()):
        if isinstance(node, Use):
            yield node.use, (*loc, "use")


def _walk(condition: Condition, loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    yield condition, loc
    if isinstance(condition, AllOf):
        for j, p in enumerate(condition.all):
            yield from _walk(p, (*loc, "all", j))
    elif isinstance(condition, AnyOf):
        for j, p in enumerate(condition.any):
            yield from _walk(p, (*loc, "any", j))
    elif isinstance(condition, Not):
        yield from _walk(condition.not_, (*loc, "not"))
    elif isinstance(condition, AtLeastNOf):
        for j, p in enumerate(condition.at_least_n_of.of):
            yield from _walk(p, (*loc, "at_least_n_of", "of", j))


def _check_definitions(c: _Checker, rs: RuleSet) -> None:
    defs = rs.definitions
    used: set[str] = set()
    roots: list[tuple[Condition, Loc]] = [(d, ("definitions", n)) for n, d in defs.items()]
    roots += [
        (r.when, (s, i, "when"))
        for s in ("rules", "indicators")
        for i, r in enumerate(getattr(rs, s))
    ]
    for cond, loc in roots:
        for name, rel in _uses(cond):
            used.add(name)
            if name not in defs:
                c.report(
                    Code.UNDEFINED_DEFINITION,
                    f"'use: {name}' names no entry under 'definitions'",
                    (*loc, *rel),
                    hint=suggest(name, defs),
                )
    # cycles: depth-first search over the use graph
    graph = {n: [u for u, _ in _uses(d) if u in defs] for n, d in defs.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for nxt in graph[name]:
            if state.get(nxt) == 1:
                cycle = " → ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else nxt
                c.report(
                    Code.DEFINITION_CYCLE,
                    f"definitions use each other in a cycle: {cycle}",
                    ("definitions", name),
                )
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[name] = 2

    for name in defs:
        if name not in state:
            visit(name, [name])
    for name in defs:
        if name not in used:
            c.report(
                Code.UNUSED_DEFINITION,
                f"definition '{name}' is never used",
                ("definitions", name),
                warning=True,
            )


def _check_numbers(c: _Checker, rs: RuleSet) -> None:
    """A number literal must be finite: ``"NaN"``, ``"inf"`` or ``1e400`` read as a number
    can be compared with nothing (and would crash the never-met search)."""
    roots: list[tuple[Condition, Loc]] = [
        (d, ("definitions", n)) for n, d in rs.definitions.items()
    ]
    roots += [
        (r.when, (s, i, "when"))
        for s in ("rules", "indicators")
        for i, r in enumerate(getattr(rs, s))
    ]
    for cond, loc in roots:
        for node, rel in _walk(cond, ()):
            if not isinstance(node, Leaf):
                continue
            values = node.value if isinstance(node.value, list) else [node.value]
            for v in values:
                if isinstance(v, float) and not math.isfinite(v):
                    c.report(
                        Code.NUMBER_OUT_OF_RANGE,
                        f"fact '{node.fact}': '{node.operator}' takes a finite number, not {v!r}",
                        (*loc, *rel, node.operator),
                    )


def _check_pathways(c: _Checker, rs: RuleSet) -> set[str]:
    groups = {r.group for r in rs.rules}
    required: set[str] = set()
    for pid, p in rs.pathways.items():
        for j, g in enumerate(p.requires):
            required.add(g)
            if g not in groups:
                c.report(
                    Code.UNKNOWN_GROUP,
                    f"pathway '{pid}' requires group '{g}', which no rule has",
                    ("pathways", pid, "requires", j),
                    hint=suggest(g, groups),
                )
    return required


def _check_condition(c: _Checker, condition: Condition, loc: Loc) -> None:
    for node, rel in _walk(condition, ()):
        if isinstance(node, Leaf):
            _check_leaf(c, node, (*loc, *rel))
        elif isinstance(node, AtLeastNOf) and node.at_least_n_of.n > len(node.at_least_n_of.of):
            c.report(
                "never-met",
                f"at_least_n_of asks for {node.at_least_n_of.n} of "
                f"{len(node.at_least_n_of.of)} parts",
                (*loc, *rel, "at_least_n_of", "n"),
            )


def _check_leaf(c: _Checker, leaf: Leaf, loc: Loc) -> None:
    spec = RULE_FACTS.get(leaf.fact)
    if spec is None:
        c.report(
            "unknown-fact",
            f"unknown fact '{leaf.fact}'{did_you_mean(leaf.fact, RULE_FACTS)}",
            (*loc, "fact"),
        )
        return
    op = leaf.operator
    allowed = OPERATORS_BY_KIND[spec.kind]
    if op not in allowed:
        c.report(
            "operator-type",
            f"operator '{op}' does not fit fact '{leaf.fact}' ({spec.kind}); "
            f"use one of: {', '.join(sorted(allowed))}",
            (*loc, op),
        )
        return
    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
    for v in values:
        problem = _value_problem(spec.kind, spec.vocabulary, op, v)
        if problem:
            code, message = problem
            c.report(code, f"fact '{leaf.fact}': {message}", (*loc, op))


def _value_problem(
    kind: FactKind, vocabulary: tuple[str, ...], op: str, v: Any
) -> tuple[str, str] | None:
    if op in ("recorded", "size_at_least", "within_days"):
        if op == "recorded" and not isinstance(v, bool):
            return "value-type", f"'recorded' takes true or false, not {v!r}"
        if op != "recorded" and (isinstance(v, bool) or not isinstance(v, int)):
            return "value-type", f"'{op}' takes a whole number, not {v!r}"
        return None
    if kind == "bool" and not isinstance(v, bool):
        return "value-type", f"a yes/no fact compares with true or false, not {v!r}"
    if kind == "int" and (isinstance(v, bool) or not isinstance(v, int | float)):
        return "value-type", f"a number fact compares with a number, not {v!r}"
    if kind == "text" and not isinstance(v, str):
        return "value-type", f"a text fact compares with text, not {v!r}"
    if kind in ("enum", "set") and vocabulary and (not isinstance(v, str) or v not in vocabulary):
        hint = did_you_mean(str(v), vocabulary) or f"; one of: {', '.join(vocabulary)}"
        return "unknown-value", f"'{v}' is not in the vocabulary{hint}"
    return None


def _check_placeholders(c: _Checker, rule: Rule, loc: Loc) -> None:
    for outcome in ("met", "not_met", "unknown"):
        texts: Mapping[str, str] = getattr(rule.explain, outcome)
        for lang, text in texts.items():
            _check_placeholder_text(c, text, (*loc, "explain", outcome, lang))


def _check_placeholder_text(c: _Checker, text: str, loc: Loc) -> None:
    for name in PLACEHOLDER.findall(text):
        if name not in RULE_FACTS and name not in _SPECIAL_PLACEHOLDERS:
            candidates = [*RULE_FACTS, *_SPECIAL_PLACEHOLDERS]
            c.report(
                Code.UNKNOWN_PLACEHOLDER,
                f"placeholder '{{{name}}}' names no fact",
                loc,
                hint=suggest(name, candidates),
            )


# --------------------------------------------------------------------------------------
# never-met: is there any assignment of recorded facts that makes the rule true?
# --------------------------------------------------------------------------------------

_PROBE_DAY = date(2000, 6, 15)
_MAX_COMBINATIONS = 50_000


def _can_be_met(condition: Condition, definitions: Mapping[str, Condition]) -> bool:
    """Search the candidate values of the rule's facts for one that makes it true.

    Candidate values are the boundaries of every literal (n-1, n, n+1 for numbers; every
    vocabulary member; dates just inside and outside every window), so the search is
    exact for the closed operator set. Above a size limit it gives the benefit of the doubt.
    """

    by_fact: dict[str, list[Leaf]] = {}
    for leaf in leaves(condition, definitions):
        by_fact.setdefault(leaf.fact, []).append(leaf)
    names = list(by_fact)
    domains = [_candidates(n, by_fact[n]) for n in names]
    total = 1
    for d in domains:
        total *= len(d)
        if total > _MAX_COMBINATIONS:
            return True
    truth = _truth_function(condition, definitions)
    return any(truth(dict(zip(names, combo, strict=True))) is True
               for combo in itertools.product(*domains))  # fmt: skip


def _truth_function(
    condition: Condition, definitions: Mapping[str, Condition]
) -> Callable[[Mapping[str, Any]], Truth]:
    """The truth of ``condition`` on the probe day as a function of the facts.

    The same meaning as :func:`visitation.logic.interpret` (its truth, without the missing
    facts), with each leaf's predicate built once instead of once per candidate.
    """
    if isinstance(condition, Leaf):
        name, pred = condition.fact, predicate(condition)
        if condition.operator == "recorded":
            want = condition.value
            return lambda facts: (fact_value(facts, name, _PROBE_DAY) is not None) == want

        def leaf(facts: Mapping[str, Any]) -> Truth:
            value = fact_value(facts, name, _PROBE_DAY)
            return None if value is None else pred(value, _PROBE_DAY)

        return leaf
    if isinstance(condition, Use):
        return _truth_function(definitions[condition.use], definitions)
    if isinstance(condition, Not):
        inner = _truth_function(condition.not_, definitions)

        def negation(facts: Mapping[str, Any]) -> Truth:
            truth = inner(facts)
            return None if truth is None else not truth

        return negation
    if isinstance(condition, AllOf | AnyOf):
        parts = [
            _truth_function(p, definitions)
            for p in (condition.all if isinstance(condition, AllOf) else condition.any)
        ]
        combine = kleene_all if isinstance(condition, AllOf) else kleene_any
        return lambda facts: combine(p(facts) for p in parts)
    if isinstance(condition, AtLeastNOf):
        n = condition.at_least_n_of.n
        parts = [_truth_function(p, definitions) for p in condition.at_least_n_of.of]

        def count(facts: Mapping[str, Any]) -> Truth:
            truths = [p(facts) for p in parts]
            true, unknown = truths.count(True), truths.count(None)
            return True if true >= n else (False if true + unknown < n else None)

        return count
    raise AssertionError(f"unknown condition {condition!r}")  # pragma: no cover


def _candidates(name: str, leaves_: list[Leaf]) -> list[Any]:
    spec = RULE_FACTS[name]
    out: list[Any] = []
    if any(leaf.operator == "recorded" for leaf in leaves_):
        out.append(None)
    literals = [
        v
        for leaf in leaves_
        for v in (leaf.value if isinstance(leaf.value, list) else [leaf.value])
    ]
    if spec.kind == "bool":
        out += [True, False]
    elif spec.kind == "int":
        nums = {0} | {
            int(v) + d for v in literals if isinstance(v, int | float) for d in (-1, 0, 1)
        }
        out += sorted(nums)
    elif spec.kind == "enum":
        out += [_literal(name, v) for v in spec.vocabulary]
    elif spec.kind == "date":
        days = {0} | {int(v) + d for v in literals if isinstance(v, int) for d in (0, 1)}
        out += [_PROBE_DAY - timedelta(days=d) for d in sorted(days)] + [
            _PROBE_DAY + timedelta(days=1)
        ]
    elif spec.kind == "set":
        sizes = [int(v) for v in literals if isinstance(v, int) and not isinstance(v, bool)]
        fillers = [f"(other {i})" for i in range(max([1, *sizes]))]
        members = [_literal(name, v) for v in spec.vocabulary] or [
            *sorted({v for v in literals if isinstance(v, str)}),
            *fillers,
        ]
        if len(members) <= 10:
            out += [
                frozenset(s)
                for k in range(len(members) + 1)
                for s in itertools.combinations(members, k)
            ]
        else:  # pragma: no cover - no bundled vocabulary is this large
            out += [frozenset(), frozenset(members)]
    elif spec.kind == "text":
        out += [*{v for v in literals if isinstance(v, str)}, "(other)"]
    else:  # scores: a full answer sheet or an empty one
        out += [[1] * 15, []]
    return out
