"""Markdown (CommonMark/GFM) for reports, issues and notebooks.

Every string from the rule file or the patient goes through :func:`escape.markdown`, as
prose, as a code span or as a link target, so none of it can become markup or raw HTML.
"""

from __future__ import annotations

from visitation.render import escape
from visitation.render.document import Document, RuleItem, Section, Source

__all__ = ["render_markdown"]


def _md(text: str) -> str:
    return escape.markdown(text)


def _code(text: str) -> str:
    return escape.markdown(text, context="code")


def _source(s: Source) -> str:
    title = _md(s.title)
    if s.link is not None:
        title = f"[{title}](<{escape.markdown(s.link, context='url')}>)"
    return f"{title}, {_md(s.section)} — {_md(s.publisher)}"


def _rule(doc: Document, r: RuleItem) -> list[str]:
    line = f"- **{r.symbol} {r.label}** — {_code(r.id)}: {_md(r.title)}"
    explanation = _md(r.explanation)
    lines = [line + "\\", f"  {explanation}"] if explanation else [line]
    if r.evidence:
        pairs = "; ".join(f"{_md(e.name)}: {_md(e.value)}" for e in r.evidence)
        lines.append(f"  - {doc.word('evidence')}: {pairs}")
    if r.missing:
        missing = ", ".join(_md(m) for m in r.missing)
        lines.append(f"  - {doc.word('missing')}: {missing}")
    lines.append(f"  - {doc.word('source')}: {_source(r.source)}")
    provenance = r.provenance_label
    if r.provenance == "inferred":
        provenance = f"**{provenance}**"
        if r.rationale:
            provenance += f" — {_md(r.rationale)}"
    lines.append(f"  - {doc.word('provenance')}: {provenance}")
    return lines


def _section(doc: Document, section: Section) -> list[str]:
    lines: list[str] = []
    for group in section.groups:
        lines += ["", f"#### {doc.word('group').capitalize()}: {_code(group.id)}", ""]
        for r in group.rules:
            lines += _rule(doc, r)
    return lines


def render_markdown(doc: Document) -> str:
    """The document as Markdown: headings, one list item per verdict and per rule."""
    lines: list[str] = []
    for banner in doc.banners:
        lines += [f"> **⚠ {_md(banner.text)}**", ""]
    h = doc.header
    lines.append(f"## {_md(h.title)}")
    lines += [
        "",
        f"{_code(h.key)} · **{h.status_label}** · {_md(h.evaluated_on)} · {_code(h.short_hash)}",
    ]

    lines += ["", f"### {doc.verdicts_heading}", ""]
    for v in doc.verdicts:
        line = f"- **{v.symbol} {v.label}**: {_md(v.title)} ({_code(v.pathway)})"
        if v.detail is not None:
            show = _code if v.detail.kind == "blocking" else _md
            line += f" — {v.detail.label}: {', '.join(show(x) for x in v.detail.items)}"
        if v.todo_detail is not None:
            line += f" — {v.todo_detail.label}: {'; '.join(_md(x) for x in v.todo_detail.items)}"
        lines.append(line)

    lines += ["", f"### {doc.rules.heading}"]
    lines += _section(doc, doc.rules)
    if doc.indicators is not None:
        lines += ["", f"### {doc.indicators.heading}", "", f"_{_md(doc.indicators.note or '')}_"]
        lines += _section(doc, doc.indicators)

    lines += ["", "---", "", f"_{_md(doc.footer)}_"]
    return "\n".join(lines)
