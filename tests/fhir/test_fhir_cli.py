"""The command line: evaluate a bundle (auto-detected or --from fhir), fhir facts|guidance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir_helpers import DATA, bundle, patient

from visitation.cli import main

DK = str(DATA / "dk-referral.json")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_detects_a_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    """`visitation evaluate bundle.json` sees resourceType Bundle and shows the sources."""
    code, out, err = _run(capsys, "evaluate", DK, "--on", "2026-11-23")
    assert code in (0, 1, 3), err
    assert "Sources of the facts:" in out
    assert "Condition/dx-lung" in out


def test_evaluate_from_fhir_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    """`--from fhir --format json` prints the assessment with evidence sources."""
    code, out, _ = _run(
        capsys, "evaluate", DK, "--from", "fhir", "--on", "2026-11-23", "--format", "json"
    )
    data = json.loads(out)
    assert set(data) == {"assessment", "evidence_sources", "extraction"}
    verdicts = [p["verdict"] for p in data["assessment"]["pathways"]]
    assert code == (1 if "not_eligible" in verdicts else 3 if "indeterminate" in verdicts else 0)


def test_fhir_facts_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`visitation fhir facts` lists facts with provenance, conflicts and unmapped codes."""
    code, out, _ = _run(capsys, "fhir", "facts", DK, "--on", "2026-11-23")
    assert code == 0
    assert "diagnosis_code = C34.9 ←" in out
    assert "Conflicts:" in out and "Not mapped:" in out
    code, out, _ = _run(capsys, "fhir", "facts", DK, "--on", "2026-11-23", "--format", "json")
    assert json.loads(out)["facts"]["diagnosis_group"] == "cancer"


def test_fhir_guidance_prints_a_guidance_response(capsys: pytest.CaptureFixture[str]) -> None:
    """`visitation fhir guidance` prints a GuidanceResponse."""
    code, out, _ = _run(capsys, "fhir", "guidance", DK, "--on", "2026-11-23")
    assert code == 0
    assert json.loads(out)["resourceType"] == "GuidanceResponse"


def test_bad_bundles_exit_4_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid bundle exits 4 with located messages and no traceback."""
    path = tmp_path / "two.json"
    path.write_text(json.dumps(bundle(patient("a"), patient("b"))))
    code, out, err = _run(capsys, "evaluate", str(path), "--on", "2026-11-23")
    assert code == 4
    assert out == ""
    assert "several-patients" in err and "entry[1] (Patient/b)" in err
    assert "Traceback" not in err
    code, _, err = _run(capsys, "fhir", "facts", str(path))
    assert code == 4


def test_plain_patient_json_is_still_patient_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .json file of patient facts is not taken for a bundle."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"age": 70}))
    code, out, _ = _run(capsys, "evaluate", str(path), "--on", "2026-11-23")
    assert code == 3
    assert "Sources of the facts" not in out


def test_validate_flag_runs_r4b(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fhir facts --validate` refuses what fhir.resources R4B refuses."""
    b = bundle(patient())
    b["entry"][0]["resource"]["gender"] = 5
    path = tmp_path / "b.json"
    path.write_text(json.dumps(b))
    code, _, err = _run(capsys, "fhir", "facts", str(path), "--validate")
    assert code == 4
    assert "Patient.gender" in err
