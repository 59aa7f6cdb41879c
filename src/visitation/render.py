"""Render an :class:`~visitation.assessment.Assessment` as text, Markdown, HTML or JSON.

``render(assessment, format, lang)`` is a pure function of the Assessment: no clock, no
terminal detection and no colour codes (a caller may add colour around the output). Each
format is a small function of its own; they share one order:

1. banners: a rule set that is not ``published`` (provisional, draft, retired) or was not
   in force on the evaluation date says so first, in every format;
2. header: title, ``family@version``, status, evaluation date, short content hash;
3. verdicts, one line per pathway: the missing facts (in the order to record them) for
   an indeterminate verdict, the rules not met for a not-eligible one;
4. each rule: status, title, explanation, evidence, missing facts, source citation and
   provenance (inferred rules show "inferred" and their rationale);
5. monitoring indicators, in a section of their own: monitored, never a gate;
6. a footer: the verdict supports, and does not replace, the clinician's judgement
   (hospice criteria are assessed as a whole, *helhedsvurdering*).

*Unknown* never looks like *not met*: every format pairs a distinct symbol with a word
(``✓ met``, ``✗ not met``, ``? unknown``); HTML adds distinct classes, colours and border
styles, never colour alone.

Danish wording. Rule statuses are *opfyldt* / *ikke opfyldt* / *ukendt*. Verdicts are
*opfylder kriterierne* / *opfylder ikke kriterierne* / *kan ikke afgøres*: the tool checks
the referral criteria and says so; it does not call a patient *egnet* (suitable) or
*berettiget* (entitled), which are judgements the visiting clinician makes, nor
*uafklaret*, which in Danish clinical records suggests the patient's condition rather than
our missing data. The rule set status words are *foreløbig*, *udkast*, *publiceret* and
*udgået*; a rule set's dates are *gældende* (in force).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from visitation.assessment import Assessment, PathwayResult, RuleResult
from visitation.explain import format_value

__all__ = ["FORMATS", "LABELS", "render"]

FORMATS: Final = ("text", "md", "json", "html")
"""The formats :func:`render` knows."""

SYMBOLS: Final[Mapping[str, str]] = {
    "met": "✓",
    "not_met": "✗",
    "unknown": "?",
    "eligible": "✓",
    "not_eligible": "✗",
    "indeterminate": "?",
}
"""One symbol per rule status and per verdict; the same in every language."""

LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        # rule statuses and verdicts
        "met": "met",
        "not_met": "not met",
        "unknown": "unknown",
        "eligible": "eligible",
        "not_eligible": "not eligible",
        "indeterminate": "indeterminate",
        # rule set statuses
        "status.draft": "draft",
        "status.provisional": "provisional",
        "status.published": "published",
        "status.retired": "retired",
        # banners
        "banner.provisional": "PROVISIONAL: this rule set encodes a guideline whose text "
        "is not final.",
        "banner.draft": "DRAFT: this rule set is a draft and must not be used for "
        "referral decisions.",
        "banner.retired": "RETIRED: this rule set has been withdrawn; use a current version.",
        "banner.not_in_force": "NOT IN FORCE: {key} was not in force on {on} ({span}).",
        "span.open": "in force from {start}",
        "span.closed": "in force from {start} to {end}",
        # header and sections
        "evaluated_on": "evaluated on {on}",
        "in_force": "in force",
        "verdicts": "Verdicts",
        "rules": "Criteria",
        "indicators": "Monitoring — not a gate",
        "indicators.note": "Monitoring indicators are recorded for quality follow-up; they "
        "never change a verdict.",
        "group": "group",
        # details
        "record": "record",
        "blocking": "not met",
        "evidence": "evidence",
        "missing": "missing",
        "source": "source",
        "section": "section",
        "provenance": "provenance",
        "published": "published",
        "inferred": "inferred",
        "none": "none",
        "footer.hospice": "Hospice criteria are assessed as a whole (helhedsvurdering): "
        "this verdict supports, and does not replace, the clinician's judgement.",
        "footer": "This verdict supports, and does not replace, the clinician's judgement.",
    },
    "da": {
        "met": "opfyldt",
        "not_met": "ikke opfyldt",
        "unknown": "ukendt",
        "eligible": "opfylder kriterierne",
        "not_eligible": "opfylder ikke kriterierne",
        "indeterminate": "kan ikke afgøres",
        "status.draft": "udkast",
        "status.provisional": "foreløbig",
        "status.published": "publiceret",
        "status.retired": "udgået",
        "banner.provisional": "FORELØBIG: regelsættet bygger på en retningslinje, hvis "
        "tekst ikke er endelig.",
        "banner.draft": "UDKAST: regelsættet er et udkast og må ikke bruges til visitation.",
        "banner.retired": "UDGÅET: regelsættet er trukket tilbage; brug en gældende version.",
        "banner.not_in_force": "IKKE GÆLDENDE: {key} var ikke gældende den {on} ({span}).",
        "span.open": "gældende fra {start}",
        "span.closed": "gældende fra {start} til {end}",
        "evaluated_on": "vurderet {on}",
        "in_force": "gældende",
        "verdicts": "Resultat",
        "rules": "Kriterier",
        "indicators": "Monitorering — ikke et visitationskriterium",
        "indicators.note": "Monitoreringsindikatorer registreres til kvalitetsopfølgning; "
        "de ændrer aldrig resultatet.",
        "group": "gruppe",
        "record": "registrér",
        "blocking": "ikke opfyldt",
        "evidence": "grundlag",
        "missing": "mangler",
        "source": "kilde",
        "section": "afsnit",
        "provenance": "oprindelse",
        "published": "publiceret",
        "inferred": "udledt",
        "none": "ingen",
        "footer.hospice": "Hospicekriterierne vurderes som en helhed (helhedsvurdering): "
        "resultatet understøtter lægens kliniske vurdering, men erstatter den ikke.",
        "footer": "Resultatet understøtter den kliniske vurdering, men erstatter den ikke.",
    },
}
"""Fixed wording per language; a rule set language without an entry here uses English."""


def render(assessment: Assessment, format: str = "text", lang: str | None = None) -> str:
    """The assessment as ``text``, ``md``, ``json`` or ``html``, in one of its languages.

    ``lang`` defaults to :attr:`Assessment.default_lang` (English if the assessment holds
    it, else its first language). ``ValueError`` names the formats
    or the assessment's languages when either is unknown. The result has no final newline.
    """
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
    if lang is None:
        lang = assessment.default_lang
    if lang not in assessment.languages:
        raise ValueError(
            f"{assessment.key} was evaluated in {', '.join(assessment.languages)}, "
            f"not {lang!r}; languages: {', '.join(assessment.languages)}"
        )
    return renderer(assessment, lang)


# --------------------------------------------------------------------------------------
# Shared pieces: words, banners, one line per verdict
# --------------------------------------------------------------------------------------


def _label(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]


def _text_in(texts: Mapping[str, str], lang: str) -> str:
    """The text in ``lang`` (a hand-built Assessment may lack it: take the first one)."""
    if lang in texts:
        return texts[lang]
    return next(iter(texts.values()), "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _short_hash(content_hash: str) -> str:
    algorithm, sep, digest = content_hash.partition(":")
    return f"{algorithm}:{digest[:12]}" if sep else content_hash[:12]


def _banners(a: Assessment, lang: str) -> list[str]:
    """Warnings that must come before everything else, in every format."""
    banners: list[str] = []
    if a.status != "published":
        banners.append(_label(lang, f"banner.{a.status}"))
    if not a.in_force:
        start = a.effective_from.isoformat()
        if a.effective_until is None:
            span = _label(lang, "span.open").format(start=start)
        else:
            end = a.effective_until.isoformat()
            span = _label(lang, "span.closed").format(start=start, end=end)
        banners.append(
            _label(lang, "banner.not_in_force").format(
                key=a.key, on=a.evaluated_on.isoformat(), span=span
            )
        )
    return banners


def _meta(a: Assessment, lang: str) -> list[str]:
    """The header's facts: key, status, date, content hash."""
    return [
        a.key,
        _label(lang, f"status.{a.status}"),
        _label(lang, "evaluated_on").format(on=a.evaluated_on.isoformat()),
        _short_hash(a.content_hash),
    ]


