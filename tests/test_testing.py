"""The hypothesis strategies of visitation.testing: valid patients, working knobs, edges."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from visitation.facts import FACTS, FLAG_DATES, DiagnosisGroup, Patient, Prognosis, age_on
from visitation.testing import (
    BOUNDARY_AGES,
    BOUNDARY_DAYS,
    DEFAULT_ON,
    EORTC_ITEMS,
    complete_patients,
    fact_values,
    fill,
    patients,
    refinements,
)

T = TypeVar("T")

ON = date(2026, 11, 23)
LEAP_ON = date(2028, 2, 29)
ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?")
FIND = settings(max_examples=2000, database=None, deadline=None, phases=[Phase.generate])
MINIMAL = settings(database=None, deadline=None, phases=[Phase.generate, Phase.shrink])
AGE_FACTS = ("age", "birth_date")


def exists(strategy: st.SearchStrategy[T], condition: Callable[[T], bool]) -> T:
    """Some generated example satisfies ``condition`` (``find`` raises NoSuchExample if not).

    Found examples are not shrunk: shrinking a patient of forty facts is the slow part.
    """
    return find(strategy, condition, settings=FIND)


def recorded(p: Patient) -> set[str]:
    return {name for name in FACTS if getattr(p, name) is not None}


def assert_valid_value(name: str, value: Any, on: date) -> None:
    """``value`` is a valid recorded value of fact ``name``, within the strategy's promises."""
    spec = FACTS[name]
    assert value is not None
    Patient.model_validate({name: value})
    if name == "birth_date":
        assert 0 <= age_on(value, on) <= 130
    elif spec.kind == "date":
        assert on - timedelta(days=3 * 366) <= value <= on + timedelta(days=31)
    elif spec.kind == "int":
        field = Patient.model_fields[name]
        bounds = {type(m).__name__: m for m in field.metadata}
        assert bounds["Ge"].ge <= value <= bounds["Le"].le
    elif spec.kind == "enum":
        assert spec.enum_type is not None and isinstance(value, spec.enum_type)
    elif spec.kind == "set":
        assert isinstance(value, frozenset)
        if spec.enum_type is not None:
            assert all(isinstance(v, spec.enum_type) for v in value)
        else:
            assert all(isinstance(v, str) and v.strip() for v in value)
    elif spec.kind == "scores":
        assert len(value) == EORTC_ITEMS
        assert all(1 <= v <= 4 for v in value[:-1]) and 1 <= value[-1] <= 7
    elif spec.kind == "text":
        assert ICD10.fullmatch(value)
    elif spec.kind == "bool":
        assert isinstance(value, bool)


def assert_valid(p: Patient, on: date = ON) -> None:
    """``p`` validates again from its own data and honours the strategy's promises."""
    assert isinstance(p, Patient)
    assert Patient.model_validate(p.model_dump()) == p
    assert p.age is None or p.birth_date is None
    for name in recorded(p):
        assert_valid_value(name, getattr(p, name), on)


# --------------------------------------------------------------------------------------
# Validity
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FACTS))
@pytest.mark.parametrize("boundary", [False, True])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_fact_values_are_valid(name: str, boundary: bool, data: st.DataObject) -> None:
    """Every fact's values validate in a Patient and keep within the field's constraints."""
    on = data.draw(st.sampled_from([ON, LEAP_ON]), label="on")
    value = data.draw(fact_values(name, on=on, boundary=boundary), label=name)
    assert_valid_value(name, value, on)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_patients_are_valid(data: st.DataObject) -> None:
    """Generated patients are valid, never give both age and birth date, whatever the date."""
    on = data.draw(st.sampled_from([ON, LEAP_ON, date(2025, 1, 1)]), label="on")
    assert_valid(data.draw(patients(on=on)), on)


@settings(max_examples=50, deadline=None)
@given(complete_patients())
def test_complete_patients_record_every_fact(p: Patient) -> None:
    """complete_patients() records every fact, the age as exactly one of age / birth date."""
    assert_valid(p)
    assert recorded(p) | set(AGE_FACTS) == set(FACTS)
    assert len(recorded(p) & set(AGE_FACTS)) == 1


