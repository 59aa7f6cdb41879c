"""Eligibility is about the patient, readiness about the referral (documentation rules)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visitation
from visitation import Patient
from visitation.conditions import facts_read
from visitation.testing import fact_values, patients

ON = date(2026, 12, 1)
WITH_DOCUMENTATION = [
    info.key
    for info in visitation.list_rulesets()
    if any(r.is_documentation for r in visitation.load_ruleset(info.key).rules)
]


def _paperwork_only(key: str) -> list[str]:
    """Facts that only documentation rules read (criteria never see them)."""
    rs = visitation.load_ruleset(key)
    criteria = {
        f for r in rs.rules if not r.is_documentation for f in facts_read(r.when, rs.definitions)
    }
    docs = {f for r in rs.rules if r.is_documentation for f in facts_read(r.when, rs.definitions)}
    return sorted(docs - criteria - {"age"})


def test_the_national_draft_has_documentation_rules() -> None:
    """The provisional national guideline separates paperwork from eligibility."""
    assert "dk-national@3.0.0" in WITH_DOCUMENTATION
    assert {"eortc_date", "measures_tried", "referral_contents"} <= set(
        _paperwork_only("dk-national@3.0.0")
    )


@pytest.mark.parametrize("key", WITH_DOCUMENTATION)
@settings(max_examples=60)
@given(data=st.data())
def test_paperwork_never_changes_a_verdict(key: str, data: st.DataObject) -> None:
    """Whatever the referral states, how old the screening is or who signs it, the verdict
    of every pathway is the same: only the referral's readiness and to-do list change."""
    patient = data.draw(patients(on=ON))
    names = _paperwork_only(key)
    values = {n: data.draw(st.none() | fact_values(n, on=ON)) for n in names}
    other = Patient.model_validate({**patient.model_dump(exclude_none=True), **values})
    before = visitation.evaluate(patient, key, on=ON)
    after = visitation.evaluate(other, key, on=ON)
    assert before.verdicts == after.verdicts


@pytest.mark.parametrize("key", WITH_DOCUMENTATION)
@settings(max_examples=60)
@given(patient=patients(on=ON))
def test_the_to_do_list_is_the_documentation_rules_not_met(key: str, patient: Patient) -> None:
    """``todo`` lists exactly the pathway's documentation rules not met or unknown, and the
    referral is ready exactly when the list is empty."""
    a = visitation.evaluate(patient, key, on=ON)
    rs = visitation.load_ruleset(key)
    for p in a.pathways:
        groups = set(rs.pathways[p.id].requires)
        docs = [r.id for r in rs.rules if r.is_documentation and r.group in groups]
        assert p.todo == [rid for rid in docs if a.rule(rid).status != "met"]
        assert (p.referral == "ready") is (not p.todo)
        assert (p.referral == "not_ready") is any(a.rule(r).status == "not_met" for r in p.todo)
        assert not set(p.blocking) & set(docs)


@pytest.mark.parametrize("key", [info.key for info in visitation.list_rulesets()])
def test_a_screening_dated_after_the_evaluation_date_is_refused(key: str) -> None:
    """An EORTC screening after the evaluation date is a data error naming both dates, under
    every rule set, not a definite 'not met'."""
    with pytest.raises(visitation.PatientFileError, match=r"eortc_date \(2026-12-02\) is after"):
        visitation.evaluate({"eortc_date": "2026-12-02"}, key, on=ON)


@pytest.mark.parametrize(
    ("facts", "fields"),
    [
        (
            {"lacks_capacity": False, "consent_referral": True, "consent_by_proxy": True},
            "consent_by_proxy",
        ),
        ({"lacks_capacity": False, "wishes_hospice": True, "wish_by_proxy": True}, "wish_by_proxy"),
        (
            {"lacks_capacity": True, "consent_referral": False, "consent_by_proxy": True},
            "consent_referral",
        ),
        (
            {"lacks_capacity": True, "wishes_hospice": False, "wish_by_proxy": True},
            "wishes_hospice",
        ),
    ],
)
def test_a_proxy_wish_or_consent_must_agree_with_the_other_facts(
    facts: dict[str, object], fields: str
) -> None:
    """Consent or a wish given on the patient's behalf needs a patient who lacks capacity,
    and a consent or wish that is given: otherwise the facts contradict each other."""
    with pytest.raises(visitation.PatientFileError, match=fields):
        visitation.evaluate(facts, "dk-national@3.0.0", on=ON)
