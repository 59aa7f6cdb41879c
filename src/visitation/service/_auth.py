"""JWT bearer authentication of CDS Clients (CDS Hooks 2.0.1, "Trusting CDS Clients").

Checked, in this order, before any key is looked up or any URL fetched:

- the header: ``typ`` is ``JWT``, ``kid`` is present, ``alg`` is one the issuer allows
  (asymmetric only: never ``none``, never HMAC);
- the payload's ``iss`` is a configured issuer;
- a ``jku`` header, when present, is one of that issuer's allow-listed URLs (an exact
  match): no other URL is ever fetched;

then the signature with the issuer's key of that ``kid`` (a configured JWK Set, or the one
at the allow-listed ``jku``), ``aud`` equal to the exact endpoint URL, ``exp`` and ``iat``
within the leeway, ``exp - iat`` at most the configured lifetime, and ``jti`` never seen
before (a replay cache bounded by the tokens' expiry).

A failure raises :class:`AuthError` whose ``reason`` is for the service's own log; the
client gets 401 with a ``WWW-Authenticate`` header and no detail.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK

from visitation.service._config import AuthConfig, IssuerConfig

__all__ = ["AuthError", "MemoryReplayCache", "ReplayCache", "SqliteReplayCache", "Verifier"]

_JWKS_MAX_BYTES = 64 * 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_Key = tuple[PyJWK, str | None]


class AuthError(Exception):
    """Authentication failed; ``reason`` is logged by the service, never sent."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ReplayCache(Protocol):
    """Remembers each ``(iss, jti)`` until its token expires."""

    def seen(self, key: str, expires: float, now: float) -> bool:
        """Record ``key``; whether it was already there (a replay)."""
        ...

    def close(self) -> None:
        """Let go of what the cache holds open (threads, files)."""
        ...


class MemoryReplayCache:
    """The replay cache of one process (``workers = 1``), bounded in size."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing to let go of."""

    def seen(self, key: str, expires: float, now: float) -> bool:
        with self._lock:
            # entries go in by arrival; drop expired ones from the front (lifetimes are bounded)
            while self._keys:
                exp = next(iter(self._keys.values()))
                if exp >= now and len(self._keys) < self._size:
                    break
                if exp >= now:  # full of live tokens: refuse rather than forget one
                    return True
                self._keys.popitem(last=False)
            if key in self._keys:
                return True
            self._keys[key] = expires
            return False


class SqliteReplayCache:
    """The replay cache shared by several worker processes: one SQLite table.

    Its write-ahead log is checkpointed by a thread of its own once a second, never by a
    token's insert: SQLite's automatic checkpoint (every 1,000 pages, about every 360
    tokens) wrote the pages back and synced the file inside the insert, 2-9 ms in which
    the worker's event loop, and every request it holds, waited."""

    CHECKPOINT_SECONDS = 1.0

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread's job
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jti (key TEXT PRIMARY KEY, expires REAL NOT NULL) "
            "WITHOUT ROWID"  # one B-tree for the keys, not a table and an index of them
        )
        # the sweep of expired entries below reads this index, not the whole table: a scan
        # of 200,000 live tokens took 19 ms, holding the write lock every worker's next
        # token waits for (every 1,000 requests of each worker)
        self._db.execute("CREATE INDEX IF NOT EXISTS jti_expires ON jti (expires)")
        self._lock = threading.Lock()
        self._count = 0
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint, name="jti-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.CHECKPOINT_SECONDS):
                # never blocks an insert; busy (another worker's checkpoint): next turn
                with contextlib.suppress(sqlite3.OperationalError):
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()

    def close(self) -> None:
        """Stop the checkpointer (after a last checkpoint) and close the database."""
        self._stop.set()
        self._checkpointer.join(timeout=10)
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._db.close()

    def seen(self, key: str, expires: float, now: float) -> bool:
        with self._lock:
            self._count += 1
            if self._count % 1000 == 0:
                self._db.execute("DELETE FROM jti WHERE expires < ?", (now,))
            try:
                self._db.execute("INSERT INTO jti (key, expires) VALUES (?, ?)", (key, expires))
            except sqlite3.IntegrityError:
                # an expired entry is a new token with the same jti: keep its expiry instead
                cur = self._db.execute(
                    "UPDATE jti SET expires = ? WHERE key = ? AND expires < ?", (expires, key, now)
                )
                return cur.rowcount == 0
            return False


