"""Compile a checked rule set into small Python closures, once per content hash.

Each condition becomes a closure ``test(facts, on) -> True | False | None`` with the
operator, literal and fact name bound at compile time; definitions are compiled once and
shared by every rule that uses them. Nothing is built per evaluation that does not reach
the result. The plain interpreter in ``logic.py`` is the reference these must agree with.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from visitation.facts import age_on
from visitation.logic import Facts, Truth, _literal, leaves, predicate
from visitation.ruleset import AllOf, AnyOf, AtLeastNOf, Condition, Leaf, Not, Rule, RuleSet, Use

__all__ = ["CompiledRule", "CompiledRuleSet", "compile_ruleset", "content_hash"]

Test = Callable[[Facts, date], Truth]


def content_hash(ruleset: RuleSet) -> str:
    """sha256 of the canonical form of a rule set (key order and layout do not matter)."""
    canonical = json.dumps(
        ruleset.model_dump(mode="json", by_alias=True, exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its compiled test and the facts it refers to, in order."""

    rule: Rule
    test: Test
    facts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """A rule set ready to evaluate: compiled once, evaluated many times."""

    ruleset: RuleSet
    content_hash: str
    rules: tuple[CompiledRule, ...]
    indicators: tuple[CompiledRule, ...]
    pathways: tuple[tuple[str, tuple[int, ...]], ...]
    """(pathway id, indices into ``rules`` of the rules it requires, in file order)."""

    def statuses(self, facts: Facts, on: date) -> list[Truth]:
        """The truth of every rule, in file order."""
        return [r.test(facts, on) for r in self.rules]

    def verdicts(self, statuses: list[Truth]) -> list[Truth]:
        """Per pathway: True eligible, False not eligible, None indeterminate."""
        out: list[Truth] = []
        for _, required in self.pathways:
            verdict: Truth = True
            for i in required:
                s = statuses[i]
                if s is False:
                    verdict = False
                    break
                if s is None:
                    verdict = None
            out.append(verdict)
        return out


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile a (checked) rule set; see :func:`visitation.registry.compiled` for the cache."""
    shared: dict[str, Test] = {}

    def definition(name: str) -> Test:
        if name not in shared:
            shared[name] = _compile(ruleset.definitions[name], definition)
        return shared[name]

    def compiled_rule(rule: Rule) -> CompiledRule:
        facts = tuple(dict.fromkeys(leaf.fact for leaf in leaves(rule.when, ruleset.definitions)))
        return CompiledRule(rule, _compile(rule.when, definition), facts)

    rules = tuple(compiled_rule(r) for r in ruleset.rules)
    indicators = tuple(compiled_rule(r) for r in ruleset.indicators)
    pathways = tuple(
        (
            pid,
            tuple(i for i, r in enumerate(ruleset.rules) if r.group in set(pathway.requires)),
        )
        for pid, pathway in ruleset.pathways.items()
    )
    return CompiledRuleSet(ruleset, content_hash(ruleset), rules, indicators, pathways)


def _compile(condition: Condition, definition: Callable[[str], Test]) -> Test:
    if isinstance(condition, Leaf):
        return _compile_leaf(condition)
    if isinstance(condition, Use):
        return definition(condition.use)
    if isinstance(condition, Not):
        inner = _compile(condition.not_, definition)

        def negation(facts: Facts, on: date) -> Truth:
            r = inner(facts, on)
            return None if r is None else not r

        return negation
    if isinstance(condition, AllOf):
        return _all(tuple(_compile(p, definition) for p in condition.all))
    if isinstance(condition, AnyOf):
        return _any(tuple(_compile(p, definition) for p in condition.any))
    if isinstance(condition, AtLeastNOf):
        return _at_least(
            condition.at_least_n_of.n,
            tuple(_compile(p, definition) for p in condition.at_least_n_of.of),
        )
    raise AssertionError(f"unknown condition {condition!r}")  # pragma: no cover


def _all(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts

        def all2(facts: Facts, on: date) -> Truth:
            x = a(facts, on)
            if x is False:
                return False
            y = b(facts, on)
            if y is False:
                return False
            return None if x is None or y is None else True

        return all2

    def all_of(facts: Facts, on: date) -> Truth:
        unknown = False
        for part in parts:
            r = part(facts, on)
            if r is False:
                return False
            if r is None:
                unknown = True
        return None if unknown else True

    return all_of


def _any(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]

    def any_of(facts: Facts, on: date) -> Truth:
        unknown = False
        for part in parts:
            r = part(facts, on)
            if r is True:
                return True
            if r is None:
                unknown = True
        return None if unknown else False

    return any_of


def _at_least(n: int, parts: tuple[Test, ...]) -> Test:
    def at_least_n_of(facts: Facts, on: date) -> Truth:
        true = unknown = 0
        for part in parts:
            r = part(facts, on)
            if r is True:
                true += 1
                if true >= n:
                    return True
            elif r is None:
                unknown += 1
        return False if true + unknown < n else None

    return at_least_n_of


def _compile_leaf(leaf: Leaf) -> Test:
    name, op = leaf.fact, leaf.operator
    if name == "age":
        return _derived_age_leaf(leaf)
    if op == "recorded":
        want = bool(leaf.value)
        return lambda facts, on: (facts.get(name) is not None) == want
    # The most common operators get a closure of their own (no predicate call).
    value: Any = _literal(name, leaf.value)
    if op == "is" or op == "equals":

        def eq(facts: Facts, on: date) -> Truth:
            v = facts.get(name)
            return None if v is None else v == value

        return eq
    if op == "in":
        members = frozenset(_literal(name, a) for a in leaf.value)

        def in_(facts: Facts, on: date) -> Truth:
            v = facts.get(name)
            return None if v is None else v in members

        return in_
    if op == "at_least":

        def ge(facts: Facts, on: date) -> Truth:
            v = facts.get(name)
            return None if v is None else v >= value

        return ge
    if op == "within_days":
        days = timedelta(days=leaf.value)

        def within(facts: Facts, on: date) -> Truth:
            v = facts.get(name)
            return None if v is None else on - days <= v <= on

        return within
    pred = predicate(leaf)

    def general(facts: Facts, on: date) -> Truth:
        v = facts.get(name)
        return None if v is None else pred(v, on)

    return general


def _derived_age_leaf(leaf: Leaf) -> Test:
    pred = predicate(leaf)
    recorded = leaf.operator == "recorded"

    def age_leaf(facts: Facts, on: date) -> Truth:
        v = facts.get("age")
        if v is None:
            born = facts.get("birth_date")
            if born is not None:
                v = age_on(born, on)
        if recorded:
            return (v is not None) == bool(leaf.value)
        return None if v is None else pred(v, on)

    return age_leaf
