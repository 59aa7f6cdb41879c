"""Facts and provenance from FHIR R4 bundles: code systems, conflicts, dates, gaps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fhir_helpers import FACTS_SYSTEM, ON, SKS, bundle, condition, fact_obs, load, patient

from visitation import Patient
from visitation.fhir import facts_from_bundle

KIP_SKS = "https://kip.rkkp.dk/fhir/CodeSystem/SKS"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
COLLECTION = "https://kip.rkkp.dk/fhir/CodeSystem/SKSCodeCollection"


def test_danish_referral_bundle_gives_facts_with_provenance() -> None:
    """The dk-core style bundle gives age, diagnosis, referral dates, EORTC and more,
    each fact naming resource, fullUrl, element, coding, mapping entry and date."""
    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    p = x.patient
    assert p.birth_date == date(1946, 3, 14)
    assert (p.diagnosis_code, p.diagnosis_group) == ("C34.9", "cancer")
    assert p.referral_sent_on == date(2026, 11, 2)
    assert p.referral_received_on == date(2026, 11, 4)
    assert p.eortc_items == [3, 2, 2, 3, 4, 2, 3, 2, 1, 2, 3, 4, 3, 2, 2]
    assert p.eortc_date == date(2026, 10, 28)
    assert p.referrer == "patient_relative"  # KIP's code patient_relavtives (sic)
    assert {d.value for d in p.problem_domains or ()} == {"physical", "psychological"}
    assert p.consent_referral is True
    assert x.patient_identifier == "1403469996"
    dx = x.provenance["diagnosis_code"].source
    assert dx.resource == "Condition/dx-lung"
    assert dx.full_url == "https://ehr.region.example.dk/fhir/Condition/dx-lung"
    assert dx.link == dx.full_url
    assert dx.element == "Condition.code.coding[1]"
    assert (dx.system, dx.code) == (SKS, "DC349")
    assert dx.mapping == "condition.diagnosis"
    assert dx.date == "2026-09-30"
    assert x.provenance["referral_received_on"].source.element == (
        "ServiceRequest.extension[0].valueDate"
    )


def test_the_referral_names_the_diagnosis_others_are_reported() -> None:
    """Only the Condition the referral's reasonReference names is the diagnosis; the
    fracture (SKS DS721+TUL1) is listed as unmapped with the reason."""
    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    fracture = [u for u in x.unmapped if u.code == "DS721+TUL1"]
    assert len(fracture) == 1
    assert "referral names" in fracture[0].reason
    assert fracture[0].resources == ("Condition/dx-fracture",)


def test_resources_dated_after_the_evaluation_date_are_not_used() -> None:
    """The wish for hospice recorded after the evaluation date is not a fact, and the
    unmapped report says why; evaluated later, it is."""
    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    assert x.patient.wishes_hospice is None
    assert any("after the evaluation date" in u.reason for u in x.unmapped)
    later = facts_from_bundle(load("dk-referral.json"), on="2026-12-31")
    assert later.patient.wishes_hospice is True


def test_latest_resource_wins_and_the_conflict_is_visible() -> None:
    """Two prognoses: the later one wins; the provenance and conflicts list both."""
    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    assert x.patient.prognosis == "few_months"
    prov = x.provenance["prognosis"]
    assert prov.rule == "latest"
    assert [s.resource for s in prov.others] == ["Observation/obs-prognosis-old"]
    (conflict,) = [c for c in x.conflicts if c.fact == "prognosis"]
    assert conflict.outcome == "resolved"
    assert {v for v, _ in conflict.candidates} == {"longer", "few_months"}


def test_first_contact_takes_the_earliest_encounter() -> None:
    """first_contact_on follows its own documented rule: the earliest KontaktSted Encounter."""
    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    assert x.patient.first_contact_on == date(2026, 11, 9)
    assert x.provenance["first_contact_on"].rule == "earliest"


def test_disagreeing_resources_of_one_date_leave_the_fact_unknown() -> None:
    """Two Observations of the same date that disagree make the fact unknown, with a reason."""
    b = bundle(
        patient(),
        fact_obs("a", "incurable", "2026-11-01", valueBoolean=True),
        fact_obs("b", "incurable", "2026-11-01T15:00:00+01:00", valueBoolean=False),
    )
    x = facts_from_bundle(b, on=ON)
    assert x.patient.incurable is None
    (conflict,) = x.conflicts
    assert conflict.outcome == "unknown"
    assert "2026-11-01" in conflict.reason
    assert {s.resource for _, s in conflict.candidates} == {"Observation/a", "Observation/b"}


def test_agreeing_resources_are_all_cited() -> None:
    """Several resources giving the same value: no conflict, the others are cited."""
    b = bundle(
        patient(),
        fact_obs("a", "incurable", "2026-10-01", valueBoolean=True),
        condition("t", (SCT, "300936002"), recordedDate="2026-11-01"),
    )
    x = facts_from_bundle(b, on=ON)
    assert x.patient.incurable is True
    assert x.conflicts == ()
    prov = x.provenance["incurable"]
    assert prov.rule == "agree"
    assert prov.source.element == "Condition.code.coding[0]"
    assert [s.resource for s in prov.others] == ["Observation/a"]


@pytest.mark.parametrize(
    ("system", "code"),
    [(SKS, "DJ449"), (KIP_SKS, "DJ449"), (ICD10, "J44.9"), (SKS, "DJ449+TUL1"), (SCT, "185086009")],
)
def test_diagnosis_code_variants_give_one_fact(system: str, code: str) -> None:
    """SKS-D (dk-core), KIP's SKS, WHO ICD-10 and SNOMED CT all give J44.9 / lung."""
    x = facts_from_bundle(bundle(patient(), condition("c", (system, code))), on=ON)
    assert (x.patient.diagnosis_code, x.patient.diagnosis_group) == ("J44.9", "lung")


