"""Law 7 for the cohort engines: per patient, statuses, verdicts and missing facts equal
the reference evaluator's (``visitation.evaluate_core``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from hypothesis import strategies as st

from visitation import (
    CompiledRuleSet,
    Patient,
    compile_ruleset,
    evaluate_core,
    facts_of,
    list_rulesets,
    resolve,
)
from visitation.cohort import evaluate_cohort, from_patients
from visitation.cohort._sql import AGE_BANDS
from visitation.facts import age_on
from visitation.testing import patients, rule_sets

BUNDLED = tuple(info.key for info in list_rulesets())
"""Every bundled rule set."""

DATES = (
    date(2026, 11, 23),
    date(2026, 2, 28),  # the day before a 29 February birthday counts in a common year
    date(2026, 3, 1),
    date(2028, 2, 28),
    date(2028, 2, 29),
)
"""Evaluation dates: an ordinary one and the edges of 29 February birthdays."""


@st.composite
def leap_birthday(draw: st.DrawFn, patient: Patient, on: date) -> Patient:
    """The patient, sometimes born on a 29 February (age from the birth date)."""
    if not draw(st.booleans()):
        return patient
    year = draw(st.sampled_from([y for y in range(on.year - 20, on.year - 15) if y % 4 == 0]))
    facts = {k: v for k, v in facts_of(patient).items() if v is not None}
    facts.pop("age", None)
    facts["birth_date"] = date(year, 2, 29)
    return Patient.model_validate(facts)


def cohorts(on: date, max_size: int) -> st.SearchStrategy[list[Patient]]:
    """Lists of generated patients (gaps, boundary dates, 29 February birthdays)."""
    one = patients(on=on).flatmap(lambda p: leap_birthday(p, on))
    return st.lists(one, min_size=1, max_size=max_size)


def assert_agrees(ps: Sequence[Patient], compiled: CompiledRuleSet, on: date, engine: Any) -> None:
    """The engine's table equals the reference evaluator patient by patient."""
    result = evaluate_cohort(from_patients(ps), compiled, on=on, engine=engine)
    rows = sorted(result.table.to_pylist(), key=lambda r: r["patient_id"])
    assert len(rows) == len(ps)
    for p, row in zip(ps, rows, strict=True):
        core = evaluate_core(compiled, facts_of(p), on)
        got = [row[cr.rule.id] for cr in compiled.rules]
        assert got == core.statuses, (p, got, core.statuses)
        for (pid, _), verdict, missing in zip(
            compiled.pathways, core.verdicts, core.missing, strict=True
        ):
            assert row[f"verdict:{pid}"] == verdict, (p, pid)
            assert row[f"missing:{pid}"] == missing, (p, pid, row[f"missing:{pid}"], missing)
        for cr in compiled.indicators:
            assert row[cr.rule.id] == cr.test(facts_of(p), on), (p, cr.rule.id)
        age = p.age if p.age is not None else age_on(p.birth_date, on) if p.birth_date else None
        band = None if age is None else next(b for up, b in AGE_BANDS if up is None or age < up)
        assert row["age_band"] == band, (p, row["age_band"], band)
        assert row["diagnosis_group"] == p.diagnosis_group, (p, row["diagnosis_group"])


def compiled_rule_sets() -> st.SearchStrategy[CompiledRuleSet]:
    """The bundled rule sets and generated ones (every operator, definitions in definitions)."""
    bundled = st.sampled_from(BUNDLED).map(lambda spec: resolve(spec, date(2026, 11, 23)))
    generated = rule_sets(max_leaves=5, max_definitions=1, max_rules=4)  # see docs/cohort.md
    return st.one_of(bundled, generated.map(compile_ruleset))