class Verifier:
    """Verifies the bearer token of each request against the configured issuers."""

    def __init__(
        self,
        config: AuthConfig,
        replay: ReplayCache,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Any = time.time,
    ) -> None:
        self._config = config
        self._issuers: dict[str, IssuerConfig] = {i.iss: i for i in config.issuers}
        self._replay = replay
        self._http = http
        self._clock = clock
        self._jwks: dict[str, tuple[float, dict[str, _Key]]] = {}
        self._static: dict[str, dict[str, _Key]] = {
            i.iss: _keys(i.jwks) for i in config.issuers if i.jwks is not None
        }
        self._fetch_lock = asyncio.Lock()

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The verified claims of an ``Authorization: Bearer <JWT>`` header for ``audience``."""
        if not authorization:
            raise AuthError("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("not a Bearer token")
        token = token.strip()
        header, unverified = _peek(token)
        if header.get("typ") != "JWT":
            raise AuthError("typ is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("no kid")
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError("iss not trusted")
        alg = header.get("alg")
        if alg not in issuer.algorithms:
            raise AuthError(f"alg {alg!r} not allowed")
        key, key_alg = await self._key(issuer, kid, header.get("jku"))
        if key_alg is not None and key_alg != alg:
            raise AuthError("key alg differs from the token's alg")
        leeway = self._config.leeway_seconds
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "strict_aud": False},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise AuthError(f"rejected: {type(exc).__name__}") from None
        now = self._clock()
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(iat, int | float) or iat > now + leeway:
            raise AuthError("iat in the future")
        if exp - iat > self._config.max_lifetime_seconds:
            raise AuthError("token lifetime too long")
        if not isinstance(jti, str) or not jti:
            raise AuthError("no jti")
        if self._replay.seen(f"{issuer.iss} {jti}", float(exp) + leeway, now):
            raise AuthError("jti replayed")
        return claims

    async def _key(self, issuer: IssuerConfig, kid: str, jku: Any) -> _Key:
        if jku is not None:
            if not isinstance(jku, str) or jku not in issuer.jku:
                raise AuthError("jku not allow-listed")
            keys = await self._fetched(jku)
        elif issuer.iss in self._static:
            keys = self._static[issuer.iss]
        elif len(issuer.jku) == 1:  # the JWK Set URL agreed out of band
            keys = await self._fetched(issuer.jku[0])
        else:
            raise AuthError("no jku and no configured JWK Set")
        key = keys.get(kid)
        if key is None:
            raise AuthError("unknown kid")
        return key

    async def _fetched(self, url: str) -> dict[str, _Key]:
        now = self._clock()
        cached = self._jwks.get(url)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._fetch_lock:
            cached = self._jwks.get(url)
            if cached is not None and cached[0] > now:
                return cached[1]
            if self._http is None:
                raise AuthError("no HTTP client for jku")
            try:
                async with self._http.stream(
                    "GET", url, timeout=5.0, follow_redirects=False
                ) as response:
                    if response.status_code != 200:
                        raise AuthError(f"jku answered {response.status_code}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > _JWKS_MAX_BYTES:
                            raise AuthError("jku JWK Set too large")
                keys = _keys(json.loads(bytes(body)))
            except (httpx.HTTPError, ValueError) as exc:
                raise AuthError(f"jku fetch failed ({type(exc).__name__})") from None
            self._jwks[url] = (now + self._config.jwks_cache_seconds, keys)
            return keys


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The unverified header and payload of a compact JWS, only to choose the issuer and
    its key (PyJWT then checks the whole token again, signature first); one strict parse
    with the standard library instead of PyJWT's two (its alphabet check runs in Python)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(p) for p in parts):
        raise AuthError("malformed token (not three base64url segments)")
    try:
        header, payload = (
            json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]
        )
    except (ValueError, binascii.Error):
        raise AuthError("malformed token (a segment is not base64url JSON)") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise AuthError("malformed token (header or payload not a JSON object)")
    return header, payload


def _keys(jwks: Mapping[str, Any]) -> dict[str, _Key]:
    """The usable signing keys of a JWK Set by ``kid`` (EC and RSA only), with their ``alg``."""
    out: dict[str, _Key] = {}
    raw = jwks.get("keys")
    if not isinstance(raw, list):
        raise ValueError("a JWK Set has a 'keys' array")
    for jwk in raw:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("kty") not in ("EC", "RSA"):  # no symmetric ("oct") keys, ever
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            alg = jwk.get("alg")
            out[jwk["kid"]] = (PyJWK(jwk), alg if isinstance(alg, str) else None)
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    return out
