"""durable-rules' measured limits, handled: shards, freed slots, surfaced exceptions, names."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date
from typing import Any

import durable_rules_engine
import pytest
import reactive_support
from durable import engine as durable

import visitation
from visitation.reactive import MAX_KEYS, DurableWatcher, ReactiveEngineError
from visitation.reactive._engine import Engine

RULES = reactive_support.RULES


def event(patient: str, **facts: Any) -> dict[str, Any]:
    return {"patient": patient, "time": "2026-11-23T10:00:00", "set": facts}


def test_a_ruleset_holds_at_most_1024_live_keys() -> None:
    """The limit itself (durable-rules 2.0.28): the 1,025th live sid raises MemoryError."""

    host = _QuietHost()
    host.register_rulesets(
        {"limit-probe": {"r": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}}
    )
    try:
        for i in range(MAX_KEYS):
            host.post("limit-probe", {"sid": f"s{i}", "t": "x"})
        with pytest.raises(MemoryError):
            host.post("limit-probe", {"sid": "one-too-many", "t": "x"})
    finally:
        for i in range(MAX_KEYS):
            host.delete_state("limit-probe", f"s{i}")
        durable_rules_engine.delete_ruleset(host.get_ruleset("limit-probe")._handle)


class _QuietHost(durable.Host):  # type: ignore[misc]
    def _run(self) -> None:
        pass


def test_a_batch_loses_the_matches_of_its_other_events() -> None:
    """The measured bug the engine avoids by posting one event at a time: in a batch, an
    action that replaces a fact makes the other events' matches vanish; they stay pending."""
    log: list[str] = []

    def changed(c: Any) -> None:
        log.append(f"changed {c.e.p}")
        c.retract_fact(c.f._d)
        c.assert_fact({"t": "v", "p": c.e.p, "v": c.e.v})

    def same(c: Any) -> None:
        log.append(f"same {c.e.p}")

    def first(c: Any) -> None:
        c.assert_fact({"t": "v", "p": c.e.p, "v": c.e.v})

    rules = {
        "first": {
            "all": [{"e": {"t": "c"}}, {"n$not": {"$and": [{"t": "v"}, {"p": {"e": "p"}}]}}],
            "run": first,
        },
        "changed": {
            "all": [
                {"f": {"t": "v"}},
                {"e": {"$and": [{"t": "c"}, {"p": {"f": "p"}}, {"$neq": {"v": {"f": "v"}}}]}},
            ],
            "run": changed,
        },
        "same": {
            "all": [
                {"f": {"t": "v"}},
                {"e": {"$and": [{"t": "c"}, {"p": {"f": "p"}}, {"v": {"f": "v"}}]}},
            ],
            "run": same,
        },
    }
    host = _QuietHost()
    host.register_rulesets({"batch-probe": rules})
    ids = iter(range(1, 100))

    def batch(v0: str, v1: str) -> list[dict[str, Any]]:
        return [
            {"sid": "a", "id": next(ids), "t": "c", "p": 0, "v": v0},
            {"sid": "a", "id": next(ids), "t": "c", "p": 1, "v": v1},
        ]

    try:
        host.post_batch("batch-probe", batch("x", "y"))
        log.clear()
        host.post_batch("batch-probe", batch("z", "y"))  # pathway 0 changes, 1 stays
        assert log == ["changed 0"]  # no "same 1": that event's match was lost
        assert [e["p"] for e in host.get_pending_events("batch-probe", "a")] == [1]
        for m in batch("x", "y"):  # one at a time, every event is handled
            host.post("batch-probe", m)
        assert len(host.get_pending_events("batch-probe", "a")) == 1  # only the old one
    finally:
        host.delete_state("batch-probe", "a")
        durable_rules_engine.delete_ruleset(host.get_ruleset("batch-probe")._handle)


def test_an_event_left_pending_is_raised() -> None:
    """An event that matches a rule's first condition but completes no match is a lost
    update; check_pending raises it instead of leaving it in the engine."""

    def definition(guard: Any) -> dict[str, Any]:
        return {
            "join": {"all": [{"f": {"t": "fact"}}, {"e": {"t": "x"}}], "run": guard(lambda c: None)}
        }

    engine = Engine("visitation-test", definition)
    try:
        with pytest.raises(ReactiveEngineError, match="left 1 events for 'k' unhandled"):
            engine.post("k", [{"t": "x"}])
    finally:
        engine.close()


