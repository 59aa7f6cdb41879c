"""Verdict transitions, for both watchers: what is emitted, when, and with what explanation."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import reactive_support
import yaml

import visitation
from visitation.reactive import (
    EventError,
    PureWatcher,
    ReactiveEngineError,
    Transition,
    parse_event,
)

RULES = reactive_support.RULES
make_watcher = reactive_support.make_watcher


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    facts: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return facts


def ev(patient: str, time: str, set_: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"patient": patient, "time": time, **kw}
    if set_ is not None:
        out["set"] = set_
    return out


def transitions(out: list[Any]) -> dict[str, Transition]:
    return {t.pathway: t for t in out if isinstance(t, Transition)}


def test_first_evaluation_emits_every_verdict(make_watcher: Any) -> None:
    """A patient's first event emits each pathway's verdict, with no previous verdict."""
    w = make_watcher()
    out = w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-copd-specialized.yaml")))
    got = transitions(out)
    assert set(got) == {"specialized", "hospice"}
    assert got["specialized"].event == "became_eligible"
    assert got["hospice"].event == "became_not_eligible"
    assert all(t.previous is None for t in got.values())
    assert [t.pathway for t in out] == ["specialized", "hospice"]  # the rule set's order


def test_an_event_that_changes_no_verdict_emits_nothing(make_watcher: Any) -> None:
    """New facts that leave every verdict as it was emit nothing."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    assert w.feed(ev("p1", "2026-11-23T11:00:00", {"symptom_count": 5})) == []
    assert w.feed(ev("p1", "2026-11-23T12:00:00", {})) == []


def test_became_eligible_explains_every_required_rule(make_watcher: Any) -> None:
    """became_eligible carries each required rule's 'met' explanation from the Assessment."""
    facts = example("eligible-cancer-hospice.yaml")
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", {k: v for k, v in facts.items() if k != "prognosis"}))
    out = w.feed(ev("p1", "2026-11-23T11:00:00", {"prognosis": "weeks"}))
    t = transitions(out)["hospice"]
    assert (t.event, t.previous, t.verdict) == ("became_eligible", "indeterminate", "eligible")
    a = visitation.evaluate(facts, RULES, on="2026-11-23", lang="en")
    required = a.pathway("hospice").rules
    assert [e.rule for e in t.explanation] == required
    assert all(e.status == "met" for e in t.explanation)
    assert [e.text for e in t.explanation] == [a.rule(r).explanation["en"] for r in required]
    assert t.to_json()["event"] == "became_eligible"
    assert t.to_json()["pathway"] == "hospice"


def test_became_not_eligible_names_the_blocking_rules(make_watcher: Any) -> None:
    """became_not_eligible carries the blocking rules and their 'not met' explanations."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    out = w.feed(ev("p1", "2026-11-23T11:00:00", {"wishes_hospice": False}))
    t = transitions(out)["hospice"]
    assert (t.event, t.previous) == ("became_not_eligible", "eligible")
    assert t.blocking == ("hospice.wish-informed",)
    assert [(e.rule, e.status) for e in t.explanation] == [("hospice.wish-informed", "not_met")]
    assert "specialized" not in transitions(out)


def test_became_indeterminate_lists_the_missing_facts(make_watcher: Any) -> None:
    """Clearing a fact a verdict needs emits became_indeterminate with the facts to record."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    out = w.feed(ev("p1", "2026-11-23T11:00:00", clear=["prognosis", "wishes_hospice"]))
    t = transitions(out)["hospice"]
    assert (t.event, t.previous, t.verdict) == ("became_indeterminate", "eligible", "indeterminate")
    assert set(t.missing) == {"prognosis", "wishes_hospice"}
    assert {e.rule for e in t.explanation} == {"hospice.short-survival", "hospice.wish-informed"}
    assert all(e.status == "unknown" for e in t.explanation)


def test_current_verdicts_are_the_evaluators(make_watcher: Any) -> None:
    """The verdicts a watcher holds equal visitation.evaluate on the accumulated facts."""
    w = make_watcher()
    facts = example("not-eligible-curative.yaml")
    w.feed(ev("p1", "2026-11-20T10:00:00", facts))
    w.feed(ev("p1", "2026-11-23T10:00:00", {"incurable": True}, clear=["workup_complete"]))
    expected = visitation.evaluate(w.facts("p1"), RULES, on=date(2026, 11, 23)).verdicts
    assert w.verdicts("p1") == expected
    assert w.evaluated_on("p1") == date(2026, 11, 23)


def test_a_later_date_alone_can_change_a_verdict(make_watcher: Any) -> None:
    """The evaluation date is the patient's latest event date: an old screening expires."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    later = "2027-11-23T10:00:00"
    out = w.feed(ev("p1", later, {}))
    expected = visitation.evaluate(w.facts("p1"), RULES, on=date(2027, 11, 23)).verdicts
    assert w.verdicts("p1") == expected
    assert expected != {"specialized": "eligible", "hospice": "eligible"}
    assert {t.pathway: t.verdict for t in transitions(out).values()} == {
        k: v for k, v in expected.items() if v != "eligible"
    }


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        (ev("p1", "2026-11-23T11:00:00", {"prognosis": "soon"}), "set.prognosis", "'weeks'"),
        (ev("p1", "2026-11-23T11:00:00", {"age": "old"}), "set.age", "integer"),
        (ev("p1", "2026-11-23T11:00:00", {"birth_date": "1950-01-01"}), None, "age"),
        (ev("p1", "2026-11-23T11:00:00", {"first_contact_on": "2026-11-01"}), None, "before"),
        (ev("p1", "2026-11-23T09:00:00", {"symptom_count": 1}), "time", "backwards"),
        (ev("p2", "2026-11-23T11:00:00", clear=["age"]), "clear", "nothing to clear"),
        (ev("p2", "2026-11-23T11:00:00", end=True), "end", "no open episode"),
        (ev("p1", "2026-11-23T11:00:00+01:00", {}), "time", "UTC offset"),
    ],
)
def test_a_refused_event_names_line_and_field_and_changes_nothing(
    make_watcher: Any, event: dict[str, Any], field: str | None, words: str
) -> None:
    """A refused event raises EventError with its line and field; the state is unchanged."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    before = (w.facts("p1"), w.verdicts("p1"), w.patients())
    with pytest.raises(EventError) as info:
        w.feed(parse_event(event, line=9))
    assert info.value.line == 9
    assert info.value.field == field
    assert words in str(info.value)
    assert (w.facts("p1"), w.verdicts("p1"), w.patients()) == before
    assert w.feed(ev("p1", "2026-11-23T12:00:00", {})) == []  # and it goes on


