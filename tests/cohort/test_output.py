"""The Parquet files the cohort extra writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from visitation.cohort._output import ROW_GROUP_ROWS, write_parquet, write_parquet_batches


def test_files_are_written_in_row_groups_of_at_most_122880_rows(tmp_path: Path) -> None:
    """A whole table and a stream of tables are both written in row groups of at most
    ROW_GROUP_ROWS (122,880) rows, so a reader can spread a large file over its threads."""
    assert ROW_GROUP_ROWS == 122_880
    table = pa.table({"patient_id": np.arange(300_000, dtype=np.int64)})
    whole, streamed = tmp_path / "whole.parquet", tmp_path / "streamed.parquet"
    write_parquet(table, whole)
    assert (
        write_parquet_batches([table.slice(0, 200_000), table.slice(200_000)], streamed) == 300_000
    )
    for path in (whole, streamed):
        meta = pq.ParquetFile(path).metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        assert sum(sizes) == 300_000 and max(sizes) <= ROW_GROUP_ROWS and len(sizes) >= 3
        assert pq.read_table(path).equals(table)
