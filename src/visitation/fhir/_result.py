"""An Assessment together with the provenance of the facts it used."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from visitation import FACTS, Assessment
from visitation.fhir._model import Conflict, Extraction, FactProvenance, Source, Unmapped

__all__ = ["FhirAssessment"]

_DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "reception_wait_days": ("referral_received_on", "first_contact_on"),
}
"""Derived facts the evaluator may cite whose inputs are not in FACTS' derived_from."""

_LABELS = {
    "en": ("Sources of the facts", "fact", "value", "resource", "element", "code", "date"),
    "da": (
        "Kilder til oplysningerne",
        "oplysning",
        "værdi",
        "ressource",
        "element",
        "kode",
        "dato",
    ),
}


def _inputs(fact: str) -> tuple[str, ...]:
    spec = FACTS.get(fact)
    if spec is not None and spec.derived_from:
        return spec.derived_from
    return _DERIVED_FROM.get(fact, ())


@dataclass(frozen=True, slots=True)
class FhirAssessment:
    """What :func:`visitation.fhir.evaluate` returns: the core :class:`~visitation.Assessment`
    and the :class:`Extraction` it was evaluated from (provenance, conflicts, unmapped)."""

    assessment: Assessment
    extraction: Extraction

    @property
    def verdicts(self) -> dict[str, str]:
        """Pathway id → verdict."""
        return dict(self.assessment.verdicts)

    @property
    def provenance(self) -> dict[str, FactProvenance]:
        """Fact → where its value came from."""
        return dict(self.extraction.provenance)

    @property
    def unmapped(self) -> tuple[Unmapped, ...]:
        """Codes and resources the mapping turned into no fact."""
        return self.extraction.unmapped

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """Facts given differently by several resources, and what came of each."""
        return self.extraction.conflicts

    def sources(self, rule_id: str) -> dict[str, Source]:
        """For one rule: each evidence fact → the resource element it came from (a derived
        fact such as ``age`` → the source of its input, ``birth_date``)."""
        rule = self.assessment.rule(rule_id)
        out: dict[str, Source] = {}
        prov = self.extraction.provenance
        for fact in rule.evidence:
            if fact in prov:
                out[fact] = prov[fact].source
            else:
                for name in _inputs(fact):
                    if name in prov:
                        out[name] = prov[name].source
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the assessment, the evidence sources per rule and the extraction."""
        rules = (*self.assessment.rules, *self.assessment.indicators)
        return {
            "assessment": self.assessment.to_dict(),
            "evidence_sources": {
                r.id: {f: s.to_dict() for f, s in self.sources(r.id).items()}
                for r in rules
                if r.evidence
            },
            "extraction": self.extraction.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self, format: str = "text", *, lang: str | None = None) -> str:
        """The assessment rendered by the core, followed by the sources of its facts
        (a link where the resource has an http(s) fullUrl); ``json`` is :meth:`to_json`."""
        if format == "json":
            return self.to_json()
        lang = lang or self.assessment.default_lang
        body = self.assessment.render(format, lang=lang)
        labels = _LABELS.get(lang, _LABELS["en"])
        prov = list(self.extraction.provenance.values())
        if format == "html":  # inside the core's fragment, before its closing tag
            head, tail = body.rstrip(), ""
            if head.endswith("</div>"):
                head, tail = head[: -len("</div>")], "</div>"
            return head + _html(prov, labels) + tail
        if format == "md":
            return body.rstrip("\n") + "\n\n" + _markdown(prov, labels) + "\n"
        return body.rstrip("\n") + "\n\n" + _text(prov, labels) + "\n"

    def __str__(self) -> str:
        return self.render("text")

    def _repr_html_(self) -> str:
        return self.render("html")


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _code(s: Source) -> str:
    return f"{s.system}#{s.code}" if s.system and s.code else (s.code or "")


def _text(prov: list[FactProvenance], labels: tuple[str, ...]) -> str:
    lines = [labels[0] + ":"]
    if not prov:
        lines.append("  (none)")
    for p in prov:
        s = p.source
        where = s.link or s.resource
        extra = f" {_code(s)}" if _code(s) else ""
        when = f", {s.date}" if s.date else ""
        also = f" (+{len(p.others)} more, {p.rule})" if p.others else ""
        lines.append(f"  {p.fact} = {_value(p.value)} ← {where} {s.element}{extra}{when}{also}")
    return "\n".join(lines)


def _markdown(prov: list[FactProvenance], labels: tuple[str, ...]) -> str:
    head = f"## {labels[0]}\n\n| {' | '.join(labels[1:])} |\n|{'---|' * (len(labels) - 1)}"
    rows = []
    for p in prov:
        s = p.source
        resource = f"[{s.resource}]({s.link})" if s.link else s.resource
        cells = [p.fact, _value(p.value), resource, f"`{s.element}`", _code(s), s.date or ""]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return head + ("\n" + "\n".join(rows) if rows else "")


def _html(prov: list[FactProvenance], labels: tuple[str, ...]) -> str:
    e = html.escape
    out = [f"<section class='vz-sources'><h3>{e(labels[0])}</h3><table>"]
    out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in labels[1:]) + "</tr>")
    for p in prov:
        s = p.source
        if s.link:
            resource = f"<a href='{e(s.link, quote=True)}'>{e(s.resource)}</a>"
        else:
            resource = e(s.resource)
        cells = [e(p.fact), e(_value(p.value)), resource, f"<code>{e(s.element)}</code>"]
        cells += [e(_code(s)), e(s.date or "")]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table></section>")
    return "".join(out)
