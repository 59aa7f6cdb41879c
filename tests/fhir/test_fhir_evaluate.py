"""visitation.fhir.evaluate: the Assessment with sources, renderers, GuidanceResponse."""

from __future__ import annotations

import json

from fhir_helpers import ON, bundle, fact_obs, load, patient

import visitation
from visitation.fhir import FhirAssessment, assessment_to_fhir, evaluate, facts_from_bundle

RULES = "dk-national@2.0.0"
NOT_MET = "https://kip.rkkp.dk/fhir/CodeSystem/VisitationCriteriaNotMet"


def test_evaluate_equals_the_core_on_the_extracted_facts() -> None:
    """The bundle's Assessment is the core's Assessment of the extracted patient."""
    data = load("dk-referral.json")
    result = evaluate(data, RULES, on=ON)
    assert isinstance(result, FhirAssessment)
    core = visitation.evaluate(facts_from_bundle(data, on=ON).patient, RULES, on=ON)
    assert result.assessment == core
    assert result.verdicts == core.verdicts


def test_evidence_cites_resources_derived_facts_their_inputs() -> None:
    """A rule's evidence maps to resources; the derived age to Patient.birthDate."""
    result = evaluate(load("dk-referral.json"), RULES, on=ON)
    sources = result.sources("specialized.adult")
    assert sources["birth_date"].element == "Patient.birthDate"
    assert sources["birth_date"].resource == "Patient/karen-1"
    assert (
        result.sources("specialized.incurable")["incurable"].resource == "Observation/obs-incurable"
    )


def test_renderers_show_sources_with_links() -> None:
    """Text, Markdown and HTML add the sources, with the fullUrl as a link."""
    result = evaluate(load("dk-referral.json"), RULES, on=ON)
    url = "https://ehr.region.example.dk/fhir/Condition/dx-lung"
    assert url in result.render("text")
    assert f"[Condition/dx-lung]({url})" in result.render("md")
    assert f"<a href='{url}'>Condition/dx-lung</a>" in result.render("html")
    assert result.render("html").endswith("</section></div>")
    assert "Kilder til oplysningerne" in result.render("text", lang="da")


def test_json_holds_assessment_sources_and_extraction() -> None:
    """to_json round-trips the core Assessment and carries the provenance per rule."""
    result = evaluate(load("dk-referral.json"), RULES, on=ON)
    data = json.loads(result.to_json())
    assert visitation.Assessment.model_validate(data["assessment"]) == result.assessment
    src = data["evidence_sources"]["specialized.incurable"]["incurable"]
    assert src["full_url"] == "https://ehr.region.example.dk/fhir/Observation/obs-incurable"
    assert data["extraction"]["unmapped"]


def test_guidance_response_states_verdicts_outcomes_and_ruleset() -> None:
    """The GuidanceResponse names the rule set's canonical and version, the date, each
    verdict and rule outcome, the subject, and is valid R4B."""
    from fhir.resources.R4B.guidanceresponse import GuidanceResponse

    result = evaluate(load("dk-referral.json"), RULES, on=ON)
    gr = assessment_to_fhir(result, response_id="g1")
    GuidanceResponse.model_validate(gr)
    assert gr["moduleCanonical"] == "https://visitation.dk/fhir/Library/dk-national|2.0.0"
    assert gr["occurrenceDateTime"] == "2026-11-23"
    assert gr["subject"] == {"reference": "Patient/karen-1"}
    params = gr["contained"][0]["parameter"]
    verdicts = {
        p["part"][0]["valueCode"]: p["part"][1]["valueCode"]
        for p in params
        if p["name"] == "verdict"
    }
    assert verdicts == result.verdicts
    outcomes = [p for p in params if p["name"] == "outcome"]
    assert len(outcomes) == len(result.assessment.rules) + len(result.assessment.indicators)
    expected = "success" if "indeterminate" not in verdicts.values() else "data-required"
    assert gr["status"] == expected


def test_not_met_reasons_become_kip_codes() -> None:
    """A not-met specialized pathway reports VisitationCriteriaNotMet codes for DPD."""
    b = bundle(
        patient(birthDate="1950-01-01"),
        fact_obs("i", "incurable", valueBoolean=False),
        fact_obs("w", "workup-complete", valueBoolean=False),
        fact_obs("n", "informed-incurable", valueBoolean=False),
    )
    result = evaluate(b, RULES, on=ON)
    assert result.verdicts["specialized"] == "not_eligible"
    gr = assessment_to_fhir(result)
    codes = {
        c["coding"][0]["code"] for c in gr["reasonCode"] if c["coding"][0]["system"] == NOT_MET
    }
    assert {"not_terminally_ill", "not_diagnostically_completed", "not_informed"} <= codes
    assert gr["status"] == "success"  # every verdict is definite


def test_missing_facts_become_data_requirements() -> None:
    """An indeterminate verdict: status data-required, one DataRequirement per missing
    fact naming the resource type and codes that would record it."""
    from fhir.resources.R4B.guidanceresponse import GuidanceResponse

    gr = assessment_to_fhir(evaluate(bundle(patient()), RULES, on=ON))
    GuidanceResponse.model_validate(gr)
    assert gr["status"] == "data-required"
    missing = {r["extension"][0]["valueCode"]: r for r in gr["dataRequirement"]}
    assert missing["consent_referral"]["type"] == "Consent"
    assert missing["consent_referral"]["codeFilter"][0]["path"] == "category"
    assert missing["age"]["type"] == "Patient"


def test_a_core_assessment_alone_converts_too() -> None:
    """assessment_to_fhir takes a plain core Assessment (no subject then)."""
    a = visitation.evaluate({"age": 70, "incurable": False}, RULES, on=ON)
    gr = assessment_to_fhir(a)
    assert "subject" not in gr
    assert {"coding": [{"system": NOT_MET, "code": "not_terminally_ill"}]} in gr["reasonCode"]
