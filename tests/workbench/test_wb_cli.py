"""The author's commands: diff, test, show, lock, the checks across versions in check,
and rule directories outside the package (--rules-dir, VISITATION_RULES_PATH).

Golden files ``tests/golden/workbench/*`` hold the standard output of ``diff`` and ``show``
on released versions (their files never change); after an intended change of the output::

    VISITATION_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/workbench/test_wb_cli.py -k golden
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from wb_helpers import entry, line_of, make_draft

from visitation.cli import main
from visitation.registry import bundled_rules_dir
from visitation.render import escape

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "workbench"
CASES = ROOT / "tests" / "cases"
UPDATE_GOLDEN = bool(os.environ.get("VISITATION_UPDATE_GOLDEN"))
EORTC = "when: {fact: eortc_date, within_days: 30}"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _compare_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with VISITATION_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs"


# -- golden ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "md", "json", "html"])
def test_golden_diff(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`diff dk-hovedstaden@1.0.0 dk-hovedstaden@2.0.0` matches its golden file."""
    code, out, err = run(
        capsys, "diff", "dk-hovedstaden@1.0.0", "dk-hovedstaden@2.0.0", "--format", fmt
    )
    assert code == 0, err
    extension = "txt" if fmt == "text" else fmt
    _compare_golden(f"diff-hovedstaden-1-2.{extension}", out)


