"""Tables as text, Markdown and HTML: the rich display of cohort results and impact reports.

Every cell is escaped (``html.escape``): rule ids, group values and region names come from
files and tables, and a notebook renders what it is given.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from visitation.cohort._evaluate import CohortResult
    from visitation.cohort._summary import Summary

__all__ = ["html_table", "result_html", "summary_html", "text_table"]

_STYLE = "border-collapse:collapse;margin:0.3em 0"
_CELL = "padding:0.1em 0.6em;border-bottom:1px solid #ddd"


def _cell(value: Any) -> str:
    return "—" if value is None else str(value)


def _numeric(text: str) -> bool:
    return text.lstrip("+-").replace(",", "").isdigit()


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, markdown: bool = False
) -> str:
    """Columns padded to their width (numbers right-aligned), or a Markdown table."""
    cells = [[str(h) for h in header], *[[_cell(c) for c in row] for row in rows]]
    if markdown:

        def md(row: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"

        rule = "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"
        return "\n".join([md(cells[0]), rule, *(md(r) for r in cells[1:])])
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i and _numeric(c) else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join(
        [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
    )


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str | None = None
) -> str:
    """An HTML table, every cell escaped, numbers right-aligned."""
    out = [f"<table style='{_STYLE}'>"]
    if caption:
        out.append(f"<caption style='text-align:left;color:#555'>{html.escape(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f"<th style='{_CELL};text-align:{'right' if i else 'left'}'>{html.escape(str(h))}</th>"
            for i, h in enumerate(header)
        )
        + "</tr></thead><tbody>"
    )
    for row in rows:
        tds = []
        for i, c in enumerate(row):
            text = _cell(c)
            align = "right" if i and _numeric(text) else "left"
            tds.append(f"<td style='{_CELL};text-align:{align}'>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def summary_html(s: Summary, after: str = "") -> str:
    """A cohort summary: verdicts per pathway, statuses per rule, groups folded away."""
    from visitation.cohort._summary import STATUSES, VERDICTS

    head = f"{s.ruleset_key} ({s.content_hash[:19]}…) on {s.on}: {s.patients} patients"
    out = [f"<div class='visitation-cohort'><p><b>{html.escape(head)}</b></p>"]
    out.append(
        html_table(
            ["pathway", *VERDICTS], [[r["pathway"], *(r[v] for v in VERDICTS)] for r in s.pathways]
        )
    )
    rules = html_table(
        ["rule", "kind", *STATUSES],
        [[r["rule"], r["kind"], *(r[k] for k in STATUSES)] for r in s.rules],
    )
    out.append(
        f"<details><summary>rules and indicators ({len(s.rules)})</summary>{rules}</details>"
    )
    for group, rows in s.groups.items():
        table = html_table(
            [group, "pathway", *VERDICTS],
            [[r[group], r["pathway"], *(r[v] for v in VERDICTS)] for r in rows],
        )
        out.append(f"<details><summary>by {html.escape(group)}</summary>{table}</details>")
    out.append(after + "</div>")
    return "".join(out)


def result_html(result: CohortResult, rows: int = 5) -> str:
    """A cohort result: its summary, then its first rows (ids, verdicts, missing facts)."""
    t = result.table
    q = result.query
    cols = [q.id_column, *(p.verdict for p in q.pathways), *(f"missing:{p.id}" for p in q.pathways)]
    cols = [c for c in cols if c in t.column_names]
    head = t.select(cols).slice(0, rows).to_pylist()

    def show(v: Any) -> Any:
        if isinstance(v, list):
            return ", ".join(str(x) for x in v) or "–"
        if v is None:
            return "indeterminate"
        if isinstance(v, bool):
            return "eligible" if v else "not eligible"
        return v

    first = html_table(
        cols,
        [[show(r[c]) for c in cols] for r in head],
        caption=f"first {len(head)} of {t.num_rows} rows",
    )
    return summary_html(result.summary(), after=first)
