"""Reading cohort tables of every supported kind, and clear errors for bad ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from visitation.cohort import CohortInputError, evaluate_cohort, from_patients, synthetic

ON = date(2026, 11, 23)
RULES = "dk-national@2.0.0"


def _small() -> pa.Table:
    return synthetic(300, seed=7, on=ON)


def _core(table: pa.Table) -> list[dict[str, Any]]:
    """The result rows by id (CSV ids are text: compared as text)."""
    rows = evaluate_cohort(table, RULES, on=ON).table.to_pylist()
    return sorted(({**r, "patient_id": str(r["patient_id"])} for r in rows),
                  key=lambda r: int(r["patient_id"]))  # fmt: skip


def _csv(table: pa.Table, path: Path) -> None:
    """The table as CSV: sets and scores as JSON arrays, as docs/cohort.md says."""
    import json

    columns = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            columns[name] = pa.array(
                [None if v is None else json.dumps(v) for v in col.to_pylist()], pa.string()
            )
        else:
            columns[name] = col
    pcsv.write_csv(pa.table(columns), path)


def test_every_input_kind_gives_the_same_result(tmp_path: Path) -> None:
    """Parquet, CSV, pandas, polars, pyarrow and a DuckDB relation give identical results."""
    table = _small()
    expected = _core(table)
    parquet = tmp_path / "c.parquet"
    pq.write_table(table, parquet)
    csv = tmp_path / "c.csv"
    _csv(table, csv)
    con = duckdb.connect()
    relation = con.from_arrow(table)
    for source in (parquet, str(csv), table.to_pandas(), pl.from_arrow(table), relation):
        assert _core(source) == expected, type(source)


def test_a_portable_layout_table_is_read_as_is() -> None:
    """A table already in the portable layout (member columns) gives the same result."""
    from visitation import resolve
    from visitation.cohort import compile_sql
    from visitation.cohort._input import to_layout

    table = _small()
    query = compile_sql(resolve(RULES, ON), ON)
    portable = to_layout(table, "patient_id", query.layout, keep=["region"])
    assert _core(portable) == _core(table)


def test_unknown_column_names_a_fact_it_resembles() -> None:
    """A column that is not a fact is refused with a did-you-mean."""
    table = _small().rename_columns(
        ["prognose" if n == "prognosis" else n for n in _small().column_names]
    )
    with pytest.raises(
        CohortInputError, match=r"column 'prognose' is not a fact \(did you mean 'prognosis'\?\)"
    ):
        evaluate_cohort(table, RULES, on=ON)


def test_wrong_type_names_column_and_first_bad_row(tmp_path: Path) -> None:
    """A value of the wrong type is reported with its column, first bad row and patient id."""
    csv = tmp_path / "bad.csv"
    csv.write_text("patient_id,age,incurable\n1,70,true\n2,seventy,false\n3,x,true\n")
    with pytest.raises(
        CohortInputError,
        match=r"column 'age', row 2 \(patient '2'\): 'seventy' is not a whole number",
    ):
        evaluate_cohort(csv, RULES, on=ON)
    csv.write_text("patient_id,incurable\n1,true\n2,yes\n")
    with pytest.raises(
        CohortInputError, match=r"column 'incurable', row 2 .*'yes' is not true or false"
    ):
        evaluate_cohort(csv, RULES, on=ON)
    csv.write_text("patient_id,eortc_date\n1,2026-02-30\n")
    with pytest.raises(
        CohortInputError, match=r"column 'eortc_date', row 1 .*'2026-02-30' is not a valid date"
    ):
        evaluate_cohort(csv, RULES, on=ON)
    table = pa.table({"patient_id": [1, 2], "incurable": pa.array(["a", "b"])}).cast(
        pa.schema([("patient_id", pa.int64()), ("incurable", pa.string())])
    )
    with pytest.raises(CohortInputError, match="column 'incurable', row 1"):
        evaluate_cohort(table, RULES, on=ON)
    floats = pa.table({"patient_id": [1, 2], "age": [70.0, 70.5]})
    with pytest.raises(CohortInputError, match=r"column 'age', row 2 .*70.5 is not a whole number"):
        evaluate_cohort(floats, RULES, on=ON)


def test_values_outside_the_vocabulary_or_range_are_refused() -> None:
    """A choice outside its vocabulary (with a did-you-mean), an age above 130, an unknown set
    member and both age and birth date are refused, naming the row."""
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"prognosis": ["weeks", "weks"]},
            r"column 'prognosis', row 2 .*'weks' is not one of .*did you mean 'weeks'",
        ),
        ({"age": [70, 131]}, r"column 'age', row 2 .*131 is above 130"),
        (
            {"problem_domains": [["physical"], ["socail"]]},
            r"column 'problem_domains', row 2 .*'socail'",
        ),
        (
            {"age": [70, 71], "birth_date": [None, date(1950, 1, 1)]},
            r"row 2 .*both age and birth_date",
        ),
    ]
    for columns, message in cases:
        table = pa.table({"patient_id": [1, 2], **columns})
        with pytest.raises(CohortInputError, match=message):
            evaluate_cohort(table, RULES, on=ON)


def test_missing_id_column_and_duplicate_ids_are_refused() -> None:
    """Without the id column, or with an id twice, nothing is evaluated."""
    table = from_patients([{"age": 70}, {"age": 80}])
    with pytest.raises(CohortInputError, match=r"no id column 'cpr'; columns: patient_id"):
        evaluate_cohort(table, RULES, on=ON, id_column="cpr")
    twice = from_patients([{"age": 70}, {"age": 80}, {"age": 90}], ids=["a", "b", "a"])
    with pytest.raises(CohortInputError, match=r"duplicate patient id 'a' \(rows 1 and 3\)"):
        evaluate_cohort(twice, RULES, on=ON)


def test_an_unsupported_input_is_refused() -> None:
    """A list of dicts is not a cohort table: the error says what is."""
    with pytest.raises(CohortInputError, match="Parquet or CSV path"):
        evaluate_cohort([{"age": 70}], RULES, on=ON)
    with pytest.raises(CohortInputError, match="no such file"):
        evaluate_cohort("/nonexistent/cohort.parquet", RULES, on=ON)


def test_pandas_gaps_in_integer_columns_are_not_recorded() -> None:
    """pandas holds a missing whole number as NaN: it reads as not recorded."""
    frame = pd.DataFrame({"patient_id": [1, 2], "age": [70, None]})
    rows = _core(frame)
    assert rows[1]["specialized.adult"] is None
    assert rows[0]["specialized.adult"] is True


def test_batches_give_the_same_result_and_global_row_numbers(tmp_path: Path) -> None:
    """A Parquet cohort read in small batches gives the whole-table result and summary; a bad
    value and a duplicate id in a later batch are reported with their row in the file."""
    from visitation.cohort._evaluate import iter_cohort
    from visitation.cohort._summary import merge

    table = _small()
    path = tmp_path / "c.parquet"
    pq.write_table(table, path, row_group_size=64)
    whole = evaluate_cohort(table, RULES, on=ON)
    batched = evaluate_cohort(path, RULES, on=ON, batch_rows=70)
    assert batched.table.to_pylist() == whole.table.to_pylist()
    parts = list(iter_cohort(path, RULES, on=ON, batch_rows=70))
    assert len(parts) > 1  # whole row groups, about 70 rows a batch
    assert merge([p.summary() for p in parts]).to_dict() == whole.summary().to_dict()

    ages = table.column("age").to_pylist()
    ages[249] = 140
    pq.write_table(table.set_column(1, "age", pa.array(ages, pa.int64())), path)
    with pytest.raises(
        CohortInputError, match=r"column 'age', row 250 \(patient 250\): 140 is above 130"
    ):
        evaluate_cohort(path, RULES, on=ON, batch_rows=70)
    ids = table.column("patient_id").to_pylist()
    ids[280] = 3
    pq.write_table(table.set_column(0, "patient_id", pa.array(ids)), path)
    with pytest.raises(CohortInputError, match=r"duplicate patient id 3 \(rows 3 and 281\)"):
        evaluate_cohort(path, RULES, on=ON, batch_rows=70)


def test_row_groups_are_checked_each_on_its_own_with_file_row_numbers(tmp_path: Path) -> None:
    """A Parquet file of several row groups (each with its own dictionaries) read as one batch
    gives the one-table result, and a bad choice or set member in a later row group names its
    row in the file."""
    table = _small()
    path = tmp_path / "c.parquet"
    pq.write_table(table, path, row_group_size=64)
    assert pq.ParquetFile(path).num_row_groups == 5
    assert evaluate_cohort(path, RULES, on=ON).table.equals(
        evaluate_cohort(table, RULES, on=ON).table
    )
    for name, row, value, message in (
        ("prognosis", 199, "weks", r"column 'prognosis', row 200 \(patient 200\): 'weks'"),
        ("problem_domains", 230, ["socail"], r"column 'problem_domains', row 231 \(patient 231\)"),
    ):
        values = table.column(name).to_pylist()
        values[row] = value
        k = table.schema.get_field_index(name)
        bad = table.set_column(k, name, pa.array(values, table.schema.field(name).type))
        pq.write_table(bad, path, row_group_size=64)
        with pytest.raises(CohortInputError, match=message):
            evaluate_cohort(path, RULES, on=ON)


def test_a_portable_table_without_a_needed_member_column_is_refused() -> None:
    """A free-text set given only by its size cannot answer a rule naming one of its values."""
    from visitation import compile_ruleset

    portable = synthetic(50, seed=1, on=ON, portable=True)
    assert "measures_tried__size" in portable.column_names
    assert _core(portable) == _core(synthetic(50, seed=1, on=ON))
    rs = compile_ruleset(_one_rule({"fact": "measures_tried", "contains": "laxatives"}))
    with pytest.raises(CohortInputError, match=r"column 'measures_tried__v0' is missing"):
        evaluate_cohort(portable, rs, on=ON)


def _one_rule(when: dict[str, Any]) -> Any:
    from visitation import RuleSet

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
        }
    )  # fmt: skip
