"""Prefetch templates, and getting the data a request did not bring (CDS Hooks 2.0.1).

The service asks, in discovery, for the patient and a search per resource type the FHIR
mapping reads. A request's ``prefetch`` is checked against those templates:

- a key with a resource (a Patient for the read, a Bundle for each search) is used;
- a key whose value is ``null`` means the client has no such data: nothing to use, no
  error;
- an absent key (or an OperationOutcome in its place) means the client did not fetch it:
  the service reads it from ``fhirServer`` with the ``fhirAuthorization`` bearer token
  (httpx, with a timeout, a size limit and a bounded number of pages);
- when the data can be had neither way, :class:`PreconditionFailed` (HTTP 412).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "PREFETCH",
    "BadPrefetch",
    "PreconditionFailed",
    "complete",
    "gather",
    "prefetch_of",
    "render_template",
]

PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "serviceRequests": "ServiceRequest?patient={{context.patientId}}",
    "encounters": "Encounter?patient={{context.patientId}}",
    "consents": "Consent?patient={{context.patientId}}",
    "questionnaireResponses": "QuestionnaireResponse?patient={{context.patientId}}",
}
"""The prefetch templates in discovery: the resource types the FHIR mapping reads."""

_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class PreconditionFailed(Exception):
    """The data a prefetch key stands for could be had neither from the request nor from
    the FHIR server (HTTP 412); ``key`` names it, ``reason`` says why (no patient data)."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"prefetch '{key}': {reason}")


