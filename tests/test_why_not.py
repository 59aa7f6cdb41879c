"""Why-not: every suggestion makes the pathway eligible, and no proper subset of it does."""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import visitation
from visitation import (
    CompiledRuleSet,
    FactChange,
    Patient,
    WhyNot,
    check_on,
    evaluate,
    facts_of,
    why_not,
)
from visitation.testing import complete_patients, patients, rule_sets
from visitation.why_not import FIXED

ON = date(2026, 11, 23)
Rules = str | CompiledRuleSet
RULES = [
    "dk-national@1.0.0",
    "dk-national@2.0.0",
    "dk-national@3.0.0",
    "dk-midtjylland@1.0.0",
    "dk-hovedstaden@2.0.0",
]
TARGETS = [(r, p) for r in RULES for p in visitation.load_ruleset(r).pathways]

HOSPICE_READY: dict[str, Any] = {
    "age": 77,
    "problem_domains": ["physical", "social"],
    "complex_by_clinician": True,
    "symptom_count": 5,
    "relieved_at_basic": False,
    "informed_palliative_only": True,
    "informed_alternatives": True,
    "consent_referral": True,
    "wishes_hospice": True,
    "curative_ended": True,
    "curative_end_date": "2026-06-05",
    "prognosis": "days",
    "terminal_declared": True,
    "treatment_level_clarified": True,
    "needs_hospital_admission": False,
}


def _applied(patient: Patient, changes: tuple[FactChange, ...]) -> Patient | None:
    """The patient with the changes, or None when the facts would contradict each other."""
    facts = dict(facts_of(patient))
    facts.update({c.fact: c.value for c in changes})
    try:
        changed = Patient.model_validate(facts)
    except ValueError:
        return None
    return None if check_on(changed, ON) else changed


def _eligible(patient: Patient | None, rules: Rules, pathway: str) -> bool:
    return patient is not None and evaluate(patient, rules, on=ON).verdicts[pathway] == "eligible"


def check_suggestions(patient: Patient, rules: Rules, pathway: str) -> WhyNot:
    """The why-not property, for one patient and pathway."""
    result = why_not(patient, rules, pathway, on=ON)
    verdict = evaluate(patient, rules, on=ON).verdicts[pathway]
    assert result.verdict == verdict
    if verdict == "eligible":
        assert result.suggestions == ()
        return result
    recorded = facts_of(patient)
    sets = [frozenset(s.facts) for s in result.suggestions]
    for s in result.suggestions:
        assert 1 <= len(s.changes) <= result.max_changes
        assert len(set(s.facts)) == len(s.facts)
        for c in s.changes:
            assert c.value is not None, "a suggestion never un-records a fact"
            assert c.value != recorded[c.fact] and c.before == recorded[c.fact]
            assert c.fact not in FIXED or (c.fact == "age" and c.added)
        assert _eligible(_applied(patient, s.changes), rules, pathway), s.text
        for k in range(1, len(s.changes)):
            for part in itertools.combinations(s.changes, k):
                assert not _eligible(_applied(patient, part), rules, pathway), (s.text, part)
        languages = (
            rules.ruleset.languages
            if isinstance(rules, CompiledRuleSet)
            else (visitation.load_ruleset(rules).languages)
        )
        assert set(s.text) == set(languages)
    for x, y in itertools.permutations(sets, 2):
        assert not x <= y, "suggestions are minimal: no one's facts contain another's"
    return result


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patient=st.one_of(patients(on=ON), complete_patients(on=ON)),
    target=st.sampled_from(TARGETS),
)
def test_every_suggestion_makes_the_pathway_eligible_and_no_proper_subset_does(
    patient: Patient, target: tuple[str, str]
) -> None:
    """Applying a suggestion gives a valid patient who is eligible; no part of it does."""
    check_suggestions(patient, *target)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rs=rule_sets(),
    people=st.lists(st.one_of(patients(on=ON), complete_patients(on=ON)), min_size=1, max_size=3),
    pathway=st.sampled_from(["one", "both"]),
)
def test_the_property_holds_on_generated_rule_sets(
    rs: visitation.RuleSet, people: list[Patient], pathway: str
) -> None:
    """On generated rule sets too (any operator, definitions, negations), every suggestion
    makes the pathway eligible and no proper subset of it does."""
    program = visitation.compile_ruleset(rs)
    for patient in people:
        check_suggestions(patient, program, pathway)