def test_both_age_forms_appear_in_complete_patients() -> None:
    """complete_patients() gives the age directly and as a birth date."""
    exists(complete_patients(), lambda p: p.age is not None)
    exists(complete_patients(), lambda p: p.birth_date is not None)


@pytest.mark.parametrize("on", [ON, LEAP_ON, date(2027, 3, 1), date(2028, 3, 1)])
@pytest.mark.parametrize("age", [0, 17, 18, 19, 64, 130])
def test_birth_dates_give_the_intended_age(on: date, age: int) -> None:
    """The birth-date range for an age is exact: its ends give the age, one day beyond does not."""
    from visitation.testing import _birth_range

    earliest, latest = _birth_range(on, age)
    assert age_on(earliest, on) == age == age_on(latest, on)
    assert age_on(earliest - timedelta(days=1), on) == age + 1
    assert age_on(latest + timedelta(days=1), on) == age - 1


# --------------------------------------------------------------------------------------
# Knobs
# --------------------------------------------------------------------------------------


def test_missing_any_records_and_omits_each_fact() -> None:
    """With missing='any' a fact is sometimes recorded and sometimes not."""
    exists(patients(), lambda p: p.incurable is not None)
    exists(patients(), lambda p: p.incurable is None and p.prognosis is not None)
    exists(patients(), lambda p: len(recorded(p)) == 0)


@settings(max_examples=30, deadline=None)
@given(patients(missing=0.0))
def test_missing_probability_zero_records_everything(p: Patient) -> None:
    """missing=0.0 records every fact (the age in one of its two forms)."""
    assert recorded(p) | set(AGE_FACTS) == set(FACTS)


@settings(max_examples=30, deadline=None)
@given(patients(missing=1.0))
def test_missing_probability_one_records_nothing(p: Patient) -> None:
    """missing=1.0 leaves every fact unrecorded."""
    assert recorded(p) == set()


def test_missing_probability_between_records_some() -> None:
    """A missing probability between 0 and 1 yields patients with and without a fact."""
    exists(patients(missing=0.3), lambda p: p.incurable is not None)
    exists(patients(missing=0.3), lambda p: p.incurable is None)


@settings(max_examples=50, deadline=None)
@given(patients(missing={"prognosis", "age", "problem_domains"}))
def test_missing_names_are_never_recorded(p: Patient) -> None:
    """Facts named in missing are always None; missing 'age' also leaves the birth date out."""
    assert p.prognosis is None and p.problem_domains is None
    assert p.age is None and p.birth_date is None


@settings(max_examples=50, deadline=None)
@given(patients(require={"prognosis", "eortc_items", "age"}))
def test_required_facts_are_always_recorded(p: Patient) -> None:
    """Facts named in require are always recorded; a birth date satisfies a required age."""
    assert p.prognosis is not None and p.eortc_items is not None
    assert p.age is not None or p.birth_date is not None


@settings(max_examples=50, deadline=None)
@given(patients(require="all", missing={"incurable", "birth_date"}))
def test_require_all_with_missing_leaves_exactly_those_out(p: Patient) -> None:
    """require='all' with a missing set records every fact but those named."""
    assert recorded(p) == set(FACTS) - {"incurable", "birth_date"}


@settings(max_examples=50, deadline=None)
@given(patients(require={"diagnosis_group"}, diagnosis_groups={"lung", DiagnosisGroup.kidney}))
def test_diagnosis_groups_restrict_the_group(p: Patient) -> None:
    """diagnosis_groups restricts the recorded disease group to those named."""
    assert p.diagnosis_group in {DiagnosisGroup.lung, DiagnosisGroup.kidney}


@settings(max_examples=50, deadline=None)
@given(patients(prognosis="weeks", incurable=None, age=80, spict_general_count=3))
def test_fixed_facts_are_pinned(p: Patient) -> None:
    """Keyword arguments pin facts to a value, or to None (never recorded)."""
    assert p.prognosis is Prognosis.weeks and p.incurable is None
    assert p.age == 80 and p.birth_date is None and p.spict_general_count == 3


