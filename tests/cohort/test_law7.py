"""Law 7, one truth: every engine's per-patient results equal the reference evaluator's."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort._law7 import DATES, assert_agrees, cohorts, compiled_rule_sets
from visitation import CompiledRuleSet

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@settings(max_examples=120, deadline=None, suppress_health_check=_SLOW)
@given(data=st.data(), rules=compiled_rule_sets(), on=st.sampled_from(DATES))
def test_duckdb_agrees_with_the_reference(
    data: st.DataObject, rules: CompiledRuleSet, on: date
) -> None:
    """DuckDB's statuses, verdicts and missing facts equal evaluate_core's for generated patients."""
    ps = data.draw(cohorts(on, 40))
    assert_agrees(ps, rules, on, None)


@settings(max_examples=25, deadline=None, suppress_health_check=_SLOW)
@given(data=st.data(), rules=compiled_rule_sets(), on=st.sampled_from(DATES))
def test_postgres_agrees_with_the_reference(
    postgres: Any, data: st.DataObject, rules: CompiledRuleSet, on: date
) -> None:
    """A real PostgreSQL 15 gives the reference evaluator's results for generated patients."""
    ps = data.draw(cohorts(on, 30))
    assert_agrees(ps, rules, on, postgres)


@settings(max_examples=10, deadline=None, suppress_health_check=_SLOW)
@given(data=st.data(), rules=compiled_rule_sets(), on=st.sampled_from(DATES))
def test_spark_agrees_with_the_reference(
    spark: Any, data: st.DataObject, rules: CompiledRuleSet, on: date
) -> None:
    """A local Spark session gives the reference evaluator's results for generated patients."""
    ps = data.draw(cohorts(on, 30))
    assert_agrees(ps, rules, on, spark)
