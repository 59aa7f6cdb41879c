"""Hostile rule files and patients: no raw HTML through Markdown, no control character out.

Issue 8, defects 6 and 7. A rule set built in Python (a copy of the test rule set with
hostile strings) is evaluated with ``visitation.evaluate`` and rendered in every format;
the Markdown goes through a CommonMark renderer (markdown-it-py, raw HTML enabled, as in
most viewers) and the HTML through the standard library's parser.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import visitation
from visitation import Assessment, RuleSet
from visitation.load import parse_ruleset
from visitation.render import escape

MINIMAL = (Path(__file__).parents[1] / "data" / "minimal.yaml").read_text(encoding="utf-8")
ON = "2026-11-23"
COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])
SCRIPT_URL = "https://example.org/\n<script src=https://evil.example/x.js></script>"
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m"
BIDI = "abc\u202edef\u2066g\u2069"

MD_TAGS = {"blockquote", "p", "strong", "em", "h2", "h3", "h4", "code", "ul", "li", "br", "a", "hr"}
"""Every element the Markdown renderer's own syntax makes."""
HTML_TAGS = {"div", "style", "p", "h2", "h3", "h4", "code", "strong", "em", "section", "ul", "li",
             "span", "dl", "dt", "dd", "a"}  # fmt: skip
"""Every element the HTML renderer writes itself."""


def base() -> dict[str, Any]:
    """The test rule set as plain data, plus a rule whose explanation shows measures_tried."""
    rs, diagnostics = parse_ruleset(MINIMAL, path="minimal.yaml")
    assert rs is not None, diagnostics
    data = rs.model_dump(by_alias=True, exclude_none=True, mode="json")
    tried = copy.deepcopy(data["rules"][1])
    tried.update(
        id="hospice.tried",
        title={"da": "Afprøvet", "en": "Tried"},
        when={"fact": "measures_tried", "size_at_least": 1},
        explain={
            outcome: {"da": "Afprøvet: {measures_tried}.", "en": "Tried: {measures_tried}."}
            for outcome in ("met", "not_met", "unknown")
        },
    )
    data["rules"].append(tried)
    return data


def assess(data: dict[str, Any], measures: list[str] | None = None) -> Assessment:
    """``data`` validated as a RuleSet and evaluated for an adult with ``measures`` tried."""
    ruleset = RuleSet.model_validate(data)
    patient = {"age": 70, "measures_tried": measures or ["oxygen"]}
    return visitation.evaluate(patient, ruleset, on=ON)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The start tags of ``html`` with their attributes."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_no_injected_html(html: str, allowed: set[str]) -> None:
    """Only our own elements, no event handler, every link to http(s)."""
    for tag, attrs in tags(html):
        assert tag in allowed, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src"):
                assert value is not None and value.lower().startswith(("https://", "http://"))
                assert not re.search(r"[\s<>\"']", value), value


def assert_safe(a: Assessment) -> None:
    """Every format, in every language, holds no control character and no injected HTML."""
    for lang in a.languages:
        text = a.render("text", lang=lang)
        md = a.render("md", lang=lang)
        html = a.render("html", lang=lang)
        for out in (text, md, html, a.render("json", lang=lang)):
            assert escape.UNSAFE.search(out) is None, escape.UNSAFE.findall(out)
        rendered = COMMONMARK.render(md)
        assert "<script" not in rendered.lower() and "<script" not in html.lower()
        assert_no_injected_html(rendered, MD_TAGS)
        assert_no_injected_html(html, HTML_TAGS)


# -- defect 6: raw HTML through Markdown ---------------------------------------------------


def test_url_with_a_newline_cannot_open_a_raw_html_block() -> None:
    """A source url holding a newline and a <script> stays inside one percent-encoded link."""
    data = base()
    data["sources"][0]["url"] = SCRIPT_URL
    a = assess(data)
    rendered = COMMONMARK.render(a.render("md"))
    assert "<script" not in rendered
    assert '<a href="https://example.org/%0A%3Cscript%20src=https://evil.example' in rendered
    assert_safe(a)


