"""Bad input is refused with errors naming entry, resource and element; nothing half-read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir_helpers import ON, SKS, bundle, condition, fact_obs, patient

from visitation import PatientFileError
from visitation.fhir import MAX_BUNDLE_BYTES, FhirInputError, facts_from_bundle


def _message(data: Any) -> str:
    with pytest.raises(FhirInputError) as info:
        facts_from_bundle(data, on=ON)
    return str(info.value)


def test_an_input_error_is_a_patient_file_error() -> None:
    """FhirInputError is a PatientFileError, so the CLI reports it as invalid patient facts."""
    assert issubclass(FhirInputError, PatientFileError)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "a Bundle is a JSON object, not an array"),
        ({"resourceType": "Patient", "id": "p1"}, "not a Bundle (resourceType is 'Patient')"),
        ({"entry": []}, "not a Bundle (resourceType is missing)"),
    ],
)
def test_not_a_bundle(data: Any, expected: str) -> None:
    """What is not a Bundle (nor a prefetch) is refused, saying what it is."""
    assert expected in _message(data)


def test_a_malformed_element_names_entry_resource_and_path() -> None:
    """A coding that is not an object names entry index, type/id and element path."""
    bad = condition("c1", (SKS, "DC349"))
    bad["code"]["coding"].append("DC349")
    msg = _message(bundle(patient(), bad))
    assert "entry[1] (Condition/c1): Condition.code.coding[1]: must be a Coding" in msg


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            fact_obs("o1", "incurable", valueBoolean="yes"),
            "entry[1] (Observation/o1): Observation.valueBoolean: must be true or false, not a string",
        ),
        (
            fact_obs("o1", "incurable", "2026-02-30", valueBoolean=True),
            "Observation.effectiveDateTime: '2026-02-30' is not a FHIR date",
        ),
        (
            {"resourceType": "Observation", "id": 7},
            "entry[1] (Observation): Observation.id must be a string",
        ),
        ({"id": "x"}, "entry[1]: resource has no resourceType"),
        (
            condition("c1", (SKS, "DXYZ")),
            "Condition.code.coding[0]: 'DXYZ' is not an SKS diagnosis code",
        ),
    ],
)
def test_malformed_resources(resource: dict[str, Any], expected: str) -> None:
    """Each malformed resource is refused with its location."""
    assert expected in _message(bundle(patient(), resource))


def test_every_problem_is_listed_at_once() -> None:
    """Errors in several entries are all reported together."""
    b = bundle(
        patient(),
        fact_obs("a", "incurable", valueBoolean=1),
        fact_obs("b", "incurable", valueBoolean=2),
    )
    with pytest.raises(FhirInputError) as info:
        facts_from_bundle(b, on=ON)
    assert [d.message.split(":")[0] for d in info.value.diagnostics] == [
        "entry[1] (Observation/a)",
        "entry[2] (Observation/b)",
    ]


@pytest.mark.parametrize(
    ("resource", "element"),
    [
        (
            {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "completed",
                "class": [{"coding": []}],
            },
            "Encounter.class (a list)",
        ),
        (
            {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "completed",
                "actualPeriod": {"start": "2026-11-01"},
            },
            "Encounter.actualPeriod",
        ),
        (
            {"resourceType": "Consent", "id": "c1", "status": "active", "decision": "permit"},
            "Consent.decision",
        ),
        (
            {
                "resourceType": "Procedure",
                "id": "x",
                "status": "completed",
                "occurrenceDateTime": "2026-11-01",
            },
            "Procedure.occurrenceDateTime",
        ),
        (
            {
                "resourceType": "ServiceRequest",
                "id": "s",
                "status": "active",
                "intent": "order",
                "code": {"concept": {"text": "x"}},
            },
            "ServiceRequest.code (a CodeableReference)",
        ),
    ],
)
def test_r5_shapes_are_refused(resource: dict[str, Any], element: str) -> None:
    """Resources in FHIR R5 shape are refused as the wrong FHIR version."""
    with pytest.raises(FhirInputError) as info:
        facts_from_bundle(bundle(patient(), resource), on=ON)
    (d,) = info.value.diagnostics
    assert d.code == "fhir-version"
    assert f"{element}: exists only in FHIR R5" in d.message


def test_stu3_condition_status_is_refused() -> None:
    """A Condition with STU3's plain-code clinicalStatus is refused as the wrong version."""
    old = condition("c1", (SKS, "DC349"), clinicalStatus="active")
    msg = _message(bundle(patient(), old))
    assert "Condition.clinicalStatus: is a plain code: that is FHIR STU3" in msg


