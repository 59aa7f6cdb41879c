"""Measure visitation against a hand-written floor and the engines users would pick instead.

    python benchmarks/run.py [--quick] [--json PATH] [--patients N] [--repeats R]

Everything is measured in one run, on deterministic synthetic patients (a seeded
generator): complete data, and the same patients with realistic gaps. The criteria are
``benchmarks/criteria.yaml`` (14 rules, 2 pathways), stated once more by hand (the floor),
as a zen-engine decision graph and as durable-rules rules; each engine is first checked
to agree with visitation on every complete patient, and a mismatch fails the run.

Absolute numbers move between runs and machines; compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import visitation
from visitation import Patient, evaluate, evaluate_core
from visitation.compile import CompiledRuleSet, compile_ruleset
from visitation.facts import Prognosis
from visitation.load import load_ruleset_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CRITERIA = HERE / "criteria.yaml"
ON = date(2026, 11, 23)
SEED = 20261123

# --------------------------------------------------------------------------------------
# Synthetic patients
# --------------------------------------------------------------------------------------

PROGNOSES = ["days", "weeks", "few_months", "longer"]
DOMAINS = ["physical", "psychological", "social", "existential"]
MEASURES = [
    "opioid titration", "laxatives", "antiemetics", "physiotherapy",
    "psychologist", "social worker", "chaplain", "home nursing",
]  # fmt: skip
GROUPS = ["cancer", "heart_vascular", "neurological", "stroke", "lung", "kidney", "other"]

CRITERIA_FACTS = (
    "prognosis", "curative_ended", "problem_domains", "complex_by_clinician",
    "treatment_level_clarified", "needs_hospital_admission", "wishes_hospice",
    "informed_alternatives", "age", "incurable", "workup_complete", "informed_incurable",
    "informed_palliative_aim", "consent_referral", "referrer_is_physician", "eortc_date",
    "relieved_at_basic", "measures_tried",
)  # fmt: skip
"""The facts the 14 criteria read."""


def raw_patient(rng: random.Random) -> dict[str, Any]:
    """One patient as an EHR would send it: JSON values (ISO dates, lists, codes)."""

    def yes(p: float) -> bool:
        return rng.random() < p

    age = rng.randint(15, 17) if yes(0.03) else rng.randint(18, 99)
    screened = rng.randint(0, 85) if yes(0.8) else rng.choice([0, 91, 120, 200])
    return {
        "age": age,
        "diagnosis_group": rng.choice(GROUPS),
        "diagnosis_code": rng.choice(["C34.9", "C18.7", "J44.1", "I50.9", "G12.2", "N18.5"]),
        "life_threatening": True,
        "prognosis": rng.choices(PROGNOSES, weights=[1, 4, 4, 2])[0],
        "curative_ended": yes(0.85),
        "problem_domains": rng.sample(DOMAINS, k=rng.choices(range(5), [1, 5, 4, 2, 1])[0]),
        "complex_by_clinician": yes(0.85),
        "treatment_level_clarified": yes(0.9),
        "needs_hospital_admission": yes(0.1),
        "wishes_hospice": yes(0.85),
        "informed_alternatives": yes(0.9),
        "incurable": yes(0.95),
        "workup_complete": yes(0.92),
        "informed_incurable": yes(0.93),
        "informed_palliative_aim": yes(0.93),
        "consent_referral": yes(0.95),
        "referrer_is_physician": yes(0.95),
        "eortc_date": (ON - timedelta(days=screened)).isoformat(),
        "relieved_at_basic": yes(0.15),
        "measures_tried": rng.sample(MEASURES, k=rng.choices(range(4), [1, 4, 3, 2])[0]),
    }


def with_gaps(rng: random.Random, raw: dict[str, Any]) -> dict[str, Any]:
    """The same patient as a chart usually is: 4 in 10 complete, the rest lacking 1-5 facts."""
    if rng.random() < 0.4:
        return dict(raw)
    gone = set(rng.sample(CRITERIA_FACTS, k=rng.randint(1, 5)))
    return {k: v for k, v in raw.items() if k not in gone}


@dataclass
class Population:
    """The same patients in every form an engine takes them."""

    raw: list[dict[str, Any]]
    """JSON-like dicts (the input of dict → Patient → core)."""
    patients: list[Patient]
    facts: list[dict[str, Any]]
    """Validated facts (``Patient.__dict__``): what the evaluator reads."""


def population(n: int, seed: int, gaps: bool) -> Population:
    rng = random.Random(seed)
    raw = [raw_patient(rng) for _ in range(n)]
    if gaps:
        gap_rng = random.Random(seed + 1)
        raw = [with_gaps(gap_rng, r) for r in raw]
    patients = [Patient.model_validate(r) for r in raw]
    return Population(raw, patients, [p.__dict__ for p in patients])


# --------------------------------------------------------------------------------------
# The same 14 criteria, by hand (two-valued: complete data only)
# --------------------------------------------------------------------------------------

_SHORT = frozenset({Prognosis.days, Prognosis.weeks, Prognosis.few_months})
_NINETY = timedelta(days=90)


def floor(f: dict[str, Any], on: date) -> tuple[list[bool], list[bool]]:
    """The 14 criteria and 2 verdicts as one plain function: the cost of the comparisons."""
    complex_needs = len(f["problem_domains"]) >= 1 and f["complex_by_clinician"]
    h1 = f["prognosis"] in _SHORT
    h2 = f["curative_ended"]
    h4 = f["treatment_level_clarified"] and not f["needs_hospital_admission"]
    h5 = f["wishes_hospice"] and f["informed_alternatives"]
    t1 = f["age"] >= 18
    t2 = f["incurable"]
    t4 = f["workup_complete"]
    t5 = f["informed_incurable"] and f["informed_palliative_aim"]
    t6 = f["consent_referral"]
    t7 = f["referrer_is_physician"]
    t8 = on - _NINETY <= f["eortc_date"] <= on
    t9 = not f["relieved_at_basic"] and len(f["measures_tried"]) >= 1
    statuses = [h1, h2, complex_needs, h4, h5, t1, t2, complex_needs, t4, t5, t6, t7, t8, t9]
    hospice = h1 and h2 and complex_needs and h4 and h5
    team = t1 and t2 and complex_needs and t4 and t5 and t6 and t7 and t8 and t9
    return statuses, [hospice, team]


# --------------------------------------------------------------------------------------
# zen-engine: one expression node computing the 14 criteria and the 2 verdicts
# --------------------------------------------------------------------------------------

ZEN_EXPRESSIONS: list[tuple[str, str]] = [
    ("complex_needs", "len(problem_domains) >= 1 and complex_by_clinician == true"),
    ("hospice.short-survival", "prognosis in ['days', 'weeks', 'few_months']"),
    ("hospice.curative-ended", "curative_ended == true"),
    ("hospice.complex-problems", "$.complex_needs"),
    (
        "hospice.treatment-level",
        "treatment_level_clarified == true and needs_hospital_admission == false",
    ),
    ("hospice.wish-informed", "wishes_hospice == true and informed_alternatives == true"),
    ("team.adult", "age >= 18"),
    ("team.incurable", "incurable == true"),
    ("team.complex-problems", "$.complex_needs"),
    ("team.workup-complete", "workup_complete == true"),
    ("team.informed", "informed_incurable == true and informed_palliative_aim == true"),
    ("team.consent", "consent_referral == true"),
    ("team.referred-by-doctor", "referrer_is_physician == true"),
    ("team.needs-screened", "d(on).diff(d(eortc_date), 'day') in [0..90]"),
    ("team.not-relieved-at-basic", "relieved_at_basic == false and len(measures_tried) >= 1"),
]
ZEN_VERDICTS = {"hospice": "hospice.", "specialized": "team."}


def zen_key(rule_id: str) -> str:
    """zen-engine reads dots in an output key as nesting: ``hospice.x`` → ``hospice_x``."""
    return rule_id.replace(".", "_").replace("-", "_")


def zen_graph() -> dict[str, Any]:
    """The decision graph: input → one expression node → output."""
    expressions = [
        {"id": f"e{i}", "key": zen_key(k), "value": v} for i, (k, v) in enumerate(ZEN_EXPRESSIONS)
    ]
    for j, (verdict, prefix) in enumerate(ZEN_VERDICTS.items()):
        parts = [f"$.{zen_key(k)}" for k, _ in ZEN_EXPRESSIONS if k.startswith(prefix)]
        expressions.append({"id": f"v{j}", "key": verdict, "value": " and ".join(parts)})
    at = {"x": 0, "y": 0}
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "patient", "position": at},
            {
                "id": "criteria",
                "type": "expressionNode",
                "name": "criteria",
                "position": at,
                "content": {"expressions": expressions},
            },
            {"id": "out", "type": "outputNode", "name": "result", "position": at},
        ],
        "edges": [
            {"id": "a", "sourceId": "in", "targetId": "criteria", "type": "edge"},
            {"id": "b", "sourceId": "criteria", "targetId": "out", "type": "edge"},
        ],
    }


def zen_context(raw: dict[str, Any]) -> dict[str, Any]:
    """A patient as zen-engine reads it: the JSON values plus the evaluation date."""
    return {**raw, "on": ON.isoformat()}


# --------------------------------------------------------------------------------------
# durable-rules: one rule per criterion; a patient is a fact, asserted and retracted
# --------------------------------------------------------------------------------------


class Durable:
    """The 14 criteria as durable-rules rules (ImportError when durable-rules is missing).

    Each rule's action records, per patient id, that its criterion is met; a patient is
    asserted as a fact and retracted again.
    """

    name = "visitation_bench"

    def __init__(self) -> None:
        from durable.engine import MessageNotHandledException
        from durable.lang import assert_fact, item, m, retract_fact, ruleset, when_all

        self._assert, self._retract = assert_fact, retract_fact
        self._not_handled: type[Exception] = MessageNotHandledException
        self.met: dict[int, set[str]] = {}
        some = item.matches(".*")
        yes, no = True, False  # the rule language compares with ==, not `is`
        conditions: list[tuple[str, Any]] = [
            (
                "hospice.short-survival",
                (m.prognosis == "days") | (m.prognosis == "weeks") | (m.prognosis == "few_months"),
            ),
            ("hospice.curative-ended", m.curative_ended == yes),
            (
                "hospice.complex-problems",
                m.problem_domains.anyItem(some) & (m.complex_by_clinician == yes),
            ),
            (
                "hospice.treatment-level",
                (m.treatment_level_clarified == yes) & (m.needs_hospital_admission == no),
            ),
            ("hospice.wish-informed", (m.wishes_hospice == yes) & (m.informed_alternatives == yes)),
            ("team.adult", m.age >= 18),
            ("team.incurable", m.incurable == yes),
            (
                "team.complex-problems",
                m.problem_domains.anyItem(some) & (m.complex_by_clinician == yes),
            ),
            ("team.workup-complete", m.workup_complete == yes),
            (
                "team.informed",
                (m.informed_incurable == yes) & (m.informed_palliative_aim == yes),
            ),
            ("team.consent", m.consent_referral == yes),
            ("team.referred-by-doctor", m.referrer_is_physician == yes),
            ("team.needs-screened", (m.eortc_day >= m.on_day - 90) & (m.eortc_day <= m.on_day)),
            (
                "team.not-relieved-at-basic",
                (m.relieved_at_basic == no) & m.measures_tried.anyItem(some),
            ),
        ]  # fmt: skip
        with ruleset(self.name):
            for rule_id, condition in conditions:
                when_all(condition)(self._action(rule_id))

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            self.met.setdefault(c.m.pid, set()).add(rule_id)

        action.__name__ = rule_id.replace(".", "_").replace("-", "_")
        return action

    def run(self, fact: dict[str, Any]) -> None:
        """Assert and retract one patient (durable-rules raises when no rule matched)."""
        with contextlib.suppress(self._not_handled):
            self._assert(self.name, fact)
        with contextlib.suppress(self._not_handled):
            self._retract(self.name, fact)


def durable_fact(pid: int, raw: dict[str, Any]) -> dict[str, Any]:
    """A patient as a durable-rules fact: dates as day numbers, an id to tell facts apart."""
    fact = {k: v for k, v in raw.items() if k != "eortc_date"}
    fact["pid"] = pid
    fact["eortc_day"] = date.fromisoformat(raw["eortc_date"]).toordinal()
    fact["on_day"] = ON.toordinal()
    return fact


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    what: str
    per_patient: list[float]
    """Seconds per patient, one value per repeat."""
    skipped: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.per_patient)

    @property
    def per_s(self) -> float:
        return 1.0 / self.median


@dataclass
class Case:
    name: str
    what: str
    run: Callable[[], object]
    """Evaluates ``count`` patients."""
    count: int


def measure(cases: Sequence[Case], repeats: int) -> list[Result]:
    """Seconds per patient of each case, one value per repeat.

    The repeats run in rounds (every case once per round), so that a slow moment of a
    shared machine falls on all cases alike and the ratios of one run stay comparable.
    """
    for c in cases:
        c.run()  # warm-up: caches, first-use imports, memos
    times: dict[str, list[float]] = {c.name: [] for c in cases}
    for _ in range(repeats):
        for c in cases:
            gc.collect()
            t0 = time.perf_counter()
            c.run()
            times[c.name].append((time.perf_counter() - t0) / c.count)
    return [Result(c.name, c.what, times[c.name]) for c in cases]


def for_each(fn: Callable[[Any], object], items: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for x in items:
            fn(x)

    return run


# --------------------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------------------


def check_floor(compiled: CompiledRuleSet, pop: Population) -> int:
    """Patients on which the hand-written floor and visitation disagree."""
    bad = 0
    for f in pop.facts:
        core = evaluate_core(compiled, f, ON)
        statuses, verdicts = floor(f, ON)
        if [bool(s) for s in statuses] != core.statuses or verdicts != core.verdicts:
            bad += 1
    return bad


def check_zen(compiled: CompiledRuleSet, pop: Population, engine: Any) -> int:
    """Patients on which zen-engine's graph and visitation disagree (statuses or verdicts)."""
    rule_keys = [zen_key(r.rule.id) for r in compiled.rules]
    pathway_ids = [pid for pid, _ in compiled.pathways]
    bad = 0
    for raw, f in zip(pop.raw, pop.facts, strict=True):
        core = evaluate_core(compiled, f, ON)
        got = engine.evaluate("criteria", zen_context(raw))["result"]
        statuses = [got[k] for k in rule_keys]
        verdicts = [got[p] for p in pathway_ids]
        if statuses != core.statuses or verdicts != core.verdicts:
            bad += 1
    return bad


