"""The ``visitation`` command: evaluate patients, check rule files, list rule sets, print schemas.

The command line is the boundary where the clock is read: ``evaluate`` defaults ``--on``
to today's local date and passes it to the pure evaluator, which records it in the result.

Exit codes (also in ``visitation --help``). ``evaluate`` reads the verdicts as a
three-valued "every pathway eligible?": not eligible anywhere is a definite *no* (1) that
no missing fact can change, so it wins over indeterminate (3)::

    code  meaning
    ----  ---------------------------------------------------------------------------
    0     evaluate: every pathway (or the --pathway) is eligible;
          other commands: success (check: no errors, warnings allowed)
    1     evaluate: some pathway (or the --pathway) is not eligible
    2     usage error: bad option or argument, unknown --pathway, a --lang the rule set
          does not have
    3     evaluate: indeterminate, facts are missing (and no pathway is not eligible)
    4     invalid patient facts, or the patient file cannot be read
    5     invalid rule file, unknown rule set or version, no version in force on the date
          (check: some file has errors)
    6     internal error (a bug: please report it; VISITATION_DEBUG=1 shows the traceback)

Errors go to standard error as ``visitation: error: ...``, followed by one located
diagnostic per line (``path:line:col: code: message``); never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO

from visitation import (
    Diagnostic,
    Patient,
    RuleSet,
    __version__,
    check_file,
    evaluate,
    list_rulesets,
    load_patient,
)
from visitation._yaml import read_source
from visitation.assessment import Assessment
from visitation.errors import (
    NoRuleSetInForce,
    PatientFileError,
    RuleFileError,
    UnknownRuleSet,
    VisitationError,
)
from visitation.evaluate import as_date
from visitation.render import formats, render
from visitation.render.escape import visible
from visitation.workbench._cli import add_parsers as add_workbench
from visitation.workbench._cli import version_diagnostics
from visitation.workbench._paths import add_rules_dir, library_for

__all__ = [
    "EXIT_CODES",
    "EXIT_ELIGIBLE",
    "EXIT_FLAG_NOT_IN_FORCE",
    "EXIT_FLAG_NOT_PUBLISHED",
    "EXIT_INDETERMINATE",
    "EXIT_INTERNAL",
    "EXIT_INVALID_PATIENT",
    "EXIT_INVALID_RULES",
    "EXIT_NOT_ELIGIBLE",
    "EXIT_OK",
    "EXIT_REFERRAL_INCOMPLETE",
    "EXIT_USAGE",
    "main",
]

EXIT_OK: Final = 0
EXIT_ELIGIBLE: Final = 0
EXIT_NOT_ELIGIBLE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INDETERMINATE: Final = 3
EXIT_INVALID_PATIENT: Final = 4
EXIT_INVALID_RULES: Final = 5
EXIT_INTERNAL: Final = 6
EXIT_REFERRAL_INCOMPLETE: Final = 7
EXIT_FLAG_NOT_PUBLISHED: Final = 8
EXIT_FLAG_NOT_IN_FORCE: Final = 16

EXIT_CODES: Final[dict[int, str]] = {
    EXIT_OK: "evaluate: every pathway (or the --pathway) is eligible; other commands: success",
    EXIT_NOT_ELIGIBLE: "evaluate: some pathway (or the --pathway) is not eligible",
    EXIT_USAGE: "usage error (bad option or argument, unknown --pathway, unsupported --lang)",
    EXIT_INDETERMINATE: "evaluate: indeterminate, facts missing (no pathway is not eligible)",
    EXIT_INVALID_PATIENT: "invalid patient facts, or the patient file cannot be read",
    EXIT_INVALID_RULES: "invalid rule file, unknown rule set, or none in force on the date",
    EXIT_INTERNAL: "internal error (a bug; VISITATION_DEBUG=1 shows the traceback)",
    EXIT_REFERRAL_INCOMPLETE: (
        "evaluate: eligible once the referral is complete (the to-do list says what to do)"
    ),
    EXIT_FLAG_NOT_PUBLISHED: (
        "evaluate: + 8 when the rule set is not published (provisional, draft, retired)"
    ),
    EXIT_FLAG_NOT_IN_FORCE: "evaluate: + 16 when the rule set was not in force on the date",
}
"""Exit code → meaning, as documented in ``visitation --help``. An evaluation's code is
its verdict (0, 1, 3 or 7) plus 8 and/or 16 for the rule set's status and dates, so
``code & 7`` is the verdict and ``code & 24`` the warnings; 2, 4, 5 and 6 are errors and
never carry them."""

PROG: Final = "visitation"
DEFAULT_RULES: Final = "dk-national"


class UsageError(Exception):
    """A request the command line cannot serve (exit code 2)."""


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


def _exit_code_epilog() -> str:
    rows = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    return f"exit codes:\n{rows}"


MAIN_EPILOG: Final = f"""\
examples:
  visitation evaluate examples/eligible-cancer-hospice.yaml --on 2026-11-23
  visitation evaluate - --rules dk-national@2.0.0 --lang da --format md < patient.json
  visitation check rules/dk-national/*.yaml
  visitation rules
  visitation schema > rulefile.schema.json
  visitation watch events.jsonl --rules dk-national@2.0.0
  visitation diff dk-national@2.0.0 drafts/dk-national/2.1.0.yaml
  visitation test tests/cases --coverage
  visitation show dk-national@3.0.0 --format html --lang da > sign-off.html

{_exit_code_epilog()}
"""

EVALUATE_EPILOG: Final = f"""\
examples:
  # the national rule set in force today, English text
  visitation evaluate patient.yaml

  # a pinned version on a given date, in Danish, as Markdown
  visitation evaluate patient.yaml --rules dk-national@2.0.0 --on 2026-11-23 \\
      --lang da --format md > assessment.md

  # a rule file under development; facts from standard input; JSON for a pipeline
  cat patient.json | visitation evaluate - --rules my-rules.yaml --format json

  # in a shell script: follow the hospice pathway only
  visitation evaluate patient.yaml --pathway hospice --format json > out.json
  code=$?
  case $code in 2|4|5|6) echo "error" >&2; exit 1 ;; esac
  [ $((code & 8)) -ne 0 ] && echo "note: the rule set is not published"
  case $((code & 7)) in
    0) echo "meets the hospice criteria" ;;
    1) echo "does not meet them" ;;
    3) echo "facts missing: see out.json" ;;
    7) echo "meets them once the referral is complete: see the to-do list" ;;
  esac

{_exit_code_epilog()}
"""

CHECK_EPILOG: Final = """\
examples:
  visitation check rules/dk-national/2.0.0.yaml
  visitation check rules/*/*.yaml

