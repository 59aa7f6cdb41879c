"""The project's own fuzzing at a small budget: mutated rule and patient files end well.

Hypothesis draws the input numbers (derandomized, so every run draws the same ones); each
number is one mutated input (:func:`tests.fuzz.mutate.make_input`), run in limited worker
processes (:mod:`tests.fuzz.pool`). One module-scoped run feeds the property tests below;
the long command is ``python -m tests.fuzz.run`` (docs/fuzzing.md).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import visitation

from .harness import Outcome, controls, raw_html, run_input
from .mutate import Input, make_input, seeds
from .pool import run_seeds, sample_patients

BUDGET = 120
"""Inputs per test-suite run (the long command runs 100,000)."""

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")

Results = dict[int, Outcome]


def drawn_seeds(n: int) -> list[int]:
    """``n`` input numbers drawn by hypothesis, the same on every run."""
    found: list[int] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.integers(min_value=0, max_value=2**31))
    def collect(seed: int) -> None:
        if seed not in found:
            found.append(seed)

    collect()
    return found[:n]


@pytest.fixture(scope="module")
def results() -> Results:
    """The outcome of every drawn input (two workers, 2 s CPU per call, 512 MiB each)."""
    return dict(run_seeds(drawn_seeds(BUDGET), jobs=2, hard_limit=60.0))


def _findings(results: Results, phases: set[str]) -> list[str]:
    return [
        f"seed {seed} ({make_input(seed).recipe}): {o.status} in {o.phase}\n{o.detail[-1500:]}"
        for seed, o in sorted(results.items())
        if o.status == "unhandled" and o.phase in phases
    ]


def test_the_run_reaches_every_stage(results: Results) -> None:
    """Every input is built, and the mutations are not all rejected at the parser: some rule
    files and patients are accepted (so compile, evaluate, the renderers and the CLI run)."""
    kinds = Counter((make_input(seed).kind, o.status) for seed, o in results.items())
    assert len(results) == BUDGET
    assert [s for s, o in results.items() if o.status == "fuzzer_error"] == []
    assert kinds["rules", "accepted"] >= 3, kinds
    assert kinds["patient", "accepted"] >= 3, kinds
    assert kinds["rules", "rejected"] >= 20, kinds
    assert kinds["patient", "rejected"] >= 20, kinds


def test_mutated_files_load_to_acceptance_or_a_diagnostic(results: Results) -> None:
    """Checking a mutated rule file or loading a mutated patient file gives a result or a
    VisitationError with diagnostics, never another exception."""
    assert _findings(results, {"load", "build"}) == []


def test_accepted_rule_files_compile_and_evaluate_on_every_sample_date(results: Results) -> None:
    """Every accepted rule file compiles and evaluates on EARLIEST, LATEST, month ends and
    29 February; every accepted patient evaluates against every bundled rule set."""
    assert _findings(results, {"compile", "evaluate"}) == []


def test_rendered_output_holds_no_raw_html_or_control_characters(results: Results) -> None:
    """Markdown of every accepted input holds no raw HTML (markdown-it-py); text, Markdown
    and HTML hold no control characters other than newline."""
    assert _findings(results, {"render"}) == []


def test_the_cli_exits_with_a_documented_code_and_no_traceback(results: Results) -> None:
    """``visitation check`` and ``visitation evaluate`` on every input exit with the
    documented code the input calls for (never 6, the internal error) and no traceback."""
    assert _findings(results, {"cli", "subprocess", "run"}) == []


def test_no_input_is_over_the_time_or_memory_limit(results: Results) -> None:
    """No input makes a call take more than 2 s of CPU or a worker pass 512 MiB."""
    over = {
        s: (o.status, o.phase, o.detail) for s, o in results.items() if o.status.startswith("over")
    }
    assert over == {}


# --------------------------------------------------------------------------------------
# The fuzzer's own machinery can fail
# --------------------------------------------------------------------------------------


def test_each_seed_file_is_used_and_inputs_are_reproducible() -> None:
    """The seeds are the bundled rule files and the example patients (YAML and JSON), and
    the same number gives the same bytes."""
    names = {s.name for s in seeds()}
    assert {"rules/dk-national/2.0.0.yaml", "examples/eligible-cancer-hospice.yaml"} <= names
    assert "examples/eligible-cancer-hospice.yaml.json" in names
    assert make_input(12345) == make_input(12345)
    assert make_input(12345) != make_input(12346)


def test_an_input_with_a_lone_surrogate_is_made() -> None:
    """Seed 1008950 (block YAML of a tree holding a lone surrogate, which PyYAML's C
    emitter refuses) is made as JSON text instead of stopping the long run."""
    inp = make_input(1008950)
    assert inp.kind == "rules" and len(inp.data) > 1_000


def test_the_properties_see_raw_html_and_controls() -> None:
    """The Markdown check finds raw HTML blocks and inline tags, and the control check
    finds ESC, C1 controls and bidi overrides but allows newlines."""
    assert raw_html("x\n\n<script>alert(1)</script>\n") != []
    assert raw_html("a <b>bold</b> word") == ["<b>", "</b>"]
    assert raw_html("a \\<b\\> word") == []
    assert raw_html("a (<https://example.org/a>) link") == []
    assert raw_html("a (<https://example.org/>) then <em>x</em>") == ["<em>", "</em>"]
    assert controls("a\nb") == []
    assert controls("a\x1b[31mb\x85c\u202ed") == ["U+001B", "U+0085", "U+202E"]


def test_the_pool_reports_an_input_over_the_time_limit() -> None:
    """A worker that passes the wall-clock limit is killed and its input is over time."""
    (only,) = run_seeds([2], jobs=1, hard_limit=0.001, patients=[visitation.Patient()])
    assert only[1].status == "over_time"


def test_the_pool_reports_an_input_over_the_memory_limit() -> None:
    """A worker whose address-space limit is too small for the input ends over memory.

    Run from a fresh interpreter: a worker forked from the whole test session starts with
    its heap's free space already mapped, which a big input may fit in without growing."""
    script = (
        "import visitation\n"
        "from tests.fuzz.mutate import Input\n"
        "from tests.fuzz.pool import run_seeds\n"
        "items = ''.join(f'  - measure {i}\\n' for i in range(19_000))\n"
        "big = Input('patient', '.yaml', f'age: 70\\nmeasures_tried:\\n{items}'.encode(), 'big')\n"
        "((_, out),) = run_seeds([0], jobs=1, memory_limit=8 * 2**20, time_limit=120.0,\n"
        "                        patients=[visitation.Patient()], make=lambda _: big)\n"
        "print(out.status, out.detail)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("over_memory"), proc.stdout[-2000:]


HOSTILE = MINIMAL.replace(
    'url: "https://example.org"',
    'url: "https://example.org/\\n<script src=https://evil.example/x.js></script>\\n"',
).replace(
    "title: {da: Voksen, en: Adult}",
    'title: {da: Voksen, en: "\\e[31m\\u202eAdult <img src=x onerror=alert(1)>"}',
)


def test_the_hostile_rule_file_is_accepted_by_the_checker() -> None:
    """The hostile rule file below is a valid rule file (so it reaches the renderers)."""
    assert HOSTILE != MINIMAL
    errors = [d for d in visitation.check_text(HOSTILE) if d.severity == "error"]
    assert errors == []


def test_a_hostile_rule_file_renders_no_raw_html_and_no_controls() -> None:
    """A rule file whose source URL holds a newline and a script tag, and whose title holds
    ESC and U+202E, renders Markdown without raw HTML and text without controls."""
    with tempfile.TemporaryDirectory() as tmp:
        inp = Input("rules", ".yaml", HOSTILE.encode(), "hostile source url and title")
        outcome = run_input(inp, Path(tmp), sample_patients(1))
    assert outcome.status == "accepted", outcome.detail