def check_durable(compiled: CompiledRuleSet, pop: Population, bench: Durable) -> int:
    """Patients on which durable-rules' fired rules and visitation's statuses disagree."""
    rule_ids = [r.rule.id for r in compiled.rules]
    bad = 0
    for pid, (raw, f) in enumerate(zip(pop.raw, pop.facts, strict=True)):
        core = evaluate_core(compiled, f, ON)
        bench.met.clear()
        bench.run(durable_fact(pid, raw))
        met = bench.met.get(pid, set())
        if [i in met for i in rule_ids] != core.statuses:
            bad += 1
    return bad


# --------------------------------------------------------------------------------------
# Load + check + compile
# --------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    path: str
    ms: list[float]
    first_ms: float

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def measure_load(paths: Iterable[Path], repeats: int) -> list[LoadResult]:
    """Read, check and compile each file (no cache), ``repeats`` times after a first time."""
    out = []
    for path in paths:
        times = []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            compile_ruleset(load_ruleset_file(path))  # uncached on purpose
            times.append((time.perf_counter() - t0) * 1000)
        out.append(LoadResult(str(path.relative_to(ROOT)), times[1:], times[0]))
    return out


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    return {
        "date": date.today().isoformat(),
        "machine": platform.machine(),
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "visitation": visitation.__version__,
        "pydantic": _version("pydantic"),
        "zen-engine": _version("zen-engine"),
        "durable-rules": _version("durable-rules"),
    }


