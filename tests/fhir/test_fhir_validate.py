"""Strict validation with fhir.resources R4B (validate=True), run for real."""

from __future__ import annotations

import sys

import pytest
from fhir_helpers import ON, bundle, fact_obs, load, patient

from visitation.fhir import FhirInputError, facts_from_bundle


@pytest.mark.parametrize("name", ["dk-referral.json", "synthea-style-lung-cancer.json"])
def test_valid_bundles_pass_r4b_validation(name: str) -> None:
    """The hand-written bundles are valid R4B and give the same facts when validated."""
    data = load(name)
    assert (
        facts_from_bundle(data, on=ON, validate=True).patient
        == facts_from_bundle(data, on=ON).patient
    )


def test_an_invalid_element_is_named_by_entry_and_path() -> None:
    """A misspelt element (valueBolean) is refused by R4B, naming entry and element; the
    plain walk, which reads only the elements it maps, passes it by."""
    obs = fact_obs("o1", "incurable", valueBolean=True)
    b = bundle(patient(), obs)
    assert facts_from_bundle(b, on=ON).patient.incurable is None
    with pytest.raises(FhirInputError) as info:
        facts_from_bundle(b, on=ON, validate=True)
    messages = [d.message for d in info.value.diagnostics]
    assert any(
        m.startswith("entry[1] (Observation/o1): Observation.valueBolean: Extra inputs")
        for m in messages
    ), messages
    assert all("(fhir.resources R4B)" in m for m in messages)


def test_validation_without_the_extra_gives_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without fhir.resources, validate=True raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B.bundle", None)
    with pytest.raises(ImportError, match=r"pip install 'visitation\[fhir\]'"):
        facts_from_bundle(bundle(patient()), on=ON, validate=True)


def test_a_prefetch_is_validated_resource_by_resource() -> None:
    """A CDS Hooks prefetch is validated per resource; a bad one is named by its key."""
    good = {"patient": patient(birthDate="1950-03-14"), "conditions": bundle(btype="searchset")}
    assert facts_from_bundle(good, on=ON, validate=True).patient.birth_date is not None
    bad = {"patient": patient(gender=5), "conditions": None}
    with pytest.raises(FhirInputError, match=r"prefetch\.patient: Patient\.gender"):
        facts_from_bundle(bad, on=ON, validate=True)
