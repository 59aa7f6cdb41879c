"""Test support for the CDS Hooks service: signing keys, a fake EHR (FHIR server and JWK
Set URL on loopback), the real service in a subprocess, and requests adapted from the
spec's examples to our patients."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from visitation.service import PREFETCH, prefetch_of

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "tests" / "data" / "fhir" / "dk-referral.json"
EVALUATED_ON = "2026-11-23"
EHR_ISS = "https://ehr.region.example.dk/"
JKU_ISS = "https://other-ehr.example.dk/"

# what must never reach a log: the patient's CPR number, name, birth date, free text
SECRETS = ("1403469996", "140346-9996", "Lauridsen", "Karen", "1946-03-14")

_BY_TYPE = {t.split("?")[0]: key for key, t in PREFETCH.items() if "?" in t}
"""The FHIR search of each prefetch key by resource type (what the fake EHR answers)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Keys:
    """An ES384 key (issuer with a configured JWK Set) and an RS384 key (issuer whose JWK
    Set is at an allow-listed jku)."""

    def __init__(self) -> None:
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        self.ec_jwks = {"keys": [{**ec_jwk, "kid": "ehr-1", "use": "sig", "alg": "ES384"}]}
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        self.rsa_jwks = {"keys": [{**rsa_jwk, "kid": "other-1", "use": "sig", "alg": "RS384"}]}

    def token(
        self,
        aud: str,
        *,
        iss: str = EHR_ISS,
        alg: str = "ES384",
        kid: str = "ehr-1",
        headers: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        rel: dict[str, int] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A signed bearer JWT as a CDS Client makes it (the sandbox's shape)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": iss,
            "aud": aud,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
            **(claims or {}),
            **{k: now + v for k, v in (rel or {}).items()},  # times relative to now
        }
        for k in drop:
            payload.pop(k, None)
        key = self.ec if alg.startswith("ES") else self.rsa
        head = {"typ": "JWT", "kid": kid, **(headers or {})}
        return jwt.encode(payload, key, algorithm=alg, headers=head)


class FakeEhr:
    """A FHIR server and JWK Set host on loopback; records every request it answers."""

    def __init__(self, keys: Keys) -> None:
        self.resources = resources()
        self.requests: list[tuple[str, str | None]] = []
        self.fail: int | None = None
        self.delay = 0.0
        self.jwks = keys.rsa_jwks
        ehr = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                ehr.requests.append((self.path, self.headers.get("Authorization")))
                if ehr.delay and not self.path.startswith("/.well-known/"):
                    time.sleep(ehr.delay)
                status, body = ehr.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[int, Any]:
        if path == "/.well-known/jwks.json":
            return 200, self.jwks
        if self.fail is not None:
            return self.fail, {"resourceType": "OperationOutcome", "issue": []}
        route, _, query = path.removeprefix("/fhir/").partition("?")
        if route.startswith("Patient/"):
            return 200, self.resources["patient"]
        key = _BY_TYPE.get(route)
        if key is None or "patient=karen-1" not in query:
            return 404, {"resourceType": "OperationOutcome", "issue": []}
        return 200, self.resources[key]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def resources() -> dict[str, Any]:
    """The test bundle as a prefetch: the Patient, and a searchset Bundle per type."""
    return prefetch_of(json.loads(BUNDLE.read_text(encoding="utf-8")))


def prefetch() -> dict[str, Any]:
    """A fresh copy of the full prefetch."""
    return copy.deepcopy(resources())


def patient_view(**changes: Any) -> dict[str, Any]:
    """The spec's patient-view example request, adapted to our patient (karen-1)."""
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "patient-view",
        "context": {"userId": "Practitioner/gp-1", "patientId": "karen-1"},
        "prefetch": prefetch(),
    }
    body.update(changes)
    return body


def draft_referral(code: str = "306205009", rid: str = "draft-hospice") -> dict[str, Any]:
    """A draft ServiceRequest referring karen-1 (SNOMED CT 306205009: referral to hospice)."""
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        "subject": {"reference": "Patient/karen-1"},
        "reasonReference": [{"reference": "Condition/dx-lung"}],
    }


def order_sign(*orders: dict[str, Any], hook: str = "order-sign", **changes: Any) -> dict[str, Any]:
    """The spec's order-sign example (R4), with draft ServiceRequests as the orders."""
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": {
            "userId": "PractitionerRole/123",
            "patientId": "karen-1",
            "encounterId": "89284",
            "draftOrders": {
                "resourceType": "Bundle",
                "entry": [{"resource": o} for o in (orders or (draft_referral(),))],
            },
        },
        "prefetch": prefetch(),
    }
    body.update(changes)
    return body


def write_config(directory: Path, keys: Keys, ehr: FakeEhr, port: int, *, extra: str = "") -> Path:
    """A configuration for the test service: both issuers, fixed evaluation date."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ehr-jwks.json").write_text(json.dumps(keys.ec_jwks), encoding="utf-8")
    cfg = directory / "serve.toml"
    cfg.write_text(
        f"""
host = "127.0.0.1"
port = {port}
rulesets = ["dk-national@3.0.0", "dk-hovedstaden@2.0.0"]
language = "da"
database = "feedback.sqlite3"
evaluation_date = {EVALUATED_ON}
{extra}

[auth]
leeway_seconds = 10

[[auth.issuers]]
iss = "{EHR_ISS}"
jwks_file = "ehr-jwks.json"
algorithms = ["ES384"]

[[auth.issuers]]
iss = "{JKU_ISS}"
jku = ["{ehr.base}/.well-known/jwks.json"]
algorithms = ["RS384"]

[limits]
max_body_bytes = 2000000
fhir_timeout_seconds = 2
""",
        encoding="utf-8",
    )
    return cfg


class Server:
    """``visitation serve`` in a subprocess on 127.0.0.1, its log in a file."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log_path = config, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "visitation",
                    "serve",
                    "--config",
                    str(self.config),
                    "--log-level",
                    "debug",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start in 60 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class Client:
    """An EHR calling the service: every request signed for its exact endpoint URL."""

    def __init__(self, server: Server, keys: Keys) -> None:
        self.server, self.keys = server, keys
        self.http = httpx.Client(base_url=server.base, timeout=30)

    def auth(self, path: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.keys.token(self.server.base + path, **kw)}

    def post(
        self,
        path: str,
        body: Any,
        *,
        token: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = {**self.auth(path, **(token or {})), **(headers or {})}
        if isinstance(body, bytes | str):
            return self.http.post(
                path, content=body, headers={"Content-Type": "application/json", **h}
            )
        return self.http.post(path, json=body, headers=h)

    def get(self, path: str, **token: Any) -> httpx.Response:
        return self.http.get(path, headers=self.auth(path, **token))


def served(tmp: Path, keys: Keys, ehr: FakeEhr, *, extra: str = "") -> Iterator[Server]:
    """Start a service for a test module or session, and stop it after."""
    port = free_port()
    cfg = write_config(tmp, keys, ehr, port, extra=extra)
    server = Server(cfg, port, tmp / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def db_path(server: Server) -> Path:
    """The feedback database of a test service."""
    return server.config.parent / "feedback.sqlite3"
