"""Read a cohort table, check it, and put it into the portable layout (as Arrow).

A cohort table has one row per patient: an id column, fact columns named as the facts of
docs/facts.md, and optionally ``region``. It may be a Parquet or CSV path, a pandas or
polars DataFrame, a pyarrow Table or a DuckDB relation. Set and score facts are list
columns (in CSV: JSON arrays such as ``["physical","social"]``, ``[]`` for an empty set,
an empty cell for not recorded). A table already in the portable layout (``<set>__size``
and member columns) is accepted too.

Every problem is a :class:`CohortInputError` naming the column and, for a bad value, the
first bad row (counted from 1, the header not counted) and the id of that patient.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from visitation import FACTS, Patient, VisitationError
from visitation.cohort._layout import Layout

__all__ = [
    "EXTRA_COLUMNS",
    "CohortInputError",
    "read_table",
    "to_layout",
    "valid_bits",
    "validity_bitmap",
]

EXTRA_COLUMNS = ("region",)
"""Columns a cohort table may hold besides the id and the facts (passed to the summary)."""


class CohortInputError(VisitationError):
    """A cohort table that cannot be evaluated: the message names column and row."""


def read_table(table: Any, *, source: str | None = None) -> pa.Table:
    """Any supported cohort input as a pyarrow Table (values not yet checked)."""
    if isinstance(table, str | Path):
        path = Path(table)
        if not path.exists():
            raise CohortInputError(f"{path}: no such file")
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            f = _parquet(path)
            return _groups(f, range(f.num_row_groups), f.schema_arrow.names, path)
        if suffix == ".csv":
            import pyarrow.csv as pcsv

            header = pcsv.read_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 16))
            names = header.column_names
            return pcsv.read_csv(
                path,
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
                ),
            )
        raise CohortInputError(f"{path}: a cohort file is .parquet or .csv, not '{suffix}'")
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    module = type(table).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(table, preserve_index=False)
    if module == "polars":
        return pa.table(table.to_arrow())
    if module in ("duckdb", "_duckdb"):
        return pa.table(table.to_arrow_table())
    if hasattr(table, "__arrow_c_stream__"):
        return pa.table(table)
    raise CohortInputError(
        f"cannot read a cohort from {type(table).__name__}: give a Parquet or CSV path, a "
        "pandas or polars DataFrame, a pyarrow Table or a DuckDB relation"
    )


def _parquet(path: Path) -> Any:
    """A Parquet file whose text columns are read dictionary-coded (no string copies)."""
    import pyarrow.parquet as pq

    text = [c.path for c in pq.ParquetFile(path).schema if c.physical_type == "BYTE_ARRAY"]
    return pq.ParquetFile(path, read_dictionary=text)


def _groups(
    f: Any, groups: Sequence[int], names: Sequence[str], path: Path | None = None
) -> pa.Table:
    """Row groups read one by one (pyarrow cannot read dictionary-coded lists of several
    row groups at once) and put together. Given the file's ``path``, several row groups
    are read on two threads, each taking the next group and reading it whole on its own
    (a reader of its own: one is not for two threads), which keeps both cores busier than
    pyarrow's column tasks within one row group."""
    if not groups:
        return f.schema_arrow.empty_table()
    columns = list(names)
    if path is None or len(groups) < 2:
        return pa.concat_tables([f.read_row_group(i, columns=columns) for i in groups])
    import pyarrow.parquet as pq

    text = [c.path for c in f.schema if c.physical_type == "BYTE_ARRAY"]
    second = pq.ParquetFile(path, metadata=f.metadata, read_dictionary=text)  # footer read once
    parts: list[pa.Table | None] = [None] * len(groups)
    queue = iter(range(len(groups)))
    lock = threading.Lock()

    def work(reader: Any) -> None:
        while True:
            with lock:
                k = next(queue, None)
            if k is None:
                return
            parts[k] = reader.read_row_group(groups[k], columns=columns, use_threads=False)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(work, f), pool.submit(work, second)]:
                done.result()
    finally:
        second.close()
    return pa.concat_tables([t for t in parts if t is not None])


