"""CDS Hooks cards from an Assessment: one card per pathway, in one language.

A card renderer is one more renderer of the document model (``visitation.render``): the
format ``cds-hooks`` (registered on import) gives ``{"cards": [...]}`` for every pathway,
and the service calls :func:`cards` for the pathway an order is for, adding what only the
service knows (card uuids, the patient of a Task, its own base URL).

**The indicator rule** (documented in docs/cds-hooks.md):

==================  ======================================================  ============
hook                the pathway's verdict                                   indicator
==================  ======================================================  ============
patient-view        any                                                     ``info``
order-select/-sign  eligible, and the referral complete                     ``info``
order-select/-sign  eligible but something to do before sending, or         ``warning``
                    indeterminate (facts to record)
order-select/-sign  not eligible (a blocking criterion is not met)          ``critical``
==================  ======================================================  ============

Opening a chart informs; only a referral about to be sent that the criteria do not
support is critical. A rule set that is not published (provisional, draft, retired) or
not in force says so in the card's source label and first in its detail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal, NamedTuple

from visitation import Assessment
from visitation.render import Document, build, register
from visitation.render.escape import link_target, markdown, one_line

__all__ = [
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "SUMMARY_MAX",
    "CardOptions",
    "cards",
    "indicator",
    "render_cards",
]

SUMMARY_MAX: Final = 139
"""A card's summary is shorter than 140 characters (CDS Hooks 2.0.1, Card attributes)."""

OVERRIDE_SYSTEM: Final = "https://visitation.dk/fhir/CodeSystem/override-reason"
PATHWAY_SYSTEM: Final = "https://visitation.dk/fhir/CodeSystem/pathway"

OVERRIDE_REASONS: Final[Mapping[str, Mapping[str, str]]] = {
    "clinical-judgement": {
        "da": "Klinisk helhedsvurdering",
        "en": "Clinical judgement as a whole",
    },
    "record-outdated": {
        "da": "Oplysningerne i journalen er ikke opdaterede",
        "en": "The record is not up to date",
    },
    "patient-wish": {"da": "Patientens eller de pårørendes ønske", "en": "Patient or family wish"},
    "already-referred": {"da": "Allerede henvist eller visiteret", "en": "Already referred"},
    "not-relevant": {"da": "Ikke relevant for patienten nu", "en": "Not relevant now"},
}
"""Why a clinician overrides a card (``overrideReasons``), each with a display per language."""

_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "da": {
        "missing_n": "{n} oplysning(er) mangler",
        "blocking_n": "{n} kriterie(r) ikke opfyldt",
        "todo_n": "{n} punkt(er) inden afsendelse",
        "task": "Opret opgave: registrér de manglende oplysninger",
        "task.description": "Registrér for visitation til {pathway}: {items}",
        "task.action": "Opret en opgave (Task) om at registrere {n} oplysning(er)",
        "view": "Regelsættet {key} (læsbar visning)",
        "missing": "Mangler",
        "blocking": "Ikke opfyldt",
        "todo": "Inden henvisningen sendes",
        "criteria": "Kriterier",
        "evaluated": "{key} ({status}), {on}",
    },
    "en": {
        "missing_n": "{n} fact(s) missing",
        "blocking_n": "{n} criterion/criteria not met",
        "todo_n": "{n} item(s) before sending",
        "task": "Create a task: record the missing facts",
        "task.description": "Record for the {pathway} referral: {items}",
        "task.action": "Create a Task to record {n} fact(s)",
        "view": "Rule set {key} (readable view)",
        "missing": "Missing",
        "blocking": "Not met",
        "todo": "Before sending the referral",
        "criteria": "Criteria",
        "evaluated": "{key} ({status}), {on}",
    },
}

Hook = Literal["patient-view", "order-select", "order-sign"]


@dataclass(frozen=True, slots=True)
class CardOptions:
    """What the service adds to a card beyond the Assessment."""

    hook: Hook = "patient-view"
    ruleset_url: str | None = None
    """A template of the rule set's readable view (``{family}``, ``{version}``)."""
    patient_id: str | None = None
    """The FHIR id of the patient, for the Task of a suggestion (never shown in text)."""
    uuids: bool = False
    """Give each card and suggestion a fresh uuid (the service does; a renderer may not)."""


def _w(lang: str, key: str) -> str:
    return _WORDS.get(lang, _WORDS["en"])[key]


def indicator(hook: str, verdict: str, referral: str) -> Literal["info", "warning", "critical"]:
    """The card's indicator by the documented rule (module docstring)."""
    if hook == "patient-view":
        return "info"
    if verdict == "not_eligible":
        return "critical"
    if verdict == "eligible" and referral == "ready":
        return "info"
    return "warning"


