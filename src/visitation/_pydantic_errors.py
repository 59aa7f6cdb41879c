"""Turn pydantic validation errors into located diagnostics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from visitation._yaml import MAX_DIAGNOSTICS, YamlDocument, dotted
from visitation.errors import Code, Diagnostic, Related, suggest
from visitation.facts import Contradiction

__all__ = ["MAX_DIAGNOSTICS", "diagnostics_from_validation", "dotted"]


def _clean(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop the discriminator tags and validator names pydantic inserts into ``loc``."""
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (
            isinstance(p, str)
            and not p.startswith(("cond:", "text:", "function-"))
            and p != "[key]"
        )
    )


_CODES = {
    "extra_forbidden": Code.UNKNOWN_KEY,
    "missing": Code.MISSING_KEY,
    "condition": Code.INVALID_CONDITION,
}


def diagnostics_from_validation(
    exc: ValidationError,
    doc: YamlDocument,
    *,
    known_keys: Iterable[str] = (),
    limit: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, at the position of the offending value.

    At most ``limit`` are made, the first ones in the text; the work per error not
    reported is a position look-up (a did-you-mean is computed only for those reported).
    A :class:`~visitation.facts.Contradiction` becomes one ``contradictory-facts``
    diagnostic per contradiction, at the fact it names first, pointing at the other.
    """
    errors = exc.errors(include_url=False)
    if len(errors) > limit:
        order = sorted(
            range(len(errors)),
            key=lambda i: _order(doc, _clean(errors[i]["loc"]), i),
        )
        errors = [errors[i] for i in sorted(order[:limit])]
    keys: list[str] | None = None
    out: list[Diagnostic] = []
    for err in errors:
        loc = _clean(err["loc"])
        where = dotted(loc) or "(top level)"
        kind = err["type"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, Contradiction):
            out += _contradictions(cause, doc, loc)
            continue
        code = _CODES.get(kind, Code.INVALID_VALUE)
        hint = None
        if kind == "extra_forbidden" and loc:
            name = str(loc[-1])
            if keys is None:
                keys = sorted(set(known_keys))
            message = f"{where}: unknown key '{name}'"
            hint = suggest(name, keys)
        elif kind == "missing":
            message = f"{where}: required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            message = f"{where}: {msg}{shown}"
        out.append(doc.diagnostic(code, message, loc, hint=hint))
    return out[:limit]


def _order(doc: YamlDocument, loc: tuple[str | int, ...], index: int) -> tuple[int, int, int]:
    mark = doc.locate(loc)
    return (mark.line, mark.col, index) if mark else (0, 0, index)


def _contradictions(
    cause: Contradiction, doc: YamlDocument, loc: tuple[str | int, ...]
) -> list[Diagnostic]:
    out = []
    for problem in cause.problems:
        first, second = problem.facts
        other = doc.span((*loc, second))
        related = (Related(other, f"{second} is recorded here"),) if other.start else ()
        out.append(
            doc.diagnostic(
                Code.CONTRADICTORY_FACTS, problem.message, (*loc, first), related=related
            )
        )
    return out
