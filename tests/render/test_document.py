"""The document model, the format registry, the core's renderer hook and the CLI's options."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import visitation
from visitation import Assessment
from visitation.explain import format_value
from visitation.render import Document, build, formats, register, render, unregister
from visitation.render import escape as esc

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "visitation"
ON = "2026-11-23"


def assessment(**facts: object) -> Assessment:
    facts = {"age": 70, "prognosis": "weeks", **facts}
    return visitation.evaluate(facts, "dk-national@2.0.0", on=ON)


def cards(doc: Document) -> str:
    """A CDS-Hooks-like renderer: one card per pathway, from the document alone."""
    out = []
    for v in doc.verdicts:
        card = {
            "summary": f"{v.title}: {v.label}",
            "indicator": "info" if v.verdict == "eligible" else "warning",
            "detail": ", ".join(v.detail.items) if v.detail else "",
            "source": {"label": doc.header.key},
            "links": sorted(
                {r.source.link for g in doc.rules.groups for r in g.rules if r.source.link}
            ),
        }
        out.append(card)
    return json.dumps(out, ensure_ascii=False)


@pytest.fixture
def card_format() -> Iterator[str]:
    register("cards", cards)
    yield "cards"
    unregister("cards")


# -- the registry --------------------------------------------------------------------------


def test_a_registered_format_renders_through_every_entry_point(card_format: str) -> None:
    """A format registered with a function of the Document works in render() and Assessment.render."""
    a = assessment()
    out = json.loads(render(a, card_format, "da"))
    assert [c["summary"] for c in out] == [
        "Specialiseret palliativt team eller enhed: kan ikke afgøres",
        "Hospice: kan ikke afgøres",
    ]
    assert out[0]["links"] and all(link.startswith("https://") for link in out[0]["links"])
    assert a.render(card_format) == render(a, card_format, "en")
    # the bundled formats first, then those registered since (an imported extra may add its
    # own, e.g. visitation.service's "cds-hooks")
    assert formats()[:4] == ("text", "md", "json", "html") and formats()[-1] == "cards"


def test_a_bundled_format_cannot_be_replaced_or_removed() -> None:
    """Registering another function for a taken name, or removing a bundled one, is an error."""
    with pytest.raises(ValueError, match="format 'md' is already registered"):
        register("md", cards)
    with pytest.raises(ValueError, match="bundled"):
        unregister("text")
    with pytest.raises(ValueError, match="a format name is a word"):
        register("bad name", cards)
    with pytest.raises(ValueError, match="a format name is a word"):
        register("MD", cards)


def test_unknown_format_names_registered_formats_too(card_format: str) -> None:
    """The error for an unknown format lists the formats registered now."""
    with pytest.raises(ValueError, match=r"formats: text, md, json, html, (.*, )?cards"):
        render(assessment(), "pdf")


# -- the document --------------------------------------------------------------------------


def test_document_holds_words_in_its_language_and_texts_unescaped() -> None:
    """The document has the verdict and status words of its language and the rule texts raw."""
    a = assessment(measures_tried=["<b>ilt</b>"], relieved_at_basic=False)
    doc = build(a, "da")
    assert [v.label for v in doc.verdicts] == ["kan ikke afgøres", "kan ikke afgøres"]
    assert doc.banners[0].kind == "provisional"
    rule = next(r for g in doc.rules.groups for r in g.rules if r.id == "basic.relief-insufficient")
    assert rule.label == "opfyldt"
    assert [(e.fact, e.value) for e in rule.evidence] == [
        ("measures_tried", "<b>ilt</b>"),
        ("relieved_at_basic", "nej"),
    ]
    assert doc.indicators is not None and doc.indicators.kind == "indicators"


def test_evidence_values_use_the_one_readable_formatter() -> None:
    """Evidence values are explain.format_value of their JSON form: yes/no words, '–' if empty."""
    assert format_value([], "da") == format_value(frozenset(), "da") == "–"
    assert format_value([True, 2, "x"], "en") == "yes, 2, x"
    a = assessment(relieved_at_basic=True)
    doc = build(a, "en")
    values = {e.fact: e.value for g in doc.rules.groups for r in g.rules for e in r.evidence}
    assert values["relieved_at_basic"] == "yes"


def test_footer_names_the_holistic_assessment_by_exact_pathway_id() -> None:
    """The helhedsvurdering footer comes from the declared hospice pathway, not a substring."""
    a = assessment()
    assert "helhedsvurdering" in build(a, "da").footer
    assert "assessed as a whole" in build(a, "en").footer
    renamed = a.model_copy(
        update={"pathways": [p.model_copy(update={"id": "not-hospice"}) for p in a.pathways]}
    )
    assert "helhedsvurdering" not in build(renamed, "da").footer
    assert "assessed as a whole" not in build(renamed, "en").footer
    assert build(renamed, "en").footer.startswith("This verdict supports")


def test_empty_explanation_adds_no_hard_line_break_in_markdown() -> None:
    """A rule whose explanation is only white space gets no dangling backslash in Markdown."""
    a = assessment()
    rules = [a.rules[0].model_copy(update={"explanation": {"en": " \n "}}), *a.rules[1:]]
    md = a.model_copy(update={"rules": rules, "languages": ["en"]}).render("md")
    line = next(x for x in md.splitlines() if a.rules[0].id in x)
    assert not line.endswith("\\")


# -- the core does not import the renderer -------------------------------------------------


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_assessment_module_imports_no_renderer() -> None:
    """assessment.py imports nothing of visitation.render, not even inside a function."""
    assert not any(n.startswith("visitation.render") for n in _imports(SRC / "assessment.py"))


def test_renderers_import_only_the_core_below_them() -> None:
    """The render package imports the Assessment, explain and the fact catalogue and labels,
    never the CLI or evaluation."""
    for path in (SRC / "render").glob("*.py"):
        for name in _imports(path):
            if name.startswith("visitation.") and not name.startswith("visitation.render"):
                assert name.split(".")[1] in {"assessment", "explain", "fact_labels", "facts"}, (
                    path.name,
                    name,
                )


def test_importing_visitation_registers_the_renderers() -> None:
    """In a fresh interpreter, `import visitation` alone makes str(assessment) work."""
    code = (
        "import visitation; a = visitation.evaluate({'age': 70}, 'dk-national@1.0.0', "
        "on='2026-11-23'); print(str(a).splitlines()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("National hospice referral criteria")


def test_repr_mimebundle_holds_text_html_and_markdown() -> None:
    """The notebook bundle has the three renderings, and honours include and exclude."""
    a = assessment()
    bundle = a._repr_mimebundle_()
    assert bundle == {
        "text/plain": str(a),
        "text/html": a._repr_html_(),
        "text/markdown": a._repr_markdown_(),
    }
    assert set(a._repr_mimebundle_(include=["text/html"])) == {"text/html"}
    assert set(a._repr_mimebundle_(exclude=["text/html"])) == {"text/plain", "text/markdown"}


# -- the CLI: --format from the registry, --lang from the rule sets ------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visitation", *args], capture_output=True, text=True, check=False
    )


def test_cli_lang_not_in_the_rule_set_lists_its_languages(tmp_path: Path) -> None:
    """`evaluate --lang de` is a usage error (exit 2) naming the rule set's languages."""
    patient = tmp_path / "p.json"
    patient.write_text('{"age": 70}', encoding="utf-8")
    result = run(
        "evaluate", str(patient), "--rules", "dk-national@1.0.0", "--on", ON, "--lang", "de"
    )
    assert result.returncode == 2
    assert "dk-national@1.0.0 has no text in 'de'; its languages: da, en" in result.stderr


