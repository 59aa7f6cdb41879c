"""The operator table: one definition of each operator, every backend derived from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, get_args

import pytest

from visitation.check import OPERATORS_BY_KIND
from visitation.facts import RULE_FACTS, FactKind
from visitation.load import check_text
from visitation.operators import BACKENDS, OPERATORS, typed_literal
from visitation.ruleset import OPERATORS as RULESET_OPERATORS
from visitation.ruleset import Leaf

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_has_every_backends_form(name: str) -> None:
    """No operator lacks a form in any backend, so a backend cannot silently miss one."""
    op = OPERATORS[name]
    assert set(BACKENDS) <= set(op.forms), f"{name} lacks {set(BACKENDS) - set(op.forms)}"
    assert all(isinstance(op.forms[b], str) and op.forms[b] for b in BACKENDS)


def test_the_rule_file_model_is_derived_from_the_table() -> None:
    """The rule file's leaf has one field per operator, under the key the table names."""
    keys = {f.alias or n for n, f in Leaf.model_fields.items()} - {"fact"}
    assert keys == set(OPERATORS)
    assert {n: op.meaning for n, op in OPERATORS.items()} == RULESET_OPERATORS


def test_every_kind_of_fact_has_operators_and_every_operator_a_kind() -> None:
    """The checker's operator/kind fit comes from the table and covers every kind."""
    kinds = set(get_args(FactKind))
    assert set(OPERATORS_BY_KIND) == kinds
    assert all(OPERATORS_BY_KIND[k] for k in kinds)
    assert all(op.kinds and op.kinds <= kinds for op in OPERATORS.values())


@pytest.mark.parametrize(
    ("name", "value", "operand", "want"),
    [
        ("equals", 18, 18, True),
        ("not_equals", 17, 18, True),
        ("in", 2, frozenset({1, 2}), True),
        ("not_in", 3, frozenset({1, 2}), True),
        ("at_least", 18, 18, True),
        ("at_most", 19, 18, False),
        ("greater_than", 18, 18, False),
        ("less_than", 17, 18, True),
        ("is", False, True, False),
        ("recorded", None, False, True),
        ("contains", frozenset({"a"}), "a", True),
        ("contains_any", frozenset({"a"}), frozenset({"b", "a"}), True),
        ("contains_all", frozenset({"a"}), frozenset({"b", "a"}), False),
        ("size_at_least", frozenset({"a"}), 2, False),
        ("within_days", date(2026, 11, 13), 10, True),
    ],
)
def test_holds_states_each_operator(name: str, value: Any, operand: Any, want: bool) -> None:
    """Each operator's reference predicate means what its description says."""
    assert OPERATORS[name].holds(value, operand, date(2026, 11, 23)) is want


def test_every_operator_is_in_this_test() -> None:
    """The table above names every operator (a new one needs its own line)."""
    named = {p[0] for p in test_holds_states_each_operator.pytestmark[0].args[1]}
    assert named == set(OPERATORS)


@pytest.mark.parametrize("on", [date.min, date(1, 1, 1), date(9999, 12, 31), date.max], ids=str)
def test_date_arithmetic_is_total(on: date) -> None:
    """``within_days`` never overflows, whatever the dates and the day count."""
    op = OPERATORS["within_days"]
    for value in (date.min, date.max, on):
        for days in (0, 36_525):
            assert op.holds(value, days, on) in (True, False)


def test_literals_of_vocabulary_facts_become_enum_members() -> None:
    """A word of a vocabulary is compared as the fact's enum member."""
    spec = RULE_FACTS["prognosis"]
    assert spec.enum_type is not None
    assert typed_literal("prognosis", "weeks") is spec.enum_type("weeks")
    assert OPERATORS["in"].prepare("prognosis", ["weeks"]) == frozenset({spec.enum_type("weeks")})


@pytest.mark.parametrize(
    ("leaf", "key"),
    [
        ('{fact: complex_by_clinician, is: "no"}', "is"),
        ("{fact: complex_by_clinician, is: 0}", "is"),
        ("{fact: age, at_least: true}", "at_least"),
        ('{fact: age, at_least: "18"}', "at_least"),
        ("{fact: eortc_date, within_days: 30.0}", "within_days"),
        ("{fact: eortc_date, within_days: 40000}", "within_days"),
        ("{fact: problem_domains, size_at_least: 100000000000000000000}", "size_at_least"),
        ("{fact: age, at_least: 1.0e400}", "at_least"),
    ],
)
def test_literals_are_strict(leaf: str, key: str) -> None:
    """A literal of the wrong type is refused at its line, not coerced."""
    text = MINIMAL.replace("{fact: age, at_least: 18}", leaf)
    errors = [d for d in check_text(text, path="r.yaml") if d.severity == "error"]
    assert errors, leaf
    assert any(d.line == 24 and key in d.message + d.code for d in errors), [str(d) for d in errors]


def test_n_of_at_least_n_of_is_a_whole_number() -> None:
    """``n: 1.0`` is refused: a count is a whole number."""
    text = MINIMAL.replace(
        "{fact: age, at_least: 18}",
        "{at_least_n_of: {n: 1.0, of: [{fact: age, at_least: 18}]}}",
    )
    assert any(d.severity == "error" for d in check_text(text, path="r.yaml"))
