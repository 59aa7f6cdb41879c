"""Cohorts at scale: a rule set compiled to one SQL query, run by DuckDB (embedded),
PostgreSQL or Spark over a table of patients.

    >>> from visitation.cohort import evaluate_cohort, synthetic
    >>> result = evaluate_cohort(synthetic(1000, seed=1), "dk-national@2.0.0", on="2026-11-23")
    >>> result.summary().pathways  # doctest: +SKIP

Needs the optional dependencies of the ``cohort`` extra: ``pip install 'visitation[cohort]'``.
"""

from __future__ import annotations

try:
    import duckdb  # noqa: F401
    import pyarrow  # noqa: F401
    import sqlglot  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised with the extra hidden
    raise ImportError(
        "visitation.cohort needs the 'cohort' extra (duckdb, sqlglot, pyarrow): "
        "pip install 'visitation[cohort]'"
    ) from exc

from visitation.cohort._evaluate import CohortResult, evaluate_cohort
from visitation.cohort._input import CohortInputError
from visitation.cohort._layout import Column, Layout, layout
from visitation.cohort._patients import from_patients
from visitation.cohort._sql import DIALECTS, CohortQuery, compile_sql
from visitation.cohort._synthetic import synthetic

__all__ = [
    "DIALECTS",
    "CohortInputError",
    "CohortQuery",
    "CohortResult",
    "Column",
    "Layout",
    "compile_sql",
    "evaluate_cohort",
    "from_patients",
    "layout",
    "synthetic",
]
