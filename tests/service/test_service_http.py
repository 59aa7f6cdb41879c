"""The CDS Hooks service over HTTP: a real uvicorn on 127.0.0.1, the spec's example
requests adapted to our patient, signed with test keys."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from service.service_helpers import Client, FakeEhr, draft_referral, order_sign, patient_view
from visitation.service import DISCOVERY, OVERRIDE_SYSTEM, RESPONSE, SUMMARY_MAX

KEY = re.compile(r"dk-[a-z]+@\d+\.\d+\.\d+")
PV = "/cds-services/visitation-patient-view"
SIGN = "/cds-services/visitation-order-sign"
SELECT = "/cds-services/visitation-order-select"


def valid(body: dict[str, Any]) -> list[dict[str, Any]]:
    jsonschema.Draft202012Validator(RESPONSE).validate(body)
    return list(body["cards"])


def test_discovery_lists_the_services_with_prefetch(client: Client) -> None:
    """Discovery names the three hooks' services, each with its prefetch templates."""
    r = client.get("/cds-services")
    assert r.status_code == 200
    body = r.json()
    jsonschema.Draft202012Validator(DISCOVERY).validate(body)
    hooks = {s["id"]: s["hook"] for s in body["services"]}
    assert hooks == {
        "visitation-patient-view": "patient-view",
        "visitation-order-select": "order-select",
        "visitation-order-sign": "order-sign",
    }
    prefetch = body["services"][0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"


def test_patient_view_gives_a_danish_card_per_pathway(client: Client) -> None:
    """patient-view answers one valid card per pathway of each rule set, in Danish."""
    r = client.post(PV, patient_view())
    assert r.status_code == 200, r.text
    cards = valid(r.json())
    topics = [
        (KEY.search(c["source"]["label"]).group(), c["source"]["topic"]["code"])  # type: ignore[union-attr]
        for c in cards
    ]
    assert topics == [
        ("dk-national@3.0.0", "specialized"),
        ("dk-national@3.0.0", "hospice"),
        ("dk-hovedstaden@2.0.0", "specialized"),
        ("dk-hovedstaden@2.0.0", "hospice"),
    ]
    for c in cards:
        assert len(c["summary"]) <= SUMMARY_MAX
        assert c["indicator"] == "info"
        assert c["uuid"]
        assert all(o["display"] and o["system"] == OVERRIDE_SYSTEM for o in c["overrideReasons"])
        assert c["links"][0]["url"].startswith(client.server.base + "/rulesets/")
    national = cards[1]
    assert "kan ikke afgøres" in national["summary"] or "opfylder" in national["summary"]
    assert "FORELØBIG" in national["source"]["label"]  # a provisional rule set says so
    assert national["detail"].startswith("> **FORELØBIG")
    assert "**Kriterier**" in national["detail"]


def test_language_extension_gives_english_cards(client: Client) -> None:
    """The request extension dk.visitation.language chooses English."""
    body = patient_view(extension={"dk.visitation.language": "en"})
    cards = valid(client.post(PV, body).json())
    assert "Hospice:" in cards[1]["summary"]
    assert "PROVISIONAL" in cards[1]["source"]["label"]
    assert "**Criteria**" in cards[1]["detail"]


def test_order_sign_gives_the_verdict_for_that_pathway(client: Client) -> None:
    """A draft referral to hospice gets the hospice cards only, with the to-do list and a
    Task suggestion, and a warning while facts are missing."""
    cards = valid(client.post(SIGN, order_sign()).json())
    assert [c["source"]["topic"]["code"] for c in cards] == ["hospice", "hospice"]
    for c in cards:
        assert c["indicator"] in ("warning", "critical")
        if "kan ikke afgøres" in c["summary"]:
            assert c["indicator"] == "warning"
            task = c["suggestions"][0]["actions"][0]["resource"]
            assert task["resourceType"] == "Task"
            assert task["for"] == {"reference": "Patient/karen-1"}
            assert c["selectionBehavior"] == "at-most-one"
            assert "**Mangler:**" in c["detail"]


def test_order_sign_for_the_team_pathway(client: Client) -> None:
    """A referral to a palliative care service (SNOMED CT 306237005) is for 'specialized'."""
    body = order_sign(draft_referral("306237005", "draft-team"))
    cards = valid(client.post(SIGN, body).json())
    assert {c["source"]["topic"]["code"] for c in cards} == {"specialized"}


def test_order_sign_without_a_palliative_referral_gives_no_cards(client: Client) -> None:
    """Draft orders that are no palliative referral get an empty card list."""
    other = draft_referral("73761001", "colonoscopy")
    assert client.post(SIGN, order_sign(other)).json() == {"cards": []}


def test_order_select_reads_only_the_selected_orders(client: Client) -> None:
    """order-select looks at the selections only."""
    body = order_sign(draft_referral(), hook="order-select")
    body["context"]["selections"] = ["ServiceRequest/something-else"]
    assert client.post(SELECT, body).json() == {"cards": []}
    body["context"]["selections"] = ["ServiceRequest/draft-hospice"]
    cards = valid(client.post(SELECT, body).json())
    assert {c["source"]["topic"]["code"] for c in cards} == {"hospice"}


def test_null_prefetch_means_no_data(client: Client) -> None:
    """A null prefetch value is "no data", not an error: the verdicts become indeterminate."""
    body = patient_view()
    body["prefetch"] = {k: (v if k == "patient" else None) for k, v in body["prefetch"].items()}
    cards = valid(client.post(PV, body).json())
    assert all("kan ikke afgøres" in c["summary"] for c in cards)


def test_absent_prefetch_without_a_fhir_server_is_412(client: Client) -> None:
    """A prefetch key left out, and no fhirServer to read it from: 412 naming the key."""
    body = patient_view()
    del body["prefetch"]["conditions"]
    r = client.post(PV, body)
    assert r.status_code == 412
    assert r.headers["content-type"] == "application/problem+json"
    assert "'conditions'" in r.json()["detail"]


def test_absent_prefetch_is_fetched_from_the_fhir_server(client: Client, ehr: FakeEhr) -> None:
    """Without a prefetch, the service reads every template from fhirServer with the
    fhirAuthorization bearer token, and gives the same cards as with the prefetch."""
    expected = [c["summary"] for c in client.post(PV, patient_view()).json()["cards"]]
    body = patient_view(
        fhirServer=ehr.base + "/fhir",
        fhirAuthorization={
            "access_token": "opaque-fhir-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "visitation",
        },
    )
    del body["prefetch"]
    r = client.post(PV, body)
    assert r.status_code == 200, r.text
    assert [c["summary"] for c in r.json()["cards"]] == expected
    paths = {p.split("?")[0] for p, _ in ehr.requests}
    assert "/fhir/Patient/karen-1" in paths and "/fhir/Observation" in paths
    assert {auth for _, auth in ehr.requests} == {"Bearer opaque-fhir-token"}


def test_a_failing_fhir_server_is_412(client: Client, ehr: FakeEhr) -> None:
    """When the FHIR server answers 500, the data cannot be had: 412."""
    ehr.fail = 500
    body = patient_view(
        fhirServer=ehr.base + "/fhir",
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "visitation",
        },
    )
    del body["prefetch"]["observations"]
    r = client.post(PV, body)
    assert r.status_code == 412
    assert "observations" in r.json()["detail"]


