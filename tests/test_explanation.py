"""The explanation stage: what evaluation recorded becomes an Assessment with its texts."""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visitation
from visitation import Assessment, Patient
from visitation._frozen import FrozenList
from visitation.assessment import PathwayResult, RuleResult
from visitation.explanation import _HELPERS, _evidence_value, _to_json
from visitation.facts import FACTS
from visitation.testing import DEFAULT_ON, fact_values, patients

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


_GENERATED = re.compile(r"(_c|t|build_)\d+")
_STRUCTURE = {
    "facts", "on", "truth", "statuses", "get", "d", "e", "v", "w", "r", "copy", "results",
    *_HELPERS,
}  # fmt: skip


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.ruleset.key)
def test_the_generated_builders_hold_no_values(program: visitation.CompiledRuleSet) -> None:
    """The rules' generated builders are structure only: no string, no number, no name
    but Python keywords, made-up names, constants and the helpers the stage provides."""
    for lang in (None, *program.ruleset.languages):
        source = visitation.Explainer(program, lang).source
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            assert token.type not in (tokenize.STRING, tokenize.NUMBER), token.string
            if token.type == tokenize.NAME:
                name = token.string
                assert (
                    keyword.iskeyword(name) or name in _STRUCTURE or _GENERATED.fullmatch(name)
                ), name


@settings(max_examples=200)
@given(name=st.sampled_from(sorted(FACTS)), data=st.data())
def test_evidence_is_the_json_form_of_each_value(name: str, data: st.DataObject) -> None:
    """The evidence prepared for a fact's values is their JSON form (read-only lists), as
    json_value gives it; for an enum, date, set or score fact also for values of other
    types (a yes/no, number or text is its own JSON form, as a validated Patient holds it)."""
    odd = [0, "x", "physical", frozenset({"social"}), frozenset({1}), [1], date(2026, 1, 2)]
    values = fact_values(name, on=ON, boundary=True)
    if FACTS[name].kind not in ("bool", "int", "text"):
        values |= st.sampled_from(odd)
    value = data.draw(values)
    to_json = _to_json(name)
    got = value if to_json is None else to_json(value)
    want = _evidence_value(value)
    assert got == want and type(got) is type(want)
    if isinstance(want, FrozenList):
        assert [type(v) for v in got] == [type(v) for v in want]
