"""Patient facts: what a clinician or an EHR knows on the evaluation date.

Every field is optional and ``None`` always means *not recorded*; no default hides a gap.
The rule files refer to these fields by name (their *fact paths*); the catalogue that the
checker and the compiler use is derived from this model, so adding a field here is all it
takes to make it available to rule authors.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, NamedTuple, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from visitation.errors import Code, Diagnostic

__all__ = [
    "AGE_RANGE",
    "CONSISTENCY",
    "DATED",
    "DATE_ORDER",
    "DERIVATIONS",
    "FACTS",
    "FLAG_DATES",
    "RULE_FACTS",
    "Consistency",
    "Contradiction",
    "Derivation",
    "DiagnosisGroup",
    "EortcStatus",
    "FactKind",
    "FactSpec",
    "Patient",
    "Problem",
    "ProblemDomain",
    "Prognosis",
    "ReferralContent",
    "Referrer",
    "age_on",
    "check_on",
    "facts_of",
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
    """A fact field: optional, ``None`` = not recorded; ``strict`` for yes/no and numbers."""
    extra: dict[str, Any] = {}
    if unit is not None:
        extra["unit"] = unit
    return Field(default=None, description=description, json_schema_extra=extra or None, **kw)


def _eortc_scales(items: list[int]) -> list[int]:
    wrong = [f"item {i} is {v}" for i, v in enumerate(items[:14], 1) if v > 4]
    if wrong:
        raise ValueError("items 1-14 are scored 1-4 (only item 15 goes to 7): " + ", ".join(wrong))
    return items


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _strict_date(value: Any) -> Any:
    """A date is a ``date`` object or ISO text ``YYYY-MM-DD``: never a number (``0`` would
    be 1970-01-01), a date and time, or text with a time or spaces."""
    if isinstance(value, datetime):
        raise PydanticCustomError(
            "date_type", "Input should be a date without a time, not a date and time"
        )
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")


StrictDate = Annotated[date, BeforeValidator(_strict_date)]
"""A date fact: a ``date`` or ISO text, strictly (see :func:`_strict_date`)."""

StrictBool = Annotated[bool, Field(strict=True)]
"""A yes/no fact: ``True`` or ``False`` only (not ``"no"``, ``0``, ``"off"``)."""

StrictInt = Annotated[int, Field(strict=True)]
"""A number fact: a whole ``int`` only (not ``True``, ``70.0``, ``"70"``, ``" 18 "``)."""

EortcItems = Annotated[
    list[Annotated[int, Field(ge=1, le=7, strict=True)]],
    Field(min_length=15, max_length=15),
    AfterValidator(_eortc_scales),
]


# --------------------------------------------------------------------------------------
# Consistency: facts that contradict each other are refused
# --------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """One contradiction: the facts it is about (the one to point at first) and a message
    naming both."""

    facts: tuple[str, str]
    message: str


ON: Final = "on"
"""The name :data:`CONSISTENCY` uses for the evaluation date."""


@dataclass(frozen=True, slots=True)
class Consistency:
    """One rule recorded facts must keep to agree with each other.

    - ``order``: the date ``second`` may not be before the date ``first``;
    - ``excludes``: while ``first`` (a yes/no fact) is false, ``second`` may not be
      recorded (``value`` None) or may not have ``value``;
    - ``not-after-on``: the date ``first`` may not be after the evaluation date (checked
      when evaluating, by :func:`check_on`; ``second`` is ``"on"``).
    """

    kind: Literal["order", "excludes", "not-after-on"]
    first: str
    second: str = ON
    value: Any = None

    def problem(self, facts: Mapping[str, Any], on: date | None = None) -> Problem | None:
        """The contradiction in ``facts`` (on the evaluation date ``on``), or None."""
        a = facts.get(self.first)
        if self.kind == "not-after-on":
            if on is None or a is None or a <= on:
                return None
            return Problem(
                (self.first, ON),
                f"{self.first} ({a.isoformat()}) is after the evaluation date ({on.isoformat()})",
            )
        b = facts.get(self.second)
        if a is None or b is None:
            return None
        if self.kind == "order":
            if b >= a:
                return None
            return Problem(
                (self.second, self.first), f"{self.second} ({b}) is before {self.first} ({a})"
            )
        if a is not False or (self.value is not None and b != self.value):
            return None
        what = "recorded" if self.value is None else str(self.value).lower()
        return Problem(
            (self.second, self.first), f"{self.second} is {what} but {self.first} is false"
        )


CONSISTENCY: tuple[Consistency, ...] = (
    Consistency("order", "referral_sent_on", "referral_received_on"),
    Consistency("order", "referral_received_on", "first_contact_on"),
    Consistency("excludes", "terminal_declared", "terminal_declaration_date"),
    Consistency("excludes", "curative_ended", "curative_end_date"),
    Consistency("excludes", "gp_informed", "gp_agrees", value=True),
    Consistency("excludes", "lacks_capacity", "consent_by_proxy", value=True),
    Consistency("excludes", "lacks_capacity", "wish_by_proxy", value=True),
    Consistency("excludes", "consent_referral", "consent_by_proxy", value=True),
    Consistency("excludes", "wishes_hospice", "wish_by_proxy", value=True),
    Consistency("not-after-on", "eortc_date"),
    Consistency("not-after-on", "advice_date"),
    Consistency("not-after-on", "acp_date"),
    Consistency("not-after-on", "terminal_declaration_date"),
    Consistency("not-after-on", "curative_end_date"),
)
"""The one table of consistency rules: :class:`Patient` refuses the undated ones, the
evaluator the dated ones (:func:`check_on`), and the strategies of
:mod:`visitation.testing` generate only patients that keep every one.

