"""The pure-Python watcher: the reference backend, and the fallback where durable-rules
does not run (it does not import on Python 3.13).

On each event it re-tests only the rules that read a fact whose value changed (and, when
the event is on a new date, the rules that depend on the date), with the compiled rules'
own ``test``; the first event of a patient is one :func:`visitation.evaluate_core` pass.
A pathway's verdict is the Kleene AND of its required rules, kept as two counts per
pathway (rules not met, rules unknown), so a changed rule costs O(1) per pathway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from visitation import FACTS, CompiledRuleSet, evaluate_core, facts_of
from visitation.reactive._emitted import WatchdogKind
from visitation.reactive._watcher import DUE_SOON, OVERDUE, VERDICT_NAMES, Change, Live, Watcher

__all__ = ["PureWatcher"]

Truth = bool | None


class _Plan:
    """Which rules to re-test for which change, for one compiled rule set."""

    def __init__(self, compiled: CompiledRuleSet) -> None:
        required = [set(indices) for _, indices in compiled.pathways]
        self.required = tuple(tuple(indices) for _, indices in compiled.pathways)
        """Each pathway's required rules."""
        self.tests = tuple(rule.test for rule in compiled.rules)
        """Each rule's compiled test, by index."""
        self.pathways_of: dict[int, tuple[int, ...]] = {}
        by_fact: dict[str, list[int]] = {}
        always: list[int] = []
        dated: list[tuple[int, tuple[str, ...]]] = []
        for i, rule in enumerate(compiled.rules):
            owners = tuple(j for j, req in enumerate(required) if i in req)
            if not owners:
                continue  # no verdict depends on it
            self.pathways_of[i] = owners
            date_inputs: list[str] = []
            for name in rule.facts:
                spec = FACTS.get(name)
                if spec is None:  # a fact derived from others (not held by a record)
                    always.append(i)
                    continue
                # the date enters a rule only through a recorded date (within_days) or the
                # inputs of a derived fact (an age from the birth date)
                if spec.kind == "date":
                    date_inputs.append(name)
                date_inputs.extend(spec.derived_from)
                for source in (name, *spec.derived_from):
                    by_fact.setdefault(source, []).append(i)
            if date_inputs:
                dated.append((i, tuple(dict.fromkeys(date_inputs))))
        self.by_fact = {k: tuple(dict.fromkeys(v)) for k, v in by_fact.items()}
        self.always = tuple(dict.fromkeys(always))
        self.dated = tuple(dated)
        """(rule, the recorded facts through which the evaluation date reaches it)."""
        self.date_inputs = frozenset(name for _, inputs in dated for name in inputs)
        """The facts whose being recorded decides which rules a new date reaches."""

    def on_date(self, facts: Mapping[str, Any]) -> tuple[int, ...]:
        """The rules a new evaluation date reaches, for these facts (the rules with a date
        input recorded)."""
        reached: list[int] = []
        for i, inputs in self.dated:
            for name in inputs:
                if facts[name] is not None:
                    reached.append(i)
                    break
        return tuple(reached)


@dataclass(slots=True)
class _State:
    statuses: list[Truth]
    """Every rule's truth, as the core's ``test`` last gave it."""
    verdicts: list[Truth]
    false_n: list[int]
    """Per pathway: how many of its required rules are not met (Kleene AND: any is enough)."""
    unknown_n: list[int]
    """Per pathway: how many of its required rules are unknown."""
    on_date: tuple[int, ...]
    """The rules a new evaluation date reaches (:meth:`_Plan.on_date`), kept current."""
    open_received: int | None = None
    fired: set[tuple[str, int]] = field(default_factory=set)


