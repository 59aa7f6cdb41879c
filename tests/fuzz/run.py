"""The long fuzzing command.

    python -m tests.fuzz.run --inputs 100000 --seed 1 --jobs 2 --report fuzz-report.json

Runs inputs ``seed .. seed+inputs-1`` (each integer is one reproducible mutated input; see
:mod:`tests.fuzz.mutate`) in ``--jobs`` limited workers, prints counts (inputs, accepted,
rejected by diagnostic code, unhandled by phase and kind, over time, over memory) and
saves each finding's input and traceback under ``--findings`` (at most three per kind of
finding). ``--replay SEED`` runs one input in this process and prints its outcome.
The exit code is 0 when nothing was unhandled or over a limit, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from . import harness
from .harness import Outcome, run_input
from .mutate import make_input, seeds
from .pool import HARD_LIMIT, MEMORY_LIMIT, TIME_LIMIT, as_dict, run_seeds, sample_patients

FINDINGS = ("unhandled", "over_time", "over_memory", "fuzzer_error")


def signature(outcome: Outcome) -> str:
    """What kind of finding this is: status, phase and the gist of the last line."""
    lines = [ln for ln in outcome.detail.strip().splitlines() if ln.strip()]
    gist = lines[-1] if lines else ""
    if outcome.detail.startswith("visitation ") or "holds" in (lines[0] if lines else ""):
        gist = lines[0]
    gist = re.sub(r"/tmp/\S+", "<tmp>", gist)
    gist = re.sub(r"\d+", "N", gist)[:160]
    return f"{outcome.status} {outcome.phase}: {gist}"


class Tally:
    """The counts of a run, and where its findings were saved."""

    def __init__(self, findings_dir: Path, keep: int = 3) -> None:
        self.inputs = 0
        self.status: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.rejected_codes: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.by_phase: Counter[str] = Counter()
        self.examples: dict[str, list[dict[str, Any]]] = {}
        self.slowest: list[tuple[float, int]] = []
        self.dir = findings_dir
        self.keep = keep

    def add(self, seed: int, outcome: Outcome) -> None:
        self.inputs += 1
        self.status[outcome.status] += 1
        kind = "rules" if seed_kind(seed) == "rules" else "patient"
        self.by_kind[f"{kind} {outcome.status}"] += 1
        self.slowest = sorted([*self.slowest, (outcome.seconds, seed)], reverse=True)[:5]
        if outcome.status == "rejected":
            for code in outcome.codes or ("(none)",):
                self.rejected_codes[code] += 1
        if outcome.status in FINDINGS:
            self.by_phase[f"{outcome.status} {outcome.phase}"] += 1
            sig = signature(outcome)
            self.findings[sig] += 1
            kept = self.examples.setdefault(sig, [])
            if len(kept) < self.keep:
                kept.append({"seed": seed, **as_dict(outcome), "file": self.save(seed, outcome)})

    def save(self, seed: int, outcome: Outcome) -> str:
        try:
            return self._save(seed, outcome)
        except Exception as exc:  # a finding whose input cannot be made again (a fuzzer
            # error): its outcome is counted and kept; the run goes on
            return f"(not saved: {type(exc).__name__}: {exc})"

    def _save(self, seed: int, outcome: Outcome) -> str:
        inp = make_input(seed)
        self.dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(inp.data).hexdigest()[:10]
        stem = f"{outcome.status}-{outcome.phase}-{inp.kind}-{seed}-{digest}"
        path = self.dir / f"{stem}{inp.suffix}"
        path.write_bytes(inp.data)
        (self.dir / f"{stem}.txt").write_text(
            f"seed: {seed}\nrecipe: {inp.recipe}\nstatus: {outcome.status}\nphase: {outcome.phase}\n"
            f"seconds: {outcome.seconds:.3f}\n\n{outcome.detail}\n",
            encoding="utf-8",
        )
        return str(path)

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "seconds": round(seconds, 1),
            "inputs_per_second": round(self.inputs / seconds, 1) if seconds else None,
            "accepted": self.status["accepted"],
            "rejected": self.status["rejected"],
            "unhandled": self.status["unhandled"],
            "over_time": self.status["over_time"],
            "over_memory": self.status["over_memory"],
            "fuzzer_error": self.status["fuzzer_error"],
            "by_kind": dict(sorted(self.by_kind.items())),
            "findings_by_phase": dict(sorted(self.by_phase.items())),
            "rejected_by_code": dict(self.rejected_codes.most_common()),
            "findings": {
                sig: {"count": n, "examples": self.examples[sig]}
                for sig, n in self.findings.most_common()
            },
            "slowest": [{"seed": s, "seconds": round(t, 3)} for t, s in self.slowest],
        }


def seed_kind(seed: int) -> str:
    """Whether a seed's input is a rule file or a patient file (cheap: the first draw)."""
    return random.Random(seed).choice(seeds()).kind


