"""Loading and checking rule files: each check reports a located, coded message."""

from __future__ import annotations

from pathlib import Path

import pytest

from visitation import Diagnostic, RuleFileError, check_text, load_ruleset_file
from visitation.cli import main

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")


def diagnose(old: str, new: str, *, count: int = 1) -> list[Diagnostic]:
    assert old in MINIMAL, old
    return check_text(MINIMAL.replace(old, new, count), path="rules/demo/1.0.0.yaml")


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, diagnostics
    return found[0]


def line_of(text: str) -> int:
    return next(i for i, line in enumerate(MINIMAL.splitlines(), 1) if text in line)


def test_minimal_file_is_clean() -> None:
    """The fixture file has no diagnostics at all."""
    assert check_text(MINIMAL, path="rules/demo/1.0.0.yaml") == []


def test_unknown_fact_with_suggestion() -> None:
    """A misspelt fact is located at the leaf and suggests the right name."""
    d = only(diagnose("{fact: age, at_least: 18}", "{fact: agee, at_least: 18}"), "unknown-fact")
    line = line_of("fact: age,")
    col = MINIMAL.splitlines()[line - 1].index("fact: age") + 1
    assert str(d) == (
        f"rules/demo/1.0.0.yaml:{line}:{col}: unknown-fact: "
        "unknown fact 'agee'; did you mean 'age'?"
    )


def test_unknown_operator_with_suggestion() -> None:
    """An operator outside the closed set is an unknown key with a suggestion."""
    d = only(diagnose("at_least: 18", "at_lest: 18"), "unknown-key")
    assert d.message.endswith("unknown key 'at_lest'")
    assert d.hint == "did you mean 'at_least'?"
    assert "unknown key 'at_lest'; did you mean 'at_least'?" in str(d)
    assert d.line == line_of("fact: age,")


def test_operator_does_not_fit_fact_type() -> None:
    """A set operator on a number fact names the operators that fit."""
    d = only(diagnose("{fact: age, at_least: 18}", "{fact: age, contains: x}"), "operator-type")
    assert "operator 'contains' does not fit fact 'age' (int)" in d.message
    assert "at_least" in d.message


def test_value_outside_vocabulary() -> None:
    """An enum literal outside the vocabulary suggests the closest member."""
    d = only(
        diagnose("{fact: age, at_least: 18}", "{fact: diagnosis_group, equals: cancr}"),
        "unknown-value",
    )
    assert "did you mean 'cancer'?" in d.message


def test_value_of_wrong_type() -> None:
    """A yes/no fact compared with a number is a value-type error."""
    d = only(
        diagnose("complex_by_clinician, is: true", "complex_by_clinician, equals: 3"), "value-type"
    )
    assert "true or false" in d.message


def test_duplicate_rule_id() -> None:
    """Two rules with one id: the second is flagged and names the first line."""
    d = only(diagnose("id: hospice.complex", "id: hospice.adult"), "duplicate-rule-id")
    first = line_of("id: hospice.adult")
    assert d.message == "rule id 'hospice.adult' is used twice"
    [related] = d.related
    assert related.span.start is not None and related.span.start.line == first
    assert related.label == "first defined here"
    assert str(d).endswith(f"rule id 'hospice.adult' is used twice (first at line {first})")


def test_undefined_definition() -> None:
    """'use' of a missing definition is located at the use and suggests a name."""
    d = only(diagnose("{use: complex}", "{use: complx}"), "undefined-definition")
    assert d.hint == "did you mean 'complex'?"
    assert str(d).endswith("; did you mean 'complex'?")
    assert d.line == line_of("{use: complex}")


def test_cyclic_definitions() -> None:
    """Definitions that use each other in a cycle are refused."""
    text = MINIMAL.replace(
        "      - {fact: complex_by_clinician, is: true}\n",
        "      - {fact: complex_by_clinician, is: true}\n      - {use: loop}\n  loop: {use: complex}\n",
    )
    diagnostics = check_text(text, path="x.yaml")
    assert any(d.code == "definition-cycle" for d in diagnostics), diagnostics


def test_missing_language() -> None:
    """An explanation without a declared language is located at that explanation."""
    d = only(
        diagnose(
            'unknown: {da: "Registrér alder.", en: "Record age."}',
            'unknown: {da: "Registrér alder."}',
        ),
        "missing-language",
    )
    assert "no 'en' text" in d.message
    assert d.line == line_of("Registrér alder.")


def test_rule_without_source() -> None:
    """A rule with no 'source' is a missing-key error at the rule."""
    d = only(diagnose('    source: {ref: s1, section: "1"}\n', ""), "missing-key")
    assert "rules[0].source: required key is missing" in d.message


