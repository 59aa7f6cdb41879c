"""Law 7 for the reactive backends, as a hypothesis state machine over many patients.

Rule sets: generated ones (``visitation.testing.rule_sets``: every operator and kind of
condition) or a bundled one. Patients: generated ones (``visitation.testing.patients``) and
the examples, more than 1,024 of them (so that durable-rules needs a second shard), then
facts set, changed and cleared with generated values. After any sequence of events the
durable-rules watcher's current verdicts equal the reference evaluator's on the
accumulated facts, and its output equals the pure-Python watcher's (and the naive
re-evaluating watcher's) event for event, refusals included.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import visitation
from visitation import FACTS, CompiledRuleSet, Patient, compile_ruleset, facts_of
from visitation.reactive import (
    MAX_KEYS,
    DurableWatcher,
    EventError,
    PureWatcher,
    Watcher,
    parse_event,
)
from visitation.testing import fact_values, patients, rule_sets

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLED = [info.key for info in visitation.list_rulesets()]
RULESETS = st.one_of(
    rule_sets().map(compile_ruleset),
    st.sampled_from(BUNDLED).map(lambda key: visitation.resolve(key, date(2026, 11, 1))),
)
START = datetime(2026, 11, 1, 8, 0)
RECEPTION = ("referral_received_on", "first_contact_on", "died_or_too_ill_before_contact")
FACT_NAMES = sorted(FACTS)


def _seeds() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))]


SEEDS = _seeds()


def _jsonable(value: Any) -> Any:
    """The value as a JSON line would carry it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(getattr(v, "value", v) for v in value)
    return getattr(value, "value", value)


class Law7(RuleBasedStateMachine):
    """Three watchers fed the same events."""

    def __init__(self) -> None:
        super().__init__()
        self.watchers: list[Watcher] = []
        self.now = START
        self.ids: list[str] = []
        self.touched: set[str] = set()
        self.spec: CompiledRuleSet | None = None

    # -- feeding ---------------------------------------------------------------------------
    def feed(self, event: dict[str, Any]) -> None:
        ev = parse_event(event, line=len(self.ids))
        results: list[Any] = []
        for w in self.watchers:
            try:
                results.append(w.feed(ev))
            except EventError as exc:
                results.append(("refused", str(exc)))
        pure, naive, durable = results
        assert durable == pure, (event, durable, pure)
        assert naive == pure, (event, naive, pure)
        if ev.patient is not None:
            self.touched.add(ev.patient)

    def patient(self, data: st.DataObject) -> str:
        if not self.ids or data.draw(st.integers(0, 9), label="new?") == 0:
            self.ids.append(f"n{len(self.ids)}")
            return self.ids[-1]
        return data.draw(st.sampled_from(self.ids), label="patient")

    # -- the steps -----------------------------------------------------------------------------
    @initialize(
        rules=RULESETS,
        generated=st.lists(patients(on=START.date()), min_size=1, max_size=6),
        n=st.integers(MAX_KEYS + 1, MAX_KEYS + 8),
        seed=st.integers(0, 2**32 - 1),
    )
    def open_many(
        self, rules: CompiledRuleSet, generated: list[Patient], n: int, seed: int
    ) -> None:
        """More patients than one durable-rules ruleset holds: parts of generated patients
        and of the examples."""
        self.spec = rules
        self.watchers = [
            PureWatcher(rules),
            PureWatcher(rules, incremental=False),
            DurableWatcher(rules),
        ]
        rnd = random.Random(seed)
        seeds = SEEDS + [
            {k: _jsonable(v) for k, v in facts_of(p).items() if v is not None} for p in generated
        ]
        for i in range(n):
            base = rnd.choice(seeds)
            keep = {k: v for k, v in base.items() if rnd.random() < 0.8}
            self.ids.append(f"p{i}")
            self.feed({"patient": f"p{i}", "time": self.now.isoformat(), "set": keep})
        self.touched.clear()

    @rule(data=st.data(), k=st.integers(1, 3))
    def set_facts(self, data: st.DataObject, k: int) -> None:
        """Record or change a few facts of one patient (perhaps a new one)."""
        pid = self.patient(data)
        names = data.draw(st.lists(st.sampled_from(FACT_NAMES), min_size=1, max_size=k))
        values = {
            n: _jsonable(data.draw(fact_values(n, on=self.now.date(), boundary=True)))
            for n in names
        }
        self.feed({"patient": pid, "time": self.now.isoformat(), "set": values})

    @rule(data=st.data())
    def reception(self, data: st.DataObject) -> None:
        """A receipt date, a first contact, or 'died or too ill'."""
        pid = self.patient(data)
        name = data.draw(st.sampled_from(RECEPTION))
        if name == "died_or_too_ill_before_contact":
            value: Any = data.draw(st.booleans())
        else:
            value = (self.now - timedelta(days=data.draw(st.integers(0, 14)))).date().isoformat()
        self.feed({"patient": pid, "time": self.now.isoformat(), "set": {name: value}})

    @rule(data=st.data())
    def clear_facts(self, data: st.DataObject) -> None:
        """Clear facts (an unknown patient's clear is refused by all alike)."""
        pid = self.patient(data)
        names = data.draw(
            st.lists(st.sampled_from(FACT_NAMES), min_size=1, max_size=3, unique=True)
        )
        self.feed({"patient": pid, "time": self.now.isoformat(), "clear": names})

    @rule(hours=st.integers(0, 24 * 6))
    def time_passes(self, hours: int) -> None:
        """The stream's clock moves on (a clock line)."""
        self.now += timedelta(hours=hours)
        self.feed({"time": self.now.isoformat()})

    @rule(data=st.data())
    def backwards(self, data: st.DataObject) -> None:
        """An event earlier than the patient's last one (refused by all alike)."""
        pid = self.patient(data)
        then = self.now - timedelta(hours=data.draw(st.integers(1, 48)))
        self.feed({"patient": pid, "time": then.isoformat(), "set": {}})

    @rule(data=st.data())
    def end(self, data: st.DataObject) -> None:
        """A patient's episode ends."""
        pid = self.patient(data)
        self.feed({"patient": pid, "time": self.now.isoformat(), "end": True})

    # -- the law ---------------------------------------------------------------------------------
    def check(self, pids: list[str]) -> None:
        pure, _, durable = self.watchers
        assert sorted(durable.patients()) == sorted(pure.patients())
        for pid in pids:
            if pid not in pure.patients():
                continue
            facts = durable.facts(pid)
            assert facts == pure.facts(pid)
            on = durable.evaluated_on(pid)
            assert self.spec is not None
            expected = visitation.evaluate(facts, self.spec, on=on).verdicts
            assert durable.verdicts(pid) == expected
            assert pure.verdicts(pid) == expected

    @invariant()
    def verdicts_are_the_evaluators(self) -> None:
        if self.watchers:
            self.check(sorted(self.touched))
            self.touched.clear()

    def teardown(self) -> None:
        try:
            if self.watchers:
                self.check(self.watchers[0].patients())
        finally:
            for w in self.watchers:
                w.close()


Law7.TestCase.settings = settings(max_examples=6, stateful_step_count=30, deadline=None)
TestLaw7 = Law7.TestCase
TestLaw7.__doc__ = "The durable-rules watcher equals the reference, event for event (law 7)."
