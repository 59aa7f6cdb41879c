"""Run one fuzz input through every stage and judge the result against issue 8's properties.

A rule file goes load/check → compile → evaluate (on sample dates across the accepted
range, with a pool of patients) → every renderer in every language → the CLI. A patient
file goes load → evaluate against every bundled rule set → every renderer → the CLI.

The outcome is ``accepted``, ``rejected`` (a documented diagnostic or error, with its
codes) or ``unhandled`` (anything else: an exception that is not a ``VisitationError``, an
accepted file that fails a later stage, exit code 6 or a traceback from the CLI, raw HTML
in Markdown, control characters in text). Time and memory limits are the pool's business
(:mod:`tests.fuzz.pool`); this module runs in the limited child.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from markdown_it import MarkdownIt

import visitation
from visitation import cli as cli_module
from visitation.cli import build_parser as _build_parser
from visitation.cli import main as cli_main
from visitation.evaluate import EARLIEST, LATEST
from visitation.render import FORMATS

from .mutate import Input

BUNDLED: Final = tuple(info.key for info in visitation.list_rulesets())
"""Every bundled family@version."""

SAMPLE_DATES: Final = (
    EARLIEST,
    LATEST,
    date(1900, 2, 28),
    date(1999, 12, 31),
    date(2000, 2, 29),
    date(2024, 2, 29),
    date(2026, 1, 31),
    date(2026, 4, 30),
    date(2026, 11, 23),
    date(2100, 2, 28),
    date(2199, 11, 30),
)
"""EARLIEST, LATEST, month ends and 29 February, spread over the accepted range."""

RENDER_DATE: Final = date(2026, 11, 23)

SUBPROCESS_TIMEOUT = 20.0
"""Wall seconds the CLI as a real process may take (``run.py --hard-limit`` raises it on a
shared machine: a process that waits for the CPU has not hung)."""

EVALUATED: Final = frozenset(v | f for v in (0, 1, 3, 7) for f in (0, 8, 16, 24))
"""Exit codes of an evaluation: the verdict (0, 1, 3, 7) plus 8 (not published) and/or 16
(not in force on the date)."""

CLI_EXIT_OK: Final = EVALUATED | {2, 4, 5}
"""Every documented exit code but 6 (internal error)."""

_MD = MarkdownIt("commonmark")

# C0 and C1 controls and DEL (exactly Unicode category Cc), and the bidi marks,
# embeddings, overrides and isolates
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Outcome:
    """What became of one input."""

    status: str  # accepted | rejected | unhandled | over_time | over_memory | fuzzer_error
    phase: str  # the stage that decided: load, compile, evaluate, render, cli, subprocess
    codes: tuple[str, ...] = ()
    detail: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class Violation(Exception):
    """A property of issue 8 that an input broke (not an exception of the library)."""


def _codes(exc: visitation.VisitationError) -> tuple[str, ...]:
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        return tuple(sorted({d.code for d in diagnostics if d.severity == "error"}))
    return (type(exc).__name__,)


def _unhandled(phase: str) -> Outcome:
    return Outcome("unhandled", phase, detail=traceback.format_exc(limit=-8))


# --------------------------------------------------------------------------------------
# Output properties
# --------------------------------------------------------------------------------------


_AUTOLINK_START: Final = re.compile(r"<https?://")
"""How the Markdown renderer opens a link target: ``<`` then a tag-name-like ``http`` that
``:`` ends, which no CommonMark HTML block or inline tag can start with."""


def raw_html(markdown: str) -> list[str]:
    """The raw HTML a CommonMark renderer finds in Markdown (blocks and inline)."""
    # every CommonMark HTML block and inline tag starts with "<"; when the only ones are
    # link targets the parse (40 ms for a long page, a third of the fuzzer's time) is moot
    if "<" not in _AUTOLINK_START.sub("", markdown):
        return []
    found: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "html_block":
            found.append(token.content)
        for child in token.children or ():
            if child.type == "html_inline":
                found.append(child.content)
    return found


def controls(text: str, *, allow: str = "\n") -> list[str]:
    """Control characters (category Cc, plus bidi controls) in text, other than ``allow``."""
    return sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(text) if c not in allow})


def check_rendered(fmt: str, out: str) -> None:
    """Raise :class:`Violation` when rendered output breaks a property of issue 8."""
    if fmt == "text":
        bad = controls(out)
        if bad:
            raise Violation(f"text output holds control characters {bad}")
    elif fmt == "md":
        html = raw_html(out)
        if html:
            raise Violation(f"Markdown holds raw HTML: {html[:3]!r}")
        bad = controls(out)
        if bad:
            raise Violation(f"Markdown holds control characters {bad}")
    elif fmt == "html":
        bad = controls(out, allow="\n\t")  # a tab is white space in HTML, harmless
        if bad:
            raise Violation(f"HTML holds control characters {bad}")
    elif fmt == "json":
        json.loads(out)


def render_all(assessment: visitation.Assessment) -> None:
    """Every format in every language of the assessment, each output checked."""
    for lang in assessment.languages:
        for fmt in FORMATS:
            check_rendered(fmt, assessment.render(fmt, lang=lang))


# --------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------


_one_parser = functools.cache(_build_parser)
"""The CLI's argument parser, built once per fuzzing process (30 ms each time, for the
same subcommands and formats: nothing registers a renderer in a fuzzing worker)."""


def run_cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """``visitation.cli.main`` in this process, its output captured."""
    cli_module.build_parser = _one_parser
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def run_cli_subprocess(argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
    """``python -m visitation`` as a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "visitation", *argv],
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "VISITATION_DEBUG": "1"},
    )
    return (
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )


