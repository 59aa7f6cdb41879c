"""Plain text for terminals and logs: readable without colour, no escape codes.

Every string from the rule file or the patient goes through :func:`escape.text`: one line
per field, control and bidi characters made visible.
"""

from __future__ import annotations

import textwrap

from visitation.render import escape
from visitation.render.document import Document, RuleItem, Section
from visitation.render.labels import SYMBOLS

__all__ = ["render_text"]

_WIDTH = 100
_E = escape.text


def _wrap(text: str, indent: str) -> list[str]:
    """``text`` (its fields already escaped) on lines of 100 columns with ``indent``."""
    return textwrap.wrap(
        escape.one_line(text),
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _width(doc: Document, keys: tuple[str, ...]) -> int:
    return max(len(f"{SYMBOLS[k.split('.')[0]]} {doc.word(k)}") for k in keys)


def _rule(doc: Document, r: RuleItem, status_width: int) -> list[str]:
    status = f"{r.symbol} {r.label}".ljust(status_width)
    pad = "  " + " " * status_width + "  "
    lines = [f"  {status}  {_E(r.id)}: {_E(r.title)}"]
    lines += _wrap(_E(r.explanation), pad)
    if r.evidence:
        pairs = "; ".join(f"{_E(e.name)}: {_E(e.value)}" for e in r.evidence)
        lines += _wrap(f"{doc.word('evidence')}: {pairs}", pad)
    if r.missing:
        lines += _wrap(f"{doc.word('missing')}: {', '.join(_E(m) for m in r.missing)}", pad)
    s = r.source
    source = f"{doc.word('source')}: {_E(s.title)}, {_E(s.section)} — {_E(s.publisher)}"
    if s.url:
        source += f" <{_E(s.url)}>"
    lines += _wrap(source, pad)
    provenance = r.provenance_label
    rationale = _E(r.rationale or "") if r.provenance == "inferred" else ""
    if rationale:
        provenance += f" — {rationale}"
    lines += _wrap(f"{doc.word('provenance')}: {provenance}", pad)
    return lines


def _section(doc: Document, section: Section) -> list[str]:
    width = _width(doc, ("met", "not_met", "unknown"))
    lines: list[str] = []
    for group in section.groups:
        lines += ["", f"  [{doc.word('group')}: {_E(group.id)}]"]
        for r in group.rules:
            lines += _rule(doc, r, width)
    return lines


def render_text(doc: Document) -> str:
    """The document as plain text, lines of at most 100 columns where words allow."""
    lines: list[str] = []
    for banner in doc.banners:
        lines += _wrap(f"!! {_E(banner.text)}", "")
    if doc.banners:
        lines.append("")
    h = doc.header
    lines.append(_E(h.title))
    lines.append(" · ".join((_E(h.key), h.status_label, _E(h.evaluated_on), _E(h.short_hash))))

    lines += ["", doc.verdicts_heading.upper()]
    pending = ("eligible.pending",) if any(v.todo_detail for v in doc.verdicts) else ()
    width = _width(doc, ("eligible", "not_eligible", "indeterminate", *pending))
    for v in doc.verdicts:
        verdict = f"{v.symbol} {v.label}".ljust(width)
        lines.append(f"  {verdict}  {_E(v.title)} ({_E(v.pathway)})")
        for detail in (v.detail, v.todo_detail):
            if detail is not None:
                sep = "; " if detail.kind == "todo" else ", "
                items = sep.join(_E(x) for x in detail.items)
                lines += _wrap(f"{detail.label}: {items}", "      ")

    lines += ["", doc.rules.heading.upper()]
    lines += _section(doc, doc.rules)
    if doc.indicators is not None:
        lines += ["", doc.indicators.heading.upper()]
        lines += _wrap(doc.indicators.note or "", "  ")
        lines += _section(doc, doc.indicators)

    lines += ["", *_wrap(doc.footer, "")]
    return "\n".join(lines)
