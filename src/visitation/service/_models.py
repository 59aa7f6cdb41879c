"""The CDS Hooks 2.0.1 requests as pydantic models: a service call, hook contexts, feedback.

Written from the spec's tables (HL7/cds-hooks v2.0.1 ``input/pagecontent/index.md``,
"Calling a CDS Service" and "Feedback"; the contexts from cds-hooks/docs ``docs/hooks/``),
with the 3.0 ballot's invariants that hold for 2.0 too: cds-r-1 (``fhirAuthorization``
needs ``fhirServer``), cds-fb-2 (``accepted`` needs ``acceptedSuggestions``), cds-fb-3 (an
``overrideReason`` has a ``reason`` or a ``userComment``). Unknown fields are ignored
(clients may send extensions); wrong types and missing required fields are errors.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CdsRequest",
    "Coding",
    "Feedback",
    "FeedbackItem",
    "FhirAuthorization",
    "OrderSelectContext",
    "OrderSignContext",
    "PatientViewContext",
]

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class FhirAuthorization(_In):
    """The bearer token a client gives the service for its FHIR server."""

    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class CdsRequest(_In):
    """The body of ``POST {baseUrl}/cds-services/{id}``."""

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1, max_length=200)  # noqa: N815 (the spec's name)
    fhirServer: str | None = Field(default=None, max_length=2000)  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None

    @field_validator("fhirServer")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s?#]+", value):
            raise ValueError("fhirServer is the http(s) base URL of a FHIR server")
        return value

    @model_validator(mode="after")
    def _cds_r_1(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization needs fhirServer (cds-r-1)")
        return self


_FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"


class PatientViewContext(_In):
    """``patient-view``: the user and the patient whose record was opened."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    userId: str = Field(min_length=1)  # noqa: N815
    patientId: str = Field(pattern=_FHIR_ID)  # noqa: N815
    encounterId: str | None = None  # noqa: N815


class OrderSignContext(PatientViewContext):
    """``order-sign``: the draft orders about to be signed."""

    draftOrders: dict[str, Any]  # noqa: N815

    @field_validator("draftOrders")
    @classmethod
    def _bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError("draftOrders is a FHIR Bundle (resourceType 'Bundle')")
        entries = value.get("entry", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("draftOrders.entry is an array of entries")
        return value


class OrderSelectContext(OrderSignContext):
    """``order-select``: the newly selected orders among the draft orders."""

    selections: list[str] = Field(min_length=1)


class Coding(_In):
    """A FHIR Coding."""

    system: str | None = None
    code: str | None = None
    display: str | None = None


class OverrideReason(_In):
    """Why a clinician overrode a card."""

    reason: Coding | None = None
    userComment: str | None = None  # noqa: N815

    @model_validator(mode="after")
    def _cds_fb_3(self) -> OverrideReason:
        if self.reason is None and self.userComment is None:
            raise ValueError("an overrideReason has a reason or a userComment (cds-fb-3)")
        return self


class AcceptedSuggestion(_In):
    """A suggestion the clinician accepted."""

    id: str = Field(min_length=1)


class FeedbackItem(_In):
    """One feedback entry."""

    card: str = Field(min_length=1, max_length=200)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: str  # noqa: N815

    @field_validator("outcomeTimestamp")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        if not _RFC3339.fullmatch(value):
            raise ValueError("outcomeTimestamp is an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z")
        return value

    @model_validator(mode="after")
    def _cds_fb_2(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an accepted outcome needs acceptedSuggestions (cds-fb-2)")
        return self


class Feedback(_In):
    """The body of ``POST {baseUrl}/cds-services/{id}/feedback``."""

    feedback: list[FeedbackItem] = Field(min_length=1)
