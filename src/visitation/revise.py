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

__all__ = ["revise", "revise_in_place"]

_FIELDS: Final = Patient.model_fields


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
    if not set and not clear:
        return patient
    revised = _copy(patient, patient.__dict__.copy(), ())
    revise_in_place(revised, set, clear)
    return revised


def revise_in_place(
    patient: Patient, set: Mapping[str, Any] | None = None, clear: Iterable[str] = ()
) -> dict[str, Any]:
    """:func:`revise`, changing ``patient`` itself instead of making a new one, for a
    caller that owns it: a frozen model is changed behind the back of whoever else holds
    it, so nobody else may (a stream keeps a patient's current facts this way, and
    copies them only when it hands them out).

    Returns the previous value of each fact whose value changed (empty: nothing did);
    ``revise_in_place(patient, previous)`` undoes the revision. Raises as :func:`revise`
    does, leaving ``patient`` unchanged.

    Each fact set is validated by its field (the whole record's own error for a value
    its field refuses), and the consistency rows are checked that name a fact whose value
    changed: the only ones a revision of valid facts can break."""
    facts = patient.__dict__
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    validators = _VALIDATORS
    try:
        if clear:
            for name in clear:
                changes[name] = None
                if name not in _FIELDS:
                    raise _Whole
            for name in changes:
                if facts[name] is not None:
                    previous[name] = facts[name]
        if set:
            for name, value in set.items():
                changes[name] = new = (validators.get(name) or _validator(name))(value)
                old = facts[name]
                if old != new:
                    previous[name] = old
                else:
                    previous.pop(name, None)  # cleared and set again to its value
    except (_Whole, ValidationError):
        _validate_whole(patient, set or {}, changes)
        raise AssertionError("revise: a value its field refuses passed the whole model") from None
    if not previous:
        if changes:
            patient.__pydantic_fields_set__.update(changes)  # a set of this patient's own
        return previous
    facts.update(changes)
    for name in previous:
        rows = _ROWS_OF.get(name)
        if rows is not None:
            for row in rows:
                if row.problem(facts) is not None:
                    facts.update(previous)
                    _validate_whole(patient, set or {}, changes)
    if (
        ("age" in previous or "birth_date" in previous)
        and facts["age"] is not None
        and facts["birth_date"] is not None
    ):
        facts.update(previous)
        _validate_whole(patient, set or {}, changes)
    patient.__pydantic_fields_set__.update(changes)
    return previous


def _copy(patient: Patient, facts: dict[str, Any], changes: Iterable[str]) -> Patient:
    """A Patient holding ``facts``, made without validation (they are valid): what
    ``model_copy(update=changes)`` does, without its deep-copy machinery."""
    revised = _new(Patient)
    _set(revised, "__dict__", facts)
    _set(revised, "__pydantic_fields_set__", patient.__pydantic_fields_set__.union(changes))
    _set(revised, "__pydantic_extra__", None)
    _set(revised, "__pydantic_private__", None)
    return revised


_set: Final = object.__setattr__
_new: Final = object.__new__


def _validate_whole(patient: Patient, set: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Validate the revised record as a whole (raw values for the facts set): it raises the
    model's own error. A name that is no fact stays in the record even with no value (set
    to ``None`` or cleared), so the model refuses it by name."""
    record = {
        k: v
        for k, v in patient.__dict__.items()
        if v is not None and k not in changes and k not in set
    }
    record.update((k, v) for k, v in set.items() if v is not None or k not in _FIELDS)
    record.update((k, None) for k in changes if k not in _FIELDS and k not in set)
    Patient.model_validate(record)
    raise AssertionError("revise: a revision its checks refuse passed the whole model")
