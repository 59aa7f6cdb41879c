"""Revise a valid patient by the facts that changed, validating only those.

A stream of patient events changes one or two facts at a time; validating the whole record
again on every event costs more than the rules it feeds. :func:`revise` validates each
changed fact with its own field's validator, checks only the rows of
:data:`~visitation.facts.CONSISTENCY` (and the age/birth-date rule) that name a changed
fact, and copies the rest. The result is the one :class:`~visitation.facts.Patient` would
give for the whole record; when anything is wrong it validates the whole record, so the
error raised is the same ``ValidationError``, with the same locations and messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Final

from pydantic import TypeAdapter, ValidationError

from visitation.facts import CONSISTENCY, Consistency, Patient

__all__ = ["revise"]

_FIELDS: Final = Patient.model_fields
_AGE_PAIR: Final = frozenset({"age", "birth_date"})


def _rows() -> dict[str, tuple[Consistency, ...]]:
    """The undated consistency rows that name each fact (the dated ones are
    :func:`~visitation.facts.check_on`'s)."""
    rows: dict[str, list[Consistency]] = {}
    for row in CONSISTENCY:
        if row.kind == "not-after-on":
            continue
        for name in (row.first, row.second):
            rows.setdefault(name, []).append(row)
    return {name: tuple(found) for name, found in rows.items()}


_ROWS_OF: Final = _rows()


_VALIDATORS: Final[dict[str, Callable[[Any], Any]]] = {}
"""The validators made so far, by fact (made on first use: a stream names few facts)."""


def _validator(name: str) -> Callable[[Any], Any]:
    """The validator of one fact's field, as :class:`Patient` declares it (raises
    :class:`_Whole` for a name that is no field)."""
    info = _FIELDS.get(name)
    if info is None:
        raise _Whole
    kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    validate = _VALIDATORS[name] = TypeAdapter(kind).validator.validate_python
    return validate


class _Whole(Exception):
    """Something is wrong: validate the whole record, for the canonical error."""


def revise(
    patient: Patient, set: Mapping[str, Any] | None = None, clear: Iterable[str] = ()
) -> Patient:
    """``patient`` with the facts ``set`` (raw values, validated as :class:`Patient`
    validates them; ``None`` = not recorded) and the facts named in ``clear`` no longer
    recorded (``set`` wins over ``clear`` for a fact in both).

    Equal to ``Patient.model_validate`` of the revised record, and raises the same
    ``ValidationError`` for a revision the model refuses (an unknown fact, a wrong value,
    facts that contradict each other)."""
    changes: dict[str, Any] = dict.fromkeys(clear) if clear else {}
    set = set or {}
    validators = _VALIDATORS
    try:
        for name in changes:
            if name not in _FIELDS:
                raise _Whole
        for name, value in set.items():
            changes[name] = (validators.get(name) or _validator(name))(value)
    except (_Whole, ValidationError):
        _validate_whole(patient, set, changes)
        raise AssertionError("revise: a value its field refuses passed the whole model") from None
    if not changes:
        return patient
    facts = patient.__dict__.copy()
    facts.update(changes)
    revised = _copy(patient, facts, changes)
    if (
        not _AGE_PAIR.isdisjoint(changes)
        and facts["age"] is not None
        and facts["birth_date"] is not None
    ):
        _validate_whole(patient, set, changes)
    for name in changes:
        for row in _ROWS_OF.get(name, ()):
            if row.problem(facts) is not None:
                _validate_whole(patient, set, changes)
    return revised


def _copy(patient: Patient, facts: dict[str, Any], changes: Mapping[str, Any]) -> Patient:
    """A Patient holding ``facts``, made without validation (they are valid): what
    ``model_copy(update=changes)`` does, without its deep-copy machinery."""
    revised = _new(Patient)
    _set(revised, "__dict__", facts)
    fields = patient.__pydantic_fields_set__.copy()
    fields.update(changes)
    _set(revised, "__pydantic_fields_set__", fields)
    _set(revised, "__pydantic_extra__", None)
    _set(revised, "__pydantic_private__", None)
    return revised


_set: Final = object.__setattr__
_new: Final = object.__new__


def _validate_whole(patient: Patient, set: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Validate the revised record as a whole (raw values for the facts set): it raises the
    model's own error."""
    record = {
        k: v
        for k, v in patient.__dict__.items()
        if v is not None and k not in changes and k not in set
    }
    record.update((k, v) for k, v in set.items() if v is not None)
    Patient.model_validate(record)
    raise AssertionError("revise: a revision its checks refuse passed the whole model")
