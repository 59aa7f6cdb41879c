"""Compile a checked rule set into Python functions, once per content hash.

Each rule set becomes one small generated Python module:

- ``core(facts, on)`` returns a :class:`CoreResult`: every rule's truth, every pathway's
  verdict and, for an indeterminate pathway, its missing facts, in one straight-line
  pass. Each fact is read once per leaf with ``facts.get``, each definition is computed
  once and shared by every rule that uses it, ``all`` / ``any`` / ``at_least_n_of`` stop
  as soon as their result is settled;
- per rule, ``test(facts, on)`` (its truth) and ``missing(facts, on)`` (for an unknown
  result: the unrecorded facts that would settle it, as the reference interpreter says).

The generated text holds only structure: local names made up here (``t3``, ``s0``), the
fixed operator forms of :data:`_OPERATOR_CODE`, and names of constants. Every value from
the rule file (fact names, literals, day counts, ``n`` of ``at_least_n_of``) is bound as
a constant in the module's namespace, never spliced into the text, and the namespace has
no builtins beyond ``len``, ``list`` and ``dict``. The plain interpreter
:func:`visitation.logic.interpret` is the reference these functions must agree with;
``tests/test_compile.py`` checks that on generated patients for every bundled rule set.

Why generated code and not closures: in one measurement on the benchmark's 14 criteria
(3,000 patients, best of 5), nested closures took about 2.2 µs per patient (a Python call
per node), the generated pass about 0.8 µs and the hand-written floor about 0.5 µs
(``benchmarks/run.py``; docs/performance.md has the numbers of the last full run).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from visitation.facts import DERIVATIONS, FACTS, missing_inputs
from visitation.logic import Facts, Truth, _literal, kleene_all, leaves
from visitation.ruleset import AllOf, AnyOf, AtLeastNOf, Condition, Leaf, Not, Rule, RuleSet, Use

__all__ = ["CompiledRule", "CompiledRuleSet", "CoreResult", "compile_ruleset", "content_hash"]

Test = Callable[[Facts, date], Truth]
Missing = Callable[[Facts, date], list[str]]


class CoreResult:
    """Statuses, verdicts and missing facts without explanation text (the fast path)."""

    __slots__ = ("missing", "statuses", "verdicts")

    def __init__(
        self, statuses: list[Truth], verdicts: list[Truth], missing: list[list[str]]
    ) -> None:
        self.statuses = statuses
        """The truth of every rule, in file order: True met, False not met, None unknown."""
        self.verdicts = verdicts
        """Per pathway: True eligible, False not eligible, None indeterminate."""
        self.missing = missing
        """Per pathway: for an indeterminate verdict, the facts to record, in rule order."""


Core = Callable[[Facts, date], CoreResult]


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
    """A rule with its compiled test, its missing-facts function and the facts it reads."""

    rule: Rule
    test: Test
    facts: tuple[str, ...]
    missing: Missing
    """For an unknown result, the unrecorded facts that settle it, in order; else ``[]``."""


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """A rule set ready to evaluate: compiled once, evaluated many times."""

    ruleset: RuleSet
    content_hash: str
    rules: tuple[CompiledRule, ...]
    indicators: tuple[CompiledRule, ...]
    pathways: tuple[tuple[str, tuple[int, ...]], ...]
    """(pathway id, indices into ``rules`` of the rules it requires, in file order)."""
    core: Core = field(repr=False, compare=False)
    """``core(facts, on) -> CoreResult``: every rule, verdict and missing fact in one pass."""
    source: str = field(default="", repr=False, compare=False)
    """The generated Python text (for reading and debugging; values are not in it)."""
    memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """The evaluator's per-rule-set state: prebuilt explanation parts, memoised results."""

    def statuses(self, facts: Facts, on: date) -> list[Truth]:
        """The truth of every rule, in file order."""
        return self.core(facts, on).statuses

    def verdicts(self, statuses: list[Truth]) -> list[Truth]:
        """Per pathway: True eligible, False not eligible, None indeterminate."""
        return [kleene_all(statuses[i] for i in required) for _, required in self.pathways]


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile a (checked) rule set; see :func:`visitation.registry.compiled` for the cache."""
    defs = ruleset.definitions
    pathways = tuple(
        (pid, tuple(i for i, r in enumerate(ruleset.rules) if r.group in set(p.requires)))
        for pid, p in ruleset.pathways.items()
    )
    consts: dict[str, Any] = {}
    chunks: list[str] = []
    everything = [*ruleset.rules, *ruleset.indicators]
    for i, rule in enumerate(everything):
        chunks.append(_rule_functions(i, rule.when, defs, consts))
    chunks.append(_core_function([r.when for r in ruleset.rules], pathways, defs, consts))
    source = "\n".join(chunks)
    namespace: dict[str, Any] = {
        "__builtins__": {"len": len, "list": list, "dict": dict},
        "_missing_inputs": missing_inputs,
        "_CoreResult": CoreResult,
        **consts,
    }
    # Safe to run: the text is structure only (see the module docstring and
    # tests/test_compile.py::assert_no_values); the rule file's values are in `namespace`.
    exec(compile(source, f"<visitation {ruleset.key}>", "exec"), namespace)

    def compiled_rule(i: int, rule: Rule) -> CompiledRule:
        facts = tuple(dict.fromkeys(leaf.fact for leaf in leaves(rule.when, defs)))
        return CompiledRule(rule, namespace[f"test_{i}"], facts, namespace[f"missing_{i}"])

    compiled = [compiled_rule(i, r) for i, r in enumerate(everything)]
    n = len(ruleset.rules)
    return CompiledRuleSet(
        ruleset,
        content_hash(ruleset),
        tuple(compiled[:n]),
        tuple(compiled[n:]),
        pathways,
        namespace["core"],
        source,
    )


# --------------------------------------------------------------------------------------
# Code generation
# --------------------------------------------------------------------------------------

_OPERATOR_CODE: dict[str, str] = {
    "equals": "v == {c}",
    "is": "v == {c}",
    "not_equals": "v != {c}",
    "in": "v in {c}",
    "not_in": "v not in {c}",
    "at_least": "v >= {c}",
    "at_most": "v <= {c}",
    "greater_than": "v > {c}",
    "less_than": "v < {c}",
    "contains": "{c} in v",
    "contains_any": "not {c}.isdisjoint(v)",
    "contains_all": "{c}.issubset(v)",
    "size_at_least": "len(v) >= {c}",
    "within_days": "on - {c} <= v <= on",
}
"""Each operator on a recorded value ``v``; ``{c}`` is the name of the bound literal.
The same meanings as :func:`visitation.logic.predicate` (a property test holds them equal)."""

_SET_OPERATORS = frozenset({"in", "not_in", "contains_any", "contains_all"})


def _operand(leaf: Leaf) -> Any:
    """The leaf's literal in the form its code form compares with."""
    op, arg, fact = leaf.operator, leaf.value, leaf.fact
    if op in _SET_OPERATORS:
        return frozenset(_literal(fact, a) for a in arg)
    if op == "within_days":
        return timedelta(days=arg)
    return _literal(fact, arg)


