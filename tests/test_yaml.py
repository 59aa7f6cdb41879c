"""The strict YAML reader: positions, and every YAML hazard refused with a located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from visitation import Diagnostic, Span
from visitation._yaml import Mark, load_yaml, read_source


def codes(text: str) -> list[str]:
    return [d.code for d in load_yaml(text, path="f.yaml").diagnostics]


def test_plain_values_follow_yaml_1_2() -> None:
    """true/false, decimal ints and floats and null resolve; everything else is a string."""
    doc = load_yaml("a: true\nb: 12\nc: 1.5\nd: ~\ne: hello\nf: '010'\n")
    assert doc.data == {"a": True, "b": 12, "c": 1.5, "d": None, "e": "hello", "f": "010"}
    assert doc.diagnostics == []


def test_bare_dates_stay_strings() -> None:
    """A bare date is not turned into a datetime object; the typed model parses it."""
    assert load_yaml("d: 2026-11-23\n").data == {"d": "2026-11-23"}


def test_positions_are_one_based_per_path() -> None:
    """Every key and list item has a 1-based line and column under its path."""
    doc = load_yaml("a:\n  - x: 1\n    y: [2, 3]\n")
    assert doc.positions[("a", 0, "x")] == Mark(2, 5)
    assert doc.positions[("a", 0, "y", 1)] == Mark(3, 12)
    assert doc.locate(("a", 0, "nonexistent")) == Mark(2, 5)


def test_duplicate_keys_are_rejected_with_both_places() -> None:
    """pyyaml keeps the last duplicate silently; we name both lines."""
    [d] = load_yaml("a: 1\nb: 2\na: 3\n", path="f.yaml").diagnostics
    assert str(d) == "f.yaml:3:1: yaml-duplicate-key: duplicate key 'a' (first at line 1, column 1)"


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml_1_1_booleans_are_refused(word: str) -> None:
    """A word that YAML 1.1 reads as a boolean is refused with advice to quote it."""
    [d] = load_yaml(f"a: {word}\n", path="f.yaml").diagnostics
    assert d.code == "yaml-ambiguous-bool"
    assert (d.line, d.col) == (1, 4)
    assert d.hint == f'write true/false, or quote it: "{word}"'
    assert str(d).endswith(f'a string in YAML 1.2; write true/false, or quote it: "{word}"')


@pytest.mark.parametrize(
    "number", ["010", "0x1F", "0o17", "1_000", "1:20", ".inf", "-.Inf", ".nan"]
)
def test_yaml_1_1_numbers_are_refused(number: str) -> None:
    """Octal, hex, sexagesimal, underscored and special floats are refused."""
    assert codes(f"a: {number}\n") == ["yaml-ambiguous-number"]


def test_quoted_and_explicit_strings_are_fine() -> None:
    """Quoting, or an explicit !!str tag, makes the value a string without complaint."""
    doc = load_yaml("a: 'no'\nb: !!str 010\n")
    assert doc.data == {"a": "no", "b": "010"}
    assert doc.diagnostics == []


def test_alias_bomb_is_refused() -> None:
    """Anchors and aliases are refused, so a billion-laughs document cannot expand."""
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c,*c]\n'
    doc = load_yaml(bomb)
    assert "yaml-alias" in [d.code for d in doc.diagnostics]
    assert doc.data["d"] == [None, None, None]


def test_object_construction_is_refused() -> None:
    """Python-specific and custom tags construct nothing."""
    assert codes("a: !!python/object/apply:os.system ['true']\n") == ["yaml-tag"]
    assert codes("a: !custom {x: 1}\n") == ["yaml-tag"]


def test_merge_keys_are_refused() -> None:
    """'<<' merge keys are refused (they are a YAML 1.1 extension)."""
    assert "yaml-merge-key" in codes("a: {x: 1}\nb:\n  <<: {x: 2}\n")


def test_size_limit() -> None:
    """Input over the size limit is refused before parsing."""
    doc = load_yaml("a: " + "x" * 100, max_bytes=50, path="big.yaml")
    assert [d.code for d in doc.diagnostics] == ["file-too-large"]
    assert doc.data is None


def test_depth_limit() -> None:
    """Nesting deeper than the limit is refused."""
    assert "yaml-too-deep" in codes("a: " + "[" * 70 + "]" * 70 + "\n")


def test_syntax_error_is_located() -> None:
    """A syntax error names the line and column where the parser stopped."""
    [d] = load_yaml("a: [1, 2\nb: 3\n", path="f.yaml").diagnostics
    assert d.code == "yaml-syntax"
    assert d.line is not None


def test_one_document_per_file() -> None:
    """A second document in the same file is an error."""
    assert codes("a: 1\n---\nb: 2\n") == ["yaml-multiple-documents"]


def test_not_utf8() -> None:
    """Bytes that are not UTF-8 give a clear error instead of a crash."""
    assert codes(b"a: \xff\xfe\n") == ["yaml-encoding"]  # type: ignore[arg-type]


def test_control_character_is_located() -> None:
    """A character YAML does not allow is reported at its line and column, on one line."""
    [d] = load_yaml("a: 1\nb: x\x00y\n", path="f.yaml").diagnostics
    assert str(d) == "f.yaml:2:5: yaml-syntax: character 0x0000 is not allowed"


def test_an_integer_over_4300_digits_is_refused_not_raised() -> None:
    """Python cannot read an integer of more than 4,300 digits; the reader says so, located."""
    doc = load_yaml("a: 1\nb: " + "7" * 5000 + "\n", path="f.yaml")
    [d] = doc.diagnostics
    assert (
        str(d)
        == "f.yaml:2:4: number-out-of-range: b: an integer of 5000 digits is over the limit of 4300"
    )
    assert doc.data == {"a": 1, "b": None}
    assert load_yaml("b: -" + "7" * 4300 + "\n").diagnostics == []


def test_a_float_too_large_to_be_finite_is_refused() -> None:
    """1.0e400 would read as infinity; it is refused like .inf."""
    [d] = load_yaml("a: 1.0e400\n", path="f.yaml").diagnostics
    assert (
        str(d) == "f.yaml:1:4: number-out-of-range: a: '1.0e400' is too large to be a finite number"
    )


def test_a_file_over_the_limit_is_too_large_with_its_real_size(tmp_path: Path) -> None:
    """A 10 MB file is refused as file-too-large (its size from the file system), without
    reading all of it."""
    f = tmp_path / "big.yaml"
    f.write_bytes(b"a: 1\n" * 2_000_000)
    d = read_source(f)
    assert isinstance(d, Diagnostic)
    assert str(d) == f"{f}: file-too-large: 10000000 bytes is over the limit of 1000000"


def test_spans_end_where_the_value_ends() -> None:
    """A key's span runs to the end of its plain value (for the caret); a list item's
    span is the item's."""
    doc = load_yaml("a: hello\nb:\n  - [1, 2]\n", path="f.yaml")
    assert doc.span(("a",)) == Span("f.yaml", Mark(1, 1), Mark(1, 9))
    assert doc.span(("b", 0)) == Span("f.yaml", Mark(3, 5), Mark(3, 11))
    assert doc.span(("b", 0, 7)).start == Mark(3, 5)


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("a: !!int 3\n", "yaml-tag", (1, 4)),
        ("a: !local x\n", "yaml-tag", (1, 4)),
        ("[a, b]: x\n", "yaml-key", (1, 1)),
        ("{a: 1}: x\n", "yaml-key", (1, 1)),
    ],
)
def test_tags_on_scalars_and_keys_that_are_not_text(
    text: str, code: str, where: tuple[int, int]
) -> None:
    """An explicit tag on a plain value, and a list or mapping used as a key, are refused."""
    [d] = load_yaml(text, path="f.yaml").diagnostics
    assert (d.code, d.line, d.col) == (code, *where)


def test_the_reader_keeps_the_first_200_problems() -> None:
    """3,000 problems in a file keep the first 200, in text order."""
    doc = load_yaml("".join(f"k{i}: yes\n" for i in range(3000)), path="f.yaml")
    assert len(doc.diagnostics) == 200
    assert [d.line for d in doc.diagnostics] == list(range(1, 201))
    assert len(doc.flagged) == 3000
