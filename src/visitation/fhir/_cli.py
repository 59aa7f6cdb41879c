"""The command line for FHIR input: ``visitation fhir facts|guidance`` and the bundle
path of ``visitation evaluate --from fhir`` (registered by ``visitation.cli``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "evaluate_bundle", "is_bundle_file"]

_PROG = "visitation"
_USAGE = 2
_INSTALL = "pip install 'visitation[fhir]'"


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: write it as YYYY-MM-DD, e.g. 2026-11-23"
        ) from None


def add_parser(subparsers: Any) -> None:
    """Add ``fhir facts`` and ``fhir guidance`` to the ``visitation`` command."""
    fhir = subparsers.add_parser(
        "fhir",
        help="read patient facts from a FHIR R4 bundle (facts, guidance)",
        description="FHIR R4 input: the facts a bundle gives, with their provenance.",
    )
    sub = fhir.add_subparsers(dest="fhir_command", metavar="COMMAND", required=True)
    facts = sub.add_parser(
        "facts",
        help="show the facts a bundle gives, each with its resource and element",
        description=(
            "Read one patient's FHIR R4 Bundle (or CDS Hooks prefetch) and print the "
            "facts, where each came from, the conflicts between resources and the codes "
            "no mapping entry reads."
        ),
    )
    guidance = sub.add_parser(
        "guidance",
        help="evaluate a bundle and print a FHIR GuidanceResponse",
        description="Evaluate a bundle and print the result as a FHIR R4 GuidanceResponse.",
    )
    for p in (facts, guidance):
        p.add_argument("file", metavar="BUNDLE", help="a FHIR R4 Bundle (.json), or '-'")
        p.add_argument("--on", metavar="DATE", type=_iso_date, default=None,
                       help="evaluation date, YYYY-MM-DD (default: today)")  # fmt: skip
        p.add_argument("--mapping", metavar="PATH", default=None,
                       help="a mapping file (default: the shipped one)")  # fmt: skip
        p.add_argument("--validate", action="store_true",
                       help=f"validate with fhir.resources R4B first ({_INSTALL})")  # fmt: skip
    facts.add_argument("--format", choices=("text", "json"), default="text",
                       help="output format (default: text)")  # fmt: skip
    guidance.add_argument("--rules", metavar="FAMILY[@VERSION]|PATH", default="dk-national",
                          help="rule set (default: dk-national)")  # fmt: skip
    facts.set_defaults(handler=_cmd_facts)
    guidance.set_defaults(handler=_cmd_guidance)


def is_bundle_file(path: str) -> bool:
    """Whether a ``.json`` file holds a FHIR Bundle (``resourceType``), for auto-detection."""
    from visitation.fhir import MAX_BUNDLE_BYTES, is_bundle

    if path == "-" or not path.endswith(".json"):
        return False
    try:
        if os.path.getsize(path) > MAX_BUNDLE_BYTES:
            return True  # let the bundle reader refuse it with its message
        with open(path, "rb") as f:
            head = f.read(MAX_BUNDLE_BYTES)
        return b'"resourceType"' in head and is_bundle(json.loads(head))
    except (OSError, ValueError):
        return False


def _source(file: str) -> Any:
    return sys.stdin.buffer.read() if file == "-" else Path(file)


def _rules(text: str) -> str | Path:
    if text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text:
        return Path(text)
    return text


def _error(message: str) -> int:
    sys.stderr.write(f"{_PROG}: error: {message}\n")
    return _USAGE


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def evaluate_bundle(args: argparse.Namespace) -> int:
    """``visitation evaluate BUNDLE --from fhir``: the assessment with its sources."""
    import visitation
    from visitation import fhir

    on: date = args.on if args.on is not None else date.today()
    ruleset = visitation.load_ruleset(_rules(args.rules), on=on)
    lang: str = args.lang or ("en" if "en" in ruleset.languages else ruleset.languages[0])
    if lang not in ruleset.languages:
        return _error(f"{ruleset.key} has no text in '{lang}'; its languages: "
                      f"{', '.join(ruleset.languages)}")  # fmt: skip
    if args.pathway is not None and args.pathway not in ruleset.pathways:
        return _error(f"{ruleset.key} has no pathway '{args.pathway}'; "
                      f"pathways: {', '.join(ruleset.pathways)}")  # fmt: skip
    name = "<stdin>" if args.file == "-" else args.file
    extraction = fhir.facts_from_bundle(_source(args.file), on=on, name=name)
    assessment = visitation.evaluate(extraction.patient, ruleset, on=on, lang=args.lang)
    result = fhir.FhirAssessment(assessment, extraction)
    if not assessment.in_force:
        sys.stderr.write(f"{_PROG}: warning: {assessment.key} was not in force on {on}\n")
    _write(result.render(args.format, lang=lang))
    verdicts = (
        [assessment.pathway(args.pathway).verdict]
        if args.pathway
        else [p.verdict for p in assessment.pathways]
    )
    if "not_eligible" in verdicts:
        return 1
    return 3 if "indeterminate" in verdicts else 0


def _extract(args: argparse.Namespace, on: date) -> Any:
    from visitation import fhir

    name = "<stdin>" if args.file == "-" else args.file
    return fhir.facts_from_bundle(
        _source(args.file), on=on, mapping=args.mapping, validate=args.validate, name=name
    )


def _cmd_facts(args: argparse.Namespace) -> int:
    on: date = args.on if args.on is not None else date.today()
    try:
        extraction = _extract(args, on)
    except ImportError as exc:
        return _error(str(exc))
    if args.format == "json":
        _write(json.dumps(extraction.to_dict(), indent=2, ensure_ascii=False))
        return 0
    _write(_facts_text(extraction))
    return 0


def _cmd_guidance(args: argparse.Namespace) -> int:
    import visitation
    from visitation import fhir

    on: date = args.on if args.on is not None else date.today()
    try:
        extraction = _extract(args, on)
    except ImportError as exc:
        return _error(str(exc))
    assessment = visitation.evaluate(extraction.patient, _rules(args.rules), on=on)
    mapping = fhir.load_mapping(args.mapping) if args.mapping else None
    response = fhir.assessment_to_fhir(fhir.FhirAssessment(assessment, extraction), mapping=mapping)
    _write(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def _facts_text(x: Any) -> str:
    from visitation.fhir._result import _text, _value

    lines = [
        f"Patient {x.patient_ref or '(no Patient resource)'} on {x.on.isoformat()}, "
        f"mapping {x.mapping}",
        "",
        _text(list(x.provenance.values()), ("Facts",)),
    ]
    if x.conflicts:
        lines += ["", "Conflicts:"]
        for c in x.conflicts:
            shown = "; ".join(f"{_value(v)} from {s.resource}" for v, s in c.candidates)
            lines.append(f"  {c.fact}: {c.outcome}: {c.reason} [{shown}]")
    if x.unmapped:
        lines += ["", "Not mapped:"]
        for u in x.unmapped:
            code = f" {u.system}#{u.code}" if u.system else (f" {u.code}" if u.code else "")
            label = f" ({u.display})" if u.display else ""
            lines.append(f"  {u.element}{code}{label}: {u.reason} ×{u.count}")
    if x.ignored:
        shown = ", ".join(f"{k} ×{n}" for k, n in x.ignored.items())
        lines += ["", f"Resource types not read: {shown}"]
    return "\n".join(lines)