The referral dates are not checked against the evaluation date: the reception wait is a
monitoring indicator counted from receipt to first contact, read after the fact."""

DATED: tuple[Consistency, ...] = tuple(r for r in CONSISTENCY if r.kind == "not-after-on")
"""The rows of :data:`CONSISTENCY` that depend on the evaluation date (:func:`check_on`)."""
_DATED_FIRST = frozenset(r.first for r in DATED)

DATE_ORDER: tuple[tuple[str, str], ...] = tuple(
    (r.first, r.second) for r in CONSISTENCY if r.kind == "order"
)
"""Pairs of dates whose second may not be before the first (a patient is refused)."""

FLAG_DATES: tuple[tuple[str, str], ...] = tuple(
    (r.first, r.second) for r in CONSISTENCY if r.kind == "excludes" and r.value is None
)
"""A date that may only be recorded when its yes/no fact is not false."""

AGE_RANGE: Final = (0, 130)
"""The ages a patient may have, recorded or derived from the birth date."""


class Contradiction(ValueError):
    """Recorded facts contradict each other; ``problems`` names the facts of each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("facts contradict each other: " + "; ".join(p.message for p in problems))


class Patient(BaseModel):
    """The facts about one adult patient that the bundled rule sets use.

    ``None`` means *not recorded*. Give ``age`` or ``birth_date``; with a birth date the
    age is derived on the evaluation date.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    # --- identity and disease -------------------------------------------------------
    age: StrictInt | None = _fact(
        "Age in whole years on the evaluation date. Give this or birth_date, not both.",
        unit="years",
        ge=0,
        le=130,
    )
    birth_date: StrictDate | None = _fact(
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
    life_threatening: StrictBool | None = _fact("The patient has a life-threatening illness.")
    incurable: StrictBool | None = _fact("The illness is judged incurable.")
    workup_complete: StrictBool | None = _fact("Diagnostic work-up is complete (færdigudredt).")
    sq1_not_surprised: StrictBool | None = _fact(
        "Surprise question 1: the doctor would NOT be surprised if the patient died "
        "within 12 months."
    )
    spict_general_count: StrictInt | None = _fact(
        "Number of SPICT-DK general indicators present (0-7).", unit="indicators", ge=0, le=7
    )

    # --- needs and screening ----------------------------------------------------------
    eortc_date: StrictDate | None = _fact("Date of the latest EORTC QLQ-C15-PAL needs screening.")
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
    complex_by_clinician: StrictBool | None = _fact(
        "A clinician judges the problems complex (needing interdisciplinary specialist care)."
    )
    symptom_count: StrictInt | None = _fact(
        "Number of accompanying symptoms needing treatment.", unit="symptoms", ge=0, le=50
    )
    measures_tried: frozenset[str] | None = _fact(
        "Relief measures tried at the basic level (free text, one entry per measure)."
    )
    relieved_at_basic: StrictBool | None = _fact(
        "The problems are adequately relieved at the basic level."
    )
    advice_date: StrictDate | None = _fact(
        "Date specialist advice (e.g. a team's advice line) was sought."
    )

    # --- conversations, information, consent ----------------------------------------
    acp_date: StrictDate | None = _fact(
        "Date of the advance care planning conversation (Ønsker for Fremtidig Pleje og Behandling)."
    )
    treatment_level_documented: StrictBool | None = _fact("The treatment level is documented.")
    informed_incurable: StrictBool | None = _fact(
        "The patient is informed that the illness is incurable."
    )
    informed_palliative_aim: StrictBool | None = _fact(
        "The patient is informed that the care will have a palliative (relieving) aim."
    )
    informed_palliative_only: StrictBool | None = _fact(
        "The patient is informed that hospice care is palliative only."
    )
    informed_alternatives: StrictBool | None = _fact(
        "The patient is well informed about other options for stay and support."
    )
    consent_referral: StrictBool | None = _fact(
        "The patient wishes / consents to the referral (for a patient who cannot consent, the "
        "consent given on their behalf: see consent_by_proxy)."
    )
    wishes_hospice: StrictBool | None = _fact(
        "The patient wishes to spend the last time in a hospice (for a patient who cannot state "
        "it, the wish documented on their behalf: see wish_by_proxy)."
    )
    lacks_capacity: StrictBool | None = _fact(
        "The patient cannot state an informed wish or consent (e.g. advanced dementia, "
        "unconscious), as the doctor judges it (sundhedsloven § 18)."
    )
    consent_by_proxy: StrictBool | None = _fact(
        "The consent to the referral (consent_referral) was given on behalf of a patient who "
        "cannot consent, by the next of kin or the guardian (værge), sundhedsloven § 18."
    )
    wish_by_proxy: StrictBool | None = _fact(
        "The wish for hospice (wishes_hospice) is documented on behalf of a patient who cannot "
        "state it: a wish the patient expressed earlier (e.g. at an advance care planning "
        "conversation), or one stated by the next of kin or the guardian."
    )

    # --- referral ---------------------------------------------------------------------
    referrer: Referrer | None = _fact(
        "Who refers, DPD vocabulary: gp, specialist, hospital, palliative_unit, "
        "patient_relative, other."
    )
    referrer_is_physician: StrictBool | None = _fact("The referral is made by a doctor.")
    gp_informed: StrictBool | None = _fact("The patient's GP is informed of the referral.")
    gp_agrees: StrictBool | None = _fact("The patient's GP agrees with the referral.")
    referral_contents: frozenset[ReferralContent] | None = _fact(
        "What the referral letter states: diagnosis, problems, medication, social_history, "
        "gp, terminal_status, reason_for_wish, disease_course, relief_tried."
    )
    referral_sent_on: StrictDate | None = _fact("Date the referral was sent.")
    referral_received_on: StrictDate | None = _fact(
        "Date the specialized unit received the referral."
    )
    first_contact_on: StrictDate | None = _fact(
        "Date of the first treatment contact after referral."
    )
    died_or_too_ill_before_contact: StrictBool | None = _fact(
        "The patient died or became too ill before the first contact (DPD indicator 1)."
    )

    # --- treatment and prognosis -----------------------------------------------------
    curative_exhausted: StrictBool | None = _fact("Options for curative treatment are exhausted.")
    curative_ended: StrictBool | None = _fact("Curative treatment has ended.")
    curative_end_date: StrictDate | None = _fact("Date curative treatment ended.")
    life_prolonging_treatment: StrictBool | None = _fact(
        "The patient receives life-prolonging (e.g. palliative oncological) treatment."
    )
    prognosis: Prognosis | None = _fact(
        "Expected survival judged by the doctor: days, weeks, few_months, longer."
    )
    terminal_declared: StrictBool | None = _fact(
        "A doctor has declared the patient dying (terminalerklæring, form LÆ 165); "
        "false when no declaration has been made."
    )
    terminal_declaration_date: StrictDate | None = _fact(
        "Date the doctor declared the patient dying (terminalerklæring, BEK 728/2022 § 10)."
    )
    treatment_level_clarified: StrictBool | None = _fact("The level of treatment is clarified.")
    needs_hospital_admission: StrictBool | None = _fact(
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
        problems = [p for rule in CONSISTENCY if (p := rule.problem(self.__dict__)) is not None]
        if problems:
            raise Contradiction(problems)
        return self


def check_on(
    patient: Patient | Mapping[str, Any], on: date, *, only: Collection[str] | None = None
) -> list[Diagnostic]:
    """The problems of valid facts on the evaluation date ``on``: a date of
    :data:`CONSISTENCY` after ``on`` (``contradictory-facts``), an age derived from the
    birth date outside :data:`AGE_RANGE` (``invalid-value``). Each names both the fact and
    the evaluation date; the evaluator refuses the patient when the list is not empty.

    ``only`` limits the checks to those facts (a stream that changed a few facts on the
    same date checks just those: the others were checked on that date already)."""
    facts = patient.__dict__ if isinstance(patient, Patient) else patient
    out = []
    if only is None or not _DATED_FIRST.isdisjoint(only):
        for rule in DATED:  # a loop of its own: a stream checks every event
            recorded = facts.get(rule.first)
            if recorded is None or recorded <= on or (only is not None and rule.first not in only):
                continue
            if (p := rule.problem(facts, on)) is not None:
                out.append(Diagnostic.at(Code.CONTRADICTORY_FACTS, p.message, "<patient>"))
    born = facts.get("birth_date") if only is None or "birth_date" in only else None
    if born is not None:
        age = age_on(born, on)
        lo, hi = AGE_RANGE
        if not lo <= age <= hi:
            out.append(
                Diagnostic.at(
                    Code.INVALID_VALUE,
                    f"birth_date ({born.isoformat()}) gives an age of {age} on the evaluation "
                    f"date ({on.isoformat()}); an age is {lo} to {hi} years",
                    "<patient>",
                )
            )
    return out


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
