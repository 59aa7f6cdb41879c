"""An Assessment as a FHIR R4 GuidanceResponse (Clinical Reasoning), for DPD reporting."""

from __future__ import annotations

from typing import Any

from visitation import Assessment
from visitation.fhir._mapping import Mapping
from visitation.fhir._result import FhirAssessment

__all__ = ["assessment_to_fhir"]

_SPECIALIZED = "specialized"


def assessment_to_fhir(
    assessment: Assessment | FhirAssessment,
    *,
    mapping: Mapping | None = None,
    response_id: str | None = None,
) -> dict[str, Any]:
    """A FHIR R4 ``GuidanceResponse`` (plain JSON) stating what the rule set says.

    ``moduleCanonical`` names the rule set as ``{canonical}/Library/{family}|{version}``;
    ``occurrenceDateTime`` is the evaluation date; the contained ``Parameters`` hold the
    verdict per pathway and the outcome of every rule and indicator (with its content
    hash). ``status`` is ``success`` when every verdict is definite, else
    ``data-required`` with a ``dataRequirement`` per missing fact. The not-met rules of
    the ``specialized`` pathway become ``reasonCode``s of KIP's
    ``VisitationCriteriaNotMet`` (``other`` where no code fits), as DPD reports them.
    """
    from visitation.fhir import default_mapping

    m = mapping or default_mapping()
    extraction = assessment.extraction if isinstance(assessment, FhirAssessment) else None
    a = assessment.assessment if isinstance(assessment, FhirAssessment) else assessment
    lang = a.default_lang
    params: list[dict[str, Any]] = [
        {"name": "ruleset", "valueString": a.key},
        {"name": "content-hash", "valueString": a.content_hash},
        {"name": "evaluator", "valueString": a.evaluator},
        {"name": "in-force", "valueBoolean": a.in_force},
    ]
    for p in a.pathways:
        part: list[dict[str, Any]] = [
            {"name": "pathway", "valueCode": p.id},
            {"name": "verdict", "valueCode": p.verdict},
        ]
        part += [{"name": "blocking", "valueString": r} for r in p.blocking]
        part += [{"name": "missing", "valueString": f} for f in p.missing]
        params.append({"name": "verdict", "part": part})
    for r in (*a.rules, *a.indicators):
        part = [
            {"name": "rule", "valueString": r.id},
            {"name": "group", "valueString": r.group},
            {"name": "status", "valueCode": r.status},
        ]
        text = r.explanation.get(lang) or next(iter(r.explanation.values()), "")
        if text:
            part.append({"name": "explanation", "valueString": text})
        part += [{"name": "missing", "valueString": f} for f in r.missing]
        params.append({"name": "outcome", "part": part})

    response: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "contained": [{"resourceType": "Parameters", "id": "outcome", "parameter": params}],
        "moduleCanonical": f"{m.canonical}/Library/{a.family}|{a.version}",
        "status": "success"
        if all(p.verdict != "indeterminate" for p in a.pathways)
        else "data-required",
        "occurrenceDateTime": a.evaluated_on.isoformat(),
        "outputParameters": {"reference": "#outcome"},
    }
    if response_id is not None:
        response["id"] = response_id
    if extraction is not None and extraction.patient_ref and "/" in extraction.patient_ref:
        response["subject"] = {"reference": extraction.patient_ref}
    reasons = _not_met_reasons(a, m)
    if reasons:
        response["reasonCode"] = reasons
    missing = list(dict.fromkeys(f for p in a.pathways for f in p.missing))
    if missing:
        response["dataRequirement"] = [_requirement(f, m) for f in missing]
    return response


def _not_met_reasons(a: Assessment, m: Mapping) -> list[dict[str, Any]]:
    try:
        pathway = a.pathway(_SPECIALIZED)
    except KeyError:
        return []
    codes: list[tuple[str, str]] = []
    for rule_id in pathway.blocking:
        rule = a.rule(rule_id)
        hits = [m.not_met[f] for f in (*rule.evidence, *rule.missing) if f in m.not_met]
        for code in hits or [m.not_met_other]:
            if code not in codes:
                codes.append(code)
    return [{"coding": [{"system": s, "code": c}]} for s, c in codes]


def _requirement(fact: str, m: Mapping) -> dict[str, Any]:
    """Which resource (and codes) would record a missing fact, as a DataRequirement."""
    kinds = {
        "patient": "Patient",
        "observation": "Observation",
        "condition": "Condition",
        "diagnosis": "Condition",
        "procedure": "Procedure",
        "referral": "ServiceRequest",
        "encounter": "Encounter",
        "consent": "Consent",
        "questionnaire": "QuestionnaireResponse",
    }
    req: dict[str, Any] = {"type": "Observation"}
    for entry in m.entries:
        if fact in (entry.fact, entry.also) or (fact == "age" and entry.fact == "birth_date"):
            req = {"type": kinds[entry.source]}
            if entry.codes:
                codings = [
                    dict(zip(("system", "code"), m.coding(c), strict=True)) for c in entry.codes
                ]
                path = {"encounter": "type", "consent": "category"}.get(entry.source, "code")
                req["codeFilter"] = [{"path": path, "code": codings}]
            break
    req["extension"] = [
        {"url": f"{m.canonical}/StructureDefinition/missing-fact", "valueCode": fact}
    ]
    return req
