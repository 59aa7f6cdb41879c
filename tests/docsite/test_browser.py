"""In a real headless chromium: every page of the site and the HTML renderings load without
console errors, failed requests or requests off this machine; a screenshot of each is kept
under pytest's basetemp (screenshots/) for a person to look at."""

from __future__ import annotations

import html

import pytest

import visitation
from docsite.conftest import ROOT, Browser, Built, Served
from visitation import workbench
from visitation.render.labels import LABELS

pytestmark = pytest.mark.xdist_group("docsite")  # one site build and one browser

ON = "2026-11-23"


def _document(title: str, body: str, lang: str = "en") -> str:
    """A whole HTML page around a rendered fragment (as a web page would embed it)."""
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def test_every_site_page_loads_cleanly(built: Built, served: Served, browser: Browser) -> None:
    """Each HTML page of the built site loads (HTTP 200) with no console error, no uncaught
    exception, no failed request and nothing fetched from off this machine."""
    pages = sorted(p.relative_to(built.site).as_posix() for p in built.site.rglob("*.html"))
    assert len(pages) >= 20
    problems: dict[str, list[str]] = {}
    for page in pages:
        full = page == "notebooks/author.html"
        report, tab = browser.visit(served.url(page), "site-" + page.replace("/", "-"),
                                    full_page=full)  # fmt: skip
        tab.close()
        if report.problems:
            problems[page] = report.problems
        assert report.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert problems == {}


def test_notebook_page_shows_its_charts(served: Served, browser: Browser) -> None:
    """On the notebook's page the four charts are drawn (SVG images the browser decoded, of real size) and the
    Assessment's HTML is displayed."""
    report, tab = browser.visit(served.url("notebooks/author.html"), "notebook-charts")
    try:
        sizes = tab.evaluate(
            "() => [...document.querySelectorAll('.jp-RenderedSVG img')]"
            ".map(i => i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0])"
        )
        assert len(sizes) == 4 and all(w > 200 and h > 150 for w, h in sizes), sizes
        assert tab.locator(".vz-assessment").count() == 1
        assert report.problems == []
    finally:
        tab.close()


def test_site_search_finds_pages(served: Served, browser: Browser) -> None:
    """The site's search (a web worker over the built index) answers a query."""
    report, tab = browser.visit(served.url("index.html"), "search")
    try:
        tab.keyboard.press("/")  # the theme's shortcut to the search box
        tab.keyboard.type("hospice")
        tab.wait_for_selector(".md-search-result__item", timeout=20_000)
        assert tab.locator(".md-search-result__item").count() > 0
        tab.screenshot(path=str(report.screenshot.with_name("search-results.png")))
        assert report.problems == []
    finally:
        tab.close()


def test_assessment_html_renders_in_the_browser(served: Served, browser: Browser) -> None:
    """Every example patient's Assessment, rendered as HTML, on one page per language (as
    a web page would embed them): the page loads without errors and the browser shows
    every rule and each pathway's verdict in that language."""
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    assert len(examples) >= 3
    assessments = [
        visitation.evaluate(visitation.load_patient(p), "dk-national@2.0.0", on=ON)
        for p in examples
    ]
    for lang in ("en", "da"):
        name = f"assessments-{lang}"
        body = "\n".join(
            f'<section id="{p.stem}"><h2>{html.escape(p.name)}</h2>\n'
            f"{a.render('html', lang=lang)}\n</section>"
            for p, a in zip(examples, assessments, strict=True)
        )
        (served.root / "_renderings" / f"{name}.html").write_text(
            _document(name, body, lang), encoding="utf-8"
        )
        report, tab = browser.visit(served.url(f"_renderings/{name}.html"), name, full_page=True)
        try:
            assert report.problems == [], name
            shown = tab.locator(".vz-assessment")
            assert shown.count() == len(assessments)
            for k, a in enumerate(assessments):
                text = shown.nth(k).inner_text()
                for rule in a.rules:
                    assert rule.id in text, (name, examples[k].name, rule.id)
                for pathway in a.pathways:
                    assert LABELS[lang][pathway.verdict] in text, (name, pathway.id)
        finally:
            tab.close()


def test_show_renders_in_the_browser(served: Served, browser: Browser) -> None:
    """`visitation show`'s HTML sign-off document (a whole page), in English and Danish,
    loads without errors and shows every rule of the rule set."""
    rs = visitation.load_ruleset("dk-national@2.0.0")
    for lang in ("en", "da"):
        name = f"show-dk-national-2.0.0-{lang}"
        page = workbench.render_show(rs, "html", lang)
        (served.root / "_renderings" / f"{name}.html").write_text(page, encoding="utf-8")
        report, tab = browser.visit(served.url(f"_renderings/{name}.html"), name, full_page=True)
        try:
            assert report.problems == [], name
            assert tab.evaluate("() => document.documentElement.lang") == lang
            text = tab.locator("body").inner_text()
            missing = [rule.id for rule in rs.rules if rule.id not in text]
            assert missing == [], (name, missing)
        finally:
            tab.close()


def test_workbench_reports_render_in_the_browser(served: Served, browser: Browser) -> None:
    """The rule diff, the impact report of a cohort and a why-not answer, as their notebook
    HTML on one page: it loads without errors and the browser shows each one's content
    (the diff's rules, the impact matrix's counts, the suggestion's sentence)."""
    from visitation.cohort import impact, synthetic

    changes = workbench.diff("dk-national@1.0.0", "dk-national@2.0.0")
    report = impact(synthetic(300, seed=3), "dk-national@1.0.0", "dk-national@2.0.0", on=ON)
    facts = {"age": 77, "prognosis": "days", "terminal_declared": True,
             "problem_domains": ["physical", "social"], "complex_by_clinician": True,
             "treatment_level_clarified": True, "needs_hospital_admission": False,
             "wishes_hospice": True, "informed_alternatives": True}  # fmt: skip
    answer = visitation.why_not(facts, "dk-national@1.0.0", "hospice", on=ON)
    assert answer.suggestions
    parts = {"diff": changes._repr_html_(), "impact": report.render("html"),
             "why-not": answer._repr_html_()}  # fmt: skip
    body = "\n".join(f'<section id="{k}">\n{v}\n</section>' for k, v in parts.items())
    (served.root / "_renderings" / "workbench-reports.html").write_text(
        _document("workbench reports", body), encoding="utf-8"
    )
    shown, tab = browser.visit(served.url("_renderings/workbench-reports.html"),
                               "workbench-reports", full_page=True)  # fmt: skip
    try:
        assert shown.problems == []
        diff_text = tab.locator("#diff").inner_text()
        assert "basic.needs-assessment" in diff_text
        impact_text = tab.locator("#impact").inner_text()
        assert "dk-national@1.0.0 → dk-national@2.0.0" in impact_text
        assert str(report.matrix("hospice")["not_eligible"]["not_eligible"]) in impact_text
        why_text = tab.locator("#why-not").inner_text()
        assert answer.suggestions[0].text["en"] in why_text
    finally:
        tab.close()
