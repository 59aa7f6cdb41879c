"""The Python examples of README.md and docs/getting-started.md run, and print what they show.

Each file's ```python blocks run in order, in one namespace per file (as a reader would
paste them into one session), with the repository root as the working directory. A
block right after a line ``<!-- docs-test: skip: REASON -->`` is not run; the reason is
required, so the page says why. When a ```text block follows an example (blank lines
between them are fine), it is what the example prints, and the test holds it to that;
show output that cannot be reproduced exactly in a plain ``` block instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import re
import subprocess
import sys
import textwrap
import traceback
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/getting-started.md")

FENCE = re.compile(r"^\s*```(?P<lang>\S*)\s*$")
SKIP = re.compile(r"^\s*<!--\s*docs-test:\s*skip\b:?\s*(?P<reason>.*?)\s*-->\s*$")


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: str
    line: int
    """Line number of the opening fence (1-based)."""
    closing: int
    """Line number of the closing fence."""
    lang: str
    code: str
    skip: str | None = None
    """Why the block is not run, when a skip marker precedes it."""
    output: str | None = None
    """For a python block: the ```text block that follows it, if any."""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Parsed:
    """The fenced blocks of one file, and the problems with its skip markers."""

    blocks: tuple[Block, ...]
    problems: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Run:
    """One python block's result: what it printed, or the traceback of what it raised."""

    block: Block
    printed: str
    error: str | None


@cache
def parse(path: str) -> Parsed:
    """Every fenced block of ``path`` (relative to the repository root), in order."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    problems: list[str] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        marker = SKIP.match(lines[i])
        if marker is not None:
            after = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
            if after is None or after["lang"] != "python":
                problems.append(f"{path}:{i + 1}: a skip marker must stand right before ```python")
            elif not marker["reason"]:
                problems.append(f"{path}:{i + 1}: a skip marker must say why the block is skipped")
        if opening is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        if end == len(lines):
            problems.append(f"{path}:{i + 1}: the code block is never closed")
        previous = SKIP.match(lines[i - 1]) if i > 0 else None
        found.append(
            Block(
                path=path,
                line=i + 1,
                closing=end + 1,
                lang=opening["lang"],
                code=textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n",
                skip=(previous["reason"] or "no reason given") if previous else None,
            )
        )
        i = end + 1
    return Parsed(tuple(_with_outputs(found, lines)), tuple(problems))


def _with_outputs(found: list[Block], lines: list[str]) -> list[Block]:
    """Attach to each python block the ```text block that follows it across blank lines."""
    out: list[Block] = []
    for block, following in zip(found, [*found[1:], None], strict=True):
        if block.lang == "python" and following is not None and following.lang == "text":
            between = lines[block.closing : following.line - 1]
            if all(not line.strip() for line in between):
                block = dataclasses.replace(block, output=following.code)
        out.append(block)
    return out


@cache
def run(path: str) -> tuple[Run, ...]:
    """Run the python blocks of ``path`` in order in one namespace; stop at the first error."""
    namespace: dict[str, object] = {"__name__": f"docs:{path}"}
    runs: list[Run] = []
    for block in parse(path).blocks:
        if block.lang != "python" or block.skip is not None:
            continue
        # Leading newlines make tracebacks name the line of the Markdown file.
        code = compile("\n" * block.line + block.code, str(ROOT / path), "exec")
        printed = io.StringIO()
        error = None
        with contextlib.chdir(ROOT), contextlib.redirect_stdout(printed):
            try:
                exec(code, namespace)
            except Exception:
                error = traceback.format_exc()
        runs.append(Run(block, printed.getvalue(), error))
        if error is not None:
            break
    return tuple(runs)


@pytest.mark.parametrize("path", DOCS)
def test_skip_markers_say_why(path: str) -> None:
    """Every skip marker gives a reason and stands right before a ```python block."""
    problems = parse(path).problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", DOCS)
def test_python_examples_run(path: str) -> None:
    """Every ```python block of the file runs without raising, in order, in one namespace."""
    runs = run(path)
    assert runs, f"{path}: no ```python block to run"
    for r in runs:
        assert r.error is None, f"{r.block.where}: the example raised:\n{r.error}"


@pytest.mark.parametrize("path", DOCS)
def test_python_examples_print_what_is_shown(path: str) -> None:
    """A ```text block right after an example is exactly what the example prints."""
    wrong = []
    for r in run(path):
        shown = r.block.output
        if r.error is None and shown is not None and r.printed.rstrip() != shown.rstrip():
            diff = difflib.unified_diff(
                shown.rstrip().splitlines(),
                r.printed.rstrip().splitlines(),
                "shown",
                "printed",
                lineterm="",
            )
            wrong.append(
                f"{r.block.where}: the output shown is not what it prints:\n" + "\n".join(diff)
            )
    assert not wrong, "\n\n".join(wrong)


def test_facts_page_is_current() -> None:
    """docs/facts.md is what docs/_gen_facts.py generates from the facts catalogue now."""
    run = subprocess.run(
        [sys.executable, "docs/_gen_facts.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
