"""The service's JSON: request bodies read with orjson where it reads exactly what the
standard library reads, answers written with orjson.

:func:`loads` gives the value the standard library's ``json.loads`` (with NaN and
Infinity refused) gives for the same bytes, always: orjson takes the body unless it holds
a run of 19 or more digits (orjson reads an integer beyond 64 bits as a float, where the
standard library keeps it exact), and whatever orjson refuses (a lone surrogate, a number
beyond the double range, a UTF-8 byte order mark, UTF-16, nesting past 1024 levels,
malformed JSON) is read again by the standard library, which either accepts it as it
always did or says why not, in its own words. Only bodies orjson read are ``exact``:
their values round-trip through :func:`orjson.dumps` to text that differs whenever the
values differ (no infinity, which orjson would write as ``null``; no lone surrogate; no
integer orjson cannot write), so their answer-cache key is orjson's text; any other
body's is the standard library's (:func:`visitation.service._cache.answer_key`).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG = b"0" * 19
"""19 digits in a row: where an integer may be beyond orjson's 64 bits (-2**63 has 19)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether orjson read it (``exact``: see the module docstring).

    Raises what ``json.loads`` raises for bytes it refuses (``json.JSONDecodeError``,
    ``UnicodeDecodeError``, ``ValueError`` for NaN and Infinity, ``RecursionError``).
    """
    if _LONG not in raw.translate(_DIGITS):
        try:
            return orjson.loads(raw), True
        except orjson.JSONDecodeError:
            pass  # the standard library reads it, or says why not
    return json.loads(raw, parse_constant=_no_constant), False


def dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8, as ``json.dumps(value, ensure_ascii=False, allow_nan=False,
    separators=(",", ":")).encode()`` writes it for the answers' values (strings, integers,
    booleans, null, lists, objects); a string that is not Unicode text (a lone surrogate)
    is written as an escape by the standard library instead of failing."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
