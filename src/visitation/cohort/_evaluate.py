"""``evaluate_cohort``: every patient of a table through one rule set's query."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from visitation import CompiledRuleSet, resolve
from visitation.cohort._engines import INPUT_TABLE, dialect_of, run
from visitation.cohort._input import (
    EXTRA_COLUMNS,
    check_ids,
    check_names,
    read_batches,
    to_layout,
    valid_bits,
)
from visitation.cohort._sql import (
    AGE_BANDS,
    GROUP_COLUMNS,
    MASK_BITS,
    CohortQuery,
    PathwayColumns,
    age_cutoff,
    compile_sql,
)

__all__ = ["BATCH_ROWS", "CohortResult", "evaluate_cohort", "iter_cohort"]

METADATA_KEYS = ("visitation.ruleset", "visitation.content_hash", "visitation.evaluated_on")


class Progress(Protocol):
    """Told each stage of a run, and after each batch how many patients are done of how
    many (``total`` is 0 when the input's size is not known before it is read)."""

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None: ...


def _quiet(stage: str, done: int = 0, total: int = 0) -> None:
    """The progress of a run nobody watches."""


@dataclass(frozen=True)
class CohortResult:
    """One row per patient: the id, every rule's and indicator's status (true met, false
    not met, null unknown), per pathway ``verdict:<id>`` (true eligible, false not
    eligible, null indeterminate) and ``missing:<id>`` (the facts to record, in the
    reference evaluator's order), and the group columns (``age_band``, and
    ``diagnosis_group`` / ``region`` when the input has them). The table's schema metadata
    holds the rule set key, its content hash and the evaluation date."""

    table: pa.Table
    query: CohortQuery

    @property
    def ruleset_key(self) -> str:
        return self.query.ruleset_key

    @property
    def content_hash(self) -> str:
        return self.query.content_hash

    @property
    def on(self) -> date:
        return self.query.on

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def summary(self) -> Any:
        """Counts per pathway × verdict, per rule × status and per group."""
        from visitation.cohort._summary import summarise

        return summarise(self)

    def _repr_html_(self) -> str:
        """The summary and the first rows, for Jupyter."""
        from visitation.cohort._html import result_html

        return result_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.summary().render(), "text/html": self._repr_html_()}

    def write(self, path: Any) -> None:
        """Write the table as Parquet (a temporary file renamed into place)."""
        from visitation.cohort._output import write_parquet

        write_parquet(self.table, path)


def _as_date(on: date | str) -> date:
    if isinstance(on, date):
        return on
    try:
        return date.fromisoformat(on)
    except (TypeError, ValueError):
        raise ValueError(f"evaluation date must be a date or 'YYYY-MM-DD', not {on!r}") from None


BATCH_ROWS = 1_000_000
"""Patients per batch: a Parquet input larger than this is read and evaluated in batches."""


