"""The fhir subpackage keeps to the house rules: public core names only, lazy extra."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fhir_helpers import DATA

import visitation
from visitation.cli import main

PACKAGE = Path(visitation.__file__).parent / "fhir"
ALLOWED_PRIVATE = {"visitation._yaml": {"YamlDocument", "load_yaml"}}
"""The one internal import: the strict YAML reader, shared with rule files."""


def test_only_public_core_names_are_imported() -> None:
    """Every import from the core names something in visitation.__all__ (or
    visitation.testing), apart from the strict YAML reader."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("visitation")
            ):
                module, names = node.module, {a.name for a in node.names}
                if module.startswith(("visitation.fhir", "visitation.testing")):
                    continue
                if module == "visitation":
                    assert names - {"fhir"} <= set(visitation.__all__), (path.name, names)
                else:
                    assert names <= ALLOWED_PRIVATE.get(module, set()), (path.name, module, names)


def test_the_core_path_needs_no_fhir_resources() -> None:
    """With fhir.resources unimportable, bundles are still read (a fresh interpreter)."""
    code = (
        "import sys; sys.modules['fhir'] = None\n"
        "from visitation.fhir import facts_from_bundle\n"
        f"x = facts_from_bundle({str(DATA / 'dk-referral.json')!r}, on='2026-11-23')\n"
        "print(x.patient.diagnosis_code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "C34.9"


def test_a_bundle_on_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`visitation evaluate - --from fhir` reads the bundle from standard input."""
    raw = (DATA / "dk-referral.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    code = main(["evaluate", "-", "--from", "fhir", "--on", "2026-11-23", "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 1, 3)
    assert json.loads(out)["extraction"]["patient"] == "Patient/karen-1"


def test_from_facts_forces_the_patient_reader(capsys: pytest.CaptureFixture[str]) -> None:
    """`--from facts` reads a bundle as patient facts, which it is not: exit 4."""
    code = main(
        ["evaluate", str(DATA / "dk-referral.json"), "--from", "facts", "--on", "2026-11-23"]
    )
    assert code == 4
    assert "resourceType" in capsys.readouterr().err


def test_the_docs_example_runs() -> None:
    """The Python example at the top of docs/fhir.md runs (from the project root)."""
    import os
    import re

    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "fhir.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    cwd = os.getcwd()
    try:
        os.chdir(root)
        exec(compile(code.group(1), "docs/fhir.md", "exec"), {})
    finally:
        os.chdir(cwd)