class PureWatcher(Watcher):
    """The reference watcher, in Python alone (see :class:`Watcher` for the arguments).

    ``incremental=False`` re-evaluates every rule with ``evaluate_core`` on every event:
    the naive baseline of the benchmark.
    """

    def __init__(self, *args: Any, incremental: bool = True, **kwargs: Any) -> None:
        self.incremental = incremental
        self._plan: _Plan | None = None
        super().__init__(*args, **kwargs)

    def _b_start(self, compiled: CompiledRuleSet) -> None:
        self._plan = _Plan(compiled)

    def verdicts(self, patient: str) -> dict[str, str]:
        state: _State = self._get(patient).state
        return {
            pid: VERDICT_NAMES[v]
            for (pid, _), v in zip(self.compiled.pathways, state.verdicts, strict=True)
        }

    def _b_first(self, live: Live) -> list[Change]:
        plan = self._plan
        assert plan is not None
        if self.incremental:
            # every rule a verdict needs, each with its own test: the verdicts need no
            # missing-fact lists (an explanation builds them when it is read)
            facts, on, tests = live.facts, live.on, plan.tests
            statuses: list[Truth] = [None] * len(tests)
            for i in plan.pathways_of:
                statuses[i] = tests[i](facts, on)
        else:  # the naive baseline: evaluate_core on every event, the first one too
            statuses = list(evaluate_core(self.compiled, facts_of(live.patient), live.on).statuses)
        false_n: list[int] = []
        unknown_n: list[int] = []
        verdicts: list[Truth] = []
        for required in plan.required:
            f = u = 0
            for i in required:
                truth = statuses[i]
                if truth is False:
                    f += 1
                elif truth is None:
                    u += 1
            false_n.append(f)
            unknown_n.append(u)
            verdicts.append(False if f else (None if u else True))
        live.state = _State(statuses, verdicts, false_n, unknown_n, plan.on_date(live.facts))
        return [(j, None, VERDICT_NAMES[v]) for j, v in enumerate(verdicts)]

    def _b_update(self, live: Live, changed: list[str], dated: bool) -> list[Change]:
        state: _State = live.state
        facts = live.facts  # what facts_of wraps, read here and never written
        old = state.verdicts
        if not self.incremental:
            new = list(evaluate_core(self.compiled, facts, live.on).verdicts)
            state.verdicts = new
            return [
                (j, VERDICT_NAMES[a], VERDICT_NAMES[b])
                for j, (a, b) in enumerate(zip(old, new, strict=True))
                if a is not b
            ]
        plan = self._plan
        assert plan is not None
        if not plan.date_inputs.isdisjoint(changed):
            state.on_date = plan.on_date(facts)
        # the rules whose date inputs are recorded see a new evaluation date; a rule in
        # two of these tuples is tested twice, which costs less than a set of them
        todo = state.on_date + plan.always if dated else plan.always
        by_fact = plan.by_fact
        for name in changed:
            todo += by_fact.get(name, ())
        if not todo:
            return []
        tests = plan.tests
        owners = plan.pathways_of
        statuses = state.statuses
        on = live.on
        false_n, unknown_n = state.false_n, state.unknown_n
        dirty = False
        for i in todo:
            truth = tests[i](facts, on)
            was = statuses[i]
            if truth is was:
                continue
            statuses[i] = truth
            dirty = True
            for j in owners[i]:
                if was is False:
                    false_n[j] -= 1
                elif was is None:
                    unknown_n[j] -= 1
                if truth is False:
                    false_n[j] += 1
                elif truth is None:
                    unknown_n[j] += 1
        if not dirty:
            return []
        changes: list[Change] = []
        for j, was in enumerate(old):
            verdict = False if false_n[j] else (None if unknown_n[j] else True)
            if verdict is not was:
                changes.append((j, VERDICT_NAMES[was], VERDICT_NAMES[verdict]))
                old[j] = verdict
        return changes

    def _b_reception(self, live: Live, received: date | None, open_: bool) -> None:
        state: _State = live.state
        state.open_received = received.toordinal() if received is not None and open_ else None

    def _b_tick(self, live: Live, kind: WatchdogKind, received: date) -> bool:
        state: _State = live.state
        day = received.toordinal()
        if state.open_received != day or (kind, day) in state.fired:
            return False
        state.fired.add((kind, day))
        if kind == OVERDUE:
            state.fired.add((DUE_SOON, day))
        return True

    def _b_end(self, live: Live) -> None:
        live.state = None
