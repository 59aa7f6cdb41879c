"""Load test of the CDS Hooks service on loopback: patient-view against trivial endpoints.

    python benchmarks/service.py [--requests 600] [--duration 20] [--workers 1,2]
                                 [--levels 1,8,32] [--alg ES384|RS384] [--quick]
                                 [--json PATH]

For each worker count, starts ``visitation serve`` (JWT authentication on, ES384 or with
``--alg RS384`` the spec's other algorithm, whose check costs far less) on
127.0.0.1 on a free port, in a process of its own, and drives it from this process with
a lean asyncio HTTP/1.1 keep-alive client (prepared request bytes, no client library in
the timed path) at 1, 8 and 32 concurrent clients. Each case sends a fixed number of
requests and stops early at a time limit, so the run stops by itself. The cases:

- ``trivial``: ``GET /healthz`` (no authentication: the framework's floor);
- ``trivial+jwt``: ``GET /cds-services`` with a fresh signed JWT (the floor with the
  same authentication as a hook call);
- ``pv-distinct``: ``POST /cds-services/visitation-patient-view``, every request another
  patient (the test patient's 21 resources plus ``--noise`` vital-sign Observations, the
  ids and references renamed per request: no answer cache hit), a fresh JWT each; two
  rule sets, four cards back;
- ``pv-repeated``: the same patient-view request again and again (fresh JWT and
  ``hookInstance`` each): what the answer cache gives a chart opened repeatedly.

Tokens and bodies are made before the clock starts. Printed per case: requests, p50 and
p99 latency (ms), throughput (requests/s), its ratio to both floors, and the CPU seconds
per request of the server processes (from /proc, workers included) and of this client.
Before timing, one answer of each patient-view case is checked (200, four cards);
otherwise the run exits 1.

Targets (issue 12): p99 ≤ 25 ms at 8 concurrent clients on a 2-core machine, and
patient-view throughput ≥ 50 % of the trivial endpoint's (judged on ``pv-distinct``).
The client shares the machine's cores with the server; results are for loopback only.
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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from visitation.service import prefetch_of

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "tests" / "data" / "fhir" / "dk-referral.json"
ISS = "https://ehr.bench.example/"
PV = "/cds-services/visitation-patient-view"


def prefetch(noise: int) -> dict[str, Any]:
    """The test patient's record as prefetch, with ``noise`` unrelated vital signs."""
    out = prefetch_of(json.loads(BUNDLE.read_text(encoding="utf-8")))
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


def _cpu_by_process(pid: int) -> dict[int, float]:
    """User + system CPU of a process and of each of its live children (the uvicorn
    workers), by process id."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(x) for x in task.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _is_worker(pid: int) -> bool:
    """Whether a child of the server is a uvicorn worker (not multiprocessing's resource
    tracker, also a child)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _worker_shares(before: dict[int, float], after: dict[int, float]) -> list[int]:
    """Each worker's share of the workers' CPU between two readings, in per cent, largest
    first (with several workers: how evenly the connections were spread)."""
    used = [after[p] - before.get(p, 0.0) for p in after if _is_worker(p)]
    total = sum(used)
    return sorted((round(100 * u / total) for u in used), reverse=True) if total else []