def evaluate_cohort(
    table: Any,
    rules: str | Any = "dk-national",
    *,
    on: date | str,
    engine: Any = None,
    id_column: str = "patient_id",
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> CohortResult:
    """Evaluate every patient of ``table`` against a rule set on a date.

    ``table``: a Parquet or CSV path, a pandas or polars DataFrame, a pyarrow Table or a
    DuckDB relation, one row per patient (``id_column`` and fact columns). ``engine``:
    ``None`` (embedded DuckDB), a DuckDB connection, a psycopg connection or a SparkSession.
    The whole input is checked before anything is returned (:class:`CohortInputError`).
    """
    parts = list(iter_cohort(table, rules, on=on, engine=engine, id_column=id_column,
                             progress=progress, batch_rows=batch_rows))  # fmt: skip
    if len(parts) == 1:
        return parts[0]
    merged = pa.concat_tables([p.table for p in parts], promote_options="default")
    return CohortResult(
        merged.replace_schema_metadata(parts[0].table.schema.metadata), parts[0].query
    )


def iter_cohort(
    table: Any,
    rules: str | Any = "dk-national",
    *,
    on: date | str,
    engine: Any = None,
    id_column: str = "patient_id",
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[CohortResult]:
    """:func:`evaluate_cohort` batch by batch (bounded memory for large Parquet inputs):
    the ids are checked over the whole table first, each batch's values before it runs."""
    day = _as_date(on)
    step: Progress = progress or _quiet
    compiled: CompiledRuleSet = resolve(rules, day)
    step("reading")
    dialect = dialect_of(engine)
    queries: dict[tuple[str, ...], CohortQuery] = {}

    def query_for(names: list[str]) -> CohortQuery:
        groups = tuple(g for g in GROUP_COLUMNS if g in names)
        if groups not in queries:
            queries[groups] = compile_sql(compiled, day, table=INPUT_TABLE, id_column=id_column,
                                          dialect=dialect, groups=groups)  # fmt: skip
        return queries[groups]

    def wanted(names: list[str]) -> list[str]:
        """The input columns the query needs: the id, the facts it reads, the groups."""
        q = query_for(names)
        needed = facts_read(q)
        return [n for n in names if n == id_column or n in needed or n in q.groups
                or (n in lay_facts(q) and lay_facts(q)[n] in needed)]  # fmt: skip

    names, ids, batches = read_batches(table, id_column, batch_rows, wanted)
    query = query_for(names)
    check_names(names, id_column, query.layout)
    if ids is not None:
        check_ids(ids, id_column)
    total = 0 if ids is None else len(ids)
    keep = [g for g in EXTRA_COLUMNS if g in query.groups]
    needed = facts_read(query)
    for offset, batch in batches:
        step(f"checking patients {offset + 1}-{offset + batch.num_rows} of {total}")
        convert = functools.partial(to_layout, id_column=id_column, lay=query.layout,
                                    keep=keep, ids_checked=True, facts=needed,
                                    columns=query.inputs)  # fmt: skip
        data = _in_halves(convert, batch, offset)
        step(f"evaluating patients {offset + 1}-{offset + batch.num_rows} of {total}")
        result = CohortResult(assemble(query, _run(query, data, engine)), query)
        step("evaluated", offset + batch.num_rows, total)
        yield result


def _in_halves(convert: Callable[..., pa.Table], batch: pa.Table, offset: int) -> pa.Table:
    """``convert(table, offset=…)`` of a batch; from ``PARALLEL_ROWS`` rows of several row
    groups, each half (cut between row groups) on a thread of its own. Any error makes
    the whole batch be converted again in one go, so that the error is the one the whole
    batch gives (the first fact with a bad value, at its first row), not the one a half
    happened to find first."""
    lengths = [len(c) for c in batch.column(0).chunks] if batch.num_columns else []
    if batch.num_rows < PARALLEL_ROWS or len(lengths) < 2:
        return convert(batch, offset=offset)
    bounds = np.cumsum(lengths)[:-1]  # between row groups (any cut gives the same result)
    cut = int(bounds[np.argmin(np.abs(bounds - batch.num_rows / 2))])
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(convert, batch.slice(0, cut), offset=offset)
            second = pool.submit(convert, batch.slice(cut), offset=offset + cut)
            halves = [first.result(), second.result()]
        if halves[0].schema.equals(halves[1].schema):
            return pa.concat_tables(halves)
    except Exception:  # whatever it was, the whole batch says it again
        pass
    return convert(batch, offset=offset)


def _run(query: CohortQuery, data: pa.Table, engine: Any) -> pa.Table:
    """The engine's result. On an embedded DuckDB (which keeps the input's row order: its
    ``preserve_insertion_order`` holds on a database of its own) the group columns the
    query only passes through are taken from the input beside it, not converted to and
    from the engine's strings, and the age band is counted in NumPy from the input's
    ``age`` and ``birth_date`` (the query's seven-way CASE cost DuckDB about 40 ms per
    million rows); from ``PARALLEL_ROWS`` rows these labels are made on a thread of their
    own while DuckDB runs the query. The ids, which DuckDB still returns, show that the
    rows line up (else the whole query is run)."""
    if not (engine is None or engine == "duckdb"):
        return run(query, data, engine)
    beside = tuple(g for g in query.groups if g in data.column_names and g != "age_band")
    band = "age_band" in query.groups and {"age", "birth_date"} <= set(data.column_names)
    copied = {k: v for k, v in _copies(query).items() if data.schema.field(v).type == pa.bool_()}
    dropped = beside + tuple(copied) + (("age_band",) if band else ())
    work: dict[str, Callable[[], Any]] = {g: functools.partial(_labels, data.column(g))
                                          for g in beside}  # fmt: skip
    if band:
        work["age_band"] = functools.partial(_band_labels, data, query.on)
    if data.num_rows >= PARALLEL_ROWS:
        # the labels need only the input: one thread makes them beside DuckDB's own threads
        with ThreadPoolExecutor(max_workers=1) as pool:
            made = {k: pool.submit(f) for k, f in work.items()}
            result = run(_embedded(query, dropped), data, engine)
            labels = {k: m.result() for k, m in made.items()}
    else:
        result = run(_embedded(query, dropped), data, engine)
        labels = {k: f() for k, f in work.items()}
    ids = query.id_column
    if not result.column(ids).equals(data.column(ids)):  # e.g. ids of another Arrow type
        return run(query, data, engine)
    for status, column in copied.items():  # a rule whose status is a yes/no fact as is
        result = result.append_column(status, data.column(column))
    if band:
        result = result.append_column("age_band", labels["age_band"])
    for g in beside:
        result = result.append_column(g, labels[g])
    return result


def _labels(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A group column as the result's strings (a dictionary-coded one decoded)."""
    return col.cast(pa.string())


def _band_labels(data: pa.Table, on: date) -> pa.ChunkedArray:
    """The age band column as the result's strings."""
    return age_bands(data.column("age"), data.column("birth_date"), on).cast(pa.string())


_COPIES: dict[str, dict[str, str]] = {}


def _copies(query: CohortQuery) -> dict[str, str]:
    """Status column → input column, for each rule or indicator whose status the query
    computes as an input column as is (a yes/no fact: ``curative_ended: true``)."""
    key = query.sql("duckdb")
    hit = _COPIES.get(key)
    if hit is None:
        statuses = {c for _, c in (*query.rules, *query.indicators)}
        inputs = set(query.inputs)
        with_ = query.tree.args.get("with_") or query.tree.args.get("with")
        stage = [cte.this for cte in (with_.expressions if with_ else []) if cte.alias == "s"]
        hit = {
            e.alias: e.this.name
            for e in (stage[0].expressions if stage else [])
            if isinstance(e, exp.Alias) and e.alias in statuses
            and isinstance(e.this, exp.Column) and e.this.name in inputs
        }  # fmt: skip
        _COPIES[key] = hit
        if len(_COPIES) > 64:
            _COPIES.pop(next(iter(_COPIES)))
    return hit


_BAND_LABELS = pa.array([label for _, label in AGE_BANDS], pa.string())
_EPOCH = date(1970, 1, 1)


def age_bands(age: pa.ChunkedArray, born: pa.ChunkedArray, on: date) -> pa.ChunkedArray:
    """Each patient's age band on ``on`` as the query's ``age_band`` counts it (the
    recorded age, else the birth date against the :func:`age_cutoff` days; neither:
    null), dictionary-coded (the result's string column is made from it by one cast in
    :func:`assemble`)."""
    ups = [up for up, _ in AGE_BANDS if up is not None]
    cutoffs = [(age_cutoff(on, up) - _EPOCH).days for up in ups]
    chunks = []
    for a, b in zip(*_paired(age, born), strict=True):
        years, birth = _values(a, np.int64), _values(b, np.int32)
        by_age = np.zeros(len(a), np.int8)  # the bands whose lower bound the age reaches
        by_birth = np.zeros(len(a), np.int8)  # the cut-offs on or after the birth day
        for up, cut in zip(ups, cutoffs, strict=True):
            by_age += years >= up
            by_birth += birth <= cut
        has_age = valid_bits(a)
        code = np.where(has_age, by_age, by_birth)
        known = has_age | valid_bits(b)
        unknown = len(a) - int(np.count_nonzero(known))
        validity = pa.py_buffer(np.packbits(known, bitorder="little")) if unknown else None
        indices = pa.Array.from_buffers(pa.int8(), len(a), [validity, pa.py_buffer(code)], unknown)
        # the codes are band numbers 0-6 by construction: no bounds check
        chunks.append(pa.DictionaryArray.from_arrays(indices, _BAND_LABELS, safe=False))
    return pa.chunked_array(chunks, pa.dictionary(pa.int8(), pa.string()))


def _values(arr: pa.Array, dtype: Any) -> Any:
    """A fixed-width array's values as NumPy, without a copy (any value where null)."""
    data = arr.buffers()[1]
    if data is None or arr.null_count == len(arr):
        return np.zeros(len(arr), dtype)
    return np.frombuffer(data, dtype, count=len(arr), offset=arr.offset * np.dtype(dtype).itemsize)


def _paired(a: pa.ChunkedArray, b: pa.ChunkedArray) -> tuple[list[Any], list[Any]]:
    """The chunks of two columns of one table, cut alike (whole when they are not)."""
    if [len(c) for c in a.chunks] == [len(c) for c in b.chunks]:
        return list(a.chunks), list(b.chunks)
    return [a.combine_chunks()], [b.combine_chunks()]


_EMBEDDED: dict[tuple[str, tuple[str, ...]], CohortQuery] = {}


def _embedded(query: CohortQuery, columns: tuple[str, ...]) -> CohortQuery:
    """The query as run on an embedded DuckDB (made once): without the output columns
    ``columns``, which :func:`_run` makes beside it."""
    key = (query.sql("duckdb"), columns)  # the text is the query's whole identity
    hit = _EMBEDDED.get(key)
    if hit is None:
        tree = query.tree.copy()
        tree.set("expressions", [e for e in tree.expressions if e.alias_or_name not in columns])
        hit = _EMBEDDED[key] = dataclasses.replace(query, tree=tree, _texts={})
        if len(_EMBEDDED) > 64:
            _EMBEDDED.pop(next(iter(_EMBEDDED)))
    return hit


def lay_facts(query: CohortQuery) -> dict[str, str]:
    """Layout column → the fact it holds."""
    return {c.name: c.fact for c in query.layout.columns}


def facts_read(query: CohortQuery) -> frozenset[str]:
    """The facts whose columns the query reads (and so the facts the input must check)."""
    of = lay_facts(query)
    return frozenset(of[c] for c in query.inputs if c in of)


PARALLEL_ROWS = 100_000
"""Results of at least this many rows are put together on two threads."""


def assemble(query: CohortQuery, result: pa.Table) -> pa.Table:
    """The engine's result as the documented table: booleans, missing lists, metadata."""
    columns: dict[str, Any] = {query.id_column: result.column(query.id_column)}
    for _, col in (*query.rules, *query.indicators):
        columns[col] = _truth(result.column(col))
    # the missing lists and the group labels (string takes) on both cores: Arrow and NumPy
    # let go of the GIL; each is a pure function of the result
    work: dict[str, Callable[[], Any]] = {}
    halves = result.num_rows >= PARALLEL_ROWS
    for p in query.pathways:
        columns[p.verdict] = _truth(result.column(p.verdict))
        columns[f"missing:{p.id}"] = None
        if halves:  # each half of the rows on a thread of its own
            half = result.num_rows // 2
            work[f"missing:{p.id}"] = functools.partial(_missing, p, result.slice(0, half))
            work[f"missing:{p.id}:2"] = functools.partial(_missing, p, result.slice(half))
        else:
            work[f"missing:{p.id}"] = functools.partial(_missing, p, result)
    for g in query.groups:
        work[g] = functools.partial(result.column(g).cast, pa.string())  # none if strings
    if halves and len(work) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = {k: pool.submit(f) for k, f in work.items()}
            made = {k: d.result() for k, d in done.items()}
    else:
        made = {k: f() for k, f in work.items()}
    for p in query.pathways:
        key = f"missing:{p.id}"
        if f"{key}:2" in made:
            made[key] = pa.chunked_array([made[key], made.pop(f"{key}:2")])
    columns.update(made)
    out = pa.table(columns)
    meta = {
        METADATA_KEYS[0]: query.ruleset_key,
        METADATA_KEYS[1]: query.content_hash,
        METADATA_KEYS[2]: query.on.isoformat(),
    }
    return out.replace_schema_metadata(meta)


def _truth(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Status column as booleans (T-SQL style 1/0 are turned into true/false)."""
    if col.type == pa.bool_():
        return col
    if pa.types.is_null(col.type):
        return col.cast(pa.bool_())
    return pc.not_equal(col, 0)


def _missing(p: PathwayColumns, result: pa.Table) -> pa.Array:
    """The masks of a pathway as a list of fact names per patient: each distinct mask
    decoded once (in NumPy), the lists put together from offsets (no Python per patient)."""
    n = result.num_rows
    names = list(dict.fromkeys(p.occurrences))
    if not p.masks:
        empty = pa.array(np.zeros(n + 1, np.int32))
        return pa.ListArray.from_arrays(empty, pa.array([], pa.string()))
    codes: Any = None
    uniques: Any = None
    for m in p.masks:  # a code per distinct combination of mask values
        part, seen = _codes(_mask_values(result.column(m)))
        if codes is None:
            codes, uniques = part, seen[:, None]
            continue
        width = len(seen)
        codes, pairs = _codes(codes.astype(np.int64) * width + part)
        uniques = np.column_stack([uniques[pairs // width], seen[pairs % width]])
    order, lengths = _decoded(uniques, p.occurrences, names)
    starts = np.cumsum(lengths) - lengths
    row_lengths = lengths.astype(np.int32).take(codes)  # np.take: no generic fancy indexing
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(row_lengths, out=offsets[1:])
    total = int(offsets[-1])
    values = pa.array([], pa.string())
    if total:  # row r's facts: order[starts[code] : starts[code] + length], side by side
        rows = np.flatnonzero(row_lengths)  # only the rows with facts to record
        first = starts.take(codes[rows]) - offsets[rows]
        where = np.repeat(first, row_lengths[rows]) + np.arange(total)
        values = pc.take(pa.array(names, pa.string()), pa.array(order.take(where)))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _mask_values(col: pa.ChunkedArray) -> Any:
    """A mask column as one NumPy integer array (an unset mask counts as no bits)."""
    if col.null_count:
        col = pc.fill_null(col, 0)
    parts = [c.to_numpy(zero_copy_only=False) for c in col.chunks]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


DIRECT_LIMIT = 1 << 12
"""Mask values below this are their own codes (a mask of at most 12 fact occurrences)."""

LOOKUP_LIMIT = 1 << 20
"""Mask values below this are coded through a lookup table (no hashing, no sort)."""


def _codes(values: Any) -> tuple[Any, Any]:
    """(each value's index among the distinct values, the distinct values) of a non-negative
    int64 array: through a table of present values when they are small (a mask of few
    fact occurrences, the usual case), else by hashing."""
    top = int(values.max()) if len(values) else 0
    if top < DIRECT_LIMIT and (not len(values) or int(values.min()) >= 0):
        return values, np.arange(top + 1)  # every value below top: its own code
    if top < LOOKUP_LIMIT and (not len(values) or int(values.min()) >= 0):
        seen = np.flatnonzero(np.bincount(values, minlength=1))
        lookup = np.zeros(top + 1, np.int64)
        lookup[seen] = np.arange(len(seen))
        return lookup[values], seen
    enc = pc.dictionary_encode(pa.array(values))
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    return codes, np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), np.int64)


def _decoded(uniques: Any, occurrences: Sequence[str], names: list[str]) -> tuple[Any, Any]:
    """Each distinct mask (a row of ``uniques``, one column per mask word) as the indices
    into ``names`` of its facts, in :func:`mask_to_facts`'s order (by the lowest set bit
    of each fact), all rows side by side; and each row's count."""
    k = len(uniques)
    none = len(occurrences)
    first = np.full((k, len(names)), none, np.int64)  # lowest set bit of each fact
    index = {name: f for f, name in enumerate(names)}
    for b, fact in enumerate(occurrences):
        word, bit = divmod(b, MASK_BITS)
        f = index[fact]
        hit = ((uniques[:, word] >> bit) & 1).astype(bool) & (first[:, f] == none)
        first[hit, f] = b
    order = np.argsort(first, axis=1, kind="stable")
    lengths = (first < none).sum(axis=1)
    keep = np.arange(len(names))[None, :] < lengths[:, None]
    return order[keep], lengths
