"""Drafts for the workbench tests: copies of bundled rule files, edited as an author would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from visitation.registry import bundled_rules_dir


def entry(version: str, *rules: str, summary: str = "An edit.") -> str:
    """A change entry for ``version`` naming ``rules`` (each ``id:change``), as YAML."""
    lines = [f"  - version: {version}", '    date: "2026-12-01"', f"    summary: {summary}"]
    if rules:
        lines.append("    rules:")
        for item in rules:
            rid, change = item.split(":")
            lines.append(f'      - {{id: {rid}, change: {change}, note: "n."}}')
    return "\n".join(lines) + "\n"


def make_draft(
    tmp_path: Path,
    base: str,
    version: str,
    replace: Sequence[tuple[str, str]] = (),
    changes: str | None = None,
    root: Path | None = None,
) -> Path:
    """Write ``<tmp>/<family>/<version>.yaml``: a bundled file with its version raised,
    text replaced (each replacement must match) and a change entry put first."""
    source = bundled_rules_dir() / base
    family, old = source.parent.name, source.stem
    text = source.read_text(encoding="utf-8")
    text = text.replace(f"version: {old}\n", f"version: {version}\n", 1)
    for before, after in replace:
        assert before in text, f"{before!r} is not in {base}"
        text = text.replace(before, after, 1)
    if changes is None:
        changes = entry(version)
    if changes:
        text = text.replace("\nchanges:\n", f"\nchanges:\n{changes}", 1)
    out = (root or tmp_path) / family / f"{version}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def line_of(path: Path, text: str, start: int = 1) -> int:
    """The number of the first line at or after ``start`` that contains ``text``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if n >= start and text in line:
            return n
    raise AssertionError(f"{text!r} is not in {path}")