def agreement(
    compiled: CompiledRuleSet, complete: Population, engine: Any, bench: Durable | None
) -> dict[str, int | None]:
    """Mismatches of each other implementation with visitation on the complete patients."""
    return {
        "floor": check_floor(compiled, complete),
        "zen": check_zen(compiled, complete, engine),
        "durable_rules": None if bench is None else check_durable(compiled, complete, bench),
    }


def cases(
    compiled: CompiledRuleSet,
    complete: Population,
    gappy: Population,
    engine: Any,
    bench: Durable | None,
    n_durable: int,
) -> list[Case]:
    def core(f: dict[str, Any]) -> object:
        return evaluate_core(compiled, f, ON)

    def validated_core(r: dict[str, Any]) -> object:
        return evaluate_core(compiled, Patient.model_validate(r).__dict__, ON)

    def assessment(p: Patient) -> object:
        return evaluate(p, compiled, on=ON, lang="en")

    unmemoised = visitation.Explainer(compiled, "en")  # prepared once, memoises nothing

    def assessment_cold(p: Patient) -> object:
        facts = visitation.facts_of(p)
        return unmemoised.assess(facts, ON, evaluate_core(compiled, facts, ON))

    def zen(context: dict[str, Any]) -> object:
        return engine.evaluate("criteria", context)

    def floor_(f: dict[str, Any]) -> object:
        return floor(f, ON)

    table: list[tuple[str, str, Callable[[Any], object], Sequence[Any]]] = [
        ("floor", "hand-written Python, two-valued", floor_, complete.facts),
        ("core", "visitation.evaluate_core (statuses, verdicts, missing)", core, complete.facts),
        ("assessment", "evaluate(Patient, lang='en') → Assessment", assessment, complete.patients),
        ("assessment_cold", "the same, explanation without any memo", assessment_cold,
         complete.patients),
        ("validated_core", "dict → Patient.model_validate → evaluate_core", validated_core,
         complete.raw),
        ("validate_only", "Patient.model_validate alone", Patient.model_validate, complete.raw),
        ("zen", "zen-engine ZenEngine(loader).evaluate(key, ctx)", zen,
         [zen_context(r) for r in complete.raw]),
    ]  # fmt: skip
    if bench is not None:
        facts = [durable_fact(i, r) for i, r in enumerate(complete.raw[:n_durable])]
        table.append(
            ("durable_rules", "durable-rules, 14 rules, assert + retract", bench.run, facts)
        )
    table += [
        ("core_gaps", "evaluate_core, patients with gaps", core, gappy.facts),
        ("assessment_gaps", "evaluate(Patient, lang='en'), with gaps", assessment, gappy.patients),
        ("validated_core_gaps", "dict → Patient → evaluate_core, with gaps", validated_core,
         gappy.raw),
    ]  # fmt: skip
    return [Case(name, what, for_each(fn, items), len(items)) for name, what, fn, items in table]


