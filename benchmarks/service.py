"""Load test of the CDS Hooks service on loopback: patient-view against the trivial endpoint.

    python benchmarks/service.py [--requests 600] [--duration 20] [--quick] [--json PATH]

Starts ``visitation serve`` (one uvicorn process, JWT authentication on, ES384) on
127.0.0.1 on a free port and drives it with a lean asyncio HTTP/1.1 keep-alive client at
1, 8 and 32 concurrent clients. Each level sends a fixed number of requests and stops
early at a time limit, so the run stops by itself. Timed, per level:

- ``patient-view``: ``POST /cds-services/visitation-patient-view`` with a realistic
  prefetch (the test patient's 21 resources plus ``--noise`` vital-sign Observations,
  split into the discovery's prefetch keys), a fresh signed JWT each (signed before the
  clock starts), two rule sets, four cards back;
- ``trivial``: ``GET /healthz`` on the same server (the framework's floor).

Printed: requests, p50 and p99 latency (ms), throughput (requests/s), and the ratio of
patient-view's throughput to the trivial endpoint's. Before timing, one patient-view
answer is checked (200, four cards); otherwise the run exits 1.

Targets (issue 12): p99 ≤ 25 ms at 8 concurrent clients on a 2-core machine, and
patient-view throughput ≥ 50 % of the trivial endpoint's. The client shares the machine's
cores with the server; results are for loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "tests" / "data" / "fhir" / "dk-referral.json"
ISS = "https://ehr.bench.example/"
PV = "/cds-services/visitation-patient-view"
KEYS = {
    "Condition": "conditions",
    "Observation": "observations",
    "Procedure": "procedures",
    "ServiceRequest": "serviceRequests",
    "Encounter": "encounters",
    "Consent": "consents",
    "QuestionnaireResponse": "questionnaireResponses",
}


def prefetch(noise: int) -> dict[str, Any]:
    """The test patient's record as prefetch, with ``noise`` unrelated vital signs."""
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    out: dict[str, Any] = {
        k: {"resourceType": "Bundle", "type": "searchset", "entry": []} for k in KEYS.values()
    }
    for e in bundle["entry"]:
        res = e["resource"]
        if res["resourceType"] == "Patient":
            out["patient"] = res
        else:
            out[KEYS[res["resourceType"]]]["entry"].append(
                {"fullUrl": e.get("fullUrl"), "resource": res}
            )
    for k in range(noise):
        out["observations"]["entry"].append(
            {
                "fullUrl": f"urn:uuid:{uuid.UUID(int=k)}",
                "resource": {
                    "resourceType": "Observation",
                    "id": f"hr-{k}",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "subject": {"reference": "Patient/karen-1"},
                    "effectiveDateTime": f"2026-{1 + k % 10:02d}-{1 + k % 27:02d}T10:00:00+01:00",
                    "valueQuantity": {"value": 60 + k % 40, "unit": "/min"},
                },
            }
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """N keep-alive connections sending prepared HTTP/1.1 requests (no client library in
    the timed path, so the client's own cost stays small)."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def run(self, requests: list[bytes], concurrency: int, duration: float) -> list[float]:
        queue = list(reversed(requests))
        latencies: list[float] = []
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                while queue and time.perf_counter() < deadline:
                    raw = queue.pop()
                    start = time.perf_counter()
                    writer.write(raw)
                    status = await _read_response(reader)
                    latencies.append(time.perf_counter() - start)
                    if status != 200:
                        raise RuntimeError(f"answer {status}")
            finally:
                writer.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    await reader.readexactly(length)
    return status


def _request(method: str, path: str, body: bytes | None, token: str | None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=600, help="requests per level (default 600)")
    ap.add_argument("--duration", type=float, default=20.0, help="time limit per level, s")
    ap.add_argument("--noise", type=int, default=40, help="unrelated Observations in the prefetch")
    ap.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--quick", action="store_true", help="150 requests, 8 s per level")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = ap.parse_args()
    if args.quick:
        args.requests, args.duration = 150, 8.0
    levels = [int(x) for x in args.levels.split(",")]

    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    tmp = Path(tempfile.mkdtemp(prefix="visitation-bench-"))
    (tmp / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]}))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp / "serve.toml").write_text(
        f'port = {port}\nrulesets = ["dk-national@3.0.0", "dk-hovedstaden@2.0.0"]\n'
        f'evaluation_date = 2026-11-23\ndatabase = "feedback.sqlite3"\nworkers = {args.workers}\n'
        f'[[auth.issuers]]\niss = "{ISS}"\njwks_file = "jwks.json"\nalgorithms = ["ES384"]\n'
    )
    log = (tmp / "service.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "visitation",
            "serve",
            "--config",
            str(tmp / "serve.toml"),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            print("the service did not start", file=sys.stderr)
            return 1
        pf = prefetch(args.noise)

        def token() -> str:
            now = int(time.time())
            claims = {
                "iss": ISS,
                "aud": base + PV,
                "iat": now,
                "exp": now + 600,
                "jti": str(uuid.uuid4()),
            }
            return jwt.encode(claims, key, algorithm="ES384", headers={"kid": "k1", "typ": "JWT"})

        def pv_body() -> bytes:
            return json.dumps(
                {
                    "hook": "patient-view",
                    "hookInstance": str(uuid.uuid4()),
                    "context": {"userId": "Practitioner/gp-1", "patientId": "karen-1"},
                    "prefetch": pf,
                }
            ).encode()

        check = httpx.post(
            base + PV,
            content=pv_body(),
            timeout=30,
            headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/json"},
        )
        if check.status_code != 200 or len(check.json()["cards"]) != 4:
            print(
                f"patient-view check failed: {check.status_code} {check.text[:300]}",
                file=sys.stderr,
            )
            return 1
        body_size = len(pv_body())
        client = Client(port)
        results: dict[str, Any] = {}
        for level in levels:
            for name in ("trivial", "patient-view"):
                if name == "trivial":
                    reqs = [_request("GET", "/healthz", None, None)] * args.requests
                else:
                    reqs = [_request("POST", PV, pv_body(), token()) for _ in range(args.requests)]
                warm = reqs[: min(20, len(reqs))]
                asyncio.run(client.run(list(warm), level, args.duration))
                if name == "patient-view":  # the warm-up used those tokens: fresh ones
                    reqs = [_request("POST", PV, pv_body(), token()) for _ in range(args.requests)]
                start = time.perf_counter()
                lat = asyncio.run(client.run(reqs, level, args.duration))
                wall = time.perf_counter() - start
                lat.sort()
                results[f"{name}@{level}"] = {
                    "requests": len(lat),
                    "p50_ms": round(statistics.median(lat) * 1000, 2),
                    "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2),
                    "per_s": round(len(lat) / wall, 1),
                }
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()

    print(
        f"visitation CDS Hooks service, loopback, {args.workers} worker(s), "
        f"Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; prefetch {body_size} bytes ({args.noise} noise Observations)"
    )
    print(f"{'case':22} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'÷ trivial':>10}")
    for level in levels:
        floor = results[f"trivial@{level}"]["per_s"]
        for name in ("trivial", "patient-view"):
            r = results[f"{name}@{level}"]
            ratio = r["per_s"] / floor if floor else 0.0
            r["ratio_to_trivial"] = round(ratio, 3)
            print(
                f"{name + '@' + str(level):22} {r['requests']:>8} {r['p50_ms']:>8} "
                f"{r['p99_ms']:>8} {r['per_s']:>8} {ratio:>10.2f}"
            )
    if 8 in levels:
        pv8 = results["patient-view@8"]
        print(
            f"target p99 ≤ 25 ms at 8 clients: {pv8['p99_ms']} ms "
            f"({'met' if pv8['p99_ms'] <= 25 else 'not met'})"
        )
        print(
            f"target throughput ≥ 50 % of trivial at 8 clients: {pv8['ratio_to_trivial']:.0%} "
            f"({'met' if pv8['ratio_to_trivial'] >= 0.5 else 'not met'})"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"cases": results, "prefetch_bytes": body_size}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