def test_an_explicit_dpd_group_wins_over_the_ranges() -> None:
    """A KIP SKSCodeCollection coding on the Condition gives the group, whatever the ranges."""
    c = condition("c", (SKS, "DC349"), (COLLECTION, "lung"))
    x = facts_from_bundle(bundle(patient(), c), on=ON)
    assert (x.patient.diagnosis_code, x.patient.diagnosis_group) == ("C34.9", "lung")
    assert x.provenance["diagnosis_group"].source.element == "Condition.code.coding[1]"


def test_conditions_outside_every_group_are_unmapped_not_guessed() -> None:
    """Without a referral, a diabetes (DE11) is no diagnosis fact; it is reported."""
    x = facts_from_bundle(bundle(patient(), condition("c", (SKS, "DE11"))), on=ON)
    assert x.patient.diagnosis_code is None and x.patient.diagnosis_group is None
    assert [u.code for u in x.unmapped] == ["DE11"]


def test_refuted_and_resolved_conditions_are_not_used() -> None:
    """A refuted or resolved Condition gives no fact; the report names the status."""
    ver = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    refuted = condition(
        "c", (SKS, "DC349"), verificationStatus={"coding": [{"system": ver, "code": "refuted"}]}
    )
    x = facts_from_bundle(bundle(patient(), refuted), on=ON)
    assert x.patient.diagnosis_group is None
    assert "refuted" in x.unmapped[0].reason


def test_unknown_answer_codes_are_reported_with_a_suggestion() -> None:
    """The corrected spelling patient_relatives is no KIP code: unmapped, did-you-mean."""
    obs = fact_obs(
        "r",
        "referred-from",
        valueCodeableConcept={
            "coding": [
                {
                    "system": "https://kip.rkkp.dk/fhir/CodeSystem/ReferredFrom",
                    "code": "patient_relatives",
                }
            ]
        },
    )
    x = facts_from_bundle(bundle(patient(), obs), on=ON)
    assert x.patient.referrer is None
    (u,) = x.unmapped
    assert u.code == "patient_relatives"
    assert "did you mean 'patient_relavtives'" in u.reason


def test_synthea_style_bundle_gives_age_diagnosis_and_a_report() -> None:
    """A Synthea-shaped record: birth date, lung cancer from SNOMED CT, and everything
    else reported as unmapped or ignored, the future encounter and COPD not used."""
    x = facts_from_bundle(load("synthea-style-lung-cancer.json"), on=ON)
    assert x.facts == {
        "birth_date": date(1951, 6, 19),
        "diagnosis_group": "cancer",
        "diagnosis_code": "C34.9",
    }
    assert x.ignored == {"Claim": 1, "Immunization": 1, "MedicationRequest": 1}
    codes = {u.code for u in x.unmapped}
    assert {"8302-2", "29463-7", "185349003", "162573006"} <= codes
    assert "185086009" not in codes  # the 2027 COPD is dated after the evaluation date
    (later,) = [u for u in x.unmapped if "after the evaluation date" in u.reason]
    assert later.resources == ("Condition/7c1f2a4e-5b6d-4e8f-9a0b-1c2d3e4f000f",)
    assert x.provenance["diagnosis_code"].source.full_url is not None
    assert x.provenance["diagnosis_code"].source.link is None  # urn:uuid is no link


