"""order-select / order-sign read the draft referral's own facts: its authoredOn as the
referral date and its reasonReference as the diagnosis, with provenance; the draft wins
over the record's earlier referral."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.service_helpers import Client, draft_referral, order_sign, prefetch
from visitation import fhir as vfhir
from visitation.service._config import ServiceConfig
from visitation.service._draft import service_mapping, with_drafts

SIGN = "/cds-services/visitation-order-sign"
ON = date(2026, 11, 23)
MAPPING = service_mapping(ServiceConfig().orders)


def _read(*drafts: dict[str, Any]) -> vfhir.Extraction:
    present = with_drafts(prefetch(), drafts, MAPPING.referral_codes, MAPPING.received_extension)
    return vfhir.facts_from_bundle(present, on=ON, mapping=MAPPING, name="prefetch")


def _draft(reason: str, authored: str | None = "2026-11-20", **extra: Any) -> dict[str, Any]:
    res = draft_referral()  # SNOMED CT 306205009, referral to hospice, status draft
    res["reasonReference"] = [{"reference": reason}]
    if authored is not None:
        res["authoredOn"] = authored
    return {**res, **extra}


def test_the_record_alone_gives_the_earlier_referral() -> None:
    """Without a draft, the record's referral (ref-1) gives the dates and the diagnosis."""
    ex = vfhir.facts_from_bundle(prefetch(), on=ON, mapping=MAPPING, name="prefetch")
    assert ex.facts["referral_sent_on"] == date(2026, 11, 2)
    assert ex.facts["referral_received_on"] == date(2026, 11, 4)
    assert ex.facts["diagnosis_group"] == "cancer"


def test_the_draft_gives_the_referral_date_with_provenance() -> None:
    """A draft's authoredOn is referral_sent_on, its source the draft's element; the
    earlier referral's dates are not this referral's."""
    ex = _read(_draft("Condition/dx-lung"))
    assert ex.facts["referral_sent_on"] == date(2026, 11, 20)
    src = ex.provenance["referral_sent_on"].source
    assert (src.resource, src.element) == (
        "ServiceRequest/draft-hospice",
        "ServiceRequest.authoredOn",
    )
    assert src.code == "306205009"
    assert "referral_received_on" not in ex.facts
    assert ex.facts["diagnosis_group"] == "cancer"


def test_the_draft_names_the_diagnosis() -> None:
    """The Condition a draft names is the diagnosis, not the one the earlier referral
    named: a fracture is in no DPD disease group, so the group is unknown."""
    ex = _read(_draft("Condition/dx-fracture"))
    assert "diagnosis_group" not in ex.facts
    assert ex.facts["referral_sent_on"] == date(2026, 11, 20)


def test_what_a_draft_cannot_carry_is_not_read() -> None:
    """A received date on a draft is not read, nor is a referral date it lacks."""
    received = {
        "url": MAPPING.received_extension,
        "valueDate": "2026-11-21",
    }
    ex = _read(_draft("Condition/dx-lung", authored=None, extension=[received]))
    assert "referral_received_on" not in ex.facts
    assert "referral_sent_on" not in ex.facts


def test_order_sign_reads_the_draft_as_part_of_the_record(client: Client) -> None:
    """Through the service: a draft of another patient, or with a reasonReference that is
    no Reference, is refused with a 422 naming the draft's element; a good one gets cards."""
    good = client.post(SIGN, order_sign(_draft("Condition/dx-lung")))
    assert good.status_code == 200 and good.json()["cards"]
    other = _draft("Condition/dx-lung", subject={"reference": "Patient/someone-else"})
    answer = client.post(SIGN, order_sign(other))
    assert answer.status_code == 422, answer.text
    assert "more than one patient" in answer.text
    broken = _draft("Condition/dx-lung")
    broken["reasonReference"] = ["Condition/dx-lung"]
    answer = client.post(SIGN, order_sign(broken))
    assert answer.status_code == 422, answer.text
    assert "ServiceRequest.reasonReference[0]" in answer.text
