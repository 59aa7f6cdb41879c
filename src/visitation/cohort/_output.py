"""Write results whole or not at all: a temporary file in the target's folder, renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

__all__ = ["ROW_GROUP_ROWS", "write_parquet", "write_parquet_batches"]

ROW_GROUP_ROWS = 122_880
"""Rows per Parquet row group of the files written here (DuckDB's own default): a
1,000,000-patient file has 9 row groups, so readers can spread it over their threads
(pyarrow's default of 1 Mi rows makes it one group, read by one thread at a time)."""


def write_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` to ``path`` as Parquet; on any error the target is left untouched."""
    import pyarrow.parquet as pq

    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    os.close(fd)
    try:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_parquet_batches(tables: Iterable[pa.Table], path: str | os.PathLike[str]) -> int:
    """Write tables of one schema to ``path`` as they come (bounded memory); the target
    appears only when all are written. Returns the number of rows."""
    import pyarrow.parquet as pq

    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    os.close(fd)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema), row_group_size=ROW_GROUP_ROWS)
            rows += table.num_rows
        if writer is not None:
            writer.close()
            writer = None
            os.replace(tmp, target)
        else:
            os.unlink(tmp)
    except BaseException:
        if writer is not None:
            writer.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return rows