class BadPrefetch(Exception):
    """A prefetch value of the wrong shape (HTTP 422): ``pointer`` is its JSON pointer."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer}: {message}")


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """Where and how to fetch what the prefetch lacks."""

    server: str
    token: str
    timeout: float
    max_bytes: int
    max_pages: int


def prefetch_of(
    bundle: Mapping[str, Any], templates: Mapping[str, str] = PREFETCH
) -> dict[str, Any]:
    """The CDS Hooks prefetch a client holding ``bundle`` (one patient's record, a FHIR R4
    Bundle as parsed JSON) sends for ``templates``: every key present, so the service
    fetches nothing from ``fhirServer`` (an absent key would mean "fetch it").

    A read template (``Patient/{{context.patientId}}``) gets the bundle's resource of that
    type, or ``None`` (no data: a read that finds nothing) when it has none; a search
    template (``Condition?patient=...``) gets a ``searchset`` Bundle of the bundle's
    resources of that type, in bundle order, each entry with its ``fullUrl`` where the
    bundle gives one (an empty Bundle when there are none). Resources of a type no
    template names are left out. ``ValueError`` for a bundle that is not a Bundle or
    holds two resources for one read.
    """
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise ValueError("prefetch_of takes a FHIR Bundle (resourceType 'Bundle')")
    reads: dict[str, str] = {}
    searches: dict[str, str] = {}
    for key, template in templates.items():
        rtype = re.split(r"[/?]", template, maxsplit=1)[0]
        (searches if "?" in template else reads)[rtype] = key
    out: dict[str, Any] = dict.fromkeys(reads.values())
    for key in searches.values():
        out[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    for k, entry in enumerate(bundle.get("entry") or ()):
        res = entry.get("resource") if isinstance(entry, Mapping) else None
        rtype = res.get("resourceType") if isinstance(res, Mapping) else None
        if not isinstance(rtype, str):
            continue
        if rtype in reads:
            if out[reads[rtype]] is not None:
                raise ValueError(f"entry[{k}]: a second {rtype} for the read of {reads[rtype]!r}")
            out[reads[rtype]] = res
        elif rtype in searches:
            item: dict[str, Any] = {"resource": res}
            if "fullUrl" in entry:
                item = {"fullUrl": entry["fullUrl"], **item}
            out[searches[rtype]]["entry"].append(item)
    return {key: out[key] for key in templates}


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """The relative FHIR URL of a template, its ``{{context.x}}`` tokens filled in.

    Only root-level primitive context fields are tokens (the spec's rule); a FHIR id is
    checked against FHIR's id syntax, so nothing can be smuggled into the URL.
    """

    def fill(m: re.Match[str]) -> str:
        value = context.get(m.group(1))
        if not isinstance(value, str) or not _FHIR_ID.fullmatch(value):
            raise PreconditionFailed(template, f"context.{m.group(1)} is not a FHIR id")
        return value

    return _TOKEN.sub(fill, template)


def _check(key: str, value: Any, template: str) -> Any:
    """The prefetch value of ``key`` if usable; ``None`` for an OperationOutcome."""
    pointer = f"/prefetch/{key}"
    if not isinstance(value, dict):
        raise BadPrefetch(pointer, "a prefetch value is a FHIR resource (a JSON object) or null")
    rtype = value.get("resourceType")
    if rtype == "OperationOutcome":
        return None  # the client could not fetch it: fetch it ourselves, or 412
    expected = "Bundle" if "?" in template else template.split("/", 1)[0]
    if rtype != expected:
        shown = f"'{rtype}'" if isinstance(rtype, str) else "missing"
        raise BadPrefetch(
            f"{pointer}/resourceType",
            f"the template {template!r} gives a {expected}, not resourceType {shown}",
        )
    return value


def complete(prefetch: Mapping[str, Any] | None, templates: Mapping[str, str] = PREFETCH) -> bool:
    """Whether ``prefetch`` holds every template's data (a resource, or ``null`` for none),
    so that :func:`gather` fetches nothing: an absent key or an OperationOutcome in its
    place is fetched from ``fhirServer``."""
    if prefetch is None:
        return False
    for key in templates:
        if key not in prefetch:
            return False
        value = prefetch[key]
        if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
            return False
    return True


async def gather(
    prefetch: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    access: FhirAccess | None,
    http: httpx.AsyncClient | None,
    templates: Mapping[str, str] = PREFETCH,
) -> dict[str, Any]:
    """Every template's data: from the prefetch, or fetched; ``None`` where there is none."""
    given = dict(prefetch or {})
    out: dict[str, Any] = {}
    for key, template in templates.items():
        if key in given:
            value = given[key]
            if value is None:
                out[key] = None  # "no data", not an error
                continue
            checked = _check(key, value, template)
            if checked is not None:
                out[key] = checked
                continue
        if access is None or http is None:
            raise PreconditionFailed(key, "not in the prefetch and no fhirServer with a token")
        out[key] = await _fetch(key, render_template(template, context), access, http)
    return out


async def _fetch(key: str, query: str, access: FhirAccess, http: httpx.AsyncClient) -> Any:
    url: str | None = f"{access.server.rstrip('/')}/{query}"
    headers = {"Authorization": f"Bearer {access.token}", "Accept": "application/fhir+json"}
    budget = access.max_bytes
    first: dict[str, Any] | None = None
    pages = 0
    while url is not None:
        pages += 1
        try:
            async with http.stream(
                "GET", url, headers=headers, timeout=access.timeout, follow_redirects=False
            ) as response:
                if response.status_code == 404 and "?" not in query:
                    return None  # the read found nothing: no data
                if response.status_code != 200:
                    raise PreconditionFailed(
                        key, f"the FHIR server answered {response.status_code}"
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > budget:
                        raise PreconditionFailed(key, "the FHIR server's answer is too large")
        except httpx.TimeoutException:
            raise PreconditionFailed(key, "the FHIR server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise PreconditionFailed(
                key, f"the FHIR server cannot be reached ({type(exc).__name__})"
            ) from None
        budget -= len(body)
        try:
            page = json.loads(bytes(body))
        except ValueError:
            raise PreconditionFailed(key, "the FHIR server's answer is not JSON") from None
        if not isinstance(page, dict):
            raise PreconditionFailed(key, "the FHIR server's answer is not a resource")
        if first is None:
            first = page
        elif isinstance(page.get("entry"), list):
            first.setdefault("entry", []).extend(page["entry"])
        url = _next(page, access.server) if "?" in query and pages < access.max_pages else None
    if first is not None and first.get("resourceType") == "OperationOutcome":
        raise PreconditionFailed(key, "the FHIR server answered with an OperationOutcome")
    return first


def _next(page: Mapping[str, Any], server: str) -> str | None:
    """The next page of a searchset, only when it is on the same FHIR server."""
    links = page.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url.startswith(server.rstrip("/") + "/"):
                return url
    return None
