"""Cohort benchmark: rule sets as one SQL query over synthetic Parquet cohorts (issue 9).

    python benchmarks/cohort.py [--quick] [--patients N] [--big N] [--json PATH]

Measured in one run, each case in a fresh process (so its peak memory is its own):

- ``end_to_end``: Parquet file → checked → DuckDB → every rule's status, every verdict and
  the missing facts as an Arrow table (``evaluate_cohort``). Data generation excluded.
  The file is written as ``visitation cohort synth`` writes one: pyarrow, snappy, sets as
  list columns, row groups of at most 122,880 rows (``ROW_GROUP_ROWS``, DuckDB's default;
  9 row groups per million patients, so both threads read); the ``portable`` variant holds
  the sets as member columns instead.
- ``statuses_verdicts``: the statuses and verdicts alone, the query (without the missing
  masks) over the cohort already in the portable layout in DuckDB; once counted
  (aggregated in the engine) and once materialised to Arrow.
- ``python_loop``: ``evaluate_core`` over the same patients in a loop, on a subsample,
  scaled to the full count; the ratio end_to_end / python_loop is the speed-up.
- ``big``: the streamed path of ``visitation cohort`` (batches of 1M rows, results
  written to Parquet as they come) over a larger file: time and peak memory.

On a shared machine the wall times move with the load; instructions do not. Under
callgrind, ``--instructions CASE`` (``end_to_end`` or ``python_loop``) counts the
instructions of one evaluation of ``--patients`` patients (default 300,000; the loop on
``--sample``, default 5,000) of one rule set, every thread counted, the file's
generation, the imports and a warm-up run not instrumented, and prints them per patient::

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg/out \
        python benchmarks/cohort.py --instructions end_to_end --rules dk-national

(``callgrind_control`` toggles the instrumentation from inside; ``--input FILE`` reuses
a cohort file written by :func:`make`.)

Targets (issue 9): end_to_end ≤ 0.5 s and statuses_verdicts ≤ 0.1 s for 1M patients,
≥ 10× the Python loop, peak memory ≤ 2 GiB. Absolute numbers move with the machine's
load (the machine is shared); the ratios of one run are what to compare.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ON = date(2026, 12, 1)
RULES = ("dk-national", "dk-national@3.1.0")
"""The rule set a user gets by default on ``ON`` (chosen by date: the newest published
national one) and the largest bundled one (29 rules and indicators, 2 pathways)."""


def _best(f: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def _peak_mib() -> float:
    """This process's peak resident memory: VmHWM, the high-water mark of its own address
    space (``ru_maxrss`` would carry over the parent's peak, which exec keeps)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make(path: Path, n: int, seed: int = 1, portable: bool = False) -> None:
    """A synthetic cohort of ``n`` patients, generated 1M rows at a time and written as
    ``visitation cohort synth`` writes it (pyarrow, snappy, row groups of ``ROW_GROUP_ROWS``
    = 122,880 rows: 9 per million); sets as lists, or (``portable``) as the member columns
    the SQL reads."""
    import pyarrow.parquet as pq

    from visitation.cohort import synthetic
    from visitation.cohort._output import ROW_GROUP_ROWS

    writer = None
    step = 1_000_000
    for start in range(0, n, step):
        part = synthetic(min(step, n - start), seed=seed + start, on=ON, portable=portable)
        ids = part.column("patient_id")
        import pyarrow.compute as pc

        part = part.set_column(0, "patient_id", pc.add(ids, start))
        if writer is None:
            writer = pq.ParquetWriter(path, part.schema)
        writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
    if writer is not None:
        writer.close()


def case_end_to_end(path: str, rules: str, repeats: int) -> dict[str, Any]:
    from visitation.cohort import evaluate_cohort

    result: list[Any] = []
    cpus: list[float] = []

    def run() -> None:
        cpu = time.process_time()
        result[:] = [evaluate_cohort(path, rules, on=ON)]
        cpus.append(time.process_time() - cpu)

    seconds = _best(run, repeats)
    table = result[0].table
    return {"seconds": seconds, "cpu_seconds": sum(cpus) / len(cpus),
            "cpu_best_seconds": min(cpus), "rows": table.num_rows,
            "columns": table.num_columns, "ruleset": result[0].ruleset_key,
            "peak_mib": _peak_mib()}  # fmt: skip


def case_statuses_verdicts(path: str, rules: str, repeats: int) -> dict[str, Any]:
    import duckdb

    from visitation import resolve
    from visitation.cohort._engines import INPUT_TABLE
    from visitation.cohort._input import read_table, to_layout
    from visitation.cohort._sql import compile_sql

    compiled = resolve(rules, ON)
    query = compile_sql(compiled, ON, table=INPUT_TABLE)
    data = to_layout(read_table(path), "patient_id", query.layout)
    con = duckdb.connect()
    con.register("arrow_input", data)
    con.execute(f"CREATE TABLE {INPUT_TABLE} AS SELECT * FROM arrow_input")  # fixed name
    tree = query.tree.copy()
    keep = {c for _, c in (*query.rules, *query.indicators)} | {p.verdict for p in query.pathways}
    keep.add("patient_id")
    tree.set("expressions", [e for e in tree.expressions if e.alias_or_name in keep])
    statuses = tree.sql("duckdb")
    cols = [c for c in keep if c != "patient_id"]
    counted = con.sql(statuses).aggregate(", ".join(f'count_if("{c}")' for c in cols))
    counted_s = _best(lambda: counted.fetchall(), repeats)
    arrow_s = _best(lambda: con.sql(statuses).to_arrow_table(), repeats)
    return {"counted_seconds": counted_s, "arrow_seconds": arrow_s, "rules": len(cols),
            "peak_mib": _peak_mib()}  # fmt: skip


def case_python_loop(path: str, rules: str, sample: int) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from visitation import Patient, evaluate_core, facts_of, resolve

    table = pq.read_table(path).slice(0, sample).drop_columns(["patient_id", "region"])
    facts = [facts_of(Patient.model_validate(r)) for r in table.to_pylist()]
    compiled = resolve(rules, ON)

    def loop() -> None:
        for f in facts:
            evaluate_core(compiled, f, ON)

    seconds = _best(loop, 3)
    return {
        "seconds": seconds,
        "patients": len(facts),
        "per_patient_us": seconds / len(facts) * 1e6,
    }


def case_big(path: str, rules: str) -> dict[str, Any]:
    from visitation.cohort._evaluate import iter_cohort
    from visitation.cohort._output import write_parquet_batches

    out = Path(path).with_suffix(".results.parquet")
    t = time.perf_counter()
    rows = write_parquet_batches((p.table for p in iter_cohort(path, rules, on=ON)), out)
    seconds = time.perf_counter() - t
    out.unlink()
    return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib()}


