"""Patient facts: what a clinician or an EHR knows on the evaluation date.

Every field is optional and ``None`` always means *not recorded*; no default hides a gap.
The rule files refer to these fields by name (their *fact paths*); the catalogue that the
checker and the compiler use is derived from this model, so adding a field here is all it
takes to make it available to rule authors.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DATE_ORDER",
    "DERIVATIONS",
    "DERIVED_FACTS",
    "FACTS",
    "FLAG_DATES",
    "RULE_FACTS",
    "Derivation",
    "DiagnosisGroup",
    "EortcStatus",
    "FactKind",
    "FactSpec",
    "Patient",
    "ProblemDomain",
    "Prognosis",
    "ReferralContent",
    "Referrer",
    "age_on",
    "facts_of",
    "load_patient",
    "missing_inputs",
]


class DiagnosisGroup(enum.StrEnum):
    """Disease group of the main life-threatening diagnosis (Dansk Palliativ Database)."""

    cancer = "cancer"
    heart_vascular = "heart_vascular"
    neurological = "neurological"
    stroke = "stroke"
    lung = "lung"
    kidney = "kidney"
    other = "other"


class Referrer(enum.StrEnum):
    """Who referred the patient (DPD 'referred from' codes)."""

    gp = "gp"
    specialist = "specialist"
    hospital = "hospital"
    palliative_unit = "palliative_unit"
    patient_relative = "patient_relative"
    other = "other"


class ProblemDomain(enum.StrEnum):
    """Dimension of a palliative problem (WHO / SST: four dimensions)."""

    physical = "physical"
    psychological = "psychological"
    social = "social"
    existential = "existential"


class Prognosis(enum.StrEnum):
    """Expected survival as judged by the treating doctor."""

    days = "days"
    weeks = "weeks"
    few_months = "few_months"
    longer = "longer"


class EortcStatus(enum.StrEnum):
    """The EORTC screening at referral: done, or why not (DPD 'ManglendeEORTC': For dårlig,
    Afslog, Ikke i live, Ikke begrundet)."""

    done = "done"
    too_ill = "too_ill"
    declined = "declined"
    died = "died"
    not_stated = "not_stated"


class ReferralContent(enum.StrEnum):
    """What a referral letter states (OUH, Randers, Region Midtjylland hospice)."""

    diagnosis = "diagnosis"
    problems = "problems"
    medication = "medication"
    social_history = "social_history"
    gp = "gp"
    terminal_status = "terminal_status"
    reason_for_wish = "reason_for_wish"
    disease_course = "disease_course"
    relief_tried = "relief_tried"


def _fact(description: str, *, unit: str | None = None, **kw: Any) -> Any:
    extra: dict[str, Any] = {}
    if unit is not None:
        extra["unit"] = unit
    return Field(default=None, description=description, json_schema_extra=extra or None, **kw)


def _eortc_scales(items: list[int]) -> list[int]:
    wrong = [f"item {i} is {v}" for i, v in enumerate(items[:14], 1) if v > 4]
    if wrong:
        raise ValueError("items 1-14 are scored 1-4 (only item 15 goes to 7): " + ", ".join(wrong))
    return items


EortcItems = Annotated[
    list[Annotated[int, Field(ge=1, le=7)]],
    Field(min_length=15, max_length=15),
    AfterValidator(_eortc_scales),
]


DATE_ORDER: tuple[tuple[str, str], ...] = (
    ("referral_sent_on", "referral_received_on"),
    ("referral_received_on", "first_contact_on"),
)
"""Pairs of dates whose second may not be before the first (a patient is refused)."""

FLAG_DATES: tuple[tuple[str, str], ...] = (
    ("terminal_declared", "terminal_declaration_date"),
    ("curative_ended", "curative_end_date"),
)
"""A date that may only be recorded when its yes/no fact is not false."""


class Patient(BaseModel):
    """The facts about one adult patient that the bundled rule sets use.

    ``None`` means *not recorded*. Give ``age`` or ``birth_date``; with a birth date the
    age is derived on the evaluation date.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    # --- identity and disease -------------------------------------------------------
    age: int | None = _fact(
        "Age in whole years on the evaluation date. Give this or birth_date, not both.",
        unit="years",
        ge=0,
        le=130,
    )
    birth_date: date | None = _fact(
        "Date of birth (ISO 8601). The age is derived from it on the evaluation date."
    )
    diagnosis_group: DiagnosisGroup | None = _fact(
        "Disease group of the main life-threatening diagnosis, DPD vocabulary: "
        "cancer, heart_vascular, neurological, stroke, lung, kidney, other. "
        "Recorded for monitoring and fairness; never a gate."
    )
    diagnosis_code: str | None = _fact(
        "Code of the main diagnosis, ICD-10 (e.g. 'C34.9', 'J44.1'); informational.",
        max_length=16,
    )
    life_threatening: bool | None = _fact("The patient has a life-threatening illness.")
    incurable: bool | None = _fact("The illness is judged incurable.")
    workup_complete: bool | None = _fact("Diagnostic work-up is complete (færdigudredt).")
    sq1_not_surprised: bool | None = _fact(
        "Surprise question 1: the doctor would NOT be surprised if the patient died "
        "within 12 months."
    )
    spict_general_count: int | None = _fact(
        "Number of SPICT-DK general indicators present (0-7).", unit="indicators", ge=0, le=7
    )

    # --- needs and screening ----------------------------------------------------------
    eortc_date: date | None = _fact("Date of the latest EORTC QLQ-C15-PAL needs screening.")
    eortc_items: EortcItems | None = _fact(
        "Answers to the 15 EORTC QLQ-C15-PAL items: items 1-14 scored 1-4 "
        "(not at all .. very much), item 15 scored 1-7."
    )
    eortc_status: EortcStatus | None = _fact(
        "The EORTC QLQ-C15-PAL screening at referral: done, or why it was not (DPD "
        "vocabulary): too_ill, declined, died, not_stated."
    )
    problem_domains: frozenset[ProblemDomain] | None = _fact(
        "Dimensions with problems: physical, psychological, social, existential."
    )
    complex_by_clinician: bool | None = _fact(
        "A clinician judges the problems complex (needing interdisciplinary specialist care)."
    )
    symptom_count: int | None = _fact(
        "Number of accompanying symptoms needing treatment.", unit="symptoms", ge=0, le=50
    )
    measures_tried: frozenset[str] | None = _fact(
        "Relief measures tried at the basic level (free text, one entry per measure)."
    )
    relieved_at_basic: bool | None = _fact(
        "The problems are adequately relieved at the basic level."
    )
    advice_date: date | None = _fact(
        "Date specialist advice (e.g. a team's advice line) was sought."
    )

    # --- conversations, information, consent ----------------------------------------
    acp_date: date | None = _fact(
        "Date of the advance care planning conversation (Ønsker for Fremtidig Pleje og Behandling)."
    )
    treatment_level_documented: bool | None = _fact("The treatment level is documented.")
    informed_incurable: bool | None = _fact(
        "The patient is informed that the illness is incurable."
    )
    informed_palliative_aim: bool | None = _fact(
        "The patient is informed that the care will have a palliative (relieving) aim."
    )
    informed_palliative_only: bool | None = _fact(
        "The patient is informed that hospice care is palliative only."
    )
    informed_alternatives: bool | None = _fact(
        "The patient is well informed about other options for stay and support."
    )
    consent_referral: bool | None = _fact(
        "The patient wishes / consents to the referral (for a patient who cannot consent, the "
        "consent given on their behalf: see consent_by_proxy)."
    )
    wishes_hospice: bool | None = _fact(
        "The patient wishes to spend the last time in a hospice (for a patient who cannot state "
        "it, the wish documented on their behalf: see wish_by_proxy)."
    )
    lacks_capacity: bool | None = _fact(
        "The patient cannot state an informed wish or consent (e.g. advanced dementia, "
        "unconscious), as the doctor judges it (sundhedsloven § 18)."
    )
    consent_by_proxy: bool | None = _fact(
        "The consent to the referral (consent_referral) was given on behalf of a patient who "
        "cannot consent, by the next of kin or the guardian (værge), sundhedsloven § 18."
    )
    wish_by_proxy: bool | None = _fact(
        "The wish for hospice (wishes_hospice) is documented on behalf of a patient who cannot "
        "state it: a wish the patient expressed earlier (e.g. at an advance care planning "
        "conversation), or one stated by the next of kin or the guardian."
    )

    # --- referral ---------------------------------------------------------------------
    referrer: Referrer | None = _fact(
        "Who refers, DPD vocabulary: gp, specialist, hospital, palliative_unit, "
        "patient_relative, other."
    )
    referrer_is_physician: bool | None = _fact("The referral is made by a doctor.")
    gp_informed: bool | None = _fact("The patient's GP is informed of the referral.")
    gp_agrees: bool | None = _fact("The patient's GP agrees with the referral.")
    referral_contents: frozenset[ReferralContent] | None = _fact(
        "What the referral letter states: diagnosis, problems, medication, social_history, "
        "gp, terminal_status, reason_for_wish, disease_course, relief_tried."
    )
    referral_sent_on: date | None = _fact("Date the referral was sent.")
    referral_received_on: date | None = _fact("Date the specialized unit received the referral.")
    first_contact_on: date | None = _fact("Date of the first treatment contact after referral.")
    died_or_too_ill_before_contact: bool | None = _fact(
        "The patient died or became too ill before the first contact (DPD indicator 1)."
    )

    # --- treatment and prognosis -----------------------------------------------------
    curative_exhausted: bool | None = _fact("Options for curative treatment are exhausted.")
    curative_ended: bool | None = _fact("Curative treatment has ended.")
    curative_end_date: date | None = _fact("Date curative treatment ended.")
    life_prolonging_treatment: bool | None = _fact(
        "The patient receives life-prolonging (e.g. palliative oncological) treatment."
    )
    prognosis: Prognosis | None = _fact(
        "Expected survival judged by the doctor: days, weeks, few_months, longer."
    )
    terminal_declared: bool | None = _fact(
        "A doctor has declared the patient dying (terminalerklæring, form LÆ 165); "
        "false when no declaration has been made."
    )
    terminal_declaration_date: date | None = _fact(
        "Date the doctor declared the patient dying (terminalerklæring, BEK 728/2022 § 10)."
    )
    treatment_level_clarified: bool | None = _fact("The level of treatment is clarified.")
    needs_hospital_admission: bool | None = _fact(
        "The patient has symptoms that require admission to hospital."
    )

    @model_validator(mode="after")
    def _age_or_birth_date(self) -> Patient:
        if self.age is not None and self.birth_date is not None:
            raise ValueError(
                "give either 'age' or 'birth_date', not both: a birth date gives the age "
                "on the evaluation date"
            )
        return self

    @model_validator(mode="after")
    def _facts_agree(self) -> Patient:
        problems = [
            f"{later} ({b}) is before {earlier} ({a})"
            for earlier, later in DATE_ORDER
            if (a := getattr(self, earlier)) is not None
            and (b := getattr(self, later)) is not None
            and b < a
        ]
        problems += [
            f"{when} is recorded but {flag} is false"
            for flag, when in FLAG_DATES
            if getattr(self, flag) is False and getattr(self, when) is not None
        ]
        if problems:
            raise ValueError("facts contradict each other: " + "; ".join(problems))
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Patient:
        """Load facts from a JSON or YAML file; errors name the file, line and field."""
        return load_patient(path)


