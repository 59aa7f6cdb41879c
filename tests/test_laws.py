"""The laws of the evaluator (docs: design notes, laws 1-6) over every bundled rule set.

Each law is a hypothesis property over the patients of :mod:`visitation.testing`: valid,
with facts recorded or not, values at the edges where rules decide. A failure is a bug in
the evaluator or in a rule file, never a reason to weaken the law. The example count comes
from the hypothesis profile (``tests/conftest.py``; ``--hypothesis-profile=thorough``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import visitation
from visitation import Assessment, Patient, RuleResult
from visitation.facts import DERIVATIONS, FACTS, RULE_FACTS, DiagnosisGroup
from visitation.logic import json_value, leaves
from visitation.testing import DEFAULT_ON, complete_patients, fill, patients, refinements

RULESETS = visitation.list_rulesets()
KEYS = [f"{info.family}@{info.version}" for info in RULESETS]


def _evaluation_date(effective_from: date, effective_until: date | None) -> date:
    """DEFAULT_ON, moved into the rule set's effective dates."""
    day = max(DEFAULT_ON, effective_from)
    return day if effective_until is None else min(day, effective_until)


ON = {
    key: _evaluation_date(info.effective_from, info.effective_until)
    for key, info in zip(KEYS, RULESETS, strict=True)
}
DEFINITE = {"met", "not_met", "eligible", "not_eligible"}
GROUPS = list(DiagnosisGroup)

ruleset_keys = pytest.mark.parametrize("key", KEYS)


def _about_recording(key: str) -> set[str]:
    """Indicators that monitor whether a fact is recorded ('recorded' is never unknown, so
    law 1 does not apply to them; the checker keeps 'recorded' out of rules)."""
    rs = visitation.load_ruleset(key)
    return {
        f"indicator {r.id}"
        for r in rs.indicators
        if any(leaf.operator == "recorded" for leaf in leaves(r.when, rs.definitions))
    }


ABOUT_RECORDING = {key: _about_recording(key) for key in KEYS}


def some_patients(on: date) -> st.SearchStrategy[Patient]:
    """Patients with few, about half, or most facts recorded."""
    return st.sampled_from([0.1, 0.5, 0.9]).flatmap(lambda p: patients(on=on, missing=p))


def evaluate(patient: Patient | dict[str, Any], key: str) -> Assessment:
    return visitation.evaluate(patient, key, on=ON[key])


def results(a: Assessment) -> list[RuleResult]:
    return [*a.rules, *a.indicators]


def outcomes(a: Assessment, *, indicators: bool = True) -> dict[str, str]:
    """Every rule status, indicator status and pathway verdict, by a readable key."""
    out: dict[str, str] = {f"rule {r.id}": r.status for r in a.rules}
    if indicators:
        out.update({f"indicator {r.id}": r.status for r in a.indicators})
    out.update({f"pathway {p.id}": p.verdict for p in a.pathways})
    return out


def recorded(p: Patient) -> dict[str, Any]:
    return {name: getattr(p, name) for name in FACTS if getattr(p, name) is not None}


def known_facts(p: Patient, on: date) -> dict[str, Any]:
    """The recorded facts, with the derived facts (age from a birth date, the reception wait)
    computed as the evaluator does."""
    known = recorded(p)
    for name, derivation in DERIVATIONS.items():
        if name not in known:
            value = derivation.compute(p.__dict__, on)
            if value is not None:
                known[name] = value
    return known


def test_there_are_rule_sets_to_check() -> None:
    """The laws below run over at least one bundled rule set (never vacuously)."""
    assert KEYS


# --------------------------------------------------------------------------------------
# Law 1: soundness under refinement
# --------------------------------------------------------------------------------------


@ruleset_keys
@given(data=st.data())
def test_soundness_under_refinement(key: str, data: st.DataObject) -> None:
    """Law 1: a definite rule status or pathway verdict never changes when unknown facts are
    filled in, whatever the values."""
    on = ON[key]
    patient = data.draw(some_patients(on), label="patient")
    refined = data.draw(refinements(patient, on=on), label="refinement")
    before, after = outcomes(evaluate(patient, key)), outcomes(evaluate(refined, key))
    changed = {
        what: f"{was} -> {after[what]}"
        for what, was in before.items()
        if was in DEFINITE and after[what] != was and what not in ABOUT_RECORDING[key]
    }
    assert not changed, f"{key}: definite results changed when facts were added: {changed}"


# --------------------------------------------------------------------------------------
# Law 2: completeness
# --------------------------------------------------------------------------------------


@ruleset_keys
@given(data=st.data())
def test_completeness(key: str, data: st.DataObject) -> None:
    """Law 2: with every fact recorded, no rule or indicator is unknown and no pathway is
    indeterminate."""
    a = evaluate(data.draw(complete_patients(on=ON[key]), label="patient"), key)
    unknown = {what: v for what, v in outcomes(a).items() if v not in DEFINITE}
    assert not unknown, f"{key}: unknown with every fact recorded: {unknown}"
    assert all(not p.missing for p in a.pathways)
    assert all(not r.missing for r in results(a))


# --------------------------------------------------------------------------------------
# Law 3: missing facts suffice
# --------------------------------------------------------------------------------------


def _unrecorded(name: str, p: Patient) -> bool:
    if name in ("age", "birth_date"):
        return p.age is None and p.birth_date is None
    return getattr(p, name) is None


