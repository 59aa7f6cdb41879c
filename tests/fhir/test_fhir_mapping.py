"""The mapping file: shipped, complete, and checked with located errors."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from visitation import FACTS, RuleFileError
from visitation.fhir import DEFAULT_MAPPING, MappingFileError, default_mapping, load_mapping

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_mapping_covers_every_fact() -> None:
    """Every Patient fact has at least one mapping entry in the shipped file."""
    m = default_mapping()
    mapped = {e.fact for e in m.entries} | {e.also for e in m.entries if e.also}
    assert mapped == set(FACTS)
    assert m.key == "visitation-fhir-r4@1.0.0"


def test_the_mapping_states_the_real_kip_and_danish_systems() -> None:
    """Canonical URLs: KIP's code systems, SKS-D, CPR; KIP's misspelt code is kept."""
    m = default_mapping()
    assert m.cpr_system == "urn:oid:1.2.208.176.1.2"
    assert m.sks_systems == {
        "urn:oid:1.2.208.176.2.4.12",
        "https://kip.rkkp.dk/fhir/CodeSystem/SKS",
    }
    referred = m.values["observation.referred-from"]
    assert (
        referred[("https://kip.rkkp.dk/fhir/CodeSystem/ReferredFrom", "patient_relavtives")]
        == "patient_relative"
    )
    assert m.answers_1_4 == "https://kip.rkkp.dk/fhir/CodeSystem/EORTCQLQC1514"
    assert m.not_met["incurable"] == (
        "https://kip.rkkp.dk/fhir/CodeSystem/VisitationCriteriaNotMet",
        "not_terminally_ill",
    )


def _broken(tmp_path: Path, old: str, new: str) -> MappingFileError:
    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(MappingFileError) as info:
        load_mapping(path)
    return info.value


def _line_of(tmp_path: Path, needle: str) -> int:
    lines = (tmp_path / "mapping.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "code", "message", "at"),
    [
        (
            "fact: prognosis\n",
            "fact: prognoses\n",
            "unknown-fact",
            "'prognoses' is not a known fact; did you mean 'prognosis'?",
            "fact: prognoses",
        ),
        (
            "codes: [facts#prognosis]",
            "codes: [fact#prognosis]",
            "unknown-system",
            "no system alias 'fact' under 'systems'; did you mean 'facts'?",
            "codes: [fact#prognosis]",
        ),
        (
            "prognosis#weeks: weeks",
            "prognosis#weeks: week",
            "unknown-value",
            "'week' is not a known value; did you mean 'weeks'?",
            "prognosis#weeks: week",
        ),
        (
            "fact: symptom_count\n    from: observation\n    codes: [facts#symptom-count]\n    value: integer",
            "fact: symptom_count\n    from: observation\n    codes: [facts#symptom-count]\n    value: boolean",
            "fact-kind",
            "fact 'symptom_count' is of kind int",
            "fact: symptom_count",
        ),
        (
            "cancer: [C00-C97, D37-D48]",
            "cancer: [C00-C97, D37-48]",
            "invalid-range",
            "'D37-48': write an ICD-10 category or range",
            "cancer: [C00",
        ),
        (
            "    pick: earliest\n",
            "    pick: first\n",
            "invalid-value",
            "pick: Input should be 'latest' or 'earliest'",
            "pick: first",
        ),
    ],
)
def test_mapping_errors_are_located(
    tmp_path: Path, old: str, new: str, code: str, message: str, at: str
) -> None:
    """A broken mapping file is refused with code, line and a did-you-mean, like a rule file."""
    err = _broken(tmp_path, old, new)
    assert isinstance(err, RuleFileError)
    (d,) = err.diagnostics
    assert d.code == code
    assert message in d.message
    assert d.path.endswith("mapping.yaml")
    assert d.line == _line_of(tmp_path, at)


def test_yaml_hazards_are_refused(tmp_path: Path) -> None:
    """The strict reader refuses duplicate keys in a mapping file too."""
    err = _broken(tmp_path, "title: Patient facts", "title: x\ntitle: Patient facts")
    assert err.diagnostics[0].code == "yaml-duplicate-key"


def test_the_mapping_file_ships_in_the_wheel(tmp_path: Path) -> None:
    """The built wheel holds visitation/fhir/mapping.yaml next to the code."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("visitation-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "visitation/fhir/mapping.yaml" in names
    assert "visitation/fhir/testing.py" in names


def test_docs_show_the_current_mapping_table() -> None:
    """docs/fhir.md holds the table generated from the shipped mapping file."""
    from visitation.fhir._doc import mapping_tables

    text = (ROOT / "docs" / "fhir.md").read_text(encoding="utf-8")
    start = text.index("<!-- mapping-table")
    body = text[text.index("-->", start) + 4 : text.index("<!-- /mapping-table -->")]
    assert body == mapping_tables(default_mapping())


def test_a_users_own_mapping_is_used(tmp_path: Path) -> None:
    """A mapping file of the user's, adding a local code, reads that code as the fact."""
    from fhir_helpers import ON, bundle, patient

    from visitation.fhir import facts_from_bundle

    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    text = text.replace("  facts: https://visitation.dk/fhir/CodeSystem/facts\n",
                        "  facts: https://visitation.dk/fhir/CodeSystem/facts\n"
                        "  local: https://hospital.example.dk/codes\n")  # fmt: skip
    text = text.replace("codes: [facts#incurable]", "codes: [facts#incurable, local#UHS]")
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "https://hospital.example.dk/codes", "code": "UHS"}]},
        "valueBoolean": True,
    }
    b = bundle(patient(), obs)
    assert facts_from_bundle(b, on=ON).patient.incurable is None
    x = facts_from_bundle(b, on=ON, mapping=path)
    assert x.patient.incurable is True
    assert x.provenance["incurable"].source.code == "UHS"
