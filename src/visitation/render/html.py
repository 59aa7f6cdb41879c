"""HTML: a self-contained fragment with a scoped inline style (Jupyter's ``_repr_html_``).

Every string from the rule file or the patient goes through :func:`escape.html`; a source
becomes a link only when its URL is ``http`` or ``https``. Unknown and not met differ in
class, icon, word and border style, never in colour alone.
"""

from __future__ import annotations

from visitation.render import escape
from visitation.render.document import Document, RuleItem, Section, Source

__all__ = ["render_html"]

_CSS = """
.vz-assessment{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;
  line-height:1.45;color:#1f2328;background:#fff;max-width:60rem;padding:.75rem 1rem;
  border:1px solid #d0d7de;border-radius:6px}
.vz-assessment h2{font-size:1.25rem;margin:.25rem 0}
.vz-assessment h3{font-size:1.05rem;margin:1rem 0 .4rem;border-bottom:1px solid #d0d7de}
.vz-assessment h4{font-size:.95rem;margin:.6rem 0 .3rem;color:#57606a}
.vz-assessment ul{list-style:none;padding-left:0;margin:0}
.vz-assessment code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.vz-assessment .vz-meta{color:#57606a;margin:0}
.vz-assessment .vz-banner{font-weight:600;padding:.5rem .75rem;margin:0 0 .5rem;
  border:2px solid #9a6700;background:#fff8c5;color:#4d2d00;border-radius:4px}
.vz-assessment .vz-banner-not-in-force{border-color:#b42318;background:#fdecea;color:#7a1610}
.vz-assessment .vz-verdict,.vz-assessment .vz-rule{margin:.35rem 0;padding:.4rem .6rem;
  border-left:6px solid;border-radius:3px}
.vz-assessment .vz-badge{font-weight:700;white-space:nowrap}
.vz-assessment .vz-icon{display:inline-block;width:1.2em;text-align:center}
.vz-assessment .vz-met,.vz-assessment .vz-eligible{border-left-style:solid;
  border-color:#1a7f37;background:#eaf6ec}
.vz-assessment .vz-met .vz-badge,.vz-assessment .vz-eligible .vz-badge{color:#1a7f37}
.vz-assessment .vz-not-met,.vz-assessment .vz-not-eligible{border-left-style:solid;
  border-color:#b42318;background:#fdecea}
.vz-assessment .vz-not-met .vz-badge,.vz-assessment .vz-not-eligible .vz-badge{color:#b42318}
.vz-assessment .vz-unknown,.vz-assessment .vz-indeterminate{border-left-style:dashed;
  border-color:#9a6700;background:#fff8e1}
.vz-assessment .vz-unknown .vz-badge,.vz-assessment .vz-indeterminate .vz-badge{color:#7a4e00}
.vz-assessment .vz-explanation{margin:.2rem 0 0 1.6rem}
.vz-assessment .vz-details{margin:.2rem 0 0 1.6rem;color:#1f2328}
.vz-assessment .vz-details dt{float:left;clear:left;font-weight:600;margin-right:.4rem}
.vz-assessment .vz-details dt::after{content:":"}
.vz-assessment .vz-details dd{margin:0 0 .1rem 0}
.vz-assessment .vz-indicators{opacity:.95}
.vz-assessment .vz-footer{margin-top:1rem;font-style:italic;color:#57606a}
"""
_CSS = " ".join(line.strip() for line in _CSS.strip().splitlines())

_E = escape.html


def _badge(symbol: str, label: str) -> str:
    return (
        f'<span class="vz-badge"><span class="vz-icon" aria-hidden="true">{symbol}</span>'
        f" {_E(label)}</span>"
    )


def _css_class(status: str) -> str:
    return "vz-" + status.replace("_", "-")


def _link(s: Source) -> str:
    if s.link is not None:
        return f'<a href="{_E(s.link)}" rel="noopener noreferrer" target="_blank">{_E(s.title)}</a>'
    return _E(s.title)


