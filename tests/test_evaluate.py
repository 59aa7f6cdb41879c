"""The evaluator: Kleene logic, operators, derived age, missing facts, the Assessment."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import visitation
from visitation import PatientFileError, RuleSet, evaluate
from visitation.load import parse_ruleset
from visitation.logic import kleene_all, kleene_any

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
ON = date(2026, 11, 23)


def ruleset(when: str | None = None, **replace: str) -> RuleSet:
    text = MINIMAL
    if when is not None:
        text = text.replace("when: {fact: age, at_least: 18}", f"when: {when}")
    for old, new in replace.items():
        text = text.replace(old, new)
    rs, diagnostics = parse_ruleset(text, path="t.yaml")
    assert rs is not None, diagnostics
    return rs


def status(when: str, facts: dict[str, Any], on: date = ON) -> str:
    return evaluate(facts, ruleset(when), on=on).rule("hospice.adult").status


T, F, U = True, False, None


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (T, T, T, T), (T, F, F, T), (T, U, U, T),
        (F, F, F, F), (F, U, F, U), (U, U, U, U),
    ],
)  # fmt: skip
def test_kleene_tables(a: bool | None, b: bool | None, and_: bool | None, or_: bool | None) -> None:
    """AND and OR follow Kleene's strong three-valued logic, in both argument orders."""
    assert kleene_all([a, b]) is and_ and kleene_all([b, a]) is and_
    assert kleene_any([a, b]) is or_ and kleene_any([b, a]) is or_


def test_unknown_never_collapses_into_not_met() -> None:
    """A leaf over an unrecorded fact is unknown, not 'not met'."""
    assert status("{fact: age, at_least: 18}", {}) == "unknown"
    assert status("{not: {fact: age, at_least: 18}}", {}) == "unknown"


def test_false_part_decides_all_despite_unknowns() -> None:
    """all() is not met as soon as one part is not met, whatever else is unknown."""
    when = "{all: [{fact: age, at_least: 18}, {fact: incurable, is: true}]}"
    assert status(when, {"incurable": False}) == "not_met"
    assert status(when, {"incurable": True}) == "unknown"


def test_true_part_decides_any_despite_unknowns() -> None:
    """any() is met as soon as one part is met."""
    when = "{any: [{fact: age, at_least: 18}, {fact: incurable, is: true}]}"
    assert status(when, {"incurable": True}) == "met"
    assert status(when, {"incurable": False}) == "unknown"


def test_at_least_n_of() -> None:
    """at_least_n_of is met, not met or unknown by counting met and unknown parts."""
    when = (
        "{at_least_n_of: {n: 2, of: [{fact: incurable, is: true}, "
        "{fact: workup_complete, is: true}, {fact: life_threatening, is: true}]}}"
    )
    assert status(when, {"incurable": True, "workup_complete": True}) == "met"
    assert status(when, {"incurable": False, "workup_complete": False}) == "not_met"
    assert status(when, {"incurable": True, "workup_complete": False}) == "unknown"


@pytest.mark.parametrize(
    ("when", "facts", "expected"),
    [
        ("{fact: diagnosis_group, equals: lung}", {"diagnosis_group": "lung"}, "met"),
        ("{fact: diagnosis_group, not_equals: lung}", {"diagnosis_group": "lung"}, "not_met"),
        ("{fact: prognosis, in: [days, weeks]}", {"prognosis": "weeks"}, "met"),
        ("{fact: prognosis, not_in: [days, weeks]}", {"prognosis": "longer"}, "met"),
        ("{fact: symptom_count, at_most: 3}", {"symptom_count": 3}, "met"),
        ("{fact: symptom_count, greater_than: 3}", {"symptom_count": 3}, "not_met"),
        ("{fact: symptom_count, less_than: 3}", {"symptom_count": 2}, "met"),
        ("{fact: problem_domains, contains: social}", {"problem_domains": ["social"]}, "met"),
        ("{fact: problem_domains, contains_any: [social, physical]}", {"problem_domains": []}, "not_met"),
        ("{fact: problem_domains, contains_all: [social, physical]}",
         {"problem_domains": ["social", "physical", "existential"]}, "met"),
        ("{fact: measures_tried, size_at_least: 2}", {"measures_tried": ["opioid"]}, "not_met"),
        ("{fact: diagnosis_code, equals: C34.9}", {"diagnosis_code": "C34.9"}, "met"),
    ],
)  # fmt: skip
def test_operators(when: str, facts: dict[str, Any], expected: str) -> None:
    """Each operator of the closed set means what docs/rule-format.md says."""
    assert status(when, facts) == expected


