"""Where a patient-view's server CPU goes: the service's stages timed in this process.

    python -m benchmarks.service_stages [--rounds 15] [--repeat 10] [--noise 40]

The companion of ``benchmarks/service.py`` (which times the real server over loopback):
here no socket and no second process, so the figures move much less with the machine's
load. Each figure is the fastest of ``--rounds`` rounds of ``--repeat`` calls (the
least disturbed), in microseconds:

- the stages of one distinct patient-view, in the order the service runs them: the
  body's JSON, the request's validation, the answer-cache key, the FHIR reading, the
  evaluation of both rule sets, the four cards, the answer's JSON with its uuid slots,
  and the JWT check (ES384, a fresh token each call) with the signature alone beside it;
- whole requests through the ASGI application (Starlette, the JWT check, the card log):
  ``/healthz``, the authenticated discovery, a distinct patient-view and a repeated one
  (an answer-cache hit), with their ratios to ``/healthz``.

The request bodies and tokens are those of ``benchmarks/service.py``. Stops by itself.

On a loaded machine even the fastest round moves; instructions do not. Under callgrind,
``--instructions CASE`` counts the instructions of ``--count`` whole requests of one case
(the start, imports and warm-up not instrumented) and prints them per request::

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg/out \
        python -m benchmarks.service_stages --instructions pv-distinct --count 30

(``callgrind_control`` toggles the instrumentation from inside; about 15 s a case.)

``--contention`` asks what two busy processes get from this machine: the CPU per
distinct patient-view of this process in phases alone and phases while a second process
(the same command, ``--busy``, paused in the phases alone) runs distinct patient-views
beside it, alternated, alone first and last; the medians of each kind. On a machine
whose two cores are its own the figures agree; where they do not, the load test's server
(two workers and the client, all busy) pays the ratio on every request, whatever the code
does. Printed: ms of CPU per request in each phase, the medians' ratio, and the cores' worth
of work two busy processes get (2 ÷ the ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.service import PV, Bench, add_bench_options
from visitation.service import create_app, load_config

ON = date(2026, 11, 23)
RULESETS = ["dk-national@3.0.0", "dk-hovedstaden@2.0.0"]


def best(fn: Callable[[], Any], rounds: int, repeat: int) -> float:
    """The fastest round's time per call, in microseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        times.append((time.perf_counter() - start) / repeat)
    return min(times) * 1e6


def _parts(raw: bytes) -> tuple[str, str, list[tuple[bytes, bytes]], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, path, _ = lines[0].split(b" ")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip()))
    return method.decode(), path.decode(), headers, body


class InProcess:
    """The service's ASGI application, started (lifespan) in this process."""

    def __init__(self, bench: Bench) -> None:
        self.app = create_app(load_config(bench.tmp / "serve.toml"))
        self.loop = asyncio.new_event_loop()
        self._down: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._up: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        await self._down.put({"type": "lifespan.startup"})

        async def receive() -> dict[str, Any]:
            return await self._down.get()

        async def send(message: dict[str, Any]) -> None:
            await self._up.put(message)

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self._lifespan = asyncio.ensure_future(self.app(scope, receive, send))  # type: ignore[arg-type]
        await self._up.get()

    def stop(self) -> None:
        async def down() -> None:
            await self._down.put({"type": "lifespan.shutdown"})
            await self._lifespan

        self.loop.run_until_complete(down())
        self.loop.close()

    def call(self, raw: bytes) -> int:
        """Send one prepared HTTP/1.1 request; its status."""
        method, path, headers, body = _parts(raw)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "server": ("127.0.0.1", 9),
            "client": ("127.0.0.1", 5),
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        self.loop.run_until_complete(self.app(scope, receive, send))  # type: ignore[arg-type]
        return status


