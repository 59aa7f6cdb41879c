"""Test helpers: write patient facts as a realistic FHIR R4 Bundle, and strategies for it.

:func:`bundle_for` writes the resources an EHR would hold for a :class:`~visitation.Patient`
(a dk-core style Patient with a CPR identifier, the diagnosis as a Condition named by a
palliative referral ServiceRequest, Observations, an EORTC QuestionnaireResponse, an
Encounter for the first contact, a Consent, an advance-care-planning Procedure), coded as
the shipped mapping reads them, in the code variants Danish systems use. Reading the
bundle back gives the same facts: the round-trip property of ``tests/fhir``.

    >>> from datetime import date
    >>> from visitation import Patient
    >>> from visitation.fhir import facts_from_bundle
    >>> from visitation.fhir.testing import bundle_for
    >>> p = Patient(age=71, diagnosis_code="C34.9", diagnosis_group="cancer")
    >>> facts_from_bundle(bundle_for(p, on=date(2026, 11, 23)), on="2026-11-23").patient == p
    True

:func:`bundles` (hypothesis) draws a patient and a :class:`Variant` of its bundle.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from visitation import FACTS, Patient, facts_of
from visitation.fhir._mapping import Mapping, MappingEntry, default_mapping
from visitation.fhir._model import json_value

__all__ = ["Variant", "bundle_for", "bundles", "past_only"]

_OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_SCT = "http://snomed.info/sct"
_EHR = "https://ehr.example.dk/fhir"


@dataclass(frozen=True, slots=True)
class Variant:
    """How :func:`bundle_for` writes a bundle: code systems, references, order, noise."""

    diagnosis_system: Literal["icd10", "sks", "kip-sks"] = "sks"
    """WHO ICD-10 (``C34.9``), SKS-D of dk-core (``DC349``) or KIP's SKS system."""
    tillaeg: str | None = None
    """An SKS additional code appended with ``+`` (e.g. ``TUL1``)."""
    explicit_group: bool = True
    """Also code the DPD group where the ICD-10 ranges would give it anyway."""
    full_urls: Literal["uuid", "http", "none"] = "uuid"
    """``urn:uuid:`` fullUrls and references (as Synthea), server URLs, or none."""
    bundle_type: Literal["collection", "searchset", "transaction"] = "collection"
    eortc_answers: Literal["coding", "integer"] = "coding"
    noise: bool = True
    """Add unrelated resources (a sinusitis, a check-up, a medication, a vaccination)."""
    shuffle: int | None = None
    """Shuffle the entries with this seed."""


def past_only(patient: Patient, on: date) -> Patient:
    """``patient`` without dates after ``on``: a resource dated later is not used, so
    only such facts survive the round trip unchanged."""
    values = {k: v for k, v in facts_of(patient).items() if v is not None}
    for name, value in list(values.items()):
        if name != "birth_date" and FACTS[name].kind == "date" and value > on:
            del values[name]
    return Patient(**values)


class _Writer:
    def __init__(self, m: Mapping, on: date, variant: Variant) -> None:
        self.m = m
        self.on = on
        self.v = variant
        self.entries: list[dict[str, Any]] = []
        self.count = 0

    def coding(self, text: str, display: str | None = None) -> dict[str, Any]:
        system, code = self.m.coding(text)
        out = {"system": system, "code": code}
        if display:
            out["display"] = display
        return out

    def add(self, resource: dict[str, Any]) -> str:
        """Add a resource; returns the reference other resources use for it."""
        self.count += 1
        rtype = resource["resourceType"]
        rid = resource.setdefault("id", f"{rtype.lower()}-{self.count}")
        entry: dict[str, Any] = {"resource": resource}
        ref = f"{rtype}/{rid}"
        if self.v.full_urls == "uuid":
            entry["fullUrl"] = ref = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ref)}"
        elif self.v.full_urls == "http":
            entry["fullUrl"] = f"{_EHR}/{ref}"
        if self.v.bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": rtype}
        elif self.v.bundle_type == "searchset":
            entry["search"] = {"mode": "match"}
        self.entries.append(entry)
        return ref


def _first(entry: MappingEntry) -> str:
    return entry.codes[0]


