"""Feedback and the card log, in one embedded SQLite database with no patient identifiers.

What is stored: per card issued, its uuid, service, hook, rule set, pathway, verdict,
indicator, time and the status of each rule of the pathway; per feedback entry, the card
uuid, outcome, the override reason's system and code, whether the clinician wrote a
comment (never the comment: free text may name the patient), the number of accepted
suggestions and the outcome time. No patient id, no name, no date of birth, no facts.

**Nothing acknowledged is lost.** A feedback request is answered 200 only after its
transaction is committed with ``synchronous=FULL`` in WAL mode, so a process killed (even
``SIGKILL``) or a machine losing power right after the answer keeps every entry. The card
log is written behind (batches every 0.2 s, off the request path): a crash can lose the
last fraction of a second of it, which only leaves a later feedback entry unattributed.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from visitation.service._json import dumps

__all__ = ["CardRecord", "FeedbackEntry", "FeedbackStore", "summary"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
  uuid TEXT PRIMARY KEY, service TEXT NOT NULL, hook TEXT NOT NULL, ruleset TEXT NOT NULL,
  pathway TEXT NOT NULL, verdict TEXT NOT NULL, indicator TEXT NOT NULL, issued_at TEXT NOT NULL,
  rules TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY, service TEXT NOT NULL, card TEXT NOT NULL, outcome TEXT NOT NULL,
  reason_system TEXT, reason_code TEXT, has_comment INTEGER NOT NULL,
  accepted_suggestions INTEGER NOT NULL, outcome_at TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback (card);
"""


@dataclass(frozen=True, slots=True)
class CardRecord:
    """One issued card, as the log keeps it."""

    uuid: str
    service: str
    hook: str
    ruleset: str
    pathway: str
    verdict: str
    indicator: str
    issued_at: str
    rules: tuple[tuple[str, str], ...]
    """(rule id, status) of each rule of the card's pathway."""


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """One feedback entry, as stored."""

    service: str
    card: str
    outcome: str
    reason_system: str | None
    reason_code: str | None
    has_comment: bool
    accepted_suggestions: int
    outcome_at: str


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    return db


def _migrate(db: sqlite3.Connection) -> None:
    """An earlier layout kept a row per card and rule (``card_rules``); the statuses are now
    one JSON object per card (``cards.rules``): a fifth of the writing. Moved over once, in
    one transaction (several workers may open the file at the same time)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(cards)")}
        if "rules" not in columns:
            db.execute("ALTER TABLE cards ADD COLUMN rules TEXT NOT NULL DEFAULT '{}'")
        old = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'card_rules'"
        ).fetchone()
        if old is not None:
            db.execute(
                "UPDATE cards SET rules = (SELECT json_group_object(rule, status) "
                "FROM card_rules WHERE card = cards.uuid) "
                "WHERE uuid IN (SELECT card FROM card_rules)"
            )
            db.execute("DROP TABLE card_rules")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class FeedbackStore:
    """The database of one service process (several processes may share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = _connect(path)
        self._db.executescript(_SCHEMA)
        _migrate(self._db)
        self._lock = threading.Lock()
        self._pending: collections.deque[list[CardRecord]] = collections.deque()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_cards, name="card-log", daemon=True)
        self._writer.start()

    # -- feedback: durable before the answer ------------------------------------------
    def add_feedback(self, entries: Sequence[FeedbackEntry]) -> None:
        """Store every entry in one committed transaction (or none, on error)."""
        rows = [
            (
                e.service,
                e.card,
                e.outcome,
                e.reason_system,
                e.reason_code,
                int(e.has_comment),
                e.accepted_suggestions,
                e.outcome_at,
            )
            for e in entries
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO feedback (service, card, outcome, reason_system, reason_code, "
                    "has_comment, accepted_suggestions, outcome_at) VALUES (?,?,?,?,?,?,?,?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def feedback(self) -> list[dict[str, Any]]:
        """Every stored feedback entry, oldest first."""
        with self._lock:
            cur = self._db.execute(
                "SELECT service, card, outcome, reason_system, reason_code, has_comment, "
                "accepted_suggestions, outcome_at, received_at FROM feedback ORDER BY id"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # -- the card log: written behind -------------------------------------------------
    def log_cards(self, records: Iterable[CardRecord]) -> None:
        """Queue the cards of one answer for the log, in one piece (dropped, not blocking,
        if 20,000 answers are ever waiting). No thread is woken: the writer looks every
        0.2 s, so an answer costs an append, not a thread switch."""
        batch = list(records)
        if batch and len(self._pending) < 20_000:
            self._pending.append(batch)

    def _drain(self) -> list[CardRecord]:
        batch: list[CardRecord] = []
        while self._pending:
            batch += self._pending.popleft()
        return batch

    def _write_cards(self) -> None:
        db = _connect(self.path)
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            while not self._stop.wait(0.2):
                batch = self._drain()
                if batch:
                    self._insert_cards(db, batch)
            batch = self._drain()  # what came before the stop
            if batch:
                self._insert_cards(db, batch)
        finally:
            db.close()

    @staticmethod
    def _insert_cards(db: sqlite3.Connection, batch: list[CardRecord]) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT OR IGNORE INTO cards VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    r.uuid,
                    r.service,
                    r.hook,
                    r.ruleset,
                    r.pathway,
                    r.verdict,
                    r.indicator,
                    r.issued_at,
                    dumps(dict(r.rules)).decode(),
                )
                for r in batch
            ],
        )
        db.execute("COMMIT")

    def close(self) -> None:
        """Write the queued cards and close."""
        self._stop.set()
        self._writer.join(timeout=10)
        with self._lock:
            self._db.close()


def summary(path: Path) -> dict[str, Any]:
    """Override rates per rule and status: cards issued, feedback, accepted, overridden,
    the override rate (overridden / feedback) and the override reasons given."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            """
            WITH r AS (
              SELECT c.uuid AS card, j.key AS rule, j.value AS status
              FROM cards c, json_each(c.rules) j
            )
            SELECT r.rule, r.status, COUNT(DISTINCT r.card),
                   COUNT(f.id),
                   COALESCE(SUM(f.outcome = 'accepted'), 0),
                   COALESCE(SUM(f.outcome = 'overridden'), 0)
            FROM r LEFT JOIN feedback f ON f.card = r.card
            GROUP BY r.rule, r.status ORDER BY r.rule, r.status
            """
        ).fetchall()
        reasons: dict[tuple[str, str], dict[str, int]] = {}
        for rule, status, code, n in db.execute(
            """
            SELECT j.key, j.value, COALESCE(f.reason_code, '(none)'), COUNT(*)
            FROM cards c, json_each(c.rules) j JOIN feedback f ON f.card = c.uuid
            WHERE f.outcome = 'overridden' GROUP BY 1, 2, 3
            """
        ):
            reasons.setdefault((rule, status), {})[code] = n
        total, overridden, unattributed = db.execute(
            """
            SELECT COUNT(*), COALESCE(SUM(outcome = 'overridden'), 0),
                   COALESCE(SUM(card NOT IN (SELECT uuid FROM cards)), 0)
            FROM feedback
            """
        ).fetchone()
    finally:
        db.close()
    return {
        "feedback": total,
        "overridden": overridden,
        "unattributed": unattributed,
        "rules": [
            {
                "rule": rule,
                "status": status,
                "cards": cards,
                "feedback": fb,
                "accepted": acc,
                "overridden": ovr,
                "override_rate": round(ovr / fb, 4) if fb else None,
                "override_reasons": reasons.get((rule, status), {}),
            }
            for rule, status, cards, fb, acc, ovr in rows
        ],
    }
