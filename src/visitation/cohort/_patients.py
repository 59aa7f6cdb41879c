"""A cohort table made from Patient records (for tests, examples and small cohorts)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from visitation import FACTS, Patient

__all__ = ["ARROW_TYPES", "from_patients"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "date": pa.date32(),
    "enum": pa.string(),
    "text": pa.string(),
    "set": pa.list_(pa.string()),
    "scores": pa.list_(pa.int64()),
}
"""The Arrow type of each kind of fact in a cohort table (before the portable layout)."""


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    return value


def from_patients(
    patients: Iterable[Patient | Mapping[str, Any]],
    *,
    id_column: str = "patient_id",
    ids: Iterable[Any] | None = None,
) -> pa.Table:
    """One row per patient, one column per fact (``None`` stays null); ids 1, 2, ... unless
    given."""
    records = [p if isinstance(p, Patient) else Patient.model_validate(p) for p in patients]
    columns: dict[str, pa.Array] = {
        id_column: pa.array(list(ids) if ids is not None else range(1, len(records) + 1))
    }
    for name, spec in FACTS.items():
        values = [_plain(getattr(p, name)) for p in records]
        columns[name] = pa.array(values, ARROW_TYPES[spec.kind])
    return pa.table(columns)
