"""Renderers: order, banners, unknown vs not met, languages, escaping, errors."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from visitation import Assessment, evaluate
from visitation.assessment import PathwayResult, RuleResult, SourceCitation
from visitation.load import parse_ruleset
from visitation.render import FORMATS, render

MINIMAL = (Path(__file__).parents[1] / "data" / "minimal.yaml").read_text(encoding="utf-8")
ON = date(2026, 11, 23)
EVIL = "<script>alert('x')</script> & *bold* [link](javascript:alert(1))"
PROSE_FORMATS = ("text", "md", "html")


def rule(rule_id: str, status: str, **over: Any) -> RuleResult:
    data: dict[str, Any] = {
        "id": rule_id,
        "group": rule_id.partition(".")[0],
        "title": {"da": f"Titel {rule_id}", "en": f"Title {rule_id}"},
        "status": status,
        "explanation": {"da": f"Forklaring {rule_id}.", "en": f"Explanation {rule_id}."},
        "evidence": {"age": 70} if status != "unknown" else {},
        "missing": ["prognosis"] if status == "unknown" else [],
        "source": SourceCitation(
            ref="s1",
            section={"da": "2", "en": "2"},
            title="Source one",
            publisher={"da": "Udgiver", "en": "Pub"},
            url="https://example.org",
        ),
        "provenance": "published",
    }
    data.update(over)
    return RuleResult(**data)


def assessment(**over: Any) -> Assessment:
    """An assessment with one pathway of each verdict, one rule of each status, one indicator."""
    data: dict[str, Any] = {
        "family": "demo",
        "version": "1.0.0",
        "status": "published",
        "title": {"da": "Demo-regler", "en": "Demo rules"},
        "content_hash": "sha256:" + "ab" * 32,
        "evaluated_on": ON,
        "in_force": True,
        "evaluator": "visitation 0.1.0",
        "effective_from": date(2020, 1, 1),
        "effective_until": None,
        "languages": ["da", "en"],
        "pathways": [
            PathwayResult(
                id="specialized",
                title={"da": "Specialiseret", "en": "Specialized"},
                verdict="indeterminate",
                rules=["basic.met", "basic.unknown"],
                blocking=[],
                missing=["prognosis", "consent_referral"],
            ),
            PathwayResult(
                id="hospice",
                title={"da": "Hospice", "en": "Hospice"},
                verdict="not_eligible",
                rules=["basic.met", "hospice.notmet"],
                blocking=["hospice.notmet"],
                missing=[],
            ),
            PathwayResult(
                id="team",
                title={"da": "Team", "en": "Team"},
                verdict="eligible",
                rules=["basic.met"],
                blocking=[],
                missing=[],
            ),
        ],
        "rules": [
            rule("basic.met", "met"),
            rule("basic.unknown", "unknown"),
            rule(
                "hospice.notmet",
                "not_met",
                provenance="inferred",
                rationale={
                    "da": "Valgt, fordi kilden kun siger 'kort'.",
                    "en": "Chosen because the source says only 'short'.",
                },
            ),
        ],
        "indicators": [rule("monitor.days", "unknown")],
    }
    data.update(over)
    return Assessment(**data)


def real_assessment(facts: dict[str, Any], lang: str | None = None) -> Assessment:
    """An Assessment evaluated with the minimal test rule set."""
    rs, diagnostics = parse_ruleset(MINIMAL, path="minimal.yaml")
    assert rs is not None, diagnostics
    return evaluate(facts, rs, on=ON, lang=lang)


def visible_text(out: str) -> str:
    """What a reader sees: HTML without style, tags and attributes (other formats as is)."""
    out = re.sub(r"<style>.*?</style>", "", out, flags=re.S)
    return re.sub(r"<[^>]+>", "", out)


def line_of(text: str, needle: str) -> int:
    """Index of the first line containing needle (fails loudly when absent)."""
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in output")


# -- order ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_verdicts_come_before_rules(fmt: str) -> None:
    """Every format puts the pathway verdicts before the first rule."""
    out = render(assessment(), fmt, "en")
    if fmt == "json":
        assert out.index('"pathways"') < out.index('"rules"')
    else:
        verdict = out.index("Specialized")
        assert verdict < out.index("basic.met") < out.index("monitor.days")


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_indicators_in_their_own_section_after_rules(fmt: str) -> None:
    """Monitoring indicators come last, under a heading saying they are not a gate."""
    out = render(assessment(), fmt, "en")
    heading = out.lower().index("monitoring — not a gate")
    assert out.index("hospice.notmet") < heading < out.index("monitor.days")
    da = render(assessment(), fmt, "da")
    assert "monitorering — ikke et visitationskriterium" in da.lower()


def test_text_header_names_rule_set_version_status_date_and_short_hash() -> None:
    """The text header holds title, family@version, status, evaluation date, short hash."""
    out = render(assessment(), "text", "en")
    header = out.splitlines()[:2]
    assert header[0] == "Demo rules"
    assert header[1] == "demo@1.0.0 · published · evaluated on 2026-11-23 · sha256:abababababab"


def test_text_verdict_lines_list_missing_facts_and_blocking_rules() -> None:
    """Indeterminate verdicts list the facts to record in order; not eligible lists the rules."""
    lines = render(assessment(), "text", "en").splitlines()
    i = line_of("\n".join(lines), "Specialized (specialized)")
    assert "? indeterminate" in lines[i]
    assert lines[i + 1].strip() == "record: expected survival, consent to the referral"
    j = line_of("\n".join(lines), "Hospice (hospice)")
    assert "✗ not eligible" in lines[j]
    assert lines[j + 1].strip() == "not met: hospice.notmet"
    k = line_of("\n".join(lines), "Team (team)")
    assert "✓ eligible" in lines[k]


# -- banners -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
@pytest.mark.parametrize(
    ("status", "en", "da"),
    [
        (
            "provisional",
            "PROVISIONAL: this rule set encodes a guideline whose text is not final",
            "FORELØBIG",
        ),
        ("draft", "DRAFT:", "UDKAST:"),
        ("retired", "RETIRED:", "UDGÅET:"),
    ],
)
def test_non_published_status_banner_comes_first(fmt: str, status: str, en: str, da: str) -> None:
    """A provisional, draft or retired rule set says so before the header, in both languages."""
    a = assessment(status=status)
    out = render(a, fmt, "en")
    assert en in out
    assert out.index(en.split(":")[0]) < out.index("Demo rules")
    assert da in render(a, fmt, "da")


def test_published_rule_set_has_no_banner() -> None:
    """A published rule set in force gets no warning banner."""
    out = render(assessment(), "text", "en")
    assert out.startswith("Demo rules\n")
    assert 'vz-banner"' not in render(assessment(), "html", "en")


def test_json_states_status_and_in_force() -> None:
    """The JSON form carries status and in_force, so machine readers see them too."""
    data = json.loads(render(assessment(status="provisional", in_force=False), "json", "en"))
    assert (data["status"], data["in_force"]) == ("provisional", False)


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_not_in_force_banner(fmt: str) -> None:
    """An assessment on a date outside the effective dates says the rule set was not in force."""
    a = assessment(in_force=False, effective_until=date(2021, 12, 31))
    en = render(a, fmt, "en")
    assert "NOT IN FORCE: demo@1.0.0 was not in force on 2026-11-23" in en
    assert "2021-12-31" in en
    assert "IKKE GÆLDENDE: demo@1.0.0 var ikke gældende den 2026-11-23" in render(a, fmt, "da")


# -- unknown is not "not met" --------------------------------------------------------------


def test_text_status_markers_are_distinct_words_and_symbols() -> None:
    """In text, met / not met / unknown have distinct symbols and words, no colour codes."""
    out = render(assessment(), "text", "en")
    assert "✓ met" in out.splitlines()[line_of(out, "basic.met:")]
    assert "? unknown" in out.splitlines()[line_of(out, "basic.unknown:")]
    assert "✗ not met" in out.splitlines()[line_of(out, "hospice.notmet:")]
    assert "\x1b" not in out


def test_markdown_status_markers_are_distinct() -> None:
    """In Markdown, each status is a bold symbol plus word."""
    out = render(assessment(), "md", "en")
    assert "**✓ met**" in out.splitlines()[line_of(out, "— `basic.met`")]
    assert "**? unknown**" in out.splitlines()[line_of(out, "— `basic.unknown`")]
    assert "**✗ not met**" in out.splitlines()[line_of(out, "— `hospice.notmet`")]


def test_html_status_has_class_icon_and_word() -> None:
    """In HTML, unknown and not met differ in class, icon and word (never colour alone)."""
    out = render(assessment(), "html", "en")
    unknown = re.search(r'<li class="vz-rule vz-unknown"[^>]*>\s*(.*?)</li>', out, re.S)
    not_met = re.search(r'<li class="vz-rule vz-not-met"[^>]*>\s*(.*?)</li>', out, re.S)
    assert unknown is not None and not_met is not None
    assert '">?</span> unknown</span>' in unknown.group(1)
    assert '">✗</span> not met</span>' in not_met.group(1)
    # distinct styles in the scoped stylesheet, dashed for unknown
    assert "vz-unknown,.vz-assessment .vz-indeterminate{border-left-style:dashed" in out
    assert 'class="vz-verdict vz-indeterminate"' in out
    assert 'class="vz-verdict vz-not-eligible"' in out


def test_real_unknown_rule_renders_as_unknown() -> None:
    """An evaluated rule over an unrecorded fact shows as unknown with its missing facts."""
    out = render(real_assessment({"age": 10}), "text", "en")
    line = out.splitlines()[line_of(out, "hospice.complex:")]
    assert "? unknown" in line and "not met" not in line
    assert "missing: dimensions with problems, clinician's judgement of complexity" in out
    assert "✗ not met  hospice.adult: Adult" in out


# -- languages -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_danish_labels(fmt: str) -> None:
    """Danish output uses Danish words for statuses, verdicts and sections."""
    out = visible_text(render(assessment(), fmt, "da"))
    for word in (
        "opfyldt",
        "ikke opfyldt",
        "ukendt",
        "opfylder kriterierne",
        "opfylder ikke kriterierne",
        "kan ikke afgøres",
        "Titel basic.met",
        "Forklaring basic.met.",
        "helhedsvurdering",
        "Udgiver",
        "Valgt, fordi kilden kun siger",
    ):
        assert word in out, word
    assert "not met" not in out and "eligible" not in out


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_english_labels(fmt: str) -> None:
    """English output uses English words and the rule texts in English."""
    out = render(assessment(), fmt, "en")
    for word in ("met", "not met", "unknown", "eligible", "not eligible", "indeterminate"):
        assert word in out, word
    assert "Explanation basic.met." in out and "Forklaring" not in out
    assert "Pub" in out and "Udgiver" not in out and "Valgt, fordi" not in out


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_rule_details_evidence_source_and_provenance(fmt: str) -> None:
    """Each rule shows evidence, missing facts, source and, for inferred rules, the rationale."""
    out = render(assessment(), fmt, "en")
    assert "Source one" in out and "Pub" in out and "section 2" in out
    assert "inferred" in out and "Chosen because the source says only" in out
    assert "evidence" in out and "missing" in out


@pytest.mark.parametrize("fmt", PROSE_FORMATS)
def test_footer_says_the_verdict_supports_judgement(fmt: str) -> None:
    """The footer says hospice criteria are a whole and the verdict supports judgement."""
    out = render(assessment(), fmt, "en")
    assert "assessed as a whole" in out
    assert out.rstrip().endswith(("judgement.", "judgement._", "judgement.</p>\n</div>"))


# -- JSON ----------------------------------------------------------------------------------


def test_json_is_the_canonical_json() -> None:
    """The json format is Assessment.to_json(), and reads back equal."""
    a = real_assessment({"age": 70})
    out = render(a, "json", "en")
    assert out == a.to_json()
    assert Assessment.from_json(out) == a


# -- escaping ------------------------------------------------------------------------------


def evil_assessment() -> Assessment:
    return assessment(
        title={"da": EVIL, "en": EVIL},
        rules=[
            rule(
                "basic.met",
                "met",
                title={"da": EVIL, "en": EVIL},
                explanation={"da": EVIL, "en": EVIL},
                evidence={"free_text": EVIL, "list": [EVIL, 1]},
                source=SourceCitation(
                    ref="s1",
                    section={"da": EVIL, "en": EVIL},
                    title=EVIL,
                    publisher={"da": EVIL, "en": EVIL},
                    url='javascript:alert("x")',
                ),
            )
        ],
    )


def test_html_escapes_every_text() -> None:
    """Rule texts and fact values with markup are escaped in HTML; no script gets through."""
    out = render(evil_assessment(), "html", "en")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in out
    assert "javascript:" not in out.replace("[link](javascript:alert(1))", "")
    assert 'href="javascript' not in out


def test_html_is_a_scoped_self_contained_fragment() -> None:
    """The HTML is one div with an inline style whose rules are all scoped to its class."""
    out = render(assessment(), "html", "en")
    assert out.startswith('<div class="vz-assessment"') and out.endswith("</div>")
    style = re.search(r"<style>(.*?)</style>", out, re.S)
    assert style is not None
    for selector_group in re.findall(r"(?:^|})\s*([^{}]+)\{", style.group(1)):
        for selector in selector_group.split(","):
            assert selector.strip().startswith(".vz-assessment"), selector


def test_repr_html_for_notebooks() -> None:
    """Assessment._repr_html_ returns the English HTML fragment."""
    a = assessment()
    assert a._repr_html_() == render(a, "html", "en")


def test_markdown_escapes_markup() -> None:
    """In Markdown, HTML tags, emphasis and link syntax from rule texts stay literal."""
    out = render(evil_assessment(), "md", "en")
    assert "<script>" not in out
    assert r"\<script\>" in out
    assert r"\*bold\*" in out
    assert "[link](" not in out


def test_text_keeps_text_verbatim_on_one_line() -> None:
    """Plain text is not escaped, but newlines inside rule texts cannot break the layout."""
    a = assessment(
        rules=[rule("basic.met", "met", explanation={"da": "a\nb", "en": "first\n\nsecond"})]
    )
    out = render(a, "text", "en")
    assert "first second" in out
    assert EVIL in render(evil_assessment(), "text", "en")


# -- errors --------------------------------------------------------------------------------


def test_unknown_format_lists_the_formats() -> None:
    """An unknown format is a ValueError naming every format."""
    with pytest.raises(ValueError, match="unknown format 'pdf'; formats: text, md, json, html"):
        render(assessment(), "pdf", "en")


def test_language_not_in_assessment() -> None:
    """A language the assessment lacks is a ValueError naming the languages it has."""
    a = real_assessment({"age": 70})
    only_da = real_assessment({"age": 70}, lang="da")
    with pytest.raises(ValueError, match="languages: da, en"):
        render(a, "text", "de")
    with pytest.raises(ValueError, match=r"languages: da$"):
        render(only_da, "text", "en")


def test_default_language_is_english_else_the_first() -> None:
    """Without lang, render (and the Assessment's own render) use English when the
    assessment holds it, else its first language."""
    a = assessment(languages=["da", "en"])
    assert render(a) == render(a, "text", "en") == a.render()
    only_da = assessment(languages=["da"])
    assert render(only_da) == render(only_da, "text", "da") == str(only_da)


@pytest.mark.parametrize("status", ["published", "provisional"])
def test_html_tags_are_balanced(status: str) -> None:
    """Every opened HTML element is closed in order, so the fragment nests in any page."""
    from html.parser import HTMLParser

    void = {"br", "hr", "img", "meta", "link", "input"}

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in void:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack[-1] == tag, (tag, self.stack)
            self.stack.pop()

    parser = Balance()
    parser.feed(render(assessment(status=status, in_force=False), "html", "da"))
    parser.close()
    assert parser.stack == []


def test_danish_only_assessment_displays_itself() -> None:
    """An Assessment made with lang='da' renders in Danish through str() and the notebook hooks."""
    import visitation

    a = visitation.evaluate({"age": 70}, "dk-national@1.0.0", on="2026-11-23", lang="da")
    assert "ukendt" in str(a)
    assert "ukendt" in a._repr_html_()
    assert "ukendt" in a._repr_markdown_()
