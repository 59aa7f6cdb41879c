"""Feedback: stored without patient identifiers, summarised as override rates per rule;
and no patient data in the service's log over a full request cycle."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import pytest

from service.service_helpers import SECRETS, Client, db_path, order_sign, patient_view
from visitation.cli import main
from visitation.service import OVERRIDE_SYSTEM

SIGN = "/cds-services/visitation-order-sign"
FB = SIGN + "/feedback"


def summary_of(client: Client) -> dict[str, Any]:
    """The summary once the card log holds the overridden card (written behind, in 0.2 s)."""
    for _ in range(50):
        r = client.get("/feedback/summary")
        assert r.status_code == 200
        body: dict[str, Any] = r.json()
        if any(rule["overridden"] for rule in body["rules"]):
            return body
        time.sleep(0.1)
    return body


def test_feedback_is_stored_and_summarised_per_rule(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """An overridden card with a reason and an accepted suggestion are stored, and the
    summary endpoint and `visitation feedback` give the override rate per rule."""
    cards = client.post(SIGN, order_sign()).json()["cards"]
    first, second = cards[0], cards[1]
    body = {
        "feedback": [
            {
                "card": first["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"system": OVERRIDE_SYSTEM, "code": "clinical-judgement"},
                    "userComment": "Karen Lauridsen ønsker hospice nu",
                },
                "outcomeTimestamp": "2026-11-23T10:05:31Z",
            },
            {
                "card": second["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": second["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-23T10:06:00Z",
            },
        ]
    }
    r = client.post(FB, body)
    assert r.status_code == 200 and r.json() == {"stored": 2}
    rows = (
        sqlite3.connect(db_path(client.server))
        .execute("SELECT card, outcome, reason_code, has_comment FROM feedback")
        .fetchall()
    )
    assert (first["uuid"], "overridden", "clinical-judgement", 1) in rows
    dump = "\n".join(sqlite3.connect(db_path(client.server)).iterdump())
    assert not any(s in dump for s in SECRETS) and "ønsker hospice" not in dump
    result = summary_of(client)
    rules = {(r["rule"], r["status"]): r for r in result["rules"]}
    hit = [r for r in rules.values() if r["overridden"]]
    assert any(r["override_reasons"].get("clinical-judgement") for r in hit)
    assert all(0 <= (r["override_rate"] or 0) <= 1 for r in rules.values())
    assert main(["feedback", "--config", str(client.server.config), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["overridden"] >= 1


@pytest.mark.parametrize(
    "item",
    [
        {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-23T10:05:31Z"},
        {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-11-23T10:05:31Z"},
        {"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"},
        {
            "card": "c",
            "outcome": "overridden",
            "overrideReason": {},
            "outcomeTimestamp": "2026-11-23T10:05:31Z",
        },
    ],
    ids=["accepted-without-suggestions", "outcome", "timestamp", "empty-reason"],
)
def test_invalid_feedback_is_422(client: Client, item: dict[str, object]) -> None:
    """Feedback that breaks the spec's rules is refused and nothing is stored."""
    r = client.post(FB, {"feedback": [item]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"]


def test_no_patient_data_in_the_log(client: Client) -> None:
    """A full request cycle (discovery, patient-view, order-sign, an error, feedback with
    a comment) leaves no CPR number, name, birth date or free text in the log."""
    start = len(client.server.log())
    client.get("/cds-services")
    body = patient_view()
    obs = body["prefetch"]["observations"]["entry"][0]["resource"]
    obs["note"] = [{"text": "Karen Lauridsen har svære smerter"}]
    assert client.post("/cds-services/visitation-patient-view", body).status_code == 200
    cards = client.post(SIGN, order_sign()).json()["cards"]
    bad = patient_view()
    bad["prefetch"]["patient"]["birthDate"] = "14-03-1946 Lauridsen"
    assert client.post("/cds-services/visitation-patient-view", bad).status_code == 422
    client.post(
        FB,
        {
            "feedback": [
                {
                    "card": cards[0]["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "Karen har det dårligt, 1403469996"},
                    "outcomeTimestamp": "2026-11-23T10:05:31Z",
                }
            ]
        },
    )
    time.sleep(0.3)
    log = client.server.log()[start:]
    assert "POST /cds-services/visitation-patient-view 200" in log  # the log is there
    for secret in (*SECRETS, "svære smerter", "har det dårligt", "14-03-1946"):
        assert secret not in log