def bundle_for(
    patient: Patient,
    *,
    on: date,
    variant: Variant | None = None,
    mapping: Mapping | None = None,
) -> dict[str, Any]:
    """A FHIR R4 Bundle (plain JSON) recording exactly the facts of ``patient``."""
    m = mapping or default_mapping()
    v = variant or Variant()
    w = _Writer(m, on, v)
    facts = {k: val for k, val in facts_of(patient).items() if val is not None}
    born = facts.get("birth_date")
    pat: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "pt-1",
        "identifier": [{"use": "official", "system": m.cpr_system, "value": _cpr(born)}],
        "name": [{"use": "official", "family": "Testesen", "given": ["Inger"]}],
        "gender": "female",
    }
    if born is not None:
        pat["birthDate"] = born.isoformat()
    subject = {"reference": w.add(pat)}

    by_id = {e.id: e for e in m.entries}
    observations: dict[str, dict[str, Any]] = {}
    dated_codes = {_first(e) for e in m.entries if e.source == "observation" and e.value == "date"}

    def observation(entry: MappingEntry) -> dict[str, Any]:
        key = _first(entry)
        obs = observations.get(key)
        if obs is None:
            obs = {
                "resourceType": "Observation",
                "status": "final",
                "category": [{"coding": [{"system": _OBS_CATEGORY, "code": "survey"}]}],
                "code": {"coding": [w.coding(key)], "text": entry.fact.replace("_", " ")},
                "subject": subject,
            }
            # a code whose date is a fact of its own is dated only when that fact is
            if key not in dated_codes:
                obs["effectiveDateTime"] = on.isoformat()
            observations[key] = obs
        return obs

    for entry in m.entries:
        if entry.source != "observation" or entry.fact not in facts:
            continue
        value = facts[entry.fact]
        obs = observation(entry)
        if entry.value == "boolean":
            obs["valueBoolean"] = value
        elif entry.value == "integer":
            obs["valueInteger"] = value
        elif entry.value == "quantity":
            obs["valueQuantity"] = {
                "value": value,
                "unit": "years",
                "system": m.systems["ucum"],
                "code": "a",
            }
        elif entry.value == "coded":
            code = next(k for k, member in entry.values.items() if member == json_value(value))
            obs["valueCodeableConcept"] = {"coding": [w.coding(code)]}
        elif entry.value == "date":
            obs["effectiveDateTime"] = value.isoformat()
        elif entry.value == "set":
            members = json_value(value)
            if entry.values:
                obs["component"] = [
                    {"code": {"coding": [w.coding(code)]}, "valueBoolean": member in members}
                    for code, member in entry.values.items()
                ]
            elif members:
                obs["component"] = [
                    {"code": {"text": "relief measure"}, "valueString": text} for text in members
                ]
    for obs in observations.values():
        w.add(obs)

    # --- the diagnosis and the referral ------------------------------------------------
    dx_ref = _diagnosis(w, facts, subject, by_id)
    sent, received = facts.get("referral_sent_on"), facts.get("referral_received_on")
    if dx_ref is not None or sent is not None or received is not None:
        sr: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "code": {"coding": [_sct(m, "Referral to palliative care service")]},
            "subject": subject,
        }
        if sent is not None:
            sr["authoredOn"] = sent.isoformat()
        if received is not None:
            sr["extension"] = [{"url": m.received_extension, "valueDate": received.isoformat()}]
        if dx_ref is not None:
            sr["reasonReference"] = [{"reference": dx_ref}]
        w.add(sr)

    contact = facts.get("first_contact_on")
    if contact is not None:
        entry = by_id["encounter.first-contact"]
        w.add(
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"system": _ACT_CODE, "code": "AMB", "display": "ambulatory"},
                "type": [{"coding": [w.coding(_first(entry))]}],
                "subject": subject,
                "period": {"start": contact.isoformat()},
            }
        )
    if "consent_referral" in facts:
        entry = by_id["consent.referral"]
        w.add(
            {
                "resourceType": "Consent",
                "status": "active",
                "scope": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                            "code": "treatment",
                        }
                    ]
                },
                "category": [{"coding": [w.coding(_first(entry))]}],
                "patient": subject,
                "dateTime": on.isoformat(),
                "policyRule": {"coding": [{"system": _ACT_CODE, "code": "OPTIN"}]},
                "provision": {"type": "permit" if facts["consent_referral"] else "deny"},
            }
        )
    if "acp_date" in facts:
        entry = by_id["procedure.acp"]
        w.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": {"coding": [w.coding(_first(entry), "Advance care planning")]},
                "subject": subject,
                "performedDateTime": facts["acp_date"].isoformat(),
            }
        )
    if "eortc_items" in facts or "eortc_date" in facts:
        _questionnaire(w, facts, subject)
    if v.noise:
        _noise(w, subject)

    entries = w.entries
    if v.shuffle is not None:
        random.Random(v.shuffle).shuffle(entries)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": "bundle-1",
        "type": v.bundle_type,
        "entry": entries,
    }
    if v.bundle_type == "searchset":
        bundle["total"] = len(entries)
    return bundle


def _sct(m: Mapping, display: str) -> dict[str, Any]:
    system, code = next(iter(sorted(m.referral_codes)))
    return {"system": system, "code": code, "display": display}


def _cpr(born: date | None) -> str:
    """A fictitious CPR number (the date part from the birth date, serial 9999-style)."""
    day = born or date(1950, 1, 1)
    return f"{day:%d%m%y}9996"


