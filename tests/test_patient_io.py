"""Patient facts from files: JSON and YAML, with errors naming file, line and field."""

from __future__ import annotations

import difflib
import io
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visitation import Diagnostic, Patient, PatientFileError, load_patient
from visitation._patient_io import validate_patient
from visitation._pydantic_errors import MAX_DIAGNOSTICS
from visitation._yaml import Mark
from visitation.cli import main
from visitation.facts import (
    CONSISTENCY,
    FACTS,
    Consistency,
    DiagnosisGroup,
    ProblemDomain,
    Prognosis,
    check_on,
)
from visitation.testing import complete_patients, fill, patients, refinements


def write(tmp_path: Path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_yaml_file(tmp_path: Path) -> None:
    """A YAML file loads into a typed Patient (dates, enums and sets parsed)."""
    f = write(tmp_path, "p.yaml", "age: 70\ndiagnosis_group: lung\nproblem_domains: [social]\n"
                                  "eortc_date: 2026-11-01\n")  # fmt: skip
    p = load_patient(f)
    assert p.diagnosis_group is DiagnosisGroup.lung
    assert p.eortc_date is not None and p.eortc_date.isoformat() == "2026-11-01"
    assert p.problem_domains == frozenset({"social"})


def test_json_file(tmp_path: Path) -> None:
    """A JSON file loads the same way."""
    f = write(tmp_path, "p.json", '{"age": 70, "incurable": true}')
    assert load_patient(f) == Patient(age=70, incurable=True)


def test_invalid_value_names_file_line_and_field(tmp_path: Path) -> None:
    """A wrong value is reported as path:line:col with the field name."""
    f = write(tmp_path, "p.yaml", "age: 70\nprognosis: soon\n")
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    [d] = info.value.diagnostics
    assert (d.path, d.line, d.col) == (str(f), 2, 1)
    assert d.message.startswith("prognosis: Input should be 'days', 'weeks', 'few_months'")


def test_unknown_fact_suggests_a_name(tmp_path: Path) -> None:
    """A misspelt fact is refused (extra fields are forbidden) with a suggestion."""
    f = write(tmp_path, "p.json", '{\n  "age": 70,\n  "incurabel": true\n}')
    with pytest.raises(
        PatientFileError, match=r"p.json:3:3: unknown-key: .*did you mean 'incurable'"
    ):
        load_patient(f)


def test_every_problem_at_once(tmp_path: Path) -> None:
    """All invalid fields are reported together, in line order."""
    f = write(tmp_path, "p.yaml", "age: -1\nincurable: maybe\nsymptom_count: 3\n")
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    assert [d.line for d in info.value.diagnostics] == [1, 2]


def test_yaml_hazard_in_patient_file(tmp_path: Path) -> None:
    """'incurable: yes' is refused rather than silently read as true."""
    f = write(tmp_path, "p.yaml", "incurable: yes\n")
    with pytest.raises(PatientFileError, match="yaml-ambiguous-bool"):
        load_patient(f)


def test_not_a_mapping(tmp_path: Path) -> None:
    """A file holding a list is refused with a clear message."""
    with pytest.raises(PatientFileError, match="must be a mapping"):
        load_patient(write(tmp_path, "p.yaml", "- age: 3\n"))


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is an error naming it."""
    with pytest.raises(PatientFileError, match=r"nope\.yaml"):
        load_patient(tmp_path / "nope.yaml")


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """'-' reads the facts from standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"age: 44\n")))
    assert load_patient("-") == Patient(age=44)


def test_none_means_not_recorded() -> None:
    """Every fact defaults to None (not recorded); nothing hides a gap behind a default."""
    p = Patient()
    assert all(getattr(p, name) is None for name in FACTS)


def test_eortc_items_are_checked() -> None:
    """EORTC QLQ-C15-PAL answers must be 15 items."""
    with pytest.raises(ValueError, match="15"):
        Patient(eortc_items=[1, 2, 3])


def test_every_fact_documents_itself() -> None:
    """Each fact has a description, and vocabularies are listed for enum facts."""
    for spec in FACTS.values():
        assert spec.description, spec.name
        if spec.kind == "enum":
            assert spec.vocabulary, spec.name


def test_contradicting_facts_are_refused(tmp_path: Path) -> None:
    """A first contact before the referral was received, or a date beside a false flag,
    is refused with one located message per contradiction, naming both facts."""
    f = write(
        tmp_path,
        "p.yaml",
        "referral_received_on: 2026-11-10\nfirst_contact_on: 2026-11-01\n"
        "curative_ended: false\ncurative_end_date: 2026-09-01\n",
    )
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    assert str(info.value).splitlines() == [
        f"{f}:2:1: contradictory-facts: "
        "first_contact_on (2026-11-01) is before referral_received_on (2026-11-10)",
        f"{f}:4:1: contradictory-facts: curative_end_date is recorded but curative_ended is false",
    ]
    first, second = info.value.diagnostics
    assert [r.span.start for r in first.related] == [Mark(1, 1)]
    assert [r.span.start for r in second.related] == [Mark(3, 1)]