@pytest.mark.parametrize(("days_before", "expected"), [(0, "met"), (30, "met"), (31, "not_met")])
def test_within_days_counts_calendar_days(days_before: int, expected: str) -> None:
    """within_days: N includes the evaluation day and the day N calendar days before."""
    day = date.fromordinal(ON.toordinal() - days_before)
    assert status("{fact: eortc_date, within_days: 30}", {"eortc_date": day}) == expected


def test_within_days_holds_for_a_future_date_of_a_fact_that_may_lie_ahead() -> None:
    """A date the facts may hold after the evaluation date (the first contact) is outside
    any window before it; a screening after the evaluation date is refused instead."""
    later = date.fromordinal(ON.toordinal() + 1)
    facts = {"referral_received_on": ON, "first_contact_on": later}
    assert status("{fact: first_contact_on, within_days: 30}", facts) == "not_met"
    with pytest.raises(visitation.PatientFileError, match="after the evaluation date"):
        status("{fact: eortc_date, within_days: 30}", {"eortc_date": later})


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [("2008-11-23", "2026-11-23", 18), ("2008-11-24", "2026-11-23", 17),
     ("2008-02-29", "2026-02-28", 17), ("2008-02-29", "2026-03-01", 18)],
)  # fmt: skip
def test_age_derived_from_birth_date_on_the_evaluation_date(born: str, on: str, age: int) -> None:
    """The age is whole years on the evaluation date; a 29 February birthday counts from 1 March."""
    a = evaluate({"birth_date": born}, ruleset(), on=on)
    r = a.rule("hospice.adult")
    assert r.evidence == {"age": age, "birth_date": born}
    assert r.status == ("met" if age >= 18 else "not_met")


def test_age_and_birth_date_together_are_refused() -> None:
    """Giving both age and birth date is an error naming both."""
    with pytest.raises(PatientFileError, match="give either 'age' or 'birth_date'"):
        evaluate({"age": 70, "birth_date": "1956-01-01"}, ruleset(), on=ON)


def test_invalid_patient_dict_names_the_field() -> None:
    """A wrong value or an unknown fact in a dict is reported by field name, all at once."""
    with pytest.raises(PatientFileError) as info:
        evaluate({"age": "old", "prognosiss": "weeks"}, ruleset(), on=ON)
    text = str(info.value)
    assert "age:" in text
    assert "unknown key 'prognosiss'; did you mean 'prognosis'?" in text


def test_missing_facts_in_rule_order() -> None:
    """An indeterminate pathway lists the unrecorded facts in rule order, without repeats."""
    a = evaluate({}, ruleset(), on=ON)
    p = a.pathway("hospice")
    assert p.verdict == "indeterminate"
    assert p.missing == ["age", "problem_domains", "complex_by_clinician"]


def test_not_eligible_names_blocking_rules_and_no_missing() -> None:
    """A not-eligible pathway names the rules not met and lists no missing facts."""
    a = evaluate({"age": 17}, ruleset(), on=ON)
    p = a.pathway("hospice")
    assert (p.verdict, p.blocking, p.missing) == ("not_eligible", ["hospice.adult"], [])


def test_eligible() -> None:
    """Every required rule met makes the pathway eligible."""
    facts = {"age": 18, "problem_domains": ["social"], "complex_by_clinician": True}
    assert evaluate(facts, ruleset(), on=ON).verdicts == {"hospice": "eligible"}


def test_explanation_fills_placeholders_per_language() -> None:
    """Placeholders become readable values in each language."""
    facts = {"age": 70, "problem_domains": ["social", "physical"], "complex_by_clinician": True}
    r = evaluate(facts, ruleset(), on=ON).rule("hospice.complex")
    assert r.explanation == {
        "da": "Problemer: fysisk, social.",
        "en": "Problems: physical, social.",
    }


def test_lang_limits_the_explanations() -> None:
    """lang='da' gives Danish text only; an undeclared language is a clear error."""
    a = evaluate({"age": 70}, ruleset(), on=ON, lang="da")
    assert a.languages == ["da"] and set(a.rule("hospice.adult").explanation) == {"da"}
    with pytest.raises(ValueError, match="no language 'fr'"):
        evaluate({"age": 70}, ruleset(), on=ON, lang="fr")


def test_assessment_json_round_trip_is_exact() -> None:
    """from_json(to_json(a)) equals a, and renders the same JSON again."""
    a = evaluate({"birth_date": "1950-01-01", "problem_domains": ["social"]}, ruleset(), on=ON)
    b = visitation.Assessment.from_json(a.to_json())
    assert b == a and b.to_json() == a.to_json()