def test_rule_citing_unknown_source() -> None:
    """A citation of a source the file does not list is an error with a suggestion."""
    d = only(diagnose('ref: s1, section: "2"', 'ref: s2, section: "2"'), "unknown-source")
    assert "'s2'" in d.message


def test_inferred_rule_needs_rationale() -> None:
    """provenance: inferred without a rationale is refused."""
    d = only(diagnose("    rationale: test\n", ""), "invalid-value")
    assert "rationale" in d.message


def test_unknown_placeholder() -> None:
    """A placeholder that names no fact is located at the explanation text."""
    d = only(
        diagnose("Problems: {problem_domains}", "Problems: {problem_domain}"), "unknown-placeholder"
    )
    assert d.hint == "did you mean 'problem_domains'?"
    assert str(d).endswith("; did you mean 'problem_domains'?")


def test_rule_that_can_never_be_met() -> None:
    """Contradictory leaves on one fact are found by the satisfiability search."""
    d = only(
        diagnose(
            "when: {fact: age, at_least: 18}",
            "when: {all: [{fact: age, at_least: 18}, {fact: age, less_than: 18}]}",
        ),
        "never-met",
    )
    assert "hospice.adult" in d.message


def test_at_least_n_of_more_than_parts() -> None:
    """at_least_n_of asking for more parts than it has can never be met."""
    diagnostics = diagnose(
        "when: {fact: age, at_least: 18}",
        "when: {at_least_n_of: {n: 3, of: [{fact: age, at_least: 18}, {fact: age, at_most: 90}]}}",
    )
    assert any(d.code == "never-met" for d in diagnostics)


def test_pathway_requires_unknown_group() -> None:
    """A pathway requiring a group no rule has is an error with a suggestion."""
    d = only(diagnose("requires: [hospice]", "requires: [hospise]"), "unknown-group")
    assert d.hint == "did you mean 'hospice'?"
    assert str(d).endswith("; did you mean 'hospice'?")


def test_change_list_must_cover_this_version() -> None:
    """The change list needs an entry for the file's own version."""
    only(diagnose("  - version: 1.0.0\n", "  - version: 0.9.0\n"), "changes-version")


def test_file_name_must_match_family_and_version() -> None:
    """A file named like a version must live at <family>/<version>.yaml."""
    diagnostics = check_text(MINIMAL, path="rules/demo/2.0.0.yaml")
    assert [d.code for d in diagnostics] == ["file-name"]


def test_yaml_hazard_in_rule_file() -> None:
    """A YAML 1.1 boolean in a rule file is reported at its line."""
    d = only(
        diagnose("complex_by_clinician, is: true", "complex_by_clinician, is: yes"),
        "yaml-ambiguous-bool",
    )
    assert d.line == line_of("complex_by_clinician")


def test_every_schema_problem_at_once() -> None:
    """Several schema problems in one file are all reported, in line order."""
    text = MINIMAL.replace("at_least: 18", "at_lest: 18").replace(
        "status: provisional", "status: final"
    )
    diagnostics = check_text(text, path="x.yaml")
    assert [d.code for d in diagnostics] == ["invalid-value", "unknown-key"]
    assert diagnostics[0].line is not None and diagnostics[1].line is not None
    assert diagnostics[0].line < diagnostics[1].line


def test_load_raises_with_every_error(tmp_path: Path) -> None:
    """load_ruleset_file raises RuleFileError whose message lists each located error."""
    f = tmp_path / "bad.yaml"
    f.write_text(
        MINIMAL.replace("{fact: age,", "{fact: agee,").replace("{use: complex}", "{use: x}")
    )
    with pytest.raises(RuleFileError) as info:
        load_ruleset_file(f)
    assert {d.code for d in info.value.errors} == {"unknown-fact", "undefined-definition"}
    assert str(info.value).startswith(f"{f}:")


def test_unreadable_file(tmp_path: Path) -> None:
    """A missing file is one located error, not a traceback."""
    with pytest.raises(RuleFileError, match="unreadable-file"):
        load_ruleset_file(tmp_path / "nope.yaml")


def test_semantic_problems_are_reported_alongside_schema_errors() -> None:
    """A schema error elsewhere does not hide unknown facts, placeholders, uses and sources."""
    text = (
        MINIMAL.replace("status: provisional", "status: final")
        .replace("{fact: age,", "{fact: agee,")
        .replace("{use: complex}", "{use: complx}")
        .replace("Problems: {problem_domains}", "Problems: {problem_domain}")
        .replace('ref: s1, section: "2"', 'ref: s2, section: "2"')
    )
    codes = [d.code for d in check_text(text, path="x.yaml")]
    assert codes == [
        "invalid-value", "unknown-fact", "undefined-definition", "unknown-placeholder",
        "unknown-source",
    ]  # fmt: skip


