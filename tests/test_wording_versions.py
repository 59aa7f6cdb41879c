"""The wording-only versions change what a reader sees and nothing that can move a verdict.

``dk-national`` 1.1.0 and 3.1.0, ``dk-hovedstaden`` 2.1.0 and ``dk-midtjylland`` 1.1.0 give
their texts in both languages and reword the Danish. Each is held to the version it
supersedes: the same rules, conditions, groups, kinds, provenance, cited sources,
definitions, pathways, languages, status and dates; every rule named in its change entry
as reworded. (Their case files are the earlier versions' cases, unchanged.)
"""

from __future__ import annotations

from typing import Any

import pytest

import visitation

PAIRS = [
    ("dk-national@1.0.0", "dk-national@1.1.0"),
    ("dk-national@3.0.0", "dk-national@3.1.0"),
    ("dk-hovedstaden@2.0.0", "dk-hovedstaden@2.1.0"),
    ("dk-midtjylland@1.0.0", "dk-midtjylland@1.1.0"),
]

READER_TEXTS = frozenset(
    {"title", "explain", "rationale", "note", "section", "publisher", "dates_note"}
    | {"description", "changes", "version"}
)
"""What a wording-only version may change (and its own version and change list)."""


def _logic(data: Any) -> Any:
    """The rule set without the texts a reader sees: what decides statuses and verdicts."""
    if isinstance(data, dict):
        return {k: _logic(v) for k, v in data.items() if k not in READER_TEXTS}
    if isinstance(data, list):
        return [_logic(v) for v in data]
    return data


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[new for _, new in PAIRS])
def test_a_wording_version_keeps_everything_that_decides_a_verdict(old: str, new: str) -> None:
    """Stripped of its texts, the new version is the old one; it starts on the same day
    with the same status, so it is the version chosen by date from then on."""
    a, b = visitation.load_ruleset(old), visitation.load_ruleset(new)
    assert _logic(b.model_dump(mode="json", by_alias=True, exclude_none=True)) == _logic(
        a.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    assert (b.status, b.effective_from, b.effective_until) == (
        a.status,
        a.effective_from,
        a.effective_until,
    )
    entry = next(c for c in b.changes if c.version == b.version)
    assert {r.id: r.change for r in entry.rules} == {
        r.id: "reworded" for r in (*b.rules, *b.indicators)
    }
    assert [c.model_dump() for c in b.changes[1:]] == [c.model_dump() for c in a.changes]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[new for _, new in PAIRS])
def test_a_wording_version_gives_every_reader_text_per_language(old: str, new: str) -> None:
    """No plain string is left in the new version: every text has every language."""
    b = visitation.load_ruleset(new)
    texts: list[Any] = [b.publisher, b.dates_note]
    texts += [t for s in b.sources for t in (s.publisher, s.note) if t is not None]
    for r in (*b.rules, *b.indicators):
        texts += [r.source.section] + [t for t in (r.rationale, r.note) if t is not None]
    for text in texts:
        assert isinstance(text, dict) and set(text) == set(b.languages), text
