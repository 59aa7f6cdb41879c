"""Readable names of the facts, in Danish and English, for lists a clinician reads.

The renderers name a fact by its label wherever a person reads it ("record: alder eller
fødselsdato, prognose"), and keep the fact id where a program reads it (JSON). Labels are
short noun phrases, the way a Danish GP writes them in a record; ``tests/test_fact_labels.py``
keeps them complete: every fact a rule may name has both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["FACT_LABELS", "fact_label"]

FACT_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "age": {"da": "alder", "en": "age"},
    "birth_date": {"da": "fødselsdato", "en": "date of birth"},
    "diagnosis_group": {"da": "sygdomsgruppe", "en": "disease group"},
    "diagnosis_code": {"da": "diagnosekode", "en": "diagnosis code"},
    "life_threatening": {"da": "livstruende sygdom", "en": "life-threatening illness"},
    "incurable": {"da": "uhelbredelig sygdom", "en": "incurable illness"},
    "workup_complete": {"da": "færdigudredt", "en": "work-up complete"},
    "sq1_not_surprised": {"da": "overraskelsesspørgsmålet", "en": "surprise question"},
    "spict_general_count": {
        "da": "antal generelle SPICT-indikatorer", "en": "SPICT general indicators",
    },
    "eortc_date": {"da": "dato for EORTC QLQ-C15-PAL", "en": "date of EORTC QLQ-C15-PAL"},
    "eortc_items": {"da": "svar på EORTC QLQ-C15-PAL", "en": "EORTC QLQ-C15-PAL answers"},
    "eortc_status": {"da": "status for EORTC QLQ-C15-PAL", "en": "EORTC QLQ-C15-PAL status"},
    "problem_domains": {"da": "dimensioner med problemer", "en": "dimensions with problems"},
    "complex_by_clinician": {
        "da": "klinikerens vurdering af kompleksitet", "en": "clinician's judgement of complexity",
    },
    "symptom_count": {"da": "antal symptomer", "en": "number of symptoms"},
    "measures_tried": {"da": "afprøvet lindring", "en": "relief tried"},
    "relieved_at_basic": {
        "da": "tilstrækkeligt lindret på basisniveau", "en": "relieved at the basic level",
    },
    "advice_date": {"da": "dato for specialiseret rådgivning", "en": "date of specialist advice"},
    "acp_date": {
        "da": "dato for samtale om fremtidig pleje og behandling",
        "en": "date of the advance care planning conversation",
    },
    "treatment_level_documented": {
        "da": "behandlingsniveau dokumenteret", "en": "level of treatment documented",
    },
    "informed_incurable": {
        "da": "informeret om uhelbredelig sygdom", "en": "informed that the illness is incurable",
    },
    "informed_palliative_aim": {
        "da": "informeret om lindrende sigte", "en": "informed of the palliative aim",
    },
    "informed_palliative_only": {
        "da": "informeret om, at hospice alene er lindrende",
        "en": "informed that hospice is palliative only",
    },
    "informed_alternatives": {
        "da": "informeret om andre muligheder", "en": "informed about other options",
    },
    "consent_referral": {"da": "samtykke til henvisning", "en": "consent to the referral"},
    "wishes_hospice": {"da": "ønske om hospice", "en": "wish for hospice"},
    "lacks_capacity": {
        "da": "kan ikke selv give samtykke", "en": "cannot consent for themselves",
    },
    "consent_by_proxy": {
        "da": "samtykke givet af pårørende eller værge",
        "en": "consent given by next of kin or guardian",
    },
    "wish_by_proxy": {
        "da": "ønske dokumenteret på patientens vegne",
        "en": "wish documented on the patient's behalf",
    },
    "referrer": {"da": "henviser", "en": "referrer"},
    "referrer_is_physician": {"da": "henvist af en læge", "en": "referred by a doctor"},
    "gp_informed": {"da": "egen læge orienteret", "en": "GP informed"},
    "gp_agrees": {"da": "egen læge enig", "en": "GP agrees"},
    "referral_contents": {"da": "henvisningens indhold", "en": "what the referral states"},
    "referral_sent_on": {"da": "dato for afsendt henvisning", "en": "date the referral was sent"},
    "referral_received_on": {
        "da": "dato for modtaget henvisning", "en": "date the referral was received",
    },
    "first_contact_on": {"da": "dato for første kontakt", "en": "date of the first contact"},
    "died_or_too_ill_before_contact": {
        "da": "død eller for dårlig før første kontakt",
        "en": "died or too ill before the first contact",
    },
    "curative_exhausted": {
        "da": "kurative muligheder udtømte", "en": "curative options exhausted",
    },
    "curative_ended": {"da": "helbredende behandling ophørt", "en": "curative treatment ended"},
    "curative_end_date": {
        "da": "dato for ophør af helbredende behandling", "en": "date curative treatment ended",
    },
    "life_prolonging_treatment": {
        "da": "livsforlængende behandling", "en": "life-prolonging treatment",
    },
    "prognosis": {"da": "forventet levetid", "en": "expected survival"},
    "terminal_declared": {"da": "terminalerklæring", "en": "terminal declaration"},
    "terminal_declaration_date": {
        "da": "dato for terminalerklæring", "en": "date of the terminal declaration",
    },
    "treatment_level_clarified": {
        "da": "behandlingsniveau afklaret", "en": "level of treatment clarified",
    },
    "needs_hospital_admission": {
        "da": "symptomer, der kræver indlæggelse", "en": "symptoms needing hospital admission",
    },
    "reception_wait_days": {
        "da": "kalenderdage fra modtaget henvisning til første kontakt",
        "en": "calendar days from referral received to first contact",
    },
}  # fmt: skip
"""Fact id → language → a short readable name."""


def fact_label(name: str, lang: str) -> str:
    """The readable name of a fact in ``lang``, or the fact id when there is none."""
    return FACT_LABELS.get(name, {}).get(lang) or name
