"""The compiled rule sets agree with the reference interpreter, and the fast paths with the slow.

The generated functions of :mod:`visitation.compile` (``core``, each rule's ``test`` and
``missing``) and :func:`visitation.evaluate_core` are checked against
:func:`visitation.logic.interpret` on generated patients: for every bundled rule set, for
the benchmark's criteria, and for generated rule sets that use every operator and every
kind of condition. The never-met search of :mod:`visitation.check` is checked against the
interpreter too, and the memo of :func:`visitation.evaluate.assess` against assessments
built from scratch.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visitation
from visitation import Patient, RuleSet
from visitation.compile import CompiledRuleSet, compile_ruleset
from visitation.load import load_ruleset_file
from visitation.logic import interpret, interpreter, kleene_all
from visitation.never_met import PROBE_DAY as _PROBE_DAY
from visitation.testing import DEFAULT_ON, patients, rule_sets

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    *sorted((ROOT / "rules").glob("*/*.yaml")),
    ROOT / "benchmarks" / "criteria.yaml",
    ROOT / "tests" / "data" / "minimal.yaml",
]
IDS = [str(f.relative_to(ROOT)) for f in FILES]
ON = DEFAULT_ON


def reference(compiled: CompiledRuleSet, facts: dict[str, Any], on: date) -> dict[str, Any]:
    """Statuses, verdicts and missing facts as the plain interpreter gives them."""
    rs = compiled.ruleset
    results = [interpret(r.when, facts, on, rs.definitions) for r in rs.rules]
    statuses = [truth for truth, _ in results]
    verdicts = []
    missing = []
    for _, required in compiled.pathways:
        verdict = kleene_all(statuses[i] for i in required)
        verdicts.append(verdict)
        listed = [f for i in required if statuses[i] is None for f in results[i][1]]
        missing.append(list(dict.fromkeys(listed)) if verdict is None else [])
    return {
        "statuses": statuses,
        "verdicts": verdicts,
        "missing": missing,
        "rules": results,
        "indicators": [interpret(r.when, facts, on, rs.definitions) for r in rs.indicators],
    }


def assert_agrees(compiled: CompiledRuleSet, patient: Patient, on: date = ON) -> None:
    facts = patient.__dict__
    want = reference(compiled, facts, on)
    core = visitation.evaluate_core(compiled, facts, on)
    assert core.statuses == want["statuses"]
    assert core.verdicts == want["verdicts"]
    assert core.missing == want["missing"]
    for kind in ("rules", "indicators"):
        for rule, (truth, missing) in zip(getattr(compiled, kind), want[kind], strict=True):
            assert rule.test(facts, on) is truth, rule.rule.id
            assert rule.missing(facts, on) == (missing if truth is None else []), rule.rule.id


@pytest.fixture(scope="module", params=FILES, ids=IDS)
def compiled(request: pytest.FixtureRequest) -> CompiledRuleSet:
    return visitation.compiled(load_ruleset_file(request.param))


def test_every_bundled_rule_set_is_covered() -> None:
    """The agreement test runs on each bundled rule file (none is left out by the glob)."""
    bundled = {info.path.resolve() for info in visitation.list_rulesets()}
    assert bundled <= {f.resolve() for f in FILES}


@given(patient=patients(on=ON))
def test_compiled_rule_sets_agree_with_the_interpreter(
    compiled: CompiledRuleSet, patient: Patient
) -> None:
    """Statuses, verdicts and missing facts of the compiled functions equal the interpreter's."""
    assert_agrees(compiled, patient)


@given(patient=patients(on=ON, require="all"))
def test_compiled_rule_sets_agree_on_complete_patients(
    compiled: CompiledRuleSet, patient: Patient
) -> None:
    """With every fact recorded, the compiled functions and the interpreter agree too."""
    assert_agrees(compiled, patient)


# --------------------------------------------------------------------------------------
# Generated rule sets: every operator, every kind of condition, definitions in definitions
# --------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(rs=rule_sets(), people=st.lists(patients(on=ON), min_size=1, max_size=5))
def test_generated_rule_sets_agree_with_the_interpreter(rs: RuleSet, people: list[Patient]) -> None:
    """For any conditions over any facts and operators, the compiled functions agree."""
    compiled = compile_ruleset(rs)
    assert_no_values(compiled.source)
    for patient in people:
        assert_agrees(compiled, patient)


@given(rs=rule_sets(), people=st.lists(patients(on=_PROBE_DAY), min_size=1, max_size=5))
def test_never_met_search_means_what_the_interpreter_means(
    rs: RuleSet, people: list[Patient]
) -> None:
    """The interpreter built once (as the never-met search uses it) equals a fresh one."""
    for rule in (*rs.rules, *rs.indicators):
        truth = interpreter(rule.when, rs.definitions)
        for patient in people:
            want = interpret(rule.when, patient.__dict__, _PROBE_DAY, rs.definitions)
            assert truth(patient.__dict__, _PROBE_DAY) == want


_GENERATED_NAME = re.compile(r"(_c|t|p|m|test_|missing_)\d+(_true|_unknown|_m)?")
_STRUCTURE = {
    "facts", "on", "get", "v", "m", "core", "len", "list", "dict", "_missing_inputs", "_CoreResult",
    "append", "fromkeys", "isdisjoint", "issubset", "days",
}  # fmt: skip


def assert_no_values(source: str) -> None:
    """The generated text holds structure only: no string, no number but the counters' 0
    and 1, no name but Python keywords, made-up locals and constants, and a fixed few."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            raise AssertionError(f"a string in the generated code: {token.string}")
        if token.type == tokenize.NUMBER:
            assert token.string in ("0", "1"), token.string
        if token.type == tokenize.NAME:
            name = token.string
            assert (
                keyword.iskeyword(name) or name in _STRUCTURE or _GENERATED_NAME.fullmatch(name)
            ), name


def test_generated_text_holds_no_values(compiled: CompiledRuleSet) -> None:
    """No fact name or literal of a rule file is spliced into the generated Python."""
    assert_no_values(compiled.source)


# --------------------------------------------------------------------------------------
# The memo of assess
# --------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(people=st.lists(patients(on=ON), min_size=2, max_size=8))
def test_memoised_assessments_equal_fresh_ones(
    compiled: CompiledRuleSet, people: list[Patient]
) -> None:
    """An assessment served from the memo equals one built by a freshly compiled rule set."""
    for lang in (None, compiled.ruleset.languages[-1]):
        warm = [visitation.evaluate(p, compiled, on=ON, lang=lang) for p in people]
        for patient, got in zip(reversed(people), reversed(warm), strict=True):
            fresh = visitation.evaluate(
                patient, compile_ruleset(compiled.ruleset), on=ON, lang=lang
            )
            assert got.to_json() == fresh.to_json()