def judge_cli(argv: Sequence[str], code: int, out: str, err: str, expected: frozenset[int]) -> None:
    """A documented exit code other than 6 (the expected ones) and no traceback; else :class:`Violation`."""
    if code not in CLI_EXIT_OK or "Traceback" in err:
        raise Violation(f"visitation {' '.join(argv)} → exit {code}\n{err[-3000:]}")
    if code not in expected:
        raise Violation(
            f"visitation {' '.join(argv)} → exit {code}, expected {sorted(expected)}\n{err[-1500:]}"
        )
    bad = controls(err)
    if bad:
        raise Violation(f"visitation {' '.join(argv)}: stderr holds control characters {bad}")
    if "--format" in argv and argv[argv.index("--format") + 1] == "text":
        check_rendered("text", out)


# --------------------------------------------------------------------------------------
# Timing of each call
# --------------------------------------------------------------------------------------


class Clock:
    """The slowest single call of an input, in CPU seconds of this process.

    CPU time, not wall time: the fuzzer shares two cores with other work, and a call that
    waits for the CPU has not taken longer. (A call that hangs is caught by the pool's wall
    clock.) A CLI run in a subprocess is timed by its own limit.
    """

    def __init__(self) -> None:
        self.slowest = 0.0
        self.what = ""

    @contextlib.contextmanager
    def time(self, what: str) -> Iterator[None]:
        start = time.process_time()
        try:
            yield
        finally:
            took = time.process_time() - start
            if took > self.slowest:
                self.slowest, self.what = took, what


_COUNTER = itertools.count()


def _fresh(workdir: Path, stem: str, suffix: str) -> Path:
    """A path never used before in this process (caches keyed by path never see it)."""
    return workdir / f"{stem}-{os.getpid()}-{next(_COUNTER)}{suffix}"


# --------------------------------------------------------------------------------------
# Rule files
# --------------------------------------------------------------------------------------


