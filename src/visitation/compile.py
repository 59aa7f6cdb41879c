"""Compile a checked rule set into Python functions: the last stage, an immutable program.

Each rule set becomes one small generated Python module:

- ``core(facts, on)`` returns a :class:`CoreResult`: every rule's truth, every pathway's
  verdict and, for an indeterminate pathway, its missing facts, in one straight-line
  pass. Each fact is read once per leaf with ``facts.get``, each definition is computed
  once and shared by every rule that uses it, ``all`` / ``any`` / ``at_least_n_of`` stop
  as soon as their result is settled;
- per rule, ``test(facts, on)`` (its truth) and ``missing(facts, on)`` (for an unknown
  result: the unrecorded facts that would settle it, as the reference interpreter says).

The code is written by an algebra of the one fold over conditions
(:func:`visitation.conditions.fold`), so each definition is written once however the
definitions nest. The generated text holds only structure: local names made up here
(``t3``, ``t3_m``), each operator's ``python`` form from the operator table
(:mod:`visitation.operators`), and names of constants. Every value from
the rule file (fact names, literals, day counts, ``n`` of ``at_least_n_of``) is bound as
a constant in the module's namespace, never spliced into the text, and the namespace has
no builtins beyond ``len``, ``list`` and ``dict``. The plain interpreter
:func:`visitation.logic.interpret` is the reference these functions must agree with;
``tests/test_compile.py`` checks that on generated patients for every bundled rule set and
on generated rule sets (:func:`visitation.testing.rule_sets`). A compiled rule set holds
no state: caches and memos belong to a :class:`visitation.Library`.

Why generated code and not closures: in one measurement on the benchmark's 14 criteria
(3,000 patients, best of 5), nested closures took about 2.2 µs per patient (a Python call
per node), the generated pass about 0.8 µs and the hand-written floor about 0.5 µs
(``benchmarks/run.py``; docs/performance.md has the numbers of the last full run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from visitation.check import CheckedRuleSet
from visitation.conditions import facts_read, fold
from visitation.facts import DERIVATIONS, FACTS, missing_inputs
from visitation.logic import Facts, Truth, kleene_all
from visitation.operators import Operator
from visitation.ruleset import Condition, Leaf, Pathway, Rule, RuleSet, content_hash

__all__ = [
    "CompiledRule",
    "CompiledRuleSet",
    "CoreResult",
    "Program",
    "compile_ruleset",
    "content_hash",
    "evaluate_core",
]

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
    """(pathway id, indices into ``rules`` of the criteria it requires, in file order):
    the rules that decide its verdict."""
    core: Core = field(repr=False, compare=False)
    """``core(facts, on) -> CoreResult``: every rule, verdict and missing fact in one pass."""
    source: str = field(default="", repr=False, compare=False)
    """The generated Python text (for reading and debugging; values are not in it)."""
    documentation: tuple[tuple[int, ...], ...] = ()
    """Per pathway (in the order of ``pathways``): indices into ``rules`` of its
    documentation rules, which decide whether the referral is ready, not the verdict."""

    def readiness(self, statuses: Sequence[Truth]) -> list[Truth]:
        """Per pathway: True when every documentation rule is met (or there are none),
        False when one is not met, None when one is unknown (Kleene AND)."""
        return [kleene_all(statuses[i] for i in doc) for doc in self.documentation]


Program = CompiledRuleSet
"""The last stage of a rule set: immutable, compiled once, evaluated many times."""


def evaluate_core(program: CompiledRuleSet, facts: Facts, on: date) -> CoreResult:
    """Rule statuses (True/False/None), pathway verdicts and each pathway's missing facts.

    ``facts`` is a fact mapping (:func:`visitation.facts_of` of a Patient, or a plain dict
    of already valid values: a fact it lacks is not recorded). A pure function: one call
    of the program's generated ``core``.
    """
    return program.core(facts, on)


def compile_ruleset(ruleset: RuleSet | CheckedRuleSet) -> CompiledRuleSet:
    """Compile a rule set as given (a RuleSet is not checked here: that is the caller's
    promise; :meth:`visitation.Library.compile` checks before it compiles, and caches)."""
    if isinstance(ruleset, CheckedRuleSet):
        ruleset = ruleset.ruleset
    defs = ruleset.definitions

    def required(p: Pathway, documentation: bool) -> tuple[int, ...]:
        groups = set(p.requires)
        return tuple(
            i
            for i, r in enumerate(ruleset.rules)
            if r.group in groups and r.is_documentation is documentation
        )

    pathways = tuple((pid, required(p, False)) for pid, p in ruleset.pathways.items())
    documentation = tuple(required(p, True) for p in ruleset.pathways.values())
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
        facts = facts_read(rule.when, defs)
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
        documentation,
    )


# --------------------------------------------------------------------------------------
# Code generation: an algebra of the fold, writing Python text
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Code:
    """The code computing one node: the variable holding its truth, the lines (indented
    relative to the node) that compute it, and how its missing facts are collected."""

    var: str
    lines: list[str]
    how: tuple[Any, ...]
    """("leaf", key) · ("derived", key) · ("never",) · ("same", part) · ("parts", *parts)
    · ("def", name)"""


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Emitter:
    """Writes Python for each node (an algebra of :func:`visitation.conditions.fold`).

    Every value from the rule file becomes a constant bound in the shared namespace; the
    text holds only made-up names and each operator's ``python`` form from the operator
    table. A definition's code is written once, into the prelude of the function, before
    any rule, dependencies first; every ``use`` of it reads its variable.
    """

    def __init__(self, consts: dict[str, Any]) -> None:
        self.consts = consts
        self.count = 0
        self.prelude: list[str] = []
        self.defined: dict[str, _Code] = {}
        self.missing_of: dict[str, str] = {}
        """Definition → the name of the list of its missing facts (in ``missing_i``)."""
        self.memo: dict[str, _Code] = {}
        """The fold's memo: shared by every condition this emitter writes."""

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def fresh(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def write(self, condition: Condition, definitions: Mapping[str, Condition]) -> _Code:
        return fold(condition, self, definitions, memo=self.memo)

    def leaf(self, leaf: Leaf, op: Operator) -> _Code:
        t, key = self.fresh(), self.const(leaf.fact)
        lines = [f"v = get({key})"]
        derivation = DERIVATIONS.get(leaf.fact)
        if derivation is not None:  # computed from other facts when not recorded itself
            lines += ["if v is None:", f"    v = {self.const(derivation.compute)}(facts, on)"]
        form = op.forms["python"].format(c=self.const(op.prepare(leaf.fact, leaf.value)))
        if op.never_unknown:
            lines.append(f"{t} = {form}")
            return _Code(t, lines, ("never",))
        lines.append(f"{t} = None if v is None else {form}")
        return _Code(t, lines, ("leaf" if leaf.fact in FACTS else "derived", key))

    def negate(self, part: _Code) -> _Code:
        t = self.fresh()
        line = f"{t} = None if {part.var} is None else not {part.var}"
        return _Code(t, [*part.lines, line], ("same", part))

    def all(self, parts: Sequence[_Code]) -> _Code:
        return self._combine(parts, stop="False")

    def any(self, parts: Sequence[_Code]) -> _Code:
        return self._combine(parts, stop="True")

    def _combine(self, parts: Sequence[_Code], *, stop: str) -> _Code:
        """Kleene AND (``stop='False'``) or OR (``stop='True'``), settled at the first stop."""
        t = self.fresh()
        lines = [*parts[0].lines, f"{t} = {parts[0].var}"]
        for part in parts[1:]:
            lines.append(f"if {t} is not {stop}:")
            lines += _indent(part.lines)
            lines += [
                f"    if {part.var} is {stop}:",
                f"        {t} = {stop}",
                f"    elif {part.var} is None:",
                f"        {t} = None",
            ]
        return _Code(t, lines, ("parts", *parts))

    def at_least(self, n: int, parts: Sequence[_Code]) -> _Code:
        t, need = self.fresh(), self.const(n)
        true, unknown = f"{t}_true", f"{t}_unknown"
        lines = [f"{true} = {unknown} = 0"]
        for part in parts:
            lines.append(f"if {true} < {need}:")
            lines += _indent(part.lines)
            lines += [
                f"    if {part.var} is True:",
                f"        {true} += 1",
                f"    elif {part.var} is None:",
                f"        {unknown} += 1",
            ]
        lines.append(
            f"{t} = True if {true} >= {need} else (False if {true} + {unknown} < {need} else None)"
        )
        return _Code(t, lines, ("parts", *parts))

    def use(self, name: str, definition: _Code) -> _Code:
        if name not in self.defined:
            self.prelude += definition.lines
            self.defined[name] = definition
            # its own list name: a definition that is only a `use` shares its variable
            self.missing_of[name] = f"{self.fresh()}_m"
        return _Code(definition.var, [], ("def", name))

    # -- missing facts -----------------------------------------------------------------

    def collect(self, code: _Code, into: str) -> list[str]:
        """Lines appending the missing facts of the unknown node ``code`` to ``into``, as the
        reference interpreter lists them: a leaf its fact; a combination the missing facts
        of its unknown parts, in order; a definition its own list (written once, see
        :meth:`definition_missing`). A node is unknown only when every part was evaluated,
        so each part's variable is set."""
        kind, *args = code.how
        if kind == "leaf":
            return [f"{into}.append({args[0]})"]
        if kind == "derived":  # what to record: the unrecorded inputs
            return [f"{into} += _missing_inputs({args[0]}, facts)"]
        if kind == "never":
            return []
        if kind == "same":
            return self.collect(args[0], into)
        if kind == "def":
            return [f"{into} += {self.missing_of[args[0]]}"]
        lines: list[str] = []
        for part in args:
            inner = self.collect(part, into)
            if inner:
                lines += [f"if {part.var} is None:", *_indent(inner)]
        return lines

    def definition_missing(self) -> list[str]:
        """For each definition (dependencies first), its missing facts when unknown."""
        lines: list[str] = []
        for name, code in self.defined.items():
            m = self.missing_of[name]
            lines.append(f"{m} = []")
            inner = self.collect(code, m)
            if inner:  # without repeats, so that a definition used twice costs no more
                lines += [
                    f"if {code.var} is None:",
                    *_indent(inner),
                    f"    {m} = list(dict.fromkeys({m}))",
                ]
        return lines


def _function(name: str, body: list[str]) -> list[str]:
    return [f"def {name}(facts, on):", *_indent(["get = facts.get", *body])]


def _rule_functions(
    i: int, when: Condition, defs: Mapping[str, Condition], consts: dict[str, Any]
) -> str:
    """``test_i(facts, on)`` and ``missing_i(facts, on)`` for one rule."""
    test = _Emitter(consts)
    t = test.write(when, defs)
    missing = _Emitter(consts)
    m = missing.write(when, defs)
    return "\n".join(
        [
            *_function(f"test_{i}", [*test.prelude, *t.lines, f"return {t.var}"]),
            *_function(
                f"missing_{i}",
                [
                    *missing.prelude,
                    *m.lines,
                    f"if {m.var} is not None:",
                    "    return []",
                    *missing.definition_missing(),
                    "m = []",
                    *missing.collect(m, "m"),
                    "return list(dict.fromkeys(m))",
                ],
            ),
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
    e = _Emitter(consts)
    codes = [e.write(w, defs) for w in whens]
    body = [*e.prelude]
    for code in codes:
        body += code.lines
    statuses = [code.var for code in codes]
    verdicts = [f"p{j}" for j in range(len(pathways))]
    for p, (_, required) in zip(verdicts, pathways, strict=True):
        names = [statuses[i] for i in required]
        if not names:
            body.append(f"{p} = True")
        else:
            false = " or ".join(f"{s} is False" for s in names)
            unknown = " or ".join(f"{s} is None" for s in names)
            body.append(f"{p} = False if {false} else (None if {unknown} else True)")
    result = f"[{', '.join(statuses)}], [{', '.join(verdicts)}]"
    if verdicts:
        body.append(f"if {' or '.join(f'{p} is None' for p in verdicts)}:")
        for j, (p, (_, required)) in enumerate(zip(verdicts, pathways, strict=True)):
            body += [f"    m{j} = []", f"    if {p} is None:"]
            for i in required:
                body += [
                    f"        if {statuses[i]} is None:",
                    f"            m{j} += missing_{i}(facts, on)",
                ]
            body.append(f"        m{j} = list(dict.fromkeys(m{j}))")
        missing = ", ".join(f"m{j}" for j in range(len(verdicts)))
        body.append(f"    return _CoreResult({result}, [{missing}])")
    empty = ", ".join("[]" for _ in verdicts)
    body.append(f"return _CoreResult({result}, [{empty}])")
    return "\n".join(_function("core", body))