def test_assessment_records_identity_and_date() -> None:
    """The Assessment names family, version, status, content hash, date and in-force."""
    a = evaluate({}, ruleset(), on="2019-12-31")
    assert (a.family, a.version, a.status) == ("demo", "1.0.0", "provisional")
    assert a.content_hash.startswith("sha256:") and len(a.content_hash) == 71
    assert a.evaluated_on == date(2019, 12, 31) and a.in_force is False


def test_content_hash_ignores_layout_but_not_content() -> None:
    """Reformatting a rule file keeps its hash; changing a threshold changes it."""
    base = visitation.content_hash(ruleset())
    assert visitation.content_hash(ruleset(**{"\nsources:": "\n# a comment\nsources:"})) == base
    assert visitation.content_hash(ruleset("{fact: age, at_least: 19}")) != base


def test_bad_evaluation_date() -> None:
    """An evaluation date that is not ISO is a ValueError saying what is expected."""
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        evaluate({}, ruleset(), on="23/11/2026")


def test_compiled_rule_set_is_cached() -> None:
    """The same RuleSet object compiles once."""
    rs = ruleset()
    assert visitation.compiled(rs) is visitation.compiled(rs)


def test_shared_results_cannot_be_changed_through_one_assessment() -> None:
    """Rule and pathway results are read-only, so memoised results shared between
    Assessments cannot leak one caller's edit into another evaluation (law 5)."""
    facts = {"age": 70, "problem_domains": ["social"]}
    a = evaluate(facts, ruleset(), on=ON)
    r = a.rule("hospice.complex")
    with pytest.raises(TypeError, match="read-only"):
        r.evidence["problem_domains"] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        r.missing.append("x")
    with pytest.raises(TypeError, match="read-only"):
        a.pathway("hospice").missing.clear()
    assert evaluate(facts, ruleset(), on=ON) == a


def test_assessment_pickles() -> None:
    """An Assessment survives pickling (for multiprocessing over cohorts)."""
    import pickle

    a = evaluate({"age": 70, "problem_domains": ["social"]}, ruleset(), on=ON)
    assert pickle.loads(pickle.dumps(a)) == a


def test_recorded_is_never_unknown_and_only_for_indicators() -> None:
    """'recorded' answers whether a fact is recorded (never unknown); indicators may use it,
    rules may not, since it would let a recorded fact flip a definite verdict (law 1)."""
    indicator = """indicators:
  - id: monitor.advice
    group: monitoring
    title: {da: Råd, en: Advice}
    when: {fact: advice_date, recorded: true}
    explain:
      met: {da: "Ja.", en: "Yes."}
      not_met: {da: "Nej.", en: "No."}
      unknown: {da: "?", en: "?"}
    source: {ref: s1, section: "3"}
    provenance: published
changes:"""
    rs = ruleset(**{"changes:": indicator})
    assert evaluate({}, rs, on=ON).rule("monitor.advice").status == "not_met"
    assert evaluate({"advice_date": ON}, rs, on=ON).rule("monitor.advice").status == "met"
    _, diagnostics = parse_ruleset(
        MINIMAL.replace("{fact: age, at_least: 18}", "{fact: advice_date, recorded: true}"),
        path="t.yaml",
    )
    assert [d.code for d in diagnostics] == ["recorded-in-rule"]


def test_unknown_rule_or_pathway_suggests_a_name() -> None:
    """Asking an Assessment for a misspelt rule or pathway id suggests the right one."""
    a = evaluate({}, ruleset(), on=ON)
    with pytest.raises(KeyError, match=r"did you mean 'hospice\.adult'"):
        a.rule("hospice.adlt")
    with pytest.raises(KeyError, match="did you mean 'hospice'"):
        a.pathway("hospise")


def test_derived_fact_evidence_names_its_recorded_inputs() -> None:
    """A derived fact that is still unknown cites the inputs that are recorded and lists
    the missing one; once known it cites its value and both inputs."""
    when = "{fact: reception_wait_days, at_most: 10}"
    r = evaluate({"referral_received_on": "2026-11-01"}, ruleset(when), on=ON).rule("hospice.adult")
    assert (r.status, dict(r.evidence), list(r.missing)) == (
        "unknown",
        {"referral_received_on": "2026-11-01"},
        ["first_contact_on"],
    )
    facts = {"referral_received_on": "2026-11-01", "first_contact_on": "2026-11-12"}
    r = evaluate(facts, ruleset(when), on=ON).rule("hospice.adult")
    assert (r.status, dict(r.evidence)) == (
        "not_met",
        {"reception_wait_days": 11, **facts},
    )
