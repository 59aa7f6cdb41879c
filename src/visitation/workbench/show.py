"""``visitation show``: a rule set as a readable document for clinical sign-off.

Every pathway (with the rules that decide its verdict and those that decide whether the
referral is ready), every rule and indicator with its condition in words
(:mod:`visitation.workbench.words`), its three explanations, source, provenance and
rationale, every definition, the sources, this version's changes and a sign-off table,
in Danish or English, as Markdown or as a standalone, printable HTML page.

:func:`build_view` gathers the content once, in the chosen language (plain strings,
unescaped); the two renderers escape each string once for their format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from visitation import Rule, RuleSet, content_hash
from visitation.render import escape
from visitation.render.labels import SYMBOLS, label
from visitation.workbench.diff import uses
from visitation.workbench.words import Words, condition_words

__all__ = ["SHOW_FORMATS", "View", "build_view", "render_show"]

SHOW_FORMATS = ("md", "html")

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "ruleset": "Rule set", "status": "Status", "in_force": "In force", "from": "from",
        "to": "to", "open": "until further notice", "publisher": "Publisher",
        "hash": "Content hash", "languages": "Languages", "dates_note": "About the dates",
        "pathways": "Pathways", "requires": "Requires the groups",
        "criteria": "Criteria (decide the verdict)",
        "documentation": "Documentation (decide whether the referral is ready)",
        "rules": "Criteria", "indicators": "Monitoring — not a gate",
        "definitions": "Definitions", "used_by": "Used by", "unused": "not used",
        "sources": "Sources", "condition": "Condition", "explanations": "Explanations",
        "source": "Source", "provenance": "Provenance", "rationale": "Rationale",
        "group": "group", "kind.documentation": "Documentation rule: decides whether the "
        "referral is ready, never whether the patient is eligible.",
        "changes": "Changes in this version", "change": "change", "note": "note",
        "signoff": "Clinical sign-off", "name": "Name", "role": "Role", "date": "Date",
        "signature": "Signature", "id": "id", "title": "title", "url": "address",
        "signoff.text": "We have read every pathway, rule and condition above and find that "
        "they state the guideline as intended.",
        "inferred.note": "Inferred rules go beyond their source: these are the ones to "
        "decide on.",
    },
    "da": {
        "ruleset": "Regelsæt", "status": "Status", "in_force": "Gældende", "from": "fra",
        "to": "til", "open": "indtil videre", "publisher": "Udgiver",
        "hash": "Indholdets hash", "languages": "Sprog", "dates_note": "Om datoerne",
        "pathways": "Forløb", "requires": "Kræver grupperne",
        "criteria": "Kriterier (afgør resultatet)",
        "documentation": "Dokumentation (afgør, om henvisningen er klar)",
        "rules": "Kriterier", "indicators": "Monitorering — ikke et visitationskriterium",
        "definitions": "Definitioner", "used_by": "Bruges af", "unused": "bruges ikke",
        "sources": "Kilder", "condition": "Betingelse", "explanations": "Forklaringer",
        "source": "Kilde", "provenance": "Oprindelse", "rationale": "Begrundelse",
        "group": "gruppe", "kind.documentation": "Dokumentationsregel: afgør, om "
        "henvisningen er klar, aldrig om patienten opfylder kriterierne.",
        "changes": "Ændringer i denne version", "change": "ændring", "note": "note",
        "signoff": "Klinisk godkendelse", "name": "Navn", "role": "Rolle", "date": "Dato",
        "signature": "Underskrift", "id": "id", "title": "titel", "url": "adresse",
        "signoff.text": "Vi har læst alle forløb, regler og betingelser ovenfor og finder, at "
        "de gengiver retningslinjen som tilsigtet.",
        "inferred.note": "Udledte regler går videre end deres kilde: det er dem, der skal "
        "tages stilling til.",
    },
}  # fmt: skip


def _w(lang: str, key: str) -> str:
    return _WORDS.get(lang, _WORDS["en"])[key]


def _t(value: Any, lang: str) -> str:
    """A text in ``lang``: a plain string as it is, a per-language mapping by language."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(value.get(lang) or next(iter(value.values()), ""))
    return str(value)


@dataclass(frozen=True, slots=True)
class RuleView:
    id: str
    title: str
    group: str
    documentation: bool
    condition: Words
    explanations: tuple[tuple[str, str, str], ...]  # (symbol, label, text)
    source: str
    url: str | None
    provenance: str
    rationale: str


