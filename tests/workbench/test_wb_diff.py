"""The rule-level diff: what counts as MAJOR, MINOR and PATCH, renames, definitions, and
the four output formats."""

from __future__ import annotations

import json
from typing import Any

import visitation
from visitation import RuleSet
from visitation.workbench import compare, diff
from visitation.workbench.diff import ItemChange, RuleSetDiff


def _base() -> dict[str, Any]:
    rs = visitation.load_ruleset("dk-national@2.0.0")
    return rs.model_dump(mode="json", by_alias=True, exclude_none=True)


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in (*data["rules"], *data["indicators"]) if r["id"] == rule_id)


def _diff(edit: Any) -> RuleSetDiff:
    before = _base()
    after = _base()
    edit(after)
    return compare(RuleSet.model_validate(before), RuleSet.model_validate(after))


def _item(d: RuleSetDiff, item_id: str) -> ItemChange:
    return next(i for i in d.items if i.id == item_id)


def test_no_change_is_no_change() -> None:
    """A rule set against itself: no items, impact none."""
    d = _diff(lambda data: None)
    assert d.items == () and d.impact == "none"


def test_a_threshold_is_major_and_shown_in_words() -> None:
    """Moving the EORTC window from 30 to 14 days is a MAJOR change of the condition,
    shown as sentences (before and after), not YAML."""
    d = _diff(lambda data: _rule(data, "basic.needs-assessment")["when"].update(within_days=14))
    item = _item(d, "basic.needs-assessment")
    assert (item.change, item.impact) == ("changed", "major")
    assert item.words_before["en"] == (
        "date of EORTC QLQ-C15-PAL is 0 to 30 days before the evaluation date",
    )
    assert item.words_after["da"] == (
        "dato for EORTC QLQ-C15-PAL ligger 0 til 14 dage før vurderingsdatoen",
    )


def test_wording_is_minor_per_language() -> None:
    """A Danish explanation reworded: MINOR, one field, language da."""
    d = _diff(lambda data: _rule(data, "basic.consent")["explain"]["met"].update(da="Ja."))
    item = _item(d, "basic.consent")
    assert item.impact == "minor" and d.impact == "minor"
    assert [(f.field, f.lang) for f in item.fields] == [("explain.met", "da")]


def test_a_note_is_a_patch() -> None:
    """A rule's note: PATCH (no output changes)."""
    d = _diff(lambda data: _rule(data, "basic.consent").update(note="For authors."))
    assert _item(d, "basic.consent").impact == "patch" and d.impact == "patch"


def test_kind_documentation_is_major() -> None:
    """A criterion turned into a documentation rule moves readiness and the verdict: MAJOR,
    and both pathways' rule lists change."""
    d = _diff(lambda data: _rule(data, "basic.consent").update(kind="documentation"))
    assert [f.field for f in _item(d, "basic.consent").fields] == ["kind"]
    assert _item(d, "hospice").impact == "major"


def test_a_renamed_rule_is_found_and_major() -> None:
    """An id changed, nothing else: one 'renamed' item (MAJOR: ids are in every result)."""
    d = _diff(lambda data: _rule(data, "basic.consent").update(id="basic.consent-given"))
    item = _item(d, "basic.consent-given")
    assert (item.change, item.renamed_from, item.impact) == ("renamed", "basic.consent", "major")
    assert "basic.consent" in d.changed_rule_ids and "basic.consent-given" in d.changed_rule_ids


def test_a_definition_change_changes_the_rules_that_use_it() -> None:
    """The 'adult' definition moved to 21: the definition and both rules that use it are
    MAJOR, each naming the definition it changed through."""

    def edit(data: dict[str, Any]) -> None:
        data["definitions"]["adult"] = {"fact": "age", "at_least": 21}

    d = _diff(edit)
    assert _item(d, "adult").kind == "definition" and _item(d, "adult").impact == "major"
    for rid in ("specialized.adult", "hospice.adult"):
        assert _item(d, rid).via == ("adult",) and _item(d, rid).impact == "major"


def test_inlining_a_definition_is_not_a_change_of_meaning() -> None:
    """A rule that writes out its definition instead of 'use' has the same expanded
    condition: no MAJOR change (only the unused-definition bookkeeping)."""

    def edit(data: dict[str, Any]) -> None:
        _rule(data, "hospice.adult")["when"] = data["definitions"]["adult"]

    d = _diff(edit)
    assert all(i.id != "hospice.adult" for i in d.items)


def test_set_literal_order_does_not_matter() -> None:
    """`in: [a, b]` and `in: [b, a]` are the same condition."""

    def edit(data: dict[str, Any]) -> None:
        for r in (*data["rules"], *data["indicators"]):
            when = r["when"]
            if "in" in when:
                when["in"] = list(reversed(when["in"]))

    assert _diff(edit).impact == "none"


def test_pathways_and_sources() -> None:
    """A pathway's title is MINOR, its description PATCH, a group more MAJOR; a cited
    source's title MINOR."""

    def edit(data: dict[str, Any]) -> None:
        data["pathways"]["hospice"]["title"]["en"] = "Hospice care"
        data["pathways"]["hospice"]["description"]["en"] = "Care at a hospice."
        source = next(s for s in data["sources"] if s["id"] == "danske-regioner-hospice")
        source["title"] = "The criteria"
        source["note"] = "For authors."

    d = _diff(edit)
    hospice = _item(d, "hospice")
    assert hospice.impact == "minor"
    assert {(f.field, f.impact) for f in hospice.fields} == {
        ("title", "minor"),
        ("description", "patch"),
    }
    source = _item(d, "danske-regioner-hospice")
    assert {(f.field, f.impact) for f in source.fields} == {("title", "minor"), ("note", "patch")}

    def more(data: dict[str, Any]) -> None:
        data["pathways"]["hospice"]["requires"].append("specialized")

    assert _item(_diff(more), "hospice").impact == "major"


def test_a_rule_added_and_removed() -> None:
    """A rule dropped, another added with a new condition: one removed, one added, MAJOR."""

    def edit(data: dict[str, Any]) -> None:
        rule = _rule(data, "basic.consent")
        rule["id"] = "basic.consent-written"
        rule["when"] = {"fact": "consent_referral", "is": False}

    d = _diff(edit)
    assert {(i.id, i.change) for i in d.of("rule")} == {
        ("basic.consent-written", "added"),
        ("basic.consent", "removed"),
    }


def test_the_formats() -> None:
    """Text, Markdown, HTML and JSON name the same changes; JSON round-trips."""
    d = diff("dk-national@2.0.0", "dk-national@3.0.0")
    data = json.loads(d.render("json"))
    assert data["step"] == "major" and data["impact"] == "major" and data["diagnostics"] == []
    ids = {i["id"] for i in data["items"]}
    assert {"basic.screening-current", "basic.informed"} <= ids
    for fmt in ("text", "md", "html"):
        out = d.render(fmt)
        assert "basic.screening-current" in out and "0 to 30 days" in out
    assert "<script" not in d._repr_html_()
    danish = d.render("text", "da")
    assert "dato for EORTC QLQ-C15-PAL ligger 0 til 30 dage før vurderingsdatoen" in danish


def test_two_families_are_compared_but_not_checked() -> None:
    """A region against the nation: the diff is shown, no version checks."""
    d = diff("dk-national@3.0.0", "dk-hovedstaden@2.0.0")
    assert not d.same_family and d.diagnostics == ()
    assert "not checked: two families" in d.render("text")
