"""``visitation cohort`` and ``visitation sql``: cohorts and their SQL from the command line.

    visitation cohort INPUT --rules R --on DATE --out results.parquet [--engine E]
    visitation cohort synth N --out cohort.parquet [--seed S] [--on DATE]
    visitation sql --rules R --dialect postgres|spark|trino|tsql|duckdb [--on DATE]

Only ``argparse`` is imported here; the engines and Arrow are imported when a command
runs, so ``visitation --help`` stays quick. Exit codes: 0 done, 2 usage (a bad option, an
unknown engine, the extra not installed), 4 a cohort table that cannot be evaluated
(the message names column and row), 5 rule set errors (as ``visitation evaluate``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["add_parsers"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 4

INSTALL_HINT = "pip install 'visitation[cohort]'"

COHORT_EPILOG = """\
examples:
  visitation cohort synth 100000 --out cohort.parquet --seed 1
  visitation cohort cohort.parquet --rules dk-national@2.0.0 --on 2026-11-23 \\
      --out results.parquet
  visitation cohort patients.csv --id cpr_hash --rules dk-national --on 2026-11-23 \\
      --out results.parquet --engine 'postgres:host=/run/postgresql dbname=dpd'

INPUT is a .parquet or .csv file with one row per patient: the id column (--id, default
patient_id), fact columns named as in docs/facts.md and optionally region. The results
(every rule's status, every pathway's verdict and missing facts) are written to --out as
Parquet, through a temporary file renamed into place; the summary is printed.

engines: duckdb (default, embedded) | postgres:CONNINFO (psycopg; a libpq connection
string or postgresql:// URL) | spark[:MASTER] (a local or cluster SparkSession).
"""

SQL_EPILOG = """\
examples:
  visitation sql --rules dk-national@2.0.0 --dialect postgres --on 2026-11-23
  visitation sql --rules dk-national --dialect spark --table dpd.referrals --pretty

The query reads a table in the portable layout (docs/cohort.md): one column per yes/no,
number, date, choice or text fact; <set>__size and one yes/no column per member for a
set; <list>__size for a list of scores. NULL means not recorded.
"""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: write it as YYYY-MM-DD, e.g. 2026-11-23"
        ) from None


def add_parsers(sub: Any, formatter: type[argparse.HelpFormatter], default_rules: str) -> None:
    """Register ``cohort`` and ``sql`` on the ``visitation`` command's subparsers."""
    co = sub.add_parser(
        "cohort",
        help="evaluate every patient of a table (or make a synthetic one: cohort synth N)",
        description=(
            "Evaluate every patient of a cohort table against a rule set, through one SQL "
            "query (DuckDB embedded by default), and print the summary. "
            "'cohort synth N --out FILE' writes a synthetic cohort instead."
        ),
        epilog=COHORT_EPILOG,
        formatter_class=formatter,
    )
    co.add_argument("input", metavar="INPUT", help="cohort table (.parquet or .csv), or 'synth'")
    co.add_argument("count", metavar="N", nargs="?", type=int, help="with synth: patients")
    co.add_argument("--rules", metavar="FAMILY[@VERSION]|PATH", default=default_rules,
                    help=f"rule set (default: {default_rules})")  # fmt: skip
    co.add_argument("--on", metavar="DATE", type=_iso_date, default=None,
                    help="evaluation date, YYYY-MM-DD (default: today)")  # fmt: skip
    co.add_argument("--out", metavar="FILE", required=True, help="Parquet file to write")
    co.add_argument("--engine", metavar="ENGINE", default="duckdb",
                    help="duckdb (default) | postgres:CONNINFO | spark[:MASTER]")  # fmt: skip
    co.add_argument("--id", dest="id_column", metavar="COLUMN", default="patient_id",
                    help="the id column (default: patient_id)")  # fmt: skip
    co.add_argument("--format", choices=("text", "json"), default="text",
                    help="summary format (default: text)")  # fmt: skip
    co.add_argument("--seed", type=int, default=0, help="with synth: random seed (default: 0)")
    co.add_argument("--missing", type=float, default=0.2,
                    help="with synth: share of unrecorded facts (default: 0.2)")  # fmt: skip
    co.set_defaults(handler=_guarded(cmd_cohort))

    sq = sub.add_parser(
        "sql",
        help="print a rule set as one SQL query for a warehouse or cluster",
        description=(
            "Print the rule set compiled to one SQL query in a dialect, to run on a table "
            "in the portable layout (docs/cohort.md)."
        ),
        epilog=SQL_EPILOG,
        formatter_class=formatter,
    )
    sq.add_argument("--rules", metavar="FAMILY[@VERSION]|PATH", default=default_rules,
                    help=f"rule set (default: {default_rules})")  # fmt: skip
    sq.add_argument("--dialect", choices=("duckdb", "postgres", "spark", "trino", "tsql"),
                    default="duckdb", help="SQL dialect (default: duckdb)")  # fmt: skip
    sq.add_argument("--on", metavar="DATE", type=_iso_date, default=None,
                    help="evaluation date, YYYY-MM-DD (default: today)")  # fmt: skip
    sq.add_argument("--table", default="cohort", help="table to read (default: cohort)")
    sq.add_argument("--id", dest="id_column", metavar="COLUMN", default="patient_id",
                    help="the id column (default: patient_id)")  # fmt: skip
    sq.add_argument("--pretty", action="store_true", help="indent the query")
    sq.set_defaults(handler=_guarded(cmd_sql))


def _error(message: str) -> None:
    sys.stderr.write(f"visitation: error: {message}\n")


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The handler, with a missing extra and a bad cohort table turned into messages."""

    def run(args: argparse.Namespace) -> int:
        try:
            import visitation.cohort  # noqa: F401  (raises the install hint)
        except ImportError as exc:
            _error(str(exc))
            return EXIT_USAGE
        from visitation.cohort._input import CohortInputError

        try:
            return handler(args)
        except CohortInputError as exc:
            _error(f"cannot evaluate the cohort: {exc}")
            return EXIT_INPUT
        except _Usage as exc:
            _error(str(exc))
            return EXIT_USAGE

    return run


class _Usage(Exception):
    pass


class Progress:
    """A progress bar (tqdm) and the current stage on standard error, only when it is a
    terminal: the bar counts patients evaluated, batch by batch, once the input's size is
    known; before that the stage alone is shown."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.on = self.stream.isatty()
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        if not self.on:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total or None,
                unit=" patients",
                unit_scale=True,
                file=self.stream,
                desc="visitation cohort",
                leave=False,
            )
        if total and self.bar.total != total:
            self.bar.total = total
        if done:
            self.bar.update(done - self.bar.n)
        self.stage = stage
        self.bar.set_postfix_str(stage, refresh=True)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _engine(spec: str) -> tuple[Any, Callable[[], None]]:
    """An engine object from ``--engine`` and how to close it."""
    if spec == "duckdb":
        return None, lambda: None
    kind, _, rest = spec.partition(":")
    if kind in ("postgres", "postgresql"):
        try:
            import psycopg
        except ImportError:
            hint = "pip install 'visitation[cohort-postgres]'"
            raise _Usage(f"--engine postgres needs {hint}") from None
        conninfo = rest if kind == "postgres" else spec
        try:
            conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise _Usage(f"cannot connect to PostgreSQL ({conninfo!r}): {exc}") from None
        return conn, conn.close
    if kind == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise _Usage("--engine spark needs pip install 'visitation[cohort-spark]'") from None
        session = SparkSession.builder.master(rest or "local[*]").getOrCreate()
        return session, session.stop
    raise _Usage(f"unknown --engine {spec!r}: duckdb, postgres:CONNINFO or spark[:MASTER]")


