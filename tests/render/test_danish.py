"""Danish output is Danish: no fact id and no vocabulary code reaches a Danish reader."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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
older rule files are English prose (given as plain strings, before texts had languages;
``test_languages.py`` holds the latest versions to Danish words throughout)."""


def _json_texts(out: str) -> str:
    """The Danish texts a reader of the JSON sees (its ids and evidence keys are for
    programs): titles, explanations, rationales, sections, publishers."""
    a: dict[str, Any] = json.loads(out)
    texts = [a["title"]["da"], *(p["title"]["da"] for p in a["pathways"])]
    for r in [*a["rules"], *a["indicators"]]:
        texts += [r["title"]["da"], r["explanation"]["da"]]
        texts += [r["source"]["section"]["da"], r["source"]["publisher"]["da"]]
        texts += [r["rationale"]["da"]] if r["rationale"] else []
    return "\n".join(texts)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("fmt", ["text", "md", "html", "json"])
def test_danish_renderings_hold_no_fact_id_or_vocabulary_code(key: str, fmt: str) -> None:
    """Every example under every bundled rule set, rendered in Danish, names facts and
    values in Danish words (the JSON's texts too; its ids and keys are for programs)."""
    for example in EXAMPLES:
        a = visitation.evaluate(visitation.load_patient(example), key, on="2026-12-01")
        out = a.render(fmt, lang="da")
        if fmt == "json":
            out = _json_texts(out)
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