@dataclass(frozen=True, slots=True)
class PathwayView:
    id: str
    title: str
    description: str
    requires: tuple[str, ...]
    criteria: tuple[tuple[str, str], ...]
    documentation: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class View:
    """The content of the sign-off document, in one language, unescaped."""

    lang: str
    title: str
    banner: str | None
    facts: tuple[tuple[str, str], ...]
    dates_note: str
    pathways: tuple[PathwayView, ...]
    rules: tuple[RuleView, ...]
    indicators: tuple[RuleView, ...]
    definitions: tuple[tuple[str, Words, tuple[str, ...]], ...]
    sources: tuple[tuple[str, str, str, str, str], ...]  # id, title, publisher, date, url
    changes: tuple[str, tuple[tuple[str, str, str], ...]] | None

    def w(self, key: str) -> str:
        return _w(self.lang, key)


def _rule_view(rs: RuleSet, r: Rule, lang: str, sources: Mapping[str, Any]) -> RuleView:
    s = sources.get(r.source.ref)
    section = _t(r.source.section, lang)
    cited = f"{s.title}, {section} — {_t(s.publisher, lang)}" if s else section
    return RuleView(
        id=r.id,
        title=_t(r.title, lang),
        group=r.group,
        documentation=r.kind == "documentation",
        condition=condition_words(r.when, rs.definitions, lang),
        explanations=tuple(
            (SYMBOLS[o], label(lang, o), _t(getattr(r.explain, o), lang))
            for o in ("met", "not_met", "unknown")
        ),
        source=cited,
        url=s.url if s else None,
        provenance=label(lang, r.provenance),
        rationale=_t(r.rationale, lang),
    )


def _uses(rs: RuleSet) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {n: [] for n in rs.definitions}
    for r in (*rs.rules, *rs.indicators):
        for name in sorted(uses(r.when, rs.definitions)):
            out[name].append(r.id)
    return out


def build_view(rs: RuleSet, lang: str) -> View:
    """The sign-off document's content for ``rs`` in ``lang``."""
    sources = {s.id: s for s in rs.sources}
    titles = {r.id: _t(r.title, lang) for r in rs.rules}
    until = rs.effective_until.isoformat() if rs.effective_until else _w(lang, "open")
    facts = (
        (_w(lang, "ruleset"), rs.key),
        (_w(lang, "status"), label(lang, f"status.{rs.status}")),
        (
            _w(lang, "in_force"),
            f"{_w(lang, 'from')} {rs.effective_from.isoformat()} {_w(lang, 'to')} {until}"
            if rs.effective_until
            else f"{_w(lang, 'from')} {rs.effective_from.isoformat()}, {until}",
        ),
        (_w(lang, "publisher"), _t(rs.publisher, lang)),
        (_w(lang, "languages"), ", ".join(rs.languages)),
        (_w(lang, "hash"), content_hash(rs)),
    )
    pathways = []
    for pid, p in rs.pathways.items():
        members = [r for r in rs.rules if r.group in p.requires]
        pathways.append(
            PathwayView(
                pid,
                _t(p.title, lang),
                _t(p.description, lang),
                tuple(p.requires),
                tuple((r.id, titles[r.id]) for r in members if r.kind != "documentation"),
                tuple((r.id, titles[r.id]) for r in members if r.kind == "documentation"),
            )
        )
    uses = _uses(rs)
    entry = next((c for c in rs.changes if c.version == rs.version), None)
    changes = (
        (entry.summary, tuple((e.id, e.change, e.note) for e in entry.rules))
        if entry is not None
        else None
    )
    return View(
        lang=lang,
        title=_t(rs.title, lang),
        banner=None if rs.status == "published" else label(lang, f"banner.{rs.status}"),
        facts=facts,
        dates_note=_t(rs.dates_note, lang),
        pathways=tuple(pathways),
        rules=tuple(_rule_view(rs, r, lang, sources) for r in rs.rules),
        indicators=tuple(_rule_view(rs, r, lang, sources) for r in rs.indicators),
        definitions=tuple(
            (n, condition_words(d, rs.definitions, lang), tuple(uses[n]))
            for n, d in rs.definitions.items()
        ),
        sources=tuple(
            (s.id, s.title, _t(s.publisher, lang), s.date or "", s.url or "") for s in rs.sources
        ),
        changes=changes,
    )


# -- Markdown --------------------------------------------------------------------------


def _md_words(words: Words, indent: str = "") -> list[str]:
    m = escape.markdown
    return [f"{indent}{'  ' * d}- {m(text)}" for d, text in words.lines()]


def _md_rule(v: View, r: RuleView) -> list[str]:
    m = escape.markdown
    out = ["", f"#### `{escape.markdown(r.id, context='code')[1:-1]}` — {m(r.title)}", ""]
    if r.documentation:
        out += [f"*{m(v.w('kind.documentation'))}*", ""]
    out += [f"**{m(v.w('condition'))}**", "", *_md_words(r.condition), ""]
    out += [f"**{m(v.w('explanations'))}**", ""]
    out += [f"- {sym} {m(lab)}: {m(text)}" for sym, lab, text in r.explanations]
    source = m(r.source)
    link = escape.link_target(r.url)
    if link:
        source += f" <{escape.markdown(link, context='url')}>"
    out += ["", f"**{m(v.w('source'))}:** {source}  "]
    prov = f"**{m(v.w('provenance'))}:** {m(r.provenance)}"
    if r.rationale:
        prov += f" — {m(r.rationale)}"
    out.append(prov)
    return out


