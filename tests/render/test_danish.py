"""Danish output is Danish: no fact id and no vocabulary code reaches a Danish reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import visitation
from visitation.explain import LABELS
from visitation.facts import RULE_FACTS

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
KEYS = [info.key for info in visitation.list_rulesets()]

FACT_IDS = sorted(n for n in RULE_FACTS if "_" in n or n == "age")
"""Fact ids a Danish text could not contain by chance (``age`` is not a Danish word)."""

CODES = sorted(
    {
        v
        for spec in RULE_FACTS.values()
        for v in spec.vocabulary
        if "_" in v and LABELS["da"].get(v, v) != v
    }
)
"""Vocabulary codes a text could only hold as codes (``few_months``, ``heart_vascular``).
One-word codes (``days``, ``cancer``) are English words too, and the rationales of the
released rule files are still English prose (per-language rationales are open)."""


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_danish_renderings_hold_no_fact_id_or_vocabulary_code(key: str, fmt: str) -> None:
    """Every example under every bundled rule set, rendered in Danish, names facts and
    values in Danish words (the JSON keeps the ids, for programs)."""
    for example in EXAMPLES:
        a = visitation.evaluate(visitation.load_patient(example), key, on="2026-12-01")
        out = a.render(fmt, lang="da")
        words = re.sub(r"https?://\S+", " ", out)  # URLs may hold any word
        for name in FACT_IDS:
            assert not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", words), (
                example.name,
                name,
            )
        for code in CODES:
            assert not re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", words), (
                example.name,
                code,
            )
