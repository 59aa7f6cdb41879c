"""The compiled query: every operator's SQL form, every dialect, values only as literals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from visitation import BACKENDS, OPERATORS, RuleSet, compile_ruleset, resolve
from visitation.cohort import DIALECTS, compile_sql, evaluate_cohort, from_patients
from visitation.cohort._engines import INPUT_TABLE
from visitation.cohort._input import to_layout

ON = date(2026, 11, 23)


def _ruleset(when: dict[str, Any], **extra: Any) -> RuleSet:
    texts = {"met": {"en": "met"}, "not_met": {"en": "not met"}, "unknown": {"en": "unknown"}}
    return RuleSet.model_validate(
        {
            "format": 1, "family": "t", "version": "1.0.0", "status": "draft",
            "effective_from": "2020-01-01", "publisher": "tests", "title": {"en": "t"},
            "languages": ["en"], "sources": [{"id": "s", "title": "s", "publisher": "tests"}],
            "pathways": {"p": {"title": {"en": "p"}, "requires": ["g"]}},
            "rules": [{"id": "g.r", "group": "g", "title": {"en": "r"}, "when": when,
                       "explain": texts, "source": {"ref": "s", "section": "1"},
                       "provenance": "published"}],
            "changes": [{"version": "1.0.0", "date": "2026-11-23", "summary": "t"}],
            **extra,
        }
    )  # fmt: skip


LEAVES: dict[str, dict[str, Any]] = {
    "equals": {"fact": "referrer", "equals": "gp"},
    "not_equals": {"fact": "age", "not_equals": 18},
    "in": {"fact": "prognosis", "in": ["days", "weeks"]},
    "not_in": {"fact": "diagnosis_code", "not_in": ["C34.9"]},
    "at_least": {"fact": "age", "at_least": 18},
    "at_most": {"fact": "reception_wait_days", "at_most": 10},
    "greater_than": {"fact": "symptom_count", "greater_than": 2},
    "less_than": {"fact": "spict_general_count", "less_than": 3},
    "is": {"fact": "incurable", "is": True},
    "recorded": {"fact": "age", "recorded": False},
    "contains": {"fact": "measures_tried", "contains": "laxatives"},
    "contains_any": {"fact": "problem_domains", "contains_any": ["social", "existential"]},
    "contains_all": {"fact": "referral_contents", "contains_all": ["diagnosis", "gp"]},
    "size_at_least": {"fact": "eortc_items", "size_at_least": 15},
    "within_days": {"fact": "eortc_date", "within_days": 30},
}


def test_the_sql_backend_is_registered_and_every_operator_has_its_form() -> None:
    """The operator table lists the sql backend and gives every operator a parseable form."""
    assert "sql" in BACKENDS
    for name, op in OPERATORS.items():
        sqlglot.parse_one(op.forms["sql"], read="duckdb")
        assert name in LEAVES, f"add a leaf for {name} to LEAVES"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_compiles_in_every_dialect(name: str) -> None:
    """A rule with the operator compiles, and each dialect's text parses back with sqlglot."""
    compiled = compile_ruleset(_ruleset(LEAVES[name]))
    for dialect in DIALECTS:
        text = compile_sql(compiled, ON, dialect=dialect).sql(dialect)
        assert sqlglot.parse_one(text, read=dialect) is not None


def test_rule_values_are_literals_never_identifiers() -> None:
    """Every value of a rule file reaches the query as a literal node; identifiers are only
    layout columns, result aliases and the input table."""
    hostile = "x'); DROP TABLE cohort; --"
    when = {"all": [{"fact": "diagnosis_code", "equals": hostile},
                    {"fact": "measures_tried", "contains": hostile},
                    {"fact": "age", "at_least": 18}]}  # fmt: skip
    compiled = compile_ruleset(_ruleset(when))
    query = compile_sql(compiled, ON)
    literals = {lit.this for lit in query.tree.find_all(exp.Literal)}
    assert hostile in literals
    allowed = {c.name for c in query.layout.columns} | {"s", "cohort", "patient_id", "age_band",
                                                         "diagnosis_group", "g.r", "verdict:p",
                                                         "missing:p:0"}  # fmt: skip
    names = {i.this for i in query.tree.find_all(exp.Identifier)}
    made = {
        n for n in names if n.startswith(("node:", "value:")) or (n[0] == "l" and n[1:].isdigit())
    }
    assert names - made <= allowed, names - made - allowed
    # and it runs: the hostile text is data
    table = from_patients([{"diagnosis_code": "x", "measures_tried": [hostile], "age": 70}])
    row = evaluate_cohort(table, compiled, on=ON).table.to_pylist()[0]
    assert row["g.r"] is False