def _verdict_detail(p: PathwayResult, lang: str) -> tuple[str, list[str]] | None:
    """What follows a verdict: the facts to record, or the rules not met."""
    if p.verdict == "indeterminate" and p.missing:
        return _label(lang, "record"), p.missing
    if p.verdict == "not_eligible" and p.blocking:
        return _label(lang, "blocking"), p.blocking
    return None


def _evidence_value(value: object, lang: str) -> str:
    if isinstance(value, bool):
        return format_value(value, lang)  # yes/no in the reader's language
    if isinstance(value, list):
        return ", ".join(_evidence_value(v, lang) for v in value) or "–"
    return str(value)


def _evidence(r: RuleResult, lang: str) -> list[tuple[str, str]]:
    return [(name, _evidence_value(value, lang)) for name, value in r.evidence.items()]


def _section(r: RuleResult, lang: str) -> str:
    """The cited section; a bare number ("2", "3.5") gets the word "section"."""
    section = _one_line(r.source.section)
    return f"{_label(lang, 'section')} {section}" if section[:1].isdigit() else section


def _provenance(r: RuleResult, lang: str) -> str:
    if r.provenance == "inferred":
        rationale = _one_line(r.rationale or "")
        return (
            f"{_label(lang, 'inferred')} — {rationale}" if rationale else _label(lang, "inferred")
        )
    return _label(lang, "published")


