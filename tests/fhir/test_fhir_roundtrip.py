"""Round trip: generated patient facts → a realistic FHIR Bundle → the same facts."""

from __future__ import annotations

import copy
from typing import Any

from fhir_helpers import ON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visitation import Patient, facts_of
from visitation.fhir import default_mapping, facts_from_bundle
from visitation.fhir._codes import group_of_icd10
from visitation.fhir.testing import Variant, bundle_for, bundles, past_only
from visitation.testing import complete_patients

SETTINGS = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def expected(patient: Patient) -> Patient:
    """The facts a bundle of ``patient`` records: a diagnosis code in a DPD range names
    its group, so an unrecorded group is the range's (the one gap FHIR cannot keep)."""
    values = {k: v for k, v in facts_of(patient).items() if v is not None}
    code = values.get("diagnosis_code")
    if code is not None and "diagnosis_group" not in values:
        group = group_of_icd10(code, default_mapping().ranges)
        if group is not None:
            values["diagnosis_group"] = group
    return Patient(**values)


@SETTINGS
@given(bundles(on=ON))
def test_generated_facts_survive_a_bundle(pair: tuple[Patient, dict[str, Any]]) -> None:
    """Any generated patient (unknowns left out of the bundle, Danish code variants,
    shuffled entries, unrelated resources) reads back as the same facts."""
    patient, bundle = pair
    x = facts_from_bundle(bundle, on=ON)
    assert x.patient == expected(patient)
    assert set(x.provenance) == set(x.facts)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(complete_patients(on=ON), st.sampled_from(["icd10", "sks", "kip-sks"]))
def test_complete_patients_survive_every_code_system(patient: Patient, system: Any) -> None:
    """Patients with every fact recorded read back whole in each diagnosis code system."""
    p = past_only(patient, ON)
    b = bundle_for(p, on=ON, variant=Variant(diagnosis_system=system, tillaeg="TUL1"))
    assert facts_from_bundle(b, on=ON).patient == expected(p)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(bundles(on=ON), st.data())
def test_a_later_resource_never_changes_the_facts(
    pair: tuple[Patient, dict[str, Any]], data: st.DataObject
) -> None:
    """A copy of any resource, dated after the evaluation date and with a changed value,
    leaves the facts as they were."""
    patient, bundle = pair
    dated = [
        e for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation" and "effectiveDateTime" in e["resource"]
    ]  # fmt: skip
    if dated:
        entry = copy.deepcopy(data.draw(st.sampled_from(dated)))
        resource = entry["resource"]
        resource["id"] += "-later"
        resource["effectiveDateTime"] = "2027-01-01"
        if isinstance(resource.get("valueBoolean"), bool):
            resource["valueBoolean"] = not resource["valueBoolean"]
        entry.pop("fullUrl", None)
        bundle["entry"].append(entry)
    assert facts_from_bundle(bundle, on=ON).patient == expected(patient)
