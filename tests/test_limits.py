"""Resource limits of rule files: work stays linear, searches are bounded and say so."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import visitation
from visitation.cli import main
from visitation.load import check_text, parse_ruleset
from visitation.never_met import MAX_COMBINATIONS, MAX_WORK

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
LEAF = "{fact: age, at_least: 18}"


def _with_definitions(levels: int) -> str:
    """A 'billion laughs' chain: d_k uses d_(k-1) twice, so full expansion has 2^k leaves."""
    lines = ["definitions:", "  d0: {fact: age, greater_than: 17}"]
    lines += [f"  d{k}: {{all: [{{use: d{k - 1}}}, {{use: d{k - 1}}}]}}" for k in range(1, levels)]
    lines.append("  complex:")
    text = MINIMAL.replace("definitions:\n  complex:", "\n".join(lines))
    return text.replace(LEAF, f"{{use: d{levels - 1}}}")


def test_a_definition_chain_is_linear_not_exponential() -> None:
    """40 nested definitions (2^39 leaves expanded) check and compile, each written once."""
    ruleset, diagnostics = parse_ruleset(_with_definitions(40), path="chain.yaml")
    assert ruleset is not None, [str(d) for d in diagnostics]
    program = visitation.compile_ruleset(ruleset)
    assert len(program.source.splitlines()) < 2_000
    a = visitation.evaluate({"age": 70}, ruleset, on="2026-11-23")
    assert a.rule("hospice.adult").status == "met"
    assert visitation.evaluate({}, ruleset, on="2026-11-23").rule("hospice.adult").missing == [
        "age"
    ]


def test_a_set_larger_than_its_vocabulary_can_never_be_met() -> None:
    """size_at_least beyond the vocabulary's size is a never-met finding, found at once."""
    text = MINIMAL.replace(LEAF, "{fact: problem_domains, size_at_least: 5}")
    codes = [d.code for d in check_text(text, path="r.yaml")]
    assert "never-met" in codes


def test_a_search_with_too_many_combinations_gives_up_and_says_so() -> None:
    """Two facts with many distinct literals each, whose candidate values multiply past
    MAX_COMBINATIONS: the never-met search stops at its bound, warns, and the file is
    accepted (the benefit of the doubt)."""
    n = 150  # candidates -1 .. n per fact: (n + 2)² = 23,104 > MAX_COMBINATIONS
    assert (n + 2) ** 2 > MAX_COMBINATIONS
    parts = ", ".join(
        f"{{fact: {fact}, at_least: {i}}}" for fact in ("age", "symptom_count") for i in range(n)
    )
    text = MINIMAL.replace(LEAF, f"{{at_least_n_of: {{n: 2, of: [{parts}]}}}}")
    diagnostics = check_text(text, path="r.yaml")
    assert [d.code for d in diagnostics if d.severity == "error"] == []
    assert "search-bounded" in [d.code for d in diagnostics]


def test_many_yes_no_facts_bound_the_search_by_work() -> None:
    """Fifteen yes/no facts under many leaves: bounded by work, not run for minutes."""
    facts = [
        "life_threatening", "incurable", "workup_complete", "sq1_not_surprised",
        "complex_by_clinician", "relieved_at_basic", "treatment_level_documented",
        "informed_incurable", "informed_palliative_aim", "informed_palliative_only",
        "informed_alternatives", "consent_referral", "wishes_hospice",
        "referrer_is_physician", "gp_informed",
    ]  # fmt: skip
    leaves = ", ".join(
        f"{{fact: {facts[i % 15]}, is: {'true' if i % 2 else 'false'}}}" for i in range(600)
    )
    text = MINIMAL.replace(LEAF, f"{{all: [{leaves}]}}")
    diagnostics = check_text(text, path="r.yaml")
    assert "search-bounded" in [d.code for d in diagnostics]


