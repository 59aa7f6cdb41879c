"""The author's notebook: kept without outputs in git, executed in CI, showing its plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from docsite.conftest import ROOT, Built

pytestmark = pytest.mark.xdist_group("docsite")  # one site build and one browser

NOTEBOOK = "notebooks/author.ipynb"
SECTIONS = [
    "A synthetic cohort",
    "Evaluate under the draft",
    "A funnel per pathway",
    "Compare 1.0.0 with 2.0.0",
    "Transitions by diagnosis group",
    "Why not? A few patients who lose the hospice referral",
    "Fairness across diagnosis groups",
]
"""The issue's sequence: cohort → evaluate → funnel → compare → transitions → why not → fairness."""


def _cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return cells


def test_notebooks_in_git_hold_no_outputs() -> None:
    """Every notebook under docs/notebooks/ is committed without outputs or execution
    counts (its outputs come from the run in CI, so they cannot disagree with the code)."""
    notebooks = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
    assert [p.name for p in notebooks] == ["author.ipynb"]
    for path in notebooks:
        for k, cell in enumerate(_cells(path)):
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{path.name} cell {k} has outputs"
                assert cell["execution_count"] is None, f"{path.name} cell {k} was run"


def test_notebook_walks_the_authors_sequence() -> None:
    """The notebook's sections follow the issue: synthetic cohort, evaluate, funnel per
    pathway, compare versions, transitions by diagnosis group, why not, fairness."""
    headings = [
        line.removeprefix("## ").strip()
        for cell in _cells(ROOT / "docs" / NOTEBOOK)
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("## ")
    ]
    assert headings == SECTIONS


def test_notebook_executes_and_displays_plots_and_reports(built: Built) -> None:
    """Executed by the site build (nbclient, a real kernel), every code cell ran without
    error; the funnels, the transition panels and the fairness bars are static SVG; the
    cohort result, the rule diff, the impact report, a why-not answer and an Assessment
    display themselves as HTML; the why-not suggestions are printed."""
    cells = [c for c in _cells(built.docs / NOTEBOOK) if c["cell_type"] == "code"]
    assert all(isinstance(c["execution_count"], int) for c in cells)
    outputs = [o for c in cells for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    svgs = [
        "".join(o["data"]["image/svg+xml"]) for o in outputs if "image/svg+xml" in o.get("data", {})
    ]
    assert len(svgs) == 4
    assert "funnel of pathway" in svgs[0] and "specialized" in svgs[0]
    assert "dk-national@1.0.0 → dk-national@2.0.0" in svgs[2]
    assert "verdicts per diagnosis_group" in svgs[3]
    html = ["".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})]
    for marker in ("visitation-cohort", "vz-diff", "visitation-impact", "vz-assessment"):
        assert sum(marker in h for h in html) == 1, marker
    assessment = next(
        o["data"]
        for o in outputs
        if "vz-assessment" in "".join(o.get("data", {}).get("text/html", ""))
    )
    assert {"text/html", "text/markdown", "text/plain"} <= set(assessment)
    printed = "".join("".join(o["text"]) for o in outputs if o["output_type"] == "stream")
    assert "blocked by " in printed and "- Eligible for Hospice if " in printed
    assert "executed notebooks/author.ipynb in" in built.log
