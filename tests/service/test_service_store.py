"""The card log keeps each card's rule statuses as one JSON object; a database of the
earlier layout (a row per card and rule) is moved over on open, and the summary counts
the same either way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from visitation.service._store import CardRecord, FeedbackEntry, FeedbackStore, summary

OLD = """
CREATE TABLE cards (
  uuid TEXT PRIMARY KEY, service TEXT NOT NULL, hook TEXT NOT NULL, ruleset TEXT NOT NULL,
  pathway TEXT NOT NULL, verdict TEXT NOT NULL, indicator TEXT NOT NULL, issued_at TEXT NOT NULL
);
CREATE TABLE card_rules (
  card TEXT NOT NULL, rule TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (card, rule)
);
INSERT INTO cards VALUES ('c1', 's', 'patient-view', 'r@1', 'hospice', 'eligible', 'info', 't');
INSERT INTO card_rules VALUES ('c1', 'a', 'met'), ('c1', 'b', 'unknown');
"""


def _fb(card: str, reason: str | None) -> FeedbackEntry:
    return FeedbackEntry("s", card, "overridden", "x" if reason else None, reason, False, 0, "t")


def test_the_summary_counts_rules_from_the_json_statuses(tmp_path: Path) -> None:
    """Two cards sharing rule 'a' with different statuses: counted per rule and status."""
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.log_cards(
        [
            CardRecord("c1", "s", "patient-view", "r@1", "hospice", "eligible", "info", "t",
                       (("a", "met"), ("b", "unknown"))),
            CardRecord("c2", "s", "patient-view", "r@1", "hospice", "eligible", "info", "t",
                       (("a", "not_met"),)),
        ]
    )  # fmt: skip
    store.add_feedback([_fb("c1", "patient-wish"), _fb("c1", None), _fb("c2", "not-relevant")])
    store.close()  # writes the card log
    got = {(r["rule"], r["status"]): r for r in summary(tmp_path / "fb.sqlite3")["rules"]}
    assert set(got) == {("a", "met"), ("a", "not_met"), ("b", "unknown")}
    assert (got["a", "met"]["cards"], got["a", "met"]["feedback"]) == (1, 2)
    assert got["a", "met"]["override_reasons"] == {"patient-wish": 1, "(none)": 1}
    assert got["a", "not_met"]["override_reasons"] == {"not-relevant": 1}


def test_an_earlier_layout_is_moved_over_on_open(tmp_path: Path) -> None:
    """A database with card_rules rows opens with the statuses in cards.rules, the old
    table gone, and the same summary."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD)
    db.close()
    store = FeedbackStore(path)
    store.add_feedback([_fb("c1", "patient-wish")])
    store.close()
    db = sqlite3.connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (rules,) = db.execute("SELECT rules FROM cards WHERE uuid = 'c1'").fetchone()
    finally:
        db.close()
    assert "card_rules" not in tables
    assert rules == '{"a":"met","b":"unknown"}'
    result = summary(path)
    assert [(r["rule"], r["status"], r["overridden"]) for r in result["rules"]] == [
        ("a", "met", 1),
        ("b", "unknown", 1),
    ]
    assert result["unattributed"] == 0
