"""Minimal reproducers of what the fuzzer found, each a test of the behaviour issue 8 asks for.

Each one fails on the branch where it was found and is marked ``xfail(strict=True)``: when
the fix lands the test passes, strict xfail turns that into a failure, and the marker must
go (the reproducer then guards the fix).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import visitation
from visitation.cli import main

from .harness import check_rendered, controls

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
EXAMPLE = (ROOT / "examples" / "eligible-cancer-hospice.yaml").read_text(encoding="utf-8")


def test_a_source_id_that_is_a_mapping_is_a_diagnostic() -> None:
    """Fuzz seed 1277: ``sources: [{id: {x: 1}}]`` beside another schema error is
    reported, not a TypeError (unhashable type: 'dict') from check_parts."""
    text = MINIMAL.replace("{id: s1, title: Source one,", "{id: {x: 1}, title: Source one,")
    text = text.replace("publisher: test\n", "")
    assert [d.code for d in visitation.check_text(text)] != []


def test_an_integer_of_5000_digits_is_a_diagnostic() -> None:
    """A rule literal of 5,000 digits is reported, not a ValueError from int()."""
    text = MINIMAL.replace("at_least: 18}", "at_least: " + "9" * 5000 + "}")
    assert visitation.check_text(text) != []


def test_patient_free_text_with_controls_renders_as_plain_text(tmp_path: Path) -> None:
    """Fuzz seed 1435: ESC, backspace and C1 controls in ``measures_tried`` do not reach
    the text, Markdown or HTML output."""
    patient = tmp_path / "p.yaml"
    hostile = EXAMPLE.replace("laxative", '"lax\\e[31mative\\b\\x9b2J"')
    patient.write_text(hostile, encoding="utf-8")
    a = visitation.evaluate(visitation.load_patient(patient), "dk-national@2.0.0", on="2026-11-23")
    for fmt in ("text", "md", "html"):
        check_rendered(fmt, a.render(fmt))


def test_a_rule_title_with_a_c1_control_renders_as_plain_text() -> None:
    """Fuzz seed 1475: U+009B (the one-byte CSI) in a rule title is not in the text output."""
    text = MINIMAL.replace("en: Adult}", 'en: "Adult\\x9b31m"}')
    ruleset, _ = visitation.load.parse_ruleset(text, path="r.yaml")
    assert ruleset is not None
    a = visitation.evaluate({"age": 70}, ruleset, on="2026-11-23")
    check_rendered("text", a.render("text"))


def test_diagnostics_on_stderr_hold_no_bidi_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fuzz seeds 1088, 1185: an unknown key holding U+202E is shown without it (or made
    visible) in ``visitation evaluate``'s error output, which goes to a terminal."""
    patient = tmp_path / "p.yaml"
    patient.write_text("age: 70\n\u202ereferrer_is_physician: true\n", encoding="utf-8")
    assert main(["evaluate", str(patient), "--on", "2026-11-23"]) == 4
    assert controls(capsys.readouterr().err) == []


def test_a_rule_file_edited_in_place_is_read_again(tmp_path: Path) -> None:
    """Found by the in-process CLI: after a rule file is rewritten at the same path, the
    default library evaluates the new content (here: now invalid), not the cached one."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINIMAL, encoding="utf-8")
    facts = {"age": 70}
    visitation.evaluate(facts, rules, on="2026-11-23")
    rules.write_text(MINIMAL.replace("at_least: 18", "at_least: eighteen"), encoding="utf-8")
    with pytest.raises(visitation.RuleFileError):
        visitation.evaluate(facts, rules, on="2026-11-23")
