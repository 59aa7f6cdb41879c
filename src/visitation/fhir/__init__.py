"""FHIR R4 in and out: patient facts with provenance from a Bundle, a GuidanceResponse back.

The core path walks plain JSON (a dict from ``json`` or ``orjson``) and needs nothing
beyond the core's own dependencies; strict validation with the ``fhir.resources`` R4B
models (``validate=True``) needs the extra: ``pip install 'visitation[fhir]'``.

    >>> from visitation import fhir
    >>> bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
    ...     {"fullUrl": "https://ehr.example/fhir/Patient/p1",
    ...      "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-14"}}]}
    >>> x = fhir.facts_from_bundle(bundle, on="2026-11-23")
    >>> x.facts
    {'birth_date': datetime.date(1950, 3, 14)}
    >>> x.provenance["birth_date"].source.element
    'Patient.birthDate'
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import visitation
from visitation import CompiledRuleSet, RuleSet
from visitation.fhir._guidance import assessment_to_fhir
from visitation.fhir._mapping import (
    DEFAULT_MAPPING,
    Mapping,
    MappingEntry,
    MappingFileError,
    default_mapping,
    load_mapping,
)
from visitation.fhir._model import Conflict, Extraction, FactProvenance, Source, Unmapped
from visitation.fhir._read import MAX_BUNDLE_BYTES, FhirInputError, read_bundle
from visitation.fhir._result import FhirAssessment

__all__ = [
    "DEFAULT_MAPPING",
    "MAX_BUNDLE_BYTES",
    "Conflict",
    "Extraction",
    "FactProvenance",
    "FhirAssessment",
    "FhirInputError",
    "Mapping",
    "MappingEntry",
    "MappingFileError",
    "Source",
    "Unmapped",
    "assessment_to_fhir",
    "default_mapping",
    "evaluate",
    "facts_from_bundle",
    "is_bundle",
    "load_mapping",
]


def _day(on: date | str) -> date:
    return on if isinstance(on, date) else date.fromisoformat(on)


def _mapping(mapping: Mapping | str | Path | None) -> Mapping:
    if mapping is None:
        return default_mapping()
    return mapping if isinstance(mapping, Mapping) else load_mapping(mapping)


def facts_from_bundle(
    bundle: Any,
    *,
    on: date | str,
    mapping: Mapping | str | Path | None = None,
    validate: bool = False,
    name: str | None = None,
) -> Extraction:
    """Patient facts and their provenance from one patient's FHIR R4 Bundle.

    ``bundle`` is a dict (parsed JSON), JSON bytes, a path, a CDS Hooks prefetch object or
    a ``fhir.resources`` model. Resources dated after ``on`` are not used. ``mapping``
    is a mapping file (path) or a loaded :class:`Mapping`; by default the shipped one.
    ``validate=True`` first checks the bundle against ``fhir.resources.R4B``.

    Raises :class:`FhirInputError` naming entry, resource and element of every problem
    (not a Bundle, a malformed or R5-only resource, several patients, over 50 MiB).
    """
    from visitation.fhir._extract import extract

    day = _day(on)
    m = _mapping(mapping)
    data, shown = read_bundle(bundle, name=name)
    if validate:
        from visitation.fhir._validate import validate_r4b

        validate_r4b(data, shown)
    return extract(data, on=day, mapping=m, name=shown)


def evaluate(
    bundle: Any,
    rules: str | Path | RuleSet | CompiledRuleSet = "dk-national",
    *,
    on: date | str,
    lang: str | None = None,
    mapping: Mapping | str | Path | None = None,
    validate: bool = False,
) -> FhirAssessment:
    """Evaluate a patient's Bundle against a rule set: the Assessment with the provenance.

    The facts come from :func:`facts_from_bundle`; ``rules`` (a family, ``family@version``,
    a rule file path, a RuleSet or a compiled rule set) and ``lang`` are as for
    :func:`visitation.evaluate`.
    """
    day = _day(on)
    extraction = facts_from_bundle(bundle, on=day, mapping=mapping, validate=validate)
    assessment = visitation.evaluate(extraction.patient, rules, on=day, lang=lang)
    return FhirAssessment(assessment, extraction)


def is_bundle(data: Any) -> bool:
    """Whether parsed JSON is a FHIR Bundle (or a CDS Hooks prefetch of resources)."""
    if not isinstance(data, dict):
        return False
    if data.get("resourceType") == "Bundle":
        return True
    return bool(data) and all(
        v is None or (isinstance(v, dict) and "resourceType" in v) for v in data.values()
    )