def test_cli_rules_lang_lists_the_bundled_languages() -> None:
    """`rules --lang de` is a usage error naming the languages of the bundled rule sets."""
    result = run("rules", "--lang", "de")
    assert result.returncode == 2
    assert "no bundled rule set has titles in 'de'; languages: da, en" in result.stderr
    assert run("rules", "--lang", "da").returncode == 0


def test_cli_format_choices_are_the_registered_formats() -> None:
    """`evaluate --format pdf` is refused, naming the formats render() knows."""
    result = run("evaluate", "-", "--format", "pdf")
    assert result.returncode == 2
    choices = result.stderr.partition("choose from")[2]
    # a fresh process: the bundled formats (this process may hold more, from extras)
    assert [f for f in ("text", "md", "json", "html") if f in choices] == list(formats())[:4]


def test_escape_is_the_only_place_that_escapes() -> None:
    """No renderer module calls html.escape or holds its own Markdown escape table."""
    for path in (SRC / "render").glob("*.py"):
        if path.name != "escape.py":
            source = path.read_text(encoding="utf-8")
            assert "html.escape" not in source and "_MD_SPECIAL" not in source, path.name
    assert esc.markdown("*") == "\\*"


def test_rendering_page_example_runs_and_prints_what_it_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The Python example of docs/rendering.md registers a format and prints its text block."""
    page = (ROOT / "docs" / "rendering.md").read_text(encoding="utf-8")
    code, shown = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", page, re.S)[0]
    try:
        exec(compile(code, "docs/rendering.md", "exec"), {})  # our own page, not input
        assert capsys.readouterr().out == shown
    finally:
        unregister("cards")


def test_document_carries_the_referral_readiness() -> None:
    """Each verdict of the document holds the pathway's referral readiness and its to-do list."""
    a = visitation.evaluate({"age": 70}, "dk-national@3.0.0", on=ON)
    doc = build(a, "en")
    assert (
        doc.verdicts[1].referral == "unknown" and "basic.screening-current" in doc.verdicts[1].todo
    )
    assert [(v.referral, v.todo) for v in doc.verdicts] == [
        (p.referral, tuple(p.todo)) for p in a.pathways
    ]