@settings(max_examples=50, deadline=None)
@given(patients(age_from="age", require={"age"}))
def test_age_from_age_never_gives_a_birth_date(p: Patient) -> None:
    """age_from='age' gives the age directly."""
    assert p.age is not None and p.birth_date is None


@settings(max_examples=50, deadline=None)
@given(patients(age_from="birth_date", require={"age"}))
def test_age_from_birth_date_never_gives_an_age(p: Patient) -> None:
    """age_from='birth_date' gives the age as a birth date, even when 'age' is required."""
    assert p.age is None and p.birth_date is not None


def test_age_from_either_gives_both_forms() -> None:
    """age_from='either' gives the age directly in some patients and as a birth date in others."""
    exists(patients(age_from="either"), lambda p: p.age is not None)
    exists(patients(age_from="either"), lambda p: p.birth_date is not None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"missing": {"prognossis"}}, "did you mean 'prognosis'"),
        ({"require": {"incurable"}, "missing": {"incurable"}}, "both required"),
        ({"incurable": True, "missing": {"incurable"}}, "both required"),
        ({"age_from": "age", "require": {"birth_date"}}, "birth_date is required"),
        ({"age_from": "birth_date", "age": 70}, "contradicts"),
        ({"age": 70, "birth_date": date(1950, 1, 1)}, "not both"),
        ({"require": {"age"}, "missing": {"age"}}, "both required"),
        ({"age": 200}, "not valid"),
        ({"missing": 1.5}, "probability"),
        ({"missing": "some"}, "'any'"),
        ({"require": "most"}, "'all'"),
        ({"diagnosis_groups": []}, "at least one"),
        ({"diagnosis_groups": ["lung"], "diagnosis_group": "cancer"}, "not in"),
        ({"unknown_fact": 1}, "not a fact"),
    ],
)
def test_contradictory_knobs_fail_at_once(kwargs: dict[str, Any], message: str) -> None:
    """Knobs that no patient can satisfy raise ValueError when the strategy is built."""
    with pytest.raises(ValueError, match=re.escape(message)):
        patients(**kwargs)


# --------------------------------------------------------------------------------------
# Boundary values
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("age", BOUNDARY_AGES)
def test_boundary_ages_appear(age: int) -> None:
    """Ages 17, 18 and 19 are generated, directly and as birth dates."""
    exists(patients(age_from="age", require={"age"}), lambda p: p.age == age)
    exists(
        patients(age_from="birth_date", require={"age"}),
        lambda p: p.birth_date is not None and age_on(p.birth_date, ON) == age,
    )


@pytest.mark.parametrize("days", [0, 30, 365, 366])
def test_boundary_dates_appear(days: int) -> None:
    """Dates exactly 0, 30, 365 and 366 days before the evaluation date are generated."""
    target = ON - timedelta(days=days)
    exists(patients(on=ON, require={"acp_date"}), lambda p: p.acp_date == target)


def test_boundary_days_cover_the_documented_edges() -> None:
    """The boundary days include the edges the documentation promises."""
    assert {0, 30, 365, 366} <= set(BOUNDARY_DAYS)


def test_birthdays_on_the_evaluation_date_appear() -> None:
    """A birth date exactly 18 years before the evaluation date (turning 18 that day) appears."""
    exists(fact_values("birth_date", on=ON, boundary=True), lambda b: b == date(2008, 11, 23))


def test_leap_day_birthdays_appear() -> None:
    """Birth dates on 29 February are generated."""
    exists(fact_values("birth_date", on=ON, boundary=True), lambda b: (b.month, b.day) == (2, 29))


def test_set_and_score_extremes_appear() -> None:
    """Empty and full vocabulary sets, and the lowest and highest EORTC answers, appear."""
    domains = fact_values("problem_domains", boundary=True)
    exists(domains, lambda s: len(s) == 0)
    exists(domains, lambda s: len(s) == 4)
    exists(fact_values("eortc_items", boundary=True), lambda s: s == [4] * 14 + [7])


