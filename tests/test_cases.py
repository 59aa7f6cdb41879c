"""The bundled rule sets against their case files (tests/cases/<family>/<version>.yaml),
run by the shipped case runner (``visitation.workbench.cases``, ``visitation test``).

A case file is data: patient facts, an evaluation date, and the expected status per rule,
verdict per pathway and (optionally) missing facts, readiness and to-do list per pathway.
Every rule and indicator of every bundled rule set must be shown met, not met and unknown
by some case, every pathway in each verdict, and a pathway with documentation rules with
its referral ready, not ready and unknown.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

import visitation
from visitation.workbench.cases import CaseResult, Coverage, LoadedCases, load_case_file, run_case

CASES_DIR = Path(__file__).parent / "cases"
FILES = [load_case_file(f) for f in sorted(CASES_DIR.glob("*/*.yaml"))]
CASES = [(f, i) for f in FILES for i in range(len(f.cases.cases))]


def _id(item: tuple[LoadedCases, int]) -> str:
    f, i = item
    return f"{f.cases.ruleset}:{f.cases.cases[i].name}"


@pytest.fixture(scope="module")
def results() -> list[CaseResult]:
    return [run_case(f, i, visitation.load_ruleset(f.cases.ruleset)) for f, i in CASES]


def test_every_bundled_rule_set_has_case_files() -> None:
    """Each bundled rule set has a case file named after its family and version."""
    have = {f.cases.ruleset for f in FILES}
    for info in visitation.list_rulesets():
        assert info.key in have, f"no case file for {info.key}"


@pytest.mark.parametrize("item", CASES, ids=[_id(c) for c in CASES])
def test_case(item: tuple[LoadedCases, int]) -> None:
    """The rule statuses, verdicts, missing facts, readiness and to-do lists are those the
    case file states (each failure located at its expectation)."""
    f, i = item
    result = run_case(f, i, visitation.load_ruleset(f.cases.ruleset))
    assert result.passed, "\n".join(str(d) for d in result.failures)


def test_every_rule_pathway_and_referral_is_shown_in_each_status(
    results: list[CaseResult],
) -> None:
    """For every rule and indicator the case files show met, not met and unknown; for every
    pathway each verdict; for a pathway with documentation rules each readiness."""
    by_key: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_key[r.ruleset].append(r)
    gaps: list[str] = []
    for info in visitation.list_rulesets():
        coverage = Coverage.of(visitation.load_ruleset(info.key), by_key[info.key])
        gaps += coverage.gap_messages()
    assert not gaps, "\n".join(gaps)