@pytest.mark.parametrize(
    ("born", "age"),
    [("1950-03", 76), ("1950-11", None), ("1950", None), ("1950-03-14", None)],
)
def test_partial_birth_dates_give_the_age_only_when_certain(born: str, age: int | None) -> None:
    """A year-month birth date gives the age unless the birthday month is the evaluation
    month; a year alone leaves it unknown (reported); a full date is the birth date."""
    x = facts_from_bundle(bundle(patient(birthDate=born)), on=ON)
    assert x.patient.age == age
    if len(born) < 10 and age is None:
        assert "partial birth date" in x.unmapped[0].reason


def test_a_recorded_age_yields_to_the_birth_date() -> None:
    """An age Observation (LOINC 30525-0) is used only without Patient.birthDate."""
    age = {
        "resourceType": "Observation",
        "id": "age",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "30525-0"}]},
        "effectiveDateTime": "2026-11-01",
        "valueQuantity": {
            "value": 80,
            "unit": "a",
            "system": "http://unitsofmeasure.org",
            "code": "a",
        },
    }
    assert facts_from_bundle(bundle(patient(), age), on=ON).patient.age == 80
    x = facts_from_bundle(bundle(patient(birthDate="1950-03-14"), age), on=ON)
    assert x.patient.age is None and x.patient.birth_date == date(1950, 3, 14)
    assert [c.fact for c in x.conflicts] == ["age"]


@pytest.mark.parametrize(
    ("status", "provision", "expected"),
    [
        ("active", "permit", True),
        ("active", None, True),
        ("active", "deny", False),
        ("rejected", None, False),
        ("draft", "permit", None),
    ],
)
def test_consent_status_and_provision(
    status: str, provision: str | None, expected: bool | None
) -> None:
    """Consent: active permits unless provision.type is deny; rejected is a refusal; a
    draft is not used."""
    consent: dict[str, Any] = {
        "resourceType": "Consent",
        "id": "c",
        "status": status,
        "category": [{"coding": [{"system": FACTS_SYSTEM, "code": "referral-consent"}]}],
        "patient": {"reference": "Patient/p1"},
        "dateTime": "2026-11-01",
    }
    if provision:
        consent["provision"] = {"type": provision}
    x = facts_from_bundle(bundle(patient(), consent), on=ON)
    assert x.patient.consent_referral is expected


def _eortc(answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "q",
        "status": "completed",
        "questionnaire": "https://visitation.dk/fhir/Questionnaire/eortc-qlq-c15-pal|1.0",
        "authored": "2026-11-01",
        "item": [
            {
                "linkId": "section",
                "item": [{"linkId": str(i), "answer": [a]} for i, a in enumerate(answers, 1)],
            }
        ],
    }


def test_eortc_answers_as_integers_in_nested_groups() -> None:
    """EORTC answers may be valueInteger and may sit inside group items."""
    x = facts_from_bundle(
        bundle(patient(), _eortc([{"valueInteger": 2}] * 14 + [{"valueInteger": 6}])), on=ON
    )
    assert x.patient.eortc_items == [2] * 14 + [6]


def test_incomplete_or_out_of_scale_eortc_is_not_recorded() -> None:
    """Fourteen answers, or a grade_5 on a 1-4 item, leave eortc_items unknown (reported)
    while the screening date is still recorded."""
    g4 = {
        "valueCoding": {
            "system": "https://kip.rkkp.dk/fhir/CodeSystem/EORTCQLQC1514",
            "code": "grade_2",
        }
    }
    x = facts_from_bundle(bundle(patient(), _eortc([g4] * 14)), on=ON)
    assert x.patient.eortc_items is None and x.patient.eortc_date == date(2026, 11, 1)
    assert any("items 15 unanswered" in u.reason for u in x.unmapped)
    bad = {
        "valueCoding": {
            "system": "https://kip.rkkp.dk/fhir/CodeSystem/EORTCQLQC1514",
            "code": "grade_5",
        }
    }
    x = facts_from_bundle(bundle(patient(), _eortc([bad] + [g4] * 14)), on=ON)
    assert x.patient.eortc_items is None


def test_a_false_flag_drops_an_older_date() -> None:
    """A later 'no terminal declaration' wins, and the older declaration's date goes too."""
    b = bundle(
        patient(),
        fact_obs("old", "terminal-declaration", "2026-10-01", valueBoolean=True),
        fact_obs("new", "terminal-declaration", "2026-11-01", valueBoolean=False),
    )
    x = facts_from_bundle(b, on=ON)
    assert x.patient.terminal_declared is False
    assert x.patient.terminal_declaration_date is None
    assert {c.fact for c in x.conflicts} == {"terminal_declared", "terminal_declaration_date"}


