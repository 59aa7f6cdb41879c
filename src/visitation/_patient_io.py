"""Load patient facts from a dict, a JSON or YAML file, or standard input, with located errors.

Every problem of a file is reported at once (at most ``MAX_DIAGNOSTICS``, the first in the
text): what the YAML reader refuses, every field the model refuses, and the facts that
contradict each other among the fields that are valid on their own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from visitation._pydantic_errors import MAX_DIAGNOSTICS, diagnostics_from_validation
from visitation._yaml import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    YamlDocument,
    load_yaml,
    read_source,
    too_large,
)
from visitation.errors import Code, Diagnostic, PatientFileError, suggest
from visitation.facts import Patient

__all__ = ["load_patient", "load_patient_file", "patient_from_text", "validate_patient"]


def patient_from_text(text: str | bytes, *, path: str = "<input>") -> Patient:
    """Validate patient facts written as YAML or JSON.

    A ``.json`` file must be strict JSON (no trailing commas, no comments); it is then
    read by the same positional reader as YAML, so errors name line and column.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise PatientFileError([too_large(size, path)])
    if path.endswith(".json"):
        problem = _json_problem(text, path)
        if problem is not None:
            raise PatientFileError([problem])
    doc = load_yaml(text, path=path)
    if doc.data is None:
        raise PatientFileError(doc.diagnostics or [_not_mapping(doc)])
    if not isinstance(doc.data, dict):
        raise PatientFileError([*doc.diagnostics, _not_mapping(doc)][:MAX_DIAGNOSTICS])
    # a value the YAML reader already reported (e.g. `incurable: yes`) is not validated
    # again: one diagnostic per problem
    flagged = {path[0] for path in doc.flagged if path}
    trusted = {k: v for k, v in doc.data.items() if k not in flagged}
    return _validate(trusted, doc, list(doc.diagnostics))


def _not_mapping(doc: YamlDocument) -> Diagnostic:
    return doc.diagnostic(
        Code.PATIENT_NOT_MAPPING, "patient facts must be a mapping of fact: value"
    )


def _json_int(digits: str) -> int:
    """An integer JSON holds; one too long to read is left to the positional reader, which
    reports it with its line and field."""
    return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else 0


def _json_problem(text: str | bytes, path: str) -> Diagnostic | None:
    try:
        json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        return Diagnostic.at(Code.JSON_SYNTAX, exc.msg, path, exc.lineno, exc.colno)
    except UnicodeDecodeError as exc:
        return Diagnostic.at(Code.YAML_ENCODING, f"not UTF-8 text: {exc.reason}", path)
    except RecursionError:
        return Diagnostic.at(Code.YAML_TOO_DEEP, f"nesting deeper than {MAX_DEPTH} levels", path)
    return None


def load_patient_file(path: str | Path) -> Patient:
    """Load a ``.json`` / ``.yaml`` / ``.yml`` patient file, or ``-`` for standard input."""
    if str(path) == "-":
        return patient_from_text(sys.stdin.buffer.read(MAX_BYTES + 1), path="<stdin>")
    data = read_source(path)
    if isinstance(data, Diagnostic):
        raise PatientFileError([data])
    return patient_from_text(data, path=str(path))


def validate_patient(facts: Patient | Mapping[str, Any]) -> Patient:
    """A Patient from a Patient or a plain mapping; :class:`PatientFileError` names each field.

    A mapping is read as strictly as a file (see :class:`~visitation.facts.Patient`):
    yes/no facts take ``True``/``False``, numbers ``int``, dates ``date`` objects or ISO
    text; enum members or their values, and any collection for sets.
    """
    if isinstance(facts, Patient):
        return facts
    return _validate(facts, YamlDocument(data=facts, path="<patient>"), [])


def _validate(data: Mapping[str, Any], doc: YamlDocument, prior: list[Diagnostic]) -> Patient:
    fields = Patient.model_fields
    unknown = [k for k in data if k not in fields]
    # unknown keys are found here, not by pydantic: 60,000 of them cost a set look-up each,
    # and a did-you-mean only for the first ones (they are in text order), which are reported
    strays = [
        doc.diagnostic(
            Code.UNKNOWN_KEY,
            f"{_key(k)}: unknown key '{k}'",
            (k,),
            hint=suggest(str(k), sorted(fields)),
        )
        for k in unknown[:MAX_DIAGNOSTICS]
    ]
    known = {k: v for k, v in data.items() if k in fields} if unknown else data
    try:
        patient = Patient.model_validate(known)
    except ValidationError as exc:
        found = prior + diagnostics_from_validation(exc, doc, known_keys=fields) + strays
        errors = exc.errors(include_url=False)
        if all(e["loc"] for e in errors):  # only fields failed: the checks across them did not run
            found += _contradictions(known, doc, {str(e["loc"][0]) for e in errors})
        raise PatientFileError(_ordered(found)) from None
    if prior or strays:
        raise PatientFileError(_ordered(prior + strays))
    return patient


def _key(key: object) -> str:
    return key if isinstance(key, str) and key else "(top level)"


def _contradictions(data: Mapping[str, Any], doc: YamlDocument, bad: set[str]) -> list[Diagnostic]:
    """The checks across fields, run on the fields that are valid on their own."""
    valid = {k: v for k, v in data.items() if k not in bad}
    try:
        Patient.model_validate(valid)
    except ValidationError as exc:
        return diagnostics_from_validation(exc, doc)
    return []


def _ordered(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    ordered = sorted(diagnostics, key=lambda d: (d.line or 0, d.col or 0))
    return ordered[:MAX_DIAGNOSTICS]


def load_patient(path: str | Path) -> Patient:
    """Load and validate a patient file (``.json``, ``.yaml`` or ``.yml``, or ``-`` for stdin).

    Raises :class:`PatientFileError` naming the file, line, column and field of every problem.
    """
    return load_patient_file(path)
