"""Static checks of a rule file beyond its schema, each with a stable code and a location.

The codes are members of :class:`visitation.errors.Code` (section "check" of
docs/error-codes.md, generated from it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args

from pydantic import TypeAdapter, ValidationError

from visitation._yaml import YamlDocument
from visitation.conditions import Loc, leaves, walk
from visitation.errors import Code, Diagnostic, Related, RuleFileError, did_you_mean, suggest
from visitation.facts import RULE_FACTS, FactKind
from visitation.never_met import Budget, search
from visitation.operators import literal_problem, operators_for
from visitation.ruleset import (
    PLACEHOLDER,
    AtLeastNOf,
    Condition,
    Leaf,
    Rule,
    RuleSet,
    Text,
    Use,
    content_hash,
)

__all__ = [
    "OPERATORS_BY_KIND",
    "PLACEHOLDER",
    "CheckedRuleSet",
    "check_parts",
    "check_ruleset",
    "checked",
]

OPERATORS_BY_KIND: dict[FactKind, frozenset[str]] = {
    kind: operators_for(kind) for kind in get_args(FactKind)
}
"""Which operators fit which kind of fact (from the operator table)."""

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


@dataclass(frozen=True, slots=True)
class CheckedRuleSet:
    """A rule set that passed every check: the only input :class:`visitation.Library`
    compiles. Made by :func:`checked` (or by loading a rule file)."""

    ruleset: RuleSet
    content_hash: str
    warnings: tuple[Diagnostic, ...] = ()


def checked(ruleset: RuleSet, doc: YamlDocument | None = None) -> CheckedRuleSet:
    """Check a rule set; :class:`RuleFileError` lists the errors (located when ``doc``,
    the file it was read from, is given; a rule set made in Python has no lines)."""
    found = check_ruleset(ruleset, doc or YamlDocument(data=None, path=f"<{ruleset.key}>"))
    errors = [d for d in found if d.severity == "error"]
    if errors:
        raise RuleFileError(errors)
    return CheckedRuleSet(ruleset, content_hash(ruleset), tuple(found))


def check_ruleset(rs: RuleSet, doc: YamlDocument) -> list[Diagnostic]:
    """Every problem the schema cannot see, located in ``doc``."""
    c = _Checker(doc, [])
    _check_identity(c, rs)
    _check_languages(c, rs)
    _check_ids_and_sources(c, rs)
    _check_definitions(c, rs)
    used_groups = _check_pathways(c, rs)
    _check_size(c, rs)
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
        budget = Budget()  # one for the whole file: its searches together are bounded
        for section in ("rules", "indicators"):
            for i, rule in enumerate(getattr(rs, section)):
                found = search(rule.when, rs.definitions, budget)
                if found.bounded:
                    c.report(
                        Code.SEARCH_BOUNDED,
                        f"rule '{rule.id}' has too many combinations of values to search "
                        "whether it can ever be met; not checked",
                        (section, i, "when"),
                        warning=True,
                    )
                elif not found.can_be_met:
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
    {"unknown-fact", "operator-type", "value-type", "undefined-definition", "definition-cycle"}
)


def _check_monotonic(
    c: _Checker, rule: Rule, definitions: Mapping[str, Condition], loc: Loc
) -> None:
    """A gate must not use 'recorded': it is never unknown, so recording a fact could flip
    a definite verdict (law 1). Indicators, which monitor what is recorded, may use it."""

    facts = sorted({leaf.fact for leaf in leaves(rule.when, definitions) if leaf.op.never_unknown})
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


def _reader_texts(rs: RuleSet) -> Iterator[tuple[Loc, Text]]:
    """The texts other than titles and explanations that a reader sees, each either per
    language or a plain string (the legacy form): publishers, notes, sections, rationales."""
    yield ("publisher",), rs.publisher
    if rs.dates_note is not None:
        yield ("dates_note",), rs.dates_note
    for i, s in enumerate(rs.sources):
        yield ("sources", i, "publisher"), s.publisher
        if s.note is not None:
            yield ("sources", i, "note"), s.note
    for section in ("rules", "indicators"):
        for i, r in enumerate(getattr(rs, section)):
            yield (section, i, "source", "section"), r.source.section
            if r.rationale is not None:
                yield (section, i, "rationale"), r.rationale
            if r.note is not None:
                yield (section, i, "note"), r.note


def _check_languages(c: _Checker, rs: RuleSet) -> None:
    declared = set(rs.languages)
    readers = list(_reader_texts(rs))
    shape = ", ".join(f"{k}: ..." for k in rs.languages)
    if any(not isinstance(text, str) for _, text in readers):
        # the file gives texts per language, so a plain string left among them is one
        # text shown unchanged in every language: most likely a translation forgotten
        for loc, text in readers:
            if isinstance(text, str) and len(rs.languages) > 1:
                c.report(
                    Code.UNTRANSLATED_TEXT,
                    "a plain string is shown unchanged in every language "
                    f"({', '.join(rs.languages)}); this file gives its other texts per language",
                    loc,
                    warning=True,
                    hint=f"write it per language: {{{shape}}}",
                )
    per_lang: list[tuple[Loc, Mapping[str, str]]] = [
        (loc, t) for loc, t in readers if not isinstance(t, str)
    ]
    for loc, texts in [*_texts(rs), *per_lang]:
        for lang in rs.languages:
            if lang not in texts:
                c.report(Code.MISSING_LANGUAGE, f"no '{lang}' text (the file declares it)", loc)
        for lang in texts:
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
    for node, loc in walk(condition):
        if isinstance(node, Use):
            yield node.use, (*loc, "use")


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
    # cycles: depth-first search over the use graph (iterative: a chain may be long)
    graph = {n: [u for u, _ in _uses(d) if u in defs] for n, d in defs.items()}
    state: dict[str, int] = {}
    for start in defs:
        if start in state:
            continue
        state[start] = 1
        trail = [start]
        stack = [iter(graph[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                state[trail.pop()] = 2
            elif state.get(nxt) == 1:
                cycle = " → ".join([*trail[trail.index(nxt) :], nxt])
                c.report(
                    Code.DEFINITION_CYCLE,
                    f"definitions use each other in a cycle: {cycle}",
                    ("definitions", trail[-1]),
                )
            elif nxt not in state:
                state[nxt] = 1
                trail.append(nxt)
                stack.append(iter(graph[nxt]))
    for name in defs:
        if name not in used:
            c.report(
                Code.UNUSED_DEFINITION,
                f"definition '{name}' is never used",
                ("definitions", name),
                warning=True,
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


MAX_CONDITION_NODES: Final = 2_000
"""At most this many condition nodes (leaves and combinators, as written) in one rule set:
the bundled files hold a few hundred; the compiled form of 2,000 takes under a second to
build, of 4,000 over two seconds and 300 MiB."""


def _check_size(c: _Checker, rs: RuleSet) -> None:
    """Refuse a rule set whose conditions are too many to compile in bounded time."""
    roots: list[tuple[Condition, Loc]] = [
        (d, ("definitions", name)) for name, d in rs.definitions.items()
    ]
    roots += [(r.when, (section, i, "when")) for section in ("rules", "indicators")
              for i, r in enumerate(getattr(rs, section))]  # fmt: skip
    seen = 0
    for root, loc in roots:
        for _node, rel in walk(root):
            seen += 1
            if seen > MAX_CONDITION_NODES:
                c.report(
                    Code.TOO_MANY_CONDITIONS,
                    f"more than {MAX_CONDITION_NODES:,} conditions (leaves and all/any/not "
                    "parts) in one rule set",
                    (*loc, *rel),
                    hint="share repeated conditions under 'definitions'",
                )
                return


def _check_condition(c: _Checker, condition: Condition, loc: Loc) -> None:
    for node, rel in walk(condition):
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
    op = leaf.op
    if spec.kind not in op.kinds:
        allowed = OPERATORS_BY_KIND[spec.kind]
        c.report(
            "operator-type",
            f"operator '{op.key}' does not fit fact '{leaf.fact}' ({spec.kind}); "
            f"use one of: {', '.join(sorted(allowed))}",
            (*loc, op.key),
        )
        return
    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
    for v in values:
        problem = literal_problem(op, spec, v)
        if problem:
            code, message = problem
            if code == "unknown-value":
                hint = did_you_mean(str(v), spec.vocabulary) or (
                    f"; one of: {', '.join(spec.vocabulary)}"
                )
                message += hint
            c.report(code, f"fact '{leaf.fact}': {message}", (*loc, op.key))


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