def test_default_date_is_documented() -> None:
    """The default evaluation date is the one the docstrings assume."""
    assert DEFAULT_ON == ON


# --------------------------------------------------------------------------------------
# Refinements and fill
# --------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_refinements_keep_every_recorded_fact(data: st.DataObject) -> None:
    """A refinement is a valid patient that keeps every recorded fact of the original."""
    p = data.draw(patients(), label="patient")
    r = data.draw(refinements(p, on=ON), label="refinement")
    assert_valid(r)
    for name in recorded(p):
        assert getattr(r, name) == getattr(p, name)


def test_refinements_record_new_facts() -> None:
    """Refinements fill unrecorded facts, including an unknown age in either form."""
    base = Patient(prognosis="weeks")
    exists(refinements(base), lambda p: p.incurable is not None)
    exists(refinements(base), lambda p: p.age is not None)
    exists(refinements(base), lambda p: p.birth_date is not None)
    assert find(refinements(base), lambda p: True, settings=MINIMAL) == base


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_fill_records_exactly_the_named_facts(data: st.DataObject) -> None:
    """fill() records the named unrecorded facts and changes nothing else."""
    p = data.draw(patients(), label="patient")
    names = data.draw(st.lists(st.sampled_from(sorted(FACTS)), unique=True), label="names")
    f = data.draw(fill(p, names, on=ON), label="filled")
    assert_valid(f)
    for name in recorded(p):
        assert getattr(f, name) == getattr(p, name)
    added = recorded(f) - recorded(p)
    assert added <= set(names)
    # a date whose yes/no fact is recorded as false cannot be recorded (Patient refuses it)
    impossible = {when for flag, when in FLAG_DATES if getattr(p, flag) is False}
    for name in set(names) - set(AGE_FACTS) - impossible:
        assert getattr(f, name) is not None
    if {"age", "birth_date"} & set(names):
        assert f.age is not None or f.birth_date is not None


def test_fill_age_only_when_no_birth_date() -> None:
    """fill() of 'age' leaves a patient with a birth date as it is, and fills a missing age."""
    born = Patient(birth_date=date(1950, 5, 17))
    assert find(fill(born, ["age"]), lambda p: True, settings=MINIMAL) == born
    assert find(fill(Patient(), ["age"]), lambda p: True, settings=MINIMAL).age is not None


def test_fill_rejects_unknown_facts() -> None:
    """fill() names an unknown fact with a suggestion."""
    with pytest.raises(ValueError, match="did you mean 'incurable'"):
        fill(Patient(), ["incurabel"])


def test_strategies_accept_a_mapping() -> None:
    """refinements() and fill() also take the facts as a plain mapping."""
    assert find(fill({"age": 70}, ["incurable"]), lambda p: True, settings=MINIMAL).age == 70
    assert find(refinements({"age": 70}), lambda p: True, settings=MINIMAL) == Patient(age=70)


# --------------------------------------------------------------------------------------
# The optional dependency
# --------------------------------------------------------------------------------------


def test_import_without_hypothesis_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing visitation.testing without hypothesis raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "visitation.testing")
    with pytest.raises(ImportError, match=re.escape("pip install 'visitation[testing]'")):
        importlib.import_module("visitation.testing")


@given(data=st.data())
def test_generated_facts_agree_with_each_other(data: st.DataObject) -> None:
    """Patients, refinements and fills keep referral dates in order and no date beside a
    false flag, so they are always valid Patients."""
    p = data.draw(patients(boundary=True), label="patient")
    r = data.draw(refinements(p, on=ON), label="refinement")
    f = data.draw(
        fill(
            p,
            [
                "referral_sent_on",
                "referral_received_on",
                "first_contact_on",
                "terminal_declared",
                "terminal_declaration_date",
            ],
            on=ON,
        ),
        label="fill",
    )
    for q in (p, r, f):
        dates = [q.referral_sent_on, q.referral_received_on, q.first_contact_on]
        present = [d for d in dates if d is not None]
        assert present == sorted(present)
        assert not (q.terminal_declared is False and q.terminal_declaration_date is not None)