def _cli_sql(capsys: pytest.CaptureFixture[str], dialect: str, table: str) -> str:
    from visitation.cli import main

    assert main(["sql", "--rules", "dk-national@2.0.0", "--dialect", dialect,
                 "--on", ON.isoformat(), "--table", table]) == 0  # fmt: skip
    return capsys.readouterr().out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_visitation_sql_prints_a_query_sqlglot_reads(
    capsys: pytest.CaptureFixture[str], dialect: str
) -> None:
    """`visitation sql --dialect D` prints one statement that sqlglot parses in D."""
    text = _cli_sql(capsys, dialect, "cohort")
    statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Select)


def _portable(n: int) -> Any:
    from visitation.cohort import synthetic

    compiled = resolve("dk-national@2.0.0", ON)
    query = compile_sql(compiled, ON)
    return compiled, to_layout(synthetic(n, seed=5, on=ON), "patient_id", query.layout,
                               keep=["diagnosis_group"])  # fmt: skip


def test_visitation_sql_output_runs_on_postgres(
    capsys: pytest.CaptureFixture[str], postgres: Any
) -> None:
    """The printed PostgreSQL query runs on a real server and agrees with DuckDB."""
    from visitation.cohort._engines import _postgres_load

    compiled, data = _portable(200)
    text = _cli_sql(capsys, "postgres", INPUT_TABLE)
    expected = evaluate_cohort(data, compiled, on=ON).table
    with postgres.transaction(), postgres.cursor() as cur:
        _postgres_load(cur, data)
        cur.execute(text.rstrip().rstrip(";"))
        names = [d.name for d in cur.description]
        rows = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    for row in expected.to_pylist():
        got = rows[row["patient_id"]]
        for rid, _ in (*((c.rule.id, 0) for c in compiled.rules),):
            assert got[rid] == row[rid]
        assert got["verdict:hospice"] == row["verdict:hospice"]


def test_visitation_sql_output_runs_on_spark(
    capsys: pytest.CaptureFixture[str], spark: Any
) -> None:
    """The printed Spark SQL query runs on a local Spark session and agrees with DuckDB."""
    compiled, data = _portable(200)
    text = _cli_sql(capsys, "spark", INPUT_TABLE)
    expected = {
        r["patient_id"]: r for r in evaluate_cohort(data, compiled, on=ON).table.to_pylist()
    }
    spark.createDataFrame(data).createOrReplaceTempView(INPUT_TABLE)
    try:
        got = spark.sql(text.rstrip().rstrip(";")).toArrow().to_pylist()
    finally:
        spark.catalog.dropTempView(INPUT_TABLE)
    assert len(got) == len(expected)
    for row in got:
        want = expected[row["patient_id"]]
        assert all(row[c.rule.id] == want[c.rule.id] for c in compiled.rules)
        assert row["verdict:specialized"] == want["verdict:specialized"]


def test_an_unknown_dialect_is_refused() -> None:
    """compile_sql names the dialects it knows."""
    with pytest.raises(ValueError, match="unknown SQL dialect 'oracle'"):
        compile_sql(resolve("dk-national@2.0.0", ON), ON, dialect="oracle")


def test_a_parquet_cohort_runs_on_spark(tmp_path: Any, spark: Any) -> None:
    """A Parquet input (its text read dictionary-coded) evaluates on Spark as on DuckDB."""
    import pyarrow.parquet as pq

    from visitation.cohort import synthetic

    path = tmp_path / "c.parquet"
    pq.write_table(synthetic(120, seed=8, on=ON), path)
    duck = evaluate_cohort(path, "dk-national@2.0.0", on=ON).table.to_pylist()
    got = evaluate_cohort(path, "dk-national@2.0.0", on=ON, engine=spark).table.to_pylist()
    assert sorted(got, key=lambda r: r["patient_id"]) == duck


def test_missing_facts_beyond_one_mask_word_agree_with_the_reference() -> None:
    """A pathway with more fact occurrences than one mask word holds (62) lists its
    missing facts from both words, in the reference evaluator's order."""
    from itertools import product

    from visitation import evaluate_core

    when = {"any": [*({"fact": "age", "at_least": k} for k in range(64)),
                    {"fact": "incurable", "is": True},
                    {"fact": "prognosis", "in": ["days"]}, {"fact": "age", "at_most": 10}]}  # fmt: skip
    compiled = compile_ruleset(_ruleset(when))
    (pathway,) = compile_sql(compiled, ON).pathways
    assert len(pathway.masks) == 2
    facts = [
        {k: v for k, v in {"age": a, "incurable": i, "prognosis": g}.items() if v is not None}
        for a, i, g in product((None, 70), (None, True, False), (None, "days", "longer"))
    ]
    rows = evaluate_cohort(from_patients(facts), compiled, on=ON).table.to_pylist()
    for f, row in zip(facts, rows, strict=True):
        core = evaluate_core(
            compiled, {**dict.fromkeys(("age", "incurable", "prognosis")), **f}, ON
        )
        assert row["missing:p"] == core.missing[0], (f, row["missing:p"], core.missing[0])
        assert row["verdict:p"] == core.verdicts[0]
