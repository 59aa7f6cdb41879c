"""Impact benchmark: rule set A against rule set B on a synthetic cohort (issue 10, point 3).

    python benchmarks/impact.py [--quick] [--patients N] [--json PATH]

Measured in one run, each case in a fresh process (so its peak memory is its own), for
two comparisons: one family (dk-national@2.0.0 → 3.0.0, rules matched by id) and a
region against the national draft (dk-midtjylland@1.0.0 → dk-national@3.0.0):

- ``parquet``: ``visitation.cohort.impact`` from a Parquet file (sets as lists): read,
  checked, put into the portable layout, both queries run by DuckDB, the comparison
  counted (matrix, breakdown by three columns, movers by rule, net per region);
- ``portable``: the same from a Parquet file already in the portable layout (the set
  members as columns, ``synthetic(portable=True)``), which skips the set conversion;
- ``in_memory``: the same from the portable cohort already in memory as an Arrow table
  (the notebook case: the author re-runs the comparison after each edit);
- ``why_not``: ``visitation.why_not`` for 300 synthetic patients and every pathway of
  dk-national@3.0.0 and dk-midtjylland@1.0.0: mean and worst time of a call, how many
  calls found suggestions and how many stopped at the bound (not part of the 2 s target);
- ``python_loop``: the pure evaluator's way: per patient ``evaluate_core`` under A and
  under B and the same counts (matrix, groups, movers, regions) in Python, on a
  subsample, scaled to the full count; the ratio python_loop / case is the speed-up.

Target (issue 10): both versions and the comparison ≤ 2 s for 1M patients. Absolute
numbers move with the machine's load (the machine is shared); the ratios of one run are
what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ON = date(2026, 12, 1)
PAIRS = (
    ("dk-national@2.0.0", "dk-national@3.0.0"),
    ("dk-midtjylland@1.0.0", "dk-national@3.0.0"),
)
TARGET_S = 2.0


def _best(f: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make(path: Path, n: int, *, portable: bool) -> None:
    """A synthetic cohort of ``n`` patients (seed 1), one row group per million rows."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from visitation.cohort import synthetic

    writer = None
    step = 1_000_000
    for start in range(0, n, step):
        part = synthetic(min(step, n - start), seed=1 + start, on=ON, portable=portable)
        part = part.set_column(0, "patient_id", pc.add(part.column("patient_id"), start))
        if writer is None:
            writer = pq.ParquetWriter(path, part.schema)
        writer.write_table(part, row_group_size=step)
    if writer is not None:
        writer.close()


def case_impact(path: str, a: str, b: str, repeats: int, in_memory: bool) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from visitation.cohort import impact

    source: Any = pq.read_table(path) if in_memory else path
    kept: list[Any] = []

    def run() -> None:
        kept[:] = [impact(source, a, b, on=ON)]

    seconds = _best(run, repeats)
    report = kept[0]
    return {
        "seconds": seconds,
        "patients": report.patients,
        "moved": {p: report.moved(p) for p in report.pathways},
        "peak_mib": _peak_mib(),
    }


def case_python_loop(path: str, a: str, b: str, sample: int) -> dict[str, Any]:
    """Per patient: both rule sets' core results and the report's counts, in Python."""
    import pyarrow.parquet as pq

    from visitation import Patient, evaluate_core, facts_of, resolve
    from visitation.cohort._sql import AGE_BANDS
    from visitation.facts import age_on

    table = pq.read_table(path).slice(0, sample)
    regions = table.column("region").to_pylist()
    rows = table.drop_columns(["patient_id", "region"]).to_pylist()
    facts = [facts_of(Patient.model_validate(r)) for r in rows]
    ca, cb = resolve(a, ON), resolve(b, ON)
    common = [(i, p) for i, (p, _) in enumerate(ca.pathways) if p in dict(cb.pathways)]
    index_b = {p: j for j, (p, _) in enumerate(cb.pathways)}

    def band(f: Any) -> str:
        age = (
            f["age"]
            if f["age"] is not None
            else (age_on(f["birth_date"], ON) if f["birth_date"] is not None else None)
        )
        if age is None:
            return "(not recorded)"
        return next(label for up, label in AGE_BANDS if up is None or age < up)

    def loop() -> None:
        counts: Counter[Any] = Counter()
        for f, region in zip(facts, regions, strict=True):
            ra, rb = evaluate_core(ca, f, ON), evaluate_core(cb, f, ON)
            groups = (f["diagnosis_group"], band(f), region)
            for i, p in common:
                cell = (p, ra.verdicts[i], rb.verdicts[index_b[p]])
                counts[cell] += 1
                for g in groups:
                    counts[(g, *cell)] += 1
                if cell[1] != cell[2]:
                    for k in dict(ca.pathways)[p]:
                        counts[(p, ca.rules[k].rule.id, ra.statuses[k])] += 1

    seconds = _best(loop, 3)
    return {
        "seconds": seconds,
        "patients": len(facts),
        "per_patient_us": seconds / len(facts) * 1e6,
    }


