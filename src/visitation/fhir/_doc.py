"""The mapping as Markdown tables, for docs/fhir.md (a test keeps the page current)."""

from __future__ import annotations

from visitation.fhir._mapping import Mapping, MappingEntry

__all__ = ["mapping_tables"]

_VALUE = {
    "boolean": "valueBoolean",
    "integer": "valueInteger (or a whole valueQuantity)",
    "quantity": "valueQuantity (unit {units})",
    "coded": "valueCodeableConcept",
    "date": "the resource's date",
    "set": "component[] (code + valueBoolean)",
}


def _where(entry: MappingEntry, m: Mapping) -> str:
    src = entry.source
    if src == "patient":
        return "Patient.birthDate"
    if src == "observation":
        value = _VALUE[entry.value or ""].format(units=", ".join(entry.units))
        if entry.value == "set" and not entry.values:
            value = "component[].valueString"
        return f"Observation.code → {value}"
    if src == "condition":
        return f"Condition.code → {str(entry.constant).lower()}"
    if src == "diagnosis":
        return (
            "Condition.code (ICD-10, SKS, SNOMED CT; group from a DPD coding, the ranges, or "
            "the SNOMED table) of the Condition a referral's reasonReference names"
        )
    if src == "procedure":
        return "Procedure.code → performedDateTime / performedPeriod.start"
    if src == "referral":
        if entry.value == "authored":
            return "ServiceRequest (referral code) → authoredOn"
        return f"ServiceRequest (referral code) → extension `{m.received_extension}` valueDate"
    if src == "encounter":
        return "Encounter.type → period.start"
    if src == "consent":
        return "Consent.category → status and provision.type"
    if entry.value == "answers":
        return "QuestionnaireResponse (EORTC QLQ-C15-PAL) → item[linkId].answer"
    return "QuestionnaireResponse (EORTC QLQ-C15-PAL) → authored"


def _codes(entry: MappingEntry, m: Mapping) -> str:
    if entry.source == "referral":
        return ", ".join(f"`{m.system_alias(s)}#{c}`" for s, c in sorted(m.referral_codes))
    codes = ", ".join(f"`{c}`" for c in entry.codes)
    if entry.values:
        values = "; ".join(f"`{k}` → {v}" for k, v in entry.values.items())
        codes = f"{codes}; values: {values}" if codes else values
    return codes or "—"


def mapping_tables(m: Mapping) -> str:
    """Markdown: the fact table (fact → resource, element, codes, rule) and the systems."""
    rows = [
        "| fact | mapping entry | resource → element | codes | conflicts |",
        "|---|---|---|---|---|",
    ]
    for e in m.entries:
        fact = f"`{e.fact}`" + (f", `{e.also}`" if e.also else "")
        rule = e.pick + (" (not when the flag is false)" if e.skip_if_false else "")
        cells = [fact, f"`{e.id}`", _where(e, m), _codes(e, m), rule]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    systems = ["| alias | system |", "|---|---|"]
    systems += [f"| `{alias}` | `{url}` |" for alias, url in m.systems.items()]
    return "\n".join(rows) + "\n\n" + "\n".join(systems) + "\n"
