"""Events per second through the reactive watchers, and memory per live patient.

    python benchmarks/reactive.py [--quick] [--patients N] [--events N] [--json PATH]

One run, one seeded stream (default 10,000 patients, 200,000 events, dk-national@2.0.0):
referrals arrive over a year, each patient's episode brings a first event (receipt,
some facts), fact updates over about three weeks, some clock lines, and an end. Three
watchers are fed the same parsed events:

- ``pure``: :class:`~visitation.reactive.PureWatcher`, re-testing only the rules whose facts
  changed (and the date-dependent ones on a new date);
- ``naive``: the same watcher re-evaluating ``evaluate_core`` on every event
  (``PureWatcher(incremental=False)``), the baseline;
- ``durable``: :class:`~visitation.reactive.DurableWatcher` (evaluate_core, then
  durable-rules decides the transitions and the deadlines).

The watchers take turns, 2,000 events each, so that a slow moment of a shared machine
falls on all of them alike. Agreement: the three must emit the same output (a digest of
every emitted JSON object); a mismatch makes the run exit 1. Memory per live patient is
measured apart, in a fresh process per watcher: RSS growth while 2,000 patients are
open, divided by 2,000.

Times are CPU seconds of this process (``time.process_time``): every watcher runs in one
thread (durable-rules too: its host runs no threads here), and on a machine shared with
other work CPU time is what the others do not distort; wall time moved the ratio by a third
between runs.

Target (issue 13): ``pure`` at least 3x ``naive``. Absolute numbers move between runs and
machines; compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib.metadata import version
from typing import Any

from visitation import CONSISTENCY
from visitation.reactive import DurableWatcher, Event, PureWatcher, Watcher, parse_event

RULES = "dk-national@2.0.0"
SEED = 20261201
START = datetime(2026, 1, 1, 8, 0)
MEMORY_PATIENTS = 2000
KINDS = ("naive", "pure", "durable")
CHUNK = 2_000
"""Events fed to one watcher before the next takes its turn."""

DOMAINS = ["physical", "psychological", "social", "existential"]
MEASURES = ["opioid titration", "laxatives", "antiemetics", "physiotherapy", "psychologist"]
CONTENTS = ["diagnosis", "problems", "medication", "social_history", "gp", "terminal_status"]
REFERRERS = ["gp", "specialist", "hospital", "palliative_unit", "patient_relative", "other"]
BOOLS = [
    "life_threatening", "incurable", "workup_complete", "complex_by_clinician",
    "relieved_at_basic", "informed_incurable", "informed_palliative_aim",
    "informed_palliative_only", "informed_alternatives", "consent_referral",
    "wishes_hospice", "referrer_is_physician", "gp_informed", "gp_agrees",
    "curative_exhausted", "curative_ended", "life_prolonging_treatment",
    "treatment_level_clarified", "needs_hospital_admission", "sq1_not_surprised",
]  # fmt: skip


RARELY_TRUE = {
    "needs_hospital_admission": 0.1,
    "relieved_at_basic": 0.1,
    "life_prolonging_treatment": 0.3,
    "sq1_not_surprised": 0.8,
}


def value(rng: random.Random, name: str, day: datetime) -> Any:
    """A plausible value of a fact as a JSON line carries it."""
    if name in BOOLS:  # referred patients mostly meet the criteria
        return rng.random() < RARELY_TRUE.get(name, 0.92)
    days_ago = (day - timedelta(days=rng.randint(0, 40))).date().isoformat()
    table: dict[str, Callable[[], Any]] = {
        "age": lambda: rng.randint(40, 95),
        "prognosis": lambda: rng.choice(["days", "weeks", "few_months", "longer"]),
        "problem_domains": lambda: rng.sample(DOMAINS, rng.randint(0, 4)),
        "measures_tried": lambda: rng.sample(MEASURES, rng.randint(0, 3)),
        "referral_contents": lambda: rng.sample(CONTENTS, rng.randint(2, 6)),
        "referrer": lambda: rng.choice(REFERRERS),
        "eortc_date": lambda: days_ago,
        "symptom_count": lambda: rng.randint(0, 8),
        "spict_general_count": lambda: rng.randint(0, 7),
        "diagnosis_code": lambda: rng.choice(["C34.9", "J44.1", "I50.9", "G12.2"]),
    }
    return table[name]()


FACTS = [
    *BOOLS, "age", "prognosis", "problem_domains", "measures_tried", "referral_contents",
    "referrer", "eortc_date", "symptom_count", "spict_general_count", "diagnosis_code",
]  # fmt: skip


def consistent(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` kept to the consistency table (a record the core accepts): a fact that a
    false yes/no fact excludes is set to false (a yes/no fact) or dropped."""
    for rule in CONSISTENCY:
        if rule.kind == "excludes" and rule.problem(profile) is not None:
            if isinstance(rule.value, bool):
                profile[rule.second] = not rule.value
            else:
                profile.pop(rule.second)
    return profile