def case_why_not(patients: int) -> dict[str, Any]:
    from visitation import Patient, load_ruleset, why_not
    from visitation.cohort import synthetic

    rows = synthetic(patients, seed=3, on=ON).drop_columns(["patient_id", "region"]).to_pylist()
    people = [Patient.model_validate(r) for r in rows]
    times: list[float] = []
    found = bounded = 0
    for rules in ("dk-national@3.0.0", "dk-midtjylland@1.0.0"):
        for pathway in load_ruleset(rules).pathways:
            for p in people:
                t = time.perf_counter()
                w = why_not(p, rules, pathway, on=ON)
                times.append(time.perf_counter() - t)
                found += bool(w.suggestions)
                bounded += w.bounded
    return {
        "calls": len(times),
        "mean_ms": sum(times) / len(times) * 1e3,
        "max_ms": max(times) * 1e3,
        "with_suggestions": found,
        "bounded": bounded,
    }


def _in_process(case: str, *args: str) -> dict[str, Any]:
    """Run one case in a fresh interpreter and return its JSON result."""
    cmd = [sys.executable, __file__, "--case", case, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="Python loop subsample")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100k patients, fewer repeats")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    o = parser.parse_args(argv)
    if o.case == "why_not":
        print(json.dumps(case_why_not(int(o.args[0]))))
        return 0
    if o.case:  # a child process: one case, its result as JSON on the last line
        path, a, b, rest = o.args
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "parquet": lambda: case_impact(path, a, b, int(rest), in_memory=False),
            "in_memory": lambda: case_impact(path, a, b, int(rest), in_memory=True),
            "python_loop": lambda: case_python_loop(path, a, b, int(rest)),
        }
        print(json.dumps(cases[o.case]()))
        return 0
    if o.quick:
        o.patients, o.sample, o.repeats = 100_000, 5_000, 2
    report: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": os.getloadavg(),
        "patients": o.patients,
        "comparisons": {},
    }
    with tempfile.TemporaryDirectory(prefix="vis-impact-") as tmp:
        lists, portable = Path(tmp) / "cohort.parquet", Path(tmp) / "portable.parquet"
        print(f"generating {o.patients} synthetic patients (not timed) ...", file=sys.stderr)
        make(lists, o.patients, portable=False)
        make(portable, o.patients, portable=True)
        for a, b in PAIRS:
            r = str(o.repeats)
            pq_ = _in_process("parquet", str(lists), a, b, r)
            po = _in_process("parquet", str(portable), a, b, r)
            mem = _in_process("in_memory", str(portable), a, b, r)
            py = _in_process("python_loop", str(lists), a, b, str(o.sample))
            scaled = py["seconds"] / py["patients"] * o.patients
            report["comparisons"][f"{a} → {b}"] = {
                "parquet_s": pq_["seconds"],
                "portable_s": po["seconds"],
                "in_memory_s": mem["seconds"],
                "peak_mib": max(pq_["peak_mib"], po["peak_mib"], mem["peak_mib"]),
                "moved": pq_["moved"],
                "python_loop_scaled_s": scaled,
                "python_us_per_patient": py["per_patient_us"],
                "speed_up_parquet": scaled / pq_["seconds"],
                "speed_up_in_memory": scaled / mem["seconds"],
            }
        report["why_not"] = _in_process("why_not", "300")
    _print(report)
    if o.json:
        Path(o.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


def _print(report: dict[str, Any]) -> None:
    n = report["patients"]
    print(f"{report['date']}  {report['machine']}  load {report['load_average']}")
    print(f"{n:,} synthetic patients, both rule sets and the comparison, DuckDB embedded")
    print(
        f"{'comparison':<44}{'parquet':>9}{'portable':>10}{'in memory':>11}{'target':>8}"
        f"{'python':>9}{'speed-up':>10}{'peak MiB':>10}"
    )
    for name, r in report["comparisons"].items():
        print(
            f"{name:<44}{r['parquet_s']:>8.2f}s{r['portable_s']:>9.2f}s{r['in_memory_s']:>10.2f}s"
            f"{TARGET_S:>7.1f}s{r['python_loop_scaled_s']:>8.1f}s{r['speed_up_parquet']:>9.1f}×"
            f"{r['peak_mib']:>10.0f}"
        )
    print("speed-up: the Python loop scaled to the full count / the Parquet case")
    w = report["why_not"]
    print(
        f"why_not: {w['calls']} calls, mean {w['mean_ms']:.1f} ms, worst {w['max_ms']:.0f} ms, "
        f"{w['with_suggestions']} with suggestions, {w['bounded']} stopped at the bound"
    )


if __name__ == "__main__":
    raise SystemExit(main())
