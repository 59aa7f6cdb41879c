"""The large-cohort paths (row groups read on two threads, checks in two halves, labels
beside DuckDB's query, missing lists in halves) and the validity-bitmap helpers give
exactly what the plain paths give."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from visitation.cohort import CohortInputError, _evaluate, evaluate_cohort, synthetic
from visitation.cohort._input import read_table, valid_bits, validity_bitmap

ON = date(2026, 12, 1)


@pytest.fixture(scope="module")
def cohort() -> pa.Table:
    """2,000 synthetic patients, as one table of several chunks."""
    whole = synthetic(2_000, seed=3, on=ON)
    return pa.Table.from_batches(whole.to_batches(max_chunksize=700))


@pytest.mark.parametrize("rules", ["dk-national", "dk-national@3.1.0", "dk-national@2.0.0"])
def test_threaded_paths_give_the_same_table(
    cohort: pa.Table, rules: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the threaded paths taken from one row on, the result table equals the plain
    paths' table, schema and metadata included."""
    monkeypatch.setattr(_evaluate, "PARALLEL_ROWS", 10**12)
    plain = evaluate_cohort(cohort, rules, on=ON).table
    monkeypatch.setattr(_evaluate, "PARALLEL_ROWS", 1)
    threaded = evaluate_cohort(cohort, rules, on=ON).table
    assert threaded.equals(plain, check_metadata=True)
    assert threaded.schema.equals(plain.schema, check_metadata=True)


def _with_nulls(n: int, seed: int) -> pa.Array:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 5, n)
    return pa.array(values, mask=rng.random(n) < 0.3)


@pytest.mark.parametrize("offset", [0, 3, 8, 13])
def test_valid_bits_and_bitmap_match_is_valid_at_any_offset(offset: int) -> None:
    """The unpacked validity and the re-based bitmap of a slice at any bit offset say what
    ``is_valid`` says, row by row."""
    arr = _with_nulls(1_000, offset).slice(offset, 900)
    expected = pc.is_valid(arr).to_pylist()
    assert valid_bits(arr).tolist() == expected
    bitmap = validity_bitmap(arr)
    assert bitmap is not None
    rebuilt = pa.Array.from_buffers(pa.bool_(), len(arr), [None, bitmap])
    assert rebuilt.to_pylist() == expected


def test_valid_bits_of_an_array_without_nulls_is_all_true() -> None:
    """An array without nulls has every row valid and no bitmap to carry."""
    arr = pa.array([1, 2, 3, 4])
    assert valid_bits(arr).tolist() == [True] * 4
    assert validity_bitmap(arr) is None


def test_age_bands_of_sliced_columns_with_gaps() -> None:
    """The age band counted from slices (odd offsets, nulls in both inputs) is the band of
    the recorded age, else of the birth date, else null."""
    ages = pa.chunked_array([pa.array([None, 17, None, 45, None, 95, None, 60]).slice(1)])
    days = [date(2000, 1, 1), None, date(1950, 6, 1), None, None, None, date(2010, 1, 1), None]
    born = pa.chunked_array([pa.array(days).slice(1)])
    bands = _evaluate.age_bands(ages, born, ON).cast(pa.string()).to_pylist()
    assert bands == ["0-17", "70-79", "40-59", None, "90+", "0-17", "60-69"]


@pytest.mark.parametrize("offset", [5, 8])
def test_set_columns_of_a_sliced_table_match_a_fresh_copy(cohort: pa.Table, offset: int) -> None:
    """A table sliced at a bit offset (its set columns' validity shifted) gives the result
    of the same rows copied into fresh arrays."""
    sliced = cohort.slice(offset, 600)
    fresh = pa.Table.from_pylist(sliced.to_pylist(), schema=sliced.schema)
    assert sliced.column("measures_tried").chunk(0).offset == offset
    got = evaluate_cohort(sliced, "dk-national@3.1.0", on=ON).table
    assert got.equals(evaluate_cohort(fresh, "dk-national@3.1.0", on=ON).table)


def _set(table: pa.Table, name: str, row: int, value: object) -> pa.Table:
    values = table.column(name).to_pylist()
    values[row] = value
    i = table.schema.get_field_index(name)
    return table.set_column(i, name, pa.array(values, table.schema.field(name).type))


def test_halves_report_the_error_the_whole_batch_reports(
    cohort: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a bad later fact in the first half and a bad earlier fact in the second, the
    threaded check names the same column and row as the check of the whole batch."""
    bad = _set(_set(cohort, "prognosis", 10, "forever"), "age", 1_500, 400)
    bad = pa.Table.from_batches(bad.to_batches(max_chunksize=700))
    messages = []
    for rows in (10**12, 1):
        monkeypatch.setattr(_evaluate, "PARALLEL_ROWS", rows)
        with pytest.raises(CohortInputError) as caught:
            evaluate_cohort(bad, "dk-national@3.1.0", on=ON)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "'age', row 1501" in messages[0]


def test_row_groups_read_on_two_threads_are_the_file_in_order(
    cohort: pa.Table, tmp_path: Path
) -> None:
    """A file of seven row groups read on two threads is the file's rows in order, and
    evaluates as the same patients given as a table."""
    path = tmp_path / "cohort.parquet"
    pq.write_table(cohort, path, row_group_size=300)
    assert pq.ParquetFile(path).num_row_groups == 7
    read = read_table(path)
    assert read.column("patient_id").equals(cohort.column("patient_id"))
    assert (
        read.column("referral_contents").to_pylist()
        == cohort.column("referral_contents").to_pylist()
    )
    from_file = evaluate_cohort(path, "dk-national@3.1.0", on=ON).table
    assert from_file.equals(evaluate_cohort(cohort, "dk-national@3.1.0", on=ON).table)