def test_cds_hooks_prefetch_is_read() -> None:
    """A CDS Hooks prefetch object (a Patient and a searchset) is read like a bundle."""
    prefetch = {
        "patient": patient(birthDate="1950-03-14"),
        "conditions": bundle(condition("c", (SKS, "DC349")), btype="searchset"),
        "missing": None,
    }
    x = facts_from_bundle(prefetch, on=ON)
    assert x.patient.diagnosis_code == "C34.9"
    assert x.provenance["diagnosis_code"].source.entry == "prefetch.conditions.entry[0]"
    assert x.provenance["birth_date"].source.entry == "prefetch.patient"


def test_fhir_resources_objects_are_accepted() -> None:
    """A caller holding a fhir.resources R4B Bundle gets the same facts."""
    from fhir.resources.R4B.bundle import Bundle

    data = load("dk-referral.json")
    model = Bundle.model_validate(data)
    assert facts_from_bundle(model, on=ON).patient == facts_from_bundle(data, on=ON).patient


def test_bytes_paths_and_dicts_agree(tmp_path: Any) -> None:
    """The same bundle as a dict, JSON bytes or a file path gives the same facts."""
    from fhir_helpers import DATA

    path = DATA / "dk-referral.json"
    a = facts_from_bundle(path, on=ON)
    b = facts_from_bundle(path.read_bytes(), on=ON)
    c = facts_from_bundle(str(path), on=ON)
    assert a.patient == b.patient == c.patient
    assert a.source == str(path)


def test_extraction_is_json_data() -> None:
    """to_dict gives plain JSON: facts, provenance, conflicts, unmapped, ignored."""
    import json

    x = facts_from_bundle(load("dk-referral.json"), on=ON)
    data = json.loads(json.dumps(x.to_dict()))
    assert data["facts"]["referral_sent_on"] == "2026-11-02"
    assert data["provenance"]["diagnosis_code"]["element"] == "Condition.code.coding[1]"
    assert data["mapping"] == "visitation-fhir-r4@1.0.0"
    assert Patient(**data["facts"]) == x.patient


def test_code_and_group_come_from_one_condition() -> None:
    """The latest diagnosis Condition gives code and group together; an older one's
    code never pairs with a newer one's group, and the conflict is listed."""
    older = condition("a", (SKS, "DC349"), recordedDate="2026-05-01")
    newer = condition("b", (COLLECTION, "heart_vessel"), recordedDate="2026-10-01")
    x = facts_from_bundle(bundle(patient(), older, newer), on=ON)
    assert (x.patient.diagnosis_code, x.patient.diagnosis_group) == (None, "heart_vascular")
    assert x.provenance["diagnosis_group"].source.resource == "Condition/b"
    assert {c.fact: c.outcome for c in x.conflicts} == {
        "diagnosis_code": "resolved",
        "diagnosis_group": "resolved",
    }
    same_day = condition("c", (SKS, "DJ449"), recordedDate="2026-10-01")
    x = facts_from_bundle(bundle(patient(), newer, same_day), on=ON)
    assert (x.patient.diagnosis_code, x.patient.diagnosis_group) == (None, None)
    assert {c.outcome for c in x.conflicts} == {"unknown"}


def test_a_malformed_cpr_number_is_reported() -> None:
    """A CPR identifier failing dk-core's date check is kept but reported."""
    cpr = {"system": "urn:oid:1.2.208.176.1.2", "value": "3213459999"}
    x = facts_from_bundle(bundle(patient(identifier=[cpr])), on=ON)
    assert x.patient_identifier == "3213459999"
    assert "not a CPR number" in x.unmapped[0].reason
    ok = {"system": "urn:oid:1.2.208.176.1.2", "value": "1403469996"}
    assert facts_from_bundle(bundle(patient(identifier=[ok])), on=ON).unmapped == ()


@pytest.mark.parametrize("name", ["dk-referral.json", "synthea-style-lung-cancer.json"])
def test_reading_a_bundle_leaves_no_reference_cycles(
    name: str, cycles_left: Callable[[Callable[[], object]], int]
) -> None:
    """Everything the reader makes while reading a bundle is freed by reference counting:
    no cycle keeps a bundle's resources alive for the collector to find (in the service a
    collection would then free tens of requests' objects at once, a pause in the tail)."""
    data = load(name)
    assert cycles_left(lambda: facts_from_bundle(data, on=ON)) == 0