def print_cases(results: list[Result]) -> None:
    core_per_s = next(r.per_s for r in results if r.name == "core")
    print(f"\n{'case':<20} {'µs/patient median':>17} {'min':>7} {'max':>7} {'patients/s':>11}"
          f" {'× core':>7}  what")  # fmt: skip
    for r in results:
        if r.skipped:
            print(f"{r.name:<20} {'skipped':>17}  {r.skipped}")
            continue
        us = [x * 1e6 for x in r.per_patient]
        print(
            f"{r.name:<20} {statistics.median(us):>17.2f} {min(us):>7.2f} {max(us):>7.2f}"
            f" {r.per_s:>11,.0f} {r.per_s / core_per_s:>7.3f}  {r.what}"
        )


def print_loads(loads: list[LoadResult]) -> None:
    print(f"\n{'rule file':<40} {'load+check+compile ms median':>29} {'min':>7} {'max':>7}"
          f" {'first':>7}")  # fmt: skip
    for lr in loads:
        print(
            f"{lr.path:<40} {lr.median:>29.2f} {min(lr.ms):>7.2f} {max(lr.ms):>7.2f}"
            f" {lr.first_ms:>7.2f}"
        )


def cache_check() -> bool:
    """Whether equal rule sets share one compiled form; prints what a look-up costs."""
    rs = load_ruleset_file(CRITERIA)
    visitation.compiled(rs)  # the first call hashes the content; time the hits after it
    t0 = time.perf_counter()
    for _ in range(1000):
        visitation.compiled(rs)
    same_object_us = (time.perf_counter() - t0) / 1000 * 1e6
    copies = [load_ruleset_file(CRITERIA) for _ in range(20)]
    t0 = time.perf_counter()
    hits = [visitation.compiled(c) for c in copies]
    equal_copy_us = (time.perf_counter() - t0) / len(copies) * 1e6
    cached = all(h is hits[0] for h in hits)
    print(
        f"compiled form cached per content hash: {'yes' if cached else 'NO'} (look-up: same "
        f"RuleSet object {same_object_us:.2f} µs, an equal copy {equal_copy_us:.0f} µs)"
    )
    return cached


