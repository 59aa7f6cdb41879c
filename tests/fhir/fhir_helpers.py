"""Shared pieces of the FHIR tests: the evaluation date, the data bundles, builders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

ON = date(2026, 11, 23)
DATA = Path(__file__).resolve().parents[1] / "data" / "fhir"
FACTS_SYSTEM = "https://visitation.dk/fhir/CodeSystem/facts"
SKS = "urn:oid:1.2.208.176.2.4.12"


def load(name: str) -> dict[str, Any]:
    """One of the hand-written bundles under tests/data/fhir."""
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def bundle(*resources: dict[str, Any], btype: str = "collection") -> dict[str, Any]:
    """A Bundle of the given resources, each with a server fullUrl."""
    entries = []
    for r in resources:
        entry: dict[str, Any] = {"resource": r}
        if "id" in r:
            entry["fullUrl"] = f"https://ehr.example.dk/fhir/{r.get('resourceType')}/{r['id']}"
        entries.append(entry)
    return {"resourceType": "Bundle", "type": btype, "entry": entries}


def patient(pid: str = "p1", **extra: Any) -> dict[str, Any]:
    """A Patient resource."""
    return {"resourceType": "Patient", "id": pid, **extra}


def fact_obs(oid: str, code: str, when: str | None = "2026-11-01", **value: Any) -> dict[str, Any]:
    """An Observation coded with the project's facts code system."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": FACTS_SYSTEM, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        **value,
    }
    if when is not None:
        obs["effectiveDateTime"] = when
    return obs


def condition(cid: str, *codings: tuple[str, str], **extra: Any) -> dict[str, Any]:
    """A Condition with the given (system, code) codings."""
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": s, "code": c} for s, c in codings]},
        "subject": {"reference": "Patient/p1"},
        **extra,
    }