def test_json_file_must_be_strict_json(tmp_path: Path) -> None:
    """A .json file with a trailing comma is refused with JSON's own line and column,
    although the YAML reader would accept it."""
    f = write(tmp_path, "p.json", '{\n  "age": 70,\n}')
    with pytest.raises(PatientFileError, match=r"p\.json:3:1: json-syntax: "):
        load_patient(f)


def test_eortc_items_1_to_14_are_scored_1_to_4() -> None:
    """Only item 15 (quality of life) goes to 7; a 5 in items 1-14 is refused by item number."""
    items = [1] * 15
    items[2] = 5
    with pytest.raises(ValueError, match="item 3 is 5"):
        Patient(eortc_items=items)
    items[2], items[14] = 4, 7
    assert Patient(eortc_items=items).eortc_items == items


# -- strict input (issue 7 point 6, issue 8 defect 8) --------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('incurable: "no"', "incurable", "Input should be a valid boolean (got 'no')"),
        ('incurable: "off"', "incurable", "Input should be a valid boolean (got 'off')"),
        ('incurable: "t"', "incurable", "Input should be a valid boolean (got 't')"),
        ("incurable: 0", "incurable", "Input should be a valid boolean (got 0)"),
        ("incurable: 1", "incurable", "Input should be a valid boolean (got 1)"),
        ("incurable: 0.0", "incurable", "Input should be a valid boolean (got 0.0)"),
        ('age: "70"', "age", "Input should be a valid integer (got '70')"),
        ('age: " 18 "', "age", "Input should be a valid integer (got ' 18 ')"),
        ("age: true", "age", "Input should be a valid integer (got True)"),
        ("age: 70.0", "age", "Input should be a valid integer (got 70.0)"),
        ("eortc_date: 0", "eortc_date", "Input should be a date written YYYY-MM-DD (got 0)"),
        (
            'eortc_date: "2026-11-01T00:00:00"',
            "eortc_date",
            "Input should be a date written YYYY-MM-DD (got '2026-11-01T00:00:00')",
        ),
        (
            'eortc_items: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "2"]',
            "eortc_items[14]",
            "Input should be a valid integer (got '2')",
        ),
    ],
)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_only_real_booleans_numbers_and_dates(
    tmp_path: Path, line: str, field: str, message: str, suffix: str
) -> None:
    """A patient file accepts only real booleans, whole numbers and ISO dates; anything a
    lax reader would coerce is refused with file, line and field (YAML and JSON alike)."""
    key, value = line.split(": ", 1)
    text = (
        f"symptom_count: 2\n{line}\n"
        if suffix == ".yaml"
        else f'{{\n  "symptom_count": 2,\n  "{key}": {value}\n}}'
    )
    f = write(tmp_path, f"p{suffix}", text)
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    [d] = info.value.diagnostics
    assert (d.path, d.line, d.code) == (str(f), 2 if suffix == ".yaml" else 3, "invalid-value")
    assert d.message == f"{field}: {message}"


def test_a_datetime_is_not_a_date() -> None:
    """A mapping holding a datetime for a date fact is refused, naming the field."""
    from datetime import datetime

    with pytest.raises(
        PatientFileError,
        match=r"<patient>: invalid-value: eortc_date: Input should be a date without a time",
    ):
        validate_patient({"eortc_date": datetime(2026, 11, 1, 12, 0)})


def test_python_values_of_the_right_type_are_unaffected() -> None:
    """date objects, enum members, frozensets and ints are taken as they are, from Python
    and from a mapping; enum values and lists from JSON are read too."""
    typed = Patient(
        age=70,
        eortc_date=date(2026, 11, 1),
        prognosis=Prognosis.weeks,
        problem_domains=frozenset({ProblemDomain.social}),
        incurable=True,
    )
    assert validate_patient(typed.__dict__) == typed
    assert validate_patient(typed.model_dump(mode="json")) == typed
    assert validate_patient({"birth_date": date(1950, 1, 1)}).birth_date == date(1950, 1, 1)


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    """What the YAML reader refuses, what the schema refuses and what contradicts itself
    are reported together, in line order, each once."""
    f = write(
        tmp_path,
        "p.yaml",
        'incurable: yes\nage: "70"\ngp_informed: false\ngp_agrees: true\nprognosiss: weeks\n',
    )
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    assert [(d.line, d.code) for d in info.value.diagnostics] == [
        (1, "yaml-ambiguous-bool"),
        (2, "invalid-value"),
        (4, "contradictory-facts"),
        (5, "unknown-key"),
    ]