def test_a_long_chain_of_definitions_needs_no_deep_recursion() -> None:
    """Six hundred definitions, each using the next twice (1,800 condition nodes, within
    MAX_CONDITION_NODES; a recursive walk would need over 1,200 frames): checked, compiled and
    evaluated without a RecursionError, and a cycle at its end is reported as one."""
    n = 600
    lines = ["definitions:"]
    lines += [f"  d{k}: {{all: [{{use: d{k + 1}}}, {{use: d{k + 1}}}]}}" for k in range(n)]
    lines += [f"  d{n}: {{fact: age, greater_than: 17}}", "  complex:"]
    text = MINIMAL.replace("definitions:\n  complex:", "\n".join(lines)).replace(LEAF, "{use: d0}")
    ruleset, diagnostics = parse_ruleset(text, path="chain.yaml")
    assert ruleset is not None, [str(d) for d in diagnostics]
    a = visitation.evaluate({}, ruleset, on="2026-11-23")
    assert a.rule("hospice.adult").missing == ["age"]
    looped = text.replace(f"  d{n}: {{fact: age, greater_than: 17}}", f"  d{n}: {{use: d0}}")
    codes = [d.code for d in check_text(looped, path="chain.yaml")]
    assert "definition-cycle" in codes


def test_the_cli_refuses_an_evaluation_date_outside_the_range(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--on 0001-01-01`` is a usage error naming the accepted range, not a crash."""
    example = Path(__file__).parents[1] / "examples" / "eligible-cancer-hospice.yaml"
    code = main(["evaluate", str(example), "--rules", "dk-national@2.0.0", "--on", "0001-01-01"])
    assert code == 2
    assert "outside the dates the library evaluates on (1900-01-01 to 2199-12-31)" in (
        capsys.readouterr().err
    )


def test_a_definition_that_is_only_a_use_keeps_its_own_missing_facts() -> None:
    """``d1: {use: d0}`` shares d0's truth but not its list of missing facts: the compiled
    missing facts equal the interpreter's (a regression found by the generated rule sets)."""
    text = MINIMAL.replace(
        "definitions:\n  complex:",
        "definitions:\n  d0: {fact: age, greater_than: 17}\n  d1: {use: d0}\n  complex:",
    ).replace(LEAF, "{any: [{use: d1}, {use: d0}]}")
    ruleset, diagnostics = parse_ruleset(text, path="alias.yaml")
    assert ruleset is not None, [str(d) for d in diagnostics]
    program = visitation.compile_ruleset(ruleset)
    assert program.rules[0].missing({}, date(2026, 1, 1)) == ["age"]


def _never_met_rule(i: int) -> str:
    """A rule over eleven yes/no facts that no combination meets: its search tries all
    2,048 combinations of 62 leaves (about 127,000 leaf evaluations)."""
    facts = [
        "life_threatening", "incurable", "workup_complete", "sq1_not_surprised",
        "complex_by_clinician", "relieved_at_basic", "informed_incurable",
        "informed_palliative_aim", "informed_palliative_only", "informed_alternatives",
    ]  # fmt: skip
    leaves = [f"{{fact: {facts[k % 10]}, is: {'true' if k % 2 else 'false'}}}" for k in range(60)]
    leaves += ["{fact: consent_referral, is: true}", "{fact: consent_referral, is: false}"]
    return (
        f"  - id: hospice.never-{i}\n    group: hospice\n"
        f"    title: {{da: Aldrig {i}, en: Never {i}}}\n"
        f"    when: {{all: [{', '.join(leaves)}]}}\n"
        '    explain: {met: {da: "Ja.", en: "Yes."}, not_met: {da: "Nej.", en: "No."},'
        ' unknown: {da: "Ukendt.", en: "Unknown."}}\n'
        "    source: {ref: s1, section: '1'}\n    provenance: inferred\n    rationale: test\n"
    )


def test_the_search_budget_is_shared_by_the_rules_of_a_file() -> None:
    """Fuzz seed 1002670 (an ``all`` of 1,001 leaves took 2.1 s to check): the never-met
    searches of one file spend one budget of MAX_WORK leaf evaluations together, so many
    costly rules cannot add up past it; the rules it does not reach are search-bounded,
    the ones it reaches are still judged."""
    rules = "".join(_never_met_rule(i) for i in range(4))
    text = MINIMAL.replace("changes:\n", rules + "changes:\n")
    by_rule: dict[str, list[str]] = {}
    for d in check_text(text, path="r.yaml"):
        if d.code in ("never-met", "search-bounded"):
            by_rule.setdefault(d.message.split("'")[1], []).append(d.code)
    assert by_rule["hospice.never-0"] == ["never-met"]
    assert by_rule["hospice.never-3"] == ["search-bounded"]
    assert 2_048 * 62 * 2 < MAX_WORK * 2 < 2_048 * 62 * 4  # two are searched, not all four
