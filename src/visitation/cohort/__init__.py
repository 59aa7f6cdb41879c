"""Cohorts at scale: a rule set compiled to one SQL query, run by DuckDB (embedded),
PostgreSQL or Spark over a table with one row per patient.

    >>> from visitation.cohort import evaluate_cohort, synthetic
    >>> result = evaluate_cohort(synthetic(1000, seed=1), "dk-national@2.0.0", on="2026-11-23")
    >>> len(result)
    1000

Needs the optional dependencies of the ``cohort`` extra: ``pip install 'visitation[cohort]'``
(``cohort-postgres`` / ``cohort-spark`` for those engines). See docs/cohort.md.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

_NEEDS = ("duckdb", "sqlglot", "pyarrow", "numpy")


def _present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # hidden (sys.modules[name] = None) or broken
        return False


_absent = [name for name in _NEEDS if not _present(name)]
if _absent:
    raise ImportError(
        f"visitation.cohort needs the 'cohort' extra (missing: {', '.join(_absent)}): "
        "pip install 'visitation[cohort]'"
    )

if TYPE_CHECKING:
    from visitation.cohort._evaluate import CohortResult, evaluate_cohort
    from visitation.cohort._impact import ImpactReport, impact
    from visitation.cohort._input import CohortInputError
    from visitation.cohort._layout import Column, Layout, layout
    from visitation.cohort._patients import from_patients
    from visitation.cohort._sql import DIALECTS, CohortQuery, compile_sql
    from visitation.cohort._summary import Summary
    from visitation.cohort._synthetic import synthetic

_WHERE = {
    "DIALECTS": "_sql",
    "CohortInputError": "_input",
    "CohortQuery": "_sql",
    "CohortResult": "_evaluate",
    "Column": "_layout",
    "Layout": "_layout",
    "ImpactReport": "_impact",
    "Summary": "_summary",
    "compile_sql": "_sql",
    "evaluate_cohort": "_evaluate",
    "from_patients": "_patients",
    "impact": "_impact",
    "layout": "_layout",
    "synthetic": "_synthetic",
}
"""Public names, imported on first use (so that ``visitation --help`` stays quick)."""

__all__ = [
    "DIALECTS",
    "CohortInputError",
    "CohortQuery",
    "CohortResult",
    "Column",
    "ImpactReport",
    "Layout",
    "Summary",
    "compile_sql",
    "evaluate_cohort",
    "from_patients",
    "impact",
    "layout",
    "synthetic",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"visitation.cohort.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'visitation.cohort' has no attribute {name!r}")
