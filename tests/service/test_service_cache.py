"""The answer cache: a request repeated with the same content gets the same cards with
fresh uuids, each answer in the card log; anything that decides the answer differing is a
miss; the cache is bounded in entries and in time."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from service.service_helpers import Client, db_path, patient_view
from visitation.service._cache import AnswerCache, answer_key, answer_of, encode
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


def test_a_repeated_request_gets_the_same_cards_with_fresh_uuids(client: Client) -> None:
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


def test_what_decides_the_answer_is_in_the_key(client: Client) -> None:
    """Another language, or a prefetch with other content, is answered anew."""
    da = client.post(PV, patient_view()).json()["cards"]
    en = client.post(PV, patient_view(extension={"dk.visitation.language": "en"})).json()
    assert _without_uuids(en["cards"]) != _without_uuids(da)
    assert "Hospice" in en["cards"][-1]["summary"]
    body = patient_view()
    body["prefetch"]["consents"] = None  # the consent to the referral is no longer known
    changed = client.post(PV, body).json()["cards"]
    assert _without_uuids(changed) != _without_uuids(da)


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
    off.put("k", kept)
    assert off.get("k") is None
