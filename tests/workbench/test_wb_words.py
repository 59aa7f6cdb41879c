"""Conditions in words, in Danish and English."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from visitation.ruleset import Condition
from visitation.workbench import condition_words

_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def _say(data: Any, lang: str, definitions: dict[str, Any] | None = None) -> list[str]:
    defs = {k: _CONDITION.validate_python(v) for k, v in (definitions or {}).items()}
    return condition_words(_CONDITION.validate_python(data), defs, lang).indented()


@pytest.mark.parametrize(
    ("leaf", "en", "da"),
    [
        ({"fact": "age", "at_least": 18}, "age is at least 18", "alder er mindst 18"),
        (
            {"fact": "prognosis", "in": ["days", "weeks", "few_months"]},
            "expected survival is days, weeks or a few months",
            "forventet levetid er dage, uger eller få måneder",
        ),
        ({"fact": "wishes_hospice", "is": True}, "wish for hospice: yes", "ønske om hospice: ja"),
        (
            {"fact": "referrer", "not_in": ["patient_relative", "other"]},
            "referrer is recorded and is none of: patient/relative, other",
            "henviser er registreret og er ingen af: patient/pårørende, anden",
        ),
        (
            {"fact": "problem_domains", "contains_all": ["physical", "social"]},
            "dimensions with problems include all of: physical and social",
            "dimensioner med problemer omfatter alle af: fysisk og social",
        ),
        (
            {"fact": "eortc_date", "within_days": 30},
            "date of EORTC QLQ-C15-PAL is 0 to 30 days before the evaluation date",
            "dato for EORTC QLQ-C15-PAL ligger 0 til 30 dage før vurderingsdatoen",
        ),
        ({"fact": "eortc_date", "recorded": True}, "date of EORTC QLQ-C15-PAL is recorded",
         "dato for EORTC QLQ-C15-PAL er registreret"),
    ],
)  # fmt: skip
def test_a_leaf_reads_as_a_sentence(leaf: dict[str, Any], en: str, da: str) -> None:
    """Each operator reads as a sentence with the fact's name and values in words."""
    assert _say(leaf, "en") == [en]
    assert _say(leaf, "da") == [da]


def test_nodes_nest_and_use_is_named() -> None:
    """all / any / not / at_least_n_of head their parts; a use names its definition."""
    condition = {
        "all": [
            {"use": "adult"},
            {"at_least_n_of": {"n": 2, "of": [
                {"fact": "incurable", "is": True},
                {"not": {"fact": "relieved_at_basic", "is": True}},
                {"fact": "symptom_count", "at_most": 2},
            ]}},
        ]
    }  # fmt: skip
    assert _say(condition, "en", {"adult": {"fact": "age", "at_least": 18}}) == [
        "all of these:",
        "  the definition “adult” (age is at least 18)",
        "  at least 2 of these:",
        "    incurable illness: yes",
        "    not:",
        "      relieved at the basic level: yes",
        "    number of symptoms is at most 2",
    ]
    assert _say(condition, "da", {"adult": {"fact": "age", "at_least": 18}})[:3] == [
        "alle disse:",
        "  definitionen “adult” (alder er mindst 18)",
        "  mindst 2 af disse:",
    ]