def read_batches(
    table: Any,
    id_column: str,
    batch_rows: int,
    wanted: Callable[[list[str]], list[str]] | None = None,
) -> tuple[list[str], pa.ChunkedArray | None, Iterator[tuple[int, pa.Table]]]:
    """(column names, the id column when present, batches with their row offsets).

    A Parquet file is read ``batch_rows`` rows at a time (strings dictionary-coded), so a
    cohort larger than memory streams, and only the columns ``wanted(names)`` names are
    read; other inputs are read whole and sliced."""
    if isinstance(table, str | Path) and Path(table).suffix.lower() in (".parquet", ".pq"):
        path = Path(table)
        if not path.exists():
            raise CohortInputError(f"{path}: no such file")
        f = _parquet(path)
        names = f.schema_arrow.names
        columns = wanted(names) if wanted is not None else names
        if f.metadata.num_rows <= batch_rows and id_column in columns:  # one batch: one read
            whole = _groups(f, range(f.num_row_groups), columns, path)
            return names, whole.column(id_column), iter([(0, whole)])
        ids = f.read(columns=[id_column]).column(id_column) if id_column in names else None

        def parquet_batches() -> Iterator[tuple[int, pa.Table]]:
            offset, rows = 0, 0
            pending: list[int] = []
            for i in range(f.num_row_groups):  # whole row groups, about batch_rows at a time
                n = f.metadata.row_group(i).num_rows
                if pending and rows + n > batch_rows:
                    yield offset, _groups(f, pending, columns, path)
                    offset, pending, rows = offset + rows, [], 0
                pending.append(i)
                rows += n
            if pending or offset == 0:
                yield offset, _groups(f, pending, columns, path)

        return names, ids, parquet_batches()
    whole = read_table(table)
    names = whole.column_names
    ids = whole.column(id_column) if id_column in names else None

    def slices() -> Iterator[tuple[int, pa.Table]]:
        for start in range(0, max(whole.num_rows, 1), batch_rows):
            yield start, whole.slice(start, batch_rows)

    return names, ids, slices()


# --------------------------------------------------------------------------------------
# Checking and conversion
# --------------------------------------------------------------------------------------


def _first_row(mask: pa.Array | pa.ChunkedArray) -> int:
    """Index of the first true of a boolean mask (nulls count as false)."""
    values = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return int(np.argmax(values))


class _Checker:
    def __init__(self, table: pa.Table, id_column: str, offset: int = 0) -> None:
        self.table = table
        self.id_column = id_column
        self.offset = offset
        """Rows before this batch (row numbers in messages count from the table's start)."""

    def fail(self, column: str, row: int, message: str) -> CohortInputError:
        pid = self.table.column(self.id_column)[row].as_py()
        where = row + 1 + self.offset
        return CohortInputError(f"column '{column}', row {where} (patient {pid!r}): {message}")

    def bad(self, column: str, mask: Any, values: Any, message: str) -> None:
        if pc.any(mask).as_py():  # nulls are skipped: not a bad value
            row = _first_row(mask)
            raise self.fail(column, row, message.format(value=values[row].as_py()))


def check_names(names: Sequence[str], id_column: str, lay: Layout) -> None:
    """The id column is there; every other column is a fact, a layout column or ``region``."""
    if id_column not in names:
        hint = _hint(id_column, names)
        raise CohortInputError(
            f"no id column '{id_column}'{hint}; columns: {', '.join(names)} "
            "(name the id column with id_column= / --id)"
        )
    known = {*FACTS, *lay.by_name(), *EXTRA_COLUMNS}
    for name in names:
        if name != id_column and name not in known:
            hint = _hint(name, [*FACTS, *EXTRA_COLUMNS])
            raise CohortInputError(
                f"column '{name}' is not a fact{hint}; the facts are listed in docs/facts.md"
            )


def check_ids(ids: pa.ChunkedArray | pa.Array, id_column: str) -> None:
    """Every patient has an id, and no id is there twice (over the whole table)."""
    if ids.null_count:
        row = _first_row(pc.is_null(ids))
        raise CohortInputError(f"column '{id_column}', row {row + 1}: the patient id is empty")
    if not _distinct(ids):
        counts = pc.value_counts(ids)
        dup = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))[0]
        rows = pc.indices_nonzero(pc.equal(ids, dup)).to_pylist()[:2]
        raise CohortInputError(
            f"column '{id_column}': duplicate patient id {dup.as_py()!r} "
            f"(rows {rows[0] + 1} and {rows[1] + 1}); each patient is one row"
        )


