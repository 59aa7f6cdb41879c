"""Cards without a server: the indicator rule, summaries under 140 characters, escaping,
the registered ``cds-hooks`` renderer, and the configuration's errors."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import visitation
from visitation.service import (
    RESPONSE,
    SUMMARY_MAX,
    CardOptions,
    ConfigError,
    ServiceConfig,
    cards,
    indicator,
    load_config,
)
from visitation.testing import patients

ON = date(2026, 11, 23)
RULESETS = ("dk-national@1.0.0", "dk-national@3.0.0", "dk-hovedstaden@2.0.0")


@pytest.mark.parametrize(
    ("hook", "verdict", "referral", "expected"),
    [
        ("patient-view", "not_eligible", "ready", "info"),
        ("patient-view", "indeterminate", "unknown", "info"),
        ("order-sign", "eligible", "ready", "info"),
        ("order-sign", "eligible", "not_ready", "warning"),
        ("order-select", "indeterminate", "ready", "warning"),
        ("order-sign", "not_eligible", "ready", "critical"),
    ],
)
def test_the_indicator_rule(hook: str, verdict: str, referral: str, expected: str) -> None:
    """The documented indicator rule: chart opening informs, a blocked referral is critical."""
    assert indicator(hook, verdict, referral) == expected


@settings(max_examples=15)
@given(patient=patients(on=ON), spec=st.sampled_from(RULESETS), lang=st.sampled_from(["da", "en"]))
def test_cards_are_valid_for_any_patient(patient: visitation.Patient, spec: str, lang: str) -> None:
    """For generated patients, every card is valid against the spec's response schema,
    with a one-line summary under 140 characters."""
    a = visitation.evaluate(patient, spec, on=ON)
    made = cards(a, lang=lang, options=CardOptions(hook="order-sign", uuids=True, patient_id="p"))
    jsonschema.Draft202012Validator(RESPONSE).validate({"cards": made})
    assert len(made) == len(a.pathways)
    for c in made:
        assert len(c["summary"]) <= SUMMARY_MAX and "\n" not in c["summary"]


def test_hostile_text_is_escaped_in_the_detail() -> None:
    """A rule title with markup cannot become Markdown or HTML in a card's detail."""
    rs = visitation.load_ruleset("dk-national@3.0.0")
    hostile = "<img src=x onerror=alert(1)> [x](javascript:y)"
    first = rs.rules[0].model_copy(update={"title": {"da": hostile, "en": hostile}})
    rs = rs.model_copy(update={"rules": [first, *rs.rules[1:]]})
    a = visitation.evaluate({"age": 70}, rs, on=ON)
    detail = "\n".join(c["detail"] for c in cards(a, lang="da"))
    assert "img src" in detail  # the title is there, escaped
    rendered = MarkdownIt("commonmark").render(detail)
    assert "<img" not in rendered and 'href="javascript' not in rendered


def test_the_cds_hooks_renderer_is_registered() -> None:
    """`Assessment.render("cds-hooks")` gives the cards as JSON, valid against the schema."""
    a = visitation.evaluate({"age": 70}, "dk-national@3.0.0", on=ON)
    body = json.loads(a.render("cds-hooks", lang="da"))
    jsonschema.Draft202012Validator(RESPONSE).validate(body)
    assert "uuid" not in body["cards"][0]  # a renderer is pure: the service adds uuids


