"""Read-only list and dict types for result objects that several Assessments share.

Rule results are memoised and shared between Assessments (see ``evaluate.py``); pydantic's
``frozen`` only stops attribute assignment, so the containers inside are made read-only
too. They are real ``list`` / ``dict`` subclasses: they compare, serialise and pickle
like their bases, and any attempt to change them raises ``TypeError``.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn, TypeVar

from pydantic import AfterValidator

__all__ = ["FrozenDict", "FrozenList", "ReadOnlyDict", "ReadOnlyList"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _read_only(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is read-only: results are shared between Assessments")


class FrozenList(list[T]):
    """A list that cannot be changed after it is made."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only
    append = extend = insert = pop = remove = clear = sort = reverse = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))


class FrozenDict(dict[K, V]):
    """A dict that cannot be changed after it is made."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = clear = setdefault = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


ReadOnlyList = Annotated[list[T], AfterValidator(FrozenList)]
ReadOnlyDict = Annotated[dict[K, V], AfterValidator(FrozenDict)]
