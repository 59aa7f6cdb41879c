"""The answer cache: a request repeated with the same content gets the same cards with
fresh uuids, each answer in the card log; anything that decides the answer differing is a
miss; the cache is bounded in entries and in time."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from service.service_helpers import Client as EhrClient
from service.service_helpers import (
    FakeEhr,
    Keys,
    db_path,
    free_port,
    patient_view,
    prefetch,
    write_config,
)
from visitation.service import create_app, load_config
from visitation.service._app import _Guard
from visitation.service._cache import KEY_TEXT_MAX, AnswerCache, answer_key, answer_of, encode
from visitation.service._store import CardRecord

PV = "/cds-services/visitation-patient-view"


def _without_uuids(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in cards:
        c = {k: v for k, v in c.items() if k != "uuid"}
        if "suggestions" in c:
            c["suggestions"] = [
                {k: v for k, v in s.items() if k != "uuid"} for s in c["suggestions"]
            ]
        out.append(c)
    return out


def _uuids(cards: list[dict[str, Any]]) -> set[str]:
    found = {c["uuid"] for c in cards}
    return found | {s["uuid"] for c in cards for s in c.get("suggestions", ())}


def test_a_repeated_request_gets_the_same_cards_with_fresh_uuids(client: EhrClient) -> None:
    """The second answer equals the first but for its uuids, and both are in the card log."""
    first = client.post(PV, patient_view()).json()["cards"]
    second = client.post(PV, patient_view()).json()["cards"]  # another hookInstance, token
    assert len(first) == 4
    assert _without_uuids(second) == _without_uuids(first)
    assert not _uuids(first) & _uuids(second)
    ids = [c["uuid"] for c in first + second]
    deadline = time.monotonic() + 10
    logged: set[str] = set()
    while time.monotonic() < deadline:  # the card log is written behind (0.2 s batches)
        db = sqlite3.connect(db_path(client.server))
        try:
            logged = {row[0] for row in db.execute("SELECT uuid FROM cards")}
        finally:
            db.close()
        if set(ids) <= logged:
            break
        time.sleep(0.2)
    assert set(ids) <= logged


def test_what_decides_the_answer_is_in_the_key(client: EhrClient) -> None:
    """Another language, or a prefetch with other content, is answered anew."""
    da = client.post(PV, patient_view()).json()["cards"]
    en = client.post(PV, patient_view(extension={"dk.visitation.language": "en"})).json()
    assert _without_uuids(en["cards"]) != _without_uuids(da)
    assert "Hospice" in en["cards"][-1]["summary"]
    body = patient_view()
    body["prefetch"]["consents"] = None  # the consent to the referral is no longer known
    changed = client.post(PV, body).json()["cards"]
    assert _without_uuids(changed) != _without_uuids(da)


class _InProcess:
    """The service's application in this process (its answer cache in sight), called over
    httpx's ASGI transport with a fresh signed JWT per request."""

    def __init__(self, tmp: Path, keys: Keys, ehr: FakeEhr) -> None:
        config = load_config(write_config(tmp, keys, ehr, free_port()))
        app = create_app(config)
        assert isinstance(app, _Guard)
        self.app, self.keys, self.base = app, keys, config.public_base
        self.cache: AnswerCache = app.state.service.cache

    def post(self, *bodies: bytes) -> list[httpx.Response]:
        async def go() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base) as http:
                out = []
                for body in bodies:
                    token = self.keys.token(self.base + PV)
                    headers = {
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    }
                    out.append(await http.post(PV, content=body, headers=headers))
                return out

        with ThreadPoolExecutor(1) as pool:  # an event loop of its own (see test_cors)
            return pool.submit(lambda: asyncio.run(go())).result()

    def close(self) -> None:
        self.app.state.service.store.close()


def _fhir(ehr: FakeEhr, token: str = "t-1") -> dict[str, Any]:
    auth = {"access_token": token, "token_type": "Bearer", "expires_in": 300}
    return {
        "fhirServer": ehr.base + "/fhir",
        "fhirAuthorization": {**auth, "scope": "patient/*.read", "subject": "cds-service"},
    }


def test_what_does_not_decide_the_answer_is_not_in_the_key(
    tmp_path: Path, keys: Keys, ehr: FakeEhr
) -> None:
    """Requests differing only in hookInstance, JWT, fhirServer and fhirAuthorization get
    the kept answer when the prefetch holds everything (nothing is fetched)."""
    ehr.requests.clear()
    service = _InProcess(tmp_path, keys, ehr)
    try:
        bodies = [
            patient_view(),
            patient_view(),
            patient_view(**_fhir(ehr)),
            patient_view(**_fhir(ehr, "t-2")),
        ]
        got = service.post(*(json.dumps(b).encode() for b in bodies))
    finally:
        service.close()
    assert [r.status_code for r in got] == [200] * 4
    assert (service.cache.misses, service.cache.hits) == (1, 3)
    first = _without_uuids(got[0].json()["cards"])
    assert all(_without_uuids(r.json()["cards"]) == first for r in got[1:])
    assert not ehr.requests  # nothing fetched from the FHIR server


