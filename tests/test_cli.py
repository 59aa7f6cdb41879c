"""The ``visitation`` command: exit codes, error messages, subcommands and golden outputs.

Golden files. ``tests/golden/evaluate/<example>.<lang>.<ext>`` hold the standard output of
``visitation evaluate examples/<example>.yaml --rules dk-national@3.1.0 --on 2026-12-01
--lang <lang> --format <format>`` for every example patient, in text / md / json and da /
en; ``tests/golden/rules.txt`` holds ``visitation rules``; ``tests/golden/check/<name>.txt``
holds ``visitation check tests/data/check/<name>.yaml`` (run from the repository root:
each diagnostic with its source line and caret). After an intended change of the
output, regenerate them with::

    VISITATION_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_cli.py -k golden

and review the diff before committing. The outputs depend only on the example, the rule
file and the fixed date: nothing machine- or date-dependent belongs in them.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import visitation.cli
from visitation.cli import EXIT_CODES, main

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
UPDATE_GOLDEN = os.environ.get("VISITATION_UPDATE_GOLDEN") == "1"
GOLDEN_RULES = "dk-national@3.1.0"
GOLDEN_DATE = "2026-12-01"
EXTENSIONS = {"text": "txt", "md": "md", "json": "json"}

ELIGIBLE = "age: 70\nproblem_domains: [physical]\ncomplex_by_clinician: true\n"
NOT_ELIGIBLE = "age: 10\n"
INDETERMINATE = "age: 70\n"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """The minimal test rule set (one pathway, 'hospice') as a file."""
    f = tmp_path / "demo" / "1.0.0.yaml"
    f.parent.mkdir()
    f.write_text(MINIMAL, encoding="utf-8")
    return f


@pytest.fixture
def two_pathways(tmp_path: Path) -> Path:
    """A rule set with pathways 'hospice' (needs both rules) and 'adult' (needs the age rule)."""
    text = MINIMAL.replace(
        "    requires: [hospice]\n",
        "    requires: [hospice, adult]\n"
        "  adult:\n    title: {da: Voksen, en: Adult}\n    requires: [adult]\n",
    ).replace("  - id: hospice.adult\n    group: hospice", "  - id: adult.age\n    group: adult")
    f = tmp_path / "two" / "1.0.0.yaml"
    f.parent.mkdir()
    f.write_text(text.replace("family: demo", "family: two"), encoding="utf-8")
    return f


def patient(tmp_path: Path, text: str, name: str = "patient.yaml") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_args(facts: Path, rules: Path, *more: str) -> list[str | Path]:
    return ["evaluate", facts, "--rules", rules, "--on", "2026-11-23", *more]


# -- exit codes of evaluate ----------------------------------------------------------------


def test_eligible_exits_0(tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every pathway eligible: exit 0 and the assessment on stdout."""
    code, out, err = run(capsys, *evaluate_args(patient(tmp_path, ELIGIBLE), rules))
    assert code & 7 == 0  # eligible (the demo rule set is provisional: + 8), err
    assert "✓ eligible" in out and err == ""


