"""Run a cohort query on an engine: DuckDB (embedded, the default), PostgreSQL, Spark.

Each runner takes the input already in the portable layout (an Arrow table), puts it
where the engine reads it (DuckDB reads the Arrow table in place; PostgreSQL gets a
temporary table filled by COPY; Spark a temporary view), runs the query in the engine's
dialect and returns the result as an Arrow table.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pyarrow as pa

from visitation.cohort._sql import CohortQuery

__all__ = ["INPUT_TABLE", "dialect_of", "run"]

INPUT_TABLE = "visitation_cohort_input"
"""The name under which an engine sees the cohort table."""


def dialect_of(engine: Any) -> str:
    """The SQL dialect of an engine: ``None``/``"duckdb"``/a DuckDB connection, a psycopg
    connection (postgres) or a SparkSession (spark)."""
    if engine is None or engine == "duckdb":
        return "duckdb"
    module = type(engine).__module__
    if module.startswith(("duckdb", "_duckdb")):
        return "duckdb"
    if module.startswith("psycopg"):
        return "postgres"
    if module.startswith("pyspark"):
        return "spark"
    raise TypeError(
        f"unknown engine {engine!r}: use None or 'duckdb' (embedded), a DuckDB connection, "
        "a psycopg connection or a pyspark SparkSession"
    )


def run(query: CohortQuery, data: pa.Table, engine: Any) -> pa.Table:
    """The query's result on ``data`` in ``engine`` (see :func:`dialect_of`)."""
    dialect = dialect_of(engine)
    if dialect == "duckdb":
        return _duckdb(query, data, engine)
    if dialect == "postgres":
        return _postgres(query, data, engine)
    return _spark(query, data, engine)


DUCKDB_BATCH = 122_880
"""Rows per Arrow batch handed to DuckDB: its scan gives each thread whole batches, so a
table of one big chunk would run on one core."""


_EMBEDDED: dict[int, Any] = {}
"""Process id → the embedded database (a forked child makes its own)."""
_EMBEDDED_LOCK = threading.Lock()


def embedded() -> Any:
    """A connection of its own to this process's embedded in-memory DuckDB database, made
    on first use (a new database costs about 20 ms, a cursor on it next to nothing). Each
    call's connection sees only the views it registers itself, so calls from several
    threads do not meet; nobody else holds the database, so its settings (the input's
    row order kept, ``preserve_insertion_order``) stay DuckDB's defaults."""
    import duckdb

    with _EMBEDDED_LOCK:
        pid = os.getpid()
        if pid not in _EMBEDDED:
            _EMBEDDED.clear()
            _EMBEDDED[pid] = duckdb.connect()
        return _EMBEDDED[pid].cursor()


def _duckdb(query: CohortQuery, data: pa.Table, engine: Any) -> pa.Table:
    con = embedded() if engine is None or engine == "duckdb" else engine
    if data.num_rows > DUCKDB_BATCH:  # zero-copy slices
        data = pa.Table.from_batches(data.to_batches(max_chunksize=DUCKDB_BATCH), data.schema)
    try:
        con.register(INPUT_TABLE, data)
        try:
            result: pa.Table = con.sql(query.sql("duckdb")).to_arrow_table()
        finally:
            con.unregister(INPUT_TABLE)
    finally:
        if con is not engine:
            con.close()
    return result


_PG_TYPES = {
    "bool": "BOOLEAN",
    "int64": "BIGINT",
    "date32[day]": "DATE",
    "string": "TEXT",
    "large_string": "TEXT",
}


def _postgres_load(cur: Any, data: pa.Table) -> None:
    """Create the temporary input table and fill it with COPY (values never in the text)."""
    from psycopg import sql

    columns = [(f.name, _PG_TYPES.get(str(f.type), "TEXT")) for f in data.schema]
    create = sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
        sql.Identifier(INPUT_TABLE),
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))  # kind: fixed words
            for name, kind in columns
        ),
    )
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(INPUT_TABLE), sql.SQL(", ").join(sql.Identifier(n) for n, _ in columns)
    )
    cur.execute(create)
    names = [n for n, _ in columns]
    with cur.copy(copy) as cp:
        for batch in data.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                cp.write_row([row[n] for n in names])


def _postgres(query: CohortQuery, data: pa.Table, conn: Any) -> pa.Table:
    with conn.transaction(), conn.cursor() as cur:
        _postgres_load(cur, data)
        cur.execute(query.sql("postgres"))
        out_names = [d.name for d in cur.description]
        fetched = cur.fetchall()
    return pa.table({n: [r[i] for r in fetched] for i, n in enumerate(out_names)})


def _plain(data: pa.Table) -> pa.Table:
    """Dictionary-coded columns decoded (for engines that take plain Arrow types only)."""
    columns = [
        col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col
        for col in data.columns
    ]
    return pa.table(columns, names=data.column_names)


def _spark(query: CohortQuery, data: pa.Table, spark: Any) -> pa.Table:
    frame = spark.createDataFrame(_plain(data))
    frame.createOrReplaceTempView(INPUT_TABLE)
    try:
        result: pa.Table = spark.sql(query.sql("spark")).toArrow()
    finally:
        spark.catalog.dropTempView(INPUT_TABLE)
    return result
