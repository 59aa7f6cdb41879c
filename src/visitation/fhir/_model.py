"""What extraction returns: facts, a provenance per fact, conflicts and the unmapped report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from visitation import Patient, facts_of, json_value

__all__ = ["Conflict", "Extraction", "FactProvenance", "Source", "Unmapped", "json_value"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where one value came from: resource, entry, element, coding and mapping entry."""

    resource: str
    """``Condition/abc`` (or ``Condition (entry[3])`` for a resource without an id)."""
    entry: str
    """The entry in the bundle: ``entry[3]``, or ``prefetch.conditions.entry[0]``."""
    element: str
    """The element read, as a FHIR path: ``Condition.code.coding[1]``."""
    mapping: str
    """The id of the mapping entry used, e.g. ``condition.diagnosis``."""
    full_url: str | None = None
    system: str | None = None
    code: str | None = None
    display: str | None = None
    date: str | None = None
    """The resource's own date (effective, recorded, authored...), ISO, when it has one."""

    @property
    def link(self) -> str | None:
        """A URL a clinician can open: the fullUrl when it is an http(s) address."""
        url = self.full_url
        return url if url is not None and url.startswith(("http://", "https://")) else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (absent parts left out)."""
        out: dict[str, Any] = {
            "resource": self.resource,
            "entry": self.entry,
            "element": self.element,
            "mapping": self.mapping,
        }
        for key in ("full_url", "system", "code", "display", "date"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class FactProvenance:
    """Where a fact's value came from, and which other resources also gave the fact."""

    fact: str
    value: Any
    """The value in JSON form."""
    source: Source
    rule: Literal["only", "agree", "latest", "earliest"]
    """How the source was chosen: the only one, several agreeing, or the conflict rule."""
    others: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        out: dict[str, Any] = {"value": self.value, "rule": self.rule, **self.source.to_dict()}
        if self.others:
            out["others"] = [s.to_dict() for s in self.others]
        return out


@dataclass(frozen=True, slots=True)
class Conflict:
    """Resources that gave one fact different values, and what came of it."""

    fact: str
    outcome: Literal["resolved", "unknown"]
    reason: str
    candidates: tuple[tuple[Any, Source], ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "fact": self.fact,
            "outcome": self.outcome,
            "reason": self.reason,
            "candidates": [{"value": v, **s.to_dict()} for v, s in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Unmapped:
    """Codes (or whole resources) the mapping did not turn into any fact, grouped."""

    resource_type: str
    element: str
    reason: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    count: int = 1
    resources: tuple[str, ...] = ()
    """The first few resources concerned (``Condition/abc``)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (absent parts left out)."""
        out: dict[str, Any] = {"resource_type": self.resource_type, "element": self.element}
        for key in ("system", "code", "display"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(reason=self.reason, count=self.count, resources=list(self.resources))
        return out


@dataclass(frozen=True, slots=True)
class Extraction:
    """Patient facts read from a bundle, with the provenance of each recorded fact."""

    patient: Patient
    provenance: Mapping[str, FactProvenance]
    conflicts: tuple[Conflict, ...]
    unmapped: tuple[Unmapped, ...]
    ignored: Mapping[str, int]
    """Resource types the mapping does not read → how many entries had them."""
    on: date
    mapping: str
    """``name@version`` of the mapping file used."""
    source: str
    """The bundle's name in messages (a file name, or ``<bundle>``)."""
    patient_ref: str | None = None
    patient_identifier: str | None = None
    """The patient's CPR number (``urn:oid:1.2.208.176.1.2``) when the bundle has one."""

    @property
    def facts(self) -> dict[str, Any]:
        """The recorded facts (fact → value), as the Patient holds them."""
        return {k: v for k, v in facts_of(self.patient).items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: facts, provenance, conflicts, unmapped, ignored."""
        return {
            "source": self.source,
            "patient": self.patient_ref,
            "evaluated_on": self.on.isoformat(),
            "mapping": self.mapping,
            "facts": {k: json_value(v) for k, v in self.facts.items()},
            "provenance": {k: p.to_dict() for k, p in self.provenance.items()},
            "conflicts": [c.to_dict() for c in self.conflicts],
            "unmapped": [u.to_dict() for u in self.unmapped],
            "ignored": dict(self.ignored),
        }
