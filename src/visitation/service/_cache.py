"""A bounded cache of CDS Hooks answers, for a request repeated with the same content.

An EHR sends patient-view each time a chart is opened; the same record on the same day
gives the same cards. The key is the text of everything that decides the answer: the
service, the language, the evaluation date, the content hash of each rule set in force,
the request's whole ``context`` and every prefetch value as received (orjson's text of
the parsed values, so equal text means equal content; the same content in another key
order is a miss, never a wrong hit). Only answers made from the prefetch alone are kept
(nothing fetched from ``fhirServer``: what a FHIR server returns may change). A body
that only the standard library reads exactly (``exact`` false in
:mod:`visitation.service._json`) gets a key of the standard library's text instead.
``hookInstance``, ``fhirServer``, ``fhirAuthorization`` and the JWT are not in the key:
they do not change an answer made from the prefetch alone.

What is kept is the answer's JSON with its card and suggestion uuids cut out: each hit
gets fresh uuids and its own card-log records, so feedback stays per answer. The JWT is
verified and the request validated before the cache is asked. Bounded: at most
``entries`` answers, each for at most ``seconds`` (expired ones are dropped, not just
ignored); ``entries = 0`` turns the cache off. Each worker process has its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from visitation.service._cards import uuid4_text
from visitation.service._json import dumps
from visitation.service._store import CardRecord

__all__ = ["KEY_TEXT_MAX", "Answer", "AnswerCache", "answer_key", "answer_of", "encode"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A cached answer: the body's pieces around its uuids, and the card-log records."""

    pieces: tuple[bytes, ...]
    """Body text, uuid slot, body text, ...: even indices are text; odd ones name a slot."""
    slots: tuple[int, ...]
    """For each uuid occurrence (odd piece), which fresh uuid goes there."""
    uuids: int
    records: tuple[tuple[int, CardRecord], ...]
    """Each card's record with the slot of its card's uuid."""

    def render(self, issued: str) -> tuple[bytes, list[CardRecord]]:
        """The body with fresh uuids, and the records of its cards."""
        fresh = [uuid4_text() for _ in range(self.uuids)]
        parts = list(self.pieces)
        for k, slot in enumerate(self.slots):
            parts[2 * k + 1] = fresh[slot].encode()
        records = [
            dataclasses.replace(r, uuid=fresh[slot], issued_at=issued) for slot, r in self.records
        ]
        return b"".join(parts), records


def encode(cards: list[dict[str, Any]]) -> bytes:
    """The answer's JSON, compact, as the service sends it."""
    return dumps({"cards": cards})


def answer_of(body: bytes, cards: Sequence[dict[str, Any]], records: list[CardRecord]) -> Answer:
    """The cacheable form of an answer just made (its uuids located in ``body``)."""
    ids: list[str] = []
    for card in cards:
        ids.append(card["uuid"])
        ids += [s["uuid"] for s in card.get("suggestions", ()) if "uuid" in s]
    index = {u: k for k, u in enumerate(ids)}
    if not ids:
        return Answer((body,), (), 0, ())
    found: list[tuple[int, int]] = []  # (offset, slot) of every occurrence of every uuid
    for slot, u in enumerate(ids):
        needle = u.encode()
        at = body.find(needle)
        while at >= 0:
            found.append((at, slot))
            at = body.find(needle, at + len(needle))
    found.sort()
    pieces: list[bytes] = []
    at = 0
    for offset, slot in found:
        pieces += [body[at:offset], b""]
        at = offset + len(ids[slot])
    pieces.append(body[at:])
    return Answer(
        tuple(pieces),
        tuple(slot for _, slot in found),
        len(ids),
        tuple((index[r.uuid], r) for r in records if r.uuid in index),
    )


KEY_TEXT_MAX = 64 * 1024
"""A key's text up to this size is the key itself (compared in full on a hit: no hash to
collide, no hash to compute); a longer one is its SHA-256, which bounds the memory of a
full cache (``entries`` × 64 KiB at most)."""


def answer_key(parts: Sequence[Any], *, exact: bool = True) -> bytes:
    """The key of ``parts`` (the module docstring lists them; dates are written ISO).

    For values of an ``exact`` body (``_json.loads``), orjson's text of them. For any other
    body, a byte 0x01 and the standard library's ASCII text of them, which writes what
    orjson would write ambiguously or not at all (an infinity as ``Infinity``, not
    ``null``; an integer beyond 64 bits; a lone surrogate as an escape): a JSON text never
    starts with 0x01, so the two kinds never meet. Longer than :data:`KEY_TEXT_MAX`, a NUL
    byte and the SHA-256 of that text. Raises ``TypeError`` for what neither can write.
    """
    if exact:
        text = orjson.dumps(parts)
    else:
        std = json.dumps(parts, separators=(",", ":"), default=_iso)
        text = b"\x01" + std.encode()
    if len(text) <= KEY_TEXT_MAX:
        return text
    return b"\0" + hashlib.sha256(text).digest()


def _iso(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class AnswerCache:
    """At most ``entries`` answers, each kept at most ``seconds``."""

    def __init__(self, entries: int, seconds: float) -> None:
        self.entries = entries
        self.seconds = seconds
        self._items: OrderedDict[bytes, tuple[float, Answer]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _expire(self, now: float) -> None:
        # entries go in in time order with one lifetime: the expired ones are at the front
        while self._items:
            expires = next(iter(self._items.values()))[0]
            if expires > now:
                break
            self._items.popitem(last=False)

    def get(self, key: bytes, now: float | None = None) -> Answer | None:
        """The answer kept under ``key``, if it has not expired."""
        if self.entries == 0:
            return None
        self._expire(time.monotonic() if now is None else now)
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: bytes, answer: Answer, now: float | None = None) -> None:
        """Keep ``answer`` (the oldest answer goes when the cache is full)."""
        if self.entries == 0:
            return
        t = time.monotonic() if now is None else now
        self._expire(t)
        self._items.pop(key, None)
        self._items[key] = (t + self.seconds, answer)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
