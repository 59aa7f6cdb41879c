"""Fixed wording of the renderers, per language, and the status symbols.

Danish wording. Rule statuses are *opfyldt* / *ikke opfyldt* / *ukendt*. Verdicts are
*opfylder kriterierne* / *opfylder ikke kriterierne* / *kan ikke afgøres*: the tool checks
the referral criteria and says so; it does not call a patient *egnet* (suitable) or
*berettiget* (entitled), which are judgements the visiting clinician makes, nor
*uafklaret*, which in Danish clinical records suggests the patient's condition rather than
our missing data. The rule set status words are *foreløbig*, *udkast*, *publiceret* and
*udgået*; a rule set's dates are *gældende* (in force).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["HOLISTIC_PATHWAYS", "LABELS", "SYMBOLS", "label"]

SYMBOLS: Final[Mapping[str, str]] = {
    "met": "✓",
    "not_met": "✗",
    "unknown": "?",
    "eligible": "✓",
    "not_eligible": "✗",
    "indeterminate": "?",
}
"""One symbol per rule status and per verdict; the same in every language."""

LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        # rule statuses and verdicts
        "met": "met",
        "not_met": "not met",
        "unknown": "unknown",
        "eligible": "eligible",
        "not_eligible": "not eligible",
        "indeterminate": "indeterminate",
        # rule set statuses
        "status.draft": "draft",
        "status.provisional": "provisional",
        "status.published": "published",
        "status.retired": "retired",
        # banners
        "banner.provisional": "PROVISIONAL: this rule set encodes a guideline whose text "
        "is not final.",
        "banner.draft": "DRAFT: this rule set is a draft and must not be used for "
        "referral decisions.",
        "banner.retired": "RETIRED: this rule set has been withdrawn; use a current version.",
        "banner.not_in_force": "NOT IN FORCE: {key} was not in force on {on} ({span}).",
        "span.open": "in force from {start}",
        "span.closed": "in force from {start} to {end}",
        # header and sections
        "evaluated_on": "evaluated on {on}",
        "in_force": "in force",
        "verdicts": "Verdicts",
        "rules": "Criteria",
        "indicators": "Monitoring — not a gate",
        "indicators.note": "Monitoring indicators are recorded for quality follow-up; they "
        "never change a verdict.",
        "group": "group",
        # details
        "record": "record",
        "blocking": "not met",
        "todo": "before sending the referral",
        "eligible.pending": "eligible once the referral is complete",
        "evidence": "evidence",
        "missing": "missing",
        "source": "source",
        "section": "section",
        "provenance": "provenance",
        "published": "published",
        "inferred": "inferred",
        "none": "none",
        "footer.hospice": "Hospice criteria are assessed as a whole: "
        "this verdict supports, and does not replace, the clinician's judgement.",
        "footer": "This verdict supports, and does not replace, the clinician's judgement.",
    },
    "da": {
        "met": "opfyldt",
        "not_met": "ikke opfyldt",
        "unknown": "ukendt",
        "eligible": "opfylder kriterierne",
        "not_eligible": "opfylder ikke kriterierne",
        "indeterminate": "kan ikke afgøres",
        "status.draft": "udkast",
        "status.provisional": "foreløbig",
        "status.published": "publiceret",
        "status.retired": "udgået",
        "banner.provisional": "FORELØBIG: regelsættet bygger på en retningslinje, hvis "
        "tekst ikke er endelig.",
        "banner.draft": "UDKAST: regelsættet er et udkast og må ikke bruges til visitation.",
        "banner.retired": "UDGÅET: regelsættet er trukket tilbage; brug en gældende version.",
        "banner.not_in_force": "IKKE GÆLDENDE: {key} var ikke gældende den {on} ({span}).",
        "span.open": "gældende fra {start}",
        "span.closed": "gældende fra {start} til {end}",
        "evaluated_on": "vurderet {on}",
        "in_force": "gældende",
        "verdicts": "Resultat",
        "rules": "Kriterier",
        "indicators": "Monitorering — ikke et visitationskriterium",
        "indicators.note": "Monitoreringsindikatorer registreres til kvalitetsopfølgning; "
        "de ændrer aldrig resultatet.",
        "group": "gruppe",
        "record": "registrér",
        "blocking": "ikke opfyldt",
        "todo": "inden henvisningen sendes",
        "eligible.pending": "opfylder kriterierne, når henvisningen er færdig",
        "evidence": "grundlag",
        "missing": "mangler",
        "source": "kilde",
        "section": "afsnit",
        "provenance": "oprindelse",
        "published": "publiceret",
        "inferred": "udledt",
        "none": "ingen",
        "footer.hospice": "Hospicekriterierne vurderes som en helhed (helhedsvurdering): "
        "resultatet understøtter lægens kliniske vurdering, men erstatter den ikke.",
        "footer": "Resultatet understøtter den kliniske vurdering, men erstatter den ikke.",
    },
}
"""Fixed wording per language; a rule set language without an entry here uses English."""


def label(lang: str, key: str) -> str:
    """The fixed word ``key`` in ``lang``, English where ``lang`` has none."""
    return LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]


HOLISTIC_PATHWAYS: Final[frozenset[str]] = frozenset({"hospice"})
"""Pathways whose criteria the receiving service assesses as a whole (*helhedsvurdering*):
the national hospice criteria. An Assessment does not yet carry this as data (the rule
file format has no field for it), so the renderers' footer reads it from this table, by
exact pathway id; see ``document.footer``."""
