"""``visitation impact A B COHORT``: what a rule change does to a cohort.

    visitation impact dk-national@2.0.0 dk-national@3.0.0 cohort.parquet --on 2026-12-01
    visitation impact dk-midtjylland dk-national@3.0.0 cohort.parquet --format json

Exit codes as ``visitation cohort``: 0 done, 2 usage (a bad option, an unknown engine,
no pathway in common), 4 a cohort table that cannot be evaluated, 5 rule set errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

__all__ = ["add_parser"]

EPILOG = """\
examples:
  visitation impact dk-national@2.0.0 dk-national@3.0.0 cohort.parquet --on 2026-12-01
  visitation impact dk-midtjylland@1.0.0 dk-national@3.0.0 cohort.parquet --by region
  visitation impact A.yaml B.yaml patients.csv --id cpr_hash --format markdown

A and B are rule sets (a family, family@version or a rule file); they may be different
families: pathways are matched by id. COHORT is what 'visitation cohort' reads. Printed:
per pathway the verdicts before (A, rows) and after (B, columns), which rules moved the
patients who move, the net change of eligible patients per region, and the same per
diagnosis group and age band (docs/cohort.md, "Impact of a rule change").
"""


def add_parser(sub: Any, formatter: type[argparse.HelpFormatter], guarded: Any) -> None:
    """Register ``impact`` on the ``visitation`` command's subparsers."""
    from visitation.cohort._cli import _iso_date

    im = sub.add_parser(
        "impact",
        help="what changing rule set A to B does to a cohort (moves, rules, net per region)",
        description=(
            "Evaluate every patient of a cohort under rule sets A and B and report, per "
            "pathway, who moves between eligible, not eligible and indeterminate, which "
            "rules moved them, and the net change of eligible patients per region."
        ),
        epilog=EPILOG,
        formatter_class=formatter,
    )
    im.add_argument("a", metavar="A", help="rule set before: FAMILY[@VERSION] or a rule file")
    im.add_argument("b", metavar="B", help="rule set after: FAMILY[@VERSION] or a rule file")
    im.add_argument("input", metavar="COHORT", help="cohort table (.parquet or .csv)")
    im.add_argument(
        "--on",
        metavar="DATE",
        type=_iso_date,
        default=None,
        help="evaluation date, YYYY-MM-DD (default: today)",
    )
    im.add_argument(
        "--by",
        action="append",
        choices=("diagnosis_group", "age_band", "region"),
        help="breakdown column, repeatable (default: all three)",
    )
    im.add_argument(
        "--format",
        choices=("text", "markdown", "html", "json"),
        default="text",
        help="output format (default: text)",
    )
    im.add_argument(
        "--engine",
        metavar="ENGINE",
        default="duckdb",
        help="duckdb (default), postgres:CONNINFO or spark[:MASTER]",
    )
    im.add_argument(
        "--id",
        dest="id_column",
        metavar="COLUMN",
        default="patient_id",
        help="the id column (default: patient_id)",
    )
    im.set_defaults(handler=guarded(cmd_impact))


def cmd_impact(args: argparse.Namespace) -> int:
    """``visitation impact A B COHORT``."""
    from visitation.cohort._cli import EXIT_OK, _engine, _Usage
    from visitation.cohort._impact import BY, impact

    on = args.on or date.today()
    engine, close = _engine(args.engine)
    try:
        report = impact(
            args.input,
            _spec(args.a),
            _spec(args.b),
            on=on,
            by=tuple(args.by) if args.by else BY,
            engine=engine,
            id_column=args.id_column,
        )
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    finally:
        close()
    sys.stdout.write(report.render(args.format))
    return EXIT_OK


def _spec(text: str) -> Any:
    """A path when the argument looks like one, else a bundled ``family[@version]`` name."""
    from pathlib import Path

    if text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(text)
    return text