def _callgrind(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True,
                   capture_output=True)  # fmt: skip


def instructions(case: str, path: str, rules: str, sample: int, out: str) -> tuple[int, int]:
    """(instructions, patients) of one run of ``case`` under the callgrind running this
    process (dumps to ``out``.N): a dump of nothing first, its cost taken off."""
    import glob
    import re

    run: Callable[[], Any]
    if case == "end_to_end":
        import pyarrow.parquet as pq

        from visitation.cohort import evaluate_cohort

        patients = pq.ParquetFile(path).metadata.num_rows
        run = functools.partial(evaluate_cohort, path, rules, on=ON)
    elif case == "python_loop":
        import pyarrow.parquet as pq

        from visitation import Patient, evaluate_core, facts_of, resolve

        table = pq.read_table(path).slice(0, sample).drop_columns(["patient_id", "region"])
        facts = [facts_of(Patient.model_validate(r)) for r in table.to_pylist()]
        compiled = resolve(rules, ON)
        patients = len(facts)

        def run() -> None:
            for f in facts:
                evaluate_core(compiled, f, ON)
    else:
        raise SystemExit(f"unknown case {case!r}: end_to_end or python_loop")
    run()  # warm-up: compiled query, imports, the embedded database
    _callgrind("-i", "on")
    _callgrind("-z")
    _callgrind("-d", "nothing")
    run()
    _callgrind("-d", "counted")
    _callgrind("-i", "off")
    totals: dict[str, int] = {}
    for dump in glob.glob(out + ".*"):
        text = Path(dump).read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: .*?(nothing|counted)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total:
            totals[trigger.group(1)] = totals.get(trigger.group(1), 0) + int(total.group(1))
    return totals["counted"] - totals.get("nothing", 0), patients


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
    parser.add_argument("--big", type=int, default=10_000_000, help="0 skips the big case")
    parser.add_argument("--sample", type=int, default=20_000, help="Python loop subsample")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100k patients, no big case")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--instructions", metavar="CASE",
                        help="under callgrind: count end_to_end or python_loop")  # fmt: skip
    parser.add_argument("--rules", default=RULES[0], help="rule set of --instructions")
    parser.add_argument("--input", metavar="FILE", help="--instructions: this cohort file")
    parser.add_argument("--callgrind-out", default="/tmp/cg/out", help="callgrind's out file")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.case:  # a child process: one case, its result as JSON on the last line
        path, rules, *rest = a.args
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "end_to_end": lambda: case_end_to_end(path, rules, int(rest[0])),
            "statuses_verdicts": lambda: case_statuses_verdicts(path, rules, int(rest[0])),
            "python_loop": lambda: case_python_loop(path, rules, int(rest[0])),
            "big": lambda: case_big(path, rules),
        }
        print(json.dumps(cases[a.case]()))
        return 0
    if a.instructions:
        return _count(a)
    if a.quick:
        a.patients, a.big, a.sample, a.repeats = 100_000, 0, 5_000, 3
    report: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": os.getloadavg(),
        "patients": a.patients,
        "rule_sets": {},
    }
    with tempfile.TemporaryDirectory(prefix="vis-bench-") as tmp:
        path = Path(tmp) / "cohort.parquet"
        print(f"generating {a.patients} synthetic patients (not timed) ...", file=sys.stderr)
        make(path, a.patients)
        portable = Path(tmp) / "portable.parquet"
        make(portable, a.patients, portable=True)
        for rules in RULES:
            e2e = _in_process("end_to_end", str(path), rules, str(a.repeats))
            e2p = _in_process("end_to_end", str(portable), rules, str(a.repeats))
            sv = _in_process("statuses_verdicts", str(path), rules, str(a.repeats))
            py = _in_process("python_loop", str(path), rules, str(a.sample))
            scaled = py["seconds"] / py["patients"] * a.patients
            report["rule_sets"][rules] = {
                "ruleset": e2e["ruleset"],
                "end_to_end_s": e2e["seconds"],
                "end_to_end_cpu_s": e2e["cpu_seconds"],
                "end_to_end_cpu_best_s": e2e["cpu_best_seconds"],
                "end_to_end_peak_mib": e2e["peak_mib"],
                "end_to_end_portable_s": e2p["seconds"],
                "end_to_end_portable_peak_mib": e2p["peak_mib"],
                "statuses_verdicts_counted_s": sv["counted_seconds"],
                "statuses_verdicts_arrow_s": sv["arrow_seconds"],
                "rules_and_indicators": sv["rules"],
                "python_loop_scaled_s": scaled,
                "python_us_per_patient": py["per_patient_us"],
                "speed_up": scaled / e2e["seconds"],
                "speed_up_portable": scaled / e2p["seconds"],
            }
        if a.big:
            big = Path(tmp) / "big.parquet"
            print(f"generating {a.big} synthetic patients (not timed) ...", file=sys.stderr)
            make(big, a.big)
            path.unlink()
            report["big"] = {"patients": a.big, "rules": RULES[1],
                             **_in_process("big", str(big), RULES[1])}  # fmt: skip
    _print(report)
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _count(a: argparse.Namespace) -> int:
    """``--instructions``: one case's instructions per patient (see the module docstring)."""
    patients = 300_000 if a.patients == 1_000_000 else a.patients
    sample = 5_000 if a.sample == 20_000 else a.sample
    with tempfile.TemporaryDirectory(prefix="vis-bench-") as tmp:
        path = Path(a.input) if a.input else Path(tmp) / "cohort.parquet"
        if not a.input:
            make(path, patients)
        ir, n = instructions(a.instructions, str(path), a.rules, sample, a.callgrind_out)
    print(f"{a.instructions} {a.rules}: {ir:,} instructions, {ir / n:,.0f} per patient "
          f"({n:,} patients)")  # fmt: skip
    return 0


