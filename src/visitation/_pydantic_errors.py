"""Turn pydantic validation errors into located diagnostics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from visitation._yaml import YamlDocument
from visitation.errors import Diagnostic, did_you_mean

__all__ = ["diagnostics_from_validation", "dotted"]


def _clean(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop the discriminator tags and validator names pydantic inserts into ``loc``."""
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (isinstance(p, str) and not p.startswith(("cond:", "function-")) and p != "[key]")
    )


def dotted(loc: Iterable[str | int]) -> str:
    """``rules[3].when.all[0].fact`` for a location tuple."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


_CODES = {
    "extra_forbidden": "unknown-key",
    "missing": "missing-key",
    "condition": "invalid-condition",
}


def diagnostics_from_validation(
    exc: ValidationError,
    doc: YamlDocument,
    *,
    known_keys: Iterable[str] = (),
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, at the position of the offending value."""
    keys = sorted(set(known_keys))
    out: list[Diagnostic] = []
    for err in exc.errors(include_url=False):
        loc = _clean(err["loc"])
        where = dotted(loc) or "(top level)"
        kind = err["type"]
        code = _CODES.get(kind, "invalid-value")
        if kind == "extra_forbidden" and loc:
            name = str(loc[-1])
            message = f"{where}: unknown key '{name}'{did_you_mean(name, keys)}"
        elif kind == "missing":
            message = f"{where}: required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            message = f"{where}: {msg}{shown}"
        out.append(doc.diagnostic(code, message, loc))
    return out