Each problem is printed as path:line:col: code: message (warnings as
path:line:col: warning: code: message), with the source line and a caret under
the place, then a summary. The exit code is 0 when no file has errors (warnings
allowed) and 5 otherwise. docs/error-codes.md explains every code.
"""

RULES_EPILOG: Final = """\
examples:
  visitation rules
  visitation rules --lang da
  visitation rules --format json

Lists every bundled family and version, oldest first, with status and effective
dates. Name one as --rules FAMILY@VERSION; a bare FAMILY picks the version in
force on the evaluation date (published before provisional before draft).
"""

SCHEMA_EPILOG: Final = """\
examples:
  visitation schema > visitation-rules.schema.json
  visitation schema --patient > visitation-patient.schema.json

Point your editor's YAML language server at the rule file schema for completion
and checking, e.g. with a first line
  # yaml-language-server: $schema=visitation-rules.schema.json
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors end in the documented exit code."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _iso_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: write it as YYYY-MM-DD, e.g. 2026-11-23"
        ) from None
    try:
        return as_date(day)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``visitation`` command."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        description=(
            "Danish referral criteria for specialized palliative care: evaluate patient "
            "facts against versioned rule files, and explain every verdict."
        ),
        epilog=MAIN_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ev = sub.add_parser(
        "evaluate",
        help="evaluate a patient against a rule set",
        description=(
            "Evaluate the patient facts in FILE (YAML or JSON; '-' reads standard input) "
            "against a rule set on a date, and print the assessment: verdicts first, "
            "then every rule with its explanation, evidence, missing facts and source."
        ),
        epilog=EVALUATE_EPILOG,
        formatter_class=formatter,
    )
    ev.add_argument("file", metavar="FILE", help="patient facts (.yaml/.json), or '-' for stdin")
    ev.add_argument(
        "--rules",
        metavar="FAMILY[@VERSION]|PATH",
        default=DEFAULT_RULES,
        help=(
            "rule set: a bundled family (the version in force on --on), family@version, "
            f"or a path to a .yaml rule file (default: {DEFAULT_RULES})"
        ),
    )
    ev.add_argument(
        "--on",
        metavar="DATE",
        type=_iso_date,
        default=None,
        help="evaluation date, YYYY-MM-DD (default: today)",
    )
    ev.add_argument(
        "--lang",
        metavar="LANG",
        default=None,
        help=(
            "language of the text, one the rule set declares, e.g. da or en (default: en, "
            "or the rule set's first language); with --format json, keeps only this language"
        ),
    )
    ev.add_argument(
        "--format", choices=formats(), default="text", help="output format (default: text)"
    )
    ev.add_argument(
        "--pathway",
        metavar="ID",
        default=None,
        help="make the exit code follow this pathway only (e.g. hospice)",
    )
    ev.add_argument(
        "--from",
        dest="source",
        choices=("auto", "facts", "fhir"),
        default="auto",
        help="FILE holds patient facts or a FHIR R4 Bundle (default: auto, by resourceType)",
    )
    add_rules_dir(ev)
    ev.set_defaults(handler=cmd_evaluate)

    ck = sub.add_parser(
        "check",
        help="check rule files and print every problem",
        description="Check rule files: every error and warning, each with its location.",
        epilog=CHECK_EPILOG,
        formatter_class=formatter,
    )
    ck.add_argument("files", metavar="RULEFILE", nargs="+", help="rule files to check")
    add_rules_dir(ck)
    ck.set_defaults(handler=cmd_check)

    rl = sub.add_parser(
        "rules",
        help="list the bundled rule sets",
        description="List the bundled rule set families and versions.",
        epilog=RULES_EPILOG,
        formatter_class=formatter,
    )
    rl.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    rl.add_argument(
        "--lang",
        metavar="LANG",
        default="en",
        help="language of titles, one the bundled rule sets declare (default: en)",
    )
    add_rules_dir(rl)
    rl.set_defaults(handler=cmd_rules)

    sc = sub.add_parser(
        "schema",
        help="print the JSON Schema of rule files (or of patient facts)",
        description="Print the JSON Schema of rule files, or with --patient of patient facts.",
        epilog=SCHEMA_EPILOG,
        formatter_class=formatter,
    )
    sc.add_argument(
        "--patient", action="store_true", help="print the schema of patient facts instead"
    )
    sc.set_defaults(handler=cmd_schema)
    from visitation.fhir._cli import add_parser as add_fhir_parser

    add_fhir_parser(sub)

    from visitation.reactive._cli import add_parser as add_watch  # the reactive extra

    add_watch(sub)
    _add_cohort(sub, formatter)
    add_workbench(sub, formatter)  # diff, test, show, lock (visitation.workbench)
    from visitation.service._cli import add_parser as add_serve  # imports the extra lazily

    add_serve(sub)
    return parser