def test_change_entry_naming_an_unknown_rule() -> None:
    """A change entry of this version that names a rule the file lacks suggests the right id."""
    text = MINIMAL.replace(
        "    summary: first\n",
        "    summary: first\n    rules:\n      - {id: hospice.adlt, change: added, note: new}\n",
    )
    [d] = check_text(text, path="x.yaml")
    assert d.code == "unknown-rule-id"
    assert d.hint == "did you mean 'hospice.adult'?"
    assert str(d).endswith("; did you mean 'hospice.adult'?")


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ('"NaN"', "invalid-value"),
        ("inf", "invalid-value"),
        ("nan", "invalid-value"),
        ('"-Infinity"', "invalid-value"),
        ("1.0e400", "number-out-of-range"),
        ("9" * 5000, "number-out-of-range"),
        (".nan", "yaml-ambiguous-number"),
    ],
)
def test_non_finite_and_huge_numbers_are_reported_not_raised(literal: str, code: str) -> None:
    """A literal that is not a finite number of readable size (issue 8, defect 3) is a
    located diagnostic at the leaf, and `visitation check` exits 5, not 6 (a crash)."""
    diagnostics = diagnose("at_least: 18", f"at_least: {literal}")
    found = [d for d in diagnostics if d.code == code]
    assert found, diagnostics
    assert all(d.line == line_of("fact: age,") for d in found)
    assert code == "yaml-ambiguous-number" or all("at_least" in d.message for d in found)