def run_rules(
    inp: Input,
    workdir: Path,
    patients: Sequence[visitation.Patient],
    clock: Clock,
    *,
    choice: int,
    subprocess_cli: bool,
) -> Outcome:
    """A rule file through check, compile, evaluate, render and the CLI."""
    path = _fresh(workdir, "rules", inp.suffix)
    path.write_bytes(inp.data)
    patient_path = _fresh(workdir, "patient", ".json")
    patient_path.write_text(
        patients[choice % len(patients)].model_dump_json(exclude_none=True), encoding="utf-8"
    )
    fmt = FORMATS[choice % len(FORMATS)]
    phase = "load"
    try:
        with clock.time("check_text"):
            diagnostics = visitation.check_text(inp.data, path=str(path))
        errors = tuple(sorted({d.code for d in diagnostics if d.severity == "error"}))
        try:
            with clock.time("load_ruleset_file"):
                ruleset = visitation.load_ruleset_file(path)
        except visitation.RuleFileError as exc:
            if not errors:
                raise Violation(f"check_text found no error but loading raised {exc}") from None
            phase = "cli"
            argv = ["check", str(path)]
            with clock.time("cli check"):
                judge_cli(argv, *run_cli(argv), expected=frozenset({5}))
            if choice % 8 == 0:
                argv = ["evaluate", str(patient_path), "--rules", str(path), "--on", "2026-11-23"]
                with clock.time("cli evaluate"):
                    judge_cli(argv, *run_cli(argv), expected=frozenset({5}))
            if subprocess_cli:
                phase = "subprocess"
                for argv in (
                    ["check", str(path)],
                    ["evaluate", str(patient_path), "--rules", str(path), "--on", "2026-11-23"],
                ):
                    judge_cli(
                        argv, *run_cli_subprocess(argv, SUBPROCESS_TIMEOUT), expected=frozenset({5})
                    )
            return Outcome("rejected", "load", codes=errors)
        if errors:
            raise Violation(f"check_text found errors {errors} but the file loaded")

        phase = "compile"
        with clock.time("compile_ruleset"):
            program = visitation.compile_ruleset(ruleset)
        with clock.time("Library.compile"):
            visitation.Library(bundled=False).compile(ruleset)

        phase = "evaluate"
        for day in SAMPLE_DATES:
            with clock.time(f"evaluate_core x{len(patients)} on {day}"):
                for patient in patients:
                    core = visitation.evaluate_core(program, visitation.facts_of(patient), day)
                    if len(core.statuses) != len(program.rules):
                        raise Violation(
                            f"{len(core.statuses)} statuses for {len(program.rules)} rules"
                        )
            with clock.time(f"evaluate on {day}"), contextlib.suppress(visitation.PatientFileError):
                # facts can contradict the date (a referral after it): a documented error
                visitation.evaluate(patients[day.toordinal() % len(patients)], program, on=day)

        phase = "render"
        for patient in (patients[0], patients[choice % len(patients)]):
            a = visitation.evaluate(patient, program, on=RENDER_DATE)
            with clock.time("render every format and language"):
                render_all(a)

        phase = "cli"
        argv = ["check", str(path)]
        with clock.time("cli check"):
            judge_cli(argv, *run_cli(argv), expected=frozenset({0}))
        argv = ["evaluate", str(patient_path), "--rules", str(path), "--on", "2026-11-23"]
        argv += ["--format", fmt]
        with clock.time("cli evaluate"):
            judge_cli(argv, *run_cli(argv), expected=EVALUATED)
        if subprocess_cli:
            phase = "subprocess"
            judge_cli(
                ["check", str(path)],
                *run_cli_subprocess(["check", str(path)], SUBPROCESS_TIMEOUT),
                expected=frozenset({0}),
            )
            argv[-1] = "text"
            judge_cli(argv, *run_cli_subprocess(argv, SUBPROCESS_TIMEOUT), expected=EVALUATED)
    except MemoryError:
        raise
    except Violation as exc:
        return Outcome("unhandled", phase, detail=f"{exc}\n{traceback.format_exc(limit=-4)}")
    except Exception:
        return _unhandled(phase)
    finally:
        path.unlink(missing_ok=True)
        patient_path.unlink(missing_ok=True)
    return Outcome("accepted", "cli")


