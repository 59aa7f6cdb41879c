"""The bundled rule sets against their case files (tests/cases/<family>/<version>.yaml).

A case file is data: patient facts, an evaluation date, and the expected status per rule,
verdict per pathway and (optionally) missing facts per pathway. Every rule and indicator
of every bundled rule set must be shown met, not met and unknown by some case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import visitation
from visitation._yaml import load_yaml
from visitation.evaluate import EARLIEST

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    ruleset: str
    name: str
    on: str
    patient: dict[str, Any]
    rules: dict[str, str]
    pathways: dict[str, str]
    missing: dict[str, list[str]]
    referral: dict[str, str]
    todo: dict[str, list[str]]
    where: str


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    for f in sorted(CASES_DIR.glob("*/*.yaml")):
        doc = load_yaml(f.read_bytes(), path=str(f))
        assert not doc.diagnostics, "\n".join(map(str, doc.diagnostics))
        for i, c in enumerate(doc.data["cases"]):
            mark = doc.positions[("cases", i)]
            cases.append(
                Case(
                    ruleset=doc.data["ruleset"],
                    name=c["name"],
                    on=c["on"],
                    patient=c.get("patient") or {},
                    rules=c.get("rules") or {},
                    pathways=c.get("pathways") or {},
                    missing=c.get("missing") or {},
                    referral=c.get("referral") or {},
                    todo=c.get("todo") or {},
                    where=f"{f.relative_to(CASES_DIR.parent)}:{mark.line}",
                )
            )
    return cases


CASES = _load_cases()


def test_every_bundled_rule_set_has_case_files() -> None:
    """Each bundled rule set has a case file named after its family and version."""
    have = {c.ruleset for c in CASES}
    for info in visitation.list_rulesets():
        assert info.key in have, f"no case file for {info.key}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.ruleset}:{c.name}" for c in CASES])
def test_case(case: Case) -> None:
    """The rule statuses, verdicts and missing facts are those the case file states."""
    a = visitation.evaluate(case.patient, case.ruleset, on=case.on)
    for rule_id, expected in case.rules.items():
        got = a.rule(rule_id)
        assert got.status == expected, (
            f"{case.where}: {rule_id} is {got.status}, expected {expected}: {got.explanation}"
        )
    for pathway_id, expected in case.pathways.items():
        assert a.pathway(pathway_id).verdict == expected, f"{case.where}: {pathway_id}"
    for pathway_id, expected_missing in case.missing.items():
        assert a.pathway(pathway_id).missing == expected_missing, f"{case.where}: {pathway_id}"
    for pathway_id, expected in case.referral.items():
        assert a.pathway(pathway_id).referral == expected, f"{case.where}: {pathway_id} referral"
    for pathway_id, pathway in ((p.id, p) for p in a.pathways):
        want = case.todo.get(pathway_id, [] if case.referral.get(pathway_id) == "ready" else None)
        if want is not None:
            assert pathway.todo == want, f"{case.where}: {pathway_id} to-do"


def test_every_rule_is_shown_met_not_met_and_unknown() -> None:
    """For every rule and indicator, the case files assert each of the three statuses."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for case in CASES:
        for rule_id, status in case.rules.items():
            seen[case.ruleset][rule_id].add(status)
    gaps = []
    for info in visitation.list_rulesets():
        rs = visitation.load_ruleset(info.key)
        for rule in (*rs.rules, *rs.indicators):
            lacking = {"met", "not_met", "unknown"} - seen[info.key][rule.id]
            if lacking:
                gaps.append(
                    f"{info.key} {rule.id}: no case where it is {', '.join(sorted(lacking))}"
                )
    assert not gaps, "\n".join(gaps)


def test_every_pathway_verdict_is_shown() -> None:
    """For every pathway, the case files assert eligible, not eligible and indeterminate."""
    seen: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        for pathway_id, verdict in case.pathways.items():
            seen[f"{case.ruleset} {pathway_id}"].add(verdict)
    gaps = []
    for info in visitation.list_rulesets():
        for pathway_id in visitation.load_ruleset(info.key).pathways:
            key = f"{info.key} {pathway_id}"
            lacking = {"eligible", "not_eligible", "indeterminate"} - seen[key]
            if lacking:
                gaps.append(f"{key}: no case where it is {', '.join(sorted(lacking))}")
    assert not gaps, "\n".join(gaps)


def test_every_readiness_is_shown_where_a_pathway_has_documentation_rules() -> None:
    """A pathway with documentation rules is shown ready, not ready and unknown."""
    seen: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        for pathway_id, readiness in case.referral.items():
            seen[f"{case.ruleset} {pathway_id}"].add(readiness)
    gaps = []
    for info in visitation.list_rulesets():
        program = visitation.resolve(info.key, EARLIEST)
        for (pathway_id, _), documents in zip(program.pathways, program.documentation, strict=True):
            key = f"{info.key} {pathway_id}"
            lacking = {"ready", "not_ready", "unknown"} - seen[key] if documents else set()
            if lacking:
                gaps.append(f"{key}: no case where the referral is {', '.join(sorted(lacking))}")
    assert not gaps, "\n".join(gaps)