def episode(rng: random.Random, pid: str, start: datetime, n: int) -> list[dict[str, Any]]:
    """One patient's events, as a referral episode goes: a first event with the receipt and
    a few facts, then the other facts of the patient's record one or two at a time (now and
    then a correction or a fact cleared, and the first contact), then the end."""
    t = start
    order = rng.sample(FACTS, len(FACTS))
    profile = consistent({name: value(rng, name, t) for name in order})
    shown = rng.randint(3, 6)
    first = {name: profile[name] for name in order[:shown] if name in profile}
    first["referral_received_on"] = t.date().isoformat()
    out = [{"patient": pid, "time": t.isoformat(), "set": first}]
    contact_at = rng.randint(1, max(1, n - 2)) if rng.random() < 0.8 else None
    for k in range(1, n - 1):
        t += timedelta(hours=rng.randint(1, 40))
        ev: dict[str, Any] = {"patient": pid, "time": t.isoformat()}
        roll = rng.random()
        if k == contact_at:
            ev["set"] = {"first_contact_on": t.date().isoformat()}
        elif roll < 0.04:
            ev["clear"] = [rng.choice(order[:shown])]
        elif roll < 0.12 or shown >= len(order):
            name = rng.choice(order[:shown])
            fixed = {**profile, name: value(rng, name, t)}
            if consistent(dict(fixed)) == fixed:  # a correction the record can hold
                profile = fixed
            ev["set"] = {name: profile[name]}
        else:
            step = rng.randint(1, 2)
            ev["set"] = {n: profile[n] for n in order[shown : shown + step] if n in profile}
            shown += step
        out.append(ev)
    t += timedelta(hours=rng.randint(1, 40))
    end: dict[str, Any] = {"patient": pid, "time": t.isoformat(), "end": True}
    out.append(end)
    return out