def test_a_source_id_that_is_a_mapping_is_reported_not_raised() -> None:
    """`id: {a: 1}` in a source (unhashable) is an invalid value, not a TypeError."""
    diagnostics = diagnose("{id: s1, title: Source one", "{id: {a: 1}, title: Source one")
    d = only(diagnostics, "invalid-value")
    assert d.message.startswith("sources[0].id: Input should be a valid string")
    assert d.line == line_of("id: s1, title")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("at_least: 18", 'at_least: "NaN"'),
        ("at_least: 18", "at_least: 1.0e400"),
        ("at_least: 18", "at_least: " + "9" * 5000),
        ("{id: s1, title: Source one", "{id: {a: 1}, title: Source one"),
    ],
)
def test_check_command_exits_5_on_hostile_literals(
    old: str, new: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reproducers of issue 8 defect 3 end in exit 5 with diagnostics, not exit 6."""
    f = tmp_path / "hostile.yaml"
    f.write_text(MINIMAL.replace(old, new), encoding="utf-8")
    assert main(["check", str(f)]) == 5
    out, err = capsys.readouterr()
    assert err == "" and f"{f}:" in out


def test_duplicate_source_id_points_at_the_first() -> None:
    """A second source with the same id names the first one as a related place."""
    text = MINIMAL.replace(
        '  - {id: s1, title: Source one, publisher: X, url: "https://example.org"}\n',
        '  - {id: s1, title: Source one, publisher: X, url: "https://example.org"}\n'
        '  - {id: s1, title: Source two, publisher: X, url: "https://example.org"}\n',
    )
    d = only(check_text(text, path="x.yaml"), "duplicate-source-id")
    assert (
        str(d)
        == f"x.yaml:{line_of('id: s1') + 1}:6: duplicate-source-id: source id 's1' is used twice"
    )
    [first] = d.related
    assert first.span.start is not None and first.span.start.line == line_of("id: s1")


def test_hints_are_held_apart_from_messages() -> None:
    """The checker's advice is the diagnostic's hint, and the one-line form joins it."""
    d = only(diagnose('ref: s1, section: "2"', 'ref: s11, section: "2"'), "unknown-source")
    assert d.message == "rule 'hospice.complex' cites source 's11', which 'sources' does not list"
    assert d.hint == "did you mean 's1'?"
    assert str(d).endswith("does not list; did you mean 's1'?")


def test_an_empty_rule_file() -> None:
    """A file holding nothing is one empty-file diagnostic."""
    [d] = check_text("", path="x.yaml")
    assert str(d) == "x.yaml: empty-file: the file holds no rule set"


def test_a_text_in_an_undeclared_language_is_a_warning() -> None:
    """A title in a language the file does not declare is a located warning."""
    d = only(
        diagnose("title: {da: Voksen, en: Adult}", "title: {da: Voksen, en: Adult, de: Erwachsen}"),
        "undeclared-language",
    )
    assert d.severity == "warning"
    assert str(d).startswith(f"rules/demo/1.0.0.yaml:{line_of('title: {da: Voksen')}:")
    assert d.message == "'de' is not among the declared languages ['da', 'en']"


def test_a_rule_said_to_be_removed_that_is_still_there() -> None:
    """This version's change entry may not call a rule removed that the file still has."""
    text = MINIMAL.replace(
        "    summary: first\n",
        "    summary: first\n    rules:\n      - {id: hospice.adult, change: removed, note: gone}\n",
    )
    [d] = check_text(text, path="x.yaml")
    assert d.code == "unknown-rule-id"
    assert (
        d.message == "the change entry says rule 'hospice.adult' was removed, but it is still here"
    )


# -- texts per language ------------------------------------------------------------------


def test_plain_strings_of_a_legacy_file_load_unflagged() -> None:
    """A file with only plain strings for publishers, sections and rationales (the form of
    the files written before these texts had languages) checks clean."""
    assert check_text(MINIMAL, path="rules/demo/1.0.0.yaml") == []


def test_per_language_texts_reach_the_assessment_per_language(tmp_path: Path) -> None:
    """A rationale, section and publisher given per language reach each language's reader;
    a plain string (a legacy file) is the same text in every language."""
    import visitation

    text = MINIMAL.replace("    rationale: test\n", "    rationale: {da: Fordi., en: Because.}\n")
    text = text.replace('section: "1"}', 'section: {da: "afsnit én", en: "part one"}}')
    text = text.replace("publisher: X,", "publisher: {da: Udgiver, en: Publisher},")
    text = text.replace("publisher: test\n", "publisher: {da: Prøve, en: Test}\n")
    text = text.replace('section: "2"}', 'section: {da: "2", en: "2"}}')
    assert check_text(text, path="rules/demo/1.0.0.yaml") == []
    (tmp_path / "new.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "old.yaml").write_text(MINIMAL, encoding="utf-8")
    new = visitation.evaluate({"age": 70}, tmp_path / "new.yaml", on="2026-12-01")
    r = new.rule("hospice.adult")
    assert r.rationale == {"da": "Fordi.", "en": "Because."}
    assert r.source.section == {"da": "afsnit én", "en": "part one"}
    assert r.source.publisher == {"da": "Udgiver", "en": "Publisher"}
    da, en = new.render("text", lang="da"), new.render("text", lang="en")
    assert "Fordi." in da and "afsnit én — Udgiver" in da and "Because." not in da
    assert "Because." in en and "part one — Publisher" in en and "Fordi." not in en
    assert new.render("json", lang="en").count('"Because."') == 1
    old = visitation.evaluate({"age": 70}, tmp_path / "old.yaml", on="2026-12-01")
    r = old.rule("hospice.adult")
    assert r.rationale == {"da": "test", "en": "test"}
    assert r.source.section == {"da": "1", "en": "1"} and r.source.publisher == {
        "da": "X",
        "en": "X",
    }


def test_a_plain_string_left_in_a_per_language_file_is_flagged() -> None:
    """Once a file gives some texts per language, each plain one left is a located warning."""
    text = MINIMAL.replace("    rationale: test\n", "    rationale: {da: Fordi., en: Because.}\n")
    found = check_text(text, path="rules/demo/1.0.0.yaml")
    assert {d.code for d in found} == {"untranslated-text"}
    assert all(d.severity == "warning" for d in found)
    assert {d.line for d in found} == {
        line_of("publisher: test"),  # the file's publisher
        line_of("{id: s1,"),  # the source's publisher
        line_of('section: "1"'),
        line_of('section: "2"'),
    }
    assert all("shown unchanged in every language (da, en)" in d.message for d in found)
    assert found[0].hint == "write it per language: {da: ..., en: ...}"


def test_a_per_language_text_needs_every_declared_language() -> None:
    """A rationale, note or section given per language must have every declared language;
    a language the file does not declare is a warning."""
    d = only(diagnose("    rationale: test\n", "    rationale: {da: Fordi.}\n"), "missing-language")
    assert d.message == "no 'en' text (the file declares it)"
    assert d.line == line_of("rationale: test")
    d = only(
        diagnose('section: "2"}', 'section: {da: "2", en: "2", de: "2"}}'),
        "undeclared-language",
    )
    assert d.severity == "warning"


def test_a_blank_per_language_rationale_is_refused() -> None:
    """An inferred rule's rationale must be a real text in every language."""
    d = only(
        diagnose("    rationale: test\n", '    rationale: {da: Fordi., en: "  "}\n'),
        "invalid-value",
    )
    assert "rationale" in d.message


def test_a_text_of_the_wrong_shape_names_both_shapes() -> None:
    """A rationale that is neither a string nor a mapping gets one message naming both."""
    d = only(diagnose("    rationale: test\n", "    rationale: 5\n"), "invalid-value")
    assert d.message == (
        "rules[0].rationale: a text is a string or a mapping from language to text, "
        "{da: …, en: …} (got 5)"
    )
    assert d.line == line_of("rationale: test")