def age_on(birth_date: date, on: date) -> int:
    """Whole years from ``birth_date`` to ``on``; a 29 February birthday counts on 1 March."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# --------------------------------------------------------------------------------------
# The fact catalogue
# --------------------------------------------------------------------------------------

FactKind = Literal["bool", "int", "date", "enum", "set", "text", "scores"]


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact a rule may name: its kind, vocabulary, unit and description."""

    name: str
    kind: FactKind
    description: str
    unit: str | None = None
    vocabulary: tuple[str, ...] = ()
    enum_type: type[enum.Enum] | None = None
    derived_from: tuple[str, ...] = ()


def _kind_of(annotation: Any) -> tuple[FactKind, type[enum.Enum] | None]:
    args = [a for a in get_args(annotation) if a is not type(None)]
    inner = args[0] if args else annotation
    while get_origin(inner) is Annotated:
        inner = get_args(inner)[0]
    origin = get_origin(inner)
    if origin in (frozenset, set):
        (member,) = get_args(inner)
        return "set", member if isinstance(member, type) and issubclass(member, enum.Enum) else None
    if origin is list:
        return "scores", None
    if inner is bool:
        return "bool", None
    if inner is int:
        return "int", None
    if inner is date:
        return "date", None
    if inner is str:
        return "text", None
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "enum", inner
    raise TypeError(f"unsupported fact annotation {annotation!r}")  # pragma: no cover


