"""Conditions in words, in Danish or English: the one condition-to-words formatter.

A rule's ``when`` is a tree; :func:`condition_words` folds it (:func:`visitation.fold`)
into a tree of short sentences that a clinician signs off: a leaf as "age is at least
18" / "alder er mindst 18", with the fact's readable name (:mod:`visitation.fact_labels`)
and values in words (:func:`visitation.explain.format_value`), and each node as a heading
("all of these:", "mindst 2 af disse:") over its parts. A ``use`` is named, with the
definition's sentence beside it when it has one; a longer definition is shown once, on its
own. :meth:`Words.lines` flattens the tree into
indented lines for text, Markdown and HTML, and for the line diff of ``visitation diff``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from visitation import Condition, Leaf, Operator, fact_label, fold, format_value, typed_literal

__all__ = ["Words", "condition_lines", "condition_words", "leaf_words"]

_EN: Mapping[str, str] = {
    "equals": "{f} is {v}",
    "not_equals": "{f} is recorded and is not {v}",
    "in": "{f} is {v}",
    "not_in": "{f} is recorded and is none of: {v}",
    "at_least": "{f} is at least {v}",
    "at_most": "{f} is at most {v}",
    "greater_than": "{f} is more than {v}",
    "less_than": "{f} is less than {v}",
    "is": "{f}: {v}",
    "recorded.true": "{f} is recorded",
    "recorded.false": "{f} is not recorded",
    "contains": "{f} include {v}",
    "contains_any": "{f} include at least one of: {v}",
    "contains_all": "{f} include all of: {v}",
    "size_at_least": "{f}: at least {v}",
    "within_days": "{f} is 0 to {v} days before the evaluation date",
    "all": "all of these:",
    "any": "at least one of these:",
    "not": "not:",
    "at_least_n_of": "at least {n} of these:",
    "use": "the definition “{name}”",
    "or": "or",
    "and": "and",
}
_DA: Mapping[str, str] = {
    "equals": "{f} er {v}",
    "not_equals": "{f} er registreret og er ikke {v}",
    "in": "{f} er {v}",
    "not_in": "{f} er registreret og er ingen af: {v}",
    "at_least": "{f} er mindst {v}",
    "at_most": "{f} er højst {v}",
    "greater_than": "{f} er over {v}",
    "less_than": "{f} er under {v}",
    "is": "{f}: {v}",
    "recorded.true": "{f} er registreret",
    "recorded.false": "{f} er ikke registreret",
    "contains": "{f} omfatter {v}",
    "contains_any": "{f} omfatter mindst én af: {v}",
    "contains_all": "{f} omfatter alle af: {v}",
    "size_at_least": "{f}: mindst {v}",
    "within_days": "{f} ligger 0 til {v} dage før vurderingsdatoen",
    "all": "alle disse:",
    "any": "mindst én af disse:",
    "not": "ikke:",
    "at_least_n_of": "mindst {n} af disse:",
    "use": "definitionen “{name}”",
    "or": "eller",
    "and": "og",
}
_PHRASES: Mapping[str, Mapping[str, str]] = {"en": _EN, "da": _DA}


def _phrase(lang: str, key: str) -> str:
    return _PHRASES.get(lang, _EN)[key]


@dataclass(frozen=True, slots=True)
class Words:
    """A condition in words: a sentence, and (for a node) its parts under it."""

    text: str
    parts: tuple[Words, ...] = ()

    def lines(self, depth: int = 0) -> list[tuple[int, str]]:
        """``(depth, sentence)`` for this node and every part under it, depth first."""
        out = [(depth, self.text)]
        for part in self.parts:
            out += part.lines(depth + 1)
        return out

    def indented(self, indent: str = "  ") -> list[str]:
        """The lines, indented by depth."""
        return [indent * d + text for d, text in self.lines()]


def _join(values: Sequence[str], lang: str, word: str) -> str:
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} {_phrase(lang, word)} {values[-1]}"


def leaf_words(leaf: Leaf, lang: str) -> str:
    """One leaf as a sentence, e.g. ``age is at least 18``."""
    op = leaf.op
    f = fact_label(leaf.fact, lang)
    value: Any = leaf.value
    if op.name == "recorded":
        return _phrase(lang, f"recorded.{'true' if value else 'false'}").format(f=f)
    if isinstance(value, list):
        words = [format_value(typed_literal(leaf.fact, v), lang) for v in value]
        joiner = "and" if op.name == "contains_all" else "or"
        v = (
            ", ".join(words)
            if op.name in ("not_in", "contains_any")
            else _join(words, lang, joiner)
        )
    else:
        v = format_value(typed_literal(leaf.fact, value), lang)
    return _phrase(lang, op.name).format(f=f, v=v)


@dataclass(frozen=True, slots=True)
class _Algebra:
    lang: str

    def leaf(self, leaf: Leaf, op: Operator) -> Words:
        return Words(leaf_words(leaf, self.lang))

    def all(self, parts: Sequence[Words]) -> Words:
        return parts[0] if len(parts) == 1 else Words(_phrase(self.lang, "all"), tuple(parts))

    def any(self, parts: Sequence[Words]) -> Words:
        return parts[0] if len(parts) == 1 else Words(_phrase(self.lang, "any"), tuple(parts))

    def negate(self, part: Words) -> Words:
        return Words(_phrase(self.lang, "not"), (part,))

    def at_least(self, n: int, parts: Sequence[Words]) -> Words:
        return Words(_phrase(self.lang, "at_least_n_of").format(n=n), tuple(parts))

    def use(self, name: str, definition: Words) -> Words:
        named = _phrase(self.lang, "use").format(name=name)
        # a one-sentence definition is said in place; a longer one is shown on its own
        return Words(f"{named} ({definition.text})" if not definition.parts else named)


def condition_words(condition: Condition, definitions: Mapping[str, Condition], lang: str) -> Words:
    """A condition in words, in ``lang`` (``da`` or ``en``; others read English)."""
    return fold(condition, _Algebra(lang), definitions, unresolved=lambda name: Words(name))


def condition_lines(
    condition: Condition, definitions: Mapping[str, Condition], lang: str
) -> list[str]:
    """A condition in words as indented lines (two spaces per level)."""
    return condition_words(condition, definitions, lang).indented()
