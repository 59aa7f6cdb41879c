"""The explanation stage: what evaluation recorded becomes an Assessment with its texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visitation
from visitation import Assessment, Patient
from visitation.assessment import PathwayResult, RuleResult
from visitation.testing import DEFAULT_ON, patients

ON = DEFAULT_ON
PROGRAMS = [visitation.resolve(info.key, ON) for info in visitation.list_rulesets()]


@settings(max_examples=40)
@given(program=st.sampled_from(PROGRAMS), patient=patients(on=ON))
def test_constructed_results_equal_validated_ones(
    program: visitation.CompiledRuleSet, patient: Patient
) -> None:
    """Every result the stage builds is the object validation would build: equal, with the
    same fields set, and serialising alike."""
    facts = visitation.facts_of(patient)
    a = visitation.explain(program, facts, ON, visitation.evaluate_core(program, facts, ON), None)
    again = Assessment.model_validate(a.model_dump())
    assert again == a
    assert again.model_fields_set == a.model_fields_set == set(Assessment.model_fields)
    assert again.model_dump_json() == a.model_dump_json()
    for r in (*a.rules, *a.indicators):
        assert RuleResult.model_validate(r.model_dump()) == r
        assert r.model_fields_set == set(RuleResult.model_fields)
    for p in a.pathways:
        assert PathwayResult.model_validate(p.model_dump()) == p


@settings(max_examples=40)
@given(program=st.sampled_from(PROGRAMS), people=st.lists(patients(on=ON), min_size=1, max_size=6))
def test_a_memoising_explainer_equals_the_pure_stage(
    program: visitation.CompiledRuleSet, people: list[Patient]
) -> None:
    """The library's memoising explainer gives the Assessment the pure stage gives."""
    memo = visitation.Library().explainer(program, None)
    for patient in [*people, *people]:
        facts = visitation.facts_of(patient)
        core = visitation.evaluate_core(program, facts, ON)
        fresh = visitation.explain(program, facts, ON, core, None)
        assert memo.assess(facts, ON, core).to_json() == fresh.to_json()


def test_each_assessment_has_its_own_header_containers() -> None:
    """Two Assessments never share a mutable title or language list."""
    a = visitation.evaluate({}, "dk-national@2.0.0", on=ON)
    b = visitation.evaluate({}, "dk-national@2.0.0", on=ON)
    assert a.title == b.title and a.title is not b.title
    assert a.languages is not b.languages


def test_an_explainer_refuses_a_language_the_file_lacks() -> None:
    """Asking for a language the rule file does not declare names the ones it does."""
    with pytest.raises(ValueError, match="no language 'sv'"):
        visitation.Explainer(PROGRAMS[0], "sv")
