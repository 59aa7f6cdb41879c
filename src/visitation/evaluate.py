"""The front door: evaluate one patient against a rule set on a date.

:func:`evaluate` validates the facts (:class:`visitation.Patient`), finds and compiles
the rule set through a :class:`visitation.Library` (the bundled one by default), runs
the compiled program (:func:`visitation.evaluate_core`) and hands what it recorded to
the explanation stage (:mod:`visitation.explanation`). Nothing here reads the clock: the
evaluation date is an argument and is recorded in the Assessment.

Speed (docs/performance.md): the library's explainers memoise each rule's result by the
values it depends on, so Assessments of similar patients share read-only results.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from visitation._patient_io import validate_patient
from visitation.assessment import Assessment
from visitation.compile import CoreResult, evaluate_core
from visitation.errors import PatientFileError
from visitation.explanation import EVALUATOR
from visitation.facts import Patient, check_on, facts_of
from visitation.registry import Library, RuleSpec, default_library

__all__ = ["EARLIEST", "EVALUATOR", "LATEST", "CoreResult", "as_date", "evaluate", "evaluate_core"]

EARLIEST: Final = date(1900, 1, 1)
"""The earliest evaluation date the library accepts."""

LATEST: Final = date(2199, 12, 31)
"""The latest evaluation date the library accepts."""


def as_date(on: date | str) -> date:
    """An evaluation date from a date or ``YYYY-MM-DD``, within [EARLIEST, LATEST]."""
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on)
        except ValueError:
            raise ValueError(
                f"evaluation date must be a date or 'YYYY-MM-DD', not {on!r}"
            ) from None
    elif not isinstance(on, date):
        raise ValueError(f"evaluation date must be a date or 'YYYY-MM-DD', not {on!r}")
    if not EARLIEST <= on <= LATEST:
        raise ValueError(
            f"evaluation date {on.isoformat()} is outside the dates the library evaluates on "
            f"({EARLIEST.isoformat()} to {LATEST.isoformat()})"
        )
    return on


def evaluate(
    patient: Patient | Mapping[str, Any],
    rules: RuleSpec = "dk-national",
    *,
    on: date | str,
    lang: str | None = None,
    library: Library | None = None,
) -> Assessment:
    """Evaluate one patient against a rule set on a date.

    ``rules`` is a family (the version in force on ``on``), ``family@version``, a path to a
    rule file, a RuleSet or a compiled rule set. ``lang`` limits the explanations to one of
    the file's languages; by default every declared language is included. ``library``
    finds and caches rule sets (by default the bundled files).
    """
    day = as_date(on)
    lib = library or default_library()
    program = lib.resolve(rules, day)
    valid = validate_patient(patient)
    problems = check_on(valid, day)
    if problems:  # facts that contradict the evaluation date (a screening after it, ...)
        raise PatientFileError(problems)
    facts = facts_of(valid)
    return lib.explainer(program, lang).assess(facts, day, evaluate_core(program, facts, day))