def stream(patients: int, events: int, seed: int) -> list[Event]:
    """The benchmark's events, in time order, parsed (parsing is timed apart)."""
    rng = random.Random(seed)
    per = events // patients
    raw: list[dict[str, Any]] = []
    for i in range(patients):
        start = START + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        raw += episode(rng, f"p{i}", start, per + (1 if i % 10 == 0 else 0))
    days = sorted({e["time"][:10] for e in raw})
    raw += [{"time": f"{d}T00:00:00"} for d in days[:: max(1, len(days) // (patients // 10 or 1))]]
    raw.sort(key=lambda e: e["time"])
    raw = raw[:events]
    return [parse_event(e, line=n) for n, e in enumerate(raw, 1)]


def make(kind: str, timed: bool = False) -> Watcher:
    if kind == "durable":
        return (TimedDurable if timed else DurableWatcher)(RULES)
    return (TimedPure if timed else PureWatcher)(RULES, incremental=kind == "pure")


class Stages:
    """Time spent in the stages of ``feed``, for the breakdown pass."""

    def __init__(self) -> None:
        self.seconds = {"validate": 0.0, "verdicts": 0.0, "watchdog": 0.0, "end": 0.0}

    def timed(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        t = time.process_time()
        try:
            return fn(*args)
        finally:
            self.seconds[stage] += time.process_time() - t


class TimedPure(PureWatcher):
    """The pure (or naive) watcher with its stages timed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stages = Stages()
        super().__init__(*args, **kwargs)

    def _merge(self, *a: Any) -> Any:
        return self.stages.timed("validate", super()._merge, *a)

    def _b_first(self, *a: Any) -> Any:
        return self.stages.timed("verdicts", super()._b_first, *a)

    def _b_update(self, *a: Any) -> Any:
        return self.stages.timed("verdicts", super()._b_update, *a)

    def _b_reception(self, *a: Any) -> Any:
        return self.stages.timed("watchdog", super()._b_reception, *a)

    def _b_tick(self, *a: Any) -> Any:
        return self.stages.timed("watchdog", super()._b_tick, *a)

    def _b_end(self, *a: Any) -> Any:
        return self.stages.timed("end", super()._b_end, *a)


class TimedDurable(DurableWatcher):
    """The durable-rules watcher with its stages timed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stages = Stages()
        super().__init__(*args, **kwargs)

    def _merge(self, *a: Any) -> Any:
        return self.stages.timed("validate", super()._merge, *a)

    def _b_first(self, *a: Any) -> Any:
        return self.stages.timed("verdicts", super()._b_first, *a)

    def _b_update(self, *a: Any) -> Any:
        return self.stages.timed("verdicts", super()._b_update, *a)

    def _b_reception(self, *a: Any) -> Any:
        return self.stages.timed("watchdog", super()._b_reception, *a)

    def _b_tick(self, *a: Any) -> Any:
        return self.stages.timed("watchdog", super()._b_tick, *a)

    def _b_end(self, *a: Any) -> Any:
        return self.stages.timed("end", super()._b_end, *a)


def feed_interleaved(events: list[Event], timed: bool = False) -> dict[str, dict[str, Any]]:
    """Feed every event to the three watchers, a slice of ``CHUNK`` events to each in turn,
    so that a slow moment of a shared machine falls on all of them alike. Per watcher: the
    seconds, and (outside the timing) the digest of its output and its counts.

    What the benchmark itself holds stays out of the garbage collector's way: the parsed
    stream is frozen (``gc.freeze``) before the first event, and each slice's output is
    rendered to JSON lines (untimed) and dropped, as a consumer of the watcher would. Left
    in the heap, 200,000 parsed events made every full collection walk them, a cost of the
    benchmark's own data that fell on every watcher (about 10 µs per event)."""
    watchers = {kind: make(kind, timed) for kind in KINDS}
    lines: dict[str, list[str]] = {kind: [] for kind in KINDS}
    seconds = dict.fromkeys(KINDS, 0.0)
    render = dict.fromkeys(KINDS, 0.0)
    refused = dict.fromkeys(KINDS, 0)
    peak = dict.fromkeys(KINDS, 0)
    gc.collect()
    gc.freeze()
    try:
        for start in range(0, len(events), CHUNK):
            chunk = events[start : start + CHUNK]
            for kind, w in watchers.items():
                out: list[Any] = []
                t0 = time.process_time()
                for ev in chunk:
                    try:
                        out += w.feed(ev)
                    except ValueError:
                        refused[kind] += 1
                seconds[kind] += time.process_time() - t0
                peak[kind] = max(peak[kind], w.live_patients)
                t1 = time.process_time()
                lines[kind] += [json.dumps(o.to_json(), sort_keys=True) for o in out]
                render[kind] += time.process_time() - t1
    finally:
        gc.unfreeze()
    results: dict[str, dict[str, Any]] = {}
    for kind, w in watchers.items():
        stages = getattr(w, "stages", None)
        w.close()
        results[kind] = {
            "seconds": seconds[kind],
            "render_seconds": render[kind],
            "digest": hashlib.sha256("\n".join(lines[kind]).encode()).hexdigest(),
            "emitted": len(lines[kind]),
            "refused": refused[kind],
            "peak_live": peak[kind],
            "stages": dict(stages.seconds) if stages else {},
        }
    return results


def one_update(repeats: int = 20_000) -> tuple[float, float]:
    """µs for one update of an indeterminate patient (one fact changed, a new date): the
    pure watcher's re-test of the affected rules, and ``evaluate_core``."""
    from visitation import evaluate_core, facts_of

    w = PureWatcher(RULES)
    facts = {"age": 70, "incurable": True, "eortc_date": "2026-02-20", "prognosis": "weeks"}
    w.feed({"patient": "a", "time": "2026-03-01T09:00:00", "set": facts})
    live = w._live["a"]
    f = facts_of(live.patient)
    t0 = time.process_time()
    for _ in range(repeats):
        w._b_update(live, ["prognosis"], True)
    t1 = time.process_time()
    for _ in range(repeats):
        evaluate_core(w.compiled, f, live.on)
    t2 = time.process_time()
    return (t1 - t0) / repeats * 1e6, (t2 - t1) / repeats * 1e6


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def memory(kind: str, n: int) -> float:
    """Bytes of RSS per live patient, with ``n`` patients open (run in a fresh process)."""
    rng = random.Random(SEED)
    firsts = [parse_event(episode(rng, f"m{i}", START, 3)[0]) for i in range(n + 1)]
    w = make(kind)
    w.feed(firsts[0])  # compile, first shard, memos
    gc.collect()
    before = rss_kb()
    for ev in firsts[1:]:
        w.feed(ev)
    gc.collect()
    return (rss_kb() - before) * 1024 / n


def memory_in_subprocess(kind: str, n: int) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--memory", kind, "--memory-patients", str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1,000 patients, 20,000 events")
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--memory", choices=("pure", "naive", "durable"), help=argparse.SUPPRESS)
    p.add_argument("--memory-patients", type=int, default=MEMORY_PATIENTS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory:
        print(f"{memory(args.memory, args.memory_patients):.0f}")
        return 0
    patients, n_events = (1_000, 20_000) if args.quick else (args.patients, args.events)
    t0 = time.process_time()
    events = stream(patients, n_events, SEED)
    print(f"stream: {len(events):,} events, {patients:,} patients, {RULES} "
          f"(generated and parsed in {time.process_time() - t0:.1f} s)")  # fmt: skip
    lines = [json.dumps({"patient": "p1", "time": "2026-03-01T09:00:00", "set": {"age": 70}})]
    from visitation.reactive import parse_line

    t1 = time.process_time()
    for _ in range(20_000):
        parse_line(lines[0], 1)
    parse_us = (time.process_time() - t1) / 20_000 * 1e6
    runs = feed_interleaved(events)
    timed_runs = feed_interleaved(events, timed=True)
    timed = {kind: r["stages"] for kind, r in timed_runs.items()}
    mem_n = min(MEMORY_PATIENTS, patients)
    memory_b = {kind: memory_in_subprocess(kind, mem_n) for kind in KINDS}
    n = len(events)
    naive = n / runs["naive"]["seconds"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, pydantic {version('pydantic')}, "
          f"durable-rules {version('durable-rules')}")  # fmt: skip
    print(f"parsing a JSON line: {parse_us:.1f} µs (not in the figures below)")
    print()
    print("| watcher | events/s | µs/event | × naive | emitted | refused | peak live | "
          "memory per live patient |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, r in runs.items():
        per_s = n / r["seconds"]
        print(
            f"| {kind} | {per_s:,.0f} | {r['seconds'] / n * 1e6:.1f} | {per_s / naive:.2f} | "
            f"{r['emitted']:,} | {r['refused']:,} | {r['peak_live']:,} | "
            f"{memory_b[kind] / 1024:,.1f} KiB |"
        )
    print()
    print("Where the time goes (µs per event; a second pass, with the stages timed):")
    print()
    print("| watcher | validate (Patient) | verdicts | watchdog | episode end | the rest | total |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        st = timed[kind]
        total = timed_runs[kind]["seconds"]
        rest = max(0.0, total - sum(st.values()))
        cells = [st["validate"], st["verdicts"], st["watchdog"], st["end"], rest, total]
        print(f"| {kind} | " + " | ".join(f"{c / n * 1e6:.1f}" for c in cells) + " |")
    first = runs["naive"]
    render_us = first["render_seconds"] / max(1, first["emitted"]) * 1e6
    print()
    print(f"rendering an emitted line (its Assessment and explanation, to_json): "
          f"{render_us:.0f} µs each, {first['emitted']:,} lines "
          f"({first['render_seconds'] / n * 1e6:.1f} µs per input event)")  # fmt: skip
    inc_us, core_us = one_update()
    print(
        f"one update of an indeterminate patient (one fact, a new date): re-testing the "
        f"affected rules {inc_us:.1f} µs, evaluate_core {core_us:.1f} µs "
        f"({core_us / inc_us:.1f}x)"
    )
    agree = len({r["digest"] for r in runs.values()}) == 1
    ratio = (n / runs["pure"]["seconds"]) / naive
    eval_ratio = timed["naive"]["verdicts"] / timed["pure"]["verdicts"]
    print()
    print(f"agreement (same output from all three): {'yes' if agree else 'NO'}")
    print(f"pure / naive, events per second: {ratio:.2f}x")
    print(f"pure / naive, the verdict stage alone: {eval_ratio:.2f}x")
    print(f"target pure >= 3x naive: {'met' if ratio >= 3 else 'NOT met'} end to end, "
          f"{'met' if eval_ratio >= 3 else 'NOT met'} for the verdict stage")  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            data = {"runs": runs, "stages": timed, "memory_bytes": memory_b, "agree": agree,
                    "pure_over_naive": ratio, "verdict_stage_ratio": eval_ratio,
                    "one_update_us": {"pure": inc_us, "core": core_us}}  # fmt: skip
            json.dump(data, f, indent=2)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