def _distinct(ids: pa.ChunkedArray | pa.Array) -> bool:
    """No value twice: for whole numbers a sortedness test (ids usually come in order),
    else a sort; other types by hashing."""
    if pa.types.is_integer(ids.type):
        chunks = [ids] if isinstance(ids, pa.Array) else ids.chunks  # not through pandas
        a = np.concatenate([c.to_numpy() for c in chunks]) if chunks else np.zeros(0, np.int64)
        if len(a) < 2 or bool(np.all(a[1:] > a[:-1])):
            return True
        a = np.sort(a)
        return not bool(np.any(a[1:] == a[:-1]))
    return bool(pc.count_distinct(ids).as_py() == len(ids))


def _outside(values: Any, allowed: Sequence[str]) -> Any:
    """True where a recorded value is not one of ``allowed`` (null where not recorded)."""
    return pc.if_else(
        pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(list(allowed)))), None
    )


def _hint(name: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_BOUNDS: dict[str, tuple[int | None, int | None]] = {}
for _name, _field in Patient.model_fields.items():
    _lo = next((m.ge for m in _field.metadata if hasattr(m, "ge")), None)
    _hi = next((m.le for m in _field.metadata if hasattr(m, "le")), None)
    if _lo is not None or _hi is not None:
        _BOUNDS[_name] = (_lo, _hi)


def to_layout(
    table: pa.Table,
    id_column: str,
    lay: Layout,
    keep: Sequence[str] = (),
    *,
    offset: int = 0,
    ids_checked: bool = False,
    facts: Collection[str] | None = None,
    columns: Collection[str] | None = None,
) -> pa.Table:
    """Check every value and return the table in the portable layout: the id, every layout
    column (NULL where the input has no such fact) and the ``keep`` columns present.
    ``offset``: rows before this batch; ``ids_checked``: the ids were checked whole;
    ``facts``: only these facts (those a query reads) are checked and converted;
    ``columns``: of a set's member columns, only these are made (its values are all
    checked all the same)."""
    check_names(table.column_names, id_column, lay)
    if not ids_checked:
        check_ids(table.column(id_column), id_column)
    c = _Checker(table, id_column, offset)
    n = table.num_rows
    out: dict[str, pa.Array | pa.ChunkedArray] = {id_column: table.column(id_column)}
    names = set(table.column_names)
    for name, spec in FACTS.items():
        if facts is not None and name not in facts:
            continue
        cols = lay.of(name)
        if spec.kind in ("set", "scores"):
            if name in names:
                made = (
                    cols
                    if columns is None
                    else [col for col in cols if col.role == "size" or col.name in columns]
                )
                out.update(_set_columns(c, name, table.column(name), spec.kind, made))
            else:
                absent = [col.name for col in cols if col.name not in names]
                if name + "__size" in names and absent:
                    raise CohortInputError(
                        f"column '{absent[0]}' is missing: the table gives {name} in the "
                        f"portable layout ({name}__size) but this rule set also needs that "
                        f"member column; give {name} as a list column instead"
                    )
                for col in cols:
                    out[col.name] = (
                        _as(c, col.name, table.column(col.name), col.type)
                        if col.name in names
                        else pa.nulls(n, _ARROW[col.type])
                    )
            continue
        if name not in names:
            out[name] = pa.nulls(n, _ARROW[cols[0].type])
            continue
        column = table.column(name)
        if spec.kind == "enum" and pa.types.is_dictionary(column.type):
            out[name] = _dictionary_choice(c, name, column, spec.vocabulary)
            continue
        values = _as(c, name, column, cols[0].type)
        if spec.kind == "enum":
            outside = _outside(values, spec.vocabulary)
            if pc.any(pc.fill_null(outside, False)).as_py():
                row = _first_row(outside)
                v = values[row].as_py()
                raise c.fail(
                    name,
                    row,
                    f"'{v}' is not one of {', '.join(spec.vocabulary)}"
                    f"{_hint(str(v), spec.vocabulary)}",
                )
        if name in _BOUNDS:
            lo, hi = _BOUNDS[name]
            low, high = pc.min_max(values).values()  # one pass; a row only when out of range
            if lo is not None and low.is_valid and low.as_py() < lo:
                c.bad(name, pc.less(values, lo), values, f"{{value}} is below {lo}")
            if hi is not None and high.is_valid and high.as_py() > hi:
                c.bad(name, pc.greater(values, hi), values, f"{{value}} is above {hi}")
        if name == "diagnosis_code":
            c.bad(name, pc.greater(pc.utf8_length(values), 16), values,
                  "'{value}' is longer than 16 characters")  # fmt: skip
        out[name] = values
    both = pc.and_(pc.is_valid(out.get("age", pa.nulls(n))),
                   pc.is_valid(out.get("birth_date", pa.nulls(n))))  # fmt: skip
    c.bad("birth_date", both, out.get("birth_date", pa.nulls(n)),
          "both age and birth_date are recorded; give one")  # fmt: skip
    for k in keep:
        if k in names and k not in out:
            out[k] = table.column(k)
    return pa.table(out)


_ARROW: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "BIGINT": pa.int64(),
    "DATE": pa.date32(),
    "VARCHAR": pa.string(),
}

