"""The rule file format: pydantic models for one guideline version.

A rule file is data, never code: conditions are trees of ``all`` / ``any`` / ``not`` /
``at_least_n_of`` / ``use`` nodes over leaves that compare one fact with a closed set of
operators. ``visitation schema`` prints the JSON Schema generated from these models.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StrictInt,
    StringConstraints,
    Tag,
    create_model,
    model_validator,
)

from visitation.facts import RULE_FACTS
from visitation.operators import LITERAL_TYPES, Operator
from visitation.operators import OPERATORS as OPERATOR_TABLE

__all__ = [
    "OPERATORS",
    "PLACEHOLDER",
    "AllOf",
    "AnyOf",
    "AtLeastNOf",
    "Change",
    "Citation",
    "Condition",
    "Explanations",
    "LangText",
    "Leaf",
    "Not",
    "Pathway",
    "Rule",
    "RuleChange",
    "RuleSet",
    "Source",
    "Text",
    "Use",
    "content_hash",
    "per_language",
    "text_in",
]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:[.\-_][a-z0-9]+)*$", min_length=1, max_length=80),
]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
LangText = dict[Lang, Annotated[str, StringConstraints(min_length=1, max_length=4000)]]


def _text_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "text:plain"
    return "text:lang" if isinstance(value, dict) else None


_TEXT_KIND = Discriminator(
    _text_kind,
    custom_error_type="text",
    custom_error_message="a text is a string or a mapping from language to text, {da: …, en: …}",
)
Text = Annotated[
    Annotated[str, Tag("text:plain")] | Annotated[LangText, Tag("text:lang")], _TEXT_KIND
]
"""A text a reader sees: per language ``{da: ..., en: ...}`` (as titles and explanations
are), or a plain string, the legacy form of the files written before texts other than
titles and explanations had languages: one text, shown unchanged in every language."""
NonEmptyText = Annotated[
    Annotated[Annotated[str, StringConstraints(min_length=1)], Tag("text:plain")]
    | Annotated[LangText, Tag("text:lang")],
    _TEXT_KIND,
]
"""A :data:`Text` whose plain form may not be empty (a citation's section)."""
SemVer = Annotated[
    str,
    StringConstraints(pattern=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"),
]
Scalar = bool | int | float | str


_FACT_NAMES: list[JsonValue] = [*sorted(RULE_FACTS)]
"""Fact names, listed in the JSON Schema so that editors can complete them."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------

OPERATORS: dict[str, str] = {name: op.meaning for name, op in OPERATOR_TABLE.items()}
"""The closed operator set: key in a leaf → what it means (see :mod:`visitation.operators`)."""


class _LeafBase(_Model):
    """Compare one fact with a value: ``{fact: age, at_least: 18}``.

    The operator fields (one per entry of :data:`visitation.operators.OPERATORS`, each
    typed by its kind of literal) are added to :class:`Leaf` from the operator table.
    """

    fact: str = Field(
        description="Fact path: a fact of visitation.RULE_FACTS (e.g. 'age'); see docs/facts.md.",
        json_schema_extra={"enum": _FACT_NAMES},
    )

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> _LeafBase:
        given = [o.key for o in OPERATOR_TABLE.values() if getattr(self, o.attribute) is not None]
        if len(given) != 1:
            ops = ", ".join(OPERATOR_TABLE)
            found = ", ".join(given) or "none"
            raise ValueError(f"a leaf takes exactly one operator (found: {found}); one of: {ops}")
        return self

    @property
    def op(self) -> Operator:
        """The one operator this leaf uses."""
        for o in OPERATOR_TABLE.values():
            if getattr(self, o.attribute) is not None:
                return o
        raise AssertionError("validated leaf without operator")  # pragma: no cover

    @property
    def operator(self) -> str:
        """The name of the one operator this leaf uses."""
        return self.op.name

    @property
    def value(self) -> Any:
        """The operator's argument, as the rule file states it."""
        return getattr(self, self.op.attribute)


def _operator_field(op: Operator) -> Any:
    alias = op.key if op.attribute != op.key else None
    return (
        LITERAL_TYPES[op.literal] | None,
        Field(default=None, alias=alias, description=op.meaning),
    )


if TYPE_CHECKING:
    Leaf = _LeafBase
else:
    Leaf = create_model(
        "Leaf",
        __base__=_LeafBase,
        __module__=__name__,
        __doc__=_LeafBase.__doc__,
        **{op.attribute: _operator_field(op) for op in OPERATOR_TABLE.values()},
    )


class AllOf(_Model):
    """Met when every part is met (Kleene AND)."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(_Model):
    """Met when some part is met (Kleene OR)."""

    any: list[Condition] = Field(min_length=1)


class Not(_Model):
    """Met when the part is not met; unknown stays unknown."""

    not_: Condition = Field(alias="not")


class _NOf(_Model):
    n: StrictInt = Field(ge=1)
    of: list[Condition] = Field(min_length=1)


class AtLeastNOf(_Model):
    """Met when at least ``n`` of the parts are met."""

    at_least_n_of: _NOf


class Use(_Model):
    """The named condition under ``definitions``."""

    use: Identifier


_KINDS = ("all", "any", "not", "at_least_n_of", "use", "fact")


def _condition_kind(value: Any) -> str | None:
    keys: set[str]
    if isinstance(value, dict):
        keys = set(value)
    elif isinstance(value, BaseModel):
        keys = {
            "all" if isinstance(value, AllOf) else "",
            "any" if isinstance(value, AnyOf) else "",
            "not" if isinstance(value, Not) else "",
            "at_least_n_of" if isinstance(value, AtLeastNOf) else "",
            "use" if isinstance(value, Use) else "",
            "fact" if isinstance(value, _LeafBase) else "",
        }
    else:
        return None
    for kind in _KINDS:
        if kind in keys:
            return "cond:" + kind
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("cond:all")]
    | Annotated[AnyOf, Tag("cond:any")]
    | Annotated[Not, Tag("cond:not")]
    | Annotated[AtLeastNOf, Tag("cond:at_least_n_of")]
    | Annotated[Use, Tag("cond:use")]
    | Annotated[Leaf, Tag("cond:fact")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message=(
            "a condition is a mapping with one of the keys all, any, not, at_least_n_of, "
            "use, or fact (a leaf)"
        ),
    ),
]


# --------------------------------------------------------------------------------------
# Rules, pathways, sources
# --------------------------------------------------------------------------------------


class Citation(_Model):
    """Where a rule comes from: a source id of this file and the section in it."""

    ref: str = Field(description="The id of an entry under 'sources'.")
    section: NonEmptyText = Field(
        description=(
            "Section, criterion or page in the source, per language (a plain string is one "
            "text for every language)."
        )
    )


class Explanations(_Model):
    """Explanation templates per outcome, per language; ``{fact}`` inserts a fact's value."""

    met: LangText
    not_met: LangText
    unknown: LangText


class Rule(_Model):
    """One criterion (or monitoring indicator) with its condition, texts and source."""

    id: Identifier
    group: Identifier
    kind: Literal["criterion", "documentation"] | None = Field(
        default=None,
        description=(
            "'criterion' (the default): the patient must meet it to be eligible. "
            "'documentation': a requirement on the referral itself (what the letter states, "
            "how recent a screening is) that the referrer can fix before sending; its "
            "shortfall never makes a patient not eligible, only the referral not ready."
        ),
    )
    title: LangText
    when: Condition
    explain: Explanations
    source: Citation
    provenance: Literal["published", "inferred"]
    rationale: Text | None = Field(
        default=None,
        description=(
            "Required when provenance is 'inferred': why, in one line, per language "
            "({da: ..., en: ...}; a plain string is one text for every language)."
        ),
    )
    note: Text | None = Field(
        default=None, description="A remark for the reader, per language (or a plain string)."
    )

    @property
    def is_documentation(self) -> bool:
        """Whether the rule is about the referral (readiness), not the patient (eligibility)."""
        return self.kind == "documentation"

    @model_validator(mode="after")
    def _inferred_has_rationale(self) -> Rule:
        texts = (
            [self.rationale]
            if isinstance(self.rationale, str)
            else [*(self.rationale or {}).values()]
        )
        if self.provenance == "inferred" and not (texts and all(t.strip() for t in texts)):
            raise ValueError("a rule with 'provenance: inferred' needs a one-line 'rationale'")
        return self


class Pathway(_Model):
    """A referral destination and the rule groups whose rules must all be met."""

    title: LangText
    requires: list[Identifier] = Field(min_length=1)
    description: LangText | None = None


class Source(_Model):
    """A document the rules cite."""

    id: Identifier
    title: str = Field(description="The source's own title, quoted as it is (one language).")
    publisher: Text = Field(description="Who published it, per language (or a plain string).")
    date: str | None = Field(default=None, description="Publication date as the source gives it.")
    url: str | None = None
    seed: str | None = Field(default=None, description="File name in shared/seeds, if any.")
    note: Text | None = Field(
        default=None, description="What the source says, per language (or a plain string)."
    )


class RuleChange(_Model):
    """What happened to one rule in a version."""

    id: str
    change: Literal["added", "changed", "reworded", "removed"]
    note: str


class Change(_Model):
    """One entry of a rule file's change list."""

    version: SemVer
    date: date
    summary: str
    rules: list[RuleChange] = Field(default_factory=list)


class RuleSet(_Model):
    """One version of one guideline family, as stated in ``rules/<family>/<version>.yaml``."""

    format: Literal[1] = Field(description="Version of the rule file format.")
    family: Identifier
    version: SemVer
    status: Literal["draft", "provisional", "published", "retired"]
    effective_from: date
    effective_until: date | None = None
    dates_note: Text | None = Field(
        default=None,
        description=(
            "Where the effective dates come from, if not stated; per language (or a plain string)."
        ),
    )
    publisher: Text = Field(
        description="Who issues the guideline, per language (or a plain string)."
    )
    title: LangText
    languages: list[Lang] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    pathways: dict[Identifier, Pathway] = Field(min_length=1)
    definitions: dict[Identifier, Condition] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)
    indicators: list[Rule] = Field(
        default_factory=list, description="Monitoring indicators: evaluated, never a gate."
    )
    changes: list[Change] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RuleSet:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self

    @property
    def key(self) -> str:
        """``family@version``."""
        return f"{self.family}@{self.version}"

    def in_force_on(self, on: date) -> bool:
        """Whether ``on`` lies within the effective dates."""
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )


for _model in (AllOf, AnyOf, Not, _NOf, AtLeastNOf, Rule, RuleSet):
    _model.model_rebuild()


def text_in(text: Text, lang: str) -> str:
    """The text in ``lang``: a plain string as it is; a per-language text in ``lang``, or
    (a rule set built in Python may lack it) in its first language."""
    if isinstance(text, str):
        return text
    return text[lang] if lang in text else next(iter(text.values()), "")


def per_language(text: Text, langs: Sequence[str]) -> dict[str, str]:
    """The text in each of ``langs`` (a plain string is the same text in every language)."""
    return {k: text_in(text, k) for k in langs}


PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
"""A ``{name}`` placeholder in an explanation: a fact, or ``on`` (the evaluation date)."""


def content_hash(ruleset: RuleSet) -> str:
    """sha256 of the canonical form of a rule set (key order and layout do not matter)."""
    canonical = json.dumps(
        ruleset.model_dump(mode="json", by_alias=True, exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
