"""`visitation.revise` equals validating the whole revised record, success and error alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from visitation import FACTS, Patient, revise, revise_in_place
from visitation.testing import fact_values, patients

ON = date(2026, 12, 1)
NAMES = sorted(Patient.model_fields)
JUNK: list[Any] = ["no", "yes", 0, 1, "70", " 18 ", 70.0, None, [], {}, "2026-13-01", True]


def values(name: str) -> st.SearchStrategy[Any]:
    """A fact's valid values, its JSON forms and values no fact accepts."""
    good = fact_values(name, on=ON)
    return st.one_of(good, good.map(_json), st.sampled_from(JUNK))


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(str(getattr(v, "value", v)) for v in value)
    return getattr(value, "value", value)


@st.composite
def revisions(draw: st.DrawFn) -> tuple[Patient, dict[str, Any], list[str]]:
    patient = draw(patients(on=ON))
    names = draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
    changes = {name: draw(values(name)) for name in names}
    clear = draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))
    return patient, changes, clear


def _errors(exc: ValidationError) -> list[tuple[Any, ...]]:
    return [(e["type"], e["loc"], e["msg"], e["input"]) for e in exc.errors()]


def _refused_alike(
    reference: Callable[[], Patient], revision: Callable[[], object]
) -> Patient | None:
    """The reference's patient; or, when the reference refuses, None once ``revision`` has
    raised the same errors."""
    try:
        return reference()
    except ValidationError as exc:
        refused = _errors(exc)
    with pytest.raises(ValidationError) as got:
        revision()
    assert _errors(got.value) == refused
    return None


def whole(patient: Patient, changes: dict[str, Any], clear: list[str]) -> Patient:
    record = {k: v for k, v in patient.__dict__.items() if v is not None and k not in clear}
    for name, value in changes.items():
        record.pop(name, None)
        if value is not None:
            record[name] = value
    return Patient.model_validate(record)


@settings(max_examples=250, deadline=None)
@given(revisions())
def test_revise_equals_whole_validation(case: tuple[Patient, dict[str, Any], list[str]]) -> None:
    """A revision gives the patient the whole record validates to, or raises its error."""
    patient, changes, clear = case
    expected = _refused_alike(
        lambda: whole(patient, changes, clear), lambda: revise(patient, changes, clear)
    )
    if expected is None:
        return
    revised = revise(patient, changes, clear)
    assert revised == expected
    assert revised.__dict__ == expected.__dict__
    assert isinstance(revised, Patient)


def test_an_unknown_fact_is_refused_as_the_model_refuses_it() -> None:
    """A fact the model does not know raises the model's own error, naming it."""
    p = Patient(age=70)
    with pytest.raises(ValidationError) as exc:
        revise(p, {"agee": 71})
    assert exc.value.errors()[0]["loc"] == ("agee",)


@pytest.mark.parametrize("how", [{"set": {"agee": None}}, {"clear": ["agee"]}])
def test_an_unknown_fact_without_a_value_is_refused_by_name(how: dict[str, Any]) -> None:
    """A name that is no fact, set to no value or cleared, raises the model's error naming it
    (in place too, the patient unchanged)."""
    p = Patient(age=70)
    for revision in (revise, revise_in_place):
        with pytest.raises(ValidationError) as exc:
            revision(p, **how)
        assert exc.value.errors()[0]["loc"] == ("agee",)
        assert exc.value.errors()[0]["type"] == "extra_forbidden"
    assert p.__dict__ == Patient(age=70).__dict__


def test_a_contradiction_with_a_kept_fact_is_refused() -> None:
    """Setting gp_agrees while gp_informed is false names both facts, as the model does."""
    p = Patient(gp_informed=False)
    with pytest.raises(ValidationError) as exc:
        revise(p, {"gp_agrees": True})
    assert "gp_informed" in str(exc.value)
    assert "gp_agrees" in str(exc.value)


def test_nothing_changed_is_the_same_patient() -> None:
    """An empty revision gives the patient back."""
    p = Patient(age=70)
    assert revise(p) is p
    assert set(FACTS) <= set(NAMES)


def _copy_of(patient: Patient) -> Patient:
    return Patient.model_validate({k: v for k, v in patient.__dict__.items() if v is not None})


@settings(max_examples=250, deadline=None)
@given(revisions())
def test_revise_in_place_equals_revise(case: tuple[Patient, dict[str, Any], list[str]]) -> None:
    """In place, a revision leaves the patient as revise returns it and names the facts whose
    value changed; a refused one raises revise's error and leaves the patient as it was."""
    patient, changes, clear = case
    mine = _copy_of(patient)
    fields = set(mine.model_fields_set)
    expected = _refused_alike(
        lambda: revise(patient, changes, clear), lambda: revise_in_place(mine, changes, clear)
    )
    if expected is None:
        assert mine.__dict__ == patient.__dict__
        assert mine.model_fields_set == fields
        return
    previous = revise_in_place(mine, changes, clear)
    assert mine.__dict__ == expected.__dict__
    assert previous == {k: v for k, v in patient.__dict__.items() if expected.__dict__[k] != v}
    assert revise_in_place(mine, previous) == {k: expected.__dict__[k] for k in previous}
    assert mine.__dict__ == patient.__dict__


def test_revise_in_place_changes_that_patient_only() -> None:
    """The patient revised in place is the one given; a copy made before keeps its facts."""
    p = Patient(age=70, prognosis="weeks")
    kept = revise(p, {"age": 70})
    assert revise_in_place(p, {"age": 71}, ["prognosis"]) == {"age": 70, "prognosis": "weeks"}
    assert (p.age, p.prognosis) == (71, None)
    assert (kept.age, kept.prognosis) == (70, "weeks")
    assert revise_in_place(p, {"age": 71}) == {}