_TYPE_WORD = {"BOOLEAN": "true or false", "BIGINT": "a whole number",
              "DATE": "a date (YYYY-MM-DD)", "VARCHAR": "text"}  # fmt: skip


def _as(c: _Checker, name: str, col: pa.ChunkedArray, sql_type: str) -> pa.ChunkedArray:
    """A column cast to its layout type; a value that does not fit names its row."""
    target = _ARROW[sql_type]
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = t.value_type
    if t == target:
        return col
    if pa.types.is_null(t):
        return col.cast(target)
    want = _TYPE_WORD[sql_type]
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = pc.utf8_trim_whitespace(col)
        if sql_type == "VARCHAR":
            return text.cast(pa.string())
        if sql_type == "BOOLEAN":
            lower = pc.utf8_lower(text)
            c.bad(name, _outside(lower, ("true", "false", "1", "0")), col,
                  f"'{{value}}' is not {want}")  # fmt: skip
            truth = pc.is_in(lower, pa.array(["true", "1"]))
            return pc.if_else(pc.is_null(lower), pa.scalar(None, pa.bool_()), truth)
        if sql_type == "BIGINT":
            ok = pc.match_substring_regex(text, r"^[+-]?[0-9]+$")
            c.bad(name, pc.invert(ok), col, f"'{{value}}' is not {want}")
            return text.cast(pa.int64())
        ok = pc.match_substring_regex(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        c.bad(name, pc.invert(ok), col, f"'{{value}}' is not {want}")
        return _parse_dates(c, name, text)
    if sql_type == "BIGINT" and pa.types.is_integer(t):
        return col.cast(pa.int64())
    if sql_type == "BIGINT" and pa.types.is_floating(t):  # pandas holds gaps as NaN
        col = pc.if_else(pc.is_nan(col), None, col)
        c.bad(name, pc.not_equal(pc.floor(col), col), col, f"{{value}} is not {want}")
        return col.cast(pa.int64())
    if sql_type == "DATE" and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
        if pa.types.is_timestamp(t):
            midnight = pc.equal(pc.cast(col, pa.date32()).cast(t), col)
            c.bad(name, pc.invert(midnight), col, f"{{value}} is a time, not {want}")
        return col.cast(pa.date32())
    raise c.fail(name, 0, f"the column holds {t}, not {want}")


def _dictionary_choice(
    c: _Checker, name: str, col: pa.ChunkedArray | pa.Array, vocabulary: Sequence[str]
) -> pa.Array | pa.ChunkedArray:
    """A dictionary-coded choice column checked on its dictionary (kept coded: fast), each
    chunk on its own (a Parquet row group has a dictionary of its own: putting the chunks
    together would first unify them, a pass over every value)."""
    if isinstance(col, pa.ChunkedArray):
        parts, start = [], 0
        for chunk in col.chunks:
            parts.append(_dictionary_chunk(c, name, chunk, vocabulary, start))
            start += len(chunk)
        if not parts:
            return pa.chunked_array([], pa.dictionary(pa.int32(), pa.string()))
        return pa.chunked_array(parts)
    return _dictionary_chunk(c, name, col, vocabulary, 0)


def _dictionary_chunk(
    c: _Checker, name: str, arr: pa.Array, vocabulary: Sequence[str], start: int
) -> pa.Array:
    """One chunk of :func:`_dictionary_choice`; ``start``: rows before it."""
    if not (
        pa.types.is_string(arr.type.value_type) or pa.types.is_large_string(arr.type.value_type)
    ):
        raise c.fail(name, 0, f"the column holds {arr.type}, not text")
    bad_entry = pc.invert(pc.is_in(arr.dictionary, pa.array(list(vocabulary))))
    if pc.any(bad_entry).as_py():
        rows = pc.fill_null(pc.take(bad_entry, arr.indices), False)
        if pc.any(rows).as_py():
            row = _first_row(rows)
            v = arr[row].as_py()
            raise c.fail(name, start + row, f"'{v}' is not one of {', '.join(vocabulary)}"
                         f"{_hint(str(v), vocabulary)}")  # fmt: skip
    return pa.DictionaryArray.from_arrays(  # indices of a valid array: not checked again
        arr.indices.cast(pa.int32()), arr.dictionary.cast(pa.string()), safe=False
    )


def _parse_dates(c: _Checker, name: str, text: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO dates; an impossible one (2026-02-30) names its row (strptime would roll it on)."""
    try:
        parsed = pc.strptime(text, format="%Y-%m-%d", unit="s")
        back = pc.strftime(parsed, format="%Y-%m-%d")
        c.bad(name, pc.not_equal(back, text), text, "'{value}' is not a valid date")
        return parsed.cast(pa.date32())
    except pa.ArrowInvalid:
        for row, v in enumerate(text.to_pylist()):
            if v is not None:
                try:
                    date.fromisoformat(v)
                except ValueError:
                    raise c.fail(name, row, f"'{v}' is not a valid date") from None
        raise  # pragma: no cover


def _set_columns(
    c: _Checker, name: str, col: pa.ChunkedArray, kind: str, cols: list[Any]
) -> dict[str, Any]:
    """A set (or score list) column as its size column and member columns, each chunk on
    its own (a Parquet row group's dictionary is its own: putting the chunks together
    would first unify the dictionaries, a pass over every member)."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        col = _json_lists(c, name, col, kind)
        t = col.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        raise c.fail(name, 0, f"the column holds {t}, not a list of values")
    if not isinstance(col, pa.ChunkedArray) or col.num_chunks < 2:
        return _set_chunk(c, name, col, kind, cols, 0)
    parts, start = [], 0
    for chunk in col.chunks:
        parts.append(_set_chunk(c, name, chunk, kind, cols, start))
        start += len(chunk)
    return {k: pa.chunked_array([p[k] for p in parts]) for k in parts[0]}


def _set_chunk(
    c: _Checker, name: str, col: pa.ChunkedArray | pa.Array, kind: str, cols: list[Any], start: int
) -> dict[str, pa.Array]:
    """One chunk of :func:`_set_columns`; ``start``: rows before it."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    size = pc.list_value_length(arr).cast(pa.int64())
    out: dict[str, pa.Array] = {}
    if kind == "scores":
        flat = pc.list_flatten(arr)
        if not pa.types.is_integer(flat.type):
            raise c.fail(name, 0, f"scores are whole numbers, not {flat.type}")
        out[cols[0].name] = size
        return out
    # every value with the row it belongs to (values under a null row are ignored)
    offsets = arr.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    values = arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    coded = None
    words = values
    if pa.types.is_dictionary(values.type):
        coded = values.indices.to_numpy(zero_copy_only=False)
        words = values.dictionary
    if not (pa.types.is_string(words.type) or pa.types.is_large_string(words.type)):
        raise c.fail(name, 0, f"set members are text, not {words.type}")
    vocabulary = FACTS[name].vocabulary
    if vocabulary:
        outside = pc.fill_null(_outside(words, vocabulary), True).to_numpy(zero_copy_only=False)
        # a dictionary without a bad word has no bad value: no pass over the values
        bad = outside[coded] if coded is not None and outside.any() else outside
        if bad.any():  # only now: which rows (a value under a null row does not count)
            parents = np.repeat(np.arange(len(arr)), np.diff(offsets))
            valid_np = pc.is_valid(arr).to_numpy(zero_copy_only=False)
            bad = bad & valid_np[parents]
        if bad.any():
            k = int(np.argmax(bad))
            v = values[k].as_py()
            raise c.fail(name, start + int(parents[k]), f"'{v}' is not one of "
                         f"{', '.join(vocabulary)}{_hint(str(v), vocabulary)}")  # fmt: skip
    out[cols[0].name] = size
    for chunk in range(1, len(cols), 62):  # 62 member bits per pass
        out.update(_members(cols[chunk : chunk + 62], values, coded, words, offsets, arr))
    return out


def _members(
    cols: list[Any], values: Any, coded: Any, words: Any, offsets: Any, arr: Any
) -> dict[str, pa.Array]:
    """Member columns of a set: one bit per member, OR-ed per row in one pass."""
    out: dict[str, pa.Array] = {}
    validity = None if arr.null_count == 0 else validity_bitmap(arr)  # a member's validity
    members = [col_spec.member for col_spec in cols]
    # one bit per member column, OR-ed per row: one pass over the values
    kind = (  # small: fewer bytes to touch
        np.uint8 if len(members) <= 8 else np.uint16 if len(members) <= 16 else np.uint64
    )
    if coded is not None:
        position = {w: k for k, w in enumerate(members)}
        bit_of_word = np.array(
            [1 << position[w] if w in position else 0 for w in words.to_pylist()] or [0],
            dtype=kind,
        )
        bits = bit_of_word.take(coded)  # one gather (take: not the generic fancy index)
    else:
        bits = np.zeros(len(values), dtype=kind)
        for k, w in enumerate(members):
            hit = pc.fill_null(pc.equal(values, w), False).to_numpy(zero_copy_only=False)
            bits[hit] |= kind(1 << k)
    starts = offsets[:-1] - offsets[0]
    rowbits: Any = np.zeros(len(arr), dtype=kind)
    if len(bits) and len(arr):
        # every row's OR at once (no boolean subsets): a zero after the last value, as a
        # row that is empty at the end starts there; an empty row's OR is then set to 0
        ext = np.concatenate([bits, np.zeros(1, kind)])
        rowbits = np.bitwise_or.reduceat(ext, starts)
        rowbits *= np.diff(offsets) > 0
    for k, col_spec in enumerate(cols):
        has = np.packbits((rowbits & kind(1 << k)) != 0, bitorder="little")
        out[col_spec.name] = pa.Array.from_buffers(
            pa.bool_(), len(arr), [validity, pa.py_buffer(has)], arr.null_count
        )
    return out


def valid_bits(arr: pa.Array) -> Any:
    """Where an array has a value, as a NumPy bool array, unpacked from its validity
    bitmap (``is_valid().to_numpy()`` goes through pandas' conversion: ~15x the work)."""
    n = len(arr)
    bitmap = arr.buffers()[0]
    if bitmap is None or arr.null_count == 0:
        return np.ones(n, bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), count=arr.offset + n, bitorder="little")
    return bits[arr.offset :].view(bool)


def validity_bitmap(arr: pa.Array) -> pa.Buffer | None:
    """An array's validity bitmap starting at its first row (its own buffer when the array
    starts on a byte; ``None`` when every row has a value)."""
    bitmap = arr.buffers()[0]
    if bitmap is None or arr.null_count == 0:
        return None
    if arr.offset % 8 == 0:
        return bitmap.slice(arr.offset // 8)
    return pa.py_buffer(np.packbits(valid_bits(arr), bitorder="little"))


def _json_lists(c: _Checker, name: str, col: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    parsed: list[Any] = []
    cache: dict[str, Any] = {}
    for row, v in enumerate(col.to_pylist()):
        if v is None or not v.strip():
            parsed.append(None)
            continue
        if v not in cache:
            try:
                value = json.loads(v)
            except ValueError:
                value = None
            ok = isinstance(value, list) and all(
                (isinstance(x, int) and not isinstance(x, bool)) if kind == "scores"
                else isinstance(x, str) for x in value
            )  # fmt: skip
            if not ok:
                what = "whole numbers" if kind == "scores" else "text values"
                raise c.fail(name, row, f"'{v}' is not a JSON list of {what}")
            cache[v] = value
        parsed.append(cache[v])
    return pa.chunked_array([pa.array(parsed, pa.list_(pa.int64() if kind == "scores"
                                                       else pa.string()))])  # fmt: skip
