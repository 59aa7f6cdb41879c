"""Nothing acknowledged is lost: feedback from many concurrent clients, the server killed
with SIGKILL mid-load and restarted; every entry answered 200 is in the database."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import httpx

from service.service_helpers import FakeEhr, Keys, Server, free_port, write_config

FB = "/cds-services/visitation-patient-view/feedback"
CLIENTS = 16
KILL_AFTER = 150  # acknowledged entries before the kill (bounded: the test's CPU budget)


def test_feedback_survives_sigkill(tmp_path: Path, keys: Keys, ehr: FakeEhr) -> None:
    """Every feedback entry acknowledged with 200 before a SIGKILL is there after restart."""
    port = free_port()
    server = Server(write_config(tmp_path, keys, ehr, port), port, tmp_path / "service.log")
    server.start()
    acked: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def post_until_killed() -> None:
        with httpx.Client(base_url=server.base, timeout=10) as http:
            while True:
                card = str(uuid.uuid4())
                token = keys.token(server.base + FB)
                body = {
                    "feedback": [
                        {
                            "card": card,
                            "outcome": "overridden",
                            "outcomeTimestamp": "2026-11-23T10:05:31Z",
                        }
                    ]
                }
                try:
                    r = http.post(FB, json=body, headers={"Authorization": f"Bearer {token}"})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code != 200:
                    return
                with lock:
                    acked.append(card)
                    if len(acked) >= KILL_AFTER:
                        enough.set()

    threads = [threading.Thread(target=post_until_killed) for _ in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        assert enough.wait(120), "the load did not reach the kill point"
        server.kill()  # SIGKILL, mid-load
        for t in threads:
            t.join(30)
        with lock:
            answered = list(acked)
        assert len(answered) >= KILL_AFTER
        server.start()  # the service starts again on the same database
        token = keys.token(server.base + "/feedback/summary")
        r = httpx.get(
            server.base + "/feedback/summary",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 200
        assert r.json()["feedback"] >= len(answered)
        db = sqlite3.connect(tmp_path / "feedback.sqlite3")
        stored = {row[0] for row in db.execute("SELECT card FROM feedback")}
        db.close()
        missing = [c for c in answered if c not in stored]
        assert not missing, f"{len(missing)} acknowledged entries lost"
    finally:
        server.stop()