def test_markup_in_every_rule_text_stays_literal() -> None:
    """HTML, Markdown link and emphasis syntax in titles, explanations, sources stay text."""
    evil = "<img src=x onerror=alert(1)> *b* [l](javascript:alert(1)) `c` &lt;i&gt;"
    data = base()
    data["title"] = {"da": evil, "en": evil}
    data["pathways"]["hospice"]["title"] = {"da": evil, "en": evil}
    data["sources"][0].update(title=evil, publisher=evil)
    for rule in data["rules"]:
        rule["title"] = {"da": evil, "en": evil}
        rule["source"]["section"] = evil
        rule["rationale"] = evil
    a = assess(data, measures=[evil])
    rendered = COMMONMARK.render(a.render("md"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "&amp;lt;i&amp;gt;" in rendered  # the entity shows as written, not as a tag
    assert_safe(a)


def test_only_http_urls_become_links() -> None:
    """A javascript:, data: or relative source url is shown, never linked, in Markdown and HTML."""
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil"):
        data = base()
        data["sources"][0]["url"] = url
        a = assess(data)
        assert "<a " not in COMMONMARK.render(a.render("md"))
        assert "<a " not in a.render("html")
        assert_safe(a)


# -- defect 7: terminal control characters -------------------------------------------------


def test_escape_sequences_in_measures_tried_are_made_visible() -> None:
    """ESC sequences and C1 controls in patient free text show as ␛ and <U+009B>, everywhere."""
    a = assess(base(), measures=[ESCAPES])
    for fmt in ("text", "md", "html"):
        out = a.render(fmt)
        assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
        assert "␛[2J␛]0;owned␇<U+009B>31m" in out.replace("\\", "").replace("&lt;", "<").replace(
            "&gt;", ">"
        )
    assert_safe(a)


def test_bidi_overrides_in_rule_texts_are_made_visible() -> None:
    """U+202E and the isolates U+2066–U+2069 in titles, explanations, urls are shown as code points."""
    data = base()
    data["rules"][0]["title"] = {"da": BIDI, "en": BIDI}
    data["rules"][0]["explain"]["met"] = {"da": BIDI, "en": BIDI}
    data["sources"][0]["url"] = "https://example.org/" + BIDI
    a = assess(data)
    text = a.render("text")
    assert "abc<U+202E>def<U+2066>g<U+2069>" in text
    assert "%E2%80%AE" in a.render("md") and "%E2%80%AE" in a.render("html")
    assert_safe(a)


def test_json_writes_unsafe_characters_as_escapes_and_reads_back_equal() -> None:
    """The JSON output escapes bidi and C1 characters as \\uXXXX and still round-trips exactly."""
    a = assess(base(), measures=[BIDI + "\x9b"])
    out = a.render("json")
    assert "\\u202e" in out and "\\u009b" in out
    assert Assessment.from_json(out) == a


# -- property: arbitrary unicode in every string field -------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)
"""Arbitrary unicode: controls, bidi characters, markup (no lone surrogates: no rule file or
patient file can hold one, the schema refuses them in per-language texts, and JSON cannot
carry them)."""
PROSE = st.text(st.characters(codec="utf-8", exclude_characters="{"), min_size=1, max_size=30)
"""The same without '{', which would start an explanation placeholder."""


def lang_text(strategy: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({"da": strategy, "en": strategy})


@st.composite
def hostile_rule_sets(draw: st.DrawFn) -> dict[str, Any]:
    """The test rule set with every free-text string field of the rule file drawn."""
    data = base()
    data["title"] = draw(lang_text())
    data["publisher"] = draw(TEXT)
    data["dates_note"] = draw(TEXT)
    source = data["sources"][0]
    for key in ("title", "publisher", "date", "url", "seed", "note"):
        source[key] = draw(TEXT)
    source["publisher"] = draw(TEXT | lang_text())
    if draw(st.booleans()):
        source["url"] = "https://example.org/" + draw(TEXT)
    pathway = data["pathways"]["hospice"]
    pathway["title"] = draw(lang_text())
    pathway["description"] = draw(lang_text())
    for rule in data["rules"]:
        rule["title"] = draw(lang_text())
        rule["source"]["section"] = draw(TEXT | lang_text())  # legacy plain or per language
        rule["rationale"] = draw(TEXT.map("r".__add__) | lang_text(TEXT.map("r".__add__)))
        rule["note"] = draw(TEXT | lang_text())
        for outcome in ("met", "not_met", "unknown"):
            texts = draw(lang_text(PROSE))
            if rule["id"] == "hospice.tried":
                texts = {lang: f"{t} {{measures_tried}}" for lang, t in texts.items()}
            rule["explain"][outcome] = texts
    data["changes"][0]["summary"] = draw(TEXT)
    return data


@settings(suppress_health_check=[HealthCheck.too_slow])  # a rule set per example
@given(hostile_rule_sets(), st.lists(TEXT, min_size=1, max_size=4))
def test_no_hostile_string_reaches_output_as_control_or_markup(
    data: dict[str, Any], measures: list[str]
) -> None:
    """Arbitrary unicode in every rule-file string and in measures_tried never yields a control
    character in any output, nor raw HTML in Markdown rendered by CommonMark, nor in HTML."""
    assert_safe(assess(data, measures))


@st.composite
def hostile_assessments(draw: st.DrawFn) -> Assessment:
    """An evaluated Assessment with every string in it replaced: ids, groups, facts too."""
    data = assess(base()).to_dict()
    data["family"], data["version"], data["content_hash"] = draw(
        st.lists(TEXT, min_size=3, max_size=3)
    )
    data["title"] = draw(lang_text())
    for p in data["pathways"]:
        p.update(id=draw(TEXT), title=draw(lang_text()), missing=draw(st.lists(TEXT, max_size=2)))
        p.update(blocking=draw(st.lists(TEXT, max_size=2)), verdict=draw(st.sampled_from(
            ["eligible", "not_eligible", "indeterminate"])))  # fmt: skip
    for r in data["rules"]:
        r.update(id=draw(TEXT), group=draw(TEXT), title=draw(lang_text()))
        r.update(explanation=draw(lang_text()), missing=draw(st.lists(TEXT, max_size=2)))
        r["evidence"] = draw(st.dictionaries(TEXT, TEXT | st.lists(TEXT, max_size=2), max_size=2))
        r["source"].update(ref=draw(TEXT), title=draw(TEXT), section=draw(lang_text()))
        r["source"].update(
            publisher=draw(lang_text()), url=draw(TEXT | TEXT.map("http://x/".__add__))
        )
        r["rationale"] = draw(st.none() | lang_text())
    return Assessment.model_validate(data)


@given(hostile_assessments())
def test_no_string_of_an_assessment_reaches_output_as_control_or_markup(a: Assessment) -> None:
    """Arbitrary unicode in any string of an Assessment (as read back from JSON) never yields
    a control character nor raw HTML, in any format."""
    assert_safe(a)


def test_golden_markdown_renders_to_our_elements_only() -> None:
    """Every golden Markdown file, through CommonMark, holds only our elements and http(s) links."""
    goldens = sorted((Path(__file__).parents[1] / "golden" / "evaluate").glob("*.md"))
    assert goldens
    for path in goldens:
        rendered = COMMONMARK.render(path.read_text(encoding="utf-8"))
        assert_no_injected_html(rendered, MD_TAGS)
