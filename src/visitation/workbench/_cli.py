"""``visitation diff``, ``test``, ``show`` and ``lock``: the author's commands.

``add_parsers(sub, formatter)`` registers them; ``version_diagnostics(path, dirs)`` gives
``visitation check`` the checks across versions of one file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from visitation import (
    Diagnostic,
    Library,
    RuleFileError,
    RuleSet,
    UnknownRuleSet,
    content_hash,
    load_yaml,
)
from visitation.render.escape import visible
from visitation.workbench._api import diff
from visitation.workbench._diff_render import DIFF_FORMATS
from visitation.workbench._paths import add_rules_dir, library_for
from visitation.workbench._specs import Named, is_path, named
from visitation.workbench.cases import (
    CASE_FILE_SCHEMA,
    CaseResult,
    Coverage,
    LoadedCases,
    load_case_file,
    run_case,
)
from visitation.workbench.show import SHOW_FORMATS, render_show
from visitation.workbench.versions import LOCK_NAME, check_path, lock_lines, read_lock

__all__ = ["add_parsers", "version_diagnostics"]

_OK, _FAILED, _USAGE, _INVALID = 0, 1, 2, 5

DIFF_EPILOG = """\
examples:
  visitation diff dk-national@2.0.0 dk-national@3.0.0
  visitation diff rules/dk-national/2.0.0.yaml drafts/dk-national/2.1.0.yaml --format md
  visitation diff dk-national@3.0.0 dk-hovedstaden@2.0.0 --lang da

Shows rules added, removed and renamed, conditions changed (in words), wording per
language, pathways, definitions and sources, each marked MAJOR, MINOR or PATCH, then the
checks of B against A (version step, change list, dates, status, released.lock). Exit
code 0 when the checks pass, 5 when one fails or a rule set cannot be read.
"""

TEST_EPILOG = """\
examples:
  visitation test tests/cases/dk-national/2.0.0.yaml
  visitation test tests/cases --coverage
  visitation test my-cases.yaml --rules drafts/dk-national/2.1.0.yaml
  visitation test --schema > case-file.schema.json

Runs case files (a directory: every .yaml under it) against the rule set each names, or
against --rules (a rule file, or a directory of <family>/<version>.yaml files). Each
failure is printed as path:line:col: case-failed: message, at the expectation. Exit code
0 when every case passes (and, with --require-coverage, every rule, pathway and referral
is shown in each status), 1 otherwise, 5 when a case or rule file cannot be read.
"""

SHOW_EPILOG = """\
examples:
  visitation show dk-national@3.0.0 --format html --lang da > sign-off.html
  visitation show drafts/dk-national/4.0.0.yaml --format md

Every pathway, rule and definition with its condition in words, explanations, source,
provenance and rationale, for clinical sign-off; the HTML prints on paper.
"""

LOCK_EPILOG = f"""\
examples:
  visitation lock rules/dk-national

Adds to <family>/{LOCK_NAME} a line 'version sha256:…' for each published or retired
version it lacks. It never rewrites a line: a released file whose content changed is an
error (released-changed), exit code 5.
"""


def add_parsers(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Register ``diff``, ``test``, ``show`` and ``lock``."""
    df = sub.add_parser(
        "diff",
        help="compare two rule sets rule by rule, and check the version step",
        description="Compare rule set A with B rule by rule; check B against A.",
        epilog=DIFF_EPILOG,
        formatter_class=formatter,
    )
    df.add_argument("a", metavar="A", help="family@version or a rule file")
    df.add_argument("b", metavar="B", help="family@version or a rule file")
    df.add_argument("--format", choices=DIFF_FORMATS, default="text")
    df.add_argument("--lang", metavar="LANG", default=None, help="language of titles and words")
    add_rules_dir(df)
    df.set_defaults(handler=cmd_diff)

    ts = sub.add_parser(
        "test",
        help="run case files against rule sets (a coverage table with --coverage)",
        description="Run case files against rule sets and report failures and coverage.",
        epilog=TEST_EPILOG,
        formatter_class=formatter,
    )
    ts.add_argument("files", metavar="CASEFILE", nargs="*", help="case files or directories")
    ts.add_argument(
        "--rules",
        metavar="FILE|DIR",
        default=None,
        help="run against this rule file (whatever the case files name), or look the named "
        "versions up in this directory",
    )
    ts.add_argument("--coverage", action="store_true", help="print the coverage table")
    ts.add_argument(
        "--require-coverage",
        action="store_true",
        help="fail unless every rule, pathway and referral is shown in each status",
    )
    ts.add_argument("--format", choices=("text", "json"), default="text")
    ts.add_argument("--schema", action="store_true", help="print the case file JSON Schema")
    add_rules_dir(ts)
    ts.set_defaults(handler=cmd_test)

    sh = sub.add_parser(
        "show",
        help="a readable view of a rule set for clinical sign-off (Markdown or HTML)",
        description="Print every pathway, rule and condition in words, for sign-off.",
        epilog=SHOW_EPILOG,
        formatter_class=formatter,
    )
    sh.add_argument("rules", metavar="RULES", help="family@version, family, or a rule file")
    sh.add_argument("--format", choices=SHOW_FORMATS, default="md")
    sh.add_argument("--lang", metavar="LANG", default=None, help="da or en (default: en)")
    sh.add_argument(
        "--on", metavar="DATE", default=None, help="for a bare family: the date (default: today)"
    )
    add_rules_dir(sh)
    sh.set_defaults(handler=cmd_show)

    lk = sub.add_parser(
        "lock",
        help=f"record the content hash of released versions in {LOCK_NAME}",
        description=f"Add the released versions of each family directory to its {LOCK_NAME}.",
        epilog=LOCK_EPILOG,
        formatter_class=formatter,
    )
    lk.add_argument("dirs", metavar="DIR", nargs="+", help="family directories")
    lk.set_defaults(handler=cmd_lock)


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(visible(f"visitation: error: {text}") + "\n")


