"""Load patient facts from a dict, a JSON or YAML file, or standard input, with located errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from visitation._pydantic_errors import diagnostics_from_validation
from visitation._yaml import YamlDocument, load_yaml, read_source
from visitation.errors import Diagnostic, PatientFileError
from visitation.facts import Patient

__all__ = ["load_patient_file", "patient_from_text", "validate_patient"]


def patient_from_text(text: str | bytes, *, path: str = "<input>") -> Patient:
    """Validate patient facts written as YAML or JSON.

    A ``.json`` file must be strict JSON (no trailing commas, no comments); it is then
    read by the same positional reader as YAML, so errors name line and column.
    """
    if path.endswith(".json"):
        problem = _json_problem(text, path)
        if problem is not None:
            raise PatientFileError([problem])
    doc = load_yaml(text, path=path)
    if doc.diagnostics:
        raise PatientFileError(doc.diagnostics)
    if not isinstance(doc.data, dict):
        raise PatientFileError(
            [
                doc.diagnostic(
                    "patient-not-mapping", "patient facts must be a mapping of fact: value"
                )
            ]
        )
    return _validate(doc.data, doc)


def _json_problem(text: str | bytes, path: str) -> Diagnostic | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return Diagnostic("json-syntax", exc.msg, path, exc.lineno, exc.colno)
    except UnicodeDecodeError as exc:
        return Diagnostic("yaml-encoding", f"not UTF-8 text: {exc.reason}", path)
    return None


def load_patient_file(path: str | Path) -> Patient:
    """Load a ``.json`` / ``.yaml`` / ``.yml`` patient file, or ``-`` for standard input."""
    if str(path) == "-":
        return patient_from_text(sys.stdin.buffer.read(), path="<stdin>")
    data = read_source(path)
    if isinstance(data, Diagnostic):
        raise PatientFileError([data])
    return patient_from_text(data, path=str(path))


def validate_patient(facts: Patient | Mapping[str, Any]) -> Patient:
    """A Patient from a Patient or a plain mapping; :class:`PatientFileError` names each field."""
    if isinstance(facts, Patient):
        return facts
    try:
        return Patient.model_validate(facts)
    except ValidationError as exc:
        doc = YamlDocument(data=facts, path="<patient>")
        raise PatientFileError(
            diagnostics_from_validation(exc, doc, known_keys=Patient.model_fields)
        ) from None


def _validate(data: dict[str, Any], doc: YamlDocument) -> Patient:
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        raise PatientFileError(
            diagnostics_from_validation(exc, doc, known_keys=Patient.model_fields)
        ) from None