@ruleset_keys
@given(data=st.data())
def test_missing_facts_suffice(key: str, data: st.DataObject) -> None:
    """Law 3: filling exactly the facts an indeterminate pathway (or an unknown rule) lists
    as missing, whatever their values, makes its verdict (status) definite."""
    on = ON[key]
    patient = data.draw(some_patients(on), label="patient")
    a = evaluate(patient, key)
    for pathway in a.pathways:
        if pathway.verdict != "indeterminate":
            continue
        assert pathway.missing, f"{key}: {pathway.id} is indeterminate but lists no facts"
        lacking = {
            f for r in pathway.rules if a.rule(r).status == "unknown" for f in a.rule(r).missing
        }
        assert lacking <= set(pathway.missing), (
            f"{key}: {pathway.id} omits facts its unknown rules lack: {lacking - set(pathway.missing)}"
        )
        assert all(name in FACTS and _unrecorded(name, patient) for name in pathway.missing), (
            f"{key}: {pathway.id} lists facts that are not missing: {pathway.missing}"
        )
        filled = data.draw(fill(patient, pathway.missing, on=on), label=f"fill {pathway.id}")
        verdict = evaluate(filled, key).pathway(pathway.id).verdict
        assert verdict != "indeterminate", (
            f"{key}: {pathway.id} still indeterminate after filling {pathway.missing}"
        )
    for rule in results(a):
        if rule.status != "unknown":
            continue
        assert rule.missing, f"{key}: {rule.id} is unknown but lists no facts"
        assert all(name in FACTS and _unrecorded(name, patient) for name in rule.missing)
        filled = data.draw(fill(patient, rule.missing, on=on), label=f"fill {rule.id}")
        status = evaluate(filled, key).rule(rule.id).status
        assert status != "unknown", f"{key}: {rule.id} still unknown after filling {rule.missing}"


# --------------------------------------------------------------------------------------
# Law 4: regardless of diagnosis
# --------------------------------------------------------------------------------------


@ruleset_keys
@given(data=st.data())
def test_regardless_of_diagnosis(key: str, data: st.DataObject) -> None:
    """Law 4: the disease group alone never changes a rule status or a pathway verdict, for
    any patient (not only the life-threatening: the group is never a gate); monitoring
    indicators, which never gate, may report by group."""
    patient = data.draw(some_patients(ON[key]), label="patient")
    facts = recorded(patient)

    def with_group(group: DiagnosisGroup) -> dict[str, str]:
        a = evaluate(Patient(**{**facts, "diagnosis_group": group}), key)
        return outcomes(a, indicators=False)

    by_group = {group: with_group(group) for group in GROUPS}
    first = by_group[GROUPS[0]]
    differences = {
        f"{what} ({group.value})": f"{status} (vs {first[what]} for {GROUPS[0].value})"
        for group, seen in by_group.items()
        for what, status in seen.items()
        if status != first[what]
    }
    assert not differences, f"{key}: the disease group changed results: {differences}"


# --------------------------------------------------------------------------------------
# Law 5: purity
# --------------------------------------------------------------------------------------


@ruleset_keys
@given(data=st.data())
def test_purity(key: str, data: st.DataObject) -> None:
    """Law 5: the same facts, rule set and date give the same Assessment byte for byte in
    JSON, in any order of evaluation, and the JSON round trip is exact."""
    on = ON[key]
    group = data.draw(st.lists(some_patients(on), min_size=1, max_size=4), label="patients")
    first = [evaluate(p, key).to_json() for p in group]
    order = data.draw(st.permutations(range(len(group))), label="order")
    other = data.draw(st.sampled_from(KEYS), label="interleaved rule set")
    for i in order:
        visitation.evaluate(group[i], other, on=on)  # another rule set in between leaves no trace
        assert evaluate(group[i], key).to_json() == first[i]
    for patient, text in zip(group, first, strict=True):
        as_data = patient.model_dump(mode="json", exclude_none=True)
        assert evaluate(as_data, key).to_json() == text, "plain JSON facts differ from Patient"
        assert visitation.evaluate(patient, key, on=on.isoformat()).to_json() == text
        back = Assessment.from_json(text)
        assert back == evaluate(patient, key)
        assert back.to_json() == text


# --------------------------------------------------------------------------------------
# Law 6: every rule explains itself
# --------------------------------------------------------------------------------------


@ruleset_keys
@given(data=st.data())
def test_every_rule_explains_itself(key: str, data: st.DataObject) -> None:
    """Law 6: every rule and indicator result has a non-empty explanation in every language
    the file declares, and its evidence is exactly the recorded facts it used, with their
    values (non-empty when the result is definite)."""
    on = ON[key]
    rs = visitation.load_ruleset(key)
    uses = {
        r.id: {leaf.fact for leaf in leaves(r.when, rs.definitions)}
        for r in [*rs.rules, *rs.indicators]
    }
    patient = data.draw(some_patients(on), label="patient")
    known = known_facts(patient, on)
    a = evaluate(patient, key)
    assert a.languages == list(rs.languages)
    for r in results(a):
        assert set(r.explanation) == set(rs.languages), f"{key}: {r.id} languages"
        for lang, text in r.explanation.items():
            assert text.strip(), f"{key}: {r.id} has an empty {lang} explanation ({r.status})"
            left = [f"{{{name}}}" for name in RULE_FACTS if f"{{{name}}}" in text]
            assert not left, f"{key}: {r.id} ({lang}) leaves placeholders {left}: {text!r}"
        stray = set(r.evidence) - set(known)
        assert not stray, f"{key}: {r.id} cites unrecorded facts {stray}"
        wrong = {f: v for f, v in r.evidence.items() if v != json_value(known[f])}
        assert not wrong, f"{key}: {r.id} cites values the patient does not have: {wrong}"
        unnamed = {f for f in uses[r.id] if f in known} - set(r.evidence)
        assert not unnamed, f"{key}: {r.id} used recorded facts it does not cite: {unnamed}"
        if r.status != "unknown":
            assert r.evidence, f"{key}: {r.id} is {r.status} without evidence"