def test_not_eligible_exits_1(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pathway not eligible: exit 1, even though other facts are missing."""
    code, out, _ = run(capsys, *evaluate_args(patient(tmp_path, NOT_ELIGIBLE), rules))
    assert code & 7 == 1
    assert "✗ not eligible" in out and "? unknown" in out


def test_indeterminate_exits_3(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Facts missing and nothing not met: exit 3."""
    code, out, _ = run(capsys, *evaluate_args(patient(tmp_path, INDETERMINATE), rules))
    assert code & 7 == 3
    assert "? indeterminate" in out


def test_not_eligible_wins_over_indeterminate(
    tmp_path: Path, two_pathways: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With one pathway not eligible and another indeterminate, the exit code is 1."""
    facts = patient(tmp_path, "age: 10\n")
    code, out, _ = run(capsys, *evaluate_args(facts, two_pathways))
    assert code & 7 == 1
    facts = patient(tmp_path, "age: 70\n")
    code, out, _ = run(capsys, *evaluate_args(facts, two_pathways))
    assert code & 7 == 3
    assert "✓ eligible" in out and "? indeterminate" in out


def test_pathway_option_makes_exit_code_follow_one_pathway(
    tmp_path: Path, two_pathways: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--pathway ID gives the exit code of that pathway alone."""
    facts = patient(tmp_path, INDETERMINATE)
    assert run(capsys, *evaluate_args(facts, two_pathways, "--pathway", "adult"))[0] & 7 == 0
    assert run(capsys, *evaluate_args(facts, two_pathways, "--pathway", "hospice"))[0] & 7 == 3


def test_unknown_pathway_is_a_usage_error(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown --pathway exits 2 naming the pathways, with nothing on stdout."""
    facts = patient(tmp_path, ELIGIBLE)
    code, out, err = run(capsys, *evaluate_args(facts, rules, "--pathway", "hospise"))
    assert code == 2 and out == ""
    assert err == "visitation: error: demo@1.0.0 has no pathway 'hospise'; pathways: hospice\n"


def test_invalid_patient_exits_4_naming_file_line_and_field(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid facts: exit 4, and stderr names file, line and field without a traceback."""
    facts = patient(tmp_path, "age: 70\nprognosis: soon\n")
    code, out, err = run(capsys, *evaluate_args(facts, rules))
    assert code == 4 and out == ""
    assert err.startswith("visitation: error: invalid patient facts (1 problem):\n")
    assert f"{facts}:2:1: invalid-value: prognosis: Input should be" in err
    assert "Traceback" not in err


def test_missing_patient_file_exits_4(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A patient file that does not exist: exit 4 with the path, no traceback."""
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, *evaluate_args(missing, rules))
    assert code == 4
    assert f"{missing}: unreadable-file: No such file or directory" in err


def test_patient_from_stdin(
    rules: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'-' reads the patient facts (YAML or JSON) from standard input."""
    stdin = io.TextIOWrapper(io.BytesIO(b'{"age": 70, "complex_by_clinician": false}'))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "evaluate", "-", "--rules", rules, "--on", "2026-11-23")
    assert code & 7 == 1
    assert "hospice.complex" in out


def test_unknown_rule_set_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown family or version: exit 5 with a did-you-mean, no traceback."""
    facts = patient(tmp_path, ELIGIBLE)
    code, out, err = run(capsys, "evaluate", facts, "--rules", "dk-nationl", "--on", "2026-11-23")
    assert code == 5 and out == ""
    assert err.startswith("visitation: error: no bundled rule set family 'dk-nationl'")
    assert "did you mean 'dk-national'" in err
    code, _, err = run(capsys, "evaluate", facts, "--rules", "dk-national@9.9.9")
    assert code == 5
    assert "dk-national has no version 9.9.9" in err


def test_no_rule_set_in_force_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A family with no version in force on the date: exit 5."""
    facts = patient(tmp_path, ELIGIBLE)
    code, _, err = run(capsys, "evaluate", facts, "--rules", "dk-national", "--on", "1900-01-01")
    assert code == 5
    assert "no version of dk-national is in force on 1900-01-01" in err


def test_bad_rule_file_exits_5_with_located_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid rule file: exit 5, each problem as path:line:col: code: message."""
    bad = patient(tmp_path, MINIMAL.replace("at_least: 18", "at_leest: 18"), "bad.yaml")
    facts = patient(tmp_path, ELIGIBLE)
    code, out, err = run(capsys, *evaluate_args(facts, bad))
    assert code == 5 and out == ""
    assert err.startswith("visitation: error: invalid rule file (")
    assert re.search(rf"^{re.escape(str(bad))}:\d+:\d+: unknown-key: .*at_least", err, re.M)
    assert "Traceback" not in err


def test_bad_date_is_a_usage_error(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date that is not YYYY-MM-DD is a usage error (exit 2) saying how to write it."""
    code, _, err = run(capsys, "evaluate", patient(tmp_path, ELIGIBLE), "--on", "23/11/2026")
    assert code == 2
    assert "invalid date '23/11/2026': write it as YYYY-MM-DD" in err


def test_language_missing_from_rule_set_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking for a language the rule file lacks exits 2; without --lang its own language is used."""
    text = MINIMAL.replace("languages: [da, en]", "languages: [da]")
    text = re.sub(r', en: (?:"[^"]*"|[^}]*)', "", text)
    da_only = patient(tmp_path, text, "da.yaml")
    facts = patient(tmp_path, ELIGIBLE)
    code, _, err = run(capsys, *evaluate_args(facts, da_only, "--lang", "en"))
    assert code == 2
    assert "demo@1.0.0 has no text in 'en'; its languages: da" in err
    code, out, _ = run(capsys, *evaluate_args(facts, da_only))
    assert code & 7 == 0 and "opfylder kriterierne" in out


def test_rule_set_not_in_force_warns(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pinned rule set outside its dates still evaluates, with a banner and a warning."""
    facts = patient(tmp_path, ELIGIBLE)
    code, out, err = run(capsys, "evaluate", facts, "--rules", rules, "--on", "2019-12-31")
    assert code == 8 + 16  # eligible, provisional, not in force
    assert "NOT IN FORCE: demo@1.0.0 was not in force on 2019-12-31" in out
    assert err.startswith("visitation: warning: demo@1.0.0 was not in force on 2019-12-31")


def test_on_defaults_to_today(
    tmp_path: Path,
    rules: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --on, the command reads the clock once and evaluates on today's date."""

    class Frozen(date):
        @classmethod
        def today(cls) -> Frozen:
            return cls(2021, 3, 4)

    monkeypatch.setattr(visitation.cli, "date", Frozen)
    code, out, _ = run(capsys, "evaluate", patient(tmp_path, ELIGIBLE), "--rules", rules)
    assert code & 7 == 0  # eligible (the demo rule set is provisional: + 8)
    assert "evaluated on 2021-03-04" in out


def test_internal_error_exits_6_without_traceback(
    tmp_path: Path,
    rules: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected exception exits 6 with a one-line message, not a traceback."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(visitation.cli, "evaluate", boom)
    monkeypatch.delenv("VISITATION_DEBUG", raising=False)
    code, _, err = run(capsys, *evaluate_args(patient(tmp_path, ELIGIBLE), rules))
    assert code == 6
    assert err.startswith("visitation: error: internal error: RuntimeError: boom")
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", ["text", "md", "json", "html"])
def test_formats_and_languages(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Every format renders in Danish, and JSON holds only the requested language."""
    code, out, _ = run(
        capsys, *evaluate_args(patient(tmp_path, ELIGIBLE), rules, "--format", fmt, "--lang", "da")
    )
    assert code & 7 == 0  # eligible (the demo rule set is provisional: + 8)
    if fmt == "json":
        assert json.loads(out)["languages"] == ["da"]
    else:
        assert "opfylder kriterierne" in out and "FORELØBIG" in out
    assert "\x1b" not in out


def test_json_without_lang_holds_every_language(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --lang, the JSON Assessment holds every language the rule file declares."""
    code, out, _ = run(
        capsys, *evaluate_args(patient(tmp_path, ELIGIBLE), rules, "--format", "json")
    )
    assert code & 7 == 0  # eligible (the demo rule set is provisional: + 8)
    data = json.loads(out)
    assert data["languages"] == ["da", "en"]
    assert set(data["rules"][0]["explanation"]) == {"da", "en"}


# -- other commands ------------------------------------------------------------------------


def test_rules_lists_bundled_families(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules` prints a table of every bundled family and version with status and dates."""
    code, out, _ = run(capsys, "rules")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["FAMILY", "VERSION", "STATUS", "FROM", "UNTIL", "TITLE"]
    assert any(line.split()[:3] == ["dk-national", "2.0.0", "provisional"] for line in lines)


def test_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules --format json` gives one object per version, with the file relative to rules/."""
    code, out, _ = run(capsys, "rules", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    row = next(r for r in rows if (r["family"], r["version"]) == ("dk-national", "2.0.0"))
    assert row["status"] == "provisional"
    assert row["file"] == "dk-national/2.0.0.yaml"
    assert set(row["title"]) >= {"da", "en"}


def test_schema_prints_rule_file_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema` prints the JSON Schema of rule files, with aliases ('in', 'is')."""
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "RuleSet"
    assert {"in", "is"} <= set(schema["$defs"]["Leaf"]["properties"])


def test_schema_patient(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema --patient` prints the JSON Schema of patient facts."""
    code, out, _ = run(capsys, "schema", "--patient")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Patient" and "age" in schema["properties"]


def test_check_valid_file(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check` on a valid file exits 0 with a summary."""
    code, out, _ = run(capsys, "check", rules)
    assert code == 0
    assert out == "1 file checked: 0 errors, 0 warnings\n"


def test_check_bundled_rule_files(capsys: pytest.CaptureFixture[str]) -> None:
    """Every bundled rule file passes `check` (warnings allowed)."""
    files = sorted((ROOT / "rules").glob("*/*.yaml"))
    code, out, _ = run(capsys, "check", *files)
    assert code == 0, out
    assert out.splitlines()[-1].startswith(f"{len(files)} files checked: 0 errors")


def test_check_invalid_files_prints_every_diagnostic(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` prints every problem of every file as path:line:col: code: message, then exits 5."""
    bad = patient(
        tmp_path,
        MINIMAL.replace("at_least: 18", "at_leest: 18").replace("ref: s1", "ref: s2"),
        "bad.yaml",
    )
    missing = tmp_path / "missing.yaml"
    code, out, _ = run(capsys, "check", rules, bad, missing)
    assert code == 5
    lines = out.splitlines()
    located = [line for line in lines if line.startswith(f"{bad}:")]
    assert len(located) >= 2
    assert all(re.match(rf"{re.escape(str(bad))}:\d+:\d+: [a-z-]+: ", line) for line in located)
    assert f"{missing}: unreadable-file: No such file or directory" in lines
    assert re.fullmatch(
        r"3 files checked: \d+ errors, \d+ warnings? \(2 files with errors\)", lines[-1]
    )


def test_help_documents_exit_codes_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` of the command and of each subcommand has examples; exit codes are listed."""
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for number, meaning in EXIT_CODES.items():
        assert f"  {number}  {meaning}" in out
    for command in ("evaluate", "check", "rules", "schema"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "examples:" in out, command


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Running without a subcommand exits 2 with the usage."""
    code, _, err = run(capsys)
    assert code == 2
    assert "usage: visitation" in err


# -- real processes ------------------------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).parent / "visitation"
    return [str(script)] if script.exists() else [sys.executable, "-m", "visitation"]


def test_installed_command_in_a_subprocess(tmp_path: Path, rules: Path) -> None:
    """The installed `visitation` script runs, and an invalid patient gives exit 4, no traceback."""
    facts = patient(tmp_path, "age: 70\nincurabel: true\n")
    proc = subprocess.run(
        [*_command(), "evaluate", str(facts), "--rules", str(rules), "--on", "2026-11-23"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 4
    assert proc.stdout == ""
    assert f"{facts}:2:1: unknown-key:" in proc.stderr and "did you mean 'incurable'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_dash_m_in_a_subprocess(tmp_path: Path, rules: Path) -> None:
    """`python -m visitation` evaluates from standard input and exits with the verdict's code."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "visitation",
            "evaluate",
            "-",
            "--rules",
            str(rules),
            "--on",
            "2026-11-23",
        ],
        input=ELIGIBLE,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode & 7 == 0, proc.stderr
    assert "✓ eligible" in proc.stdout


# -- golden files --------------------------------------------------------------------------


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*") if p.suffix in (".yaml", ".yml", ".json"))


def _golden_cases() -> list[tuple[Path, str, str]]:
    return [(p, lang, fmt) for p in _examples() for lang in ("da", "en") for fmt in EXTENSIONS]


def _compare_golden(path: Path, actual: str) -> None:
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with VISITATION_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs; if intended, run with VISITATION_UPDATE_GOLDEN=1"


@pytest.mark.parametrize(
    ("example", "lang", "fmt"),
    _golden_cases(),
    ids=[f"{p.stem}-{lang}-{fmt}" for p, lang, fmt in _golden_cases()],
)
def test_golden_evaluate(
    example: Path, lang: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`evaluate` of each example patient matches its golden file, per language and format."""
    code, out, err = run(
        capsys,
        "evaluate", example, "--rules", GOLDEN_RULES, "--on", GOLDEN_DATE,
        "--lang", lang, "--format", fmt,
    )  # fmt: skip
    assert code & 7 in (0, 1, 3, 7) and code < 32, err  # a verdict, perhaps with status flags
    _compare_golden(GOLDEN / "evaluate" / f"{example.stem}.{lang}.{EXTENSIONS[fmt]}", out)


def test_golden_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules` matches its golden file."""
    code, out, _ = run(capsys, "rules")
    assert code == 0
    _compare_golden(GOLDEN / "rules.txt", out)


CHECK_DATA = ROOT / "tests" / "data" / "check"


@pytest.mark.parametrize("name", sorted(p.stem for p in CHECK_DATA.glob("*.yaml")))
def test_golden_check(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` of each faulty rule file matches its golden file: every diagnostic on one
    line, then the source line with a caret under the place and the related places."""
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "check", f"tests/data/check/{name}.yaml")
    assert code == 5
    assert "^" in out
    _compare_golden(GOLDEN / "check" / f"{name}.txt", out)


def test_no_stale_golden_files() -> None:
    """Every golden evaluate file belongs to an example that still exists."""
    stems = {p.stem for p in _examples()}
    stale = [
        p.name
        for p in sorted((GOLDEN / "evaluate").glob("*"))
        if p.name.rsplit(".", 2)[0] not in stems
    ]
    assert not stale, f"golden files without an example (delete them): {stale}"


def test_golden_files_are_machine_and_date_independent() -> None:
    """No golden file holds a local path or today's date (unless a rule file states that
    date, e.g. as an effective date)."""
    today = date.today().isoformat()
    stated = any(today in f.read_text(encoding="utf-8") for f in (ROOT / "rules").rglob("*.yaml"))
    for p in GOLDEN.rglob("*"):
        if p.is_file():
            text = p.read_text(encoding="utf-8")
            assert str(ROOT) not in text, p
            assert today == GOLDEN_DATE or stated or today not in text, p


def test_exit_status_carries_the_rule_sets_status_and_dates(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """+8 for a rule set that is not published, +16 for one not in force on the date; a
    published one in force adds nothing (the verdict is always ``code & 7``)."""
    facts = patient(tmp_path, ELIGIBLE)
    published = tmp_path / "pub" / "demo" / "1.0.0.yaml"
    published.parent.mkdir(parents=True)
    published.write_text(
        rules.read_text(encoding="utf-8").replace("status: provisional", "status: published"),
        encoding="utf-8",
    )
    assert run(capsys, *evaluate_args(facts, published))[0] == 0
    assert run(capsys, *evaluate_args(facts, rules))[0] == 8
    code = run(capsys, "evaluate", facts, "--rules", published, "--on", "2019-12-31")[0]
    assert code == 16


def test_eligible_once_the_referral_is_complete_exits_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An eligible patient whose referral lacks what a documentation rule asks: exit 7."""
    text = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("status: provisional", "status: published").replace(
        "  - id: hospice.complex\n    group: hospice",
        "  - id: hospice.complex\n    group: hospice\n    kind: documentation",
    )
    doc = tmp_path / "doc" / "1.0.0.yaml"
    doc.parent.mkdir()
    doc.write_text(text.replace("family: demo", "family: doc"), encoding="utf-8")
    code, out, _ = run(capsys, *evaluate_args(patient(tmp_path, "age: 70\n"), doc))
    assert code == 7, out
    code, _, _ = run(capsys, *evaluate_args(patient(tmp_path, "age: 10\n"), doc))
    assert code == 1


def test_the_not_in_force_warning_is_in_the_output_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --lang da the warning that the rule set was not in force is Danish too."""
    example = Path(__file__).parents[1] / "examples" / "eligible-cancer-hospice.yaml"
    main(["evaluate", str(example), "--rules", "dk-midtjylland@1.1.0", "--on", "2026-12-01",
          "--lang", "da"])  # fmt: skip
    err = capsys.readouterr().err
    assert (
        "dk-midtjylland@1.1.0 gjaldt ikke den 2026-12-01 (gyldig fra 2011-01-01 til 2014-12-31)"
        in err
    )
    assert "was not in force" not in err
