"""Strict validation of a bundle against the FHIR R4B models of ``fhir.resources``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from visitation import Diagnostic
from visitation.fhir._read import FhirInputError

__all__ = ["validate_r4b"]

_HINT = "pip install 'visitation[fhir]'"


def validate_r4b(data: Any, name: str) -> None:
    """Raise :class:`FhirInputError` naming entry, resource and element of every problem
    ``fhir.resources.R4B`` finds (R4B, not the library's R5 default, which rejects R4)."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
        from fhir.resources.R4B.bundle import Bundle
    except ImportError as exc:
        raise ImportError(f"validate=True needs fhir.resources, the 'fhir' extra: {_HINT}") from exc
    if isinstance(data, dict) and "resourceType" not in data:  # a CDS Hooks prefetch
        problems: list[Diagnostic] = []
        for key, value in data.items():
            if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
                continue
            try:
                get_fhir_model_class(value["resourceType"]).model_validate(value)
            except ValidationError as exc:
                if value["resourceType"] == "Bundle":
                    found = _diagnostics(exc, value, name)
                else:
                    found = [
                        Diagnostic(
                            "fhir-invalid",
                            _path(
                                value["resourceType"],
                                [p for p in e["loc"] if p != value["resourceType"]],
                            )
                            + f": {e['msg']} (fhir.resources R4B)",
                            name,
                        )
                        for e in exc.errors(include_url=False)[:50]
                    ]
                problems += [
                    Diagnostic(d.code, f"prefetch.{key}: {d.message}", d.path) for d in found
                ]
            except (KeyError, ValueError) as exc:  # a resource type R4B does not have
                problems.append(Diagnostic("fhir-invalid", f"prefetch.{key}: {exc}", name))
        if problems:
            raise FhirInputError(problems)
        return
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise FhirInputError(_diagnostics(exc, data, name)) from None


def _diagnostics(exc: ValidationError, data: Any, name: str) -> list[Diagnostic]:
    out = []
    entries = data.get("entry") if isinstance(data, dict) else None
    for err in exc.errors(include_url=False)[:200]:
        loc = list(err["loc"])
        where = ""
        element = ""
        if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
            index = loc[1]
            resource: Any = {}
            if (
                isinstance(entries, list)
                and index < len(entries)
                and isinstance(entries[index], dict)
            ):
                resource = entries[index].get("resource") or {}
            rtype = resource.get("resourceType", "?") if isinstance(resource, dict) else "?"
            rid = resource.get("id") if isinstance(resource, dict) else None
            where = f"entry[{index}] ({rtype}/{rid}): " if rid else f"entry[{index}] ({rtype}): "
            rest = [p for p in loc[2:] if p != "resource" and not str(p).startswith("function")]
            # fhir.resources puts the resource's class name first, then the element path
            if rest and isinstance(rest[0], str) and rest[0] == rtype:
                rest = rest[1:]
            element = _path(rtype, rest)
        else:
            element = _path("Bundle", loc)
        out.append(
            Diagnostic("fhir-invalid", f"{where}{element}: {err['msg']} (fhir.resources R4B)", name)
        )
    return out


def _path(head: str, parts: list[Any]) -> str:
    out = head
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
