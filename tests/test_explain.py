"""Readable values: the formatter prepared for one fact writes what format_value writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from visitation.explain import LABELS, format_value, formatter
from visitation.facts import FACTS, DiagnosisGroup, ProblemDomain
from visitation.testing import DEFAULT_ON, fact_values

LANGS = sorted(LABELS)
NAMES = sorted(FACTS)

ODD: list[Any] = [
    None, True, False, 0, 1, 18, -3, "", "x", "physical", "cancer", 1.5,
    date(2026, 2, 28), frozenset(), frozenset({"physical"}), frozenset({ProblemDomain.social}),
    frozenset({ProblemDomain.social, "physical"}), frozenset({1, "a"}), set(), {"b", "a"},
    [], [1, 2], (), ("a",), ProblemDomain.physical, DiagnosisGroup.cancer,
]  # fmt: skip
"""Values of every type a fact holds and of types it does not: the same text either way."""


@settings(max_examples=300)
@given(name=st.sampled_from(NAMES), lang=st.sampled_from(LANGS), data=st.data())
def test_a_prepared_formatter_writes_what_format_value_writes(
    name: str, lang: str, data: st.DataObject
) -> None:
    """For any recorded value of a fact, and for None, its prepared formatter gives the
    text format_value gives."""
    spec = FACTS[name]
    fmt = formatter(spec.kind, spec.enum_type, lang)
    value = data.draw(st.none() | fact_values(name, on=DEFAULT_ON, boundary=True))
    assert fmt(value) == format_value(value, lang)


def test_a_prepared_formatter_hands_other_values_to_format_value() -> None:
    """A value of another type than the fact's kind (a code string for an enum, a plain
    text in a set of vocabulary words, an int for a yes/no) is formatted by format_value."""
    for name in NAMES:
        spec = FACTS[name]
        for lang in LANGS:
            fmt = formatter(spec.kind, spec.enum_type, lang)
            for value in ODD:
                assert fmt(value) == format_value(value, lang), (name, lang, value)
    assert formatter(None, None, "da")(frozenset({2, 1})) == "1, 2"
