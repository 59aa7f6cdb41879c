"""Naming a rule set on the command line: ``family@version``, ``family`` or a path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from visitation import Library, RuleSet, UnknownRuleSet

__all__ = ["Named", "is_path", "named"]


def is_path(text: str) -> bool:
    """Whether a rule set argument is a path (rather than ``family[@version]``)."""
    return text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text


@dataclass(frozen=True, slots=True)
class Named:
    """A rule set, how it was named, and its file."""

    ruleset: RuleSet
    label: str
    path: Path


def named(spec: str | Path | RuleSet, library: Library) -> Named:
    """The rule set a spec names (a bare family is refused: name a version)."""
    if isinstance(spec, RuleSet):
        return Named(spec, spec.key, Path(f"<{spec.key}>"))
    text = str(spec)
    if isinstance(spec, Path) or is_path(text):
        path = Path(text)
        return Named(library.load(path), text, path)
    family, _, version = text.partition("@")
    if not version:
        raise UnknownRuleSet(f"'{text}' names a family: name a version ('{text}@X.Y.Z') or a file")
    rs = library.load(text)
    path = next(
        (i.path for i in library.list_rulesets() if i.family == family and i.version == version),
        Path(f"<{text}>"),
    )
    return Named(rs, text, path)