def render_md(v: View) -> str:
    m = escape.markdown
    out = [f"# {m(v.title)}", ""]
    if v.banner:
        out += [f"> **{m(v.banner)}**", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {m(k)} | {m(val)} |" for k, val in v.facts]
    if v.dates_note:
        out += ["", f"**{m(v.w('dates_note'))}:** {m(v.dates_note)}"]
    out += ["", f"## {m(v.w('pathways'))}"]
    for p in v.pathways:
        out += ["", f"### {m(p.title)} (`{p.id}`)", ""]
        if p.description:
            out += [m(p.description), ""]
        out.append(f"{m(v.w('requires'))}: {m(', '.join(p.requires))}")
        for key, members in (("criteria", p.criteria), ("documentation", p.documentation)):
            if members:
                out += ["", f"{m(v.w(key))}:", ""]
                out += [f"- `{rid}` {m(title)}" for rid, title in members]
    for key, rules in (("rules", v.rules), ("indicators", v.indicators)):
        if not rules:
            continue
        out += ["", f"## {m(v.w(key))}"]
        if key == "rules":
            out += ["", f"*{m(v.w('inferred.note'))}*"]
        group = None
        for r in rules:
            if r.group != group:
                group = r.group
                out += ["", f"### {m(v.w('group'))}: {m(group)}"]
            out += _md_rule(v, r)
    if v.definitions:
        out += ["", f"## {m(v.w('definitions'))}"]
        for name, words, used in v.definitions:
            out += ["", f"### `{name}`", "", *_md_words(words), ""]
            users = ", ".join(f"`{u}`" for u in used) if used else m(v.w("unused"))
            out.append(f"{m(v.w('used_by'))}: {users}")
    out += ["", f"## {m(v.w('sources'))}", ""]
    out += [f"| {v.w('id')} | {m(v.w('title'))} | {m(v.w('publisher'))} | {m(v.w('date'))} |"
            f" {m(v.w('url'))} |", "|---|---|---|---|---|"]  # fmt: skip
    for sid, title, publisher, when, url in v.sources:
        out.append(f"| `{sid}` | {m(title)} | {m(publisher)} | {m(when)} | {m(url)} |")
    if v.changes:
        summary, entries = v.changes
        out += ["", f"## {m(v.w('changes'))}", "", m(summary)]
        if entries:
            out += ["", f"| {v.w('id')} | {m(v.w('change'))} | {m(v.w('note'))} |",
                    "|---|---|---|"]  # fmt: skip
            out += [f"| `{rid}` | {m(kind)} | {m(note)} |" for rid, kind, note in entries]
    out += ["", f"## {m(v.w('signoff'))}", "", m(v.w("signoff.text")), ""]
    heads = [v.w(k) for k in ("name", "role", "date", "signature")]
    out += ["| " + " | ".join(m(h) for h in heads) + " |", "|---|---|---|---|"]
    out += ["| | | | |"] * 3
    return "\n".join(out) + "\n"


# -- HTML ------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:11pt;line-height:1.45;
  color:#1f2328;max-width:48rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:2px solid #1f2328;margin-top:2rem}
h3{font-size:1.1rem;margin-top:1.2rem}h4{font-size:1rem;margin:1rem 0 .3rem}
code{font-family:ui-monospace,Menlo,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #8c959f;padding:.25rem .4rem;
  text-align:left;vertical-align:top}
.banner{font-weight:700;border:2px solid #9a6700;background:#fff8c5;padding:.5rem .75rem}
.rule{border-left:4px solid #57606a;padding:.2rem .8rem;margin:.8rem 0;break-inside:avoid}
.rule.documentation{border-left-style:dashed}
.label{font-weight:600}.doc{font-style:italic}
.signoff td{height:2.4rem}
@media print{body{margin:0;max-width:none}a{color:inherit}h2{break-after:avoid}
  .rule{break-inside:avoid}}
"""


def _html_words(words: Words) -> str:
    e = escape.html

    def node(w: Words) -> str:
        inner = "".join(node(p) for p in w.parts)
        return f"<li>{e(w.text)}" + (f"<ul>{inner}</ul>" if inner else "") + "</li>"

    return f"<ul>{node(words)}</ul>"


def _html_rule(v: View, r: RuleView) -> list[str]:
    e = escape.html
    cls = "rule documentation" if r.documentation else "rule"
    out = [f'<div class="{cls}">', f"<h4><code>{e(r.id)}</code> — {e(r.title)}</h4>"]
    if r.documentation:
        out.append(f'<p class="doc">{e(v.w("kind.documentation"))}</p>')
    out.append(f'<p class="label">{e(v.w("condition"))}</p>{_html_words(r.condition)}')
    out.append(f'<p class="label">{e(v.w("explanations"))}</p><ul>')
    out += [f"<li>{sym} {e(lab)}: {e(text)}</li>" for sym, lab, text in r.explanations]
    out.append("</ul>")
    link = escape.link_target(r.url)
    source = e(r.source) + (f' &lt;<a href="{e(link)}">{e(link)}</a>&gt;' if link else "")
    out.append(f'<p><span class="label">{e(v.w("source"))}:</span> {source}</p>')
    prov = e(r.provenance) + (f" — {e(r.rationale)}" if r.rationale else "")
    out.append(f'<p><span class="label">{e(v.w("provenance"))}:</span> {prov}</p></div>')
    return out


def render_html(v: View) -> str:
    e = escape.html
    css = " ".join(line.strip() for line in _CSS.strip().splitlines())
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{e(v.lang)}"><head><meta charset="utf-8">',
        f"<title>{e(v.title)}</title><style>{css}</style></head><body>",
        f"<h1>{e(v.title)}</h1>",
    ]
    if v.banner:
        out.append(f'<p class="banner">{e(v.banner)}</p>')
    out.append(
        "<table>"
        + "".join(f"<tr><th>{e(k)}</th><td>{e(x)}</td></tr>" for k, x in v.facts)
        + "</table>"
    )
    if v.dates_note:
        out.append(f'<p><span class="label">{e(v.w("dates_note"))}:</span> {e(v.dates_note)}</p>')
    out.append(f"<h2>{e(v.w('pathways'))}</h2>")
    for p in v.pathways:
        out.append(f"<h3>{e(p.title)} (<code>{e(p.id)}</code>)</h3>")
        if p.description:
            out.append(f"<p>{e(p.description)}</p>")
        out.append(f"<p>{e(v.w('requires'))}: {e(', '.join(p.requires))}</p>")
        for key, members in (("criteria", p.criteria), ("documentation", p.documentation)):
            if members:
                items = "".join(f"<li><code>{e(i)}</code> {e(t)}</li>" for i, t in members)
                out.append(f"<p>{e(v.w(key))}:</p><ul>{items}</ul>")
    for key, rules in (("rules", v.rules), ("indicators", v.indicators)):
        if not rules:
            continue
        out.append(f"<h2>{e(v.w(key))}</h2>")
        if key == "rules":
            out.append(f'<p class="doc">{e(v.w("inferred.note"))}</p>')
        group = None
        for r in rules:
            if r.group != group:
                group = r.group
                out.append(f"<h3>{e(v.w('group'))}: {e(group)}</h3>")
            out += _html_rule(v, r)
    if v.definitions:
        out.append(f"<h2>{e(v.w('definitions'))}</h2>")
        for name, words, used in v.definitions:
            users = ", ".join(f"<code>{e(u)}</code>" for u in used) or e(v.w("unused"))
            out.append(f"<h3><code>{e(name)}</code></h3>{_html_words(words)}")
            out.append(f"<p>{e(v.w('used_by'))}: {users}</p>")
    out.append(f"<h2>{e(v.w('sources'))}</h2><table>")
    heads = ("id", "title", "publisher", "date", "url")
    out.append("<tr>" + "".join(f"<th>{e(v.w(h))}</th>" for h in heads) + "</tr>")
    for row in v.sources:
        out.append("<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>")
    out.append("</table>")
    if v.changes:
        summary, entries = v.changes
        out.append(f"<h2>{e(v.w('changes'))}</h2><p>{e(summary)}</p>")
        if entries:
            out.append("<table>" + "".join(
                f"<tr><td><code>{e(i)}</code></td><td>{e(k)}</td><td>{e(n)}</td></tr>"
                for i, k, n in entries
            ) + "</table>")  # fmt: skip
    out.append(f"<h2>{e(v.w('signoff'))}</h2><p>{e(v.w('signoff.text'))}</p>")
    signers = ("name", "role", "date", "signature")
    out.append(
        '<table class="signoff"><tr>' + "".join(f"<th>{e(v.w(h))}</th>" for h in signers) + "</tr>"
    )
    out += ["<tr><td></td><td></td><td></td><td></td></tr>"] * 3
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


def render_show(rs: RuleSet, format: str = "md", lang: str = "en") -> str:
    """The sign-off document of ``rs`` as ``md`` or ``html``, in ``lang``."""
    view = build_view(rs, lang)
    if format == "md":
        return render_md(view)
    if format == "html":
        return render_html(view)
    raise ValueError(f"unknown format {format!r}; one of: {', '.join(SHOW_FORMATS)}")