def _print(report: dict[str, Any]) -> None:
    n = report["patients"]
    print(f"{report['date']}  {report['machine']}  load {report['load_average']}")
    print(f"{n:,} synthetic patients from Parquet (snappy, row groups of <= 122,880 rows), "
          "DuckDB embedded")  # fmt: skip
    print(f"{'rule set':<20}{'end to end':>12}{'cpu*':>8}{'portable':>10}{'target':>8}"
          f"{'stat+verd':>11}{'(arrow)':>9}{'python':>10}{'speed-up':>10}"
          f"{'peak MiB':>10}")  # fmt: skip
    for r in report["rule_sets"].values():
        print(f"{r['ruleset']:<20}{r['end_to_end_s']:>11.3f}s{r['end_to_end_cpu_best_s']:>7.2f}s"
              f"{r['end_to_end_portable_s']:>9.3f}s{'0.5s':>8}"
              f"{r['statuses_verdicts_counted_s']:>10.3f}s{r['statuses_verdicts_arrow_s']:>8.3f}s"
              f"{r['python_loop_scaled_s']:>9.2f}s{r['speed_up']:>9.1f}×"
              f"{r['end_to_end_peak_mib']:>10.0f}")  # fmt: skip
    print("end to end: wall, best of the repeats; cpu*: CPU time of both threads, best run; "
          "python: the evaluate_core loop on a subsample, scaled")  # fmt: skip
    if "big" in report:
        b = report["big"]
        print(f"{b['patients']:,} patients streamed ({b['rules']}): {b['seconds']:.2f} s, "
              f"peak {b['peak_mib']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