@pytest.mark.parametrize(("fmt", "lang"), [("md", "da"), ("md", "en"), ("html", "da")])
def test_golden_show(fmt: str, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`show dk-hovedstaden@2.0.0` matches its golden file, per language and format."""
    code, out, err = run(capsys, "show", "dk-hovedstaden@2.0.0", "--format", fmt, "--lang", lang)
    assert code == 0, err
    _compare_golden(f"show-hovedstaden-2.{lang}.{fmt}", out)


# -- diff and check ----------------------------------------------------------------------


def test_the_issue_draft_fails_check_and_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The draft of the issue (2.0.0 copied to 2.1.0, EORTC 30 → 14 days, a rule added, a
    change entry that omits it, status published under a provisional title) now fails
    `check` and `diff`, every problem located in the draft."""
    source = (bundled_rules_dir() / "dk-national/2.0.0.yaml").read_text(encoding="utf-8")
    start = source.index("  - id: hospice.adult\n")
    block = source[start : source.index("  - id:", start + 5)]
    path = make_draft(
        tmp_path,
        "dk-national/2.0.0.yaml",
        "2.1.0",
        [
            (EORTC, EORTC.replace("30", "14")),
            (block, block + block.replace("hospice.adult", "hospice.adult-again")),
            ("status: provisional", "status: published"),
        ],
        entry("2.1.0", "basic.needs-assessment:changed"),
    )
    code, out, _ = run(capsys, "check", path)
    assert code == 5
    where = f"{path}:{line_of(path, 'within_days: 14')}:5: needs-major-version:"
    assert where in out
    assert f"{path}:{line_of(path, 'id: hospice.adult-again')}:5: changes-incomplete:" in out
    assert out.count("provisional-wording") == 3
    assert "1 file checked: 6 errors, 0 warnings (1 file with errors)" in out
    code, out, _ = run(capsys, "diff", "dk-national@2.0.0", path)
    assert code == 5
    assert "- date of EORTC QLQ-C15-PAL is 0 to 30 days before the evaluation date" in out
    assert "+ date of EORTC QLQ-C15-PAL is 0 to 14 days before the evaluation date" in out
    assert where in out


def test_diff_of_an_unknown_version_exits_5(capsys: pytest.CaptureFixture[str]) -> None:
    """A version the family does not have is an error naming the versions there are."""
    code, _, err = run(capsys, "diff", "dk-national@2.0.0", "dk-national@9.0.0")
    assert code == 5 and "dk-national has no version 9.0.0; versions: 1.0.0, " in err


# -- test --------------------------------------------------------------------------------


def _cases(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "cases.yaml"
    f.write_text(text, encoding="utf-8")
    return f


def test_the_project_case_files_pass_with_full_coverage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`visitation test tests/cases --require-coverage --coverage` passes and prints a
    coverage table per rule set."""
    code, out, _ = run(capsys, "test", CASES, "--coverage", "--require-coverage")
    assert code == 0, out
    assert "COVERAGE dk-national@3.0.0" in out and "0 failed" in out


def test_a_failing_case_is_located_at_its_expectation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong expectation fails with path:line:col at the expectation; exit code 1; the
    coverage gaps are warnings."""
    f = _cases(
        tmp_path,
        "ruleset: dk-national@1.0.0\n"
        "cases:\n"
        "  - name: nothing recorded\n"
        "    on: 2026-11-23\n"
        "    rules:\n"
        "      hospice.short-survival: met\n"
        "      hospice.no-such-rule: met\n"
        "    pathways: {hospice: indeterminate}\n",
    )
    code, out, _ = run(capsys, "test", f)
    assert code == 1
    assert f"{f}:6:7: case-failed: hospice.short-survival is unknown, expected met" in out
    assert f"{f}:7:7: case-failed: dk-national@1.0.0 has no rule 'hospice.no-such-rule'" in out
    rules = bundled_rules_dir() / "dk-national" / "1.0.0.yaml"
    line = line_of(rules, "  hospice:")
    assert f"{rules}:{line}:3: warning: case-coverage: no case shows pathway 'hospice'" in out
    assert "1 case: 0 passed, 1 failed" in out


def test_cases_run_against_a_draft_on_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 2.0.0 case file against a 2.1.0 draft with a 14-day EORTC window: the case at
    exactly 30 days fails, the others pass."""
    path = make_draft(tmp_path,
        "dk-national/2.0.0.yaml", "2.1.0", [(EORTC, EORTC.replace("30", "14"))],
        entry("2.1.0", "basic.needs-assessment:changed"),
    )  # fmt: skip
    code, out, _ = run(capsys, "test", CASES / "dk-national" / "2.0.0.yaml", "--rules", path)
    assert code == 1
    assert "dk-national@2.1.0 (written for dk-national@2.0.0)" in out
    assert "basic.needs-assessment is not_met, expected met" in out


def test_json_and_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` reports cases and coverage; `--schema` prints the case-file schema."""
    code, out, _ = run(capsys, "test", CASES / "dk-midtjylland", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["failed"] == 0 and data["coverage"][0]["gaps"] == []
    code, out, _ = run(capsys, "test", "--schema")
    schema = json.loads(out)
    assert code == 0 and set(schema["properties"]) == {"ruleset", "cases"}


def test_an_invalid_case_file_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown key in a case file is located, exit code 5."""
    f = _cases(
        tmp_path,
        "ruleset: dk-national@1.0.0\ncases:\n  - name: x\n    on: 2026-11-23\n    rule: {}\n",
    )
    code, _, err = run(capsys, "test", f)
    assert code == 5 and f"{f}:5:5: unknown-key" in err


# -- show --------------------------------------------------------------------------------


def test_show_has_every_rule_condition_source_and_rationale(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The sign-off view names every pathway, rule and indicator, says each condition in
    words and prints each inferred rule's rationale."""
    import visitation

    rs = visitation.load_ruleset("dk-national@3.0.0")
    code, out, _ = run(capsys, "show", "dk-national@3.0.0", "--lang", "da")
    assert code == 0
    for r in (*rs.rules, *rs.indicators):
        assert f"`{r.id}`" in out
        rationale: Any = r.rationale  # plain text, or (newer files) text per language
        if isinstance(rationale, Mapping):
            rationale = rationale.get("da") or next(iter(rationale.values()))
        if rationale:
            assert escape.markdown(str(rationale)) in out
    assert "dato for EORTC QLQ-C15-PAL ligger 0 til 30 dage før vurderingsdatoen" in out
    assert "Klinisk godkendelse" in out and "FORELØBIG" in out
    code, html, _ = run(capsys, "show", "dk-national@3.0.0", "--format", "html")
    assert code == 0 and html.startswith("<!DOCTYPE html>") and "@media print" in html


# -- lock --------------------------------------------------------------------------------


def test_lock_never_rewrites_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lock` on a family whose released file changed refuses (exit 5) and keeps the lock."""
    folder = tmp_path / "dk-national"
    folder.mkdir()
    shutil.copy(bundled_rules_dir() / "dk-national" / "released.lock", folder)
    text = (bundled_rules_dir() / "dk-national" / "1.0.0.yaml").read_text(encoding="utf-8")
    (folder / "1.0.0.yaml").write_text(text.replace("Forventet kort levetid", "Kort"))
    before = (folder / "released.lock").read_text()
    code, _, err = run(capsys, "lock", folder)
    assert code == 5 and "released-changed" in err
    assert (folder / "released.lock").read_text() == before


# -- rule directories ----------------------------------------------------------------------


def _region(tmp_path: Path) -> Path:
    root = tmp_path / "region"
    path = make_draft(tmp_path, "dk-national/1.0.0.yaml", "1.0.0", root=root, changes="")
    target = root / "dk-sjaelland" / "1.0.0.yaml"
    target.parent.mkdir()
    target.write_text(path.read_text().replace("family: dk-national", "family: dk-sjaelland"))
    shutil.rmtree(path.parent)
    return root


def test_rules_dir_adds_a_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--rules-dir makes a region's family known by name to rules, evaluate and show."""
    root = _region(tmp_path)
    code, out, _ = run(capsys, "rules", "--rules-dir", root)
    assert code == 0 and ["dk-sjaelland", "1.0.0", "published"] in [
        line.split()[:3] for line in out.splitlines()
    ]
    patient = tmp_path / "p.yaml"
    patient.write_text("prognosis: weeks\n")
    code, out, _ = run(
        capsys, "evaluate", patient, "--rules", "dk-sjaelland@1.0.0", "--rules-dir", root,
        "--on", "2026-11-23",
    )  # fmt: skip
    assert code == 3 and "dk-sjaelland@1.0.0" in out
    code, out, _ = run(capsys, "rules")
    assert "dk-sjaelland" not in out


def test_the_environment_variable_names_rule_directories(tmp_path: Path) -> None:
    """VISITATION_RULES_PATH makes a region's family known to a fresh process."""
    root = _region(tmp_path)
    env = {**os.environ, "VISITATION_RULES_PATH": str(root)}
    proc = subprocess.run(
        [sys.executable, "-m", "visitation", "rules"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "dk-sjaelland" in proc.stdout


class _Balance(HTMLParser):
    """Records tags closed out of order (void tags aside)."""

    VOID = frozenset({"meta", "br"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.wrong: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.wrong.append(tag)


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "dk-national@3.0.0", "--format", "html", "--lang", "da"],
        ["diff", "dk-national@2.0.0", "dk-national@3.0.0", "--format", "html"],
    ],
)
def test_the_html_is_well_formed(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The HTML of show and diff closes every tag it opens, in order."""
    code, out, _ = run(capsys, *argv)
    parser = _Balance()
    parser.feed(out)
    assert code == 0 and parser.open == [] and parser.wrong == []
