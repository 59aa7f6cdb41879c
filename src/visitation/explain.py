"""Readable values, per language: the one formatter of explanations and renderers.

:func:`format_value` turns a fact value into what a clinician reads: ``ja``/``nej`` or
``yes``/``no``, "not recorded", vocabulary words, ISO dates, lists joined by commas, ``–``
for an empty set or list. Explanation placeholders (``{fact}``) and the renderers'
evidence lines both use it; it takes Python values (enum members, sets, dates) and their
JSON forms (code strings, lists, ISO strings) alike. :func:`formatter` prepares the same
formatting for the values of one fact, once, for the explanation stage's templates.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

__all__ = ["LABELS", "format_value", "formatter"]

LABELS: Mapping[str, Mapping[str, str]] = {
    "da": {
        "true": "ja", "false": "nej", "none": "ikke registreret",
        "cancer": "kræft", "heart_vascular": "hjerte-kar", "neurological": "neurologisk",
        "stroke": "apopleksi", "lung": "lunge", "kidney": "nyre", "other": "anden",
        "gp": "egen læge", "specialist": "speciallæge", "hospital": "hospital",
        "palliative_unit": "palliativ enhed", "patient_relative": "patient/pårørende",
        "physical": "fysisk", "psychological": "psykisk", "social": "social",
        "existential": "eksistentiel",
        "days": "dage", "weeks": "uger", "few_months": "få måneder", "longer": "længere",
        "diagnosis": "diagnose", "problems": "problemstillinger", "medication": "medicin",
        "social_history": "social anamnese", "terminal_status": "terminalstatus",
        "reason_for_wish": "begrundelse for ønsket", "disease_course": "sygdomsforløb",
        "relief_tried": "afprøvet lindring",
        "done": "udfyldt", "too_ill": "for dårlig til at udfylde",
        "declined": "afslået af patienten", "died": "patienten er død",
        "not_stated": "ikke udfyldt, uden begrundelse",
    },
    "en": {
        "true": "yes", "false": "no", "none": "not recorded",
        "heart_vascular": "heart/vascular", "palliative_unit": "palliative unit",
        "patient_relative": "patient/relative", "gp": "GP", "few_months": "a few months",
        "social_history": "social history", "terminal_status": "terminal status",
        "reason_for_wish": "reason for the wish", "disease_course": "disease course",
        "relief_tried": "relief tried",
        "done": "completed", "too_ill": "too ill to complete",
        "declined": "declined by the patient", "died": "the patient has died",
        "not_stated": "not completed, no reason given",
    },
}  # fmt: skip
"""Readable words for yes/no, 'not recorded' and vocabulary codes, per language."""


def _word(key: str, lang: str) -> str:
    return LABELS.get(lang, {}).get(key) or key.replace("_", " ")


def format_value(value: Any, lang: str) -> str:
    """A fact value as a clinician reads it, in ``lang``."""
    if value is None:
        return _word("none", lang)
    if isinstance(value, bool):
        return _word("true" if value else "false", lang)
    if isinstance(value, enum.Enum):
        return _word(str(value.value), lang)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set | list | tuple) and not value:
        return "–"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(format_value(v, lang) for v in value))
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, lang) for v in value)
    return str(value)


def formatter(
    kind: str | None, enum_type: type[enum.Enum] | None, lang: str
) -> Callable[[Any], str]:
    """:func:`format_value` in ``lang`` for the values of a fact of ``kind`` (``enum_type``:
    its members, or its elements' for a set), prepared once: the words are looked up
    beforehand, and a value of any other type goes to :func:`format_value`, so the text is
    always the one :func:`format_value` gives (``tests/test_explain.py`` checks it)."""
    none = _word("none", lang)
    words: dict[Any, str] = {m: _word(str(m.value), lang) for m in enum_type or ()}
    if kind == "bool":
        yes, no = _word("true", lang), _word("false", lang)

        def truth(value: Any) -> str:
            if value is True:
                return yes
            if value is False:
                return no
            return none if value is None else format_value(value, lang)

        return truth
    scalars: dict[str, tuple[type[Any] | None, Callable[[Any], str]]] = {
        "int": (int, str),
        "text": (str, str),
        "date": (date, date.isoformat),
        "enum": (enum_type, words.__getitem__),
    }
    if kind in scalars:
        exact, as_text = scalars[kind]

        def scalar(value: Any) -> str:
            if type(value) is exact:
                return as_text(value)
            return none if value is None else format_value(value, lang)

        return scalar
    if kind == "set" and enum_type is not None:

        def members(value: Any) -> str:
            if type(value) is frozenset and value:
                texts = [words[v] for v in value if type(v) is enum_type]
                if len(texts) == len(value):
                    return ", ".join(sorted(texts))
            return format_value(value, lang)

        return members
    if kind == "set":

        def texts(value: Any) -> str:
            if type(value) is frozenset and value:
                plain = [v for v in value if type(v) is str]
                if len(plain) == len(value):
                    return ", ".join(sorted(plain))
            return format_value(value, lang)

        return texts
    return lambda value: format_value(value, lang)