def cmd_cohort(args: argparse.Namespace) -> int:
    """``visitation cohort INPUT ...`` and ``visitation cohort synth N ...``."""
    on = args.on or date.today()
    if args.input == "synth":
        return _synth(args, on)
    if args.count is not None:
        raise _Usage(f"unexpected argument {args.count} (N is for 'cohort synth N')")
    from visitation.cohort._evaluate import iter_cohort
    from visitation.cohort._output import write_parquet_batches
    from visitation.cohort._summary import Summary, merge

    out = Path(args.out)
    if not out.parent.exists():
        raise _Usage(f"--out {out}: the folder {out.parent} does not exist")
    engine, close = _engine(args.engine)
    progress = Progress()
    summaries: list[Summary] = []

    def tables() -> Any:
        for part in iter_cohort(args.input, args.rules, on=on, engine=engine,
                                id_column=args.id_column, progress=progress):  # fmt: skip
            summaries.append(part.summary())
            progress(f"writing {out}")
            yield part.table

    try:
        rows = write_parquet_batches(tables(), out)
    finally:
        progress.done()
        close()
    summary = merge(summaries)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(summary.render())
        sys.stdout.write(f"\nwrote {rows} rows to {out}\n")
    return EXIT_OK


def _synth(args: argparse.Namespace, on: date) -> int:
    from visitation.cohort._output import write_parquet
    from visitation.cohort._synthetic import synthetic

    if args.count is None or args.count < 0:
        raise _Usage("cohort synth N: give the number of patients, e.g. cohort synth 100000")
    table = synthetic(args.count, seed=args.seed, on=on, missing=args.missing,
                      id_column=args.id_column)  # fmt: skip
    write_parquet(table, args.out)
    sys.stdout.write(f"wrote {table.num_rows} synthetic patients to {args.out}\n")
    return EXIT_OK


def cmd_sql(args: argparse.Namespace) -> int:
    """``visitation sql``: the rule set's query in a dialect."""
    from visitation import resolve
    from visitation.cohort._sql import compile_sql

    on = args.on or date.today()
    compiled = resolve(args.rules, on)
    query = compile_sql(compiled, on, table=args.table, id_column=args.id_column,
                        dialect=args.dialect, groups=("diagnosis_group",))  # fmt: skip
    sys.stdout.write(query.sql(args.dialect, pretty=args.pretty) + ";\n")
    return EXIT_OK
