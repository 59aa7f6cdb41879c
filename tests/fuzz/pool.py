"""Worker processes with a per-input time limit and an address-space limit.

Each worker is a forked child that sets ``RLIMIT_AS`` once, then runs inputs one at a time:
it builds the input from its seed, says "ready", runs it and sends the outcome. The parent
starts the clock at "ready", so building a large input does not count against the input.
A worker that passes the time limit is killed and replaced (``over_time``); a
``MemoryError``, or a death by signal, is ``over_memory`` and the worker is replaced too.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

from hypothesis import HealthCheck, Phase, given, settings

import visitation
from visitation.testing import patients as patient_strategy

from .harness import Outcome, run_input
from .mutate import Input, make_input

TIME_LIMIT: Final = 2.0
"""Seconds one call (a check, a compile, an evaluation, a render, a CLI run) may take."""

HARD_LIMIT: Final = 30.0
"""Seconds after which a worker running one input is killed (a hang: ``over_time``)."""

MEMORY_MIB: Final = 512
"""MiB of address space a worker may hold (issue 8)."""

MEMORY_LIMIT: Final = MEMORY_MIB * 2**20
"""Bytes of address space one input may add to a worker (issue 8: 512 MiB)."""

SUBPROCESS_EVERY: Final = 1_000
"""Every this many inputs (by seed) also runs the CLI as a real process."""

ROOT: Final = Path(__file__).resolve().parents[2]


def sample_patients(n: int = 6, on: date = date(2026, 11, 23)) -> list[visitation.Patient]:
    """The example patients, the empty patient, and ``n`` generated ones (deterministic)."""
    found: list[visitation.Patient] = [
        visitation.load_patient(p) for p in sorted((ROOT / "examples").glob("*.yaml"))
    ]
    found.append(visitation.Patient())

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(patient_strategy(on=on))
    def collect(p: visitation.Patient) -> None:
        if len(found) < n + 5:
            found.append(p)

    collect()
    return found


def address_space() -> int:
    """Bytes of address space this process holds now (VmSize)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_memory(headroom: int) -> None:
    """Allow ``headroom`` bytes of address space beyond what the worker holds at its start
    (a worker forked from a test session that has imported everything starts larger)."""
    limit = address_space() + headroom
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(
    conn: Connection,
    patients: Sequence[visitation.Patient],
    memory_limit: int,
    make: Callable[[int], Input],
) -> None:
    os.environ["VISITATION_DEBUG"] = "1"
    _limit_memory(memory_limit)
    with tempfile.TemporaryDirectory(prefix="vz-fuzz-") as tmp:
        workdir = Path(tmp)
        while True:
            try:
                seed = conn.recv()
            except EOFError:
                return
            if seed is None:
                return
            try:
                inp = make(seed)
            except Exception:  # a bug of the fuzzer, not of visitation: say so, go on
                detail = traceback.format_exc(-3)
                conn.send(("done", Outcome("fuzzer_error", "build", detail=detail)))
                continue
            conn.send(("built", True))
            try:
                outcome = run_input(
                    inp, workdir, patients, choice=seed, subprocess_cli=seed % SUBPROCESS_EVERY == 0
                )
            except MemoryError:
                outcome = Outcome("over_memory", "run", detail=traceback.format_exc(limit=-6))
            except RecursionError:
                outcome = Outcome("unhandled", "run", detail=traceback.format_exc(limit=-6))
            conn.send(("done", outcome))
            if outcome.status == "over_memory":
                return


class Worker:
    """One limited child process."""

    def __init__(
        self,
        patients: Sequence[visitation.Patient],
        memory_limit: int,
        make: Callable[[int], Input] = make_input,
    ) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker, args=(child, patients, memory_limit, make), daemon=True
        )
        self.proc.start()
        child.close()
        self.seed: int | None = None
        self.started = 0.0

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def run_seeds(
    seeds: Iterable[int],
    *,
    jobs: int = 2,
    time_limit: float = TIME_LIMIT,
    hard_limit: float = HARD_LIMIT,
    memory_limit: int = MEMORY_LIMIT,
    patients: Sequence[visitation.Patient] | None = None,
    build_limit: float = 60.0,
    make: Callable[[int], Input] = make_input,
) -> Iterator[tuple[int, Outcome]]:
    """Run every seed's input in a pool of ``jobs`` workers; yield (seed, outcome) as done.

    ``make`` turns a seed into an input (by default the mutations of :mod:`.mutate`)."""
    pool_patients = list(patients) if patients is not None else sample_patients()
    todo = iter(seeds)
    workers = [Worker(pool_patients, memory_limit, make) for _ in range(max(1, jobs))]
    busy: dict[int, tuple[int, float, bool]] = {}  # worker index → seed, clock, built?

    def feed(i: int) -> bool:
        seed = next(todo, None)
        if seed is None:
            return False
        workers[i].conn.send(seed)
        busy[i] = (seed, time.monotonic(), False)
        return True

    def replace(i: int) -> None:
        workers[i].stop()
        workers[i] = Worker(pool_patients, memory_limit, make)

    try:
        for i in range(len(workers)):
            feed(i)
        while busy:
            for i in list(busy):
                seed, clock, built = busy[i]
                w = workers[i]
                limit = hard_limit if built else build_limit
                remaining = clock + limit - time.monotonic()
                if w.conn.poll(max(0.0, min(remaining, 0.01))):
                    try:
                        tag, payload = w.conn.recv()
                    except (EOFError, OSError):
                        exitcode = w.proc.exitcode
                        replace(i)
                        del busy[i]
                        yield (
                            seed,
                            Outcome(
                                "over_memory", "run", detail=f"worker died (exit code {exitcode})"
                            ),
                        )
                        feed(i)
                        continue
                    if tag == "built":
                        busy[i] = (seed, time.monotonic(), True)
                        continue
                    del busy[i]
                    outcome: Outcome = payload
                    if outcome.seconds > time_limit and outcome.status in ("accepted", "rejected"):
                        what = outcome.extra.get("slowest_call", "")
                        outcome = Outcome(
                            "over_time",
                            outcome.phase,
                            detail=f"{what} took {outcome.seconds:.2f} s",
                            seconds=outcome.seconds,
                        )
                    if outcome.status == "over_memory":
                        replace(i)
                    yield seed, outcome
                    feed(i)
                elif time.monotonic() > clock + limit:
                    replace(i)
                    del busy[i]
                    what = "input took" if built else "building the input took"
                    yield (
                        seed,
                        Outcome(
                            "over_time",
                            "run" if built else "build",
                            detail=f"{what} > {limit} s",
                            seconds=limit,
                        ),
                    )
                    feed(i)
    finally:
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.stop()


def reproduce(seed: int) -> Input:
    """The input of a seed (the mutations are deterministic)."""
    return make_input(seed)


Runner = Callable[[Iterable[int]], Iterator[tuple[int, Outcome]]]


def as_dict(outcome: Outcome) -> dict[str, Any]:
    """An outcome as plain data (for the report)."""
    return {
        "status": outcome.status,
        "phase": outcome.phase,
        "codes": list(outcome.codes),
        "seconds": round(outcome.seconds, 4),
        "detail": outcome.detail,
        "slowest_call": outcome.extra.get("slowest_call", ""),
    }