# --------------------------------------------------------------------------------------
# Patient files
# --------------------------------------------------------------------------------------


def run_patient(
    inp: Input, workdir: Path, clock: Clock, *, choice: int, subprocess_cli: bool
) -> Outcome:
    """A patient file through load, evaluate against every bundled rule set, render, CLI."""
    path = _fresh(workdir, "patient", inp.suffix)
    path.write_bytes(inp.data)
    fmt = FORMATS[choice % len(FORMATS)]
    phase = "load"
    try:
        try:
            with clock.time("load_patient"):
                patient = visitation.load_patient(path)
        except visitation.VisitationError as exc:
            codes = _codes(exc)
            phase = "cli"
            argv = ["evaluate", str(path), "--on", "2026-11-23"]
            with clock.time("cli evaluate"):
                judge_cli(argv, *run_cli(argv), expected=frozenset({4}))
            if subprocess_cli:
                phase = "subprocess"
                judge_cli(
                    argv, *run_cli_subprocess(argv, SUBPROCESS_TIMEOUT), expected=frozenset({4})
                )
            return Outcome("rejected", "load", codes=codes)

        phase = "evaluate"
        refused_on = visitation.check_on(patient, RENDER_DATE)
        if refused_on:  # valid facts that contradict the date the CLI evaluates on
            phase = "cli"
            argv = ["evaluate", str(path), "--on", RENDER_DATE.isoformat()]
            with clock.time("cli evaluate"):
                judge_cli(argv, *run_cli(argv), expected=frozenset({4}))
            return Outcome(
                "rejected", "evaluate", codes=tuple(sorted({d.code for d in refused_on}))
            )
        facts = visitation.facts_of(patient)
        for spec in BUNDLED:
            for day in SAMPLE_DATES:
                program = visitation.resolve(spec, day)
                with clock.time(f"evaluate_core {spec} on {day}"):
                    visitation.evaluate_core(program, facts, day)
            for day in (SAMPLE_DATES[choice % len(SAMPLE_DATES)], RENDER_DATE):
                with clock.time(f"evaluate {spec} on {day}"):
                    try:
                        a = visitation.evaluate(patient, spec, on=day)
                    except visitation.PatientFileError:  # facts contradict the date
                        if day == RENDER_DATE:
                            raise
                        continue
            phase = "render"
            with clock.time(f"render {spec}"):
                render_all(a)
            phase = "evaluate"

        phase = "cli"
        argv = ["evaluate", str(path), "--rules", "dk-national@2.0.0", "--on", "2026-11-23"]
        argv += ["--format", fmt]
        with clock.time("cli evaluate"):
            judge_cli(argv, *run_cli(argv), expected=EVALUATED)
        if subprocess_cli:
            phase = "subprocess"
            argv[-1] = "text"
            judge_cli(argv, *run_cli_subprocess(argv, SUBPROCESS_TIMEOUT), expected=EVALUATED)
    except MemoryError:
        raise
    except Violation as exc:
        return Outcome("unhandled", phase, detail=f"{exc}\n{traceback.format_exc(limit=-4)}")
    except Exception:
        return _unhandled(phase)
    finally:
        path.unlink(missing_ok=True)
    return Outcome("accepted", "cli")


def run_input(
    inp: Input,
    workdir: Path,
    patients: Sequence[visitation.Patient],
    *,
    choice: int = 0,
    subprocess_cli: bool = False,
) -> Outcome:
    """One input through its pipeline; ``seconds`` is its slowest single call."""
    clock = Clock()
    if inp.kind == "rules":
        outcome = run_rules(
            inp, workdir, patients, clock, choice=choice, subprocess_cli=subprocess_cli
        )
    else:
        outcome = run_patient(inp, workdir, clock, choice=choice, subprocess_cli=subprocess_cli)
    outcome.seconds = clock.slowest
    outcome.extra["slowest_call"] = clock.what
    return outcome