def _shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    text = one_line(text)
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def cards(
    assessment: Assessment | Document,
    *,
    lang: str | None = None,
    pathways: Iterable[str] | None = None,
    options: CardOptions | None = None,
) -> list[dict[str, Any]]:
    """The cards for ``pathways`` (default: every pathway) of one Assessment.

    Every string from the rule file or the patient is escaped for Markdown in ``detail``;
    ``summary`` is one line under 140 characters.
    """
    opts = options or CardOptions()
    if isinstance(assessment, Document):
        doc = assessment
    else:
        doc = build(assessment, lang or assessment.default_lang)
    wanted = None if pathways is None else set(pathways)
    chosen = [v for v in doc.verdicts if wanted is None or v.pathway in wanted]
    every = _all_items(doc) if chosen else {}
    return [_card(doc, v, opts, every) for v in chosen]


def uuid4_text() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` makes it, without the
    ``uuid.UUID`` object (eight per answer)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _card(doc: Document, v: Any, opts: CardOptions, every: dict[str, _Item]) -> dict[str, Any]:
    a, lang = doc.assessment, doc.lang
    p = a.pathway(v.pathway)
    summary = f"{v.title}: {v.label}"
    if v.verdict == "indeterminate" and p.missing:
        summary += f" – {_w(lang, 'missing_n').format(n=len(p.missing))}"
    elif v.verdict == "not_eligible" and p.blocking:
        summary += f" – {_w(lang, 'blocking_n').format(n=len(p.blocking))}"
    elif v.verdict == "eligible" and p.todo:
        summary += f" – {_w(lang, 'todo_n').format(n=len(p.todo))}"
    if a.status != "published":
        summary = f"[{doc.word(f'status.{a.status}')}] {summary}"
    card: dict[str, Any] = {}
    if opts.uuids:
        card["uuid"] = uuid4_text()
    card["summary"] = _shorten(summary)
    card["indicator"] = indicator(opts.hook, v.verdict, v.referral)
    items = _items(doc, v.pathway, every)
    card["detail"] = _detail(doc, v, items)
    card["source"] = _source(doc, v, items)
    missing = [*p.missing, *(r for r in p.todo if r not in p.missing)]
    if v.verdict != "not_eligible" and missing:
        card["suggestions"] = [_task_suggestion(doc, v, opts)]
        card["selectionBehavior"] = "at-most-one"
    card["overrideReasons"] = [
        {"system": OVERRIDE_SYSTEM, "code": code, "display": texts.get(lang, texts["en"])}
        for code, texts in OVERRIDE_REASONS.items()
    ]
    link = _view_link(doc, opts)
    if link is not None:
        card["links"] = [link]
    return card


class _Item(NamedTuple):
    """What a card shows of one criterion (cheaper than the document's full rule item:
    no evidence is formatted): its title, link, and its whole line in the detail (a named
    tuple: made for every rule of every answer, and quicker to make than a frozen class)."""

    id: str
    title: str
    link: str | None
    line: str


_SYMBOLS: Final = {"met": "✓", "not_met": "✗", "unknown": "?"}


@dataclass(frozen=True, slots=True)
class _Static:
    """What a card shows of one rule that only the rule file and the language decide."""

    title: str
    link: str | None
    heads: Mapping[str, str]
    """The start of the criterion's line per status, up to its explanation."""
    tail: str
    """The end of the line after the explanation: the citation, linked where it can be."""


def _all_items(doc: Document) -> dict[str, _Item]:
    """Every criterion of the assessment as a card shows it, by rule id (once per call)."""
    a, lang = doc.assessment, doc.lang
    labels = tuple((status, doc.word(status)) for status in _SYMBOLS)
    static = _static_items(a.content_hash, lang, doc.word("section"), labels, a)
    out = {}
    for r in a.rules:
        s = static[r.id]
        line = s.heads[r.status] + md(_text_in(r.explanation, lang)) + s.tail
        out[r.id] = _Item(r.id, s.title, s.link, line)
    return out


_STATIC: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], dict[str, _Static]] = {}


def _static_items(
    digest: str,
    lang: str,
    section_word: str,
    labels: tuple[tuple[str, str], ...],
    a: Assessment,
) -> dict[str, _Static]:
    """What a card shows of each rule that only the rule file decides (title, citation,
    link, the Markdown around the explanation), once per rule set content, language and
    words (bounded: a few rule sets are served)."""
    key = (digest, lang, section_word, labels)
    found = _STATIC.get(key)
    if found is not None:
        return found
    out = {}
    for r in a.rules:
        section = one_line(_text_in(r.source.section, lang))
        if section[:1].isdigit():
            section = f"{section_word} {section}"
        cite = " ".join(x for x in (r.source.title, section) if x)
        title, link = _text_in(r.title, lang), _link(r.source.url)
        heads = {
            status: f"- {_SYMBOLS[status]} **{md(title)}** ({md(label)}): "
            for status, label in labels
        }
        if link:
            tail = f" — [{md(cite)}](<{markdown(link, context='url')}>)"
        elif cite:
            tail = f" — {md(cite)}"
        else:
            tail = ""
        out[r.id] = _Static(title, link, heads, tail)
    if len(_STATIC) >= 64:
        _STATIC.clear()
    _STATIC[key] = out
    return out


def _items(doc: Document, pathway: str, every: dict[str, _Item]) -> list[_Item]:
    """The criteria of one pathway (and its documentation rules), in file order."""
    p = doc.assessment.pathway(pathway)
    wanted = set(p.rules) | set(p.todo)
    return [item for rid, item in every.items() if rid in wanted]


def _text_in(texts: Mapping[str, str], lang: str) -> str:
    return texts[lang] if lang in texts else next(iter(texts.values()), "")


@lru_cache(maxsize=1024)
def _link(url: str | None) -> str | None:
    return link_target(url)


@lru_cache(maxsize=8192)
def md(value: str) -> str:
    """Markdown prose escaping, memoised: most strings are the rule file's, and repeat."""
    return markdown(value)


def _detail(doc: Document, v: Any, items: list[_Item]) -> str:
    a = doc.assessment
    lines: list[str] = []
    for banner in doc.banners:
        lines += [f"> **{md(banner.text)}**", ""]
    h = doc.header
    lines += [
        f"**{md(v.title)}: {md(v.label)}**",
        "",
        md(_w(doc.lang, "evaluated").format(key=h.key, status=h.status_label, on=a.evaluated_on)),
        "",
    ]
    titles = {i.id: i.title for i in items}
    for d in (v.detail, v.todo_detail):
        if d is None:
            continue
        heading = {"record": "missing", "blocking": "blocking", "todo": "todo"}[d.kind]
        lines.append(f"**{md(_w(doc.lang, heading))}:**")
        for entry in d.items:
            lines.append(f"- {md(titles.get(entry, entry))}")
        lines.append("")
    lines += [f"**{md(_w(doc.lang, 'criteria'))}**", ""]
    lines += [item.line for item in items]
    lines += ["", f"*{md(doc.footer)}*"]
    return "\n".join(lines)


def _source(doc: Document, v: Any, items: list[_Item]) -> dict[str, Any]:
    a = doc.assessment
    label = f"{doc.header.title} ({a.key})"
    if a.status != "published":
        label += f" – {doc.word(f'status.{a.status}').upper()}"
    if not a.in_force:
        label += f" – {doc.word('banner.not_in_force').split(':')[0]}"
    src: dict[str, Any] = {"label": label}
    for item in items:
        if item.link:
            src["url"] = item.link
            break
    src["topic"] = {"system": PATHWAY_SYSTEM, "code": v.pathway, "display": v.title}
    return src


def _task_suggestion(doc: Document, v: Any, opts: CardOptions) -> dict[str, Any]:
    lang = doc.lang
    p = doc.assessment.pathway(v.pathway)
    names: list[str] = []
    for d in (v.detail, v.todo_detail):
        if d is not None and d.kind in ("record", "todo"):
            names += list(d.items)
    if not names:
        names = list(p.missing)
    description = _w(lang, "task.description").format(pathway=v.title, items="; ".join(names))
    task: dict[str, Any] = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "priority": "routine",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                }
            ]
        },
        "description": one_line(description),
        "input": [
            {
                "type": {
                    "coding": [
                        {"system": "https://visitation.dk/fhir/CodeSystem/facts", "code": fact}
                    ]
                },
                "valueString": fact,
            }
            for fact in p.missing
        ],
    }
    if opts.patient_id:
        task["for"] = {"reference": f"Patient/{opts.patient_id}"}
    if not task["input"]:
        del task["input"]
    suggestion: dict[str, Any] = {"label": _w(lang, "task"), "isRecommended": True}
    if opts.uuids:
        suggestion["uuid"] = uuid4_text()
    suggestion["actions"] = [
        {
            "type": "create",
            "description": _w(lang, "task.action").format(n=len(names)),
            "resource": task,
        }
    ]
    return suggestion


def _view_link(doc: Document, opts: CardOptions) -> dict[str, Any] | None:
    a = doc.assessment
    if not opts.ruleset_url:
        return None
    url = _link(opts.ruleset_url.format(family=a.family, version=a.version))
    if url is None:
        return None
    return {"label": _w(doc.lang, "view").format(key=a.key), "url": url, "type": "absolute"}


def render_cards(doc: Document) -> str:
    """The renderer of format ``cds-hooks``: ``{"cards": [...]}`` for every pathway (no
    uuids, no links: a pure function of the document)."""
    return json.dumps({"cards": cards(doc)}, ensure_ascii=False, indent=2)


register("cds-hooks", render_cards)
