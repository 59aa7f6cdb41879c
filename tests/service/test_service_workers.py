"""The service with two uvicorn worker processes (``workers = 2``) on 127.0.0.1: both
answer, a token is used once across both, and the feedback and the card log of both land
in the one database."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from service.service_helpers import FakeEhr, Keys, Server, free_port, patient_view, write_config

PV = "/cds-services/visitation-patient-view"
FB = PV + "/feedback"
REQUEST_LINE = re.compile(r"^\S+ \S+ (\d+) INFO visitation\.service: (GET|POST) (\S+) (\d+) ", re.M)


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, keys: Keys, ehr: FakeEhr
) -> Iterator[Server]:
    """``visitation serve`` with two worker processes, for this module."""
    tmp = tmp_path_factory.mktemp("workers")
    port = free_port()
    server = Server(
        write_config(tmp, keys, ehr, port, extra="workers = 2"), port, tmp / "service.log"
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _parallel(n: int, call: Any) -> list[Any]:
    """``call(i)`` for i < n, each in a thread of its own (a connection each: the kernel
    hands new connections to whichever worker accepts first)."""
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        out[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _post(server: Server, path: str, token: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=server.base, timeout=30) as http:  # a fresh connection
        return http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_two_workers_answer_and_keep_every_card_and_feedback(
    two_workers: Server, keys: Keys
) -> None:
    """Patient-view answers and feedback from both workers are all in the one database, and
    the feedback summary counts them as its OpenAPI schema says."""
    server = two_workers
    start = len(server.log())
    card_ids: list[str] = []
    pids: set[str] = set()
    for _ in range(20):  # bounded: rounds of concurrent requests until both workers answered
        answers = _parallel(
            6, lambda i: _post(server, PV, keys.token(server.base + PV), patient_view())
        )
        assert [r.status_code for r in answers] == [200] * 6
        card_ids += [c["uuid"] for r in answers for c in r.json()["cards"]]
        lines = REQUEST_LINE.findall(server.log()[start:])
        pids = {pid for pid, _, path, status in lines if path == PV and status == "200"}
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"one worker answered every request: {pids}"

    def feedback(i: int) -> httpx.Response:
        body = {
            "feedback": [
                {
                    "card": card_ids[i],
                    "outcome": "overridden",
                    "outcomeTimestamp": "2026-11-23T10:05:31Z",
                    **(
                        {"overrideReason": {"reason": {"code": "patient-wish", "system": "x"}}}
                        if i % 2
                        else {}
                    ),
                }
            ]
        }
        return _post(server, FB, keys.token(server.base + FB), body)

    acked = _parallel(12, feedback)
    assert [r.status_code for r in acked] == [200] * 12
    lines = REQUEST_LINE.findall(server.log()[start:])
    assert len({pid for pid, _, path, _ in lines if path == FB}) >= 1
    server.stop()  # a graceful stop writes the card log behind of both workers
    server.start()
    token = keys.token(server.base + "/feedback/summary")
    summary = httpx.get(
        server.base + "/feedback/summary", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert summary["feedback"] == 12 and summary["overridden"] == 12
    assert summary["unattributed"] == 0  # every card of either worker is in the log
    assert summary["rules"] and all(r["overridden"] == r["feedback"] for r in summary["rules"])
    schema = httpx.get(server.base + "/openapi.json").json()["components"]["schemas"]
    jsonschema.Draft202012Validator(schema["FeedbackSummary"]).validate(summary)
    db = sqlite3.connect(Path(server.config).parent / "feedback.sqlite3")
    try:
        logged = {row[0] for row in db.execute("SELECT uuid FROM cards")}
    finally:
        db.close()
    assert set(card_ids) <= logged


def test_a_token_is_used_once_across_both_workers(two_workers: Server, keys: Keys) -> None:
    """A token sent eight times at once, over eight connections that both workers answer,
    is accepted exactly once (the workers share the jti replay cache, in SQLite)."""
    server = two_workers
    pids: set[str] = set()
    for _ in range(20):  # bounded: rounds until the eight answers came from both workers
        start = len(server.log())
        token = keys.token(server.base + PV)
        body = patient_view()
        answers = _parallel(8, lambda i, t=token, b=body: _post(server, PV, t, b))
        assert sorted(r.status_code for r in answers) == [200] + [401] * 7
        lines = REQUEST_LINE.findall(server.log()[start:])
        pids = {pid for pid, _, path, _ in lines if path == PV}
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"one worker answered every request: {pids}"


@pytest.mark.parametrize(("ours", "taken"), [(False, 3), (True, 1)])
def test_a_worker_takes_one_waiting_connection_per_turn_of_its_loop(ours: bool, taken: int) -> None:
    """The workers' loop accepts one of three waiting connections per turn, pausing between
    them (asyncio's own takes all three at once: with several workers sharing the listening
    socket, the first awake would hold every connection of a burst)."""
    from concurrent.futures import ThreadPoolExecutor

    # a thread of its own: this process may already run a loop here (the browser tests)
    with ThreadPoolExecutor(1) as pool:
        most = pool.submit(_most_accepted_per_turn, ours).result(30)
    assert most == taken


def _most_accepted_per_turn(ours: bool) -> int:
    """The most connections a loop sets up in one turn while three are waiting."""
    import asyncio
    import socket
    import time

    from visitation.service._loop import one_accept_loop

    loop = one_accept_loop() if ours else asyncio.SelectorEventLoop()
    made: list[asyncio.BaseTransport] = []

    class Counting(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.append(transport)

    listener = socket.create_server(("127.0.0.1", 0))
    clients = [socket.create_connection(listener.getsockname()[:2], timeout=5) for _ in range(3)]
    server = None
    try:
        server = loop.run_until_complete(loop.create_server(Counting, sock=listener))
        most = 0
        deadline = time.monotonic() + 5
        while len(made) < 3 and time.monotonic() < deadline:
            before = len(made)
            loop.call_soon(loop.stop)
            loop.run_forever()  # one turn
            most = max(most, len(made) - before)
        assert len(made) == 3
        return most
    finally:
        if server is not None:
            server.close()
        listener.close()
        for t in made:
            t.close()
        for c in clients:
            c.close()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