# -- one table of consistency rules (issue 7 point 4) --------------------------------------


def _violation(rule: Consistency) -> tuple[dict[str, Any], str]:
    """Patient facts (as text values) that break ``rule``, and the located message."""
    if rule.kind == "order":
        facts = {rule.first: "2026-11-10", rule.second: "2026-11-01"}
        return facts, f"{rule.second} (2026-11-01) is before {rule.first} (2026-11-10)"
    what = "recorded" if rule.value is None else "true"
    second = "2026-10-01" if FACTS[rule.second].kind == "date" else rule.value
    return {
        rule.first: False,
        rule.second: second,
    }, f"{rule.second} is {what} but {rule.first} is false"


@pytest.mark.parametrize(
    "rule",
    [r for r in CONSISTENCY if r.kind != "not-after-on"],
    ids=lambda r: f"{r.first}-{r.second}",
)
def test_each_consistency_rule_is_refused_with_a_located_message(
    tmp_path: Path, rule: Consistency
) -> None:
    """Each undated rule of the table refuses a patient file breaking it: the message names
    both facts, at the line of the second, pointing at the first."""
    facts, message = _violation(rule)
    f = write(tmp_path, "p.json", json.dumps(facts, indent=1))
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    [d] = info.value.diagnostics
    assert str(d) == f"{f}:3:2: contradictory-facts: {message}"
    assert [r.span.start for r in d.related] == [Mark(2, 2)]
    with pytest.raises(ValueError, match=re.escape(message)):
        Patient.model_validate(facts)


def test_gp_agreeing_but_not_informed_is_refused() -> None:
    """gp_agrees: true beside gp_informed: false names both facts."""
    with pytest.raises(PatientFileError, match=r"gp_agrees is true but gp_informed is false"):
        validate_patient({"gp_informed": False, "gp_agrees": True})
    assert validate_patient({"gp_informed": False, "gp_agrees": False}).gp_agrees is False
    assert validate_patient({"gp_informed": True, "gp_agrees": True}).gp_agrees is True


ON = date(2026, 11, 23)


@pytest.mark.parametrize("name", [r.first for r in CONSISTENCY if r.kind == "not-after-on"])
def test_a_date_after_the_evaluation_date_is_refused_on_that_date(name: str) -> None:
    """A screening (or advice, conversation, declaration, end of treatment) dated after
    the evaluation date is a contradiction on that date, naming the fact and the date;
    on the day itself, or later, it is fine."""
    p = validate_patient({name: "2026-11-24"})
    [d] = check_on(p, ON)
    assert str(d) == (
        f"<patient>: contradictory-facts: {name} (2026-11-24) is after the evaluation date (2026-11-23)"
    )
    assert check_on(p, date(2026, 11, 24)) == []


def test_referral_dates_may_follow_the_evaluation_date() -> None:
    """The reception wait is read after the fact: referral dates are not checked against it."""
    assert check_on(Patient(referral_received_on=date(2026, 11, 24)), ON) == []


@pytest.mark.parametrize(
    ("born", "age"), [(date(2030, 1, 1), -4), (date(1, 1, 1), 2025), (date(1895, 1, 1), 131)]
)
def test_a_derived_age_outside_0_to_130_is_refused(born: date, age: int) -> None:
    """A birth date in the future or in year 1 gives an age no patient has (issue 8 defect 8):
    refused on the evaluation date, naming the birth date and the date."""
    [d] = check_on({"birth_date": born}, ON)
    assert d.code == "invalid-value"
    assert d.message == (
        f"birth_date ({born.isoformat()}) gives an age of {age} on the evaluation date "
        "(2026-11-23); an age is 0 to 130 years"
    )
    assert check_on({"birth_date": date(1896, 11, 23)}, ON) == []


# -- hostile patient files (issue 8 defects 5 and 9) ---------------------------------------


def _refused(f: Path) -> list[Diagnostic]:
    with pytest.raises(PatientFileError) as info:
        load_patient(f)
    return list(info.value.diagnostics)