def test_several_patients_are_refused() -> None:
    """Two Patient resources: refused, naming both entries."""
    msg = _message(bundle(patient("p1"), patient("p2")))
    assert "2 patients: entry[0] (Patient/p1), entry[1] (Patient/p2)" in msg


def test_resources_about_another_patient_are_refused() -> None:
    """A resource whose subject is another patient is refused, naming it."""
    other = fact_obs("o1", "incurable", valueBoolean=True)
    other["subject"] = {"reference": "https://other.example/fhir/Patient/p9"}
    msg = _message(bundle(patient("p1"), other))
    assert (
        "more than one patient: Patient/p1 and entry[1] (Observation/o1) Observation.subject.reference"
        in msg
    )


def test_a_bundle_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """A file over 50 MiB is refused before it is read."""
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: nothing written, nothing read
    msg = _message(path)
    assert "bundle-too-large" in msg and "50 MiB" in msg


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    """Broken JSON is reported with file, line and column; NaN is refused."""
    path = tmp_path / "b.json"
    path.write_text('{"resourceType": "Bundle",\n "entry": [,]}')
    assert f"{path}:2:" in _message(path)
    assert "NaN is not JSON" in _message(b'{"resourceType": "Bundle", "total": NaN}')


def test_facts_that_contradict_each_other_name_their_resources() -> None:
    """A referral received before it was sent is refused, naming the resources."""
    sr = {
        "resourceType": "ServiceRequest",
        "id": "s1",
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "306237005"}]},
        "authoredOn": "2026-11-10",
        "extension": [
            {
                "url": "https://visitation.dk/fhir/StructureDefinition/referral-received",
                "valueDate": "2026-11-01",
            }
        ],
    }
    msg = _message(bundle(patient(), sr))
    assert "referral_received_on (2026-11-01) is before referral_sent_on (2026-11-10)" in msg
    assert "ServiceRequest.extension[0].valueDate" in msg


@pytest.mark.parametrize("odd", [["Observation"], {"type": "Observation"}])
def test_an_object_or_array_in_place_of_a_name_is_refused_not_a_crash(odd: Any) -> None:
    """A resourceType, or a coding's system or code, that is an array or object is
    refused by entry and element (it once raised TypeError: unhashable)."""
    typed = fact_obs("o1", "1234-5")
    typed["resourceType"] = odd
    assert "entry[1]: resource has no resourceType" in _message(bundle(patient(), typed))
    for key in ("system", "code"):
        coded = condition("c1", (SKS, "DC349"))
        coded["code"]["coding"][0][key] = odd
        msg = _message(bundle(patient(), coded))
        assert "entry[1] (Condition/c1): Condition.code.coding[0]: system and code" in msg


def test_an_object_as_a_questionnaire_link_id_is_no_answer() -> None:
    """An item whose linkId is an object is no answer to any question (it once raised
    TypeError: unhashable); the rest of the record is read."""
    qr = {
        "resourceType": "QuestionnaireResponse",
        "id": "q1",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "authored": "2026-11-01",
        "item": [{"linkId": {"id": "1"}, "answer": [{"valueInteger": 2}]}],
    }
    got = facts_from_bundle(bundle(patient(), qr), on=ON)
    assert got.facts.get("eortc_items") is None