def _now(coro: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that finishes without waiting (no event loop's cost)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the coroutine waited")


def stages(bench: Bench, rounds: int, repeat: int) -> dict[str, float]:
    """Microseconds per call of each stage of a distinct patient-view."""
    import jwt as pyjwt
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from jwt.utils import raw_to_der_signature

    import visitation
    from visitation import fhir as vfhir
    from visitation.service import CardOptions, cards
    from visitation.service._auth import MemoryReplayCache, Verifier
    from visitation.service._cache import answer_key, answer_of, encode
    from visitation.service._draft import service_mapping
    from visitation.service._json import loads
    from visitation.service._models import CdsRequest, PatientViewContext

    config = load_config(bench.tmp / "serve.toml")
    body = bench.pv_body()
    data, _ = loads(body)
    req = CdsRequest.model_validate(data)
    prefetch = dict(req.prefetch or {})
    mapping = service_mapping(config.orders)
    programs = [visitation.resolve(spec, ON) for spec in RULESETS]
    extraction = vfhir.facts_from_bundle(prefetch, on=ON, mapping=mapping, name="prefetch")
    assessments = [visitation.evaluate(extraction.patient, p, on=ON) for p in programs]
    opts = CardOptions(
        hook="patient-view",
        ruleset_url="http://x/{family}/{version}",
        patient_id="karen-1",
        uuids=True,
    )
    made: list[dict[str, Any]] = []
    for a in assessments:
        made += cards(a, lang="da", pathways=[p.id for p in a.pathways], options=opts)
    verifier = Verifier(config.auth, MemoryReplayCache(1_000_000))
    tokens = iter([bench.token(PV) for _ in range(rounds * repeat + 5)])
    token = bench.token(PV)
    signing, _, sig = token.rpartition(".")
    raw = pyjwt.utils.base64url_decode(sig)
    public = bench.key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        der, ec_key = raw_to_der_signature(raw, public.curve), public

        def signature() -> None:
            ec_key.verify(der, signing.encode(), ec.ECDSA(hashes.SHA384()))
    else:
        rsa_key = public

        def signature() -> None:
            rsa_key.verify(raw, signing.encode(), padding.PKCS1v15(), hashes.SHA384())

    def card_set() -> None:
        for a in assessments:
            cards(a, lang="da", pathways=[p.id for p in a.pathways], options=opts)

    def validate() -> None:
        checked = CdsRequest.model_validate(data)
        PatientViewContext.model_validate(checked.context)

    return {
        "body JSON (orjson, exact)": best(lambda: loads(body), rounds, repeat),
        "request validation": best(validate, rounds, repeat),
        "answer-cache key": best(
            lambda: answer_key(["s", "da", ON, ["h1", "h2"], req.context, prefetch]),
            rounds,
            repeat,
        ),
        "FHIR reading": best(
            lambda: vfhir.facts_from_bundle(prefetch, on=ON, mapping=mapping, name="prefetch"),
            rounds,
            repeat,
        ),
        "evaluation (2 rule sets)": best(
            lambda: [visitation.evaluate(extraction.patient, p, on=ON) for p in programs],
            rounds,
            repeat,
        ),
        "cards (4)": best(card_set, rounds, repeat),
        "answer JSON + uuid slots": best(lambda: answer_of(encode(made), made, []), rounds, repeat),
        f"JWT check ({bench.alg})": best(
            lambda: _now(verifier.verify("Bearer " + next(tokens), bench.base + PV)),
            rounds,
            repeat,
        ),
        "  of it the signature": best(signature, rounds, repeat),
    }


def requests(bench: Bench, rounds: int, repeat: int) -> dict[str, float]:
    """Microseconds per whole request through the ASGI application, per case."""
    service = InProcess(bench)
    out = {}
    try:
        for name in ("trivial", "trivial+jwt", "pv-distinct", "pv-repeated"):
            prepared = iter(bench.requests(name, rounds * repeat + 10))
            for _ in range(10):  # warm: the first answer of pv-repeated fills the cache
                if service.call(next(prepared)) != 200:
                    raise RuntimeError(f"{name}: not 200")

            def one(it: Iterator[bytes] = prepared) -> int:
                return service.call(next(it))

            out[name] = best(one, rounds, repeat)
    finally:
        service.stop()
    return out


def _callgrind(*args: str) -> None:
    import os
    import subprocess

    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def instructions(bench: Bench, case: str, count: int, out: str) -> float:
    """Instructions per whole request of ``case``, counted by the callgrind running this
    process (dumps to ``out``.N): a dump of nothing first, its cost taken off."""
    import glob
    import re

    service = InProcess(bench)
    try:
        prepared = iter(bench.requests(case, count + 10))
        for _ in range(10):
            service.call(next(prepared))
        _callgrind("-i", "on")
        _callgrind("-z")
        _callgrind("-d", "nothing")
        for _ in range(count):
            service.call(next(prepared))
        _callgrind("-d", "requests")
        _callgrind("-i", "off")
    finally:
        service.stop()
    totals = {}
    for path in glob.glob(out + ".*"):
        text = Path(path).read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: .*?(nothing|requests)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total:
            totals[trigger.group(1)] = int(total.group(1))
    return (totals["requests"] - totals["nothing"]) / count


def _cpu_per_request(service: InProcess, prepared: Iterator[bytes], count: int) -> float:
    """Milliseconds of this process's CPU per request, over ``count`` requests."""
    start = time.process_time()
    for _ in range(count):
        if service.call(next(prepared)) != 200:
            raise RuntimeError("pv-distinct: not 200")
    return (time.process_time() - start) / count * 1000


def contention(bench: Bench, count: int, noise: int, pairs: int = 3) -> dict[str, Any]:
    """CPU per distinct patient-view in phases alone and beside a second busy process,
    alternated (alone first and last); the second process is paused while this one is
    alone, so both kinds of phase see the same stretch of the machine's day."""
    import signal
    import statistics
    import subprocess

    service = InProcess(bench)
    phases: list[tuple[str, float]] = []
    try:
        prepared = iter(bench.requests("pv-distinct", (2 * pairs + 1) * count + 20))
        _cpu_per_request(service, prepared, 20)  # warm
        busy = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.service_stages", "--busy",
             str((pairs + 1) * count * 2), "--noise", str(noise)],
            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        try:
            assert busy.stdout is not None
            if busy.stdout.readline().strip() != b"busy":  # its warm-up is done
                raise RuntimeError("the second process did not start")
            for k in range(2 * pairs + 1):
                paired = k % 2 == 1
                busy.send_signal(signal.SIGCONT if paired else signal.SIGSTOP)
                phases.append(("beside" if paired else "alone",
                               _cpu_per_request(service, prepared, count)))  # fmt: skip
        finally:
            busy.kill()
            busy.wait(timeout=30)
    finally:
        service.stop()
    alone = statistics.median(ms for kind, ms in phases if kind == "alone")
    beside = statistics.median(ms for kind, ms in phases if kind == "beside")
    ratio = beside / alone
    return {"phases": phases, "alone_ms": alone, "beside_ms": beside, "ratio": ratio,
            "cores_for_two": 2 / ratio}  # fmt: skip


def busy(bench: Bench, count: int) -> None:
    """The second process of ``--contention``: ``count`` distinct patient-views, more than
    the phases beside it need (its parent kills it after the last)."""
    service = InProcess(bench)
    prepared = iter(bench.requests("pv-distinct", count + 20))
    _cpu_per_request(service, prepared, 20)
    print("busy", flush=True)
    _cpu_per_request(service, prepared, count)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=15, help="rounds per figure (default 15)")
    ap.add_argument("--repeat", type=int, default=10, help="calls per round (default 10)")
    add_bench_options(ap)
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--instructions", metavar="CASE", help="under callgrind: count CASE")
    ap.add_argument(
        "--count",
        type=int,
        default=30,
        help="requests counted (default 30); with --contention, 10 x this a phase",
    )
    ap.add_argument("--callgrind-out", default="/tmp/cg/out", help="callgrind's out file")
    ap.add_argument(
        "--contention", action="store_true", help="CPU per request alone and beside a second"
    )
    ap.add_argument("--busy", type=int, help=argparse.SUPPRESS)  # --contention's second process
    args = ap.parse_args()
    bench = Bench(args, 1)
    if args.busy:
        busy(bench, args.busy)
        return 0
    if args.contention:
        got = contention(bench, args.count * 10, args.noise)
        shown = ", ".join(f"{kind} {ms:.2f}" for kind, ms in got["phases"])
        print(
            f"distinct patient-view, ms of CPU per request, {args.count * 10} requests a "
            f"phase: {shown}; median alone {got['alone_ms']:.2f}, beside a second busy "
            f"process {got['beside_ms']:.2f}: ratio {got['ratio']:.2f}, two busy processes "
            f"get {got['cores_for_two']:.2f} cores' worth"
        )
        if args.json:
            Path(args.json).write_text(json.dumps(got, indent=2))
        return 0
    if args.instructions:
        ir = instructions(bench, args.instructions, args.count, args.callgrind_out)
        print(f"{args.instructions}: {ir:,.0f} instructions per request")
        return 0
    staged = stages(bench, args.rounds, args.repeat)
    whole = requests(bench, args.rounds, args.repeat)
    print(
        f"visitation CDS Hooks service in-process, Python {sys.version.split()[0]}; "
        f"prefetch {len(bench.pv_body())} bytes; fastest of {args.rounds} rounds, µs"
    )
    print("stages of a distinct patient-view:")
    for name, us in staged.items():
        print(f"  {name:28} {us:9.1f}")
    print("whole requests (ASGI app):")
    floor = whole["trivial"]
    for name, us in whole.items():
        print(f"  {name:28} {us:9.1f}   {us / floor:6.1f} x /healthz")
    if args.json:
        Path(args.json).write_text(json.dumps({"stages": staged, "requests": whole}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