def _footer(a: Assessment, lang: str) -> str:
    hospice = any("hospice" in p.id for p in a.pathways)
    return _label(lang, "footer.hospice" if hospice else "footer")


def _groups(rules: Sequence[RuleResult]) -> list[tuple[str, list[RuleResult]]]:
    """Consecutive rules of one group, in file order."""
    out: list[tuple[str, list[RuleResult]]] = []
    for r in rules:
        if out and out[-1][0] == r.group:
            out[-1][1].append(r)
        else:
            out.append((r.group, [r]))
    return out


# --------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------

_WIDTH = 100


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        _one_line(text),
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _text_rule(r: RuleResult, lang: str, status_width: int) -> list[str]:
    status = f"{SYMBOLS[r.status]} {_label(lang, r.status)}".ljust(status_width)
    pad = "  " + " " * status_width + "  "
    lines = [f"  {status}  {r.id}: {_one_line(_text_in(r.title, lang))}"]
    lines += _wrap(_text_in(r.explanation, lang), pad)
    if r.evidence:
        pairs = "; ".join(f"{k} = {v}" for k, v in _evidence(r, lang))
        lines += _wrap(f"{_label(lang, 'evidence')}: {pairs}", pad)
    if r.missing:
        lines += _wrap(f"{_label(lang, 'missing')}: {', '.join(r.missing)}", pad)
    s = r.source
    source = f"{_label(lang, 'source')}: {s.title}, {_section(r, lang)} — {s.publisher}"
    if r.source.url:
        source += f" <{r.source.url}>"
    lines += _wrap(source, pad)
    lines += _wrap(f"{_label(lang, 'provenance')}: {_provenance(r, lang)}", pad)
    return lines


def _text_rules(rules: Sequence[RuleResult], lang: str) -> list[str]:
    width = max(len(f"{SYMBOLS[s]} {_label(lang, s)}") for s in ("met", "not_met", "unknown"))
    lines: list[str] = []
    for group, members in _groups(rules):
        lines += ["", f"  [{_label(lang, 'group')}: {group}]"]
        for r in members:
            lines += _text_rule(r, lang, width)
    return lines


def render_text(a: Assessment, lang: str) -> str:
    """Plain text for terminals and logs: readable without colour, no escape codes."""
    lines: list[str] = []
    banners = _banners(a, lang)
    for banner in banners:
        lines += _wrap(f"!! {banner}", "")
    if banners:
        lines.append("")
    lines.append(_one_line(_text_in(a.title, lang)))
    lines.append(" · ".join(_meta(a, lang)))

    lines += ["", _label(lang, "verdicts").upper()]
    verdicts = ("eligible", "not_eligible", "indeterminate")
    width = max(len(f"{SYMBOLS[v]} {_label(lang, v)}") for v in verdicts)
    for p in a.pathways:
        verdict = f"{SYMBOLS[p.verdict]} {_label(lang, p.verdict)}".ljust(width)
        lines.append(f"  {verdict}  {_one_line(_text_in(p.title, lang))} ({p.id})")
        detail = _verdict_detail(p, lang)
        if detail is not None:
            lines += _wrap(f"{detail[0]}: {', '.join(detail[1])}", "      ")

    lines += ["", _label(lang, "rules").upper()]
    lines += _text_rules(a.rules, lang)

    if a.indicators:
        lines += ["", _label(lang, "indicators").upper()]
        lines += _wrap(_label(lang, "indicators.note"), "  ")
        lines += _text_rules(a.indicators, lang)

    lines += ["", *_wrap(_footer(a, lang), "")]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&#|~])")