def test_more_than_1024_patients_open_a_second_shard() -> None:
    """Patient 1,025 goes to a new ruleset; every patient's verdicts stay the evaluator's."""
    with DurableWatcher(RULES) as w:
        for i in range(MAX_KEYS + 1):
            w.feed(event(f"p{i}", age=60 + i % 40))
        assert list(w.engine.live_keys().values()) == [MAX_KEYS, 1]
        for pid in ("p0", "p1023", "p1024"):
            expected = visitation.evaluate(w.facts(pid), RULES, on="2026-11-23").verdicts
            assert w.verdicts(pid) == expected


def test_an_ended_episode_frees_its_slot() -> None:
    """Deleting a patient's state at the end of its episode lets a new patient in."""
    with DurableWatcher(RULES, keys_per_shard=3) as w:
        for pid in ("a", "b", "c"):
            w.feed(event(pid, age=70))
        w.feed({"patient": "b", "time": "2026-11-24T10:00:00", "end": True})
        w.feed(event("d", age=70))
        assert list(w.engine.live_keys().values()) == [3]
        w.feed(event("e", age=70))
        assert list(w.engine.live_keys().values()) == [3, 1]


def test_keys_per_shard_cannot_exceed_the_limit() -> None:
    """A shard size beyond durable-rules' 1,024 keys is refused."""
    with pytest.raises(ValueError, match="1024"):
        DurableWatcher(RULES, keys_per_shard=MAX_KEYS + 1)


def test_an_exception_in_an_action_is_raised_not_stored() -> None:
    """durable-rules stores an action's exception in the state; the engine raises it."""

    def definition(guard: Any) -> dict[str, Any]:
        def kaboom(c: Any) -> None:
            raise ZeroDivisionError("kaboom in an action")

        return {"boom": {"all": [{"m": {"t": "x"}}], "run": guard(kaboom)}}

    engine = Engine("visitation-test", definition)
    try:
        with pytest.raises(ReactiveEngineError, match="ZeroDivisionError: kaboom in an action"):
            engine.post("k", [{"t": "x"}])
        with pytest.raises(ReactiveEngineError, match="no rule handled"):
            engine.post("k", [{"t": "nothing matches this"}])
    finally:
        engine.close()


def test_ruleset_names_are_unique_per_process() -> None:
    """Two watchers over one rule set never register the same ruleset name."""
    one, two = DurableWatcher(RULES), DurableWatcher(RULES)
    try:
        one.feed(event("p", age=70))
        two.feed(event("p", age=70))
        digest = visitation.resolve(RULES, date(2026, 11, 23))
        prefix = "visitation-" + digest.content_hash.removeprefix("sha256:")[:16]
        names = one.engine.shards + two.engine.shards
        assert len(set(names)) == 2
        assert all(n.startswith(prefix + "-") for n in names)
    finally:
        one.close()
        two.close()


def test_the_watcher_starts_no_threads() -> None:
    """No durable-rules dispatch or timer threads: the caller's thread is the one writer."""
    before = threading.active_count()
    with DurableWatcher(RULES) as w:
        w.feed(event("p", age=70))
        w.feed({"time": "2026-12-24T00:00:00"})
        assert threading.active_count() == before


def test_close_deletes_the_rulesets() -> None:
    """close() deletes every patient's state and every ruleset."""
    w = DurableWatcher(RULES, keys_per_shard=2)
    for pid in "abc":
        w.feed(event(pid, age=70))
    assert len(w.engine.shards) == 2
    w.close()
    assert w.engine.shards == []


def test_without_durable_rules_the_pure_watcher_remains() -> None:
    """Where durable-rules cannot be imported, DurableWatcher raises ImportError with the
    install hint, and PureWatcher works."""
    code = (
        "import sys; sys.modules['durable'] = None; sys.modules['durable_rules_engine'] = None\n"
        "from visitation.reactive import DurableWatcher, PureWatcher, available\n"
        "assert not available()\n"
        "w = PureWatcher('dk-national@2.0.0')\n"
        "print(len(w.feed({'patient': 'p', 'time': '2026-11-23T10:00:00'})))\n"
        "try:\n"
        "    DurableWatcher('dk-national@2.0.0')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = run.stdout.splitlines()
    assert lines[0] == "2"
    assert "pip install 'visitation[reactive]'" in lines[1]