def _rule(doc: Document, r: RuleItem) -> list[str]:
    out = [
        f'<li class="vz-rule {_css_class(r.status)}" data-rule="{_E(r.id)}" '
        f'data-status="{_E(r.status)}">',
        f"{_badge(r.symbol, r.label)} <code>{_E(r.id)}</code>: <strong>{_E(r.title)}</strong>",
        f'<p class="vz-explanation">{_E(r.explanation)}</p>',
        '<dl class="vz-details">',
    ]
    if r.evidence:
        pairs = "; ".join(f"{_E(e.name)}: {_E(e.value)}" for e in r.evidence)
        out.append(f"<dt>{_E(doc.word('evidence'))}</dt><dd>{pairs}</dd>")
    if r.missing:
        missing = ", ".join(_E(m) for m in r.missing)
        out.append(f"<dt>{_E(doc.word('missing'))}</dt><dd>{missing}</dd>")
    s = r.source
    out.append(
        f"<dt>{_E(doc.word('source'))}</dt><dd>{_link(s)}, {_E(s.section)} — {_E(s.publisher)}</dd>"
    )
    provenance = f"<dt>{_E(doc.word('provenance'))}</dt><dd>"
    if r.provenance == "inferred":
        provenance += f"<strong>{_E(r.provenance_label)}</strong>"
        if r.rationale:
            provenance += f" — {_E(escape.one_line(r.rationale))}"
    else:
        provenance += _E(r.provenance_label)
    out += [provenance + "</dd>", "</dl>", "</li>"]
    return out


def _section(doc: Document, section: Section) -> list[str]:
    out: list[str] = []
    for group in section.groups:
        out += [f"<h4>{_E(doc.word('group'))}: <code>{_E(group.id)}</code></h4>", "<ul>"]
        for r in group.rules:
            out += _rule(doc, r)
        out.append("</ul>")
    return out


def render_html(doc: Document) -> str:
    """The document as one ``<div class="vz-assessment">`` with every text escaped."""
    out = [
        f'<div class="vz-assessment" lang="{_E(doc.lang)}" data-ruleset="{_E(doc.header.key)}">',
        f"<style>{_CSS}</style>",
    ]
    for banner in doc.banners:
        out.append(
            f'<p class="vz-banner vz-banner-{banner.kind}" role="note">⚠ {_E(banner.text)}</p>'
        )
    h = doc.header
    out += [
        f"<h2>{_E(h.title)}</h2>",
        f'<p class="vz-meta"><code>{_E(h.key)}</code> · <strong>{_E(h.status_label)}</strong> · '
        f"{_E(h.evaluated_on)} · <code>{_E(h.short_hash)}</code></p>",
        f'<section class="vz-verdicts"><h3>{_E(doc.verdicts_heading)}</h3>',
        "<ul>",
    ]
    for v in doc.verdicts:
        line = (
            f'<li class="vz-verdict {_css_class(v.verdict)}" data-pathway="{_E(v.pathway)}" '
            f'data-verdict="{_E(v.verdict)}">{_badge(v.symbol, v.label)}: '
            f"<strong>{_E(v.title)}</strong> (<code>{_E(v.pathway)}</code>)"
        )
        for detail in (v.detail, v.todo_detail):
            if detail is not None:
                if detail.kind == "blocking":
                    items = ", ".join(f"<code>{_E(x)}</code>" for x in detail.items)
                else:
                    sep = "; " if detail.kind == "todo" else ", "
                    items = sep.join(_E(x) for x in detail.items)
                line += f' <span class="vz-detail">— {_E(detail.label)}: {items}</span>'
        out.append(line + "</li>")
    out += ["</ul>", "</section>"]

    out.append(f'<section class="vz-rules"><h3>{_E(doc.rules.heading)}</h3>')
    out += _section(doc, doc.rules)
    out.append("</section>")
    if doc.indicators is not None:
        out += [
            f'<section class="vz-indicators"><h3>{_E(doc.indicators.heading)}</h3>',
            f"<p><em>{_E(doc.indicators.note or '')}</em></p>",
            *_section(doc, doc.indicators),
            "</section>",
        ]
    out += [f'<p class="vz-footer">{_E(doc.footer)}</p>', "</div>"]
    return "\n".join(out)
