"""Every fact a rule may name has a readable Danish and English label."""

from __future__ import annotations

from visitation.fact_labels import FACT_LABELS, fact_label
from visitation.facts import RULE_FACTS


def test_every_fact_has_a_label_in_both_languages() -> None:
    """No fact is shown to a reader by its id for want of a label, in Danish or English."""
    assert set(FACT_LABELS) == set(RULE_FACTS)
    for name, labels in FACT_LABELS.items():
        assert labels.get("da") and labels.get("en"), name
        assert "_" not in labels["da"] and "_" not in labels["en"], name


def test_a_label_falls_back_to_the_fact_id() -> None:
    """A language or fact without a label is shown by its id, never as an empty string."""
    assert fact_label("age", "da") == "alder"
    assert fact_label("age", "sv") == "age"
    assert fact_label("no_such_fact", "da") == "no_such_fact"
