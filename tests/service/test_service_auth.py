"""JWT bearer authentication per CDS Hooks 2.0.1: every check refuses with 401, a
WWW-Authenticate header and no detail."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from service.service_helpers import JKU_ISS, Client, FakeEhr, patient_view

PV = "/cds-services/visitation-patient-view"


def refused(client: Client, headers: dict[str, str]) -> None:
    r = client.http.post(PV, json=patient_view(), headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer ")
    assert r.json() == {"type": "about:blank", "title": "Unauthorized", "status": 401}


def test_no_token_is_401(client: Client) -> None:
    """A request without Authorization is refused."""
    refused(client, {})


@pytest.mark.parametrize(
    "token",
    [
        {"claims": {"aud": "http://127.0.0.1:1/cds-services/visitation-patient-view"}},
        {"claims": {"aud": "https://cds.example.org/cds-services"}},
        {"rel": {"exp": -120, "iat": -400}},
        {"rel": {"iat": 600, "exp": 700}},
        {"rel": {"exp": 3000}},
        {"claims": {"iss": "https://evil.example/"}},
        {"drop": ("jti",)},
        {"drop": ("iat",)},
        {"kid": "unknown-kid"},
        {"headers": {"typ": "JOSE"}},
        {"alg": "RS384"},  # the ES384 issuer allows ES384 only
        {
            "iss": JKU_ISS,
            "alg": "RS384",
            "kid": "other-1",
            "headers": {"jku": "https://evil.example/jwks.json"},
        },
    ],
    ids=[
        "aud-other-host",
        "aud-discovery",
        "expired",
        "iat-future",
        "lifetime",
        "iss",
        "no-jti",
        "no-iat",
        "kid",
        "typ",
        "alg-not-allowed",
        "jku-not-allow-listed",
    ],
)
def test_bad_tokens_are_401(client: Client, ehr: FakeEhr, token: dict[str, Any]) -> None:
    """Wrong aud, expiry, iat, lifetime, iss, jti, kid, typ, alg or jku: 401."""
    refused(client, client.auth(PV, **token))
    assert not any("evil" in p for p, _ in ehr.requests)  # no unlisted jku is ever fetched


def test_none_and_hmac_are_refused(client: Client, keys: Any) -> None:
    """alg none and an HMAC token (keyed with the public JWK) are refused."""
    aud = client.server.base + PV
    now = int(time.time())
    claims = {
        "iss": "https://ehr.region.example.dk/",
        "aud": aud,
        "exp": now + 60,
        "iat": now,
        "jti": "j-none",
    }
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": "ehr-1"})
    refused(client, {"Authorization": f"Bearer {unsigned}"})
    hmac = jwt.encode(
        {**claims, "jti": "j-hmac"},
        "public-key-as-secret-" + "0123456789abcdef" * 4,
        algorithm="HS384",
        headers={"kid": "ehr-1"},
    )
    refused(client, {"Authorization": f"Bearer {hmac}"})


def test_a_replayed_token_is_401(client: Client, keys: Any) -> None:
    """The same jti twice: the second is refused."""
    headers = client.auth(PV)
    assert client.http.post(PV, json=patient_view(), headers=headers).status_code == 200
    refused(client, headers)


def test_allow_listed_jku_with_rs384(client: Client, ehr: FakeEhr) -> None:
    """An RS384 token whose key is at the issuer's allow-listed jku is accepted."""
    jku = ehr.base + "/.well-known/jwks.json"
    headers = client.auth(PV, iss=JKU_ISS, alg="RS384", kid="other-1", headers={"jku": jku})
    r = client.http.post(PV, json=patient_view(), headers=headers)
    assert r.status_code == 200, r.text
    assert any(p == "/.well-known/jwks.json" for p, _ in ehr.requests)


def test_aud_is_the_exact_endpoint(client: Client) -> None:
    """A token for one service is refused by another (aud is the exact endpoint URL)."""
    other = client.auth("/cds-services/visitation-order-sign")
    refused(client, other)
    r = client.http.get("/cds-services", headers=client.auth("/cds-services"))
    assert r.status_code == 200