def test_ending_an_episode_forgets_the_patient(make_watcher: Any) -> None:
    """end: true closes the episode; the next event for that id starts a new one."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    assert w.feed(ev("p1", "2026-11-24T10:00:00", end=True)) == []
    assert w.patients() == []
    out = w.feed(ev("p1", "2026-11-25T10:00:00", {"age": 80}))
    assert {t.previous for t in transitions(out).values()} == {None}
    assert w.facts("p1").prognosis is None


def test_a_second_writer_thread_is_refused(make_watcher: Any) -> None:
    """Feeding one watcher from two threads raises instead of losing updates."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", {"age": 70}))
    errors: list[BaseException] = []

    def other() -> None:
        try:
            w.feed(ev("p2", "2026-11-23T10:00:00", {"age": 70}))
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], ReactiveEngineError)
    assert "one writer" in str(errors[0])


def test_a_family_is_resolved_on_the_first_events_date() -> None:
    """A bare family picks the version in force on the first event's date, then keeps it."""
    w = PureWatcher("dk-national")
    with pytest.raises(RuntimeError):
        _ = w.compiled
    w.feed(ev("p1", "2026-11-23T10:00:00", {"age": 70}))
    expected = visitation.resolve("dk-national", date(2026, 11, 23))
    assert w.compiled.content_hash == expected.content_hash


def test_a_closed_watcher_refuses_events(make_watcher: Any) -> None:
    """After close() a watcher raises rather than half-working."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", {"age": 70}))
    w.close()
    with pytest.raises(RuntimeError, match="closed"):
        w.feed(ev("p1", "2026-11-23T11:00:00", {"age": 71}))


def test_run_yields_what_feed_returns() -> None:
    """run(events) is feed over each event, in order."""
    events = [
        ev("p1", "2026-11-23T10:00:00", {"age": 70}),
        ev("p1", "2026-11-23T11:00:00", example("eligible-cancer-hospice.yaml")),
    ]
    one, two = PureWatcher(RULES), PureWatcher(RULES)
    assert list(one.run(events)) == [o for e in events for o in two.feed(e)]


def test_a_language_the_rule_set_lacks_is_refused() -> None:
    """lang must be one of the rule set's languages; by default English."""
    with pytest.raises(ValueError, match="no language 'xx'"):
        PureWatcher(RULES, lang="xx")
    w = PureWatcher(RULES, lang="da")
    t = transitions(w.feed(ev("p1", "2026-11-23T10:00:00", {"incurable": False})))["specialized"]
    assert (
        t.explanation[0].text
        == visitation.evaluate(w.facts("p1"), RULES, on="2026-11-23", lang="da")
        .rule("specialized.incurable")
        .explanation["da"]
    )


def test_a_refused_date_leaves_facts_revised_in_place_as_they_were(make_watcher: Any) -> None:
    """An event whose date a fact contradicts, on a patient the watcher revises in place
    (nobody else holds it), is refused and leaves every fact as it was."""
    w = make_watcher()
    w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    assert w.feed(ev("p1", "2026-11-23T11:00:00", {"symptom_count": 5})) == []
    # read the facts without handing the patient out (w.facts would make it shared)
    before = dict(w._live["p1"].patient.__dict__)
    with pytest.raises(EventError, match="after the evaluation date"):
        w.feed(ev("p1", "2026-11-23T12:00:00", {"symptom_count": 6, "eortc_date": "2026-12-30"}))
    assert w._live["p1"].patient.__dict__ == before
    assert w.facts("p1").symptom_count == 5


def test_a_transition_explains_the_facts_of_its_own_event(make_watcher: Any) -> None:
    """A transition read after later events still explains the facts as they were at its
    event, though the watcher revises a patient's facts in place when nobody holds them."""
    w = make_watcher()
    first = transitions(
        w.feed(ev("p1", "2026-11-23T10:00:00", example("eligible-cancer-hospice.yaml")))
    )
    w.feed(ev("p1", "2026-11-23T11:00:00", {"symptom_count": 5}))
    w.feed(ev("p1", "2026-11-23T12:00:00", {"symptom_count": 6}))
    later = transitions(w.feed(ev("p1", "2026-11-23T13:00:00", {"wishes_hospice": False})))
    w.feed(ev("p1", "2026-11-23T14:00:00", {"symptom_count": 7}))
    assert first["hospice"].verdict == "eligible"
    assert first["hospice"].assessment.pathways[1].verdict == "eligible"
    assert first["hospice"].explainer.patient.symptom_count != 7
    assert later["hospice"].verdict == "not_eligible"
    assert later["hospice"].explainer.patient.symptom_count == 6
    assert later["hospice"].blocking
    assert w.facts("p1").symptom_count == 7