class Bench:
    """One server (``workers`` uvicorn processes) and the requests to time against it."""

    def __init__(self, args: argparse.Namespace, workers: int) -> None:
        self.args = args
        self.workers = workers
        self.alg: str = args.alg
        self.key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if self.alg == "ES384":
            self.key = ec.generate_private_key(ec.SECP384R1())
            jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.tmp = Path(tempfile.mkdtemp(prefix="visitation-bench-"))
        (self.tmp / "jwks.json").write_text(
            json.dumps({"keys": [{**jwk, "kid": "k1", "alg": self.alg}]})
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        (self.tmp / "serve.toml").write_text(
            f'port = {self.port}\nrulesets = ["dk-national@3.0.0", "dk-hovedstaden@2.0.0"]\n'
            f'evaluation_date = 2026-11-23\ndatabase = "feedback.sqlite3"\nworkers = {workers}\n'
            f'[[auth.issuers]]\niss = "{ISS}"\njwks_file = "jwks.json"\n'
            f'algorithms = ["{self.alg}"]\n'
        )
        self.pf = prefetch(args.noise)
        self.proc: subprocess.Popen[bytes] | None = None
        self.serial = 0

    def start(self) -> bool:
        self.log = (self.tmp / "service.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "visitation", "serve", "--config", str(self.tmp / "serve.toml"),
             "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        for _ in range(600):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.log.close()

    def token(self, path: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISS,
            "aud": self.base + path,
            "iat": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.key, algorithm=self.alg, headers={"kid": "k1", "typ": "JWT"})

    def pv_body(self) -> bytes:
        return json.dumps(
            {
                "hook": "patient-view",
                "hookInstance": str(uuid.uuid4()),
                "context": {"userId": "Practitioner/gp-1", "patientId": "karen-1"},
                "prefetch": self.pf,
            }
        ).encode()

    def requests(self, name: str, n: int) -> list[bytes]:
        """``n`` requests of a case, each with its own token where the case needs one."""
        if name == "trivial":
            return [_request("GET", "/healthz", None, None)] * n
        if name == "trivial+jwt":
            return [_request("GET", "/cds-services", None, self.token("/cds-services"))
                    for _ in range(n)]  # fmt: skip
        if name == "pv-repeated":
            return [_request("POST", PV, self.pv_body(), self.token(PV)) for _ in range(n)]
        out = []
        for _ in range(n):  # another patient each time (ids and references renamed)
            self.serial += 1
            body = self.pv_body().replace(b"karen-1", f"pt-{self.serial:06d}".encode())
            out.append(_request("POST", PV, body, self.token(PV)))
        return out

    def check(self) -> str | None:
        """One answer of each patient-view case: 200 and four cards, or what went wrong."""
        for name in ("pv-repeated", "pv-distinct"):
            raw = self.requests(name, 1)[0]
            head, _, body = raw.partition(b"\r\n\r\n")
            token = head.split(b"Bearer ", 1)[1].split(b"\r\n", 1)[0].decode()
            got = httpx.post(
                self.base + PV,
                content=body,
                timeout=30,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            if got.status_code != 200 or len(got.json()["cards"]) != 4:
                return f"{name} check failed: {got.status_code} {got.text[:300]}"
        return None

    def run(self, levels: list[int]) -> dict[str, Any]:
        assert self.proc is not None
        client = Client(self.port)
        results: dict[str, Any] = {}
        for level in levels:
            for name in CASES:
                warm = self.requests(name, min(20 * self.workers, self.args.requests))
                asyncio.run(client.run(warm, level, self.args.duration))
                reqs = self.requests(name, self.args.requests)
                server0, client0 = _cpu_by_process(self.proc.pid), time.process_time()
                start = time.perf_counter()
                lat = asyncio.run(client.run(reqs, level, self.args.duration))
                wall = time.perf_counter() - start
                server1 = _cpu_by_process(self.proc.pid)
                server_cpu = sum(server1.values()) - sum(server0.values())
                client_cpu = time.process_time() - client0
                lat.sort()
                results[f"{name}@{level}"] = {
                    "requests": len(lat),
                    "p50_ms": round(statistics.median(lat) * 1000, 2),
                    "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2),
                    "per_s": round(len(lat) / wall, 1),
                    "server_cpu_ms": round(server_cpu / len(lat) * 1000, 3),
                    "client_cpu_ms": round(client_cpu / len(lat) * 1000, 3),
                    "worker_cpu_shares": _worker_shares(server0, server1),
                }
        return results


CASES = ("trivial", "trivial+jwt", "pv-distinct", "pv-repeated")


def add_bench_options(ap: argparse.ArgumentParser) -> None:
    """The options :class:`Bench` reads (``noise``, ``alg``), for this script and
    ``benchmarks/service_stages.py``."""
    ap.add_argument("--noise", type=int, default=40, help="unrelated Observations in the prefetch")
    ap.add_argument(
        "--alg",
        choices=["ES384", "RS384"],
        default="ES384",
        help="the EHR's JWT signing algorithm (CDS Hooks 2.0 allows both; default ES384)",
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=600, help="requests per level (default 600)")
    ap.add_argument("--duration", type=float, default=20.0, help="time limit per level, s")
    add_bench_options(ap)
    ap.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated")
    ap.add_argument("--workers", default="1,2", help="uvicorn worker processes, comma-separated")
    ap.add_argument("--quick", action="store_true", help="150 requests, 8 s per level")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = ap.parse_args()
    if args.quick:
        args.requests, args.duration = 150, 8.0
    levels = [int(x) for x in args.levels.split(",")]
    out: dict[str, Any] = {}
    body_size = 0
    for n in (int(x) for x in args.workers.split(",")):
        bench = Bench(args, n)
        body_size = len(bench.pv_body())
        try:
            if not bench.start():
                print("the service did not start", file=sys.stderr)
                return 1
            problem = bench.check()
            if problem:
                print(problem, file=sys.stderr)
                return 1
            out[str(n)] = bench.run(levels)
        finally:
            bench.stop()
    print(
        f"visitation CDS Hooks service, loopback, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; JWT {args.alg}; prefetch {body_size} bytes ({args.noise} noise "
        "Observations); "
        "cpu: per request, server processes and this client; split: each worker's share of "
        "the workers' CPU"
    )
    head = f"{'case':26} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'÷ triv':>7}"
    print(head + f" {'÷ t+jwt':>8} {'srv cpu':>8} {'cli cpu':>8}  split")
    for workers, results in out.items():
        for level in levels:
            floor = results[f"trivial@{level}"]["per_s"]
            floor_jwt = results[f"trivial+jwt@{level}"]["per_s"]
            for name in CASES:
                r = results[f"{name}@{level}"]
                r["ratio_to_trivial"] = round(r["per_s"] / floor, 3) if floor else 0.0
                r["ratio_to_trivial_jwt"] = round(r["per_s"] / floor_jwt, 3) if floor_jwt else 0.0
                label = f"{workers}w {name}@{level}"
                print(
                    f"{label:26} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
                    f"{r['per_s']:>8} {r['ratio_to_trivial']:>7.2f} "
                    f"{r['ratio_to_trivial_jwt']:>8.2f} {r['server_cpu_ms']:>8} "
                    f"{r['client_cpu_ms']:>8}  {'/'.join(map(str, r['worker_cpu_shares']))}"
                )
        if 8 in levels:
            pv8, rep8 = results["pv-distinct@8"], results["pv-repeated@8"]
            print(
                f"{workers} worker(s), 8 clients, distinct patients (repeated requests): "
                f"p99 ≤ 25 ms: {pv8['p99_ms']} ms ({rep8['p99_ms']} ms) "
                f"{'met' if pv8['p99_ms'] <= 25 else 'not met'}; throughput ≥ 50 % of trivial: "
                f"{pv8['ratio_to_trivial']:.0%} ({rep8['ratio_to_trivial']:.0%}) "
                f"{'met' if pv8['ratio_to_trivial'] >= 0.5 else 'not met'}; of the "
                f"authenticated trivial endpoint: {pv8['ratio_to_trivial_jwt']:.0%} "
                f"({rep8['ratio_to_trivial_jwt']:.0%})"
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"workers": out, "prefetch_bytes": body_size, "alg": args.alg}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