def _catalogue() -> dict[str, FactSpec]:
    specs: dict[str, FactSpec] = {}
    for name, field in Patient.model_fields.items():
        kind, enum_type = _kind_of(field.annotation)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = extra.get("unit")
        specs[name] = FactSpec(
            name=name,
            kind=kind,
            description=field.description or "",
            unit=unit if isinstance(unit, str) else None,
            vocabulary=tuple(m.value for m in enum_type) if enum_type else (),
            enum_type=enum_type,
            derived_from=("birth_date",) if name == "age" else (),
        )
    return specs


FACTS: Mapping[str, FactSpec] = _catalogue()
"""Every fact a patient record holds (the fields of :class:`Patient`), by fact path."""


# --------------------------------------------------------------------------------------
# Derived facts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Derivation:
    """How the evaluator computes a fact from others when it is not recorded itself.

    ``compute(facts, on)`` returns ``None`` while an input is missing; ``dated`` says
    whether the value depends on the evaluation date.
    """

    name: str
    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Any], date], Any]
    dated: bool


def _derive_age(facts: Mapping[str, Any], on: date) -> int | None:
    born = facts.get("birth_date")
    return None if born is None else age_on(born, on)


def _derive_reception_wait(facts: Mapping[str, Any], on: date) -> int | None:
    received, contact = facts.get("referral_received_on"), facts.get("first_contact_on")
    return None if received is None or contact is None else (contact - received).days