def _diagnosis(
    w: _Writer, facts: dict[str, Any], subject: dict[str, Any], by_id: dict[str, MappingEntry]
) -> str | None:
    code, group = facts.get("diagnosis_code"), facts.get("diagnosis_group")
    if code is None and group is None:
        return None
    m, v = w.m, w.v
    codings: list[dict[str, Any]] = []
    derived = None
    if code is not None:
        from visitation.fhir._codes import group_of_icd10

        derived = group_of_icd10(code, m.ranges)
        if v.diagnosis_system == "icd10":
            codings.append({"system": m.systems["icd10"], "code": code})
        else:
            sks = "D" + code.replace(".", "") + (f"+{v.tillaeg}" if v.tillaeg else "")
            codings.append({"system": m.systems[v.diagnosis_system], "code": sks})
    if group is not None and (v.explicit_group or derived != group.value):
        text = next(k for k, g in by_id_group(m).items() if g == group.value)
        system, value = m.coding(text)
        codings.append({"system": system, "code": value})
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": _VERIFICATION, "code": "confirmed"}]},
        "category": [{"coding": [{"system": _CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {"coding": codings, "text": "palliative diagnosis"},
        "subject": subject,
        "recordedDate": (w.on - timedelta(days=40)).isoformat(),
    }
    return w.add(condition)


def by_id_group(m: Mapping) -> dict[str, str]:
    """``alias#code`` → DPD group, as the mapping's group codes say."""
    out = {}
    for (system, code), group in m.group_codes.items():
        alias = m.system_alias(system)
        out[f"{alias}#{code}"] = group
    return out


def _questionnaire(w: _Writer, facts: dict[str, Any], subject: dict[str, Any]) -> None:
    m = w.m
    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": next(iter(sorted(m.questionnaires))),
        "status": "completed",
        "subject": subject,
    }
    if "eortc_date" in facts:
        qr["authored"] = facts["eortc_date"].isoformat()
    items = facts.get("eortc_items")
    if items is not None:
        qr["item"] = []
        for n, (link, score) in enumerate(zip(m.link_ids, items, strict=True), 1):
            if w.v.eortc_answers == "integer":
                answer: dict[str, Any] = {"valueInteger": score}
            else:
                system = m.answers_1_7 if n == 15 else m.answers_1_4
                answer = {"valueCoding": {"system": system, "code": f"grade_{score}"}}
            qr["item"].append({"linkId": link, "answer": [answer]})
    w.add(qr)


def _noise(w: _Writer, subject: dict[str, Any]) -> None:
    on = w.on
    w.add(
        {
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "active"}]},
            "code": {
                "coding": [{"system": _SCT, "code": "444814009", "display": "Viral sinusitis"}]
            },
            "subject": subject,
            "onsetDateTime": (on - timedelta(days=200)).isoformat(),
        }
    )
    w.add(
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": _ACT_CODE, "code": "AMB"},
            "type": [{"coding": [{"system": _SCT, "code": "185349003", "display": "Check up"}]}],
            "subject": subject,
            "period": {"start": (on - timedelta(days=120)).isoformat()},
        }
    )
    w.add(
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "morphine 10 mg"},
            "subject": subject,
        }
    )
    w.add(
        {
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": {"text": "influenza"},
            "patient": subject,
            "occurrenceDateTime": (on - timedelta(days=60)).isoformat(),
        }
    )


def bundles(*, on: date | None = None, patients: Any = None) -> Any:
    """Hypothesis: ``(patient, bundle)`` pairs, the patient drawn by ``patients``
    (default :func:`visitation.testing.patients`), its dates after ``on`` removed
    (:func:`past_only`), the bundle written in a drawn :class:`Variant`."""
    from hypothesis import strategies as st

    from visitation.testing import DEFAULT_ON
    from visitation.testing import patients as patient_strategy

    day = on or DEFAULT_ON
    base = patients if patients is not None else patient_strategy(on=day)
    variants = st.builds(
        Variant,
        diagnosis_system=st.sampled_from(["icd10", "sks", "kip-sks"]),
        tillaeg=st.sampled_from([None, "TUL1", "TUL2"]),
        explicit_group=st.booleans(),
        full_urls=st.sampled_from(["uuid", "http", "none"]),
        bundle_type=st.sampled_from(["collection", "searchset", "transaction"]),
        eortc_answers=st.sampled_from(["coding", "integer"]),
        noise=st.booleans(),
        shuffle=st.one_of(st.none(), st.integers(0, 2**16)),
    )

    def write(pair: tuple[Patient, Variant]) -> tuple[Patient, dict[str, Any]]:
        patient = past_only(pair[0], day)
        return patient, bundle_for(patient, on=day, variant=pair[1])

    return st.tuples(base, variants).map(write)