def test_a_slow_fhir_server_is_412(client: Client, ehr: FakeEhr) -> None:
    """A FHIR server slower than fhir_timeout_seconds (2 s here): 412, in bounded time."""
    ehr.delay = 2.5
    body = patient_view(
        fhirServer=ehr.base + "/fhir",
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "visitation",
        },
    )
    del body["prefetch"]["consents"]
    r = client.post(PV, body)
    assert r.status_code == 412
    assert "in time" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "title"),
    [
        (b'{"hook": "patient-view",', 400, "Malformed JSON"),
        (b'{"hook": NaN}', 400, "Malformed JSON"),
        (b"[1, 2]", 400, "Not a CDS Hooks request"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "Malformed JSON"),
        ({"hook": "order-sign", "hookInstance": "x", "context": {}}, 400, "Wrong hook"),
        ({"hook": "patient-view", "hookInstance": "x"}, 422, "Invalid request"),
        (
            {"hook": "patient-view", "hookInstance": "x", "context": {"userId": "Practitioner/1"}},
            422,
            "Invalid request",
        ),
    ],
)
def test_bad_requests_get_a_problem_detail(
    client: Client, body: Any, status: int, title: str
) -> None:
    """Malformed JSON, a wrong hook, missing context: 400/422 problem details, no trace."""
    r = client.post(PV, body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == title
    assert "Traceback" not in r.text


def test_missing_context_field_is_named(client: Client) -> None:
    """A missing context.patientId is named by its JSON pointer."""
    body = patient_view()
    del body["context"]["patientId"]
    r = client.post(PV, body)
    assert r.status_code == 422
    assert {"pointer": "/context/patientId", "detail": "Field required"} in r.json()["errors"]


def test_unknown_service_is_404(client: Client) -> None:
    """An unknown service id is a 404 problem detail."""
    r = client.post("/cds-services/no-such-service", patient_view())
    assert r.status_code == 404
    assert r.json()["title"] == "Unknown CDS Service"


def test_prefetch_that_is_not_a_bundle_is_422(client: Client) -> None:
    """A search prefetch that holds a Patient (or a string) instead of a Bundle: 422."""
    body = patient_view()
    body["prefetch"]["conditions"] = body["prefetch"]["patient"]
    r = client.post(PV, body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/prefetch/conditions/resourceType"
    body["prefetch"]["conditions"] = "Condition/dx-lung"
    assert client.post(PV, body).status_code == 422


def test_an_r5_resource_is_422(client: Client) -> None:
    """An R5-only shape (Encounter.class as a list) is refused with 422, naming R5."""
    body = patient_view()
    enc = body["prefetch"]["encounters"]["entry"][0]["resource"]
    enc["class"] = [{"coding": [{"code": "AMB"}]}]
    r = client.post(PV, body)
    assert r.status_code == 422
    assert r.json()["title"] == "FHIR R5 resource"
    sign = order_sign()
    sign["context"]["draftOrders"]["entry"][0]["resource"]["code"] = {"concept": {}}
    assert client.post(SIGN, sign).json()["title"] == "FHIR R5 resource"


def test_a_body_over_the_limit_is_413(client: Client) -> None:
    """A body over max_body_bytes is refused before it is read whole."""
    r = client.post(PV, b'{"x": "' + b"a" * 2_100_000 + b'"}')
    assert r.status_code == 413


def test_the_cards_renderer_is_registered(client: Client) -> None:
    """The server's OpenAPI document is served for tools."""
    doc = client.http.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) >= {
        "/cds-services",
        "/cds-services/{id}",
        "/cds-services/{id}/feedback",
    }


def test_ruleset_view_is_readable(client: Client) -> None:
    """The rule set's readable view, linked from every card, is an HTML page."""
    r = client.http.get("/rulesets/dk-national/3.0.0")
    assert r.status_code == 200
    assert "dk-national@3.0.0" in r.text
    assert client.http.get("/rulesets/dk-national/9.9.9").status_code == 404
