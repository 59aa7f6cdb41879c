"""Diagnostics as values: codes, spans, hints and related places, and their renderings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from visitation import Code, Diagnostic, Span
from visitation.errors import Position, Related, did_you_mean, suggest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "src" / "visitation").rglob("*.py"))


def test_one_line_form_is_path_line_col_code_message() -> None:
    """A diagnostic renders as path:line:col: code: message, the hint after '; '."""
    d = Diagnostic.at(
        Code.UNKNOWN_FACT, "unknown fact 'agee'", "r.yaml", 3, 9, hint="did you mean 'age'?"
    )
    assert str(d) == "r.yaml:3:9: unknown-fact: unknown fact 'agee'; did you mean 'age'?"
    assert d.message == "unknown fact 'agee'"
    assert d.text == "unknown fact 'agee'; did you mean 'age'?"


def test_warning_and_unlocated_forms() -> None:
    """A warning says so before its code; without a line only the path is given; a line
    without a column is column 1."""
    w = Diagnostic.at("unused-group", "no pathway", "r.yaml", 2, severity="warning")
    assert str(w) == "r.yaml:2:1: warning: unused-group: no pathway"
    assert (
        str(Diagnostic.at("unreadable-file", "gone", "x.yaml")) == "x.yaml: unreadable-file: gone"
    )


def test_location_reads_as_before() -> None:
    """path, line and col read the start of the span; the code compares equal to its text."""
    d = Diagnostic(Code.NEVER_MET, "m", Span("f.yaml", Position(4, 2), Position(4, 9)))
    assert (d.path, d.line, d.col) == ("f.yaml", 4, 2)
    assert d.code == "never-met" and isinstance(d.code, str)
    assert d.code in frozenset({"never-met"})


def test_a_code_given_as_text_becomes_the_enum_and_an_unknown_one_is_refused() -> None:
    """Diagnostic('unknown-fact', ...) holds Code.UNKNOWN_FACT; a code outside the enum is
    a ValueError, so no module can emit an undocumented code."""
    assert Diagnostic("unknown-fact", "m").code is Code.UNKNOWN_FACT
    with pytest.raises(ValueError, match="no-such-code"):
        Diagnostic.at("no-such-code", "m")


def test_the_old_constructor_still_works() -> None:
    """Diagnostic(code, message, path, line, col, severity) makes the same value as before."""
    d = Diagnostic("unknown-key", "x: unknown key 'y'", "p.yaml", 2, 5, "warning")
    assert d.span == Span("p.yaml", Position(2, 5))
    assert str(d) == "p.yaml:2:5: warning: unknown-key: x: unknown key 'y'"
    assert d == Diagnostic.at(
        "unknown-key", "x: unknown key 'y'", "p.yaml", 2, 5, severity="warning"
    )


def test_json_form() -> None:
    """to_json() holds every part apart, with the one-line text beside them."""
    first = Related(Span.at("f.yaml", 1, 1), "first defined here")
    d = Diagnostic.at(
        "duplicate-rule-id",
        "rule id 'a' is used twice",
        "f.yaml",
        3,
        5,
        end=Position(3, 9),
        related=[first],
    )
    assert d.to_json() == {
        "code": "duplicate-rule-id",
        "severity": "error",
        "message": "rule id 'a' is used twice",
        "hint": None,
        "path": "f.yaml",
        "line": 3,
        "col": 5,
        "end_line": 3,
        "end_col": 9,
        "related": [
            {
                "label": "first defined here",
                "path": "f.yaml",
                "line": 1,
                "col": 1,
                "end_line": None,
                "end_col": None,
            }
        ],
        "text": "f.yaml:3:5: duplicate-rule-id: rule id 'a' is used twice",
    }


def test_related_places_are_values_with_an_optional_inline_form() -> None:
    """A related place is held apart; its inline form is appended in parentheses, with the
    position filled in, and one without an inline form leaves the line alone."""
    first = Related(
        Span.at("f.yaml", 1, 1), "first defined here", "first at line {line}, column {col}"
    )
    d = Diagnostic.at("yaml-duplicate-key", "duplicate key 'a'", "f.yaml", 3, 1, related=[first])
    assert str(d) == "f.yaml:3:1: yaml-duplicate-key: duplicate key 'a' (first at line 1, column 1)"
    quiet = Diagnostic.at(
        "duplicate-source-id", "twice", "f.yaml", 3, related=[Related(Span.at("f.yaml", 1), "here")]
    )
    assert str(quiet) == "f.yaml:3:1: duplicate-source-id: twice"


def test_render_shows_the_source_line_with_a_caret_and_related_lines() -> None:
    """render(text) adds the line under a gutter, carets under the span, and each related
    place in the same file with its label; a place in another file is a note."""
    text = "a: 1\nb: 2\na: 3\n"
    first = Related(Span("f.yaml", Position(1, 1), Position(1, 5)), "first defined here")
    elsewhere = Related(Span.at("g.yaml", 7, 2), "see also")
    d = Diagnostic(
        Code.YAML_DUPLICATE_KEY,
        "duplicate key 'a'",
        Span("f.yaml", Position(3, 1), Position(3, 5)),
        related=(first, elsewhere),
    )
    assert d.render(text) == (
        "f.yaml:3:1: yaml-duplicate-key: duplicate key 'a'\n"
        "  |\n"
        "3 | a: 3\n"
        "  | ^^^^\n"
        "  |\n"
        "1 | a: 1\n"
        "  | ---- first defined here\n"
        "  = note: see also: g.yaml:7:2"
    )
    assert d.render(None) == str(d)
    assert Diagnostic.at("empty-file", "m", "f.yaml").render(text) == "f.yaml: empty-file: m"


def test_render_makes_control_characters_visible_and_keeps_the_caret_aligned() -> None:
    """An ESC or a bidi override in the source line is shown as U+FFFD, one for one."""
    d = Diagnostic(Code.UNKNOWN_KEY, "m", Span("f", Position(1, 6), Position(1, 7)))
    out = d.render("\x1b[31m\u202ex: 1\n")
    assert "\x1b" not in out and "\u202e" not in out
    assert out.splitlines()[2:] == ["1 | \ufffd[31m\ufffdx: 1", "  |      ^"]


def test_render_windows_a_long_line_around_the_caret() -> None:
    """A very long line is cut to a window around the caret, marked with an ellipsis."""
    line = "x" * 5000 + "BAD" + "y" * 5000
    d = Diagnostic(Code.UNKNOWN_KEY, "m", Span("f", Position(1, 5001), Position(1, 5004)))
    shown, caret = d.render(line).splitlines()[2:]
    assert len(shown) < 120 and shown.startswith("1 | …") and shown.endswith("…")
    assert shown[caret.index("^") :].startswith("BAD")
    assert caret.count("^") == 3


def test_suggestions() -> None:
    """suggest() gives the did-you-mean advice alone; did_you_mean() the old suffix."""
    assert suggest("agee", ["age", "prognosis"]) == "did you mean 'age'?"
    assert suggest("zzz", ["age"]) is None
    assert did_you_mean("agee", ["age"]) == "; did you mean 'age'?"
    assert did_you_mean("zzz", ["age"]) == ""


def test_every_code_is_documented() -> None:
    """Each code has a section and a meaning; warnings are exactly the advisory ones."""
    for code in Code:
        assert code.doc.meaning, code
    warnings = {c for c in Code if c.doc.severity == "warning"}
    assert warnings == {
        Code.UNUSED_DEFINITION,
        Code.UNDECLARED_LANGUAGE,
        Code.UNTRANSLATED_TEXT,
        Code.UNUSED_GROUP,
        Code.SEARCH_BOUNDED,
    }


def test_error_codes_page_is_current() -> None:
    """docs/error-codes.md is what docs/_gen_error_codes.py generates from the enum now."""
    run = subprocess.run(
        [sys.executable, "docs/_gen_error_codes.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    page = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    assert all(f"| `{code}` |" in page for code in Code)


_MAKERS = {"report", "diagnostic", "at", "Diagnostic", "error"}


def _emitted_codes() -> dict[str, list[str]]:
    """Every string literal given as the code of a diagnostic in the source, with where."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            literal: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _MAKERS:
                    literal = node.args[0]
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                literal = node.value.elts[0] if node.value.elts else None  # (code, message)
            if (
                isinstance(literal, ast.Constant)
                and isinstance(literal.value, str)
                and "-" in literal.value
                and " " not in literal.value
            ):
                where = f"{path.relative_to(ROOT)}:{literal.lineno}"
                found.setdefault(literal.value, []).append(where)
    return found


def test_every_code_the_code_base_emits_is_in_the_enum() -> None:
    """A code written as text anywhere a diagnostic is made is a member of Code."""
    emitted = _emitted_codes()
    unknown = {code: where for code, where in emitted.items() if code not in set(Code)}
    assert not unknown, unknown
    assert "value-type" in emitted  # the scan sees the checker's (code, message) pairs


def test_every_code_in_the_enum_is_emitted_somewhere() -> None:
    """No code is documented that nothing makes (as text or as Code.X)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES if p.name != "errors.py")
    emitted = set(_emitted_codes())
    unused = [c for c in Code if c.value not in emitted and f"Code.{c.name}" not in text]
    assert not unused, unused


def test_render_without_the_line_in_the_text_is_the_one_line_form() -> None:
    """A span past the end of the text shows no excerpt (the text changed since)."""
    d = Diagnostic.at("unknown-key", "m", "f.yaml", 9, 1)
    assert d.render("a: 1\n") == "f.yaml:9:1: unknown-key: m"