class _Emitter:
    """Writes the body of one generated function; constants go to the shared namespace."""

    def __init__(self, consts: dict[str, Any], definitions: Mapping[str, Condition]) -> None:
        self.consts = consts
        self.definitions = definitions
        self.lines: list[str] = ["    get = facts.get"]
        self.count = 0
        self.defs: dict[str, str] = {}
        self.tree: dict[str, tuple[str, ...]] = {}
        """Truth variable → how its missing facts are collected (see :meth:`collect`)."""

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def fresh(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def prelude(self, roots: Iterable[Condition]) -> None:
        """Compute each definition the roots use, once, before any rule (dependencies first)."""
        for name in _definition_order(roots, self.definitions):
            self.defs[name] = self.condition(self.definitions[name], 1)

    def condition(self, c: Condition, depth: int) -> str:
        """Emit code computing ``c``; the name of the variable that holds its truth."""
        if isinstance(c, Leaf):
            return self.leaf(c, depth)
        if isinstance(c, Use):
            return self.defs[c.use]
        if isinstance(c, Not):
            inner = self.condition(c.not_, depth)
            t = self.fresh()
            self.line(depth, f"{t} = None if {inner} is None else not {inner}")
            self.tree[t] = ("same", inner)
            return t
        if isinstance(c, AllOf):
            return self.combine(c.all, depth, stop="False")
        if isinstance(c, AnyOf):
            return self.combine(c.any, depth, stop="True")
        if isinstance(c, AtLeastNOf):
            return self.at_least(c.at_least_n_of.n, c.at_least_n_of.of, depth)
        raise AssertionError(f"unknown condition {c!r}")  # pragma: no cover

    def leaf(self, leaf: Leaf, depth: int) -> str:
        t = self.fresh()
        key = self.const(leaf.fact)
        self.line(depth, f"v = get({key})")
        derivation = DERIVATIONS.get(leaf.fact)
        if derivation is not None:  # computed from other facts when not recorded itself
            self.line(depth, "if v is None:")
            self.line(depth + 1, f"v = {self.const(derivation.compute)}(facts, on)")
        op = leaf.operator
        if op == "recorded":  # never unknown
            self.line(depth, f"{t} = v is not None" if leaf.value else f"{t} = v is None")
            self.tree[t] = ("never",)
            return t
        code = _OPERATOR_CODE[op].format(c=self.const(_operand(leaf)))
        self.line(depth, f"{t} = None if v is None else {code}")
        self.tree[t] = ("leaf" if leaf.fact in FACTS else "derived", key)
        return t

    def combine(self, parts: list[Condition], depth: int, *, stop: str) -> str:
        """Kleene AND (``stop='False'``) or OR (``stop='True'``), settled at the first stop."""
        children = [self.condition(parts[0], depth)]
        t = self.fresh()
        self.line(depth, f"{t} = {children[0]}")
        for part in parts[1:]:
            self.line(depth, f"if {t} is not {stop}:")
            child = self.condition(part, depth + 1)
            children.append(child)
            self.line(depth + 1, f"if {child} is {stop}:")
            self.line(depth + 2, f"{t} = {stop}")
            self.line(depth + 1, f"elif {child} is None:")
            self.line(depth + 2, f"{t} = None")
        self.tree[t] = ("parts", *children)
        return t

    def at_least(self, n: int, parts: list[Condition], depth: int) -> str:
        t = self.fresh()
        need = self.const(n)
        true, unknown = f"{t}_true", f"{t}_unknown"
        self.line(depth, f"{true} = {unknown} = 0")
        children = []
        for part in parts:
            self.line(depth, f"if {true} < {need}:")
            child = self.condition(part, depth + 1)
            children.append(child)
            self.line(depth + 1, f"if {child} is True:")
            self.line(depth + 2, f"{true} += 1")
            self.line(depth + 1, f"elif {child} is None:")
            self.line(depth + 2, f"{unknown} += 1")
        self.line(
            depth,
            f"{t} = True if {true} >= {need} else (False if {true} + {unknown} < {need} else None)",
        )
        self.tree[t] = ("parts", *children)
        return t

    def collect(self, t: str, depth: int) -> None:
        """Append the missing facts of the unknown node ``t`` to ``m``, as ``interpret`` does:
        a leaf its fact; a combination the missing facts of its unknown parts, in order.
        (A node is unknown only when every part was evaluated, so each part's variable is set.)
        """
        kind, *args = self.tree[t]
        if kind == "leaf":
            self.line(depth, f"m.append({args[0]})")
        elif kind == "derived":  # what to record: the unrecorded inputs
            self.line(depth, f"m += _missing_inputs({args[0]}, facts)")
        elif kind == "never":
            self.line(depth, "pass")
        elif kind == "same":
            self.collect(args[0], depth)
        else:
            for child in args:
                self.line(depth, f"if {child} is None:")
                self.collect(child, depth + 1)


def _rule_functions(
    i: int, when: Condition, defs: Mapping[str, Condition], consts: dict[str, Any]
) -> str:
    """``test_i(facts, on)`` and ``missing_i(facts, on)`` for one rule."""
    test = _Emitter(consts, defs)
    test.prelude([when])
    t = test.condition(when, 1)
    missing = _Emitter(consts, defs)
    missing.prelude([when])
    m = missing.condition(when, 1)
    missing.line(1, f"if {m} is not None:")
    missing.line(2, "return []")
    missing.line(1, "m = []")
    missing.collect(m, 1)
    missing.line(1, "return list(dict.fromkeys(m))")
    return "\n".join(
        [
            f"def test_{i}(facts, on):",
            *test.lines,
            f"    return {t}",
            f"def missing_{i}(facts, on):",
            *missing.lines,
        ]
    )


def _core_function(
    whens: list[Condition],
    pathways: tuple[tuple[str, tuple[int, ...]], ...],
    defs: Mapping[str, Condition],
    consts: dict[str, Any],
) -> str:
    """``core(facts, on) -> CoreResult`` for all rules and pathways at once.

    The missing facts of an indeterminate pathway are those of its unknown rules
    (``missing_i``, the rules' own functions), in rule order, without repeats.
    """
    e = _Emitter(consts, defs)
    e.prelude(whens)
    statuses = [e.condition(w, 1) for w in whens]
    verdicts = [f"p{j}" for j in range(len(pathways))]
    for p, (_, required) in zip(verdicts, pathways, strict=True):
        names = [statuses[i] for i in required]
        if not names:
            e.line(1, f"{p} = True")
        else:
            false = " or ".join(f"{s} is False" for s in names)
            unknown = " or ".join(f"{s} is None" for s in names)
            e.line(1, f"{p} = False if {false} else (None if {unknown} else True)")
    result = f"[{', '.join(statuses)}], [{', '.join(verdicts)}]"
    if verdicts:
        e.line(1, f"if {' or '.join(f'{p} is None' for p in verdicts)}:")
        for j, (p, (_, required)) in enumerate(zip(verdicts, pathways, strict=True)):
            e.line(2, f"m{j} = []")
            e.line(2, f"if {p} is None:")
            for i in required:
                e.line(3, f"if {statuses[i]} is None:")
                e.line(4, f"m{j} += missing_{i}(facts, on)")
            e.line(3, f"m{j} = list(dict.fromkeys(m{j}))")
        missing = ", ".join(f"m{j}" for j in range(len(verdicts)))
        e.line(2, f"return _CoreResult({result}, [{missing}])")
    empty = ", ".join("[]" for _ in verdicts)
    return "\n".join(
        ["def core(facts, on):", *e.lines, f"    return _CoreResult({result}, [{empty}])"]
    )


def _definition_order(
    roots: Iterable[Condition], definitions: Mapping[str, Condition]
) -> list[str]:
    """The definitions the roots use, each after the definitions it uses itself."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(c: Condition) -> None:
        if isinstance(c, Use):
            if c.use not in seen:
                seen.add(c.use)
                visit(definitions[c.use])
                order.append(c.use)
        elif isinstance(c, Not):
            visit(c.not_)
        elif isinstance(c, AllOf | AnyOf):
            for p in c.all if isinstance(c, AllOf) else c.any:
                visit(p)
        elif isinstance(c, AtLeastNOf):
            for p in c.at_least_n_of.of:
                visit(p)

    for root in roots:
        visit(root)
    return order
