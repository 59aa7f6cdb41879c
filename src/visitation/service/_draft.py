"""The draft referral of order-select / order-sign, read as the referral under decision.

A draft ServiceRequest (``context.draftOrders``) whose code the configuration's ``orders``
maps to a pathway is the referral the cards are about. What it carries that the guideline
reads, and that is well defined for a draft, goes to the FHIR reader as if the draft were
the record's palliative referral (its ``status`` read as ``active``: what it becomes when
signed), so every fact keeps its provenance (``ServiceRequest/<id>``, element):

- ``authoredOn`` → ``referral_sent_on`` (the mapping's ``referral.sent``);
- ``reasonReference`` → which Condition of the prefetch is the diagnosis
  (``diagnosis_code``, ``diagnosis_group``), as for a sent referral.

Not read from a draft: the referral-received extension (a draft has not been received),
``requester`` (whether that person is a doctor is in a Practitioner or PractitionerRole the
prefetch does not carry), ``reasonCode`` (a diagnosis is read from a Condition, which has
a clinical and verification status; a bare code in a referral has neither) and
``supportingInfo`` (its resources are read where the prefetch holds them, like any other).

**The draft wins.** The record's other palliative referrals (ServiceRequests of the
prefetch with a referral code) describe earlier referrals, not this one: their sent and
received dates and the diagnosis they name would be wrong for it, so they are left out of
the reading. Facts from Observations (who refers, what the referral states) are the
record's and stay.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from visitation import fhir as vfhir

__all__ = ["referral_codes", "service_mapping", "with_drafts"]


def referral_codes(orders: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    """The ``system|code`` keys of the configuration's ``orders`` as (system, code)."""
    return frozenset((key.partition("|")[0], key.partition("|")[2]) for key in orders)


def service_mapping(orders: Mapping[str, str]) -> vfhir.Mapping:
    """The shipped FHIR mapping, with every order code of the configuration also read as a
    palliative referral (a hospice referral is one, for the guideline)."""
    import dataclasses

    base = vfhir.default_mapping()
    codes = base.referral_codes | referral_codes(orders)
    if codes == base.referral_codes:
        return base
    return dataclasses.replace(base, referral_codes=codes)


def _code_of(res: Mapping[str, Any]) -> set[tuple[str, str]]:
    code = res.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list):
        return set()
    return {(str(c.get("system")), str(c.get("code"))) for c in codings if isinstance(c, dict)}


def with_drafts(
    present: Mapping[str, Any],
    drafts: Iterable[Mapping[str, Any]],
    codes: frozenset[tuple[str, str]],
    received_extension: str,
) -> dict[str, Any]:
    """The prefetch the FHIR reader sees for an order: ``drafts`` (the draft referrals the
    cards are for) in place of the record's other referrals (module docstring)."""
    chosen = []
    for draft in drafts:
        res = copy.deepcopy(dict(draft))
        res["status"] = "active"
        ext = res.get("extension")
        if isinstance(ext, list):
            kept = [
                e for e in ext if not (isinstance(e, dict) and e.get("url") == received_extension)
            ]
            if kept:
                res["extension"] = kept
            else:
                del res["extension"]
        chosen.append(res)
    if not chosen:
        return dict(present)
    ids = {res["id"] for res in chosen if isinstance(res.get("id"), str)}
    entries: list[Any] = []
    given = present.get("serviceRequests")
    if isinstance(given, dict) and isinstance(given.get("entry"), list):
        for entry in given["entry"]:
            found = entry.get("resource") if isinstance(entry, dict) else None
            if (
                isinstance(found, dict)
                and found.get("resourceType") == "ServiceRequest"
                and (found.get("id") in ids or _code_of(found) & codes)
            ):
                continue  # the draft itself, or an earlier referral: the draft wins
            entries.append(entry)
    bundle = dict(given) if isinstance(given, dict) else {"resourceType": "Bundle"}
    bundle.setdefault("type", "searchset")
    bundle["entry"] = entries + [{"resource": res} for res in chosen]
    return {**present, "serviceRequests": bundle}