DERIVATIONS: Mapping[str, Derivation] = {
    "age": Derivation("age", ("birth_date",), _derive_age, dated=True),
    "reception_wait_days": Derivation(
        "reception_wait_days",
        ("referral_received_on", "first_contact_on"),
        _derive_reception_wait,
        dated=False,
    ),
}
"""Facts the evaluator derives: ``age`` (when only the birth date is recorded) and
``reception_wait_days`` (never recorded itself)."""

DERIVED_FACTS: frozenset[str] = frozenset(DERIVATIONS)
"""The names of the derived facts."""

RULE_FACTS: Mapping[str, FactSpec] = {
    **FACTS,
    "reception_wait_days": FactSpec(
        name="reception_wait_days",
        kind="int",
        description=(
            "Calendar days from the specialized unit's receipt of the referral "
            "(referral_received_on) to the first treatment contact (first_contact_on); "
            "derived from those two dates, never recorded itself (DPD indicator 2)."
        ),
        unit="calendar days",
        derived_from=("referral_received_on", "first_contact_on"),
    ),
}
"""Every fact a rule may name: the recorded facts and the derived ones."""


def missing_inputs(name: str, facts: Mapping[str, Any]) -> list[str]:
    """What to record so that an unknown fact gets a value: the fact itself when a record
    can hold it (an age, or a birth date, settles ``age``), else its unrecorded inputs."""
    if name in FACTS or name not in DERIVATIONS:
        return [name]
    return [i for i in DERIVATIONS[name].inputs if facts.get(i) is None]


def facts_of(patient: Patient) -> Mapping[str, Any]:
    """The facts of a validated patient by fact name, read-only (``None``: not recorded).

    This is the mapping every evaluator reads: ``evaluate_core(compiled, facts_of(p), on)``.
    """
    return MappingProxyType(patient.__dict__)


def load_patient(path: str | Path) -> Patient:
    """Load and validate a patient file (``.json``, ``.yaml`` or ``.yml``, or ``-`` for stdin).

    Raises :class:`PatientFileError` naming the file, line, column and field of every problem.
    """
    from visitation._patient_io import load_patient_file

    return load_patient_file(path)
