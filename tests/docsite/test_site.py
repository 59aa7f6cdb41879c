"""The documentation site builds with --strict, holds every page, the rendered notebook and
the API reference, and --strict refuses a broken anchor."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docsite.conftest import ROOT, Built

pytestmark = pytest.mark.xdist_group("docsite")  # one site build and one browser


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.findall(r":\s+([\w/.-]+\.(?:md|ipynb))\s*$", text, flags=re.MULTILINE)


def test_every_doc_is_in_the_nav() -> None:
    """Every Markdown file and notebook under docs/ is a page of the site's navigation
    (a new doc cannot be left out of the site)."""
    docs = ROOT / "docs"
    files = sorted(
        str(p.relative_to(docs)) for p in docs.rglob("*") if p.suffix in (".md", ".ipynb")
        and ".ipynb_checkpoints" not in p.parts
    )  # fmt: skip
    assert sorted(_nav_pages()) == files


def test_site_builds_with_every_page_notebook_and_api_reference(built: Built) -> None:
    """The --strict build wrote a page for every nav entry, outside the repository; the
    notebook page shows its plots; the API pages document the public names."""
    for page in _nav_pages():
        html = built.site / Path(page).with_suffix(".html")
        assert html.is_file(), page
    assert not (ROOT / "site").exists() and not (ROOT / ".cache").exists()
    notebook = (built.site / "notebooks" / "author.html").read_text(encoding="utf-8")
    assert notebook.count('data-mime-type="image/svg+xml"') == 4 and "vz-assessment" in notebook
    core = (built.site / "api" / "core.html").read_text(encoding="utf-8")
    for name in (
        "visitation.evaluate.evaluate",
        "visitation.why_not.why_not",
        "visitation.Assessment",
        "visitation.WhyNot",
        "visitation.load_ruleset",
    ):
        assert f'id="{name}"' in core, name
    cohort = (built.site / "api" / "cohort.html").read_text(encoding="utf-8")
    assert 'id="visitation.cohort.evaluate_cohort"' in cohort
    assert 'id="visitation.cohort.plots.funnel"' in cohort
    assert 'id="visitation.cohort.impact"' in cohort
    workbench = (built.site / "api" / "workbench.html").read_text(encoding="utf-8")
    assert 'id="visitation.workbench._api.diff"' in workbench
    assert 'id="visitation.workbench.render_show"' in workbench


def test_strict_build_refuses_a_broken_anchor(tmp_path: Path) -> None:
    """With mkdocs.yml's settings (inherited; only the pages and plugins cut down to two
    pages), a link to an anchor that does not exist fails the build, and the message
    names the page and the anchor; GitHub's anchor of the same heading builds."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "facts.md").write_text("# Facts\n\n## FHIR bundle → facts\n")
    (docs / "index.md").write_text("# Home\n\n[gone](facts.md#no-such-heading)\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"INHERIT: {ROOT / 'mkdocs.yml'}\n"
        f"docs_dir: {docs}\n"
        "plugins: [search]\n"
        "nav: [index.md, facts.md]\n"
    )
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
               str(config), "--site-dir", str(tmp_path / "site")]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode != 0
    assert (
        "Doc file 'index.md' contains a link 'facts.md#no-such-heading', but the doc "
        "'facts.md' does not contain an anchor '#no-such-heading'"
    ) in proc.stderr
    (docs / "index.md").write_text("# Home\n\n[there](facts.md#fhir-bundle--facts)\n")
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