def test_config_errors_name_file_line_and_field(tmp_path: Path) -> None:
    """A bad configuration lists every problem with file, line and field."""
    cfg = tmp_path / "serve.toml"
    cfg.write_text(
        'port = "eighty"\nlanguage = "fr"\n\n[[auth.issuers]]\niss = "https://ehr/"\n'
        'jwks = {keys = []}\nalgorithms = ["HS256"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    text = str(info.value)
    assert f"{cfg}:1: port:" in text
    assert f"{cfg}:2: language:" in text
    assert "auth.issuers[0].algorithms" in text and "HMAC" in text


def test_a_jku_must_be_https(tmp_path: Path) -> None:
    """A jku allow-list entry over plain http (off loopback) is refused."""
    cfg = tmp_path / "serve.toml"
    cfg.write_text('[[auth.issuers]]\niss = "x"\njku = ["http://evil.example/jwks"]\n', "utf-8")
    with pytest.raises(ConfigError, match="https"):
        load_config(cfg)


def test_cors_is_configurable(tmp_path: Path) -> None:
    """With [cors] allow_origins, a browser preflight from that origin is allowed; from
    another origin it is not; without the section no CORS header is sent."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from visitation.service import create_app

    headers = {
        "Origin": "https://sandbox.cds-hooks.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    path = "/cds-services/visitation-patient-view"
    with_cors = load_config(
        database=str(tmp_path / "db.sqlite3"),
        cors={"allow_origins": ["https://sandbox.cds-hooks.org"]},
    )
    without = load_config(database=str(tmp_path / "db2.sqlite3"))

    async def preflight(config: ServiceConfig, origin: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.options(path, headers={**headers, "Origin": origin})

    def run(config: ServiceConfig, origin: str) -> httpx.Response:
        # a thread of its own: another test of this process (the browser checks) may hold
        # an event loop running in the main thread
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(preflight(config, origin))).result()

    ok = run(with_cors, "https://sandbox.cds-hooks.org")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    other = run(with_cors, "https://evil.example")
    assert "access-control-allow-origin" not in other.headers
    plain = run(without, "https://sandbox.cds-hooks.org")
    assert "access-control-allow-origin" not in plain.headers


def test_a_config_file_authenticates_by_default(tmp_path: Path) -> None:
    """A configuration file without [auth] requires authentication, so it needs issuers;
    only the file-less sandbox default runs without."""
    cfg = tmp_path / "serve.toml"
    cfg.write_text("port = 8081\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"auth.required is true but no \[\[auth.issuers\]\]"):
        load_config(cfg)
    cfg.write_text("port = 8081\n[auth]\nrequired = false\n", encoding="utf-8")
    assert load_config(cfg).auth.required is False
    assert load_config(None).auth.required is False


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_replay_caches_refuse_a_jti_twice(tmp_path: Path, kind: str) -> None:
    """Both replay caches (one process; shared by workers) refuse a key seen before its
    expiry, and forget it after."""
    from visitation.service._auth import MemoryReplayCache, ReplayCache, SqliteReplayCache

    cache: ReplayCache = (
        MemoryReplayCache(1000) if kind == "memory" else SqliteReplayCache(tmp_path / "j.db")
    )
    assert cache.seen("iss a", expires=100.0, now=50.0) is False
    assert cache.seen("iss a", expires=100.0, now=60.0) is True
    assert cache.seen("iss b", expires=100.0, now=60.0) is False
    assert cache.seen("iss a", expires=300.0, now=200.0) is False  # expired: a new token
    assert cache.seen("iss a", expires=300.0, now=210.0) is True  # ... remembered in turn


def test_the_shared_replay_cache_sweeps_expired_tokens_by_an_index(tmp_path: Path) -> None:
    """The workers' replay cache drops expired tokens every 1,000 and keeps live ones, and
    finds the expired ones by an index on their expiry, not by reading every live token
    (a scan that held the write lock all workers wait for)."""
    from visitation.service._auth import SqliteReplayCache

    cache = SqliteReplayCache(tmp_path / "j.db")
    for i in range(999):
        cache.seen(f"old {i}", expires=10.0, now=5.0)
    cache.seen("live", expires=1000.0, now=20.0)  # the 1,000th: the sweep runs first
    db = sqlite3.connect(tmp_path / "j.db")
    try:
        assert db.execute("SELECT key FROM jti").fetchall() == [("live",)]
        plan = " ".join(
            str(row[-1])
            for row in db.execute("EXPLAIN QUERY PLAN DELETE FROM jti WHERE expires < 1.0")
        )
    finally:
        db.close()
    assert "USING" in plan and "INDEX jti_expires" in plan, plan


def test_the_shared_replay_cache_is_checkpointed_beside_the_inserts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No token's insert checkpoints the shared replay cache's log (which synced the file
    inside the request); its own thread does, so the log's pages reach the database."""
    from visitation.service._auth import SqliteReplayCache

    monkeypatch.setattr(SqliteReplayCache, "CHECKPOINT_SECONDS", 0.05)
    path = tmp_path / "j.db"
    cache = SqliteReplayCache(path)
    try:
        assert cache._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        size = path.stat().st_size
        for i in range(500):
            cache.seen(f"iss {i:04d}-" + "x" * 40, expires=1000.0, now=1.0)
        deadline = time.monotonic() + 10
        while path.stat().st_size < size + 30_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= size + 30_000  # 500 keys of ~50 bytes, checkpointed
    finally:
        cache.close()
    assert not cache._checkpointer.is_alive()


def test_card_uuids_are_random_version_4_uuids() -> None:
    """The service's uuid text is a canonical version 4, RFC 4122 UUID, never repeated."""
    import uuid

    from visitation.service._cards import uuid4_text

    made = [uuid4_text() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122
    # every random bit varies: none is stuck at 0 or 1 across the draws
    ints = [uuid.UUID(t).int for t in made]
    fixed = (0xF << 76) | (0x3 << 62)
    varying = ~fixed & ((1 << 128) - 1)
    assert all(any(i >> k & 1 for i in ints) for k in range(128) if varying >> k & 1)
    assert all(not all(i >> k & 1 for i in ints) for k in range(128) if varying >> k & 1)


@settings(max_examples=10)
@given(patient=patients(on=ON), spec=st.sampled_from(RULESETS))
def test_evaluating_and_making_cards_leaves_no_reference_cycles(
    patient: visitation.Patient, spec: str, cycles_left: Callable[[Callable[[], object]], int]
) -> None:
    """What a request's evaluation and cards make is freed by reference counting, so no
    collection has a pile of requests' objects to free at once (a pause in the tail)."""
    program = visitation.resolve(spec, ON)
    opts = CardOptions(hook="order-sign", uuids=True, patient_id="p")

    def run() -> object:
        return cards(visitation.evaluate(patient, program, on=ON), lang="da", options=opts)

    assert cycles_left(run) == 0