# -- check -----------------------------------------------------------------------------


def version_diagnostics(path: str | Path, dirs: list[Path] | None = None) -> list[Diagnostic]:
    """The checks across versions of one rule file (that loads), for ``visitation check``."""
    return check_path(path, library_for(dirs))


# -- diff ------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    """``visitation diff``."""
    lib = library_for(args.rules_dir)
    d = diff(args.a, args.b, library=lib)
    if args.lang is not None and args.lang not in (*d.a.languages, *d.b.languages):
        _err(f"neither rule set has text in '{args.lang}'")
        return _USAGE
    _out(d.render(args.format, args.lang))
    return _INVALID if any(x.severity == "error" for x in d.diagnostics) else _OK


# -- test ------------------------------------------------------------------------------


def _case_files(items: list[str]) -> list[Path]:
    out: list[Path] = []
    for item in items:
        p = Path(item)
        out += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
    return out


def _ruleset_for(loaded: LoadedCases, rules: str | None, lib: Library) -> Named:
    key = loaded.cases.ruleset
    if rules is None:
        return named(key, lib)
    p = Path(rules)
    if p.is_dir():
        family, _, version = key.partition("@")
        for candidate in (p / family / f"{version}.yaml", p / f"{version}.yaml"):
            if candidate.is_file():
                return named(candidate, lib)
        raise UnknownRuleSet(f"{p} has no {family}/{version}.yaml (for {loaded.path})")
    return named(p, lib)


def _coverage_warnings(c: Coverage, path: Path) -> list[Diagnostic]:
    doc = load_yaml(path.read_bytes(), path=str(path)) if path.is_file() else None
    return c.diagnostics(doc)


