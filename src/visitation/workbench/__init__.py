"""The guideline author's workbench: diff, checks across versions, case files, sign-off.

Layered like an extra (no third-party packages; the core never imports it):

- :func:`diff` compares two rule sets rule by rule (:class:`RuleSetDiff`, with
  ``.to_json()``, ``.render(format, lang=)`` and ``_repr_html_``), each change weighed
  MAJOR, MINOR or PATCH, and checks the second against the first;
- :func:`check_versions` runs the checks across the versions of a family on one file
  (``visitation check`` runs them too): the version step, the change list, the effective
  dates, provisional wording under ``status: published``, and ``released.lock``;
- :mod:`visitation.workbench.cases` reads and runs case files (``visitation test``);
- :func:`render_show` writes a rule set for clinical sign-off (``visitation show``);
- :func:`condition_words` says a condition in Danish or English.

docs/workbench.md describes the commands and the decisions behind the checks.
"""

from visitation.workbench._api import diff
from visitation.workbench.cases import (
    CASE_FILE_SCHEMA,
    Case,
    CaseFile,
    CaseResult,
    Coverage,
    load_case_file,
    run_case,
)
from visitation.workbench.diff import FieldChange, ItemChange, RuleSetDiff, compare
from visitation.workbench.show import render_show
from visitation.workbench.versions import LOCK_NAME, lock_lines, read_lock
from visitation.workbench.versions import check_path as check_versions
from visitation.workbench.words import Words, condition_words

__all__ = [
    "CASE_FILE_SCHEMA",
    "LOCK_NAME",
    "Case",
    "CaseFile",
    "CaseResult",
    "Coverage",
    "FieldChange",
    "ItemChange",
    "RuleSetDiff",
    "Words",
    "check_versions",
    "compare",
    "condition_words",
    "diff",
    "load_case_file",
    "lock_lines",
    "read_lock",
    "render_show",
    "run_case",
]
