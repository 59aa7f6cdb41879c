"""The document model: what every renderer shows, built once from an Assessment.

:func:`build` turns an :class:`~visitation.Assessment` and a language into a
:class:`Document`, a tree of plain, frozen values in the order every format follows:

1. ``banners``: a rule set that is not ``published`` (provisional, draft, retired) or was
   not in force on the evaluation date says so first;
2. ``header``: title, ``family@version``, status, evaluation date, short content hash;
3. ``verdicts``, one per pathway, with the facts to record (in order) for an
   indeterminate verdict and the rules not met for a not-eligible one;
4. ``rules``: the criteria by group, each with status, title, explanation, evidence
   (values in readable words, :func:`visitation.explain.format_value`), missing facts,
   source citation and provenance;
5. ``indicators``: monitoring indicators, in a section of their own, never a gate;
6. ``footer``: the verdict supports, and does not replace, the clinician's judgement.

Every word the renderers add (labels, status words, banners) is already in the document,
in its language; every string from the rule file or the patient is held **unescaped**, as
it came. A renderer is then a small function from a Document to a string that escapes each
string once, for its format (``escape.py``), and chooses layout only. A new output (e.g.
a CDS Hooks card per pathway: ``verdicts`` give summary and indicator, ``banners`` a
warning, the rules' ``source.link`` the links) is one more such function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from visitation.assessment import Assessment, PathwayResult, RuleResult
from visitation.explain import format_value
from visitation.fact_labels import fact_label
from visitation.facts import RULE_FACTS
from visitation.render.escape import link_target, one_line
from visitation.render.labels import HOLISTIC_PATHWAYS, SYMBOLS, label

__all__ = [
    "Banner",
    "Detail",
    "Document",
    "Evidence",
    "Group",
    "Header",
    "RuleItem",
    "Section",
    "Source",
    "VerdictItem",
    "build",
]

BannerKind = Literal["provisional", "draft", "retired", "not-in-force"]


@dataclass(frozen=True, slots=True)
class Banner:
    """A warning that comes before everything else."""

    kind: BannerKind
    text: str


@dataclass(frozen=True, slots=True)
class Header:
    """The rule set and the evaluation: title, ``family@version``, status, date, hash."""

    title: str
    key: str
    status: str
    status_label: str
    evaluated_on: str
    """The date in words, e.g. ``evaluated on 2026-11-23``."""
    short_hash: str


@dataclass(frozen=True, slots=True)
class Detail:
    """What follows a verdict: the facts to record, or the rules not met."""

    kind: Literal["record", "blocking", "todo"]
    label: str
    items: tuple[str, ...]
    """Facts to record (readable names), rule ids not met, or the titles of the
    documentation rules to complete before sending."""


@dataclass(frozen=True, slots=True)
class VerdictItem:
    """One pathway's verdict."""

    pathway: str
    title: str
    verdict: str
    symbol: str
    label: str
    rules: tuple[str, ...]
    detail: Detail | None
    referral: str = "ready"
    """Whether the referral itself is ready to send (``ready``, ``not_ready``, ``unknown``);
    never part of the verdict."""
    todo: tuple[str, ...] = ()
    """Ids of the documentation rules not met or unknown: what to do before sending."""
    todo_detail: Detail | None = None
    """The to-do list before sending, as a reader sees it (the rules' titles)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One recorded fact a rule used: its name, its value in words, its JSON value."""

    fact: str
    value: str
    raw: object
    name: str = ""
    """The fact's readable name in the document's language (:mod:`visitation.fact_labels`)."""


@dataclass(frozen=True, slots=True)
class Source:
    """A rule's source citation; ``link`` is the URL to link to, if any (http/https only)."""

    ref: str
    title: str
    section: str
    """As shown: a bare number gets the word "section" (``section 2``)."""
    publisher: str
    url: str | None
    link: str | None