def _md(text: str) -> str:
    """Escape Markdown (and inline HTML) so that rule text and fact values stay literal."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(text))


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _md_link(title: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return f"[{_md(title)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
    return _md(title)


def _md_rule(r: RuleResult, lang: str) -> list[str]:
    status = f"{SYMBOLS[r.status]} {_label(lang, r.status)}"
    lines = [
        f"- **{status}** — {_code(r.id)}: {_md(_text_in(r.title, lang))}\\",
        f"  {_md(_text_in(r.explanation, lang))}",
    ]
    if r.evidence:
        pairs = "; ".join(f"{_code(k)} = {_md(v)}" for k, v in _evidence(r, lang))
        lines.append(f"  - {_label(lang, 'evidence')}: {pairs}")
    if r.missing:
        missing = ", ".join(_code(m) for m in r.missing)
        lines.append(f"  - {_label(lang, 'missing')}: {missing}")
    s = r.source
    source = f"{_md_link(s.title, s.url)}, {_md(_section(r, lang))} — {_md(s.publisher)}"
    lines.append(f"  - {_label(lang, 'source')}: {source}")
    provenance = _label(lang, r.provenance)
    if r.provenance == "inferred":
        provenance = f"**{provenance}**"
        if r.rationale:
            provenance += f" — {_md(r.rationale)}"
    lines.append(f"  - {_label(lang, 'provenance')}: {provenance}")
    return lines


def _md_rules(rules: Sequence[RuleResult], lang: str) -> list[str]:
    lines: list[str] = []
    for group, members in _groups(rules):
        lines += ["", f"#### {_label(lang, 'group').capitalize()}: {_code(group)}", ""]
        for r in members:
            lines += _md_rule(r, lang)
    return lines


def render_markdown(a: Assessment, lang: str) -> str:
    """Markdown (CommonMark/GFM) for reports, issues and notebooks; all text escaped."""
    lines: list[str] = []
    for banner in _banners(a, lang):
        lines += [f"> **⚠ {_md(banner)}**", ""]
    lines.append(f"## {_md(_text_in(a.title, lang))}")
    meta = _meta(a, lang)
    lines += ["", f"{_code(meta[0])} · **{meta[1]}** · {meta[2]} · {_code(meta[3])}"]

    lines += ["", f"### {_label(lang, 'verdicts')}", ""]
    for p in a.pathways:
        verdict = f"{SYMBOLS[p.verdict]} {_label(lang, p.verdict)}"
        line = f"- **{verdict}**: {_md(_text_in(p.title, lang))} ({_code(p.id)})"
        detail = _verdict_detail(p, lang)
        if detail is not None:
            line += f" — {detail[0]}: {', '.join(_code(x) for x in detail[1])}"
        lines.append(line)

    lines += ["", f"### {_label(lang, 'rules')}"]
    lines += _md_rules(a.rules, lang)

    if a.indicators:
        lines += [
            "",
            f"### {_label(lang, 'indicators')}",
            "",
            f"_{_md(_label(lang, 'indicators.note'))}_",
        ]
        lines += _md_rules(a.indicators, lang)

    lines += ["", "---", "", f"_{_md(_footer(a, lang))}_"]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# HTML (a self-contained fragment; Jupyter's _repr_html_)
# --------------------------------------------------------------------------------------

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

_E = html.escape


def _html_badge(status: str, lang: str) -> str:
    return (
        f'<span class="vz-badge"><span class="vz-icon" aria-hidden="true">{SYMBOLS[status]}</span>'
        f" {_E(_label(lang, status))}</span>"
    )


def _css_class(status: str) -> str:
    return "vz-" + status.replace("_", "-")


def _html_link(title: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_E(url)}" rel="noopener noreferrer" target="_blank">{_E(title)}</a>'
    return _E(title)


def _html_rule(r: RuleResult, lang: str) -> list[str]:
    out = [
        f'<li class="vz-rule {_css_class(r.status)}" data-rule="{_E(r.id)}" '
        f'data-status="{_E(r.status)}">',
        f"{_html_badge(r.status, lang)} <code>{_E(r.id)}</code>: "
        f"<strong>{_E(_text_in(r.title, lang))}</strong>",
        f'<p class="vz-explanation">{_E(_text_in(r.explanation, lang))}</p>',
        '<dl class="vz-details">',
    ]
    if r.evidence:
        pairs = "; ".join(f"<code>{_E(k)}</code> = {_E(v)}" for k, v in _evidence(r, lang))
        out.append(f"<dt>{_E(_label(lang, 'evidence'))}</dt><dd>{pairs}</dd>")
    if r.missing:
        missing = ", ".join(f"<code>{_E(m)}</code>" for m in r.missing)
        out.append(f"<dt>{_E(_label(lang, 'missing'))}</dt><dd>{missing}</dd>")
    s = r.source
    out.append(
        f"<dt>{_E(_label(lang, 'source'))}</dt><dd>{_html_link(s.title, s.url)}, "
        f"{_E(_section(r, lang))} — {_E(s.publisher)}</dd>"
    )
    provenance = f"<dt>{_E(_label(lang, 'provenance'))}</dt><dd>"
    if r.provenance == "inferred":
        provenance += f"<strong>{_E(_label(lang, 'inferred'))}</strong>"
        if r.rationale:
            provenance += f" — {_E(_one_line(r.rationale))}"
    else:
        provenance += _E(_label(lang, "published"))
    out += [provenance + "</dd>", "</dl>", "</li>"]
    return out


def _html_rules(rules: Sequence[RuleResult], lang: str) -> list[str]:
    out: list[str] = []
    for group, members in _groups(rules):
        out += [f"<h4>{_E(_label(lang, 'group'))}: <code>{_E(group)}</code></h4>", "<ul>"]
        for r in members:
            out += _html_rule(r, lang)
        out.append("</ul>")
    return out


def render_html(a: Assessment, lang: str) -> str:
    """A self-contained HTML fragment (scoped inline style, every text escaped)."""
    out = [
        f'<div class="vz-assessment" lang="{_E(lang)}" data-ruleset="{_E(a.key)}">',
        f"<style>{_CSS}</style>",
    ]
    banner_keys = ([a.status] if a.status != "published" else []) + (
        [] if a.in_force else ["not-in-force"]
    )
    for key, banner in zip(banner_keys, _banners(a, lang), strict=True):
        out.append(f'<p class="vz-banner vz-banner-{key}" role="note">⚠ {_E(banner)}</p>')
    meta = _meta(a, lang)
    out += [
        f"<h2>{_E(_text_in(a.title, lang))}</h2>",
        f'<p class="vz-meta"><code>{_E(meta[0])}</code> · <strong>{_E(meta[1])}</strong> · '
        f"{_E(meta[2])} · <code>{_E(meta[3])}</code></p>",
        f'<section class="vz-verdicts"><h3>{_E(_label(lang, "verdicts"))}</h3>',
        "<ul>",
    ]
    for p in a.pathways:
        line = (
            f'<li class="vz-verdict {_css_class(p.verdict)}" data-pathway="{_E(p.id)}" '
            f'data-verdict="{_E(p.verdict)}">{_html_badge(p.verdict, lang)}: '
            f"<strong>{_E(_text_in(p.title, lang))}</strong> (<code>{_E(p.id)}</code>)"
        )
        detail = _verdict_detail(p, lang)
        if detail is not None:
            items = ", ".join(f"<code>{_E(x)}</code>" for x in detail[1])
            line += f' <span class="vz-detail">— {_E(detail[0])}: {items}</span>'
        out.append(line + "</li>")
    out += ["</ul>", "</section>"]

    out.append(f'<section class="vz-rules"><h3>{_E(_label(lang, "rules"))}</h3>')
    out += _html_rules(a.rules, lang)
    out.append("</section>")

    if a.indicators:
        out += [
            f'<section class="vz-indicators"><h3>{_E(_label(lang, "indicators"))}</h3>',
            f"<p><em>{_E(_label(lang, 'indicators.note'))}</em></p>",
            *_html_rules(a.indicators, lang),
            "</section>",
        ]
    out += [f'<p class="vz-footer">{_E(_footer(a, lang))}</p>', "</div>"]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------


def render_json(a: Assessment, lang: str) -> str:
    """The canonical JSON of the Assessment (every language it holds; ``lang`` is checked only)."""
    return a.to_json()


_RENDERERS: Final[Mapping[str, Callable[[Assessment, str], str]]] = {
    "text": render_text,
    "md": render_markdown,
    "json": render_json,
    "html": render_html,
}