def print_summary(s: dict[str, Any], out: Any = sys.stdout) -> None:
    """The counts as a short text report."""
    w = out.write
    w(f"inputs        {s['inputs']}  ({s['seconds']} s, {s['inputs_per_second']}/s)\n")
    for key in ("accepted", "rejected", "unhandled", "over_time", "over_memory", "fuzzer_error"):
        w(f"{key:<13} {s[key]}\n")
    w("by kind:\n")
    for k, n in s["by_kind"].items():
        w(f"  {k:<28} {n}\n")
    if s["findings_by_phase"]:
        w("findings by phase:\n")
        for k, n in s["findings_by_phase"].items():
            w(f"  {k:<28} {n}\n")
    w("rejected by diagnostic code (top 25):\n")
    for code, n in list(s["rejected_by_code"].items())[:25]:
        w(f"  {code:<28} {n}\n")
    if s["findings"]:
        w("findings (kind: count, first reproducer):\n")
        for sig, f in s["findings"].items():
            w(f"  {f['count']:>6}  {sig}\n          {f['examples'][0]['file']}\n")


def replay(seed: int) -> int:
    """Run one seed in this process (no limits) and print what happened."""
    inp = make_input(seed)
    print(f"seed {seed}: {inp.kind}{inp.suffix}, {len(inp.data)} bytes; {inp.recipe}")
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_input(inp, Path(tmp), sample_patients(), choice=seed, subprocess_cli=True)
    print(json.dumps(as_dict(outcome), indent=2))
    return 0 if outcome.status in ("accepted", "rejected") else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, report."""
    p = argparse.ArgumentParser(
        prog="python -m tests.fuzz.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--inputs", type=int, default=1_000, help="how many inputs (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="the first input's number (default 0)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="seconds per input (2)")
    p.add_argument(
        "--memory-mib", type=int, default=MEMORY_LIMIT // 2**20, help="MiB per worker (512)"
    )
    p.add_argument(
        "--hard-limit",
        type=float,
        default=HARD_LIMIT,
        help="wall seconds after which a busy worker counts as hung (30; raise it on a loaded"
        " machine: the CPU-time limit per call stays the criterion)",
    )
    p.add_argument("--report", type=Path, default=None, help="write the counts as JSON here")
    p.add_argument(
        "--findings", type=Path, default=Path("fuzz-findings"), help="reproducers go here"
    )
    p.add_argument("--replay", type=int, default=None, metavar="SEED", help="run one input here")
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="stop starting new inputs after this many minutes (the counts say how many ran)",
    )
    p.add_argument("--progress", type=int, default=5_000, help="print a line every N inputs")
    args = p.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay)

    tally = Tally(args.findings)
    start = time.monotonic()
    deadline = start + 60 * args.minutes if args.minutes else None
    seeds = (
        s
        for s in range(args.seed, args.seed + args.inputs)
        if deadline is None or time.monotonic() < deadline
    )
    harness.SUBPROCESS_TIMEOUT = max(harness.SUBPROCESS_TIMEOUT, args.hard_limit)
    for seed, outcome in run_seeds(
        seeds,
        build_limit=max(60.0, args.hard_limit),
        jobs=args.jobs,
        time_limit=args.time_limit,
        hard_limit=args.hard_limit,
        memory_limit=args.memory_mib * 2**20,
    ):
        tally.add(seed, outcome)
        if args.progress and tally.inputs % args.progress == 0:
            bad = sum(tally.status[f] for f in FINDINGS)
            print(
                f"... {tally.inputs} inputs, {bad} findings, {time.monotonic() - start:.0f} s",
                flush=True,
            )
    summary = tally.summary(time.monotonic() - start)
    summary["seed"] = args.seed
    summary["jobs"] = args.jobs
    summary["hard_limit"] = args.hard_limit
    print_summary(summary)
    if args.report is not None:
        args.report.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return 1 if any(summary[f] for f in FINDINGS) else 0


if __name__ == "__main__":
    raise SystemExit(main())