def targets(
    results: list[Result], loads: list[LoadResult], cached: bool
) -> list[tuple[str, float, float]]:
    """(target, measured ratio, ratio needed); a target is met when ratio >= needed."""
    by = {r.name: r for r in results if not r.skipped}
    zen_s, floor_s = by["zen"].per_s, by["floor"].per_s
    return [
        ("core ≥ 5× zen", by["core"].per_s / zen_s, 5.0),
        ("core ≥ ⅓ floor", by["core"].per_s / floor_s, 1 / 3),
        ("assessment ≥ 1× zen", by["assessment"].per_s / zen_s, 1.0),
        ("assessment_cold ≥ ½ zen", by["assessment_cold"].per_s / zen_s, 0.5),
        ("validated_core ≥ 1.5× zen", by["validated_core"].per_s / zen_s, 1.5),
        ("validated_core ≥ 100k patients/s", by["validated_core"].per_s / 100_000, 1.0),
        *(
            (f"load+check+compile {lr.path} ≤ 50 ms", 50 / lr.median, 1.0)
            for lr in loads
            if lr.path.startswith("rules/")
        ),
        ("compiled form cached per content hash", 1.0 if cached else 0.0, 1.0),
    ]


def report(
    info: dict[str, str],
    n: int,
    repeats: int,
    mismatches: dict[str, int | None],
    results: list[Result],
    loads: list[LoadResult],
    goals: list[tuple[str, float, float]],
) -> dict[str, Any]:
    """The JSON document of ``--json``."""
    core_per_s = next(r.per_s for r in results if r.name == "core")

    def case(r: Result) -> dict[str, Any]:
        if r.skipped:
            return {"per_s": None, "ratio_to_visitation": None, "skipped": r.skipped}
        us = [x * 1e6 for x in r.per_patient]
        return {
            "per_s": r.per_s,
            "ratio_to_visitation": r.per_s / core_per_s,
            "us_median": statistics.median(us),
            "us_min": min(us),
            "us_max": max(us),
            "what": r.what,
        }

    return {
        "machine": info,
        "patients": n,
        "repeats": repeats,
        "mismatches": mismatches,
        "cases": {r.name: case(r) for r in results},
        "load_ms": {
            lr.path: {
                "median": lr.median,
                "min": min(lr.ms),
                "max": max(lr.ms),
                "first": lr.first_ms,
            }
            for lr in loads
        },
        "targets": {
            label: {"ratio": ratio, "need": need, "met": ratio >= need}
            for label, ratio, need in goals
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="fewer patients and repeats (< 60 s)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--patients", type=int, help="patients per case (default 20000, quick 3000)")
    ap.add_argument("--repeats", type=int, help="timed rounds (default 7, quick 3)")
    args = ap.parse_args(argv)
    n = args.patients or (3000 if args.quick else 20000)
    repeats = args.repeats or (3 if args.quick else 7)
    n_durable = min(n, 1000 if args.quick else 5000)

    info = machine()
    print("visitation benchmarks: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    diagnostics = visitation.check_file(CRITERIA)
    if diagnostics:
        print("\n".join(map(str, diagnostics)), file=sys.stderr)
        return 2
    compiled = visitation.compiled(load_ruleset_file(CRITERIA))
    print(
        f"criteria: {CRITERIA.relative_to(ROOT)} ({len(compiled.rules)} rules, "
        f"{len(compiled.pathways)} pathways); {n} patients, {repeats} rounds; on {ON}"
    )
    complete = population(n, SEED, gaps=False)
    gappy = population(n, SEED, gaps=True)

    import zen

    graph = zen.ZenDecisionContent(json.dumps(zen_graph()))
    engine = zen.ZenEngine({"loader": lambda key: graph})
    bench: Durable | None = None
    try:
        bench = Durable()
    except Exception as exc:  # not installed, or its native part failed: report, go on
        print(f"durable-rules unavailable, its case is skipped: {type(exc).__name__}: {exc}")
        skipped = f"durable-rules unavailable: {type(exc).__name__}: {exc}"

    mismatches = agreement(compiled, complete, engine, bench)
    for name, count in mismatches.items():
        if count is not None:
            print(f"agreement {name}: {count} mismatches on {n} complete patients")
    failed = any(count for count in mismatches.values())

    results = measure(cases(compiled, complete, gappy, engine, bench, n_durable), repeats)
    if bench is None:
        results.append(Result("durable_rules", "durable-rules", [], skipped=skipped))
    print_cases(results)

    bundled = sorted((ROOT / "rules").glob("*/*.yaml"))
    loads = measure_load([*bundled, CRITERIA], repeats)
    print_loads(loads)
    if not bundled:
        print("(no bundled rule files under rules/*/*.yaml)")
    goals = targets(results, loads, cache_check())
    print()
    for label, ratio, need in goals:
        print(f"{'met    ' if ratio >= need else 'NOT MET'} {label}: {ratio:.2f} (need {need:.2f})")

    if args.json:
        doc = report(info, n, repeats, mismatches, results, loads, goals)
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    if failed:
        print("\nFAILED: an engine disagrees with visitation (mismatches above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