def cmd_test(args: argparse.Namespace) -> int:
    """``visitation test``."""
    if args.schema:
        _out(json.dumps(CASE_FILE_SCHEMA, indent=2, ensure_ascii=False))
        return _OK
    if not args.files:
        _err("name case files (or directories of them), or --schema")
        return _USAGE
    lib = library_for(args.rules_dir)
    results: list[CaseResult] = []
    by_ruleset: dict[str, list[CaseResult]] = defaultdict(list)
    rulesets: dict[str, RuleSet] = {}
    files: dict[str, Path] = {}
    lines: list[str] = []
    for path in _case_files(args.files):
        try:
            loaded = load_case_file(path)
        except RuleFileError as exc:
            _err(f"invalid case file {path}:")
            for d in exc.diagnostics:
                sys.stderr.write(visible(str(d)) + "\n")
            return _INVALID
        found = _ruleset_for(loaded, args.rules, lib)
        rs = found.ruleset
        rulesets[content_hash(rs)] = rs
        files[content_hash(rs)] = found.path
        against = "" if rs.key == loaded.cases.ruleset else f" (written for {loaded.cases.ruleset})"
        lines.append(f"{path}: {rs.key}{against}")
        for i in range(len(loaded.cases.cases)):
            r = run_case(loaded, i, rs, library=lib)
            results.append(r)
            by_ruleset[content_hash(rs)].append(r)
            lines.append(f"  {'✓' if r.passed else '✗'} {r.name}")
            lines += [f"      {d}" for d in r.failures]
    coverages = [Coverage.of(rs, by_ruleset[h]) for h, rs in rulesets.items()]
    failed = sum(not r.passed for r in results)
    gaps = [
        str(g)
        for h, c in zip(rulesets, coverages, strict=True)
        for g in _coverage_warnings(c, files[h])
    ]
    code = _FAILED if failed or (args.require_coverage and gaps) else _OK
    if args.format == "json":
        _out(
            json.dumps(
                {
                    "cases": [r.to_json() for r in results],
                    "coverage": [c.to_json() for c in coverages],
                    "passed": sum(r.passed for r in results),
                    "failed": failed,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return code
    out = [visible(x) for x in lines]
    if args.coverage:
        for c in coverages:
            out += ["", *_coverage_table(c)]
    if gaps:
        out += ["", *(visible(g) for g in gaps)]
    n = len(results)
    summary = f"{n} case{'s' if n != 1 else ''}: {n - failed} passed, {failed} failed"
    if gaps:
        summary += f"; {len(gaps)} coverage gap{'s' if len(gaps) != 1 else ''}"
    out += ["", summary]
    _out("\n".join(out))
    return code


def _coverage_table(c: Coverage) -> list[str]:
    rows = c.rows()
    width = max([len(i) for _, i, _ in rows] + [10])
    out = [f"COVERAGE {c.ruleset.key}"]
    heads = {
        "rule": ("met", "not met", "unknown"),
        "indicator": ("met", "not met", "unknown"),
        "pathway": ("eligible", "not elig.", "indeterm."),
        "referral": ("ready", "not ready", "unknown"),
    }
    keys = {
        "rule": ("met", "not_met", "unknown"),
        "indicator": ("met", "not_met", "unknown"),
        "pathway": ("eligible", "not_eligible", "indeterminate"),
        "referral": ("ready", "not_ready", "unknown"),
    }
    last = None
    for kind, item, seen in rows:
        if kind != last:
            out.append(f"  {kind:<{width + 2}}" + "".join(f"{h:>11}" for h in heads[kind]))
            last = kind
        cells = "".join(f"{(str(seen[k]) if seen.get(k) else '✗ 0'):>11}" for k in keys[kind])
        out.append(f"    {item:<{width}}{cells}")
    return out


# -- show ------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    """``visitation show``."""
    lib = library_for(args.rules_dir)
    spec: str | Path = Path(args.rules) if is_path(args.rules) else args.rules
    on = date.fromisoformat(args.on) if args.on else date.today()
    rs = lib.load(spec, on=on)
    lang = args.lang or ("en" if "en" in rs.languages else rs.languages[0])
    if lang not in rs.languages:
        _err(f"{rs.key} has no text in '{lang}'; its languages: {', '.join(rs.languages)}")
        return _USAGE
    _out(render_show(rs, args.format, lang))
    return _OK


# -- lock ------------------------------------------------------------------------------


def cmd_lock(args: argparse.Namespace) -> int:
    """``visitation lock``."""
    code = _OK
    for raw in args.dirs:
        folder = Path(raw)
        lock_file = folder / LOCK_NAME
        lock, problems = read_lock(lock_file)
        if problems:
            for d in problems:
                _err(str(d))
            code = _INVALID
            continue
        lib = Library(bundled=False)
        rulesets = [lib.load(f) for f in sorted(folder.glob("*.yaml")) if f.stem[:1].isdigit()]
        known = dict(lock.entries) if lock else {}
        new: list[str] = []
        for line in lock_lines(rulesets):
            version, digest = line.split()
            if version not in known:
                new.append(line)
            elif known[version][0] != digest:
                _err(
                    f"{lock_file}:{known[version][1]}: released-changed: {version} was "
                    f"released as {known[version][0][:19]}…, its file is now {digest[:19]}…"
                )
                code = _INVALID
        if new:
            family = folder.resolve().name
            head = (
                ""
                if lock_file.exists()
                else f"# Content hashes of the released versions of {family}: a released file "
                "never changes.\n# `visitation check` compares each file with its line; "
                "`visitation lock` adds a new release.\n"
            )
            with lock_file.open("a", encoding="utf-8") as fh:
                fh.write(head + "".join(f"{line}\n" for line in new))
        _out(f"{lock_file}: {len(new)} line{'s' if len(new) != 1 else ''} added")
    return code
