"""FHIR bundle → facts against json.loads and fhir.resources R4B validation, side by side.

    python benchmarks/fhir.py [--entries 300] [--rounds 200] [--r4b-rounds 20] [--json PATH]

One deterministic bundle of one patient: the resources that record every fact (written by
``visitation.fhir.testing.bundle_for``) plus unrelated clinical resources in the mix a
Synthea R4 record has (encounters, vital-sign observations, conditions, procedures,
medication requests, immunizations, claims), up to ``--entries`` entries. Before timing,
the bundle's facts are checked to equal the patient's (a mismatch exits 1).

Timed, interleaved round by round (median of the rounds):
- ``json.loads``: parsing the bundle's text (the baseline);
- ``extract``: ``facts_from_bundle`` on the parsed dict (walk, provenance, Patient);
- ``parse + extract``: ``facts_from_bundle`` on the bytes;
- ``R4B validate``: ``fhir.resources.R4B.bundle.Bundle.model_validate`` on the dict, in
  rounds of its own after the others (interleaved, freeing its objects slowed the next
  case threefold).

Targets (issue 11): extract ≤ 2 × json.loads; extract ≥ 20 × faster than R4B validation.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from visitation import Patient
from visitation.fhir import facts_from_bundle
from visitation.fhir.testing import Variant, bundle_for

ON = date(2026, 11, 23)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"

PATIENT = Patient(
    birth_date=date(1949, 5, 2),
    diagnosis_group="cancer",
    diagnosis_code="C34.9",
    life_threatening=True,
    incurable=True,
    workup_complete=True,
    sq1_not_surprised=True,
    spict_general_count=3,
    eortc_date=date(2026, 11, 1),
    eortc_items=[2, 3, 2, 3, 4, 2, 3, 2, 1, 2, 3, 4, 3, 2, 3],
    eortc_status="done",
    lacks_capacity=False,
    consent_by_proxy=False,
    wish_by_proxy=False,
    problem_domains=frozenset({"physical", "psychological"}),
    complex_by_clinician=True,
    symptom_count=4,
    measures_tried=frozenset({"opioid titration", "laxatives"}),
    relieved_at_basic=False,
    advice_date=date(2026, 10, 20),
    acp_date=date(2026, 10, 25),
    treatment_level_documented=True,
    informed_incurable=True,
    informed_palliative_aim=True,
    informed_palliative_only=True,
    informed_alternatives=True,
    consent_referral=True,
    wishes_hospice=False,
    referrer="gp",
    referrer_is_physician=True,
    gp_informed=True,
    gp_agrees=True,
    referral_contents=frozenset({"diagnosis", "problems", "medication"}),
    referral_sent_on=date(2026, 11, 2),
    referral_received_on=date(2026, 11, 3),
    first_contact_on=date(2026, 11, 10),
    died_or_too_ill_before_contact=False,
    curative_exhausted=True,
    curative_ended=True,
    curative_end_date=date(2026, 9, 30),
    life_prolonging_treatment=False,
    prognosis="few_months",
    terminal_declared=True,
    terminal_declaration_date=date(2026, 11, 12),
    treatment_level_clarified=True,
    needs_hospital_admission=False,
)

_VITALS = [
    ("8302-2", "Body Height", 176.0, "cm"),
    ("29463-7", "Body Weight", 71.5, "kg"),
    ("39156-5", "Body mass index", 23.1, "kg/m2"),
    ("8867-4", "Heart rate", 74.0, "/min"),
    ("9279-1", "Respiratory rate", 14.0, "/min"),
    ("72514-3", "Pain severity 0-10", 3.0, "{score}"),
]
_CONDITIONS = [
    ("444814009", "Viral sinusitis"),
    ("10509002", "Acute bronchitis"),
    ("162864005", "Body mass index 30+ - obesity"),
    ("195662009", "Acute viral pharyngitis"),
]


def _noise(i: int, subject: dict[str, str]) -> dict[str, Any]:
    """The ``i``-th unrelated resource, cycling through a Synthea-like mix."""
    when = (ON - timedelta(days=7 * (i + 1))).isoformat() + "T09:30:00+01:00"
    kind = i % 10
    if kind in (0, 1):
        return {
            "resourceType": "Encounter",
            "id": f"enc-{i}",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"coding": [{"system": SCT, "code": "185349003", "display": "Check up"}]}],
            "subject": subject,
            "period": {"start": when, "end": when},
        }
    if kind in (2, 3, 4):
        code, display, value, unit = _VITALS[i % len(_VITALS)]
        return {
            "resourceType": "Observation",
            "id": f"obs-{i}",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "vital-signs",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": subject,
            "effectiveDateTime": when,
            "issued": when,
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
    if kind == 5:
        code, display = _CONDITIONS[i % len(_CONDITIONS)]
        return {
            "resourceType": "Condition",
            "id": f"cond-{i}",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "resolved",
                    }
                ]
            },
            "code": {"coding": [{"system": SCT, "code": code, "display": display}]},
            "subject": subject,
            "onsetDateTime": when,
            "abatementDateTime": when,
            "recordedDate": when,
        }
    if kind == 6:
        return {
            "resourceType": "Procedure",
            "id": f"proc-{i}",
            "status": "completed",
            "code": {
                "coding": [
                    {"system": SCT, "code": "430193006", "display": "Medication reconciliation"}
                ]
            },
            "subject": subject,
            "performedPeriod": {"start": when, "end": when},
        }
    if kind == 7:
        return {
            "resourceType": "MedicationRequest",
            "id": f"med-{i}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": "1049221",
                        "display": "Acetaminophen 325 MG Oral Tablet",
                    }
                ]
            },
            "subject": subject,
            "authoredOn": when,
        }
    if kind == 8:
        return {
            "resourceType": "Immunization",
            "id": f"imm-{i}",
            "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
            "patient": subject,
            "occurrenceDateTime": when,
            "primarySource": True,
        }
    return {
        "resourceType": "Claim",
        "id": f"claim-{i}",
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "claim",
        "patient": subject,
        "created": when,
        "provider": {"display": "Lægehuset"},
        "priority": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                    "code": "normal",
                }
            ]
        },
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Region"}}],
    }


def make_bundle(entries: int) -> dict[str, Any]:
    """The benchmark bundle: the patient's facts plus noise up to ``entries`` entries."""
    bundle = bundle_for(PATIENT, on=ON, variant=Variant(full_urls="http", noise=False))
    subject = {"reference": "Patient/pt-1"}
    i = 0
    while len(bundle["entry"]) < entries:
        resource = _noise(i, subject)
        url = f"https://ehr.example.dk/fhir/{resource['resourceType']}/{resource['id']}"
        bundle["entry"].append({"fullUrl": url, "resource": resource})
        i += 1
    return bundle


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table and the targets; 1 when the facts are wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200, help="rounds of the fast cases")
    parser.add_argument("--r4b-rounds", type=int, default=20, help="rounds of R4B validation")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    # this file is named fhir.py: keep its folder from shadowing the fhir.resources package
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from fhir.resources.R4B.bundle import Bundle

    bundle = make_bundle(args.entries)
    text = json.dumps(bundle).encode()
    data = json.loads(text)
    got = facts_from_bundle(data, on=ON).patient
    if got != PATIENT:
        print("FAIL: the bundle's facts differ from the patient's", file=sys.stderr)
        return 1
    Bundle.model_validate(data)  # build the models once, outside the timing

    cases: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(text),
        "extract": lambda: facts_from_bundle(data, on=ON),
        "parse + extract": lambda: facts_from_bundle(text, on=ON),
    }
    try:
        import orjson

        cases["orjson.loads"] = lambda: orjson.loads(text)
    except ImportError:
        pass
    for fn in cases.values():  # warm up
        fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    gc.disable()
    try:
        for _ in range(args.rounds):  # interleaved: a slow moment falls on every case
            for name, fn in cases.items():
                times[name].append(_time(fn))
            gc.collect()
        # R4B validation runs in the same process, after the others: interleaved, the
        # freeing of its model objects slowed whatever ran next by up to 3x (measured).
        times["R4B validate"] = []
        for _ in range(args.r4b_rounds):
            times["R4B validate"].append(_time(lambda: Bundle.model_validate(data)))
            gc.collect()
    finally:
        gc.enable()

    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["json.loads"]
    print(
        f"bundle: {len(bundle['entry'])} entries, {len(text) / 1024:.0f} KiB; "
        f"{args.rounds} rounds ({args.r4b_rounds} of R4B); Python {platform.python_version()}"
    )
    print(f"{'case':<18}{'median ms':>11}{'min ms':>9}{'× json.loads':>14}")
    for name, t in times.items():
        print(
            f"{name:<18}{median[name] * 1e3:>11.2f}{min(t) * 1e3:>9.2f}{median[name] / base:>14.2f}"
        )
    low = {name: min(t) for name, t in times.items()}
    ratio_json = median["extract"] / base
    ratio_r4b = median["R4B validate"] / median["extract"]
    ok_json, ok_r4b = ratio_json <= 2.0, ratio_r4b >= 20.0
    verdict = {True: "met", False: "NOT met"}
    print()
    print("targets (medians; the minimums, least disturbed by other processes, in brackets):")
    print(
        f"  extract ≤ 2 × json.loads:        {ratio_json:.2f} × "
        f"({low['extract'] / low['json.loads']:.2f} ×) — {verdict[ok_json]}"
    )
    print(
        f"  extract ≥ 20 × faster than R4B:  {ratio_r4b:.1f} × "
        f"({low['R4B validate'] / low['extract']:.1f} ×) — {verdict[ok_r4b]}"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "entries": len(bundle["entry"]),
                    "bytes": len(text),
                    "median_ms": {k: v * 1e3 for k, v in median.items()},
                    "min_ms": {k: v * 1e3 for k, v in low.items()},
                    "extract_over_json_loads": ratio_json,
                    "r4b_over_extract": ratio_r4b,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