def test_deeply_nested_json_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    """100,000 nested lists in a .json file are too deep (not a RecursionError)."""
    f = tmp_path / "deep.json"
    f.write_text('{"measures_tried": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    [d] = _refused(f)
    assert str(d) == f"{f}: yaml-too-deep: nesting deeper than 64 levels"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_an_integer_over_4300_digits_is_refused(tmp_path: Path, suffix: str) -> None:
    """A 5,000-digit age is out of range, located (not a ValueError from int())."""
    f = write(tmp_path, f"p{suffix}", '{\n "incurable": true,\n "age": ' + "9" * 5000 + "\n}")
    [d] = _refused(f)
    assert (
        str(d)
        == f"{f}:3:9: number-out-of-range: age: an integer of 5000 digits is over the limit of 4300"
    )


def test_a_10_mb_json_file_is_too_large(tmp_path: Path) -> None:
    """A 10 MB .json file is file-too-large, not a JSON syntax error at byte 1,000,001."""
    f = tmp_path / "big.json"
    f.write_text('{"measures_tried": ["' + "x" * 10_000_000 + '"]}', encoding="utf-8")
    [d] = _refused(f)
    assert d.code == "file-too-large"
    assert d.message == "10000024 bytes is over the limit of 1000000"


def test_too_large_standard_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input over the limit is refused without reading all of it."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"#" * 3_000_000)))
    with pytest.raises(PatientFileError, match="<stdin>: file-too-large: 1000001 bytes"):
        load_patient("-")


def test_diagnostics_are_capped_with_one_suggestion_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """9,000 unknown keys (18,000 values, under the reader's limit of values) give the first
    200 diagnostics in the text, with at most one did-you-mean computation per diagnostic
    reported."""
    calls = []
    real = difflib.get_close_matches

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counted)
    body = ",\n".join(f'"k{i}":1' for i in range(9_000))
    f = write(tmp_path, "many.json", "{\n" + body + "\n}")
    diagnostics = _refused(f)
    assert len(diagnostics) == MAX_DIAGNOSTICS == 200
    assert [d.line for d in diagnostics] == list(range(2, 202))
    assert len(calls) <= 200


@pytest.mark.parametrize(
    "text",
    [
        '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"age": ' + "1" * 5000 + "}",
        '{"measures_tried": ["' + "x" * 2_000_000 + '"]}',
    ],
    ids=["deep", "long-int", "10-mb"],
)
def test_evaluate_exits_4_on_hostile_json(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reproducers of issue 8 defect 5 end in exit 4 with a diagnostic, as on stdin."""
    f = write(tmp_path, "p.json", text)
    assert main(["evaluate", str(f), "--on", "2026-11-23"]) == 4
    err = capsys.readouterr().err
    assert "internal error" not in err and f"{f}" in err


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_strategies_keep_every_consistency_rule(data: st.DataObject) -> None:
    """visitation.testing reads the same table: generated patients, their refinements and
    fills are never refused, neither by the model nor on the evaluation date."""
    on = date(2026, 11, 23)
    p = data.draw(st.one_of(patients(on=on), complete_patients(on=on)), label="patient")
    assert check_on(p, on) == []
    refined = data.draw(refinements(p, on=on), label="refinement")
    assert check_on(refined, on) == []
    filled = data.draw(fill(p, ["gp_informed", "gp_agrees", "eortc_date"], on=on), label="fill")
    assert check_on(filled, on) == []
    assert not (filled.gp_informed is False and filled.gp_agrees is True)


def test_many_yaml_hazards_are_capped(tmp_path: Path) -> None:
    """9,000 `fact: yes` lines give the first 200 diagnostics, each once."""
    f = write(tmp_path, "many.yaml", "".join(f"k{i}: yes\n" for i in range(9_000)))
    diagnostics = _refused(f)
    assert len(diagnostics) == 200
    assert {d.code for d in diagnostics} == {"yaml-ambiguous-bool"}
    assert [d.line for d in diagnostics] == list(range(1, 201))


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.yaml", b"", "empty.yaml: patient-not-mapping: patient facts must be a mapping"),
        ("bad.yaml", b"age: [1\n", "bad.yaml:2:1: yaml-syntax: "),
        (
            "latin1.json",
            '{"diagnosis_code": "Ø"}'.encode("latin-1"),
            "latin1.json: yaml-encoding: not UTF-8 text",
        ),
    ],
)
def test_unreadable_patient_text_is_one_located_diagnostic(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    """An empty file, a YAML syntax error and bytes that are not UTF-8 are refused with
    one diagnostic naming the file."""
    f = tmp_path / name
    f.write_bytes(data)
    [d] = _refused(f)
    assert str(d).startswith(f"{tmp_path}/{expected}")


def test_over_200_field_errors_are_capped_to_the_first_in_the_text(tmp_path: Path) -> None:
    """1,000 invalid items of one set give 200 diagnostics, the first 200 items."""
    f = write(tmp_path, "p.yaml", "measures_tried:\n" + "".join(f"  - {i}\n" for i in range(1000)))
    diagnostics = _refused(f)
    assert len(diagnostics) == 200
    assert [d.line for d in diagnostics] == list(range(2, 202))
    assert diagnostics[0].message == "measures_tried[0]: Input should be a valid string (got 0)"