def test_what_decides_the_answer_is_a_miss(tmp_path: Path, keys: Keys, ehr: FakeEhr) -> None:
    """A changed resource, a null prefetch key, another user, another language, another
    key order in a resource: each a miss, and so are bodies only the standard library reads
    exactly (long numbers differing in their last digit, an infinity against a null, a lone
    surrogate, which was a 500 once), each a hit when repeated; what must be fetched is not
    looked up at all; the prefetch's keys in another order hit."""
    base = patient_view()
    later = patient_view()
    obs = later["prefetch"]["observations"]["entry"][0]["resource"]
    obs["effectiveDateTime"] = "2026-11-20T10:00:00+01:00"
    none = patient_view()
    none["prefetch"]["consents"] = None
    user = patient_view(context={"userId": "Practitioner/gp-2", "patientId": "karen-1"})
    lang = patient_view(extension={"dk.visitation.language": "en"})
    order = patient_view()
    order["prefetch"]["patient"] = dict(reversed(list(order["prefetch"]["patient"].items())))
    keys_order = patient_view(prefetch=dict(reversed(list(prefetch().items()))))
    fetched = patient_view(**_fhir(ehr))
    del fetched["prefetch"]["consents"]  # absent: fetched from fhirServer
    context = {"userId": "Practitioner/gp-1", "patientId": "karen-1"}
    misses = [
        json.dumps(b).encode()
        for b in [
            base,
            later,
            none,
            user,
            lang,
            order,
            patient_view(context={**context, "n": 1234567890123456789012}),
            patient_view(context={**context, "n": 1234567890123456789013}),
            patient_view(context={**context, "f": None}),
        ]
    ]
    infinity = misses[-1].replace(b'"f": null', b'"f": 1e400')
    surrogate = json.dumps(patient_view(context={**context, "s": "\ud800"})).encode()
    assert b'"\\ud800"' in surrogate and b"1e400" in infinity  # valid JSON, both
    service = _InProcess(tmp_path, keys, ehr)
    try:
        ehr.requests.clear()
        got = service.post(
            *misses,
            infinity,
            surrogate,
            json.dumps(fetched).encode(),
            misses[0],
            misses[6],
            surrogate,
            json.dumps(keys_order).encode(),  # the prefetch's own key order is not content
        )
    finally:
        service.close()
    assert [r.status_code for r in got] == [200] * 16
    assert (service.cache.misses, service.cache.hits) == (11, 4)
    assert any("Consent" in path for path, _ in ehr.requests)


def _record(uid: str) -> CardRecord:
    return CardRecord(uid, "s", "patient-view", "r@1", "hospice", "eligible", "info", "t", ())


def test_a_kept_answer_renders_with_fresh_uuids_in_every_place() -> None:
    """Each uuid of a kept answer is replaced wherever it occurs, records follow the cards."""
    cards: list[dict[str, Any]] = [
        {"uuid": "a" * 8, "summary": "x", "suggestions": [{"uuid": "b" * 8, "label": "y"}]},
        {"uuid": "c" * 8, "summary": "z"},
    ]
    body = encode(cards)
    kept = answer_of(body, cards, [_record("a" * 8), _record("c" * 8)])
    again, records = kept.render("2026-11-23T10:00:00Z")
    assert b"aaaaaaaa" not in again and b"cccccccc" not in again
    made = json.loads(again)["cards"]
    assert [r.uuid for r in records] == [made[0]["uuid"], made[1]["uuid"]]
    assert made[0]["suggestions"][0]["uuid"] not in (made[0]["uuid"], made[1]["uuid"])
    assert _without_uuids(made) == _without_uuids(cards)
    assert {r.issued_at for r in records} == {"2026-11-23T10:00:00Z"}


def test_the_cache_is_bounded_in_entries_and_time() -> None:
    """The oldest answer goes when full; an expired one is dropped, not given."""
    kept = answer_of(encode([]), [], [])
    cache = AnswerCache(entries=2, seconds=60)
    for k in range(3):
        cache.put(answer_key([k]), kept, now=float(k))
    assert len(cache) == 2 and cache.get(answer_key([0]), now=3.0) is None
    assert cache.get(answer_key([2]), now=3.0) is kept
    assert cache.get(answer_key([2]), now=62.0) is None and len(cache) == 0
    off = AnswerCache(entries=0, seconds=60)
    off.put(b"k", kept)
    assert off.get(b"k") is None


def test_a_long_key_is_its_digest_and_never_meets_a_text() -> None:
    """A key over 64 KiB is a NUL byte and its SHA-256 (bounded memory), other contents
    give other digests, and a short key is the text itself."""
    long_a, long_b = ["a" * KEY_TEXT_MAX], ["b" * KEY_TEXT_MAX]
    assert len(answer_key(long_a)) == 33 and answer_key(long_a).startswith(b"\0")
    assert answer_key(long_a) != answer_key(long_b)
    assert answer_key(["x", 1]) == b'["x",1]'
