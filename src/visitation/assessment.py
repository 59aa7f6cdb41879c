"""The Assessment: the pure-data result of one evaluation.

Enough for an auditor to reproduce the decision years later: which rule set (family,
version, status and content hash), on which date, the verdict per pathway and, per
rule, its status, explanation, the evidence used, the facts missing and the source.
JSON round-trip is exact: ``Assessment.from_json(a.to_json()) == a``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from visitation._frozen import ReadOnlyDict, ReadOnlyList
from visitation.errors import did_you_mean

__all__ = [
    "Assessment",
    "PathwayResult",
    "Readiness",
    "RuleResult",
    "RuleStatus",
    "SourceCitation",
    "Verdict",
    "set_renderer",
]

RuleStatus = Literal["met", "not_met", "unknown"]
Verdict = Literal["eligible", "not_eligible", "indeterminate"]
Readiness = Literal["ready", "not_ready", "unknown"]
JsonScalar = bool | int | float | str
EvidenceValue = JsonScalar | ReadOnlyList[JsonScalar]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceCitation(_Frozen):
    """The source a rule cites, resolved from the rule file's sources: the section and the
    publisher per language, the title as the source gives it (quoted, one language)."""

    ref: str
    section: ReadOnlyDict[str, str]
    title: str
    publisher: ReadOnlyDict[str, str]
    url: str | None = None
    seed: str | None = None


class RuleResult(_Frozen):
    """The outcome of one rule (or monitoring indicator) for one patient."""

    id: str
    group: str
    title: ReadOnlyDict[str, str]
    status: RuleStatus
    explanation: ReadOnlyDict[str, str] = Field(description="Explanation per language.")
    evidence: ReadOnlyDict[str, EvidenceValue] = Field(
        description="Recorded facts the rule used: fact path → value (JSON form)."
    )
    missing: ReadOnlyList[str] = Field(
        description="Unrecorded facts that would settle an unknown rule, in order."
    )
    source: SourceCitation
    provenance: Literal["published", "inferred"]
    rationale: ReadOnlyDict[str, str] | None = Field(
        default=None, description="Why an inferred rule reads its source so, per language."
    )


class PathwayResult(_Frozen):
    """The verdict for one pathway (e.g. ``specialized``, ``hospice``)."""

    id: str
    title: ReadOnlyDict[str, str]
    verdict: Verdict
    rules: ReadOnlyList[str] = Field(description="Ids of the rules the pathway requires, in order.")
    blocking: ReadOnlyList[str] = Field(description="Ids of required rules that are not met.")
    missing: ReadOnlyList[str] = Field(
        description="For an indeterminate verdict: facts to record, in the order to settle them."
    )
    referral: Readiness = Field(
        default="ready",
        description=(
            "Whether the referral itself is ready to send: every documentation rule of the "
            "pathway met ('ready'), one not met ('not_ready'), or one unknown ('unknown'). "
            "Never part of the verdict: an eligible patient whose referral is not ready is "
            "eligible once the referral is complete."
        ),
    )
    todo: ReadOnlyList[str] = Field(
        default_factory=list,
        description="Ids of the documentation rules not met or unknown: what to do before sending.",
    )


class Assessment(_Frozen):
    """What one rule set says about one patient on one date."""

    family: str
    version: str
    status: Literal["draft", "provisional", "published", "retired"]
    title: dict[str, str]
    content_hash: str
    evaluated_on: date
    in_force: bool = Field(description="Whether the rule set was in force on evaluated_on.")
    evaluator: str = Field(
        description="The library and version that evaluated, e.g. 'visitation 0.1.0'."
    )
    effective_from: date
    effective_until: date | None
    languages: list[str]
    pathways: list[PathwayResult]
    rules: list[RuleResult]
    indicators: list[RuleResult]

    # -- convenience --------------------------------------------------------------------
    @property
    def key(self) -> str:
        """``family@version``."""
        return f"{self.family}@{self.version}"

    def pathway(self, pathway_id: str) -> PathwayResult:
        """The result for one pathway; ``KeyError`` naming the pathways there are."""
        for p in self.pathways:
            if p.id == pathway_id:
                return p
        known = ", ".join(p.id for p in self.pathways)
        hint = did_you_mean(pathway_id, [p.id for p in self.pathways])
        raise KeyError(f"no pathway '{pathway_id}' in {self.key}{hint}; pathways: {known}")

    def rule(self, rule_id: str) -> RuleResult:
        """The result for one rule or indicator by id."""
        for r in (*self.rules, *self.indicators):
            if r.id == rule_id:
                return r
        ids = [r.id for r in (*self.rules, *self.indicators)]
        raise KeyError(f"no rule '{rule_id}' in {self.key}{did_you_mean(rule_id, ids)}")

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """Pathway id → verdict."""
        return {p.id: p.verdict for p in self.pathways}

    # -- serialisation ------------------------------------------------------------------
    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON (stable key order as declared)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Assessment:
        """Read an Assessment written by :meth:`to_json`."""
        return cls.model_validate_json(text)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data."""
        return self.model_dump(mode="json")

    # -- rendering (visitation.render registers itself: the core never imports it) -------
    def render(self, format: str = "text", *, lang: str | None = None) -> str:
        """Render as ``text``, ``md``, ``json`` or ``html`` (see :mod:`visitation.render`);
        by default in English when the assessment holds English, else in its first language."""
        if _renderer is None:  # pragma: no cover - `import visitation` registers it
            raise RuntimeError("no renderer registered: import visitation.render")
        return _renderer(self, format, lang)

    @property
    def default_lang(self) -> str:
        """The language renderers use when none is given: English if held, else the first."""
        return "en" if "en" in self.languages else self.languages[0]

    def __str__(self) -> str:
        return self.render("text")

    def _repr_html_(self) -> str:
        return self.render("html")

    def _repr_markdown_(self) -> str:
        return self.render("md")

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Text, HTML and Markdown for notebooks (IPython's display protocol)."""
        bundle = {
            "text/plain": "text",
            "text/html": "html",
            "text/markdown": "md",
        }
        return {
            mime: self.render(fmt)
            for mime, fmt in bundle.items()
            if (include is None or mime in include) and (exclude is None or mime not in exclude)
        }


RenderHook = Callable[[Assessment, str, "str | None"], str]
_renderer: RenderHook | None = None


def set_renderer(renderer: RenderHook) -> None:
    """Let :meth:`Assessment.render` (and ``str``, the notebook hooks) call ``renderer``.

    ``visitation.render`` calls this when imported; the core knows only this signature,
    ``renderer(assessment, format, lang)``.
    """
    global _renderer
    _renderer = renderer
