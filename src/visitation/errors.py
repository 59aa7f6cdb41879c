"""Diagnostics and the exceptions that carry them.

A diagnostic holds its code, message, location and advice apart; it renders as
``path:line:col: code: message`` so editors and CI logs can jump to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Diagnostic",
    "NoRuleSetInForce",
    "PatientFileError",
    "RuleFileError",
    "UnknownRuleSet",
    "VisitationError",
    "did_you_mean",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a file: a stable code, a message and where it is."""

    code: str
    message: str
    path: str = "<input>"
    line: int | None = None
    col: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}:{self.col if self.col is not None else 1}"
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.code}: {self.message}"


class VisitationError(Exception):
    """Base of every error this library raises on purpose."""


class _DiagnosticsError(VisitationError):
    """An error that carries one or more located diagnostics."""

    #: how many diagnostics the message lists before it summarises the rest
    shown = 50

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        lines = [str(d) for d in self.diagnostics[: self.shown]]
        hidden = len(self.diagnostics) - self.shown
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


class RuleFileError(_DiagnosticsError):
    """A rule file could not be loaded: every problem found, each with its location."""


class PatientFileError(_DiagnosticsError):
    """Patient facts were invalid: every problem found, each naming its field."""


class UnknownRuleSet(VisitationError, LookupError):
    """No bundled rule set has that family or version."""


class NoRuleSetInForce(VisitationError, LookupError):
    """A family has no version in force on the evaluation date."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` suffix for an unknown name, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