@dataclass(frozen=True, slots=True)
class RuleItem:
    """One rule or monitoring indicator."""

    id: str
    group: str
    status: str
    symbol: str
    label: str
    title: str
    explanation: str
    evidence: tuple[Evidence, ...]
    missing: tuple[str, ...]
    source: Source
    provenance: Literal["published", "inferred"]
    provenance_label: str
    rationale: str | None


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive rules of one group, in file order."""

    id: str
    rules: tuple[RuleItem, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """The criteria, or the monitoring indicators (with a note that they are no gate)."""

    kind: Literal["rules", "indicators"]
    heading: str
    note: str | None
    groups: tuple[Group, ...]


@dataclass(frozen=True, eq=False)
class Document:
    """Everything a renderer shows, in one language, strings unescaped.

    Each part is made when a renderer first reads it (and then kept), so a renderer that
    needs only the Assessment, as JSON does, costs nothing more.
    """

    assessment: Assessment
    lang: str

    def word(self, key: str) -> str:
        """A fixed word of the renderers (``evidence``, ``group``, ``met`` …) in this language."""
        return label(self.lang, key)

    @cached_property
    def banners(self) -> tuple[Banner, ...]:
        """Warnings first: not published, not in force."""
        return _banners(self.assessment, self.lang)

    @cached_property
    def header(self) -> Header:
        """Title, ``family@version``, status, evaluation date, short content hash."""
        a, lang = self.assessment, self.lang
        return Header(
            title=_text_in(a.title, lang),
            key=a.key,
            status=a.status,
            status_label=label(lang, f"status.{a.status}"),
            evaluated_on=label(lang, "evaluated_on").format(on=a.evaluated_on.isoformat()),
            short_hash=_short_hash(a.content_hash),
        )

    @property
    def verdicts_heading(self) -> str:
        """The heading of the verdicts."""
        return label(self.lang, "verdicts")

    @cached_property
    def verdicts(self) -> tuple[VerdictItem, ...]:
        """One per pathway, in file order."""
        a = self.assessment
        titles = {r.id: _text_in(r.title, self.lang) for r in a.rules}
        return tuple(_verdict(p, self.lang, titles) for p in a.pathways)

    @cached_property
    def rules(self) -> Section:
        """The criteria, by group."""
        return _section("rules", self.assessment.rules, self.lang, None)

    @cached_property
    def indicators(self) -> Section | None:
        """The monitoring indicators, if the rule set has any."""
        if not self.assessment.indicators:
            return None
        note = label(self.lang, "indicators.note")
        return _section("indicators", self.assessment.indicators, self.lang, note)

    @cached_property
    def footer(self) -> str:
        """The closing line."""
        return footer(self.assessment, self.lang)


def build(assessment: Assessment, lang: str) -> Document:
    """The document of ``assessment`` in ``lang`` (one the assessment holds)."""
    return Document(assessment, lang)


def footer(a: Assessment, lang: str) -> str:
    """The closing line; it names the *helhedsvurdering* when a pathway's criteria are
    assessed as a whole (:data:`~visitation.render.labels.HOLISTIC_PATHWAYS`)."""
    holistic = any(p.id in HOLISTIC_PATHWAYS for p in a.pathways)
    return label(lang, "footer.hospice" if holistic else "footer")


def _text_in(texts: Mapping[str, str], lang: str) -> str:
    """The text in ``lang`` (a hand-built Assessment may lack it: take the first one)."""
    if lang in texts:
        return texts[lang]
    return next(iter(texts.values()), "")


def _short_hash(content_hash: str) -> str:
    algorithm, sep, digest = content_hash.partition(":")
    return f"{algorithm}:{digest[:12]}" if sep else content_hash[:12]


def _banners(a: Assessment, lang: str) -> tuple[Banner, ...]:
    banners: list[Banner] = []
    if a.status != "published":
        banners.append(Banner(a.status, label(lang, f"banner.{a.status}")))
    if not a.in_force:
        start = a.effective_from.isoformat()
        if a.effective_until is None:
            span = label(lang, "span.open").format(start=start)
        else:
            end = a.effective_until.isoformat()
            span = label(lang, "span.closed").format(start=start, end=end)
        text = label(lang, "banner.not_in_force").format(
            key=a.key, on=a.evaluated_on.isoformat(), span=span
        )
        banners.append(Banner("not-in-force", text))
    return tuple(banners)


def _verdict(p: PathwayResult, lang: str, titles: Mapping[str, str]) -> VerdictItem:
    detail = None
    if p.verdict == "indeterminate" and p.missing:
        names = tuple(fact_label(f, lang) for f in p.missing)
        detail = Detail("record", label(lang, "record"), names)
    elif p.verdict == "not_eligible" and p.blocking:
        detail = Detail("blocking", label(lang, "blocking"), tuple(p.blocking))
    todo = None
    if p.todo and p.verdict != "not_eligible":
        todo = Detail("todo", label(lang, "todo"), tuple(titles.get(r, r) for r in p.todo))
    pending = p.verdict == "eligible" and p.referral != "ready"
    return VerdictItem(
        pathway=p.id,
        title=_text_in(p.title, lang),
        verdict=p.verdict,
        symbol=SYMBOLS[p.verdict],
        label=label(lang, "eligible.pending" if pending else p.verdict),
        rules=tuple(p.rules),
        detail=detail,
        referral=p.referral,
        todo=tuple(p.todo),
        todo_detail=todo,
    )


def _section(
    kind: Literal["rules", "indicators"],
    rules: Sequence[RuleResult],
    lang: str,
    note: str | None,
) -> Section:
    groups: list[tuple[str, list[RuleItem]]] = []
    for r in rules:
        item = _rule(r, lang)
        if groups and groups[-1][0] == r.group:
            groups[-1][1].append(item)
        else:
            groups.append((r.group, [item]))
    return Section(
        kind=kind,
        heading=label(lang, kind),
        note=note,
        groups=tuple(Group(g, tuple(items)) for g, items in groups),
    )


def _readable(fact: str, value: object, lang: str) -> str:
    """An evidence value (JSON) in words: a vocabulary code as the fact's own member, so
    that it reads as a word of the language (``gp`` → ``egen læge``)."""
    spec = RULE_FACTS.get(fact)
    members = spec.enum_type if spec is not None else None
    if members is not None:
        known = {m.value: m for m in members}
        if isinstance(value, str):
            value = known.get(value, value)
        elif isinstance(value, list):
            value = frozenset(known.get(v, v) for v in value)
    return format_value(value, lang)


def _rule(r: RuleResult, lang: str) -> RuleItem:
    s = r.source
    section = one_line(_text_in(s.section, lang))
    if section[:1].isdigit():
        section = f"{label(lang, 'section')} {section}"
    return RuleItem(
        id=r.id,
        group=r.group,
        status=r.status,
        symbol=SYMBOLS[r.status],
        label=label(lang, r.status),
        title=_text_in(r.title, lang),
        explanation=_text_in(r.explanation, lang),
        evidence=tuple(
            Evidence(name, _readable(name, value, lang), value, fact_label(name, lang))
            for name, value in r.evidence.items()
        ),
        missing=tuple(fact_label(m, lang) for m in r.missing),
        source=Source(
            ref=s.ref,
            title=s.title,
            section=section,
            publisher=_text_in(s.publisher, lang),
            url=s.url,
            link=link_target(s.url),
        ),
        provenance=r.provenance,
        provenance_label=label(lang, r.provenance),
        rationale=None if r.rationale is None else _text_in(r.rationale, lang),
    )