def _add_cohort(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """``cohort`` and ``sql`` (issue 9), or an install hint when the extra is absent."""
    try:
        from visitation.cohort._cli import add_parsers
    except ImportError as exc:
        for name in ("cohort", "sql", "impact"):
            stub = sub.add_parser(name, help="needs: pip install 'visitation[cohort]'")
            stub.add_argument("rest", nargs=argparse.REMAINDER)
            stub.set_defaults(handler=functools.partial(_missing_extra, str(exc)))
        return
    add_parsers(sub, formatter, DEFAULT_RULES)


def _missing_extra(message: str, args: argparse.Namespace) -> int:
    _error(message)
    return EXIT_USAGE


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


def _write(text: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(text if text.endswith("\n") else text + "\n")


def _warn(message: str) -> None:
    sys.stderr.write(visible(f"{PROG}: warning: {message}") + "\n")


def _rules_spec(text: str) -> str | Path:
    """A path when the argument looks like one, else a bundled ``family[@version]`` name."""
    if text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text:
        return Path(text)
    return text


def exit_code(assessment: Assessment, pathway: str | None = None) -> int:
    """The exit code for an assessment: Kleene "every pathway (or this one) is eligible",
    7 when eligible but a referral is not ready yet, plus the status flags."""
    chosen = [assessment.pathway(pathway)] if pathway is not None else assessment.pathways
    verdicts = [p.verdict for p in chosen]
    if "not_eligible" in verdicts:
        code = EXIT_NOT_ELIGIBLE
    elif "indeterminate" in verdicts:
        code = EXIT_INDETERMINATE
    elif any(p.referral != "ready" for p in chosen):
        code = EXIT_REFERRAL_INCOMPLETE
    else:
        code = EXIT_ELIGIBLE
    if assessment.status != "published":
        code += EXIT_FLAG_NOT_PUBLISHED
    if not assessment.in_force:
        code += EXIT_FLAG_NOT_IN_FORCE
    return code


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``visitation evaluate``."""
    if args.source == "fhir" or (args.source == "auto" and str(args.file).endswith(".json")):
        from visitation.fhir._cli import evaluate_bundle, is_bundle_file

        if args.source == "fhir" or is_bundle_file(args.file):
            return evaluate_bundle(args)
    on: date = args.on if args.on is not None else date.today()
    patient = load_patient(args.file)
    library = library_for(args.rules_dir)
    ruleset = library.load(_rules_spec(args.rules), on=on)
    lang: str = args.lang or ("en" if "en" in ruleset.languages else ruleset.languages[0])
    if lang not in ruleset.languages:
        raise UsageError(
            f"{ruleset.key} has no text in '{lang}'; its languages: {', '.join(ruleset.languages)}"
        )
    if args.pathway is not None and args.pathway not in ruleset.pathways:
        raise UsageError(
            f"{ruleset.key} has no pathway '{args.pathway}'; "
            f"pathways: {', '.join(ruleset.pathways)}"
        )
    # without --lang the Assessment holds every language of the file (the JSON shows them)
    assessment = evaluate(patient, ruleset, on=on, lang=args.lang, library=library)
    if not assessment.in_force:
        _warn(_not_in_force(assessment, on, lang))
    _write(render(assessment, args.format, lang))
    return exit_code(assessment, args.pathway)


def _not_in_force(assessment: Assessment, on: date, lang: str) -> str:
    """The warning that the rule set was not in force on the date, in the output's language."""
    start = assessment.effective_from.isoformat()
    end = assessment.effective_until.isoformat() if assessment.effective_until else None
    if lang == "da":
        return (
            f"{assessment.key} gjaldt ikke den {on.isoformat()} "
            f"(gyldig fra {start}{f' til {end}' if end else ', uden slutdato'})"
        )
    return (
        f"{assessment.key} was not in force on {on.isoformat()} "
        f"(effective {start} to {end or 'open'})"
    )


def cmd_check(args: argparse.Namespace) -> int:
    """``visitation check``."""
    errors = warnings = failed = 0
    for path in args.files:
        diagnostics = check_file(path)
        if not any(d.severity == "error" for d in diagnostics):
            # across the family's versions at hand (visitation.workbench.versions)
            diagnostics += version_diagnostics(path, args.rules_dir)
        source = _source_text(path) if any(d.line is not None for d in diagnostics) else None
        for d in diagnostics:
            shown = d.render(source if d.path == path else None)
            _write(visible(shown) + ("\n\n" if "\n" in shown else ""))
        file_errors = sum(d.severity == "error" for d in diagnostics)
        errors += file_errors
        warnings += len(diagnostics) - file_errors
        failed += file_errors > 0
    n = len(args.files)
    summary = (
        f"{n} {_plural(n, 'file')} checked: {errors} {_plural(errors, 'error')}, "
        f"{warnings} {_plural(warnings, 'warning')}"
    )
    if failed:
        summary += f" ({failed} {_plural(failed, 'file')} with errors)"
    _write(summary)
    return EXIT_INVALID_RULES if errors else EXIT_OK


def _source_text(path: str) -> str | None:
    """The text of a checked file, for the source lines under its diagnostics."""
    data = read_source(path)
    return None if isinstance(data, Diagnostic) else data.decode("utf-8", errors="replace")


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _rules_rows(dirs: list[Path] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for info in library_for(dirs).list_rulesets() if dirs else list_rulesets():
        rows.append(
            {
                "family": info.family,
                "version": info.version,
                "status": info.status,
                "effective_from": info.effective_from.isoformat(),
                "effective_until": (
                    info.effective_until.isoformat() if info.effective_until else None
                ),
                "title": dict(info.title),
                "file": f"{info.path.parent.name}/{info.path.name}",
            }
        )
    return rows


def cmd_rules(args: argparse.Namespace) -> int:
    """``visitation rules``."""
    rows = _rules_rows(args.rules_dir)
    languages = sorted({lang for r in rows for lang in r["title"]})
    if args.lang not in languages:
        raise UsageError(
            f"no bundled rule set has titles in '{args.lang}'; languages: {', '.join(languages)}"
        )
    if args.format == "json":
        _write(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    header = ("FAMILY", "VERSION", "STATUS", "FROM", "UNTIL", "TITLE")
    table = [header] + [
        (
            r["family"],
            r["version"],
            r["status"],
            r["effective_from"],
            r["effective_until"] or "–",
            r["title"].get(args.lang) or next(iter(r["title"].values()), ""),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        _write("  ".join([*cells, row[-1]]).rstrip())
    if not rows:
        _warn("no bundled rule sets found")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """``visitation schema``."""
    if args.patient:
        schema = Patient.model_json_schema()
    else:
        schema = RuleSet.model_json_schema(by_alias=True)
    _write(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _error(message: str, details: Sequence[str] = ()) -> None:
    """An error on standard error; text from the input (keys, values) may hold control or
    bidi characters, which are made visible, never sent to the terminal."""
    sys.stderr.write(visible(f"{PROG}: error: {message}") + "\n")
    for line in details:
        sys.stderr.write(visible(line) + "\n")


def _report_diagnostics(what: str, exc: RuleFileError | PatientFileError) -> None:
    n = len(exc.diagnostics)
    _error(f"{what} ({n} {_plural(n, 'problem')}):", str(exc).splitlines())


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except PatientFileError as exc:
        _report_diagnostics("invalid patient facts", exc)
        return EXIT_INVALID_PATIENT
    except RuleFileError as exc:
        _report_diagnostics("invalid rule file", exc)
        return EXIT_INVALID_RULES
    except (UnknownRuleSet, NoRuleSetInForce) as exc:
        _error(str(exc))
        return EXIT_INVALID_RULES
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except VisitationError as exc:
        _error(str(exc))
        return EXIT_INTERNAL
    except OSError as exc:
        # what the library does not turn into a diagnostic, e.g. reading standard input
        _error(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return EXIT_INVALID_PATIENT if args.command == "evaluate" else EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``visitation`` command; returns the exit code (see :data:`EXIT_CODES`)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        if exc.code is None:
            return EXIT_OK
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args.handler, args)
    except BrokenPipeError:
        # the reader went away (`visitation rules | head -1`): not our error
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so briefly; the traceback on request
        if os.environ.get("VISITATION_DEBUG"):
            traceback.print_exc()
        _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; set VISITATION_DEBUG=1 to see the traceback)"
        )
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