def test_synthetic_patients_get_verified_suggestions() -> None:
    """On synthetic patients the search finds suggestions, and every one holds up."""
    from visitation.cohort import synthetic

    rows = synthetic(40, seed=5, on=ON).drop_columns(["patient_id", "region"]).to_pylist()
    found = 0
    for row in rows:
        patient = Patient.model_validate(row)
        for rules, pathway in TARGETS:
            found += len(check_suggestions(patient, rules, pathway).suggestions)
    assert found > 50


def test_a_missing_fact_is_suggested_in_every_language() -> None:
    """Curative treatment not recorded: eligible if it were recorded as ended."""
    facts = {
        k: v for k, v in HOSPICE_READY.items() if k not in ("curative_ended", "curative_end_date")
    }
    result = why_not(facts, "dk-national@1.0.0", "hospice", on=ON)
    assert result.verdict == "indeterminate"
    assert [s.changes for s in result.suggestions] == [(FactChange("curative_ended", True, None),)]
    text = result.suggestions[0].text
    assert text["en"] == "Eligible for Hospice if curative treatment ended were recorded as yes."
    assert text["da"].startswith("Berettiget til") and "helbredende behandling ophørt" in text["da"]
    assert "curative treatment ended were recorded as yes" in result.render()
    assert "<li>Eligible for Hospice if curative treatment" in result._repr_html_()
    assert json.loads(result.to_json())["suggestions"][0]["changes"][0] == {
        "fact": "curative_ended",
        "value": True,
        "before": None,
    }


def test_a_date_comes_with_the_flag_it_depends_on() -> None:
    """Changing ``curative_ended`` from no to yes is one change; the consistency table
    keeps a date off a patient whose flag says no."""
    facts = {**HOSPICE_READY, "curative_ended": False, "curative_end_date": None}
    result = why_not(facts, "dk-national@1.0.0", "hospice", on=ON)
    assert [s.facts for s in result.suggestions] == [("curative_ended",)]
    assert result.suggestions[0].changes[0].before is False


def test_an_eligible_pathway_gets_no_suggestions() -> None:
    """Nothing to suggest when the pathway is eligible already."""
    result = why_not(HOSPICE_READY, "dk-national@1.0.0", "hospice", on=ON)
    assert result.verdict == "eligible" and result.suggestions == ()
    assert result.render().startswith("hospice: eligible")


def test_the_age_is_not_changed() -> None:
    """An under-age patient gets no suggestion: the age is not a matter of the record."""
    facts = {**HOSPICE_READY, "age": 17}
    result = why_not(facts, "dk-national@2.0.0", "hospice", on=ON)
    assert all("age" not in s.facts for s in result.suggestions)
    assert "hospice.adult" in result.unreachable
    assert result.suggestions == ()
    assert "not changeable by a record: hospice.adult" in result.render()


def test_an_applied_suggestion_is_a_patient() -> None:
    """``Suggestion.apply`` gives the changed, validated patient."""
    facts = {k: v for k, v in HOSPICE_READY.items() if k != "prognosis"}
    (first, *_) = why_not(facts, "dk-national@1.0.0", "hospice", on=ON).suggestions
    changed = first.apply(facts)
    assert evaluate(changed, "dk-national@1.0.0", on=ON).verdicts["hospice"] == "eligible"
    assert first.changes[0].fact == "prognosis"


def test_bad_arguments_are_refused() -> None:
    """An unknown pathway or language, or a bound outside 1..5, is refused by name."""
    with pytest.raises(ValueError, match=r"no pathway 'hospis'.*hospice"):
        why_not(HOSPICE_READY, "dk-national@1.0.0", "hospis", on=ON)
    with pytest.raises(ValueError, match="no text in 'fr'"):
        why_not(HOSPICE_READY, "dk-national@1.0.0", "hospice", on=ON, lang="fr")
    with pytest.raises(ValueError, match="max_changes"):
        why_not(HOSPICE_READY, "dk-national@1.0.0", "hospice", on=ON, max_changes=0)
    only = why_not({"age": 70}, "dk-national@1.0.0", "hospice", on=ON, lang="da")
    assert all(set(s.text) == {"da"} for s in only.suggestions)
    assert "ingen ændring af højst 3 oplysninger" in only.render("da")
