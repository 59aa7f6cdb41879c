"""Read a rule file: strict YAML → pydantic RuleSet → static checks.

Every problem is reported at once (up to a cap), each as ``path:line:col: code: message``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from visitation._pydantic_errors import MAX_DIAGNOSTICS, diagnostics_from_validation
from visitation._yaml import load_yaml, read_source
from visitation.check import CheckedRuleSet, check_parts, check_ruleset
from visitation.errors import Code, Diagnostic, RuleFileError
from visitation.ruleset import (
    AllOf,
    AnyOf,
    AtLeastNOf,
    Change,
    Citation,
    Explanations,
    Leaf,
    Not,
    Pathway,
    Rule,
    RuleChange,
    RuleSet,
    Source,
    Use,
    _NOf,
    content_hash,
)

__all__ = [
    "MAX_DIAGNOSTICS",
    "check_file",
    "check_text",
    "load_checked_file",
    "load_ruleset_file",
    "parse_ruleset",
]


def _known_keys() -> set[str]:
    models: list[type[BaseModel]] = [
        RuleSet, Rule, Pathway, Source, Change, RuleChange, Citation, Explanations,
        Leaf, AllOf, AnyOf, Not, AtLeastNOf, _NOf, Use,
    ]  # fmt: skip
    return {f.alias or name for m in models for name, f in m.model_fields.items()}


_KNOWN_KEYS = _known_keys()


def parse_ruleset(text: str | bytes, *, path: str) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Parse and check rule-file text; the RuleSet is None when there are errors."""
    doc = load_yaml(text, path=path)
    diagnostics = list(doc.diagnostics)
    if any(d.severity == "error" for d in diagnostics) or doc.data is None:
        if doc.data is None and not diagnostics:
            diagnostics.append(doc.diagnostic(Code.EMPTY_FILE, "the file holds no rule set"))
        return None, diagnostics[:MAX_DIAGNOSTICS]
    try:
        ruleset = RuleSet.model_validate(doc.data)
    except ValidationError as exc:
        diagnostics += diagnostics_from_validation(exc, doc, known_keys=_KNOWN_KEYS)
        diagnostics += check_parts(doc.data, doc)
        return None, _sorted(diagnostics)
    diagnostics += check_ruleset(ruleset, doc)
    if any(d.severity == "error" for d in diagnostics):
        return None, _sorted(diagnostics)
    return ruleset, _sorted(diagnostics)


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    ordered = sorted(diagnostics, key=lambda d: (d.line or 0, d.col or 0))
    return ordered[:MAX_DIAGNOSTICS]


def check_text(text: str | bytes, *, path: str = "<input>") -> list[Diagnostic]:
    """Every problem in rule-file text, errors and warnings."""
    return parse_ruleset(text, path=path)[1]


def check_file(path: str | Path) -> list[Diagnostic]:
    """Every problem in a rule file, errors and warnings (an unreadable file is one error)."""
    data = read_source(path)
    if isinstance(data, Diagnostic):
        return [data]
    return check_text(data, path=str(path))


def load_ruleset_file(path: str | Path) -> RuleSet:
    """Load and check one rule file; :class:`RuleFileError` lists every error found."""
    return load_checked_file(path).ruleset


def load_checked_file(path: str | Path) -> CheckedRuleSet:
    """Load and check one rule file, keeping what the check found (its warnings)."""
    data = read_source(path)
    if isinstance(data, Diagnostic):
        raise RuleFileError([data])
    ruleset, diagnostics = parse_ruleset(data, path=str(path))
    if ruleset is None:
        raise RuleFileError([d for d in diagnostics if d.severity == "error"])
    return CheckedRuleSet(ruleset, content_hash(ruleset), tuple(diagnostics))
