"""Patient facts from files: JSON and YAML, with errors naming file, line and field."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from visitation import Patient, PatientFileError, load_patient
from visitation._yaml import Mark
from visitation.facts import FACTS, DiagnosisGroup


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
    assert Patient.from_file(f) == Patient(age=70, incurable=True)


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
