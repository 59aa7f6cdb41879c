"""One fold over conditions, one structural walk: every reader of rule trees uses these.

A condition is a tree of ``all`` / ``any`` / ``not`` / ``at_least_n_of`` / ``use`` nodes
over leaves (:mod:`visitation.ruleset`). Two ways to read one:

- :func:`fold` gives it a meaning: an :class:`Algebra` says what a leaf, a conjunction, a
  disjunction, a negation, a count and a named definition mean, and the fold combines
  them bottom-up. Each definition is folded **once** per fold and its result shared by
  every ``use`` of it, so the work is linear in the size of the rule file, however the
  definitions nest (a chain ``d1 = d0 ∧ d0``, ``d2 = d1 ∧ d1``, ... costs one fold per
  definition, not 2ⁿ). The reference interpreter, the compiler, the never-met search,
  the list of facts a rule reads and every backend are algebras.
- :func:`walk` visits the nodes as written, with their locations, without following
  ``use``: the checker reports problems where the author wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from visitation.operators import Operator
from visitation.ruleset import AllOf, AnyOf, AtLeastNOf, Condition, Leaf, Not, Use

__all__ = [
    "Algebra",
    "DefinitionError",
    "Loc",
    "definition_order",
    "facts_read",
    "fold",
    "leaves",
    "walk",
]

T = TypeVar("T")
Loc = tuple[str | int, ...]


class Algebra(Protocol[T]):
    """The meaning of each kind of node, given the meanings of its parts."""

    def leaf(self, leaf: Leaf, op: Operator) -> T: ...
    def all(self, parts: Sequence[T]) -> T: ...
    def any(self, parts: Sequence[T]) -> T: ...
    def negate(self, part: T) -> T: ...
    def at_least(self, n: int, parts: Sequence[T]) -> T: ...
    def use(self, name: str, definition: T) -> T: ...


class DefinitionError(LookupError):
    """A ``use`` names no definition, or definitions use each other in a cycle.

    The checker reports both (``undefined-definition``, ``definition-cycle``); a fold of a
    checked rule set never raises it.
    """


def fold(
    condition: Condition,
    algebra: Algebra[T],
    definitions: Mapping[str, Condition],
    *,
    memo: dict[str, T] | None = None,
    unresolved: Callable[[str], T] | None = None,
) -> T:
    """Fold ``condition`` with ``algebra``; each definition is folded once.

    ``memo`` (definition name → folded meaning) may be shared between folds of several
    conditions of one rule set, so that they share their definitions too; it fills in
    dependency order (a definition after those it uses). Definitions are folded first, in
    that order, so recursion is only as deep as one condition's nesting, however long a
    chain of definitions is. A ``use`` of an undefined or cyclic definition raises
    :class:`DefinitionError`, or gives ``unresolved(name)`` when that is given.
    """
    shared: dict[str, T] = {} if memo is None else memo
    bad: set[str] = set()

    def go(c: Condition) -> T:
        if isinstance(c, Leaf):
            return algebra.leaf(c, c.op)
        if isinstance(c, AllOf):
            return algebra.all([go(p) for p in c.all])
        if isinstance(c, AnyOf):
            return algebra.any([go(p) for p in c.any])
        if isinstance(c, Not):
            return algebra.negate(go(c.not_))
        if isinstance(c, AtLeastNOf):
            return algebra.at_least(c.at_least_n_of.n, [go(p) for p in c.at_least_n_of.of])
        if isinstance(c, Use):
            if c.use in bad:
                if unresolved is None:
                    raise DefinitionError(f"'use: {c.use}' leads to no definition or a cycle")
                return unresolved(c.use)
            return algebra.use(c.use, shared[c.use])
        raise AssertionError(f"unknown condition {c!r}")  # pragma: no cover

    order, bad = definition_order([condition], definitions, done=shared)
    for name in order:  # dependencies first: every use inside is folded already
        shared[name] = go(definitions[name])
    return go(condition)


def _uses_in(condition: Condition) -> list[str]:
    return [node.use for node, _ in walk(condition) if isinstance(node, Use)]


def definition_order(
    roots: Sequence[Condition],
    definitions: Mapping[str, Condition],
    *,
    done: Collection[str] = (),
) -> tuple[list[str], set[str]]:
    """The definitions the roots use (not in ``done``), each after those it uses, and the
    names that cannot be resolved: undefined, in a cycle, or using one of those.

    Iterative (an explicit stack), so a chain of definitions of any length is fine.
    """
    order: list[str] = []
    bad: set[str] = set()
    state: dict[str, int] = dict.fromkeys(done, 2)  # 1: on the stack, 2: finished
    for root in roots:
        stack: list[tuple[str, list[str]]] = []
        pending = _uses_in(root)[::-1]
        while pending or stack:
            if pending:
                name = pending.pop()
                if state.get(name) == 2:
                    continue
                if name not in definitions or state.get(name) == 1:
                    bad.add(name)
                    for open_name, _ in stack:  # everything depending on it is unresolved
                        bad.add(open_name)
                    continue
                state[name] = 1
                stack.append((name, pending))
                pending = _uses_in(definitions[name])[::-1]
                continue
            name, pending = stack.pop()
            state[name] = 2
            if name not in bad:
                order.append(name)
    return order, bad


def children(condition: Condition) -> list[tuple[Loc, Condition]]:
    """The parts of a node as written, each with its location relative to the node."""
    if isinstance(condition, AllOf):
        return [(("all", j), p) for j, p in enumerate(condition.all)]
    if isinstance(condition, AnyOf):
        return [(("any", j), p) for j, p in enumerate(condition.any)]
    if isinstance(condition, Not):
        return [(("not",), condition.not_)]
    if isinstance(condition, AtLeastNOf):
        return [(("at_least_n_of", "of", j), p) for j, p in enumerate(condition.at_least_n_of.of)]
    return []


def walk(condition: Condition, loc: Loc = ()) -> Iterator[tuple[Condition, Loc]]:
    """Every node as written, depth first, with its location; ``use`` is not followed."""
    yield condition, loc
    for rel, part in children(condition):
        yield from walk(part, (*loc, *rel))


class _LeafCollector:
    """The distinct leaves under a node, in order (a dict keeps order and drops repeats)."""

    def leaf(self, leaf: Leaf, op: Operator) -> dict[int, Leaf]:
        return {id(leaf): leaf}

    def _union(self, parts: Sequence[dict[int, Leaf]]) -> dict[int, Leaf]:
        out: dict[int, Leaf] = {}
        for p in parts:
            out.update(p)
        return out

    def all(self, parts: Sequence[dict[int, Leaf]]) -> dict[int, Leaf]:
        return self._union(parts)

    def any(self, parts: Sequence[dict[int, Leaf]]) -> dict[int, Leaf]:
        return self._union(parts)

    def at_least(self, n: int, parts: Sequence[dict[int, Leaf]]) -> dict[int, Leaf]:
        return self._union(parts)

    def negate(self, part: dict[int, Leaf]) -> dict[int, Leaf]:
        return part

    def use(self, name: str, definition: dict[int, Leaf]) -> dict[int, Leaf]:
        return definition


def leaves(condition: Condition, definitions: Mapping[str, Condition]) -> list[Leaf]:
    """Every distinct leaf of a condition, definitions expanded, in order of appearance
    (an undefined or cyclic ``use`` contributes nothing)."""
    found = fold(condition, _LeafCollector(), definitions, unresolved=lambda name: {})
    return list(found.values())


def facts_read(condition: Condition, definitions: Mapping[str, Condition]) -> tuple[str, ...]:
    """The names of the facts a condition reads, in order of appearance, without repeats."""
    return tuple(dict.fromkeys(leaf.fact for leaf in leaves(condition, definitions)))
