"""The rule file format: pydantic models for one guideline version.

A rule file is data, never code: conditions are trees of ``all`` / ``any`` / ``not`` /
``at_least_n_of`` / ``use`` nodes over leaves that compare one fact with a closed set of
operators. ``visitation schema`` prints the JSON Schema generated from these models.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StringConstraints,
    Tag,
    model_validator,
)

from visitation.facts import RULE_FACTS

__all__ = [
    "OPERATORS",
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
    "Use",
]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:[.\-_][a-z0-9]+)*$", min_length=1, max_length=80),
]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
LangText = dict[Lang, Annotated[str, StringConstraints(min_length=1, max_length=4000)]]
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

OPERATORS: dict[str, str] = {
    "equals": "the fact equals the value",
    "not_equals": "the fact is recorded and differs from the value",
    "in": "the fact is one of the listed values",
    "not_in": "the fact is recorded and none of the listed values",
    "at_least": "the number is >= the value",
    "at_most": "the number is <= the value",
    "greater_than": "the number is > the value",
    "less_than": "the number is < the value",
    "is": "the yes/no fact is true (is: true) or false (is: false)",
    "recorded": "the fact is recorded (recorded: true) or not (recorded: false); never unknown",
    "contains": "the set holds the value",
    "contains_any": "the set holds at least one of the values",
    "contains_all": "the set holds every one of the values",
    "size_at_least": "the set or list has at least this many members",
    "within_days": "the date lies 0 to N calendar days before the evaluation date",
}
"""The closed operator set: key in a leaf → what it means."""


class Leaf(_Model):
    """Compare one fact with a value: ``{fact: age, at_least: 18}``."""

    fact: str = Field(
        description="Fact path: a fact of visitation.RULE_FACTS (e.g. 'age'); see docs/facts.md.",
        json_schema_extra={"enum": _FACT_NAMES},
    )
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    at_least: int | float | None = None
    at_most: int | float | None = None
    greater_than: int | float | None = None
    less_than: int | float | None = None
    is_: bool | None = Field(default=None, alias="is")
    recorded: bool | None = None
    contains: str | None = None
    contains_any: list[str] | None = None
    contains_all: list[str] | None = None
    size_at_least: int | None = None
    within_days: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> Leaf:
        given = [op for op in OPERATORS if getattr(self, _attr(op)) is not None]
        if len(given) != 1:
            ops = ", ".join(OPERATORS)
            found = ", ".join(given) or "none"
            raise ValueError(f"a leaf takes exactly one operator (found: {found}); one of: {ops}")
        return self

    @property
    def operator(self) -> str:
        """The one operator this leaf uses."""
        for op in OPERATORS:
            if getattr(self, _attr(op)) is not None:
                return op
        raise AssertionError("validated leaf without operator")  # pragma: no cover

    @property
    def value(self) -> Any:
        """The operator's argument."""
        return getattr(self, _attr(self.operator))


def _attr(op: str) -> str:
    return op + "_" if op in ("in", "is") else op


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
    n: int = Field(ge=1)
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
            "fact" if isinstance(value, Leaf) else "",
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
    section: str = Field(min_length=1, description="Section, criterion or page in the source.")


class Explanations(_Model):
    """Explanation templates per outcome, per language; ``{fact}`` inserts a fact's value."""

    met: LangText
    not_met: LangText
    unknown: LangText


class Rule(_Model):
    """One criterion (or monitoring indicator) with its condition, texts and source."""

    id: Identifier
    group: Identifier
    title: LangText
    when: Condition
    explain: Explanations
    source: Citation
    provenance: Literal["published", "inferred"]
    rationale: str | None = Field(
        default=None,
        description="Required when provenance is 'inferred': why, in one line.",
    )
    note: str | None = None

    @model_validator(mode="after")
    def _inferred_has_rationale(self) -> Rule:
        if self.provenance == "inferred" and not (self.rationale and self.rationale.strip()):
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
    title: str
    publisher: str
    date: str | None = Field(default=None, description="Publication date as the source gives it.")
    url: str | None = None
    seed: str | None = Field(default=None, description="File name in shared/seeds, if any.")
    note: str | None = None


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
    dates_note: str | None = Field(
        default=None, description="Where the effective dates come from, if not stated."
    )
    publisher: str
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
